// UUIDs (RFC 9562): UUIDv7 generation with the clock and randomness passed in, and strict parsing.
import { v7 } from 'uuid';
import { D0Error } from './errors';

const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A UUIDv7 from a millisecond timestamp and 16 random bytes (only the bytes the layout uses). */
export function uuidv7(nowMs: number, random: Uint8Array): string {
  if (!Number.isSafeInteger(nowMs) || nowMs < 0 || nowMs >= 2 ** 48) {
    throw new D0Error('UUID', `timestamp ${nowMs} is not a 48-bit millisecond count`);
  }
  if (random.length !== 16)
    throw new D0Error('UUID', `UUIDv7 needs 16 random bytes, got ${random.length}`);
  // With msecs and random given, uuid derives the counter bits from `random` and keeps no state,
  // so the result depends on (nowMs, random) only.
  return v7({ msecs: nowMs, random });
}

/** Canonical lowercase text -> 16 bytes. Throws D0Error('UUID') on anything else. */
export function parseUuid(text: string): Uint8Array {
  if (typeof text !== 'string' || !UUID_TEXT.test(text)) {
    throw new D0Error('UUID', `${JSON.stringify(text)} is not a UUID in canonical lowercase form`);
  }
  const hex = text.replace(/-/g, '');
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function formatUuid(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new D0Error('UUID', `a UUID is 16 bytes, got ${bytes.length}`);
  const h = Buffer.from(bytes).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Version nibble 7 and RFC 9562 variant (bits 10). Accepts bytes or canonical text. */
export function isUuidV7(u: Uint8Array | string): boolean {
  let b: Uint8Array;
  if (typeof u === 'string') {
    if (!UUID_TEXT.test(u)) return false;
    b = parseUuid(u);
  } else b = u;
  return b.length === 16 && b[6] >> 4 === 7 && (b[8] & 0xc0) === 0x80;
}

/** The 48-bit millisecond timestamp of a UUIDv7. */
export function uuidv7Time(u: string): number {
  const b = parseUuid(u);
  let ms = 0;
  for (let i = 0; i < 6; i++) ms = ms * 256 + b[i];
  return ms;
}
