// Shared by the property tests of the converter's pure parts (test/oci/props/).
import fc from 'fast-check';
import type { ImageError } from '../../../core/image/errors';
import type { TarFormatError } from '../../../core/image/tar-header';

export const RUNS = { numRuns: 300 };
export const binary = (min: number, max: number, exclude: number[] = []) =>
  fc.uint8Array({ minLength: min, maxLength: max }).map((b) => Buffer.from(b.map((c) => (exclude.includes(c) ? 0x41 : c))).toString('latin1'));

/** Runs f; a TarFormatError (or ImageError when allowed) is a refusal, anything else fails the property. */
export function refusedOnlyWith<T>(f: () => T, ...kinds: (typeof TarFormatError | typeof ImageError)[]): T | undefined {
  try {
    return f();
  } catch (e) {
    if (kinds.some((k) => e instanceof k)) return undefined;
    throw e;
  }
}
