// Guest containment under D0's SVM backend, with exact guest instructions (a tiny bzImage, no
// Linux): a guest that writes outside its memory is stopped with the faulting address logged
// (nested page fault) while D0 stays alive; a guest's status-port write is its exit status.
// QEMU TCG, -cpu EPYC; each boot has a hard timeout and QEMU is always killed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildEspDisk } from '../../builder/disk/esp';
import { assertContiguous, type D0Event } from '../support/events';
import { withQemu } from '../support/qemu';
import { makeLaunchSlot, slotFiles } from './slot';
import { asm, tinyBzImage } from './tiny-kernel';
import { testD0 } from '../support/test-d0';

const TIMEOUT_MS = 180_000;
const MEM_MB = 16;

describe('hv-svm: guest containment with exact guest code', function () {
  this.timeout(TIMEOUT_MS + 240_000);
  let dir: string;
  let efi: Buffer;
  let secretKey: Uint8Array;

  before(async function () {
    this.timeout(300_000);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-svm-iso-'));
    ({ efi, secretKey } = await testD0());
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Boots D0 with one VM "probe" running code; returns the events once D0 halts. */
  async function run(code: number[]): Promise<D0Event[]> {
    const slot = makeLaunchSlot(secretKey, tinyBzImage(code), Buffer.alloc(4096), {
      name: 'probe',
      memMb: MEM_MB,
    });
    const esp = path.join(dir, 'esp.img');
    await buildEspDisk(esp, [{ name: 'ESP_A', label: 'D0_A', files: slotFiles(slot, efi) }]);
    return withQemu({ disk: esp, cpu: 'EPYC', memMb: 256, timeoutMs: TIMEOUT_MS }, async (vm) => {
      await vm.waitFor('halt');
      const events = [...vm.events];
      assertContiguous(events);
      return events;
    });
  }

  const only = (events: D0Event[], ev: string) => events.filter((e) => e.ev === ev);

  it('a write outside guest RAM stops only that VM, with the address logged; D0 stays up', async () => {
    const outside = 0x10000000n; // 256 MiB: far above the VM's 16 MiB, below the device hole
    const events = await run([
      ...asm.print('before-escape\n'),
      ...asm.storeByte(outside),
      ...asm.print('escaped\n'),
      ...asm.haltLoop(),
    ]);
    const lines = only(events, 'console').map((e) => [e.fields.vm, e.fields.line]);
    assert.deepEqual(lines, [['probe', 'before-escape']], 'the store never completed');
    const bad = only(events, 'hv').filter((e) => e.fields.what === 'bad-access');
    assert.equal(bad.length, 2, events.map((e) => e.raw).join('\n')); // the exit, then the stop
    assert.equal(bad[0].fields.a, '0x10000000');
    const stopped = only(events, 'vm_stopped');
    assert.equal(stopped.length, 1);
    assert.equal(stopped[0].fields.state, 'crashed');
    const health = only(events, 'vm_health').map((e) => [e.fields.verdict, e.fields.reason]);
    assert.deepEqual(health, [['failed', 'crashed']]);
    assert.equal(only(events, 'vm_exit').length, 0);
    // D0 ran on its own W^X page tables, and carried on to its own orderly end.
    assert.equal(only(events, 'host_paging')[0].fields.tables, 'd0_wx');
    assert.equal(events.at(-1)!.ev, 'halt');
  });

  it("a status-port write is the VM's exit status (ev=vm_exit), console lines carry the VM's name, quoted", async () => {
    const odd = 'k="v" C:\\ \x1b[0m\xe9\x00 ev=forged';
    const events = await run([...asm.print(`hello from\nthe guest\n${odd}\n`), ...asm.outb(0x501, 42), ...asm.haltLoop()]);
    const lines = only(events, 'console').map((e) => [e.fields.vm, e.fields.line]);
    assert.deepEqual(lines, [
      ['probe', 'hello from'],
      ['probe', 'the guest'],
      ['probe', odd],
    ]);
    // As written on the serial line (logfmt, kernel/log/logfmt.h): quoted, every other byte \xHH.
    const raw = only(events, 'console').map((e) => e.raw.replace(/( ms=\d+)?( uuid=\S+)?$/, ''));
    assert.deepEqual(raw.map((r) => r.replace(/^D0 seq=\d+ /, '')), [
      'ev=console vm=probe line="hello from"',
      'ev=console vm=probe line="the guest"',
      'ev=console vm=probe line="k=\\"v\\" C:\\\\ \\x1b[0m\\xe9\\x00 ev=forged"',
    ]);
    const exit = only(events, 'vm_exit');
    assert.equal(exit.length, 1);
    assert.equal(exit[0].fields.vm, 'probe');
    assert.equal(exit[0].fields.status, '42');
    assert.equal(only(events, 'vm_stopped')[0].fields.state, 'exited');
    const health = only(events, 'vm_health').map((e) => [e.fields.verdict, e.fields.reason]);
    assert.deepEqual(health, [['failed', 'exit-nonzero']]); // status 42, never ready
  });
});
