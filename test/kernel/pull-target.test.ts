// kernel/boot/efi/pull/target.c and url.c on the host (ASan + UBSan): what D0 takes from an update
// server's pointer (hosts/<host>.d0ptr: signature || manifest) before it fetches a byte of a build.
// A pointer that is short, signed by another key, altered anywhere (every signature byte, a sample
// of manifest bytes), or signed but not a manifest is refused with its reason; a verified target is
// installed only when newer than the running build (older wins over every other reason), not the
// build last refused, not below the epoch floor, with the loader digest, and within the semantic
// rules; the URLs asked for are joined without ever being cut. kernel/tests/test_pull_target.c.
import assert from 'node:assert/strict';
import { bin, build, run, summary } from './host-build';

describe('kernel pull target rules (host build)', function () {
  this.timeout(5 * 60_000);
  before(() => build('kernel/build/host/test_pull_target'));

  it('refuses every bad pointer and installs only a newer, allowed build', async () => {
    const r = await run(bin('test_pull_target'), [], 60_000);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const s = summary(r.stdout, 'pull_target');
    assert.equal(s.failed, 0);
    assert.ok(s.checks > 250, `only ${s.checks} checks ran`);
  });
});
