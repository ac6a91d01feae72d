// OCI image layout (image-spec layout.md), as a directory or a tar of one: index.json ->
// (image index ->)* manifest for linux/amd64 -> config + layers. JSON blobs are checked against
// their descriptors here; each layer's stored digest is checked while it streams.
import fs from 'node:fs';
import { fail } from '../../core/image/errors';
import type { ImageConfig } from '../../core/image/image-config';
import { dirFiles, jsonOf, tarFiles, type ImageFiles } from './image-files';
import { checkConfig, type ResolvedImage } from './resolved-image';

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

function blobPath(digest: string, where: string): string {
  const m = /^sha256:([0-9a-f]{64})$/.exec(typeof digest === 'string' ? digest : '');
  if (!m) fail('FORMAT_INVALID', `${where}: unsupported or malformed digest "${digest}"`);
  return `blobs/sha256/${m[1]}`;
}

function blobJson(files: ImageFiles, d: Descriptor, what: string, maxJsonBytes: number): unknown {
  const p = blobPath(d?.digest, `${files.name}: ${what}`);
  if (!files.has(p)) fail('FORMAT_INVALID', `${files.name}: ${what} blob ${d.digest} is missing`);
  const j = jsonOf(files, p, maxJsonBytes);
  if ('sha256:' + j.sha256 !== d.digest) fail('DIGEST_MISMATCH', `${files.name}: ${what} blob ${d.digest} has sha256 sha256:${j.sha256}`);
  return j.value;
}

function pick(manifests: Descriptor[], name: string, ref: string | undefined, nested: boolean): Descriptor {
  if (!Array.isArray(manifests) || manifests.length === 0) fail('FORMAT_INVALID', `${name}: index lists no manifests`);
  let list = manifests;
  if (ref !== undefined && !nested) {
    list = manifests.filter((d) => d?.annotations?.[REF_NAME] === ref);
    if (list.length === 0) fail('IMAGE_NOT_FOUND', `${name}: no manifest with ref.name "${ref}"`);
  }
  const amd64 = list.filter((d) => !d?.platform || (d.platform.os === 'linux' && d.platform.architecture === 'amd64'));
  if (amd64.length === 0) fail('PLATFORM_UNSUPPORTED', `${name}: no linux/amd64 manifest`);
  if (amd64.length > 1 && !nested) fail('FORMAT_INVALID', `${name}: index.json holds ${amd64.length} images; name one with oci:PATH:REF`);
  return amd64[0];
}

export function resolveOciLayout(files: ImageFiles, maxJsonBytes: number, ref?: string): ResolvedImage {
  const name = files.name;
  const index = jsonOf(files, 'index.json', maxJsonBytes).value as { manifests: Descriptor[] };
  let desc = pick(index?.manifests, name, ref, false);
  for (let depth = 0; ; depth++) {
    if (depth > 4) fail('FORMAT_INVALID', `${name}: image indexes nested too deep`);
    const doc = blobJson(files, desc, 'manifest', maxJsonBytes) as { mediaType?: string; manifests?: Descriptor[]; config?: Descriptor; layers?: Descriptor[] };
    if (INDEX_TYPES.has(desc.mediaType ?? '') || INDEX_TYPES.has(doc?.mediaType ?? '') || Array.isArray(doc?.manifests)) {
      desc = pick(doc.manifests ?? [], name, ref, true);
      continue;
    }
    if (!doc?.config || !Array.isArray(doc.layers)) fail('FORMAT_INVALID', `${name}: manifest ${desc.digest} lacks config or layers`);
    const config = blobJson(files, doc.config, 'config', maxJsonBytes) as ImageConfig;
    const diffIds = checkConfig(name, config, doc.layers.length);
    const layers = doc.layers.map((l, i) => {
      const label = `${name}: layer ${i} (${l?.digest})`;
      const p = blobPath(l?.digest, label);
      if (!files.has(p)) fail('FORMAT_INVALID', `${label}: blob ${l.digest} is missing`);
      const declaredSize = typeof l.size === 'number' ? l.size : undefined;
      return { label, open: () => files.open(p), storedDigest: l.digest, diffId: diffIds[i], bytes: files.size(p), declaredSize };
    });
    return { name, configDigest: doc.config.digest, config, layers };
  }
}

export function ociFiles(location: string): ImageFiles {
  const name = `oci:${location}`;
  if (!fs.existsSync(location)) fail('IMAGE_NOT_FOUND', `${name}: no such file or directory`);
  if (fs.statSync(location).isDirectory()) {
    if (!fs.existsSync(`${location}/index.json`)) fail('FORMAT_INVALID', `${name}: no index.json`);
    return dirFiles(location, name);
  }
  return tarFiles(location, name);
}
