// The boot log's C implementation (kernel/log) on the host, under ASan/UBSan, and the
// TypeScript parser of the same format (test/support/events.ts) on lines it must accept or ignore.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KERNEL_DIR } from '../../builder/d0-efi/sources';
import { assertContiguous, EventStream, parseEventLine } from '../support/events';

describe('boot log', function () {
  this.timeout(120_000);

  it('kernel/log passes its host test under ASan/UBSan', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-log-'));
    try {
      const bin = path.join(dir, 'test_log');
      const cc = spawnSync(
        'clang-14',
        [
          '-std=c17',
          '-Wall',
          '-Wextra',
          '-Werror',
          '-g',
          '-fsanitize=address,undefined',
          '-fno-sanitize-recover=all',
          '-I',
          KERNEL_DIR,
          'log/log.c',
          'log/fmt.c',
          'log/tests/test_log.c',
          '-o',
          bin,
        ],
        { cwd: KERNEL_DIR, encoding: 'utf8' },
      );
      assert.equal(cc.status, 0, cc.stderr);
      const r = spawnSync(bin, { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /^13 checks passed$/m);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('parses an event line into seq, ev and fields', () => {
    const e = parseEventLine(
      'D0 seq=7 ev=launch_plan name=web vcpu=1 ip=10.20.0.10/24 uuid=01890a5d-ac96-774b-bcce-b302099a8057\r',
    );
    assert.deepEqual(
      { seq: e?.seq, ev: e?.ev, fields: e?.fields },
      {
        seq: 7,
        ev: 'launch_plan',
        fields: {
          name: 'web',
          vcpu: '1',
          ip: '10.20.0.10/24',
          uuid: '01890a5d-ac96-774b-bcce-b302099a8057',
        },
      },
    );
  });

  it('finds an event after firmware console noise and ignores lines that are not events', () => {
    assert.equal(
      parseEventLine('\x1b[2J\x1b[01;01HD0 seq=0 ev=boot_start stage=efi')?.ev,
      'boot_start',
    );
    for (const line of [
      'BdsDxe: starting Boot0001',
      'D0 seq=x ev=a',
      'D0 seq=1',
      'D0 seq=1 ev=a key',
      '',
    ])
      assert.equal(parseEventLine(line), undefined, JSON.stringify(line));
  });

  it('reassembles events split across serial chunks and checks seq has no gaps', () => {
    const s = new EventStream();
    const seen: string[] = [];
    s.onEvent((e) => seen.push(e.ev));
    s.push('noise\r\nD0 seq=0 ev=a k=1\r\nD0 se');
    s.push('q=1 ev=b\r');
    assert.deepEqual(seen, ['a']);
    s.push('\n');
    assert.deepEqual(seen, ['a', 'b']);
    assertContiguous(s.events);
    s.push('D0 seq=3 ev=c\n');
    assert.throws(() => assertContiguous(s.events), /event 2 has seq=3/);
  });
});
