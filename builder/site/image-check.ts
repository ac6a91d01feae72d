// What a plan (`pulumi preview`) checks of an archive or layout image's layers without converting
// it. Resolving the source (image-digest.ts) has already checked, by seeking: the tar's headers
// (a member or header running past the end of the file, i.e. a cut archive, is refused), that index.json or
// manifest.json, each manifest and the config parse and match their digests, the platform, the
// number of diff_ids, and that every listed layer blob is present.
//
// Checked here, per layer: the blob is not empty; its size equals the size its OCI descriptor
// declares; and for a blob of at most CHEAP_DIGEST_BYTES, its sha256 against the declared digest
// (an OCI descriptor, or a docker-archive `blobs/sha256/<hex>` name), or, for an uncompressed
// docker-archive `layer.tar`, against the config's diff_id.
//
// Not checked until conversion (which checks every byte as it streams): the digests of larger
// blobs, the diff_ids of compressed layers, and the layers' tar entries.
import crypto from 'node:crypto';
import { fail } from '../../core/image/errors';
import type { LayerRef, ResolvedImage } from '../oci/resolved-image';

/** Blobs up to this size are hashed at plan time: about 50 ms each on one core. */
export const CHEAP_DIGEST_BYTES = 16 << 20;

const GZIP = Buffer.from([0x1f, 0x8b]);
const ZSTD = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

export async function checkLayers(image: ResolvedImage): Promise<void> {
  for (const layer of image.layers) await checkLayer(layer);
}

async function checkLayer(layer: LayerRef): Promise<void> {
  const { label, bytes, declaredSize } = layer;
  if (bytes === 0) fail('FORMAT_INVALID', `${label}: the blob is empty`);
  if (bytes !== undefined && declaredSize !== undefined && bytes !== declaredSize)
    fail(
      'FORMAT_INVALID',
      `${label}: the blob has ${bytes} bytes, its descriptor says ${declaredSize}`,
    );
  if (bytes === undefined || bytes > CHEAP_DIGEST_BYTES) return;
  const { sha256, head } = await hashBlob(layer);
  if (layer.storedDigest !== undefined) {
    if (sha256 !== layer.storedDigest)
      fail('DIGEST_MISMATCH', `${label}: blob ${layer.storedDigest} has sha256 ${sha256}`);
  } else if (!head.subarray(0, 2).equals(GZIP) && !head.subarray(0, 4).equals(ZSTD)) {
    // An uncompressed layer: its bytes are the tar the diff_id names.
    if (sha256 !== layer.diffId)
      fail(
        'DIGEST_MISMATCH',
        `${label}: sha256 is ${sha256}, config rootfs.diff_ids says ${layer.diffId}`,
      );
  }
}

async function hashBlob(layer: LayerRef): Promise<{ sha256: string; head: Buffer }> {
  const hash = crypto.createHash('sha256');
  let head = Buffer.alloc(0);
  for await (const chunk of layer.open()) {
    const b = chunk as Buffer;
    if (head.length < 4) head = Buffer.concat([head, b.subarray(0, 4 - head.length)]);
    hash.update(b);
  }
  return { sha256: 'sha256:' + hash.digest('hex'), head };
}
