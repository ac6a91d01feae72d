// docker save format (docker-archive): manifest.json -> [{Config, RepoTags, Layers}], the config
// named <hex>.json, each layer an uncompressed <id>/layer.tar. Resolved from the archive's index:
// no layer is read here.
import { fail } from '../../core/image/errors';
import type { ImageConfig } from '../../core/image/image-config';
import { jsonOf, tarFiles, type ImageFiles } from './image-files';
import { checkConfig, type ResolvedImage } from './resolved-image';
import fs from 'node:fs';

interface SaveManifest { Config: string; RepoTags?: string[] | null; Layers: string[] }

export function resolveDockerArchive(files: ImageFiles, maxJsonBytes: number, ref?: string): ResolvedImage {
  const name = files.name;
  const manifest = jsonOf(files, 'manifest.json', maxJsonBytes).value as SaveManifest[];
  if (!Array.isArray(manifest) || manifest.length === 0) fail('FORMAT_INVALID', `${name}: manifest.json lists no image`);
  const tags = () => manifest.flatMap((m) => m?.RepoTags ?? []).join(', ');
  let entry = manifest[0];
  if (ref !== undefined) {
    const found = manifest.find((m) => m?.RepoTags?.includes(ref));
    if (!found) fail('IMAGE_NOT_FOUND', `${name}: no image tagged ${ref} (has ${tags() || 'no tags'})`);
    entry = found;
  } else if (manifest.length > 1) {
    fail('FORMAT_INVALID', `${name}: holds ${manifest.length} images; name one (${tags()})`);
  }
  if (typeof entry?.Config !== 'string' || !Array.isArray(entry.Layers) || !entry.Layers.every((l) => typeof l === 'string'))
    fail('FORMAT_INVALID', `${name}: manifest.json entry lacks Config or Layers`);
  const cfg = jsonOf(files, entry.Config, maxJsonBytes);
  const named = /^(?:blobs\/sha256\/)?([0-9a-f]{64})(?:\.json)?$/.exec(entry.Config);
  if (named && named[1] !== cfg.sha256) fail('DIGEST_MISMATCH', `${name}: config ${entry.Config} has sha256 ${cfg.sha256}`);
  const config = cfg.value as ImageConfig;
  const diffIds = checkConfig(name, config, entry.Layers.length);
  const layers = entry.Layers.map((l, i) => {
    if (!files.has(l)) fail('FORMAT_INVALID', `${name}: layer ${l} is listed but not in the archive`);
    // Newer docker save output names each blob by its sha256 (`blobs/sha256/<hex>`): that is its stored digest.
    const addressed = /^blobs\/sha256\/([0-9a-f]{64})$/.exec(l);
    return {
      label: `${name}: layer ${i} (${l})`,
      open: () => files.open(l),
      diffId: diffIds[i],
      storedDigest: addressed ? `sha256:${addressed[1]}` : undefined,
      bytes: files.size(l),
    };
  });
  return { name, configDigest: 'sha256:' + cfg.sha256, config, layers };
}

export function dockerArchiveFiles(file: string): ImageFiles {
  const name = `docker-archive:${file}`;
  if (!fs.existsSync(file)) fail('IMAGE_NOT_FOUND', `${name}: no such file`);
  return tarFiles(file, name);
}
