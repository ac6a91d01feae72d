// The hostile-guest suite's guest (test/hv-svm/hostile.test.ts under QEMU, test/hv-vmx/hostile.test.ts
// under Bochs): one tiny kernel, VMs told apart by their RAM size, each attacking one thing, next
// to a benign VM that checks its own RAM, an MSR and a register on every beat. What each hostile
// VM must end with is HOSTILE[name].expect: contained (it finishes and reports its own status:
// every attack was absorbed) or stopped (with D0's error). Pages and bad device accesses have
// their own suite (bad-access-guest.ts), state leaks theirs (xstate-guest.ts), log floods
// theirs (log-flood-guest.ts).
import { asm, Cond, Program, Reg } from './tiny-kernel';

const E820_ENTRY1_SIZE = 0x2d0 + 20 + 8;
// Guest-physical scratch (inside every VM here): an exception handler, its IDT, counters.
const HANDLER = 0x300000n;
const IDT = 0x310000n;
const IDTR = 0x311000n;
const SKIP = 0x312000n; // bytes the handler skips (the faulting instruction's length)
const COUNT = 0x312004n; // exceptions taken
const STACK_TOP = 0x380000;
const RAM_PATTERN = 0x400000n; // benign: 1 MiB it fills and checks
const RAM_PATTERN_DWORDS = 0x40000;

export const BENIGN_BEATS = 40;

export type Outcome = { contained: number } | { stopped: string | null };
export interface HostileCase {
  memMb: number;
  expect: Outcome;
  what: string;
}

/** The suite: RAM size (the guest's key), expected outcome, what it does. */
export const HOSTILE: Record<string, HostileCase> = {
  msr: { memMb: 18, expect: { contained: 0x20 }, what: "writes and reads back host-sensitive MSRs (VM_HSAVE_PA, VM_CR, FEATURE_CONTROL, TSC, VMX capabilities, MC banks): writes dropped, reads 0; APIC_BASE is the VM's own APIC's: the hostile base refused, it reads 0xfee00900" },
  'virt-insns': { memMb: 20, expect: { contained: 0x21 }, what: 'executes the 12 SVM and VMX instructions: each is a #UD it handles itself' },
  'port-sweep': { memMb: 22, expect: { contained: 0x22 }, what: 'IN from all 65,536 ports, OUT 0 to all but its console and status ports' },
  'exception-storm': { memMb: 24, expect: { contained: 0x23 }, what: '100,000 #UDs through its own IDT (no exit at all)' },
  'string-io': { memMb: 26, expect: { stopped: 'string-io-refused' }, what: '`rep insb` from port 0x80' },
  'triple-fault': { memMb: 28, expect: { stopped: null }, what: 'an empty IDT and an int3: a triple fault' },
  'mmio-sizes': { memMb: 30, expect: { contained: 0x24 }, what: 'virtio-mmio registers read and written with 1, 2 and 8 bytes and unaligned (read 0, writes ignored), a read of an empty window address (all ones); the device still reads "virt" after' },
  'mmio-movs': { memMb: 32, expect: { stopped: 'mmio-undecodable' }, what: '`rep movsb` into the virtio-mmio registers' },
};
export const BENIGN_MB = 16;

const u32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return [...b];
};
const abs32 = (a: bigint) => u32(Number(a));

/** RSP = a stack in RAM (the boot protocol gives none). mov esp, imm32 (BC id). */
const setStack = () => [0xbc, ...u32(STACK_TOP)];

/** Writes `bytes` to guest memory at `at`, a dword at a time (padded with INT3). */
function storeBytes(at: bigint, bytes: number[]): number[][] {
  const b = [...bytes];
  while (b.length % 4) b.push(0xcc);
  const out: number[][] = [];
  for (let i = 0; i < b.length; i += 4) out.push(asm.storeDword(at + BigInt(i), Buffer.from(b.slice(i, i + 4)).readUInt32LE(0)));
  return out;
}

/**
 * An IDT whose #UD (vector 6) gate goes to a handler that skips [SKIP] bytes and counts:
 *   push rax; mov eax, [SKIP]; add [rsp + 8], rax; pop rax; inc dword [COUNT]; iretq
 * Every other vector is not present (a fault there ends the VM).
 */
function udHandler(skip: number): number[][] {
  const handler = [
    0x50, 0x8b, 0x04, 0x25, ...abs32(SKIP), 0x48, 0x01, 0x44, 0x24, 0x08, 0x58,
    0xff, 0x04, 0x25, ...abs32(COUNT), 0x48, 0xcf,
  ];
  const gate6 = [
    asm.storeDword(IDT + 6n * 16n, (0x10 << 16) | Number(HANDLER & 0xffffn)), // selector 0x10 (code)
    asm.storeDword(IDT + 6n * 16n + 4n, Number((HANDLER >> 16n) & 0xffffn) << 16 | 0x8e00), // present, interrupt gate
  ];
  return [
    asm.movImm32(Reg.RDI, Number(IDT)), asm.movImm32(Reg.RCX, 4096), [0x31, 0xc0], [0xf3, 0xaa], // zero the IDT
    ...storeBytes(HANDLER, handler),
    ...gate6,
    asm.storeDword(IDTR, (32 * 16 - 1) | (Number(IDT & 0xffffn) << 16)), // limit, base[15:0]
    asm.storeDword(IDTR + 4n, Number(IDT >> 16n)), // base[47:16]
    asm.storeDword(IDTR + 8n, 0),
    [0x0f, 0x01, 0x1c, 0x25, ...abs32(IDTR)], // lidt [IDTR]
    asm.storeDword(SKIP, skip),
    asm.storeDword(COUNT, 0),
  ];
}

const wrmsr = (msr: number, lo: number, hi = 0) => [
  ...asm.movImm32(Reg.RCX, msr), ...asm.movImm32(Reg.RAX, lo), ...asm.movImm32(Reg.RDX, hi), 0x0f, 0x30,
];
const rdmsr = (msr: number) => [...asm.movImm32(Reg.RCX, msr), 0x0f, 0x32];
const APIC_BASE = 0x1b;
const done = (p: Program, status: number) => p.emit(asm.outb(0x501, status), asm.haltLoop());

function attack(p: Program, name: string): void {
  p.emit(asm.print(`${name}\n`));
  switch (name) {
    case 'msr': {
      // MSRs D0 does not pass through: the host's SVM save area and control, VMX locks and
      // capabilities, the TSC, a machine-check bank, an unknown AMD MSR.
      const msrs = [0xc0010117, 0xc0010114, 0x3a, 0x10, 0x400, 0xc0011234];
      for (const m of [...msrs, APIC_BASE]) p.emit(wrmsr(m, 0xdead0000, 0xbeef));
      for (const m of [...msrs, 0x480, 0x48b]) {
        p.emit(rdmsr(m), [0x09, 0xd0], asm.testEax(0xffffffff)); // or eax, edx: any bit read
        p.exitIf(Cond.NE, 0x2f);
      }
      // IA32_APIC_BASE belongs to the VM's own local APIC (kernel/dev/platform/vlapic.h): the
      // hostile base is refused, and it reads the VM's base (BSP, enabled), never the host's.
      p.emit(rdmsr(APIC_BASE), asm.cmpEax(0xfee00900)).exitIf(Cond.NE, 0x2e);
      p.emit([0x89, 0xd0], asm.testEax(0xffffffff)).exitIf(Cond.NE, 0x2e); // mov eax, edx
      done(p, 0x20);
      return;
    }
    case 'virt-insns': {
      // 0F 01 D8..DF: VMRUN VMMCALL VMLOAD VMSAVE STGI CLGI SKINIT INVLPGA;
      // 0F 01 C1..C4: VMCALL VMLAUNCH VMRESUME VMXOFF. All 3 bytes; none is this VM's.
      // rAX: a page-aligned address, as VMRUN/VMLOAD/VMSAVE take (QEMU checks its alignment
      // before the intercept: a #GP there, not the #UD under test). The handler keeps RAX.
      p.emit(setStack(), ...udHandler(3), asm.movImm32(Reg.RAX, 0x200000));
      const insns = [0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xc1, 0xc2, 0xc3, 0xc4];
      for (const b of insns) p.emit([0x0f, 0x01, b]);
      p.emit(asm.loadDword(COUNT), asm.cmpEax(insns.length)).exitIf(Cond.NE, 0x2f);
      done(p, 0x21);
      return;
    }
    case 'port-sweep': {
      // in al, dx for dx = 0..65535; out dx, al (al = 0) for all but 0x3f8-0x3ff and 0x500-0x50f.
      p.emit(asm.movImm32(Reg.RDX, 0)).label('.in').emit([0xec], [0xff, 0xc2], asm.cmpImm(Reg.RDX, 0x10000)).jcc(Cond.B, '.in');
      p.emit(asm.movImm32(Reg.RDX, 0)).label('.out');
      p.emit(asm.cmpImm(Reg.RDX, 0x3f8)).jcc(Cond.B, '.do').emit(asm.cmpImm(Reg.RDX, 0x400)).jcc(Cond.B, '.skip');
      p.emit(asm.cmpImm(Reg.RDX, 0x500)).jcc(Cond.B, '.do').emit(asm.cmpImm(Reg.RDX, 0x510)).jcc(Cond.B, '.skip');
      p.label('.do').emit([0x30, 0xc0], [0xee]); // xor al, al; out dx, al
      p.label('.skip').emit([0xff, 0xc2], asm.cmpImm(Reg.RDX, 0x10000)).jcc(Cond.B, '.out');
      done(p, 0x22);
      return;
    }
    case 'exception-storm': {
      p.emit(setStack(), ...udHandler(2), asm.movImm32(Reg.RBX, 100_000));
      p.label('.ud').emit([0x0f, 0x0b], [0xff, 0xcb]).jcc(Cond.NE, '.ud'); // ud2; dec ebx
      p.emit(asm.loadDword(COUNT), asm.cmpEax(100_000)).exitIf(Cond.NE, 0x2f);
      done(p, 0x23);
      return;
    }
    case 'string-io':
      p.emit(setStack(), asm.movImm32(Reg.RDI, 0x200000), asm.movImm32(Reg.RCX, 4), asm.movImm32(Reg.RDX, 0x80));
      p.emit([0xf3, 0x6c], asm.print('survived\n')); // rep insb
      done(p, 0x2e);
      return;
    case 'mmio-sizes': {
      const BLK = 0xd0000000n;
      p.emit(asm.movImm64(Reg.RAX, BLK), [0x48, 0x8b, 0x00], [0x48, 0x85, 0xc0]); // mov rax, [rax]; test rax, rax
      p.exitIf(Cond.NE, 0x2f); // an 8-byte register read is not a register: 0
      p.emit(asm.loadByte(BLK), asm.testEax(0xffffffff)).exitIf(Cond.NE, 0x2f); // 1 byte: 0
      p.emit(asm.loadDword(BLK + 2n), asm.testEax(0xffffffff)).exitIf(Cond.NE, 0x2f); // unaligned: 0
      p.emit(asm.movImm64(Reg.RAX, BLK + 0x70n), [0x66, 0xc7, 0x00, 0x0f, 0x00]); // mov word [STATUS], 0xf: ignored
      p.emit(asm.movImm64(Reg.RAX, BLK + 0x70n), [0x48, 0xc7, 0x00, 0x0f, 0x00, 0x00, 0x00]); // mov qword [STATUS], 0xf
      p.emit(asm.loadDword(BLK + 0x70n), asm.testEax(0xffffffff)).exitIf(Cond.NE, 0x2f); // status still 0
      p.emit(asm.loadDword(0xd0100000n), asm.cmpEax(0xffffffff)).exitIf(Cond.NE, 0x2f); // nothing there: all ones
      p.emit(asm.loadDword(BLK), asm.cmpEax(0x74726976)).exitIf(Cond.NE, 0x2f); // "virt": the device is fine
      done(p, 0x24);
      return;
    }
    case 'mmio-movs':
      p.emit(asm.movImm32(Reg.RSI, 0x200000), asm.movImm64(Reg.RDI, 0xd0000070n), asm.movImm32(Reg.RCX, 4), [0xfc], [0xf3, 0xa4]);
      p.emit(asm.print('survived\n'));
      done(p, 0x2e);
      return;
    case 'triple-fault':
      p.emit(asm.storeDword(IDTR, 0), asm.storeDword(IDTR + 4n, 0), asm.storeDword(IDTR + 8n, 0));
      p.emit([0x0f, 0x01, 0x1c, 0x25, ...abs32(IDTR)], [0xcc], asm.print('survived\n')); // lidt; int3
      done(p, 0x2e);
      return;
  }
}

/**
 * The benign VM: LSTAR = a marker (an MSR the guest owns), XMM0 = a marker, 1 MiB of RAM = a
 * pattern; on each of BENIGN_BEATS beats it halts and checks all three (exit 2: LSTAR, 3: XMM0,
 * 4: RAM), then exits 0.
 */
function benign(p: Program): void {
  const LSTAR = 0xc0000082, MARK = 0x600dcafe;
  p.emit([0x0f, 0x20, 0xe0, 0x48, 0x0d, 0x00, 0x06, 0x00, 0x00, 0x0f, 0x22, 0xe0]); // CR4.OSFXSR|OSXMMEXCPT
  p.emit(wrmsr(LSTAR, MARK, 0xffff8000), asm.movImm32(Reg.RAX, MARK), [0x66, 0x48, 0x0f, 0x6e, 0xc0]); // movq xmm0, rax
  p.emit([0xfc], asm.movImm32(Reg.RDI, Number(RAM_PATTERN)), asm.movImm32(Reg.RCX, RAM_PATTERN_DWORDS), asm.movImm32(Reg.RAX, MARK), [0xf3, 0xab]); // rep stosd
  p.emit(asm.print('benign\n'), asm.movImm32(Reg.RBX, 1)).label('.beat').emit(asm.hlt());
  p.emit(rdmsr(LSTAR), asm.cmpEax(MARK)).exitIf(Cond.NE, 2);
  p.emit(asm.cmpImm(Reg.RDX, 0xffff8000)).exitIf(Cond.NE, 2);
  p.emit([0x66, 0x48, 0x0f, 0x7e, 0xc0], asm.cmpEax(MARK)).exitIf(Cond.NE, 3); // movq rax, xmm0
  p.emit(asm.movImm32(Reg.RDI, Number(RAM_PATTERN)), asm.movImm32(Reg.RCX, RAM_PATTERN_DWORDS), asm.movImm32(Reg.RAX, MARK), [0xf3, 0xaf]); // repe scasd
  p.exitIf(Cond.NE, 4);
  p.emit(asm.inc(Reg.RBX), asm.cmpImm(Reg.RBX, BENIGN_BEATS + 1)).jcc(Cond.B, '.beat');
  p.emit(asm.print('unharmed\n'));
  done(p, 0);
}

export function hostileGuest(): number[] {
  const p = new Program().emit(asm.loadDwordAt(Reg.RSI, E820_ENTRY1_SIZE));
  const names = Object.keys(HOSTILE);
  names.forEach((n, i) => p.emit(asm.cmpEax((HOSTILE[n].memMb - 1) * 2 ** 20)).jcc(Cond.E, `.h${i}`));
  benign(p);
  names.forEach((n, i) => {
    p.label(`.h${i}`);
    attack(p, n);
  });
  return p.bytes();
}

/** The manifest's VMs: the benign one first, then every hostile case but `skip`. */
export const hostileVms = (skip: string[] = []) => [
  { name: 'benign', memMb: BENIGN_MB, bootOrder: 1, health: 'HEALTH_EXIT_ZERO' as const },
  ...Object.entries(HOSTILE)
    .filter(([name]) => !skip.includes(name))
    .map(([name, c], i) => ({ name, memMb: c.memMb, bootOrder: i + 2, health: 'HEALTH_EXIT_ZERO' as const })),
];
