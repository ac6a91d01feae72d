// What every source produces: the config, its digest (the image's identity and the cache key)
// and the layers in application order, each checked against config.rootfs.diff_ids.
import { fail } from './errors';
import type { ImageConfig } from './image-config';
import { checkPlatform } from './image-config';
import type { LayerRecord } from './layer-entry';

export interface ResolvedImage {
  name: string;
  configDigest: string; // sha256:<hex> of the config bytes
  config: ImageConfig;
  layers: LayerRecord[];
}

export function checkConfigAndLayers(name: string, config: ImageConfig, layers: LayerRecord[]): void {
  if (typeof config !== 'object' || config === null) fail('FORMAT_INVALID', `${name}: config is not a JSON object`);
  checkPlatform(config, name);
  const diffIds = config.rootfs?.diff_ids;
  if (!Array.isArray(diffIds)) fail('FORMAT_INVALID', `${name}: config has no rootfs.diff_ids`);
  if (diffIds.length !== layers.length)
    fail('FORMAT_INVALID', `${name}: config lists ${diffIds.length} layers, the manifest ${layers.length}`);
  layers.forEach((layer, i) => {
    if (layer.diffId !== diffIds[i])
      fail('DIGEST_MISMATCH', `${name}: ${layer.label}: uncompressed sha256 is ${layer.diffId}, config rootfs.diff_ids[${i}] says ${diffIds[i]}`);
  });
}
