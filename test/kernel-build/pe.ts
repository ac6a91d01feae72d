// A minimal PE32+ reader for the hardening tests (Microsoft PE/COFF specification: "MS-DOS
// stub", "COFF File Header", "Optional Header (Image Only)", "Section Table", ".debug Section").

export const SCN_MEM_EXECUTE = 0x20000000;
export const SCN_MEM_READ = 0x40000000;
export const SCN_MEM_WRITE = 0x80000000;
export const DLL_HIGH_ENTROPY_VA = 0x0020;
export const DLL_DYNAMIC_BASE = 0x0040;
export const DLL_NX_COMPAT = 0x0100;
export const SUBSYSTEM_EFI_APPLICATION = 10;
export const DEBUG_TYPE_REPRO = 16;
export const DEBUG_TYPE_EX_DLLCHARACTERISTICS = 20;
export const DLL_EX_CET_COMPAT = 0x0001;
const DIR_BASERELOC = 5;
const DIR_DEBUG = 6;

export interface PeSection {
  name: string;
  virtualSize: number;
  virtualAddress: number;
  rawSize: number;
  rawPointer: number;
  characteristics: number;
}

export interface PeImage {
  machine: number;
  timeDateStamp: number;
  magic: number;
  subsystem: number;
  dllCharacteristics: number;
  sectionAlignment: number;
  fileAlignment: number;
  directories: Array<{ rva: number; size: number }>;
  sections: PeSection[];
  debugEntries: Array<{ type: number; rva: number; size: number; data: Buffer }>;
}

export function parsePe(buf: Buffer): PeImage {
  if (buf.toString('latin1', 0, 2) !== 'MZ') throw new Error('no MZ signature');
  const pe = buf.readUInt32LE(0x3c);
  if (buf.toString('latin1', pe, pe + 4) !== 'PE\0\0') throw new Error('no PE signature');
  const coff = pe + 4;
  const machine = buf.readUInt16LE(coff);
  const nSections = buf.readUInt16LE(coff + 2);
  const timeDateStamp = buf.readUInt32LE(coff + 4);
  const optSize = buf.readUInt16LE(coff + 16);
  const opt = coff + 20;
  const magic = buf.readUInt16LE(opt);
  if (magic !== 0x20b) throw new Error(`not PE32+ (magic 0x${magic.toString(16)})`);
  const nDirs = buf.readUInt32LE(opt + 108);
  const directories = [];
  for (let i = 0; i < nDirs; i++)
    directories.push({
      rva: buf.readUInt32LE(opt + 112 + 8 * i),
      size: buf.readUInt32LE(opt + 116 + 8 * i),
    });
  const sections: PeSection[] = [];
  for (let i = 0; i < nSections; i++) {
    const s = opt + optSize + 40 * i;
    sections.push({
      name: buf.toString('latin1', s, s + 8).replace(/\0+$/, ''),
      virtualSize: buf.readUInt32LE(s + 8),
      virtualAddress: buf.readUInt32LE(s + 12),
      rawSize: buf.readUInt32LE(s + 16),
      rawPointer: buf.readUInt32LE(s + 20),
      characteristics: buf.readUInt32LE(s + 36),
    });
  }
  const rvaToOffset = (rva: number) => {
    const s = sections.find(
      (x) => rva >= x.virtualAddress && rva < x.virtualAddress + Math.max(x.virtualSize, x.rawSize),
    );
    if (!s) throw new Error(`RVA 0x${rva.toString(16)} is in no section`);
    return rva - s.virtualAddress + s.rawPointer;
  };
  const debugEntries = [];
  const dbg = directories[DIR_DEBUG];
  if (dbg && dbg.size > 0) {
    const off = rvaToOffset(dbg.rva);
    for (let i = 0; i < dbg.size / 28; i++) {
      const e = off + 28 * i;
      const size = buf.readUInt32LE(e + 16);
      const rva = buf.readUInt32LE(e + 20);
      const ptr = buf.readUInt32LE(e + 24);
      debugEntries.push({
        type: buf.readUInt32LE(e + 12),
        rva,
        size,
        data: buf.subarray(ptr, ptr + size),
      });
    }
  }
  return {
    machine,
    timeDateStamp,
    magic,
    subsystem: buf.readUInt16LE(opt + 68),
    dllCharacteristics: buf.readUInt16LE(opt + 70),
    sectionAlignment: buf.readUInt32LE(opt + 32),
    fileAlignment: buf.readUInt32LE(opt + 36),
    directories,
    sections,
    debugEntries,
  };
}

export function baseRelocDirectory(img: PeImage): { rva: number; size: number } {
  return img.directories[DIR_BASERELOC] ?? { rva: 0, size: 0 };
}
