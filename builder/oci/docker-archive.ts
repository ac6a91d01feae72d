// docker save format (docker-archive): manifest.json -> [{Config, RepoTags, Layers}], the config
// named <hex>.json, each layer an uncompressed <id>/layer.tar.
import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { readImageArchive, memberJson, memberLayer } from './archive-reader';
import { fail } from './errors';
import type { ImageConfig } from './image-config';
import type { LayerReadOptions } from './layer-reader';
import { checkConfigAndLayers, type ResolvedImage } from './resolved-image';

interface SaveManifest { Config: string; RepoTags?: string[] | null; Layers: string[] }

export type ReadOpts = Omit<LayerReadOptions, 'label'> & { maxJsonBytes: number };

export async function readDockerArchiveStream(stream: Readable, name: string, opts: ReadOpts, ref?: string): Promise<ResolvedImage> {
  const members = await readImageArchive(stream, name, opts);
  const manifest = memberJson(members, 'manifest.json', name).value as SaveManifest[];
  if (!Array.isArray(manifest) || manifest.length === 0) fail('FORMAT_INVALID', `${name}: manifest.json lists no image`);
  let entry = manifest[0];
  if (ref !== undefined) {
    const found = manifest.find((m) => m.RepoTags?.includes(ref));
    if (!found) fail('IMAGE_NOT_FOUND', `${name}: no image tagged ${ref} (has ${manifest.flatMap((m) => m.RepoTags ?? []).join(', ') || 'no tags'})`);
    entry = found;
  } else if (manifest.length > 1) {
    fail('FORMAT_INVALID', `${name}: holds ${manifest.length} images; name one (${manifest.flatMap((m) => m.RepoTags ?? []).join(', ')})`);
  }
  if (typeof entry.Config !== 'string' || !Array.isArray(entry.Layers))
    fail('FORMAT_INVALID', `${name}: manifest.json entry lacks Config or Layers`);
  const cfg = memberJson(members, entry.Config, name);
  const named = /^(?:blobs\/sha256\/)?([0-9a-f]{64})(?:\.json)?$/.exec(entry.Config);
  if (named && named[1] !== cfg.sha256)
    fail('DIGEST_MISMATCH', `${name}: config ${entry.Config} has sha256 ${cfg.sha256}`);
  const config = cfg.value as ImageConfig;
  const layers = entry.Layers.map((l) => memberLayer(members, l, name));
  checkConfigAndLayers(name, config, layers);
  return { name, configDigest: 'sha256:' + cfg.sha256, config, layers };
}

export function readDockerArchiveFile(file: string, opts: ReadOpts, ref?: string): Promise<ResolvedImage> {
  if (!fs.existsSync(file)) fail('IMAGE_NOT_FOUND', `docker-archive:${file}: no such file`);
  return readDockerArchiveStream(fs.createReadStream(file), `docker-archive:${file}`, opts, ref);
}
