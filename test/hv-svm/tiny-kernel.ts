// A minimal "guest kernel" in the Linux bzImage format (boot protocol 2.12, 64-bit entry), so a
// test can run exact guest instructions under D0's SVM backend without booting Linux: D0 loads
// it like any kernel (kernel/hv/linux_boot.c) and enters at load address + 0x200 in long mode
// with the first 4 GiB identity-mapped.

const SETUP_SECTS = 1; // setup = (1 + 1) * 512 bytes
const SETUP_SIZE = (SETUP_SECTS + 1) * 512;
const PM_SIZE = 0x1000; // the protected-mode part: grows in 4 KiB steps for longer code
const ENTRY_OFFSET = 0x200; // 64-bit entry point, relative to the protected-mode part
const INIT_SIZE = 0x10000; // what the loader reserves from the load address (1 MiB)

/** General-purpose registers by their encoding number (Intel SDM vol. 2, 2.1.5 table 2-1/2-2). */
export const Reg = { RAX: 0, RCX: 1, RDX: 2, RBX: 3, RSP: 4, RBP: 5, RSI: 6, RDI: 7 } as const;
export type Reg = (typeof Reg)[keyof typeof Reg];

/** Jcc condition codes, the low nibble of 0F 8x / 7x (Intel SDM vol. 2, Jcc; appendix B.1.4.7). */
export const Cond = {
  B: 0x2, // below (CF=1): unsigned <
  AE: 0x3, // above or equal (CF=0): unsigned >=
  E: 0x4, // equal / zero (ZF=1)
  NE: 0x5, // not equal / not zero (ZF=0)
  BE: 0x6, // below or equal (CF=1 or ZF=1)
  A: 0x7, // above (CF=0 and ZF=0)
} as const;
export type Cond = (typeof Cond)[keyof typeof Cond];

const u32 = (v: number): number[] => {
  if (!Number.isInteger(v) || v < -0x80000000 || v > 0xffffffff)
    throw new Error(`not a 32-bit value: ${v}`);
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return [...b];
};
const u64 = (v: bigint): number[] => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(v);
  return [...b];
};
/** A base register usable as [reg + disp32] without a SIB byte (rm=100 means SIB, SDM table 2-2). */
const noSib = (r: Reg): Reg => {
  if (r === Reg.RSP) throw new Error('[rsp + disp] needs a SIB byte: not supported');
  return r;
};

/** x86-64 machine code builders (Intel SDM vol. 2 encodings). Each returns the bytes of one step. */
export const asm = {
  /** Writes text to COM1 (port 0x3f8) one OUT per byte. Clobbers DX, AL. */
  print(text: string): number[] {
    const out = [0x66, 0xba, 0xf8, 0x03]; // mov dx, 0x3f8
    for (const c of Buffer.from(text, 'latin1')) out.push(0xb0, c, 0xee); // mov al, c; out dx, al
    return out;
  },
  /** mov rax, addr; mov byte [rax], 1 */
  storeByte(addr: bigint): number[] {
    return [0x48, 0xb8, ...u64(addr), 0xc6, 0x00, 0x01];
  },
  /** mov dx, port; mov al, value; out dx, al */
  outb(port: number, value: number): number[] {
    return [0x66, 0xba, port & 0xff, port >> 8, 0xb0, value, 0xee];
  },
  /** hlt; jmp back to the hlt */
  haltLoop(): number[] {
    return [0xf4, 0xeb, 0xfd];
  },
  /** hlt (F4): the guest waits; D0 resumes it on an interrupt or after its halt timeout. */
  hlt(): number[] {
    return [0xf4];
  },
  /** mov r32, imm32: B8+rd id (the upper half of the 64-bit register is zeroed). */
  movImm32(r: Reg, imm: number): number[] {
    return [0xb8 + r, ...u32(imm)];
  },
  /** mov r64, imm64: REX.W B8+rd io. */
  movImm64(r: Reg, imm: bigint): number[] {
    return [0x48, 0xb8 + r, ...u64(imm)];
  },
  /**
   * mov dword [addr], imm32 for any 64-bit address, RAM or MMIO: mov rax, addr (REX.W B8 io);
   * mov dword [rax], imm32 (C7 /0 id, ModRM 00 000 000). [disp32] alone would sign-extend an
   * address at or above 2 GiB (the device window at 0xd0000000), hence the register. Clobbers RAX.
   */
  storeDword(addr: bigint, imm: number): number[] {
    return [0x48, 0xb8, ...u64(addr), 0xc7, 0x00, ...u32(imm)];
  },
  /** mov eax, dword [addr]: mov rax, addr; mov eax, [rax] (8B /r, ModRM 00 000 000). */
  loadDword(addr: bigint): number[] {
    return [0x48, 0xb8, ...u64(addr), 0x8b, 0x00];
  },
  /** movzx eax, byte [addr]: mov rax, addr; movzx eax, byte [rax] (0F B6 /r, ModRM 00 000 000). */
  loadByte(addr: bigint): number[] {
    return [0x48, 0xb8, ...u64(addr), 0x0f, 0xb6, 0x00];
  },
  /** mov eax, dword [base + disp32]: 8B /r with ModRM 10 000 base. */
  loadDwordAt(base: Reg, disp: number): number[] {
    return [0x8b, 0x80 | noSib(base), ...u32(disp)];
  },
  /** cmp eax, imm32: 3D id. */
  cmpEax(imm: number): number[] {
    return [0x3d, ...u32(imm)];
  },
  /** cmp r32, imm32: 81 /7 id, ModRM 11 111 reg. */
  cmpImm(r: Reg, imm: number): number[] {
    return [0x81, 0xf8 | r, ...u32(imm)];
  },
  /** test eax, imm32: A9 id (ZF=1 when no bit of imm is set in EAX). */
  testEax(imm: number): number[] {
    return [0xa9, ...u32(imm)];
  },
  /** inc r32: FF /0, ModRM 11 000 reg. */
  inc(r: Reg): number[] {
    return [0xff, 0xc0 | r];
  },
  /**
   * Prints r32 (0..99) in decimal on COM1 without a leading zero. Clobbers RAX, RCX, RDX.
   *   mov eax, r      89 /r  ModRM 11 r 000
   *   xor edx, edx    31 D2
   *   mov ecx, 10     B9 0A000000
   *   div ecx         F7 /6  ModRM 11 110 001: EAX = tens, EDX = units
   *   mov ecx, edx    89 D1
   *   mov dx, 0x3f8   66 BA F8 03
   *   test eax, eax   85 C0
   *   jz +4           74 04  (skips the next 4 bytes: the tens digit)
   *   add al, '0'     04 30
   *   out dx, al      EE
   *   nop             90     (pads the skipped block to 4 bytes)
   *   mov eax, ecx    89 C8
   *   add al, '0'     04 30
   *   out dx, al      EE
   */
  printDecimal(r: Reg): number[] {
    // prettier-ignore
    return [
      0x89, 0xc0 | (r << 3), 0x31, 0xd2, 0xb9, ...u32(10), 0xf7, 0xf1, 0x89, 0xd1,
      0x66, 0xba, 0xf8, 0x03, 0x85, 0xc0, 0x74, 0x04, 0x04, 0x30, 0xee, 0x90,
      0x89, 0xc8, 0x04, 0x30, 0xee,
    ];
  },
  /**
   * Prints r32 as 8 lowercase hex digits on COM1. Clobbers RAX, RCX, RDX, RBP.
   *   mov ebp, r       89 /r  ModRM 11 r 101
   *   mov ecx, 8       B9 08000000
   * L:rol ebp, 4       C1 /0 ib  ModRM 11 000 101
   *   mov eax, ebp     89 E8
   *   and eax, 0xf     83 /4 ib  ModRM 11 100 000
   *   cmp al, 10       3C 0A
   *   jb +2            72 02  (skips the next add: a digit)
   *   add al, 0x27     04 27  ('a' - '0' - 10)
   *   add al, '0'      04 30
   *   mov dx, 0x3f8    66 BA F8 03
   *   out dx, al       EE
   *   dec ecx          FF C9
   *   jnz L            75 E7
   */
  printHex32(r: Reg): number[] {
    // prettier-ignore
    return [
      0x89, 0xc5 | (r << 3), 0xb9, ...u32(8),
      0xc1, 0xc5, 0x04, 0x89, 0xe8, 0x83, 0xe0, 0x0f, 0x3c, 0x0a, 0x72, 0x02, 0x04, 0x27,
      0x04, 0x30, 0x66, 0xba, 0xf8, 0x03, 0xee, 0xff, 0xc9, 0x75, 0xe7,
    ];
  },
};

/**
 * Straight-line code with named labels and forward or backward jumps (rel32, resolved by
 * bytes()). Steps come from `asm`.
 */
export class Program {
  private readonly code: number[] = [];
  private readonly labels = new Map<string, number>();
  private readonly fixups: Array<{ at: number; label: string }> = [];
  private unique = 0;

  emit(...steps: number[][]): this {
    for (const s of steps) this.code.push(...s);
    return this;
  }

  label(name: string): this {
    if (this.labels.has(name)) throw new Error(`label ${name} defined twice`);
    this.labels.set(name, this.code.length);
    return this;
  }

  /** jmp rel32: E9 cd. */
  jmp(label: string): this {
    this.code.push(0xe9);
    return this.rel32(label);
  }

  /** jcc rel32: 0F 80+cc cd. */
  jcc(cond: Cond, label: string): this {
    this.code.push(0x0f, 0x80 + cond);
    return this.rel32(label);
  }

  /**
   * When cond holds (after a cmp/test), the guest writes `status` to the status port (0x501:
   * ev=vm_exit status=) and halts for good; otherwise it carries on.
   */
  exitIf(cond: Cond, status: number): this {
    const skip = `.ok${this.unique++}`;
    return this.jcc((cond ^ 1) as Cond, skip) // the inverted condition: bit 0 of cc negates it (SDM B.1.4.7)
      .emit(asm.outb(0x501, status), asm.haltLoop())
      .label(skip);
  }

  /** Runs body `times` times with the 1-based count in EBX (which body must keep). */
  repeat(times: number, body: number[][]): this {
    const top = `.loop${this.unique++}`;
    return this.emit(asm.movImm32(Reg.RBX, 1))
      .label(top)
      .emit(...body, asm.inc(Reg.RBX), asm.cmpImm(Reg.RBX, times + 1))
      .jcc(Cond.B, top);
  }

  bytes(): number[] {
    const out = [...this.code];
    for (const f of this.fixups) {
      const target = this.labels.get(f.label);
      if (target === undefined) throw new Error(`label ${f.label} is never defined`);
      const rel = target - (f.at + 4); // relative to the end of the jump instruction
      out.splice(f.at, 4, ...u32(rel));
    }
    return out;
  }

  private rel32(label: string): this {
    this.fixups.push({ at: this.code.length, label });
    this.code.push(0, 0, 0, 0);
    return this;
  }
}

export function tinyBzImage(code: number[]): Buffer {
  const pmSize = Math.max(PM_SIZE, Math.ceil((ENTRY_OFFSET + code.length) / 0x1000) * 0x1000);
  if (pmSize > INIT_SIZE) throw new Error('code too long');
  const img = Buffer.alloc(SETUP_SIZE + pmSize);
  img[0x1f1] = SETUP_SECTS;
  img.writeUInt32LE(pmSize / 16, 0x1f4); // syssize, 16-byte units
  img.writeUInt16LE(0xaa55, 0x1fe);
  img[0x200] = 0xeb; // jmp over the header: its offset byte gives the header's end (0x26c)
  img[0x201] = 0x6a;
  img.write('HdrS', 0x202, 'latin1');
  img.writeUInt16LE(0x020c, 0x206); // protocol 2.12
  img[0x211] = 0x01; // LOADED_HIGH
  img.writeUInt32LE(0x200000, 0x230); // kernel_alignment
  img[0x234] = 0; // not relocatable: loaded at pref_address
  img.writeUInt16LE(0x0001, 0x236); // XLF_KERNEL_64
  img.writeUInt32LE(2048, 0x238); // cmdline_size
  img.writeBigUInt64LE(0x100000n, 0x258); // pref_address 1 MiB
  img.writeUInt32LE(INIT_SIZE, 0x260); // init_size
  Buffer.from(code).copy(img, SETUP_SIZE + ENTRY_OFFSET);
  return img;
}
