// The built BOOTX64.EFI carries the hardening kernel/README.md promises: read from its PE
// headers, not from the Makefile, so a flag lost in a refactor fails here.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildKernel } from '../../builder/d0-efi';
import {
  baseRelocDirectory,
  DEBUG_TYPE_EX_DLLCHARACTERISTICS,
  DEBUG_TYPE_REPRO,
  DLL_DYNAMIC_BASE,
  DLL_EX_CET_COMPAT,
  DLL_HIGH_ENTROPY_VA,
  DLL_NX_COMPAT,
  parsePe,
  SCN_MEM_EXECUTE,
  SCN_MEM_WRITE,
  SUBSYSTEM_EFI_APPLICATION,
  type PeImage,
} from './pe';

// RFC 8032 section 7.1 TEST 1 public key (public test data).
const TEST1_PUBLIC = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';

describe('kernel build: PE hardening of BOOTX64.EFI', function () {
  this.timeout(300_000);
  let dir: string;
  let bytes: Buffer;
  let pe: PeImage;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-pe-'));
    const built = await buildKernel({
      publicKeyHex: TEST1_PUBLIC,
      outFile: path.join(dir, 'BOOTX64.EFI'),
      mode: 'host',
    });
    bytes = fs.readFileSync(built.path);
    pe = parsePe(bytes);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is a PE32+ x86-64 EFI application', () => {
    assert.equal(pe.machine, 0x8664);
    assert.equal(pe.magic, 0x20b);
    assert.equal(pe.subsystem, SUBSYSTEM_EFI_APPLICATION);
  });

  it('has no section that is both writable and executable', () => {
    const wx = pe.sections.filter(
      (s) => s.characteristics & SCN_MEM_WRITE && s.characteristics & SCN_MEM_EXECUTE,
    );
    assert.deepEqual(
      wx.map((s) => s.name),
      [],
    );
    const text = pe.sections.find((s) => s.name === '.text');
    assert.ok(text && text.characteristics & SCN_MEM_EXECUTE, 'a .text section is executable');
  });

  it('aligns every section to 4 KiB in memory and in the file, so the firmware can set page permissions', () => {
    assert.equal(pe.sectionAlignment, 4096);
    assert.equal(pe.fileAlignment, 4096);
    for (const s of pe.sections) {
      assert.equal(s.virtualAddress % 4096, 0, `${s.name} RVA`);
      assert.equal(s.rawPointer % 4096, 0, `${s.name} file offset`);
    }
  });

  it('sets DYNAMIC_BASE, HIGH_ENTROPY_VA and NX_COMPAT', () => {
    for (const [flag, name] of [
      [DLL_DYNAMIC_BASE, 'DYNAMIC_BASE'],
      [DLL_HIGH_ENTROPY_VA, 'HIGH_ENTROPY_VA'],
      [DLL_NX_COMPAT, 'NX_COMPAT'],
    ] as const)
      assert.ok(
        pe.dllCharacteristics & flag,
        `${name} missing from 0x${pe.dllCharacteristics.toString(16)}`,
      );
  });

  it('keeps its base relocations (.reloc) so it can be loaded anywhere', () => {
    const reloc = pe.sections.find((s) => s.name === '.reloc');
    assert.ok(
      reloc && reloc.virtualSize > 0,
      `no .reloc among ${pe.sections.map((s) => s.name).join(' ')}`,
    );
    assert.ok(baseRelocDirectory(pe).size > 0, 'empty base relocation directory');
  });

  it('is reproducible (/Brepro) and claims no CET shadow-stack compatibility it never ran under', () => {
    const types = pe.debugEntries.map((e) => e.type);
    assert.ok(types.includes(DEBUG_TYPE_REPRO), `debug entry types: ${types.join(',')}`);
    // D0 never enables shadow stacks, and its own assembly (the SMP trampoline, VM entries) has
    // never run under them: the CET_COMPAT mark would let a firmware that enforces them run it.
    const ex = pe.debugEntries.find((e) => e.type === DEBUG_TYPE_EX_DLLCHARACTERISTICS);
    assert.equal(ex ? ex.data.readUInt32LE(0) & DLL_EX_CET_COMPAT : 0, 0, 'CET_COMPAT is set');
  });

  it('embeds no host path and no debug information', () => {
    for (const needle of ['/work/', '/tmp/', '/root/', '/home/', os.tmpdir() + '/', '.pdb'])
      assert.equal(bytes.indexOf(needle), -1, `found ${needle} in the image`);
    assert.ok(!pe.sections.some((s) => s.name.startsWith('.debug')), 'a .debug section');
  });

  it('compiles in the public key it was built with, byte for byte', () => {
    assert.notEqual(bytes.indexOf(Buffer.from(TEST1_PUBLIC, 'hex')), -1);
  });
});
