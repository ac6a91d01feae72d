// The guest of the speculation-control tests (test/hv-svm/spec.test.ts under QEMU,
// test/hv-vmx/spec.test.ts under Bochs tigerlake), VMs told apart by their RAM size:
//   a, b      write their own IA32_SPEC_CTRL value, read it back, issue an IBPB (PRED_CMD), then
//             on each of 4 beats halt (the other VM runs) and read it back again; exit 0.
//             Where CPUID shows no SPEC_CTRL (leaf 7 EDX bit 26 clear) they print `absent`
//             and exit 0 without touching it.
//   reserved  writes a reserved SPEC_CTRL bit: the CPU would #GP, so the VM must not print
//             `accepted` (without an IDT the #GP ends it in a triple fault).
import assert from 'node:assert/strict';
import type { D0Event } from '../support/events';
import type { VmSpec } from './slot';
import { asm, Cond, Program, Reg } from './tiny-kernel';
import { dump } from './two-vms-run';

const E820_ENTRY1_SIZE = 0x2d0 + 20 + 8;
const SPEC_CTRL = 0x48;
const PRED_CMD = 0x49;
export const VALUES = { a: 0x5, b: 0x2 }; // IBRS|SSBD, STIBP
const RAM = { a: 16, b: 18, reserved: 20 };
const BEATS = 4;

/** The guest's exit statuses. */
export const SPEC_EXIT = { OK: 0, READ_BACK: 2, LOST_AFTER_SWITCH: 3, ACCEPTED_RESERVED: 4 } as const;

const wrmsr = (msr: number, lo: number, hi = 0) => [
  ...asm.movImm32(Reg.RCX, msr), ...asm.movImm32(Reg.RAX, lo), ...asm.movImm32(Reg.RDX, hi), 0x0f, 0x30,
];
const rdmsr = (msr: number) => [...asm.movImm32(Reg.RCX, msr), 0x0f, 0x32];

export function specGuest(): number[] {
  const p = new Program().emit(asm.loadDwordAt(Reg.RSI, E820_ENTRY1_SIZE));
  p.emit(asm.cmpEax((RAM.b - 1) * 2 ** 20)).jcc(Cond.E, '.b');
  p.emit(asm.cmpEax((RAM.reserved - 1) * 2 ** 20)).jcc(Cond.E, '.reserved');
  for (const vm of ['a', 'b'] as const) {
    const v = VALUES[vm];
    p.label(`.${vm}`);
    // cpuid(7, 0); test edx, 1 << 26 (F7 /0 id, ModRM 11 000 010): IBRS/IBPB, i.e. SPEC_CTRL + PRED_CMD
    p.emit(asm.movImm32(Reg.RAX, 7), asm.movImm32(Reg.RCX, 0), [0x0f, 0xa2], [0xf7, 0xc2, 0, 0, 0, 0x04]);
    p.jcc(Cond.NE, `.${vm}-has`).emit(asm.print('absent\n'), asm.outb(0x501, SPEC_EXIT.OK), asm.haltLoop());
    p.label(`.${vm}-has`);
    p.emit(wrmsr(SPEC_CTRL, v), rdmsr(SPEC_CTRL), asm.cmpEax(v)).exitIf(Cond.NE, SPEC_EXIT.READ_BACK);
    p.emit(wrmsr(PRED_CMD, 1), asm.print('set\n'), asm.movImm32(Reg.RBX, 1));
    p.label(`.${vm}-beat`).emit(asm.hlt(), rdmsr(SPEC_CTRL), asm.cmpEax(v));
    p.exitIf(Cond.NE, SPEC_EXIT.LOST_AFTER_SWITCH);
    p.emit(asm.print('beat '), asm.printDecimal(Reg.RBX), asm.print('\n'), asm.inc(Reg.RBX), asm.cmpImm(Reg.RBX, BEATS + 1));
    p.jcc(Cond.B, `.${vm}-beat`).emit(asm.outb(0x501, SPEC_EXIT.OK), asm.haltLoop());
  }
  p.label('.reserved').emit(asm.print('reserved\n'), wrmsr(SPEC_CTRL, 0, 0x100)); // bit 40
  p.emit(asm.print('accepted\n'), asm.outb(0x501, SPEC_EXIT.ACCEPTED_RESERVED), asm.haltLoop());
  return p.bytes();
}

export const specVms = (withReserved: boolean): VmSpec[] => [
  { name: 'a', memMb: RAM.a, bootOrder: 1, health: 'HEALTH_EXIT_ZERO' },
  { name: 'b', memMb: RAM.b, bootOrder: 2, health: 'HEALTH_EXIT_ZERO' },
  ...(withReserved ? [{ name: 'reserved', memMb: RAM.reserved, bootOrder: 3, health: 'HEALTH_EXIT_ZERO' as const }] : []),
];

const consoleOf = (events: D0Event[], vm: string) =>
  events.filter((e) => e.ev === 'console' && e.fields.vm === vm).map((e) => e.fields.line);

/** ev=spec: exactly one, with these fields. */
export function assertSpecLog(events: D0Event[], want: Record<string, string>): void {
  const spec = events.filter((e) => e.ev === 'spec');
  assert.equal(spec.length, 1, dump(events));
  const got = Object.fromEntries(Object.keys(want).map((k) => [k, spec[0].fields[k]]));
  assert.deepEqual(got, want, dump(events));
}

/** A CPU with SPEC_CTRL: each VM's value read back, kept across switches; reserved bits #GP. */
export function assertVirtualized(events: D0Event[]): void {
  const all = dump(events);
  const beats = Array.from({ length: BEATS }, (_, i) => `beat ${i + 1}`);
  for (const vm of ['a', 'b']) assert.deepEqual(consoleOf(events, vm), ['set', ...beats], all);
  const exits = Object.fromEntries(events.filter((e) => e.ev === 'vm_exit').map((e) => [e.fields.vm, e.fields.status]));
  assert.deepEqual(exits, { a: '0', b: '0' }, all);
  // the two really interleaved: both set before either finished its beats
  const lines = events.filter((e) => e.ev === 'console').map((e) => `${e.fields.vm}:${e.fields.line}`);
  assert.ok(lines.indexOf('b:set') < lines.indexOf('a:beat 4') && lines.indexOf('a:set') < lines.indexOf('b:beat 1'), all);
  assert.deepEqual(consoleOf(events, 'reserved'), ['reserved'], all);
  const stopped = events.find((e) => e.ev === 'vm_stopped' && e.fields.vm === 'reserved');
  assert.equal(stopped?.fields.state, 'crashed', all); // #GP without an IDT: triple fault
}

/** A CPU without SPEC_CTRL: the guest is not shown it. */
export function assertAbsent(events: D0Event[]): void {
  const all = dump(events);
  for (const vm of ['a', 'b']) assert.deepEqual(consoleOf(events, vm), ['absent'], all);
}
