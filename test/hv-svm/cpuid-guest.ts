// The guest of the CPUID tests (test/hv-svm/cpuid.test.ts under QEMU, test/hv-vmx/cpuid.test.ts
// under Bochs) and what they assert: it executes CPUID for a list of leaves and prints each
// result as one console line `c.LEAF.SUBLEAF.EAX.EBX.ECX.EDX` (hex), then sets CR4.OSXSAVE and
// prints leaf 1 again as `x.1.0...`, then exits 0. The test checks the guest's view against
// D0's allow-list (kernel/hv/cpuid.c; the masks are repeated here on purpose: widening one in
// the kernel must fail a test).
import assert from 'node:assert/strict';
import type { D0Event } from '../support/events';
import { asm, Program, Reg } from './tiny-kernel';
import { dump } from './two-vms-run';

export const LEAVES: Array<[number, number]> = [
  [0, 0], [1, 0], [2, 0], [3, 0], [5, 0], [6, 0], [7, 0], [7, 1], [0xa, 0], [0xb, 0], [0xd, 0], [0xd, 1],
  [0x12, 0], [0x14, 0], [0x1f, 0], [0x40000000, 0], [0x40000001, 0], [0x40000010, 0], [0x80000000, 0],
  [0x80000001, 0], [0x80000007, 0], [0x80000008, 0], [0x8000000a, 0], [0x8000001f, 0], [0xc0000000, 0],
];

const SCRATCH = 0x400000n;
const hex = (v: number) => (v >>> 0).toString(16).padStart(8, '0');

function query(p: Program, tag: string, leaf: number, subleaf: number): void {
  p.emit(
    asm.movImm32(Reg.RAX, leaf),
    asm.movImm32(Reg.RCX, subleaf),
    [0x0f, 0xa2], // cpuid
    asm.movImm32(Reg.RDI, Number(SCRATCH)),
    [0x89, 0x07, 0x89, 0x5f, 0x04, 0x89, 0x4f, 0x08, 0x89, 0x57, 0x0c], // mov [rdi+0/4/8/12], eax/ebx/ecx/edx
    asm.print(`${tag}.${hex(leaf)}.${hex(subleaf)}`),
  );
  for (let i = 0; i < 4; i++)
    p.emit(asm.print('.'), asm.loadDword(SCRATCH + BigInt(4 * i)), asm.printHex32(Reg.RAX));
  p.emit(asm.print('\n'));
}

export function cpuidGuest(): number[] {
  const p = new Program();
  for (const [leaf, sub] of LEAVES) query(p, 'c', leaf, sub);
  // mov rax, cr4; bts rax, 18 (OSXSAVE; 48 0F BA E8 12); mov cr4, rax
  p.emit([0x0f, 0x20, 0xe0, 0x48, 0x0f, 0xba, 0xe8, 0x12, 0x0f, 0x22, 0xe0]);
  query(p, 'x', 1, 0);
  p.emit(asm.outb(0x501, 0), asm.haltLoop());
  return p.bytes();
}

type Regs = { eax: number; ebx: number; ecx: number; edx: number };

/** The guest's printed view: `c` results by "leaf.subleaf", and the leaf-1 result after OSXSAVE. */
export function guestView(events: D0Event[]): { c: Map<string, Regs>; x1: Regs | undefined } {
  const c = new Map<string, Regs>();
  let x1: Regs | undefined;
  for (const e of events) {
    if (e.ev !== 'console') continue;
    const m = /^([cx])\.([0-9a-f]{8})\.([0-9a-f]{8})\.([0-9a-f]{8})\.([0-9a-f]{8})\.([0-9a-f]{8})\.([0-9a-f]{8})$/.exec(e.fields.line);
    if (!m) continue;
    const r = { eax: parseInt(m[4], 16), ebx: parseInt(m[5], 16), ecx: parseInt(m[6], 16), edx: parseInt(m[7], 16) };
    if (m[1] === 'x') x1 = r;
    else c.set(`${parseInt(m[2], 16).toString(16)}.${parseInt(m[3], 16)}`, r);
  }
  return { c, x1 };
}

const bits = (...n: number[]) => n.reduce((m, b) => (m | (1 << b)) >>> 0, 0);
/** kernel/hv/cpuid.c's allow-list, repeated. */
const ALLOW = {
  l1ecx: bits(0, 1, 9, 12, 13, 17, 19, 20, 22, 23, 25, 26, 27, 28, 29, 30, 31),
  l1edx: ~bits(18, 21, 22, 28, 29, 31) >>> 0,
  l7ebx: bits(0, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 16, 17, 18, 19, 20, 21, 23, 24, 26, 27, 28, 29, 30, 31),
  l7ecx: bits(0, 1, 2, 3, 4, 6, 8, 9, 10, 11, 12, 14, 22, 27, 28),
  l7edx: bits(2, 3, 4, 8, 10, 14, 23, 26, 27, 31),
  l81ecx: bits(0, 1, 5, 6, 7, 8, 11, 16, 21),
  l81edx: 0xffffffff,
};
const ZERO = { eax: 0, ebx: 0, ecx: 0, edx: 0 };
const within = (v: number, allow: number) => (v & ~allow) >>> 0;

/** What every backend must show; `expect` adds the emulated CPU's features that must pass. */
export function assertGuestView(
  events: D0Event[],
  expect: { vendor: string; mustHave: Array<[string, keyof Regs, number, string]> },
): void {
  const all = dump(events);
  const { c, x1 } = guestView(events);
  assert.equal(c.size, LEAVES.length, `every leaf printed\n${all}`);
  const get = (k: string) => c.get(k) as Regs;
  const l0 = get('0.0');
  assert.equal(Buffer.from(new Uint32Array([l0.ebx, l0.edx, l0.ecx]).buffer).toString('latin1'), expect.vendor);
  assert.ok(l0.eax <= 0x16, `max basic leaf ${l0.eax.toString(16)}`);
  // D0's own hypervisor leaves, not the host's (TCGTCGTCGTCG under QEMU).
  const hv = get('40000000.0');
  assert.equal(hv.eax, 0x40000001);
  assert.equal(Buffer.from(new Uint32Array([hv.ebx, hv.ecx, hv.edx]).buffer).toString('latin1'), 'D0D0D0D0D0D0');
  assert.deepEqual(get('40000001.0'), ZERO);
  assert.deepEqual(get('40000010.0'), ZERO);
  // Virtualization hidden consistently: no VMX/SMX, no SVM bit, no SVM leaf.
  const l1 = get('1.0');
  assert.equal(l1.ecx >>> 31, 1, 'hypervisor present');
  assert.equal(within(l1.ecx, ALLOW.l1ecx), 0, `leaf 1 ECX ${hex(l1.ecx)} beyond the allow-list`);
  assert.equal(within(l1.edx, ALLOW.l1edx), 0, `leaf 1 EDX ${hex(l1.edx)}`);
  // The guest's topology (kernel/hv/cpuid.c): vCPU 0's APIC ID, a package of its own without HTT.
  assert.equal(l1.ebx >>> 24, 0, 'initial APIC ID is not the host\'s');
  assert.equal((l1.ebx >>> 16) & 0xff, 1, 'one logical processor per package');
  assert.equal((l1.edx >>> 28) & 1, 0, 'leaf 1 EDX HTT');
  // The VM's own xAPIC (kernel/dev/platform/vlapic.h): shown; no x2APIC, no TSC-deadline timer.
  assert.equal((l1.edx >>> 9) & 1, 1, 'leaf 1 EDX APIC');
  assert.equal((l1.ecx >>> 21) & 1, 0, 'leaf 1 ECX x2APIC');
  assert.equal((l1.ecx >>> 24) & 1, 0, 'leaf 1 ECX TSC-deadline');
  const l7 = get('7.0');
  assert.equal(l7.eax, 0, 'leaf 7: subleaf 0 only');
  assert.equal(within(l7.ebx, ALLOW.l7ebx), 0, `leaf 7 EBX ${hex(l7.ebx)}`);
  assert.equal(within(l7.ecx, ALLOW.l7ecx), 0, `leaf 7 ECX ${hex(l7.ecx)}`);
  assert.equal(within(l7.edx, ALLOW.l7edx), 0, `leaf 7 EDX ${hex(l7.edx)}`);
  const l81 = get('80000001.0');
  assert.equal(within(l81.ecx, ALLOW.l81ecx), 0, `0x80000001 ECX ${hex(l81.ecx)}`);
  assert.equal(within(l81.edx, ALLOW.l81edx), 0, `0x80000001 EDX ${hex(l81.edx)}`);
  assert.ok(get('80000000.0').eax <= 0x80000008, 'max extended leaf');
  for (const k of ['3.0', '5.0', '6.0', '7.1', 'a.0', 'b.0', '12.0', '14.0', '1f.0', '8000000a.0', '8000001f.0', 'c0000000.0'])
    assert.deepEqual(get(k), ZERO, `leaf ${k} is not shown`);
  assert.equal(get('80000007.0').edx & ~bits(8), 0, 'only invariant TSC in 0x80000007');
  assert.equal(get('d.1').ecx | get('d.1').edx, 0, 'no supervisor XSAVE component');
  // OSXSAVE mirrors the guest's own CR4: off at entry, on after the guest sets CR4.OSXSAVE.
  assert.equal((l1.ecx >>> 27) & 1, 0, 'OSXSAVE before CR4.OSXSAVE');
  assert.equal(((x1?.ecx ?? 0) >>> 27) & 1, 1, 'OSXSAVE after CR4.OSXSAVE');
  // The allow-list is not a deny-all: the emulated CPU's features are still there.
  for (const [k, reg, bit, name] of expect.mustHave)
    assert.equal((get(k)[reg] >>> bit) & 1, 1, `${name} (leaf ${k} ${reg} bit ${bit}) passes`);
}
