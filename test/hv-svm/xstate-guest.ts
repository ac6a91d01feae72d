// The guest of the extended-state tests (test/hv-svm/xstate.test.ts under QEMU,
// test/hv-vmx/xstate.test.ts under Bochs): one tiny kernel, several VMs told apart by their RAM
// size (the e820 map in boot_params), each with its own XCR0 and its own markers in every
// register the CPU's XSAVE features cover.
//
// Each VM:
//   1. checks it starts as a CPU does after reset: XCR0 = 1, FCW 0x37F, FSW/FTW 0, MXCSR 0x1F80,
//      ST0-7 and XMM0-15 zero (FXSAVE), then sets its XCR0 with XSETBV and checks
//      CPUID.(0DH,0).EBX (the XSAVE size for that XCR0) and that every enabled component
//      beyond SSE (YMM upper halves, opmask, ZMM) is zero too (XSAVE);
//   2. plants its markers by FXRSTOR (+ XRSTOR of the components beyond SSE): a per-VM pattern
//      in ST0-7 and XMM0-15 (and YMM_Hi128, k0-7, ZMM_Hi256, ZMM16-31 where its XCR0 has them),
//      its own FCW and MXCSR;
//   3. `beats` times: prints `beat N`, halts (D0 runs the other VMs) and checks XCR0 (XGETBV)
//      and every marker still hold (FXSAVE + XSAVE compared byte for byte, FIP/FDP/FOP aside);
//   4. a VM with `lateXcr0` ran its beats with XCR0 = 1 and only then sets lateXcr0: its YMM/ZMM
//      upper parts, which it never wrote, must read zero (no other VM's value), and its legacy
//      markers must still hold;
//   5. exits 0 through the status port, or exits with the first check that failed (GUEST_EXIT).
//
// Offsets are those of the standard XSAVE format (Intel SDM vol. 1, 13.4-13.5): the legacy
// region (FXSAVE layout, table 10-2), the header at 512, YMM_Hi128 at 576 (256 bytes), opmask at
// 1088 (64), ZMM_Hi256 at 1152 (512), Hi16_ZMM at 1664 (1024). The guest checks CPUID's XSAVE
// size for its XCR0 against the end of the last component, so a CPU with another layout fails
// loudly (exit 4) instead of comparing the wrong bytes.
import { asm, Cond, Program, Reg } from './tiny-kernel';

/** The guest's exit statuses (port 0x501). */
export const GUEST_EXIT = {
  OK: 0,
  XCR0_NOT_RESET: 1,
  LEGACY_NOT_INIT: 2,
  EXTENDED_NOT_INIT: 3,
  XSAVE_SIZE: 4,
  XCR0_CHANGED: 5,
  LEGACY_CHANGED: 6,
  EXTENDED_CHANGED: 7,
  LATE_EXTENDED_NOT_ZERO: 8,
  UNKNOWN_RAM_SIZE: 9,
} as const;

/** One VM's configuration. */
export interface XstateVm {
  name: string;
  /** RAM in MiB: also how the guest finds its configuration (distinct per VM, even). */
  memMb: number;
  /** The XCR0 it sets with XSETBV right after its reset check (1 = what D0 gives it anyway). */
  xcr0: number;
  /** Set after the beats: the components beyond xcr0 must then read zero. */
  lateXcr0?: number;
}

// boot_params (zero page): e820 table at 0x2d0, 20-byte entries; entry 1 is the RAM above 1 MiB,
// its size (u64) at +8 (kernel/hv/linux_boot.c).
const E820_ENTRY1_SIZE = 0x2d0 + 20 + 8;

// Guest-physical scratch, above the tiny kernel (1 MiB + 64 KiB) and inside any VM of 16 MiB+;
// XSAVE images 64-byte aligned.
const PARAM = 0x400000n; // the VM's configuration, below
const PLANT = 0x401000n; // the markers, as an XSAVE image
const CUR = 0x402000n; // what FXSAVE/XSAVE found now
const INIT = 0x403000n; // the reset image: zero but FCW 0x37F, MXCSR 0x1F80
const AREA = 4096; // bytes cleared per image
const P = {
  XCR0: 0,
  SEED: 8,
  FCW: 12,
  MXCSR: 16,
  XSAVE_SIZE: 24,
  LATE_XCR0: 28, // 0: none
  LATE_XSAVE_SIZE: 36,
} as const;

const LEGACY_RANGES: Array<[number, number]> = [
  [0, 6], // FCW, FSW, abridged FTW, reserved
  // 6..23: FOP, FIP, FDP (where the last x87 instruction was: not a register the guest set)
  [24, 4], // MXCSR
  [32, 384], // ST0-7 (16-byte slots), XMM0-15
];
const EXT_BASE = 576; // the first component beyond SSE
/** The components beyond SSE this guest knows: their XCR0 bits and [offset, bytes). */
const EXT_COMPONENTS: Array<[number, Array<[number, number]>]> = [
  [0x04, [[576, 256]]], // YMM_Hi128
  [0xe0, [[1088, 64], [1152, 512], [1664, 1024]]], // opmask, ZMM_Hi256, Hi16_ZMM
];
const XSAVE_END = 2688;
/** CPUID.(0DH,0).EBX for an XCR0: the standard-format XSAVE size of what it enables. */
export function xsaveBytes(xcr0: number): number {
  if (xcr0 & 0xe0) return XSAVE_END;
  if (xcr0 & 4) return 832;
  return EXT_BASE;
}

const u32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return [...b];
};
const addr32 = (a: bigint) => Number(a);

// Encodings (Intel SDM vol. 2). Memory operands are [rdi] (ModRM mod 00, rm 111).
const op = {
  /** mov rax, cr4; or rax, 0x40600 (OSFXSR | OSXMMEXCPT | OSXSAVE); mov cr4, rax */
  enableXsave: [0x0f, 0x20, 0xe0, 0x48, 0x0d, ...u32(0x40600), 0x0f, 0x22, 0xe0],
  cld: [0xfc],
  /** xor ecx, ecx; xgetbv (0F 01 D0): XCR0 in EDX:EAX */
  xgetbv0: [0x31, 0xc9, 0x0f, 0x01, 0xd0],
  /** xor edx, edx; xor ecx, ecx; xsetbv (0F 01 D1) with XCR0 = EAX */
  xsetbvEax: [0x31, 0xd2, 0x31, 0xc9, 0x0f, 0x01, 0xd1],
  fxsave64: [0x48, 0x0f, 0xae, 0x07], // REX.W 0F AE /0
  fxrstor64: [0x48, 0x0f, 0xae, 0x0f], // REX.W 0F AE /1
  xsave64: [0x48, 0x0f, 0xae, 0x27], // REX.W 0F AE /4, RFBM = XCR0 & EDX:EAX
  xrstor64: [0x48, 0x0f, 0xae, 0x2f], // REX.W 0F AE /5
  repStosb: [0xf3, 0xaa],
  repeCmpsb: [0xf3, 0xa6],
  xorEdxEdx: [0x31, 0xd2],
  xorEaxEax: [0x31, 0xc0],
  /** and eax, imm32 (25 id) */
  andEax: (imm: number) => [0x25, ...u32(imm)],
  /** cmp eax, [rdi] (3B /r, ModRM 00 000 111) */
  cmpEaxAtRdi: [0x3b, 0x07],
  /** cmp ebx, [rdi] (3B /r, ModRM 00 011 111) */
  cmpEbxAtRdi: [0x3b, 0x1f],
  /** mov dword [rdx], eax (89 /r, ModRM 00 000 010) */
  movAtRdxEax: [0x89, 0x02],
  /** cpuid with EAX = leaf, ECX = 0 (clobbers EBX) */
  cpuid: (leaf: number) => [0xb8, ...u32(leaf), 0x31, 0xc9, 0x0f, 0xa2],
};

const movEdi = (a: bigint) => asm.movImm32(Reg.RDI, addr32(a));
const movEsi = (a: bigint) => asm.movImm32(Reg.RSI, addr32(a));
/** dword [dst] = dword [src]. Clobbers RAX, RDX. */
const copyDword = (src: bigint, dst: bigint) => [
  ...asm.loadDword(src),
  ...asm.movImm64(Reg.RDX, dst),
  ...op.movAtRdxEax,
];

/** memset(at, 0, AREA). Clobbers RAX, RCX, RDI. */
const clear = (at: bigint) => [
  ...movEdi(at),
  ...asm.movImm32(Reg.RCX, AREA),
  ...op.xorEaxEax,
  ...op.repStosb,
];

/**
 * dwords [start, start + 4n) = seed, seed + K, seed + 2K, ... (K = 0x9E3779B9, any odd step):
 *   mov edi, start; mov ecx, n; eax = [PARAM+SEED]
 *   L: mov [rdi], eax (89 07); add rdi, 4 (48 83 C7 04); add eax, K (05 id); dec ecx (FF C9);
 *      jnz L (75 rel8)
 */
function fill(start: bigint, dwords: number): number[] {
  const body = [0x89, 0x07, 0x48, 0x83, 0xc7, 0x04, 0x05, ...u32(0x9e3779b9), 0xff, 0xc9];
  return [
    ...movEdi(start),
    ...asm.movImm32(Reg.RCX, dwords),
    ...asm.loadDword(PARAM + BigInt(P.SEED)),
    ...body,
    0x75,
    (256 - (body.length + 2)) & 0xff,
  ];
}

export function xstateGuest(vms: XstateVm[], beats: number): number[] {
  const p = new Program();
  /** Fails with `status` unless [a + off, +len) equals [b + off, +len) for every range. */
  const compare = (a: bigint, b: bigint, ranges: Array<[number, number]>, status: number) => {
    for (const [off, len] of ranges) {
      p.emit(movEsi(a + BigInt(off)), movEdi(b + BigInt(off)), asm.movImm32(Reg.RCX, len), op.repeCmpsb);
      p.exitIf(Cond.NE, status);
    }
  };
  /** Compares the components beyond SSE that PARAM.XCR0 enables (the bytes between them, like
   * the MPX area at 960..1087, are not written by XSAVE). */
  let exts = 0;
  const compareExtended = (a: bigint, b: bigint, status: number) => {
    for (const [bits, ranges] of EXT_COMPONENTS) {
      const skip = `.noext${exts++}`;
      p.emit(asm.loadDword(PARAM + BigInt(P.XCR0)), asm.testEax(bits)).jcc(Cond.E, skip);
      compare(a, b, ranges, status);
      p.label(skip);
    }
  };
  /** CUR = FXSAVE, plus XSAVE of the components beyond SSE that PARAM.XCR0 enables. */
  let snaps = 0;
  const snapshot = () => {
    const skip = `.snap${snaps++}`;
    p.emit(clear(CUR), movEdi(CUR), op.fxsave64);
    p.emit(asm.loadDword(PARAM + BigInt(P.XCR0)), op.andEax(~3 >>> 0)).jcc(Cond.E, skip);
    p.emit(op.xorEdxEdx, movEdi(CUR), op.xsave64).label(skip);
  };
  /** XCR0 = PARAM.XCR0, then CPUID's XSAVE size for it must be PARAM.XSAVE_SIZE. */
  const setXcr0 = () => {
    p.emit(asm.loadDword(PARAM + BigInt(P.XCR0)), op.xsetbvEax);
    p.emit(op.cpuid(0xd), movEdi(PARAM + BigInt(P.XSAVE_SIZE)), op.cmpEbxAtRdi);
    p.exitIf(Cond.NE, GUEST_EXIT.XSAVE_SIZE);
  };
  const params = (xcr0: number, late: number, at: { seed: number; fcw: number; mxcsr: number }) => [
    asm.storeDword(PARAM + BigInt(P.LATE_XCR0), late),
    asm.storeDword(PARAM + BigInt(P.LATE_XSAVE_SIZE), xsaveBytes(late)),
    asm.storeDword(PARAM + BigInt(P.XCR0), xcr0),
    asm.storeDword(PARAM + BigInt(P.SEED), at.seed),
    asm.storeDword(PARAM + BigInt(P.FCW), at.fcw),
    asm.storeDword(PARAM + BigInt(P.MXCSR), at.mxcsr),
    asm.storeDword(PARAM + BigInt(P.XSAVE_SIZE), xsaveBytes(xcr0)),
  ];

  // Which VM am I: the RAM size D0 gave me.
  p.emit(op.cld, asm.loadDwordAt(Reg.RSI, E820_ENTRY1_SIZE));
  vms.forEach((vm, i) => p.emit(asm.cmpEax((vm.memMb - 1) * 2 ** 20)).jcc(Cond.E, `.vm${i}`));
  p.emit(asm.outb(0x501, GUEST_EXIT.UNKNOWN_RAM_SIZE), asm.haltLoop());
  vms.forEach((vm, i) => {
    p.label(`.vm${i}`).emit(
      ...params(vm.xcr0, vm.lateXcr0 ?? 0, {
        seed: (0x1000193 * (i + 1) + 0x5a17c0de) >>> 0,
        fcw: 0x037f ^ ((i + 1) << 8), // precision and rounding control differ per VM
        mxcsr: 0x1f80 | (((i + 1) & 3) << 13) | ((i + 1) & 4 ? 0x8000 : 0), // RC, FTZ
      }),
    );
    p.jmp('.main');
  });
  p.label('.main').emit(op.enableXsave);

  // 1. The reset state.
  p.emit(clear(INIT), asm.storeDword(INIT, 0x037f), asm.storeDword(INIT + 24n, 0x1f80));
  p.emit(op.xgetbv0, asm.cmpEax(1)).exitIf(Cond.NE, GUEST_EXIT.XCR0_NOT_RESET);
  snapshot(); // PARAM.XCR0 is this VM's, XCR0 still 1: FXSAVE only
  compare(INIT, CUR, LEGACY_RANGES, GUEST_EXIT.LEGACY_NOT_INIT);
  setXcr0();
  snapshot();
  compareExtended(INIT, CUR, GUEST_EXIT.EXTENDED_NOT_INIT);

  // 2. The markers, as an XSAVE image: FCW, FSW 0, all eight tags valid, MXCSR; the pattern in
  // ST0-7 (10 bytes of each 16-byte slot), XMM0-15 and the components beyond SSE;
  // XSTATE_BV = XCR0, XCOMP_BV 0 (standard format).
  p.emit(clear(PLANT), fill(PLANT + 32n, 96), fill(PLANT + BigInt(EXT_BASE), (XSAVE_END - EXT_BASE) / 4));
  for (let st = 0; st < 8; st++)
    p.emit(asm.storeDword(PLANT + BigInt(32 + 16 * st + 10), 0), asm.storeDword(PLANT + BigInt(32 + 16 * st + 12), 0));
  p.emit(
    copyDword(PARAM + BigInt(P.FCW), PLANT),
    asm.storeDword(PLANT + 4n, 0xff),
    copyDword(PARAM + BigInt(P.MXCSR), PLANT + 24n),
    copyDword(PARAM + BigInt(P.XCR0), PLANT + 512n),
    movEdi(PLANT),
    op.fxrstor64,
  );
  p.emit(asm.loadDword(PARAM + BigInt(P.XCR0)), op.andEax(~3 >>> 0)).jcc(Cond.E, '.planted');
  p.emit(op.xorEdxEdx, movEdi(PLANT), op.xrstor64).label('.planted');
  p.emit(asm.print('planted\n'));

  // 3. Beats: the other VMs run during every HLT. The count is in EBX (nothing below uses it).
  p.emit(asm.movImm32(Reg.RBX, 1)).label('.beat');
  p.emit(asm.print('beat '), asm.printDecimal(Reg.RBX), asm.print('\n'), asm.hlt());
  p.emit(op.xgetbv0, movEdi(PARAM + BigInt(P.XCR0)), op.cmpEaxAtRdi).exitIf(Cond.NE, GUEST_EXIT.XCR0_CHANGED);
  snapshot();
  compare(PLANT, CUR, LEGACY_RANGES, GUEST_EXIT.LEGACY_CHANGED);
  compareExtended(PLANT, CUR, GUEST_EXIT.EXTENDED_CHANGED);
  p.emit(asm.inc(Reg.RBX), asm.cmpImm(Reg.RBX, beats + 1)).jcc(Cond.B, '.beat');
  p.emit(asm.print('checked\n'));

  // 4. A late XSETBV: the upper parts this VM never wrote read zero; its own markers stay.
  p.emit(asm.loadDword(PARAM + BigInt(P.LATE_XCR0)), asm.testEax(0xffffffff)).jcc(Cond.E, '.done');
  p.emit(
    copyDword(PARAM + BigInt(P.LATE_XCR0), PARAM + BigInt(P.XCR0)),
    copyDword(PARAM + BigInt(P.LATE_XSAVE_SIZE), PARAM + BigInt(P.XSAVE_SIZE)),
  );
  setXcr0();
  snapshot();
  compare(PLANT, CUR, LEGACY_RANGES, GUEST_EXIT.LEGACY_CHANGED);
  compareExtended(INIT, CUR, GUEST_EXIT.LATE_EXTENDED_NOT_ZERO);
  p.emit(asm.print('late-clean\n'));

  p.label('.done').emit(asm.print('kept\n'), asm.outb(0x501, GUEST_EXIT.OK), asm.haltLoop());
  return p.bytes();
}
