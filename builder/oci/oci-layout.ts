// OCI image layout (image-spec layout.md), as a directory or a tar of one: index.json ->
// (image index ->)* manifest for linux/amd64 -> config + layers. Every blob's sha256 is checked
// against its descriptor while it streams.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { readImageArchive, memberJson, memberLayer, type ArchiveMembers } from './archive-reader';
import type { ReadOpts } from './docker-archive';
import { fail } from './errors';
import type { ImageConfig } from './image-config';
import type { LayerRecord } from './layer-entry';
import { readLayer } from './layer-reader';
import { checkConfigAndLayers, type ResolvedImage } from './resolved-image';

interface Descriptor {
  mediaType?: string;
  digest: string;
  size?: number;
  platform?: { os?: string; architecture?: string };
  annotations?: Record<string, string>;
}
const INDEX_TYPES = new Set([
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
]);
const REF_NAME = 'org.opencontainers.image.ref.name';

interface Blobs {
  json(d: Descriptor, what: string): unknown;
  layer(d: Descriptor, label: string): Promise<LayerRecord>;
}

function blobPath(digest: string, where: string): string {
  const m = /^sha256:([0-9a-f]{64})$/.exec(digest ?? '');
  if (!m) fail('FORMAT_INVALID', `${where}: unsupported or malformed digest "${digest}"`);
  return `blobs/sha256/${m[1]}`;
}

function dirBlobs(dir: string, name: string, opts: ReadOpts): Blobs {
  return {
    json(d, what) {
      const file = path.join(dir, blobPath(d.digest, `${name}: ${what}`));
      if (!fs.existsSync(file)) fail('FORMAT_INVALID', `${name}: ${what} blob ${d.digest} is missing`);
      if (fs.statSync(file).size > opts.maxJsonBytes) fail('FORMAT_INVALID', `${name}: ${what} ${d.digest} is too large`);
      const bytes = fs.readFileSync(file);
      const got = 'sha256:' + crypto.createHash('sha256').update(bytes).digest('hex');
      if (got !== d.digest) fail('DIGEST_MISMATCH', `${name}: ${what} blob ${d.digest} has sha256 ${got}`);
      return parse(bytes, `${name}: ${what}`);
    },
    async layer(d, label) {
      const file = path.join(dir, blobPath(d.digest, label));
      if (!fs.existsSync(file)) fail('FORMAT_INVALID', `${label}: blob ${d.digest} is missing`);
      const rec = await readLayer(fs.createReadStream(file), { ...opts, label });
      if (rec.storedDigest !== d.digest) fail('DIGEST_MISMATCH', `${label}: blob ${d.digest} has sha256 ${rec.storedDigest}`);
      return rec;
    },
  };
}

function tarBlobs(m: ArchiveMembers, name: string): Blobs {
  return {
    json(d, what) {
      const p = blobPath(d.digest, `${name}: ${what}`);
      if (!m.json.has(p) && m.layers.has(p)) fail('FORMAT_INVALID', `${name}: ${what} ${d.digest} is not JSON`);
      const j = memberJson(m, p, name);
      if ('sha256:' + j.sha256 !== d.digest) fail('DIGEST_MISMATCH', `${name}: ${what} blob ${d.digest} has sha256 sha256:${j.sha256}`);
      return j.value;
    },
    async layer(d, label) {
      const rec = memberLayer(m, blobPath(d.digest, label), name);
      if (rec.storedDigest !== d.digest) fail('DIGEST_MISMATCH', `${label}: blob ${d.digest} has sha256 ${rec.storedDigest}`);
      return rec;
    },
  };
}

function parse(bytes: Buffer, where: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    return fail('FORMAT_INVALID', `${where}: not valid JSON: ${(err as Error).message}`);
  }
}

function pick(manifests: Descriptor[], name: string, ref: string | undefined, nested: boolean): Descriptor {
  if (!Array.isArray(manifests) || manifests.length === 0) fail('FORMAT_INVALID', `${name}: index lists no manifests`);
  let list = manifests;
  if (ref !== undefined && !nested) {
    list = manifests.filter((d) => d.annotations?.[REF_NAME] === ref);
    if (list.length === 0) fail('IMAGE_NOT_FOUND', `${name}: no manifest with ref.name "${ref}"`);
  }
  const amd64 = list.filter((d) => !d.platform || (d.platform.os === 'linux' && d.platform.architecture === 'amd64'));
  if (amd64.length === 0) fail('PLATFORM_UNSUPPORTED', `${name}: no linux/amd64 manifest`);
  if (amd64.length > 1 && !nested) fail('FORMAT_INVALID', `${name}: index.json holds ${amd64.length} images; name one with oci:PATH:REF`);
  return amd64[0];
}

async function resolve(blobs: Blobs, index: unknown, name: string, ref?: string): Promise<ResolvedImage> {
  let desc = pick((index as { manifests: Descriptor[] })?.manifests, name, ref, false);
  for (let depth = 0; ; depth++) {
    if (depth > 4) fail('FORMAT_INVALID', `${name}: image indexes nested too deep`);
    const doc = blobs.json(desc, 'manifest') as { mediaType?: string; manifests?: Descriptor[]; config?: Descriptor; layers?: Descriptor[] };
    if (INDEX_TYPES.has(desc.mediaType ?? '') || INDEX_TYPES.has(doc.mediaType ?? '') || Array.isArray(doc.manifests)) {
      desc = pick(doc.manifests ?? [], name, ref, true);
      continue;
    }
    if (!doc.config || !Array.isArray(doc.layers)) fail('FORMAT_INVALID', `${name}: manifest ${desc.digest} lacks config or layers`);
    const config = blobs.json(doc.config, 'config') as ImageConfig;
    const layers: LayerRecord[] = [];
    for (const [i, l] of doc.layers.entries()) layers.push(await blobs.layer(l, `${name}: layer ${i} (${l.digest})`));
    checkConfigAndLayers(name, config, layers);
    return { name, configDigest: doc.config.digest, config, layers };
  }
}

export async function readOciLayout(location: string, opts: ReadOpts, ref?: string): Promise<ResolvedImage> {
  const name = `oci:${location}`;
  if (!fs.existsSync(location)) fail('IMAGE_NOT_FOUND', `${name}: no such file or directory`);
  if (fs.statSync(location).isDirectory()) {
    const indexFile = path.join(location, 'index.json');
    if (!fs.existsSync(indexFile)) fail('FORMAT_INVALID', `${name}: no index.json`);
    return resolve(dirBlobs(location, name, opts), parse(fs.readFileSync(indexFile), `${name}: index.json`), name, ref);
  }
  const members = await readImageArchive(fs.createReadStream(location), name, opts);
  return resolve(tarBlobs(members, name), memberJson(members, 'index.json', name).value, name, ref);
}

/** Config digest without reading any layer (for the cache key); undefined for tars. */
export function ociConfigDigest(location: string, opts: Pick<ReadOpts, 'maxJsonBytes'>, ref?: string): string | undefined {
  if (!fs.statSync(location).isDirectory()) return undefined;
  const name = `oci:${location}`;
  const blobs = dirBlobs(location, name, opts as ReadOpts); // only json() is called here
  let desc = pick((parse(fs.readFileSync(path.join(location, 'index.json')), name) as { manifests: Descriptor[] }).manifests, name, ref, false);
  for (let depth = 0; depth < 5; depth++) {
    const doc = blobs.json(desc, 'manifest') as { manifests?: Descriptor[]; config?: Descriptor };
    if (Array.isArray(doc.manifests)) desc = pick(doc.manifests, name, ref, true);
    else return doc.config?.digest;
  }
  return undefined;
}
