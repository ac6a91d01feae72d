// A minimal "guest kernel" in the Linux bzImage format (boot protocol 2.12, 64-bit entry), so a
// test can run exact guest instructions under D0's SVM backend without booting Linux: D0 loads
// it like any kernel (kernel/hv/linux_boot.c) and enters at load address + 0x200 in long mode
// with the first 4 GiB identity-mapped.

const SETUP_SECTS = 1; // setup = (1 + 1) * 512 bytes
const SETUP_SIZE = (SETUP_SECTS + 1) * 512;
const PM_SIZE = 0x1000;
const ENTRY_OFFSET = 0x200; // 64-bit entry point, relative to the protected-mode part

/** x86-64 machine code builders (Intel SDM vol. 2 encodings). */
export const asm = {
  /** Writes text to COM1 (port 0x3f8) one OUT per byte. */
  print(text: string): number[] {
    const out = [0x66, 0xba, 0xf8, 0x03]; // mov dx, 0x3f8
    for (const c of Buffer.from(text, 'latin1')) out.push(0xb0, c, 0xee); // mov al, c; out dx, al
    return out;
  },
  /** mov rax, addr; mov byte [rax], 1 */
  storeByte(addr: bigint): number[] {
    const imm = Buffer.alloc(8);
    imm.writeBigUInt64LE(addr);
    return [0x48, 0xb8, ...imm, 0xc6, 0x00, 0x01];
  },
  /** mov dx, port; mov al, value; out dx, al */
  outb(port: number, value: number): number[] {
    return [0x66, 0xba, port & 0xff, port >> 8, 0xb0, value, 0xee];
  },
  /** hlt; jmp back to the hlt */
  haltLoop(): number[] {
    return [0xf4, 0xeb, 0xfd];
  },
};

export function tinyBzImage(code: number[]): Buffer {
  if (code.length > PM_SIZE - ENTRY_OFFSET) throw new Error('code too long');
  const img = Buffer.alloc(SETUP_SIZE + PM_SIZE);
  img[0x1f1] = SETUP_SECTS;
  img.writeUInt32LE(PM_SIZE / 16, 0x1f4); // syssize, 16-byte units
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
  img.writeUInt32LE(0x10000, 0x260); // init_size
  Buffer.from(code).copy(img, SETUP_SIZE + ENTRY_OFFSET);
  return img;
}
