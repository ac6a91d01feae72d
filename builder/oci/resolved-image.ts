// What every source resolves to before a layer is read: the config, its digest (the image's
// identity and the cache key) and the layers in application order, each to be checked against
// config.rootfs.diff_ids as it is read.
import type { Readable } from 'node:stream';
import { fail } from '../../core/image/errors';
import type { ImageConfig } from '../../core/image/image-config';
import { checkPlatform } from '../../core/image/image-config';

export interface LayerRef {
  /** How errors name the layer: "layer 2 (sha256:ab12...)". */
  label: string;
  open(): Readable;
  /** The stored blob's digest where the source declares one (OCI descriptors, `blobs/sha256/<hex>` names). */
  storedDigest?: string;
  /** The stored blob's size in bytes, where the source knows it without reading (archives, layouts). */
  bytes?: number;
  /** The size the source's descriptor declares for the blob (OCI descriptors). */
  declaredSize?: number;
  /** config.rootfs.diff_ids[i]: the uncompressed tar's sha256. */
  diffId: string;
}

export interface ResolvedImage {
  name: string;
  configDigest: string; // sha256:<hex> of the config bytes
  config: ImageConfig;
  layers: LayerRef[];
}

/** The config's platform and diff_ids against the manifest's layer list; the layers' bytes are checked as they are read. */
export function checkConfig(name: string, config: ImageConfig, layerCount: number): string[] {
  if (typeof config !== 'object' || config === null) fail('FORMAT_INVALID', `${name}: config is not a JSON object`);
  checkPlatform(config, name);
  const diffIds = config.rootfs?.diff_ids;
  if (!Array.isArray(diffIds) || !diffIds.every((d) => typeof d === 'string'))
    fail('FORMAT_INVALID', `${name}: config has no rootfs.diff_ids`);
  if (diffIds.length !== layerCount)
    fail('FORMAT_INVALID', `${name}: config lists ${diffIds.length} layers, the manifest ${layerCount}`);
  return diffIds;
}
