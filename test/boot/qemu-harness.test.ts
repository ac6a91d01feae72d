// The QEMU harness itself: a hard timeout ends the run and QEMU is gone afterwards, whatever the
// test callback does.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildEspDisk } from '../../builder/disk/esp';
import { QemuTimeout, withQemu } from '../support/qemu';

function qemuPids(marker: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', marker], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

describe('QEMU + OVMF harness', function () {
  this.timeout(120_000);
  let dir: string;
  let disk: string;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-harness-'));
    disk = path.join(dir, 'empty-esp.img'); // the path is unique, so it identifies this test's QEMU
    await buildEspDisk(disk, [{ name: 'ESP_A', label: 'EMPTY', files: [] }]);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('rejects a wait at the hard timeout and kills QEMU', async () => {
    let sawQemu = false;
    await assert.rejects(
      withQemu({ disk, timeoutMs: 4000 }, async (vm) => {
        sawQemu = qemuPids(disk).length > 0;
        await vm.waitFor('boot_start'); // nothing on this disk ever logs it
      }),
      QemuTimeout,
    );
    assert.ok(sawQemu, 'QEMU was running during the callback');
    assert.deepEqual(qemuPids(disk), []);
  });

  it('kills QEMU when the callback throws', async () => {
    await assert.rejects(
      withQemu({ disk, timeoutMs: 60_000 }, async () => {
        throw new Error('test failure');
      }),
      /test failure/,
    );
    assert.deepEqual(qemuPids(disk), []);
  });
});
