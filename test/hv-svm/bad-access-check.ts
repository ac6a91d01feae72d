// What the bad-access tests assert about one D0 boot running badAccessGuest (bad-access-guest.ts).
import assert from 'node:assert/strict';
import type { D0Event } from '../support/events';
import type { VmSpec } from './slot';
import { dump } from './two-vms-run';
import { DEVICE, HOSTILE, RAM_MB, type Hostile } from './bad-access-guest';

export const TICKS = 5;

export const badAccessVms = (): VmSpec[] =>
  (['benign', ...HOSTILE] as const).map((name, i) => ({
    name,
    memMb: RAM_MB[name],
    bootOrder: i + 1,
    health: 'HEALTH_EXIT_ZERO',
  }));

/** The error each hostile VM must be stopped with, and the GPA logged with it. */
export const EXPECTED: Record<Hostile, { err: string; gpa: string }> = {
  walk: { err: 'guest-page-walk-outside-ram', gpa: `0x${DEVICE.toString(16)}` },
  undecoded: { err: 'mmio-undecodable', gpa: `0x${DEVICE.toString(16)}` },
  fetch: { err: 'fetch-outside-ram', gpa: `0x${DEVICE.toString(16)}` },
  outside: { err: 'gpa-out-of-range', gpa: '0x7f000000' },
};

export function assertBadAccesses(events: D0Event[]): void {
  const all = dump(events);
  const lines = (vm: string) =>
    events.filter((e) => e.ev === 'console' && e.fields.vm === vm).map((e) => e.fields.line);
  for (const vm of HOSTILE) {
    // Its access never completed: no device read, no decoded guess, no `survived`.
    assert.deepEqual(lines(vm), [vm], `${vm}\n${all}`);
    const exit = events.filter((e) => e.ev === 'hv' && e.fields.vm === vm && e.fields.dev === 'exit');
    assert.deepEqual(
      exit.map((e) => [e.fields.what, e.fields.err, e.fields.a]),
      [['bad-access', EXPECTED[vm].err, EXPECTED[vm].gpa]],
      `${vm}\n${all}`,
    );
    const stopped = events.find((e) => e.ev === 'vm_stopped' && e.fields.vm === vm);
    assert.deepEqual([stopped?.fields.state, stopped?.fields.err], ['crashed', EXPECTED[vm].err], all);
    // Nothing of it reached a device model (no mmio event of any device for this VM).
    assert.deepEqual(
      events.filter((e) => e.ev === 'hv' && e.fields.vm === vm && !['exit', 'vm'].includes(e.fields.dev)).map((e) => e.raw),
      [],
      all,
    );
  }
  assert.deepEqual(lines('benign'), Array.from({ length: TICKS }, (_, i) => `tick ${i + 1}`), all);
  const exits = events.filter((e) => e.ev === 'vm_exit').map((e) => [e.fields.vm, e.fields.status]);
  assert.deepEqual(exits, [['benign', '0']], all);
  assert.ok(events.some((e) => e.ev === 'halt'), all);
}
