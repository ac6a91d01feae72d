// kernel/crypto on the host (ASan + UBSan): SHA-256/512 (FIPS 180 vectors, every length
// 0..1100 against libsodium, incremental) and Ed25519 verify (RFC 8032 §7.1 vectors, bit flips,
// S + L, non-canonical / off-curve / small-order points, the cofactored equation), plus the
// freestanding UEFI compile + /nodefaultlib link of all of kernel/lib, crypto and manifest.
import assert from 'node:assert/strict';
import { bin, build, run, summary } from './host-build';

describe('kernel crypto (host build)', function () {
  this.timeout(10 * 60_000);
  before(() => build('all'));

  it('SHA-256 and SHA-512 match FIPS 180 and libsodium for every length 0..1100', async () => {
    const r = await run(bin('test_sha2'), [], 120_000);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const s = summary(r.stdout, 'sha2');
    assert.equal(s.failed, 0);
    // 5 FIPS vectors (2-4 checks each) + 1101 lengths x 4 checks
    assert.ok(s.checks >= 1101 * 4 + 10, `only ${s.checks} checks ran`);
  });

  it('Ed25519: RFC 8032 vectors pass; every bit flip, S + L, bad and small-order points fail', async () => {
    const r = await run(bin('test_ed25519'), [], 300_000);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const s = summary(r.stdout, 'ed25519');
    assert.equal(s.failed, 0);
    assert.ok(s.checks > 7000, `only ${s.checks} checks ran`);
  });

  it('compiles for x86_64-unknown-windows with the UEFI flags and links with /nodefaultlib', async () => {
    // build('all') includes efi-check; a frame over 4000 bytes or a libcall would have failed it.
    const r = await run('make', ['-f', 'kernel/host.mk', '-q', 'efi-check'], 60_000);
    assert.equal(r.code, 0, 'efi-check is up to date after the build');
  });
});
