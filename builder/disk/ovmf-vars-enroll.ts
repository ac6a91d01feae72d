// Writes a site's Secure Boot keys into a copy of OVMF's 4 MiB VARS template offline, so that the
// Secure Boot firmware boots with the site's PK, KEK and db enrolled and enforcing, no setup screen.
//
// Layout (EDK2 MdeModulePkg/Include/Guid/VariableFormat.h, and as Debian's
// OVMF_VARS_4M.snakeoil.fd holds its keys, compared byte for byte): after the
// VARIABLE_STORE_HEADER (28 bytes, at the firmware volume's HeaderLength) come
// AUTHENTICATED_VARIABLE_HEADERs, each 4-byte aligned:
//   0 StartId u16 = 0x55AA   2 State u8 (VAR_ADDED 0x3f)   3 Reserved u8
//   4 Attributes u32         8 MonotonicCount u64         16 TimeStamp EFI_TIME (16 bytes)
//  32 PubKeyIndex u32       36 NameSize u32               40 DataSize u32   44 VendorGuid
//  60 the name (UCS-2, NUL-terminated), then the data.
// PK, KEK and db are time-based authenticated variables (attributes NV|BS|RT|TIME_BASED_AUTH =
// 0x27) whose stored data is the EFI_SIGNATURE_LIST payload alone: the firmware strips the
// EFI_VARIABLE_AUTHENTICATION_2 descriptor when it accepts a SetVariable, and keeps the
// descriptor's TimeStamp in the header (a later update must carry a later time). Nothing is
// re-verified when the firmware reads the store: stored variables are trusted, as on a host whose
// keys were enrolled once. SecureBootEnable (1) and CustomMode (0) are plain NV|BS variables
// (0x03) under their OVMF GUIDs, as in the snakeoil file. The firmware adds certdb, VendorKeysNv,
// SetupMode and SecureBoot itself at its first boot (AuthVariableLib).
import fs from 'node:fs';
import { D0Error } from '../../core/errors';
import {
  readOvmfVars,
  VAR_ADDED,
  VAR_HEADER_LEN,
  variableHeaders,
  variableStore,
  variableStoreFree,
} from './ovmf-vars';

export const OVMF_VARS_4M_EMPTY = '/usr/share/OVMF/OVMF_VARS_4M.fd';

const EFI_GLOBAL_VARIABLE = '8be4df61-93ca-11d2-aa0d-00e098032b8c';
const EFI_IMAGE_SECURITY_DATABASE = 'd719b2cb-3d3a-4596-a3bc-dad00e67656f';
const SECURE_BOOT_ENABLE_GUID = 'f0a30bc7-af08-4556-99c4-001009c93a44';
const CUSTOM_MODE_GUID = 'c076ec0c-7028-4399-a072-71ee5c448b9f';
export const EFI_CERT_X509_GUID = 'a5c059a1-94e4-4aa7-87b5-ab155c2bf072';

/** VAR_ADDED & VAR_IN_DELETED_TRANSITION & VAR_DELETED: how edk2 leaves a replaced copy. */
const VAR_DELETED_FULLY = 0x3c;
const HEADER_LEN = VAR_HEADER_LEN;
const NV_BS = 0x03;
const NV_BS_RT_TIME_AUTH = 0x27;

export interface EnrolledKeys {
  /** EFI_SIGNATURE_LIST bytes (cert-to-efi-sig-list's .esl) for each variable. */
  pk: Buffer;
  kek: Buffer;
  db: Buffer;
}

interface NewVariable {
  name: string;
  vendor: string;
  attributes: number;
  data: Buffer;
  time?: Date;
}

export function guidBytes(g: string): Buffer {
  const m = /^([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})$/i.exec(g);
  if (!m) throw new Error(`not a GUID: ${g}`);
  const le = (h: string) => Buffer.from(h, 'hex').reverse();
  return Buffer.concat([le(m[1]), le(m[2]), le(m[3]), Buffer.from(m[4] + m[5], 'hex')]);
}

/** EFI_TIME (UEFI 2.10 §8.3) of a moment in UTC: TimeZone 0, Daylight 0, Nanosecond 0. */
function efiTime(t: Date): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt16LE(t.getUTCFullYear(), 0);
  b[2] = t.getUTCMonth() + 1;
  b[3] = t.getUTCDate();
  b[4] = t.getUTCHours();
  b[5] = t.getUTCMinutes();
  b[6] = t.getUTCSeconds();
  return b;
}

/**
 * Checks that `b` is a sequence of EFI_SIGNATURE_LISTs of X.509 certificates (UEFI 2.10 §32.4.1)
 * and returns how many certificates it holds; SB_ESL naming `what` otherwise.
 */
export function checkSignatureLists(b: Buffer, what: string): number {
  let off = 0;
  let certs = 0;
  if (b.length === 0) throw new D0Error('SB_ESL', `${what}: empty, no signature list`);
  while (off < b.length) {
    if (off + 28 > b.length)
      throw new D0Error('SB_ESL', `${what}: truncated EFI_SIGNATURE_LIST header at byte ${off}`);
    const type = b.subarray(off, off + 16);
    const listSize = b.readUInt32LE(off + 16);
    const headerSize = b.readUInt32LE(off + 20);
    const sigSize = b.readUInt32LE(off + 24);
    if (!type.equals(guidBytes(EFI_CERT_X509_GUID)))
      throw new D0Error('SB_ESL', `${what}: the list at byte ${off} is not of X.509 certificates`);
    const body = listSize - 28 - headerSize;
    if (listSize < 28 || off + listSize > b.length || sigSize <= 16 || body <= 0 || body % sigSize)
      throw new D0Error('SB_ESL', `${what}: inconsistent list sizes at byte ${off}`);
    certs += body / sigSize;
    off += listSize;
  }
  return certs;
}

/** The store of a VARS file that can take new variables: where it is, its free space, its end. */
function storeBounds(d: Buffer, file: string): { free: number; end: number; store: number } {
  const { store, end } = variableStore(d, file);
  if (d[store + 20] !== 0x5a || d[store + 21] !== 0xfe)
    throw new D0Error('VARS_FORMAT', `${file}: the variable store is not formatted and healthy`);
  try {
    return { free: variableStoreFree(d, store, end), end, store };
  } catch (e) {
    throw new D0Error('VARS_FORMAT', `${file}: ${(e as Error).message}`);
  }
}

/** Marks every live copy of (vendor, name) deleted; then appends the variable. */
function putVariable(d: Buffer, file: string, v: NewVariable): void {
  const { free, end, store } = storeBounds(d, file);
  const vendor = guidBytes(v.vendor);
  for (const { off, state, nameSize, next } of variableHeaders(d, store, end)) {
    if (next > free) break;
    const name = d.subarray(off + HEADER_LEN, off + HEADER_LEN + nameSize).toString('utf16le');
    const live = state === VAR_ADDED || state === (VAR_ADDED & 0xfe);
    if (live && name.replace(/\0+$/, '') === v.name && d.subarray(off + 44, off + 60).equals(vendor))
      d[off + 2] = VAR_DELETED_FULLY;
  }
  const name = Buffer.from(`${v.name}\0`, 'utf16le');
  const h = Buffer.alloc(HEADER_LEN);
  h.writeUInt16LE(0x55aa, 0);
  h[2] = VAR_ADDED;
  h.writeUInt32LE(v.attributes, 4);
  if (v.time) efiTime(v.time).copy(h, 16);
  h.writeUInt32LE(name.length, 36);
  h.writeUInt32LE(v.data.length, 40);
  vendor.copy(h, 44);
  const rec = Buffer.concat([h, name, v.data]);
  if (free + rec.length > end)
    throw new D0Error('SB_VARS', `${file}: no room in the variable store for ${v.name}`);
  rec.copy(d, free);
}

/**
 * Writes `out` (a new file unless `force`): the 4 MiB VARS template (OVMF_VARS_4M.fd, no keys)
 * with PK, KEK and db holding the given signature lists, Secure Boot enabled, CustomMode off.
 */
export function writeEnrolledVars(
  out: string,
  keys: EnrolledKeys,
  o: { template?: string; force?: boolean; time?: Date } = {},
): void {
  const template = o.template ?? OVMF_VARS_4M_EMPTY;
  if (!o.force && fs.existsSync(out))
    throw new D0Error('SB_EXISTS', `${out}: already exists; refusing to overwrite (give --force)`);
  let d: Buffer;
  try {
    d = fs.readFileSync(template);
  } catch {
    throw new D0Error(
      'SB_VARS',
      `${template}: the VARS template cannot be read (Debian package ovmf)`,
    );
  }
  checkSignatureLists(keys.pk, 'PK');
  checkSignatureLists(keys.kek, 'KEK');
  checkSignatureLists(keys.db, 'db');
  const time = o.time ?? new Date();
  const auth = (name: string, vendor: string, data: Buffer): NewVariable => ({
    name,
    vendor,
    attributes: NV_BS_RT_TIME_AUTH,
    data,
    time,
  });
  // db and KEK first, PK last, the order the snakeoil file has them (enrolling PK ends Setup Mode).
  for (const v of [
    auth('db', EFI_IMAGE_SECURITY_DATABASE, keys.db),
    auth('KEK', EFI_GLOBAL_VARIABLE, keys.kek),
    auth('PK', EFI_GLOBAL_VARIABLE, keys.pk),
    {
      name: 'SecureBootEnable',
      vendor: SECURE_BOOT_ENABLE_GUID,
      attributes: NV_BS,
      data: Buffer.from([1]),
    },
    { name: 'CustomMode', vendor: CUSTOM_MODE_GUID, attributes: NV_BS, data: Buffer.from([0]) },
  ])
    putVariable(d, template, v);
  const tmp = `${out}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, d);
  fs.renameSync(tmp, out);
  // Read back through the reader `d0 disk status` uses: what was written is what it sees.
  const seen = readOvmfVars(out);
  for (const n of ['PK', 'KEK', 'db'])
    if (!seen.some((v) => v.name === n && v.attributes === NV_BS_RT_TIME_AUTH))
      throw new D0Error('SB_VARS', `${out}: ${n} did not read back from the written store`);
}
