// Bounds on what an image may ask for, counted on the bytes that really arrive (not on what the
// headers declare): anything beyond is an absurd or hostile image and is refused with the layer,
// the entry and the limit named (LIMIT_EXCEEDED).
export interface Limits {
  maxFileBytes: number;
  /** Uncompressed layer bytes of all layers together (tar headers included). */
  maxTotalBytes: number;
  /** Uncompressed bytes per stored byte of one layer, checked once a layer passes expansionFloorBytes. */
  maxExpansion: number;
  expansionFloorBytes: number;
  maxEntries: number; // all layers together
  /**
   * Metadata the converter holds for all layers together, counted per entry as its name, link
   * target and xattrs plus ENTRY_OVERHEAD_BYTES: what bounds the heap, since file contents are
   * never held (2 M entries of 4 KiB paths and xattrs would otherwise fit every other limit).
   */
  maxMetadataBytes: number;
  /** Path components of an entry (the 4,096-byte path limit allows ~2,000). */
  maxDepth: number;
  /** One extended attribute value (Linux's XATTR_SIZE_MAX is 64 KiB; one ext4 block holds them all). */
  maxXattrValueBytes: number;
  maxJsonBytes: number; // manifests, indexes, configs
}

export const DEFAULT_LIMITS: Limits = {
  maxFileBytes: 16 * 2 ** 30,
  maxTotalBytes: 64 * 2 ** 30,
  maxExpansion: 200,
  expansionFloorBytes: 64 * 2 ** 20,
  maxEntries: 2_000_000,
  maxMetadataBytes: 512 * 2 ** 20,
  maxDepth: 1024,
  maxXattrValueBytes: 4000,
  maxJsonBytes: 4 * 2 ** 20,
};

/** What one entry of the merged tree costs besides its own bytes (objects, maps, the record). */
export const ENTRY_OVERHEAD_BYTES = 200;

/** Running totals shared by every layer of one build. */
export class Budget {
  bytes = 0; // uncompressed layer bytes so far
  entries = 0;
  metadataBytes = 0;
  constructor(readonly limits: Limits) {}
}
