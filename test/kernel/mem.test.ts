// kernel/lib/mem.c on the host (ASan + UBSan): D0's own memcpy and memset (REP MOVSQ/STOSQ for
// the words, REP MOVSB/STOSB for the tail), which only the UEFI build links, compiled under other
// names and checked byte by byte against a plain loop for every length to 80 and around a page,
// every destination offset, with guard bytes on both sides. kernel/tests/test_mem.c has the cases.
import assert from 'node:assert/strict';
import { bin, build, run, summary } from './host-build';

describe('kernel memcpy and memset (host build)', function () {
  this.timeout(5 * 60_000);
  before(() => build('kernel/build/host/test_mem'));

  it('copy and fill every length and offset exactly, nothing outside', async () => {
    const r = await run(bin('test_mem'), [], 60_000);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const s = summary(r.stdout, 'mem');
    assert.equal(s.failed, 0);
    assert.ok(s.checks > 7_000, `only ${s.checks} checks ran`);
  });
});
