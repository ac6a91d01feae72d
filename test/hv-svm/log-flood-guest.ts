// The guest of the log-fairness tests (test/hv-svm/log-flood.test.ts under QEMU,
// test/hv-vmx/log-flood.test.ts under Bochs): two VMs told apart by their RAM size (the e820
// map in boot_params). `flood` prints FLOOD_LINES console lines as fast as it can and exits 0;
// `steady` prints `tick 1`..`tick 5` between HLTs and exits 0.
import assert from 'node:assert/strict';
import type { D0Event } from '../support/events';
import type { VmSpec } from './slot';
import { asm, Cond, Program, Reg } from './tiny-kernel';
import { dump } from './two-vms-run';

export const FLOOD_LINES = 50_000;
const TICKS = 5;
const FLOOD_MB = 18;
const E820_ENTRY1_SIZE = 0x2d0 + 20 + 8;
/** kernel/hv/log_budget.h */
export const CONSOLE_BURST = 500;
export const CONSOLE_RATE = 50;

export function logFloodGuest(): number[] {
  return new Program()
    .emit(asm.loadDwordAt(Reg.RSI, E820_ENTRY1_SIZE), asm.cmpEax((FLOOD_MB - 1) * 2 ** 20))
    .jcc(Cond.E, 'flood')
    .repeat(TICKS, [asm.print('tick '), asm.printDecimal(Reg.RBX), asm.print('\n'), asm.hlt()])
    .emit(asm.outb(0x501, 0), asm.haltLoop())
    .label('flood')
    .repeat(FLOOD_LINES, [asm.print('f\n')])
    .emit(asm.outb(0x501, 0), asm.haltLoop())
    .bytes();
}

export const LOG_FLOOD_VMS: VmSpec[] = [
  { name: 'flood', memMb: FLOOD_MB, bootOrder: 1, health: 'HEALTH_EXIT_ZERO' },
  { name: 'steady', memMb: 16, bootOrder: 2, health: 'HEALTH_EXIT_ZERO' },
];

const idx = (events: D0Event[], p: (e: D0Event) => boolean, what: string, all: string) => {
  const i = events.findIndex(p);
  assert.ok(i >= 0, `no ${what}\n${all}`);
  return i;
};

/** The flood is cut to its budget and counted; steady's lines and verdict are untouched and
 * arrive while the flood is still going. Returns the measured numbers for the report. */
export function assertLogFairness(events: D0Event[]): { logged: number; dropped: number; steadyMs: number; floodMs: number } {
  const all = dump(events.filter((e) => !(e.ev === 'console' && e.fields.vm === 'flood')));
  const lines = (vm: string) => events.filter((e) => e.ev === 'console' && e.fields.vm === vm);
  const stats = (vm: string) => events.find((e) => e.ev === 'vm_stats' && e.fields.vm === vm)?.fields ?? {};
  // steady: every line, its exit and its verdict.
  assert.deepEqual(lines('steady').map((e) => e.fields.line), ['tick 1', 'tick 2', 'tick 3', 'tick 4', 'tick 5'], all);
  const health = idx(events, (e) => e.ev === 'vm_health' && e.fields.vm === 'steady', 'steady vm_health', all);
  assert.equal(events[health].fields.verdict, 'healthy', all);
  assert.equal(stats('steady').console_dropped, '0', all);
  // ... and not behind the flood: steady's verdict is logged before the flood VM ends.
  const floodExit = idx(events, (e) => e.ev === 'vm_exit' && e.fields.vm === 'flood', 'flood vm_exit', all);
  assert.ok(health < floodExit, `steady's verdict waited for the flood\n${all}`);
  // flood: cut to its budget, every line accounted for, announced once.
  const logged = lines('flood').length;
  const f = stats('flood');
  const floodMs = Number(events[floodExit].fields.after_ms);
  assert.equal(Number(f.console_lines), logged, all);
  assert.equal(Number(f.console_lines) + Number(f.console_dropped), FLOOD_LINES, all);
  assert.ok(logged <= CONSOLE_BURST + CONSOLE_RATE * (floodMs / 1000 + 1), `${logged} lines in ${floodMs} ms\n${all}`);
  assert.ok(logged >= CONSOLE_BURST, all);
  assert.deepEqual(
    events.filter((e) => e.ev === 'log_throttled').map((e) => [e.fields.vm, e.fields.kind]),
    [['flood', 'console']],
    all,
  );
  const steadyMs = Number(events.find((e) => e.ev === 'vm_exit' && e.fields.vm === 'steady')?.fields.after_ms);
  return { logged, dropped: Number(f.console_dropped), steadyMs, floodMs };
}
