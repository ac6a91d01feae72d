// What a build must pass before anything of it is published: everything `d0 disk write` checks
// (builder/disk/slot-verify.ts: the signature with the site's public key, the TLV, the signed
// build_uuid against the file name, D0's semantic rules, every signed file's size and SHA-256),
// and what a host pulling it over the network relies on besides:
//   - the manifest pins D0's EFI image (`loader`: size and SHA-256) and EFI/BOOT/BOOTX64-<uuid>.EFI
//     has exactly that size and digest; EFI/BOOT/BOOTX64.EFI holds the same bytes;
//   - the tree holds nothing else: every file is signed (a manifest digest) or one of the four
//     fixed names, so builds/<uuid>/ is exactly what the manifest describes.
// The host checks all of this again with the key compiled into its D0; refusing here keeps a
// build the hosts would refuse off the server.
import fs from 'node:fs';
import path from 'node:path';
import { D0Error } from '../../core/errors';
import {
  bootloaderName,
  FALLBACK_BOOTLOADER,
  manifestName,
  signatureName,
} from '../../core/naming';
import type { Loader, Manifest } from '../../core/schema';
import { readSlotTree, treeFiles, type SlotTree } from '../disk/slots';
import { verifySlot, type SlotFiles } from '../disk/slot-verify';
import { PublishError } from './errors';
import { hashTree, type TreeFile } from './tree';

/** A build that passed every check: what the writer publishes, bytes and digests included. */
export interface CheckedBuild {
  readonly uuid: string;
  /** The slot tree the files are copied from. */
  readonly slotDir: string;
  readonly manifest: Manifest;
  /** The exact bytes whose signature verified: the pointer is made of them. */
  readonly tlv: Buffer;
  readonly sig: Buffer;
  readonly loader: Loader;
  /** Every file of the slot tree, sorted by path. */
  readonly files: readonly TreeFile[];
}

/** BUILD_DIR as given: a build's `<uuid>` directory (build.json and slot/) or its slot/. */
export function slotDirOf(buildDir: string): string {
  const slot = path.join(buildDir, 'slot');
  return fs.statSync(slot, { throwIfNoEntry: false })?.isDirectory() ? slot : buildDir;
}

/**
 * The publisher's rules over a manifest whose signature verified and the tree's files (pure): the
 * first problem in D0's words (`digest_mismatch path=...`, `loader_unsigned`, ...), or undefined.
 */
export function treeProblem(
  uuid: string,
  manifest: Manifest,
  files: readonly TreeFile[],
): string | undefined {
  const byPath = new Map(files.map((f) => [f.path, f]));
  const signed = [
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
  for (const s of signed) {
    const f = byPath.get(s.path);
    if (!f) return `missing_file path=${s.path}`;
    if (String(f.size) !== s.size) return `size_mismatch path=${s.path}`;
    if (f.sha256 !== s.sha256) return `digest_mismatch path=${s.path}`;
  }
  const efi = byPath.get(bootloaderName(uuid));
  if (!efi) return `missing_file path=${bootloaderName(uuid)}`;
  const loader = manifest.loader;
  if (!loader) return 'loader_unsigned';
  if (String(efi.size) !== loader.size) return `loader_size_mismatch path=${efi.path}`;
  if (efi.sha256 !== loader.sha256) return `loader_digest_mismatch path=${efi.path}`;
  const fallback = byPath.get(FALLBACK_BOOTLOADER);
  if (!fallback) return `missing_file path=${FALLBACK_BOOTLOADER}`;
  if (fallback.sha256 !== efi.sha256 || fallback.size !== efi.size)
    return `fallback_differs path=${FALLBACK_BOOTLOADER}`;
  const known = new Set([
    ...signed.map((s) => s.path),
    efi.path,
    FALLBACK_BOOTLOADER,
    manifestName(uuid),
    signatureName(uuid),
  ]);
  const stray = files.find((f) => !known.has(f.path));
  return stray ? `unsigned_file path=${stray.path}` : undefined;
}

const EXPLAIN: Record<string, string> = {
  loader_unsigned:
    "the manifest pins no loader (the size and SHA-256 of D0's EFI image), so a host could not check the D0 it downloads",
  bad_signature: 'the signature does not verify with the public key given',
};

function refuse(slotDir: string, uuid: string, reason: string): never {
  const why = EXPLAIN[reason.split(' ')[0]];
  throw new PublishError(
    'PUBLISH_BAD_BUILD',
    `${slotDir}: build ${uuid} refused: ${reason}${why ? ` (${why})` : ''}; nothing was published`,
    reason,
  );
}

/** Reads and checks the build at buildDir (`<uuid>` directory or slot tree); PublishError if not. */
export async function checkBuild(buildDir: string, publicKey: Uint8Array): Promise<CheckedBuild> {
  const slotDir = slotDirOf(buildDir);
  let tree: SlotTree;
  try {
    tree = readSlotTree(slotDir);
  } catch (e) {
    // Not a slot tree: no single manifest, D0 or the signature missing, a link or device inside.
    if (e instanceof D0Error)
      throw new PublishError(
        'PUBLISH_BAD_BUILD',
        `build refused: ${e.message}; nothing was published`,
        'not_a_build',
      );
    throw e;
  }
  const uuid = tree.uuid;
  // Read once: the bytes verified are the bytes hashed and put into the pointer.
  const tlv = fs.readFileSync(path.join(slotDir, manifestName(uuid)));
  const sig = fs.readFileSync(path.join(slotDir, signatureName(uuid)));
  const known = new Map([
    [manifestName(uuid), tlv],
    [signatureName(uuid), sig],
  ]);
  const base = treeFiles(tree);
  const files: SlotFiles = { list: base.list, read: async (p) => known.get(p) ?? base.read(p) };
  const verdict = await verifySlot(files, publicKey);
  if (!verdict.verified || !verdict.manifest) refuse(slotDir, uuid, verdict.reason ?? 'unverified');
  const digests = hashTree(tree, known);
  const problem = treeProblem(uuid, verdict.manifest, digests);
  if (problem) refuse(slotDir, uuid, problem);
  return {
    uuid,
    slotDir,
    manifest: verdict.manifest,
    tlv,
    sig,
    loader: verdict.manifest.loader!,
    files: digests,
  };
}
