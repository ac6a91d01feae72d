// Reads UEFI variables from an OVMF VARS file (the dev loop's NVRAM: `d0 run` keeps one next to
// the disk). Format source: EDK2 MdePkg/Include/Pi/PiFirmwareVolume.h (EFI_FIRMWARE_VOLUME_HEADER,
// HeaderLength at byte 48) and MdeModulePkg/Include/Guid/VariableFormat.h (VARIABLE_STORE_HEADER,
// 28 bytes; AUTHENTICATED_VARIABLE_HEADER, 60 bytes: StartId 0x55AA, State, Reserved, Attributes,
// MonotonicCount, TimeStamp, PubKeyIndex, NameSize, DataSize, VendorGuid; then the UCS-2 name and
// the data, the next header 4-byte aligned). A variable is live when State == VAR_ADDED (0x3f);
// one in VAR_IN_DELETED_TRANSITION (0x3e) counts only when no live copy exists.
import fs from 'node:fs';
import { D0Error } from '../../core/errors';

export const AUTH_VARIABLE_STORE = 'aaf32c78-947b-439a-a180-2e144ec37792';
export const VAR_ADDED = 0x3f;
const VAR_IN_DELETED_TRANSITION = 0x3e;
export const VAR_HEADER_LEN = 60;

export interface UefiVariable {
  name: string;
  vendor: string;
  attributes: number;
  data: Buffer;
}

function guidText(b: Buffer): string {
  const h = (x: Buffer) => x.toString('hex');
  const le = (x: Buffer) => h(Buffer.from(x).reverse());
  return `${le(b.subarray(0, 4))}-${le(b.subarray(4, 6))}-${le(b.subarray(6, 8))}-${h(b.subarray(8, 10))}-${h(b.subarray(10, 16))}`;
}

/** Where a VARS file's authenticated variable store lies (its header at `store`). */
export function variableStore(d: Buffer, file: string): { store: number; end: number } {
  if (d.length < 128 || d.toString('latin1', 40, 44) !== '_FVH')
    throw new D0Error('VARS_FORMAT', `${file}: not a firmware volume (no _FVH signature)`);
  const store = d.readUInt16LE(48);
  if (guidText(d.subarray(store, store + 16)) !== AUTH_VARIABLE_STORE)
    throw new D0Error('VARS_FORMAT', `${file}: not an authenticated variable store`);
  return { store, end: Math.min(d.length, store + d.readUInt32LE(store + 16)) };
}

export interface VariableHeader {
  off: number;
  state: number;
  nameSize: number;
  dataSize: number;
  /** Where the variable ends (the next header starts 4-byte aligned after it). */
  next: number;
  /** The variable runs past the store's end: the walk stops here. */
  overrun: boolean;
}

/** The variable headers of a store in order, up to its free space (no 0x55AA start id). */
export function* variableHeaders(d: Buffer, store: number, end: number): Generator<VariableHeader> {
  let off = (store + 28 + 3) & ~3;
  while (off + VAR_HEADER_LEN <= end && d.readUInt16LE(off) === 0x55aa) {
    const nameSize = d.readUInt32LE(off + 36);
    const dataSize = d.readUInt32LE(off + 40);
    const next = off + VAR_HEADER_LEN + nameSize + dataSize;
    yield { off, state: d[off + 2], nameSize, dataSize, next, overrun: next > end };
    if (next > end) return;
    off = (next + 3) & ~3;
  }
}

/** The first free byte of a store: where the walk of its headers ends (aligned). */
export function variableStoreFree(d: Buffer, store: number, end: number): number {
  let free = (store + 28 + 3) & ~3;
  for (const h of variableHeaders(d, store, end)) {
    if (h.overrun) throw new D0Error('VARS_FORMAT', 'a variable overruns the store');
    free = (h.next + 3) & ~3;
  }
  return free;
}

/** The live variables of a VARS file. */
export function readOvmfVars(file: string): UefiVariable[] {
  const d = fs.readFileSync(file);
  const { store, end } = variableStore(d, file);
  const live = new Map<string, UefiVariable>();
  const transit = new Map<string, UefiVariable>();
  for (const { off, state, nameSize, next, overrun } of variableHeaders(d, store, end)) {
    if (overrun) break;
    const name = d
      .subarray(off + VAR_HEADER_LEN, off + VAR_HEADER_LEN + nameSize)
      .toString('utf16le')
      .replace(/\0+$/, '');
    const v: UefiVariable = {
      name,
      vendor: guidText(d.subarray(off + 44, off + 60)),
      attributes: d.readUInt32LE(off + 4),
      data: Buffer.from(d.subarray(off + VAR_HEADER_LEN + nameSize, next)),
    };
    const key = `${v.vendor}/${name}`;
    if (state === VAR_ADDED) live.set(key, v);
    else if (state === VAR_IN_DELETED_TRANSITION) transit.set(key, v);
  }
  for (const [k, v] of transit) if (!live.has(k)) live.set(k, v);
  return [...live.values()];
}

/** D0's vendor GUID and state variable (kernel/boot/efi/ab/state.h). */
export const D0_VENDOR_GUID = 'd0d0ab00-5e1e-4c7a-9b1d-0a0b5107ab01';
export const D0_STATE_VARIABLE = 'D0AbState';

export interface D0AbState {
  lastGood?: string;
  trial?: string;
  triesLeft: number;
  epoch: bigint;
  bad?: string;
}

/** Decodes the 128-byte D0AbState layout of kernel/boot/efi/ab/state.h. */
export function decodeAbState(b: Buffer): D0AbState {
  if (b.length !== 128 || b.readUInt32LE(0) !== 0x42413044 || b.readUInt16LE(4) !== 1)
    throw new D0Error('VARS_STATE', 'D0AbState is not a version 1 state record');
  const uuid = (o: number) => {
    const f = b.subarray(o, o + 36);
    return f.every((x) => x === 0) ? undefined : f.toString('latin1');
  };
  return {
    triesLeft: b[6],
    epoch: b.readBigUInt64LE(8),
    lastGood: uuid(16),
    trial: uuid(52),
    bad: uuid(88),
  };
}

/** D0's state in a VARS file; undefined when D0 has not written it yet. */
export function readAbState(file: string): D0AbState | undefined {
  const v = readOvmfVars(file).find(
    (x) => x.vendor === D0_VENDOR_GUID && x.name === D0_STATE_VARIABLE,
  );
  return v && decodeAbState(v.data);
}
