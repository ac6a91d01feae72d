// Bounds on what a layer may ask for. Anything beyond is an absurd (or hostile) archive and is
// rejected before a byte of it is written.
export interface Limits {
  maxFileBytes: number;
  maxTotalBytes: number; // sum of all file contents of all layers
  maxEntries: number; // all layers together
  maxJsonBytes: number; // manifests, indexes, configs
}

export const DEFAULT_LIMITS: Limits = {
  maxFileBytes: 16 * 2 ** 30,
  maxTotalBytes: 64 * 2 ** 30,
  maxEntries: 2_000_000,
  maxJsonBytes: 4 * 2 ** 20,
};

/** Running totals shared by every layer of one build. */
export class Budget {
  bytes = 0;
  entries = 0;
  /**
   * @param spillAt content bytes the caller's scratch space can take; past it the read stops
   *   with ScratchFull (not an error of the image: the caller retries with more room).
   */
  constructor(
    readonly limits: Limits,
    readonly spillAt?: number,
  ) {}
}

export class ScratchFull extends Error {
  constructor(bytes: number) {
    super(`layer contents passed ${bytes} bytes, more than the scratch space allows`);
    this.name = 'ScratchFull';
  }
}
