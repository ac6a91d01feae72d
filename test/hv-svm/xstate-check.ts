// What the extended-state tests assert about one D0 boot running xstateGuest (xstate-guest.ts):
// shared by the QEMU (SVM) and Bochs (VMX) runs.
import assert from 'node:assert/strict';
import type { D0Event } from '../support/events';
import { dump } from './two-vms-run';
import { GUEST_EXIT, type XstateVm } from './xstate-guest';

export const BEATS = 4;

/**
 * VMs in launch order forming a ring in which every ordered pair of distinct XCR0 values of
 * `values` follows each other once (a→b, b→c, ..., last→first): D0 runs them round-robin, so
 * every combination of outgoing and incoming XCR0 is crossed in both orders. The VMs with
 * XCR0 = 1 but the first set a late XCR0 after their beats, taking the values of `late` in turn.
 */
export function ring(xcr0s: number[], late: number[]): XstateVm[] {
  let lates = 0;
  return xcr0s.map((xcr0, i) => ({
    name: `x${i}-${xcr0.toString(16)}`,
    memMb: 16 + 2 * i,
    xcr0,
    ...(xcr0 === 1 && i > 0 ? { lateXcr0: late[lates++ % late.length] } : {}),
  }));
}

/** The VMs of a ring as manifest entries, launched in ring order. */
export const ringSpecs = (vms: XstateVm[]) =>
  vms.map((v, i) => ({ name: v.name, memMb: v.memMb, bootOrder: i + 1, health: 'HEALTH_EXIT_ZERO' as const }));

/** Every VM exited 0 after all its checks, and the VMs really interleaved between them. */
export function assertNoCrossing(events: D0Event[], vms: XstateVm[], supported: string): void {
  const all = dump(events);
  const cpu = events.find((e) => e.ev === 'cpu');
  assert.equal(cpu?.fields.xcr0_supported, supported, all);
  // IA32_XSS is 0 while guests run (no supervisor component in a guest's XSAVES): OVMF leaves 0.
  assert.equal(events.find((e) => e.ev === 'firmware_exited')?.fields.ia32_xss_was, '0x0', all);
  const statuses = Object.fromEntries(
    events.filter((e) => e.ev === 'vm_exit').map((e) => [e.fields.vm, Number(e.fields.status)]),
  );
  const failed = Object.entries(statuses).filter(([, s]) => s !== GUEST_EXIT.OK);
  const names = Object.fromEntries(Object.entries(GUEST_EXIT).map(([k, v]) => [v, k]));
  assert.deepEqual(
    failed.map(([vm, s]) => `${vm}: ${names[s] ?? s}`),
    [],
    `a VM saw another's state or lost its own\n${all}`,
  );
  assert.deepEqual(Object.keys(statuses).sort(), vms.map((v) => v.name).sort(), all);
  const lines = events.filter((e) => e.ev === 'console');
  for (const vm of vms)
    assert.deepEqual(
      lines.filter((e) => e.fields.vm === vm.name).map((e) => e.fields.line),
      [
        'planted',
        ...Array.from({ length: BEATS }, (_, i) => `beat ${i + 1}`),
        'checked',
        ...(vm.lateXcr0 ? ['late-clean'] : []),
        'kept',
      ],
      all,
    );
  // Between a VM's planting and its last check, D0 switched to and from every ring neighbour:
  // the transitions seen in the console order cover each ring edge (each XCR0 pair, each order).
  const seen = new Set<string>();
  for (let i = 1; i < lines.length; i++)
    if (lines[i].fields.vm !== lines[i - 1].fields.vm)
      seen.add(`${lines[i - 1].fields.vm}>${lines[i].fields.vm}`);
  const edges = vms.map((v, i) => `${v.name}>${vms[(i + 1) % vms.length].name}`);
  assert.deepEqual(edges.filter((e) => !seen.has(e)), [], `switches seen: ${[...seen].join(' ')}\n${all}`);
}
