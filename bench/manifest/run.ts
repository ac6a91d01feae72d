// Benchmark: pack (validate + encode), sign, verify and decode of a 64-container manifest, against
// node:crypto's Ed25519 (OpenSSL) as the baseline, in the same process and run.
// Run: npx tsx bench/manifest/run.ts   (results: bench/README.md, section "manifest")
//      npx tsx bench/manifest/run.ts --quick   (CI: one call per operation, no warm-up; the
//      figures mean nothing, only that the pipeline runs and agrees with node:crypto)
import * as crypto from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { validateManifest } from '../../core/manifest/validate';
import { generateKeyPair, signManifest, verifyManifest } from '../../core/sign';
import { decodeManifest } from '../../core/tlv/decode';
import { encodeManifest } from '../../core/tlv/encode';
import { uuidv7 } from '../../core/uuid';

const SHA = 'ab'.repeat(32);
const site = {
  header: { site: 'bench', security_epoch: 1 },
  network: { bridge_ip4: '10.20.0.1/16', egress_nat: true },
  guest_kernel: { sha256: SHA, size: 6291456 },
  containers: Array.from({ length: 64 }, (_, i) => ({
    name: `svc-${String(i).padStart(2, '0')}`,
    vcpu: 1 + (i % 2),
    mem_mb: 128 * (1 + (i % 8)),
    disk_sha256: SHA,
    disk_size: 1 << 26,
    ip4: `10.20.${1 + (i >> 6)}.${10 + (i & 63)}/16`,
    gw4: '10.20.0.1',
    routes: [{ dest: '192.168.0.0/16', via: '10.20.0.2' }],
    boot_order: i,
    health_timeout_s: 60,
    restart: 'RESTART_ON_FAILURE',
  })),
};

const QUICK = process.argv.includes('--quick');

/** Median time per operation in microseconds over `rounds` rounds of `n` calls. */
function time(fn: () => unknown, n: number, rounds = 5): number {
  if (QUICK) [n, rounds] = [1, 1];
  // Warm up until the JIT has settled (about half a second of calls).
  for (const end = performance.now() + (QUICK ? 0 : 500); performance.now() < end;) fn();
  const per: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t = performance.now();
    for (let i = 0; i < n; i++) fn();
    per.push(((performance.now() - t) * 1000) / n);
  }
  per.sort((a, b) => a - b);
  return per[rounds >> 1];
}

const build = {
  build_uuid: uuidv7(1700000000000, new Uint8Array(16).fill(3)),
  timestamp_ms: 1700000000000,
};
const manifest = validateManifest(site, { build }).manifest!;
const tlv = encodeManifest(manifest);
const seed = new Uint8Array(32).fill(42);
const { secretKey, publicKey } = generateKeyPair(seed);
const sig = signManifest(tlv, secretKey);
const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
const nodeSk = crypto.createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
const nodePk = crypto.createPublicKey({
  key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), publicKey]),
  format: 'der',
  type: 'spki',
});
if (
  !crypto.verify(null, tlv, nodePk, sig) ||
  !Buffer.from(crypto.sign(null, tlv, nodeSk)).equals(Buffer.from(sig))
) {
  throw new Error('node:crypto and core/sign disagree');
}

const r = {
  validate: time(() => validateManifest(site, { build }), 30),
  encode: time(() => encodeManifest(manifest), 200),
  decode: time(() => decodeManifest(tlv), 200),
  signNoble: time(() => signManifest(tlv, secretKey), 30),
  signNode: time(() => crypto.sign(null, tlv, nodeSk), 500),
  verifyNoble: time(() => verifyManifest(sig, tlv, publicKey), 30),
  verifyNode: time(() => crypto.verify(null, tlv, nodePk, sig), 500),
};
const packNoble = r.validate + r.encode + r.signNoble;
const packNode = r.validate + r.encode + r.signNode;

console.log(
  `manifest: 64 containers, ${tlv.length} TLV bytes; median microseconds per operation; load average ${require('node:os').loadavg()[0].toFixed(1)}${QUICK ? '; --quick: one call each, not a measurement' : ''}`,
);
for (const [k, v] of Object.entries(r)) console.log(`  ${k.padEnd(12)} ${v.toFixed(1)}`);
console.log('ratios (lower is better for the first term):');
console.log(
  `  sign   core/sign (@noble) / node:crypto       ${(r.signNoble / r.signNode).toFixed(2)}`,
);
console.log(
  `  verify core/sign (@noble) / node:crypto       ${(r.verifyNoble / r.verifyNode).toFixed(2)}`,
);
console.log(
  `  pack (validate+encode+sign) / node:crypto verify   ${(packNoble / r.verifyNode).toFixed(2)}`,
);
console.log(
  `  pack with @noble sign / pack with node:crypto sign   ${(packNoble / packNode).toFixed(2)}`,
);
console.log(
  `  decode / node:crypto verify                    ${(r.decode / r.verifyNode).toFixed(2)}`,
);
console.log(
  `  validate / encode                              ${(r.validate / r.encode).toFixed(2)}`,
);
