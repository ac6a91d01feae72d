// Differential cases for the C Ed25519 verifier (kernel/crypto/), generated with @noble/ed25519.
//
// Each case carries @noble's strict verdict (verify(..., { zip215: false })) and the verdict D0
// must give, which is the product's TypeScript verifier's (core/sign.ts verifyManifest, what
// `d0 manifest verify` runs): one verifier truth in both languages. They equal @noble's for every
// class except `small_order_r`: both reject a small-order R, which @noble's strict mode accepts
// when the cofactored equation holds (kernel/crypto/ed25519_verify.c explains why). The generator
// is deterministic for a given seed, so a failing case can be reproduced.
//
// Line format (one case per line, fields separated by one space, bytes in lowercase hex, an
// empty message as "-"):  CLASS NOBLE EXPECT SIG PUB MSG
import * as ed from '@noble/ed25519';
import crypto from 'node:crypto';
import { verifyManifest } from '../../core/sign';

// SHA-512 for @noble is node:crypto's, set by core/sign.ts (imported above): @noble/hashes' own
// is ~40x slower under tsx, and every case is verified twice (by @noble and by core/sign.ts).
const sha512 = (b: Uint8Array) => new Uint8Array(crypto.createHash('sha512').update(b).digest());

const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const P = 2n ** 255n - 19n;

/** The 8 torsion points (canonical encodings), as in kernel/tests/test_ed25519.c. */
const TORSION = [
  '0100000000000000000000000000000000000000000000000000000000000000',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0000000000000000000000000000000000000000000000000000000000000080',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
].map((h) => Uint8Array.from(Buffer.from(h, 'hex')));

/** xorshift128+: a small deterministic generator (test data only, not for keys in use). */
export class Rng {
  private s0: bigint;
  private s1: bigint;
  constructor(seed: number) {
    this.s0 = BigInt(seed) * 0x9e3779b97f4a7c15n + 1n;
    this.s1 = BigInt(seed) ^ 0xda3e39cb94b95bdbn;
    for (let i = 0; i < 8; i++) this.next();
  }
  next(): bigint {
    const M = (1n << 64n) - 1n;
    let x = this.s0;
    const y = this.s1;
    this.s0 = y;
    x ^= (x << 23n) & M;
    this.s1 = x ^ y ^ (x >> 17n) ^ (y >> 26n);
    return (this.s1 + y) & M;
  }
  int(n: number): number {
    return Number(this.next() % BigInt(n));
  }
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = Number(this.next() & 0xffn);
    return b;
  }
}

const le = (b: Uint8Array): bigint => {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  return v;
};
const toLe = (v: bigint, n = 32): Uint8Array => {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++, v >>= 8n) b[i] = Number(v & 0xffn);
  return b;
};
const cat = (...p: Uint8Array[]): Uint8Array => Uint8Array.from(Buffer.concat(p));
const hex = (b: Uint8Array): string => (b.length ? Buffer.from(b).toString('hex') : '-');
const flip = (b: Uint8Array, bit: number): Uint8Array => {
  const c = Uint8Array.from(b);
  c[bit >> 3] ^= 1 << (bit & 7);
  return c;
};
const challenge = (r: Uint8Array, a: Uint8Array, m: Uint8Array): bigint => le(sha512(cat(r, a, m))) % L;

export interface Case {
  readonly cls: string;
  readonly sig: Uint8Array;
  readonly pub: Uint8Array;
  readonly msg: Uint8Array;
}

export const CLASSES = [
  'valid',
  'sig_bitflip',
  'msg_bitflip',
  'key_bitflip',
  'wrong_key',
  's_plus_l',
  'random_sig',
  'noncanonical_r',
  'noncanonical_a',
  'small_order_a',
  'small_order_r',
  'mixed_order_r',
] as const;

/** How many cases of each class; 10,800 in total. */
export const DEFAULT_COUNTS: Readonly<Record<(typeof CLASSES)[number], number>> = {
  valid: 3000,
  sig_bitflip: 2000,
  msg_bitflip: 1500,
  key_bitflip: 1000,
  wrong_key: 500,
  s_plus_l: 500,
  random_sig: 500,
  noncanonical_r: 300,
  noncanonical_a: 300,
  small_order_a: 400,
  small_order_r: 400,
  mixed_order_r: 400,
};

interface Signer {
  pub: Uint8Array;
  scalar: bigint;
  key: crypto.KeyObject;
}

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** A key pair: public key and secret scalar from @noble; signing through node:crypto
 * (OpenSSL), only because it is much faster. The `valid` class checks both agree. */
function signer(rng: Rng): Signer {
  const seed = rng.bytes(32);
  const e = ed.utils.getExtendedPublicKey(seed);
  const key = crypto.createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  return { pub: e.pointBytes, scalar: e.scalar, key };
}

const SIGNERS = 48;

/** A non-canonical encoding y + p of a field element y < 19, with a random sign bit. */
function nonCanonical(rng: Rng): Uint8Array {
  const enc = toLe(P + BigInt(rng.int(19)));
  if (rng.int(2)) enc[31] |= 0x80;
  return enc;
}

function makeCase(cls: (typeof CLASSES)[number], rng: Rng, signers: readonly Signer[]): Case {
  const s = signers[rng.int(signers.length)];
  const msg = rng.bytes(rng.int(4) === 0 ? rng.int(4) : rng.int(300));
  const sig = Uint8Array.from(crypto.sign(null, msg, s.key));
  const rB = (r: bigint) => ed.Point.BASE.multiply(r).toBytes();
  switch (cls) {
    case 'valid':
      return { cls, sig, pub: s.pub, msg };
    case 'sig_bitflip':
      return { cls, sig: flip(sig, rng.int(512)), pub: s.pub, msg };
    case 'msg_bitflip':
      return { cls, sig, pub: s.pub, msg: msg.length ? flip(msg, rng.int(msg.length * 8)) : Uint8Array.of(rng.int(256)) };
    case 'key_bitflip':
      return { cls, sig, pub: flip(s.pub, rng.int(256)), msg };
    case 'wrong_key':
      return { cls, sig, pub: signers[(signers.indexOf(s) + 1 + rng.int(signers.length - 1)) % signers.length].pub, msg };
    case 's_plus_l':
      return { cls, sig: cat(sig.subarray(0, 32), toLe(le(sig.subarray(32)) + L)), pub: s.pub, msg };
    case 'random_sig':
      return { cls, sig: rng.bytes(64), pub: s.pub, msg };
    case 'noncanonical_r':
      return { cls, sig: cat(nonCanonical(rng), sig.subarray(32)), pub: s.pub, msg };
    case 'noncanonical_a':
      return { cls, sig, pub: nonCanonical(rng), msg };
    case 'small_order_a': {
      // A in the torsion subgroup: (R = [r]B, S = r) satisfies [8]SB = [8]R + [8]kA for any message.
      const r = (le(rng.bytes(32)) % (L - 1n)) + 1n;
      return { cls, sig: cat(rB(r), toLe(r)), pub: TORSION[rng.int(8)], msg };
    }
    case 'small_order_r': {
      // R in the torsion subgroup, S = k a: [8]SB = [8]kA, so the cofactored equation holds.
      const R = TORSION[rng.int(8)];
      const S = (challenge(R, s.pub, msg) * s.scalar) % L;
      return { cls, sig: cat(R, toLe(S)), pub: s.pub, msg };
    }
    case 'mixed_order_r': {
      // R = [r]B + T with T of order 8 (never the identity), S = r + k a.
      const r = (le(rng.bytes(32)) % (L - 1n)) + 1n;
      const T = ed.Point.fromBytes(TORSION[4 + rng.int(4)]);
      const R = ed.Point.BASE.multiply(r).add(T).toBytes();
      const S = (r + challenge(R, s.pub, msg) * s.scalar) % L;
      return { cls, sig: cat(R, toLe(S)), pub: s.pub, msg };
    }
  }
}

/** @noble's strict verdict; a thrown error (malformed input) counts as a rejection. */
export function nobleStrict(c: Case): boolean {
  try {
    return ed.verify(c.sig, c.msg, c.pub, { zip215: false });
  } catch {
    return false;
  }
}

/** The verdict D0 must give: the TypeScript verifier's (core/sign.ts). */
export function d0Expected(c: Case): boolean {
  return verifyManifest(c.sig, c.msg, c.pub);
}

/** The documented policy, stated apart from both verifiers: @noble's verdict, except that a
 * small-order R (one of the 8 torsion encodings) is always rejected. */
export function policyVerdict(c: Case, noble: boolean): boolean {
  const rSmallOrder = TORSION.some((t) => Buffer.from(t).equals(Buffer.from(c.sig.subarray(0, 32))));
  return noble && !rSmallOrder;
}

export interface Generated {
  readonly text: string;
  readonly total: number;
  /** Per class: cases, and how many @noble accepts. */
  readonly stats: Record<string, { cases: number; nobleAccepts: number; d0Accepts: number }>;
}

export function generateCases(seed: number, counts = DEFAULT_COUNTS): Generated {
  const rng = new Rng(seed);
  const signers = Array.from({ length: SIGNERS }, () => signer(rng));
  const lines: string[] = [];
  const stats: Generated['stats'] = {};
  for (const cls of CLASSES) {
    const st = (stats[cls] = { cases: 0, nobleAccepts: 0, d0Accepts: 0 });
    for (let i = 0; i < counts[cls]; i++) {
      const c = makeCase(cls, rng, signers);
      const noble = nobleStrict(c);
      const expect = d0Expected(c);
      if (expect !== policyVerdict(c, noble))
        throw new Error(`${cls}: core/sign.ts says ${expect} against the documented policy`);
      st.cases++;
      st.nobleAccepts += noble ? 1 : 0;
      st.d0Accepts += expect ? 1 : 0;
      lines.push(`${cls} ${noble ? 1 : 0} ${expect ? 1 : 0} ${hex(c.sig)} ${hex(c.pub)} ${hex(c.msg)}`);
    }
  }
  return { text: lines.join('\n') + '\n', total: lines.length, stats };
}
