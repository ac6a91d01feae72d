// Record framing: tag u16le | len u32le | value. Also used to build deliberately malformed inputs
// for the golden vectors and tests.
import { RECORD_HEADER_LEN } from './tags';

export function record(tag: number, value: Uint8Array): Uint8Array {
  const out = new Uint8Array(RECORD_HEADER_LEN + value.length);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, tag, true);
  dv.setUint32(2, value.length, true);
  out.set(value, RECORD_HEADER_LEN);
  return out;
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Bytewise comparison; a proper prefix sorts first. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}
