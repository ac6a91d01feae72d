// Two VMs of one build run the same tiny guest kernel under D0's SVM backend: it stores a byte at
// 96 MiB, reads it back, then prints a line and ticks (one console line per HLT) before exiting 0
// through the status port. The 96 MiB store is inside "good" (128 MiB) and outside "bad"
// (64 MiB): bad is stopped by a nested page fault with the address logged, while good keeps
// running after that (its ticks come after bad's stop) and exits 0, and D0 reaches its own end.
// The round-robin order of the two VMs' first slices depends on host timer ticks, so only the
// order that must hold is asserted.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { D0Event } from '../support/events';
import {
  buildD0,
  consoleOf,
  dump,
  indexOfOnly,
  RUN_TIMEOUT_MS,
  runVms,
  type D0Build,
} from './two-vms-run';
import { asm, Cond, Program, Reg } from './tiny-kernel';

const PROBE = 0x6000000n; // 96 MiB
const TICKS = 5;

/** The guest: store, read back (exit 2 if the byte is not there), a line, TICKS ticks, exit 0. */
const guest = new Program()
  .emit(asm.storeByte(PROBE), asm.loadByte(PROBE), asm.cmpEax(1))
  .exitIf(Cond.NE, 2)
  .emit(asm.print('memory-ok\n'))
  .repeat(TICKS, [asm.print('tick '), asm.printDecimal(Reg.RBX), asm.print('\n'), asm.hlt()])
  .emit(asm.outb(0x501, 0), asm.haltLoop())
  .bytes();

describe('hv-svm: two VMs, one faults on memory outside its RAM, the other keeps running', function () {
  this.timeout(RUN_TIMEOUT_MS + 300_000);
  let b: D0Build;
  let events: D0Event[];

  before(async function () {
    this.timeout(RUN_TIMEOUT_MS + 300_000);
    b = await buildD0('d0-svm-two-');
    events = await runVms(b, guest, [
      { name: 'good', memMb: 128, bootOrder: 1, health: 'HEALTH_EXIT_ZERO' },
      { name: 'bad', memMb: 64, bootOrder: 2, health: 'HEALTH_EXIT_ZERO' },
    ]);
  });
  after(() => b && fs.rmSync(b.dir, { recursive: true, force: true }));

  it('both VMs start, in boot order, with their own RAM sizes', () => {
    const starts = events
      .filter((e) => e.ev === 'vm_start')
      .map((e) => [e.fields.vm, e.fields.mem_bytes]);
    assert.deepEqual(starts, [
      ['good', String(128 << 20)],
      ['bad', String(64 << 20)],
    ]);
  });

  it('bad is stopped by the nested page fault at 96 MiB, before its store completes', () => {
    assert.deepEqual(
      consoleOf(events, 'bad'),
      [],
      'bad printed nothing: its store never completed',
    );
    const access = events.flatMap((e, i) =>
      e.ev === 'hv' && e.fields.what === 'bad-access' ? [i] : [],
    );
    assert.deepEqual(
      access.map((i) => [events[i].fields.vm, events[i].fields.dev, events[i].fields.err]),
      [
        ['bad', 'exit', 'gpa-out-of-range'], // the nested page fault exit
        ['bad', 'vm', 'gpa-out-of-range'], // the VM's stop
      ],
      dump(events),
    );
    assert.equal(events[access[0]].fields.a, '0x6000000', 'the faulting guest-physical address');
    const stop = indexOfOnly(
      events,
      (e) => e.ev === 'vm_stopped' && e.fields.vm === 'bad',
      'stop of bad',
    );
    assert.ok(access[1] < stop, dump(events));
    assert.equal(events[stop].fields.state, 'crashed');
    assert.equal(events[stop].fields.err, 'gpa-out-of-range');
    assert.equal(events.filter((e) => e.ev === 'vm_exit' && e.fields.vm === 'bad').length, 0);
  });

  it("good's ticks continue after bad's stop, then good exits 0, then D0 halts", () => {
    const lines = consoleOf(events, 'good');
    assert.deepEqual(
      lines.map(([, l]) => l),
      ['memory-ok', ...Array.from({ length: TICKS }, (_, i) => `tick ${i + 1}`)],
      dump(events),
    );
    const stop = indexOfOnly(
      events,
      (e) => e.ev === 'vm_stopped' && e.fields.vm === 'bad',
      'stop of bad',
    );
    const exit = indexOfOnly(events, (e) => e.ev === 'vm_exit', 'vm_exit');
    const ticks = lines.slice(1).map(([i]) => i);
    assert.ok(
      ticks.some((i) => i > stop),
      `good ticked after bad stopped:\n${dump(events)}`,
    );
    assert.ok(ticks.at(-1)! < exit && stop < exit, dump(events));
    assert.equal(events[exit].fields.vm, 'good');
    assert.equal(events[exit].fields.status, '0');
    const goodStop = indexOfOnly(
      events,
      (e) => e.ev === 'vm_stopped' && e.fields.vm === 'good',
      'stop of good',
    );
    assert.equal(events[goodStop].fields.state, 'exited');
    assert.ok(exit < goodStop);
    assert.equal(events.at(-1)!.ev, 'halt', 'D0 carried on to its own orderly end');
    assert.equal(events.at(-1)!.fields.vms, '2');
  });

  it('health: bad failed (crashed), good healthy (exit-zero); good never faulted', () => {
    const health = events
      .filter((e) => e.ev === 'vm_health')
      .map((e) => [e.fields.vm, e.fields.verdict, e.fields.reason]);
    assert.deepEqual(health, [
      ['bad', 'failed', 'crashed'],
      ['good', 'healthy', 'exit-zero'],
    ]);
    // No hypervisor event (bad access, unclaimed port, stop) concerns good.
    assert.deepEqual(
      events.filter((e) => e.ev === 'hv' && e.fields.vm === 'good').map((e) => e.raw),
      [],
    );
  });
});
