// The tiny-kernel assembler against an independent decoder: GNU objdump disassembles what
// tiny-kernel.ts encodes, so a wrong ModRM, REX or jump displacement shows up as a different
// instruction or target. No emulator involved.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { asm, Cond, Program, Reg, tinyBzImage } from './tiny-kernel';

/** objdump's Intel-syntax listing of code: one "offset: text" line per instruction. */
function disassemble(code: number[]): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-asm-'));
  try {
    const file = path.join(dir, 'code.bin');
    fs.writeFileSync(file, Buffer.from(code));
    const r = spawnSync('objdump', ['-D', '-b', 'binary', '-mi386:x86-64', '-M', 'intel', file], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout
      .split('\n')
      .map((l) => /^\s*([0-9a-f]+):\t(?:[0-9a-f]{2} )+\s*\t(.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => `${m[1]}: ${m[2].replace(/\s+/g, ' ').trim()}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const text = (lines: string[]) => lines.map((l) => l.replace(/^[0-9a-f]+: /, ''));

describe('hv-svm: tiny-kernel assembler encodings (checked with objdump)', () => {
  it('memory and MMIO moves use 64-bit addresses through RAX', () => {
    assert.deepEqual(
      text(
        disassemble([
          ...asm.storeDword(0xd0000070n, 0x0b),
          ...asm.loadDword(0xd0000070n),
          ...asm.loadByte(0x6000000n),
          ...asm.storeByte(0x10000000n),
          ...asm.loadDwordAt(Reg.RSI, 0x2ec),
        ]),
      ),
      [
        'movabs rax,0xd0000070',
        'mov DWORD PTR [rax],0xb',
        'movabs rax,0xd0000070',
        'mov eax,DWORD PTR [rax]',
        'movabs rax,0x6000000',
        'movzx eax,BYTE PTR [rax]',
        'movabs rax,0x10000000',
        'mov BYTE PTR [rax],0x1',
        'mov eax,DWORD PTR [rsi+0x2ec]',
      ],
    );
    assert.throws(() => asm.loadDwordAt(Reg.RSP, 0), /SIB/);
  });

  it('register, compare and arithmetic steps', () => {
    assert.deepEqual(
      text(
        disassemble([
          ...asm.movImm32(Reg.RBX, 7),
          ...asm.movImm64(Reg.RSI, 0x1122334455667788n),
          ...asm.cmpEax(0x5f00000),
          ...asm.cmpImm(Reg.RBX, 6),
          ...asm.testEax(8),
          ...asm.inc(Reg.RBX),
          ...asm.hlt(),
          ...asm.outb(0x501, 3),
        ]),
      ),
      [
        'mov ebx,0x7',
        'movabs rsi,0x1122334455667788',
        'cmp eax,0x5f00000',
        'cmp ebx,0x6',
        'test eax,0x8',
        'inc ebx',
        'hlt',
        'mov dx,0x501',
        'mov al,0x3',
        'out dx,al',
      ],
    );
    assert.throws(() => asm.movImm32(Reg.RAX, 2 ** 32), /32-bit/);
  });

  it('printDecimal divides by ten and skips the tens digit when it is zero', () => {
    const lines = disassemble(asm.printDecimal(Reg.RBX));
    assert.deepEqual(text(lines), [
      'mov eax,ebx',
      'xor edx,edx',
      'mov ecx,0xa',
      'div ecx',
      'mov ecx,edx',
      'mov dx,0x3f8',
      'test eax,eax',
      'je 0x19', // the units digit: past add/out/nop of the tens
      'add al,0x30',
      'out dx,al',
      'nop',
      'mov eax,ecx',
      'add al,0x30',
      'out dx,al',
    ]);
    assert.ok(lines.includes('19: mov eax,ecx'), lines.join('\n'));
  });

  it('printHex32 rotates the top nibble down eight times and maps 10-15 to a-f', () => {
    const lines = disassemble(asm.printHex32(Reg.RBX));
    assert.deepEqual(text(lines), [
      'mov ebp,ebx',
      'mov ecx,0x8',
      'rol ebp,0x4',
      'mov eax,ebp',
      'and eax,0xf',
      'cmp al,0xa',
      'jb 0x15', // a digit: skips the letter offset
      'add al,0x27',
      'add al,0x30',
      'mov dx,0x3f8',
      'out dx,al',
      'dec ecx',
      'jne 0x7', // back to the rol
    ]);
  });

  it('jumps resolve forward and backward labels; exitIf jumps over its exit on the inverted condition', () => {
    const code = new Program()
      .label('top')
      .emit(asm.cmpEax(1))
      .exitIf(Cond.NE, 4)
      .jcc(Cond.B, 'top')
      .jmp('end')
      .emit(asm.hlt())
      .label('end')
      .emit(asm.hlt())
      .bytes();
    assert.deepEqual(disassemble(code), [
      '0: cmp eax,0x1',
      '5: je 0x15', // NE inverted: skip the exit block
      'b: mov dx,0x501',
      'f: mov al,0x4',
      '11: out dx,al',
      '12: hlt',
      '13: jmp 0x12',
      '15: jb 0x0',
      '1b: jmp 0x21',
      '20: hlt',
      '21: hlt',
    ]);
    assert.throws(() => new Program().jmp('nowhere').bytes(), /never defined/);
    assert.throws(() => new Program().label('a').label('a'), /twice/);
  });

  it('repeat counts EBX from 1 and loops while EBX < times + 1', () => {
    const lines = disassemble(new Program().repeat(5, [asm.hlt()]).bytes());
    assert.deepEqual(lines, [
      '0: mov ebx,0x1',
      '5: hlt',
      '6: inc ebx',
      '8: cmp ebx,0x6',
      'e: jb 0x5',
    ]);
  });

  it('tinyBzImage puts the code at the 64-bit entry, grows by 4 KiB and refuses code beyond init_size', () => {
    const img = tinyBzImage(asm.haltLoop());
    assert.equal(img.toString('latin1', 0x202, 0x206), 'HdrS');
    assert.deepEqual([...img.subarray(1024 + 0x200, 1024 + 0x203)], asm.haltLoop());
    assert.equal(img.length, 1024 + 0x1000);
    const big = tinyBzImage(new Array(0xe01).fill(0x90)); // one byte past the first 4 KiB
    assert.equal(big.length, 1024 + 0x2000);
    assert.equal(big.readUInt32LE(0x1f4), 0x2000 / 16); // syssize follows
    assert.throws(() => tinyBzImage(new Array(0x10000 - 0x200 + 1).fill(0x90)), /too long/);
  });
});
