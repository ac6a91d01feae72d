// The QEMU harness itself: a hard timeout ends the run and QEMU is gone afterwards, whatever the
// test callback does; the TPM 1.2 stand-in it adds runs exactly as long as QEMU.
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

/** swtpm processes serving this socket (QEMU's own command line names it too). */
const swtpmPids = (socket: string) => qemuPids(`^swtpm socket .*${socket}`);

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

  it('gives QEMU a TPM 1.2 stand-in (swtpm) unless told not to, and stops it with QEMU', async () => {
    /** QEMU's TPM socket and whether a swtpm serves it, read while QEMU runs. */
    const tpmOf = (): { socket?: string; swtpm: boolean } => {
      const [pid] = qemuPids(disk);
      const args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const chardev = args.find((a) => a.startsWith('socket,id=chrtpm,path='));
      const socket = chardev?.slice('socket,id=chrtpm,path='.length);
      return { socket, swtpm: socket !== undefined && swtpmPids(socket).length > 0 };
    };
    const standIn = await withQemu({ disk, timeoutMs: 60_000 }, async () => tpmOf());
    assert.ok(standIn.socket && standIn.swtpm, JSON.stringify(standIn));
    assert.deepEqual(swtpmPids(standIn.socket!), [], 'swtpm is gone with QEMU');
    const none = await withQemu({ disk, timeoutMs: 60_000, tpm12StandIn: false }, async () =>
      tpmOf(),
    );
    assert.deepEqual(none, { socket: undefined, swtpm: false });
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
