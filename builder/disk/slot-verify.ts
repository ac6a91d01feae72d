// What D0 checks on a slot, done offline from any file accessor (a build directory, or a FAT
// partition of a disk): exactly one manifest-<uuid>.tlv, its .sig verifying with the key, the TLV
// decoding, the signed build_uuid equal to the name, and every referenced file with its signed
// size and SHA-256. The same order and reasons as kernel/boot/efi (boot.c, ab/precheck.c).
import crypto from 'node:crypto';
import { verifyManifest } from '../../core/sign';
import { decodeManifest } from '../../core/tlv/decode';
import type { Manifest } from '../../core/schema';
import { errorCode } from '../../core/errors';
import { semanticProblems } from '../../core/manifest/semantic';

export interface SlotFiles {
  list(): Promise<string[]>;
  read(path: string): Promise<Buffer | undefined>;
}

export interface SlotVerdict {
  /** The UUID of the one manifest file name, if there is exactly one. */
  uuid?: string;
  manifest?: Manifest;
  epoch?: bigint;
  /** Signature, TLV and name check passed (what D0 checks before it tries a build). */
  signed: boolean;
  /** Everything D0 checks before launch passed, file digests included. */
  verified: boolean;
  /** Why not, as D0 would log it (no_manifest, bad_signature, digest_mismatch path=..., ...). */
  reason?: string;
}

const MANIFEST =
  /^manifest-([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\.tlv$/i;

const manifestNames = async (files: SlotFiles) =>
  (await files.list()).filter((p) => !p.includes('/') && MANIFEST.test(p));

/**
 * The build a slot holds, by the name of its one manifest file (lowercase), undefined with none or
 * several: the slot's identity, read without checking the signature or any digest (verifySlot does).
 */
export async function slotUuid(files: SlotFiles): Promise<string | undefined> {
  const names = await manifestNames(files);
  return names.length === 1 ? MANIFEST.exec(names[0])![1].toLowerCase() : undefined;
}

export async function verifySlot(files: SlotFiles, publicKey: Uint8Array): Promise<SlotVerdict> {
  const names = await manifestNames(files);
  if (names.length === 0) return { signed: false, verified: false, reason: 'no_manifest' };
  if (names.length > 1)
    return { signed: false, verified: false, reason: `several_manifests count=${names.length}` };
  const uuid = MANIFEST.exec(names[0])![1].toLowerCase();
  const no = (reason: string): SlotVerdict => ({ uuid, signed: false, verified: false, reason });
  const tlv = await files.read(names[0]);
  if (!tlv) return no('manifest_unreadable');
  const sig = await files.read(names[0].replace(/\.tlv$/i, '.sig'));
  if (!sig) return no('missing_signature');
  if (sig.length !== 64) return no('bad_signature_length');
  if (!verifyManifest(sig, tlv, publicKey)) return no('bad_signature');
  let manifest: Manifest;
  try {
    manifest = decodeManifest(tlv);
  } catch (e) {
    return no(`tlv:${errorCode(e) ?? 'ERROR'}`);
  }
  if (manifest.header.build_uuid !== uuid) return no('uuid_mismatch');
  const epoch = BigInt(manifest.header.security_epoch);
  const base = { uuid, manifest, epoch, signed: true };
  // D0's semantic re-check (proto/SEMANTICS.md); the floor is the writer's to apply.
  const sem = semanticProblems(manifest)[0];
  if (sem) return { ...base, verified: false, reason: `${sem.code} at=${sem.at}` };
  const refs = [
    {
      path: manifest.guest_kernel.path,
      sha256: manifest.guest_kernel.sha256,
      size: manifest.guest_kernel.size,
    },
    ...manifest.containers.map((c) => ({
      path: c.disk_path,
      sha256: c.disk_sha256,
      size: c.disk_size,
    })),
  ];
  for (const r of refs) {
    const data = await files.read(r.path);
    if (!data) return { ...base, verified: false, reason: `missing_file path=${r.path}` };
    if (String(data.length) !== r.size)
      return { ...base, verified: false, reason: `size_mismatch path=${r.path}` };
    if (crypto.createHash('sha256').update(data).digest('hex') !== r.sha256)
      return { ...base, verified: false, reason: `digest_mismatch path=${r.path}` };
  }
  return { ...base, verified: true };
}
