// The last boot's story as `d0 disk status` reads it from D0LastBoot (builder/disk/last-boot.ts):
// the decision and each VM's last verdict first, the story's events after, a cut story and lines
// that are not D0's said so, and hostile bytes never printed raw. The same variable written by D0
// itself under QEMU is read by test/ab/health.test.ts and test/ab/cli.test.ts.
import assert from 'node:assert/strict';
import { decodeLastBoot, describeLastBoot } from '../../builder/disk/last-boot';

const U1 = '01890a5d-ac96-774b-bcce-b302099a8057';
const U2 = '01890a5d-ac96-774b-bcce-b302099a8058';

const story = (lines: string[]) => Buffer.from(lines.map((l) => l + '\n').join(''), 'latin1');

describe('d0 disk status: the last boot story (D0LastBoot)', () => {
  it('a rollback: the reason, each VM last verdict and the failing VM first', () => {
    const s = decodeLastBoot(
      story([
        `D0 seq=3 ev=slot_choice role=trial boot=${U2} slot=B`,
        'D0 seq=9 ev=vm_health vm=web verdict=healthy ms=10',
        'D0 seq=12 ev=vm_health vm=web verdict=failed reason=exit-nonzero ms=20',
        'D0 seq=13 ev=vm_health vm=api verdict=healthy ms=21',
        'D0 seq=14 ev=health_failed vm=web reason=exit-nonzero role=trial',
        `D0 seq=15 ev=rollback from=${U2} to=${U1} reason=health:exit-nonzero`,
      ]),
    );
    assert.equal(s.events.length, 6);
    const out = describeLastBoot(s);
    assert.deepEqual(out.slice(0, 5), [
      `last decision: rollback from ${U2} to ${U1}, reason health:exit-nonzero`,
      '  vm web: failed (exit-nonzero)',
      '  vm api: healthy',
      '  health failed on vm web: exit-nonzero',
      '  story:',
    ]);
    assert.equal(out.at(-1), `    ev=rollback from=${U2} to=${U1} reason=health:exit-nonzero`);
  });

  it('a commit; a cut story and foreign lines are counted, not errors', () => {
    const s = decodeLastBoot(
      story([
        'D0 seq=1 ev=vm_health vm=web verdict=healthy',
        `D0 seq=2 ev=commit boot=${U2} slot=B previous=${U1} role=trial epoch=3`,
        'garbage written by someone else',
        'D0 seq=3 ev=broken "unterminated',
        'D0 ev=story_dropped lines=7',
      ]),
    );
    assert.deepEqual([s.events.length, s.dropped, s.unreadable], [2, 7, 2]);
    const out = describeLastBoot(s);
    assert.equal(out[0], `last decision: commit of ${U2} (slot B, role trial)`);
    assert.ok(out.includes('    (7 later line(s) cut: the story was full)'));
    assert.ok(out.includes('    (2 line(s) not D0 log lines: skipped)'));
  });

  it('escape sequences and control bytes in a value are printed quoted, never raw', () => {
    const s = decodeLastBoot(
      story([
        'D0 seq=1 ev=vm_health vm="\\x1b[2Jevil\\x0aD0 seq=9 ev=commit" verdict=failed reason=crashed',
        'D0 seq=2 ev=health_failed vm="\\x1b[2Jevil\\x0aD0 seq=9 ev=commit" reason=crashed',
      ]),
    );
    const out = describeLastBoot(s).join('\n');
    assert.ok(!out.includes('\x1b'), out);
    assert.equal(out.split('\n')[0], 'last decision: none recorded');
    assert.match(out, /^ {2}vm "\\u001b\[2Jevil\\nD0 seq=9 ev=commit": failed \(crashed\)$/m);
    assert.ok(!/^D0 seq=9/m.test(out));
  });
});
