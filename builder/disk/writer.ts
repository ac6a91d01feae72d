// Writes one build into the inactive slot of an A/B disk image or block device, power-safely.
//
// Contract (kernel/docs/ab.md "Slots, updates and rollback" has the whole story):
// - The active slot is never written. It is the slot holding D0's last good build: read from
//   D0's NV state when a VARS file is given (the dev loop), or given as --active UUID (what D0
//   logs on the host), or, when neither is given, the only slot whose build verifies. Two
//   verified slots and no hint is refused: the writer never guesses.
// - Refused before anything is written: a build whose signature does not verify with the target's
//   public key, a TLV that does not decode, a file whose size/digest differs from the signed one,
//   a Secure Boot signer (opts.secureBoot) whose key or certificate fails its checks,
//   a security_epoch below the floor = max(the active slot's manifest epoch, D0's committed
//   epoch when the VARS file is given), with a VARS file a security_epoch over D0's committed
//   epoch + 2^16 (proto/SEMANTICS.md), and a build too big for the slot (DISK_SLOT_TOO_SMALL).
// - Order on disk: (1) the whole FAT32 image, built aside with the manifest as
//   manifest-<uuid>.tlv.part, is copied over the partition's byte range in 1 MiB writes, fsynced,
//   read back and compared by SHA-256; (2) the manifest is renamed to manifest-<uuid>.tlv in place
//   (mtools rewrites one directory entry) and fsynced: THE COMMIT POINT, because D0 only sees a
//   slot's build through that name; (3) every file is read back through the file system and
//   compared by SHA-256.
// - Only the inactive slot's partition is written: never the GPT, the MBR or the other slot. The
//   slot's identity is its FAT volume label (D0_<letter>) and its one manifest-<uuid>.tlv, both
//   inside the partition; the GPT names stay what `d0 disk build` wrote (ESP_A/ESP_B), so no
//   multi-sector table update can tear.
// - What a cut leaves (test/ab/write-replay.test.ts replays every prefix of these writes, and
//   subsets of each write, and boots a sample): before (2) the slot holds a mix of its old bytes
//   and the new FAT with no manifest-<uuid>.tlv of the new build, so D0 boots its last good build
//   from the active slot. A build the slot held before is whole only until the first of its
//   sectors is rewritten (D0 tries it then if it is newer than its last good build); after that
//   it fails D0's digest checks and is ignored. From (2) on the slot holds the complete new
//   build, which D0 tries. In every state a re-run completes.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { D0Error } from '../../core/errors';
import { manifestName } from '../../core/naming';
import { EPOCH_STEP } from '../../core/manifest/semantic';
import { buildEspDisk } from './esp';
import { renameFat } from './fat';
import { lockTarget } from './lock';
import { readAbState, type D0AbState } from './ovmf-vars';
import {
  checkSlotFits,
  espFilesOf,
  readSlotTree,
  slotMiBFor,
  treeBytes,
  slotPartitions,
  treeFiles,
  partitionFiles,
  type SlotLetter,
} from './slots';
import { verifySlot } from './slot-verify';
import { checkSecureBootSigner, signedEspFiles, type SecureBootSigner } from './secure-boot';
import { diskStatus, type SlotStatus } from './status';

const CHUNK = 1024 * 1024;

export interface WriteOptions {
  target: string;
  buildDir: string;
  /** The key D0 on the target was built with. */
  publicKey: Uint8Array;
  /** 'auto' (the inactive slot) or a letter, refused when it is the active slot. */
  slot?: 'auto' | SlotLetter;
  /** UUID of the active build, as D0 reports it. */
  active?: string;
  /** OVMF VARS file holding D0's NV state (dev loop). */
  vars?: string;
  /**
   * Called at every step boundary and after every chunk (n counts from 1). Tests use it to cut
   * the writer at chosen points (the child process kills itself); nothing else should.
   */
  onStep?: (n: number, what: string) => void;
  /** The slot's bytes written so far, of its partition's size: after each 1 MiB chunk (progress). */
  onBytes?: (slot: SlotLetter, written: number, total: number) => void;
  /**
   * Sign D0 (both of its names) with the operator's Secure Boot db key as it goes into the slot
   * (builder/disk/secure-boot.ts); the build directory itself is not changed.
   */
  secureBoot?: SecureBootSigner;
  /** Skip the build's own checks: only for tests that put a bad build on a disk on purpose. */
  unsafeSkipBuildChecks?: boolean;
}

export interface WriteResult {
  slot: SlotLetter;
  uuid: string;
  active?: { slot: SlotLetter; uuid: string };
  bytes: number;
}

function chooseActive(
  slots: SlotStatus[],
  opts: WriteOptions,
  state?: D0AbState,
): SlotStatus | undefined {
  const want = state?.lastGood ?? opts.active;
  if (want) {
    const s = slots.find((x) => x.uuid === want);
    if (!s)
      throw new D0Error(
        'DISK_ACTIVE_MISSING',
        `${opts.target}: the active build ${want} is on no slot`,
      );
    return s;
  }
  const verified = slots.filter((s) => s.verified);
  if (verified.length > 1)
    throw new D0Error(
      'DISK_ACTIVE_AMBIGUOUS',
      `${opts.target}: both slots hold a verified build (${verified.map((s) => `${s.letter}=${s.uuid}`).join(', ')}); give --active UUID or --vars FILE`,
    );
  return verified[0];
}

/** Writes under the target's lock (lock.ts): a second writer on the same disk fails at once. */
export async function writeSlot(opts: WriteOptions): Promise<WriteResult> {
  const release = lockTarget(opts.target);
  try {
    return await writeSlotLocked(opts);
  } finally {
    release();
  }
}

async function writeSlotLocked(opts: WriteOptions): Promise<WriteResult> {
  let step = 0;
  const mark = (what: string) => opts.onStep?.(++step, what);

  const tree = readSlotTree(opts.buildDir);
  if (opts.secureBoot) await checkSecureBootSigner(opts.secureBoot);
  const build = await verifySlot(treeFiles(tree), opts.publicKey);
  if (!build.verified && !opts.unsafeSkipBuildChecks)
    throw new D0Error(
      'DISK_BAD_BUILD',
      `${opts.buildDir}: build ${tree.uuid} refused: ${build.reason}`,
    );

  const state = opts.vars ? readAbState(opts.vars) : undefined;
  const slots = await diskStatus(opts.target, opts.publicKey, state);
  const active = chooseActive(slots, opts, state);
  if (active?.uuid === tree.uuid)
    throw new D0Error('DISK_SAME_BUILD', `${opts.target}: build ${tree.uuid} is the active build`);
  const floor = [active?.epoch ?? 0n, state?.epoch ?? 0n].reduce((a, b) => (a > b ? a : b));
  if (build.epoch !== undefined && build.epoch < floor && !opts.unsafeSkipBuildChecks)
    throw new D0Error(
      'DISK_EPOCH_BELOW',
      `${opts.buildDir}: security_epoch ${build.epoch} is below the target's floor ${floor} (the active build's or D0's committed epoch)`,
    );
  // proto/SEMANTICS.md "Epoch ceiling", when D0's committed epoch is known (the VARS file): the
  // active slot's epoch alone may be below D0's floor, and a ceiling from it would be too strict.
  const ceiling = state ? state.epoch + EPOCH_STEP : undefined;
  if (
    ceiling !== undefined &&
    build.epoch !== undefined &&
    build.epoch > ceiling &&
    !opts.unsafeSkipBuildChecks
  )
    throw new D0Error(
      'DISK_EPOCH_CEILING',
      `${opts.buildDir}: security_epoch ${build.epoch} is over D0's committed epoch ${state!.epoch} + ${EPOCH_STEP}: D0 would refuse it (SEMANTIC_EPOCH_CEILING)`,
    );
  const want = opts.slot ?? 'auto';
  const target =
    want === 'auto' ? slots.find((s) => s !== active)! : slots.find((s) => s.letter === want)!;
  if (target === active)
    throw new D0Error(
      'DISK_SLOT_ACTIVE',
      `${opts.target}: slot ${target.letter} holds the active build ${active.uuid}`,
    );
  const part = slotPartitions(opts.target).find((p) => p.letter === target.letter)!.part;
  checkSlotFits(
    tree,
    part.size / CHUNK,
    `${opts.target}: slot ${target.letter}`,
    `nothing was written. A/B slots do not grow: lay out a new disk (d0 disk build derives the size from the build: ${slotMiBFor(treeBytes(tree))} MiB)`,
  );

  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-slot-'));
  try {
    mark('start');

    // The FAT image, built as a one-partition disk of exactly this partition's size.
    const staged = path.join(scratch, 'staged.img');
    const tlvName = manifestName(tree.uuid);
    const plain = espFilesOf(tree);
    const sources = opts.secureBoot
      ? await signedEspFiles(plain, tree.uuid, opts.secureBoot, scratch)
      : plain;
    const files = sources.map((f) => (f.path === tlvName ? { ...f, path: `${tlvName}.part` } : f));
    const disk = await buildEspDisk(staged, [
      {
        name: `ESP_${target.letter}`,
        label: `D0_${target.letter}`,
        files,
        sizeMiB: part.size / CHUNK,
      },
    ]);
    const src = disk.partitions[0].firstLba * 512;
    mark('staged');

    const want256 = crypto.createHash('sha256');
    const inFd = fs.openSync(staged, 'r');
    const outFd = fs.openSync(opts.target, 'r+');
    try {
      const buf = Buffer.alloc(CHUNK);
      for (let done = 0; done < part.size; done += CHUNK) {
        const n = Math.min(CHUNK, part.size - done);
        fs.readSync(inFd, buf, 0, n, src + done);
        want256.update(buf.subarray(0, n));
        fs.writeSync(outFd, buf, 0, n, part.offset + done);
        opts.onBytes?.(target.letter, done + n, part.size);
        mark('chunk');
      }
      fs.fsyncSync(outFd);
      mark('synced');
      const got256 = crypto.createHash('sha256');
      for (let done = 0; done < part.size; done += CHUNK) {
        const n = Math.min(CHUNK, part.size - done);
        fs.readSync(outFd, buf, 0, n, part.offset + done);
        got256.update(buf.subarray(0, n));
      }
      if (got256.digest('hex') !== want256.digest('hex'))
        throw new D0Error(
          'DISK_READBACK',
          `${opts.target}: slot ${target.letter} reads back different bytes`,
        );
    } finally {
      fs.closeSync(inFd);
      fs.closeSync(outFd);
    }
    mark('read_back');

    await renameFat(opts.target, part.offset, `${tlvName}.part`, tlvName);
    const fd = fs.openSync(opts.target, 'r+');
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    mark('committed');

    for (const f of sources) {
      const p = f.path;
      const got = await partitionFiles(opts.target, part).read(p);
      const want = Buffer.isBuffer(f.data) ? f.data : fs.readFileSync(f.data.file);
      if (
        !got ||
        !crypto.timingSafeEqual(
          crypto.createHash('sha256').update(got).digest(),
          crypto.createHash('sha256').update(want).digest(),
        )
      )
        throw new D0Error(
          'DISK_READBACK',
          `${opts.target}: slot ${target.letter}: ${p} reads back different bytes`,
        );
    }
    mark('files_checked');
    return {
      slot: target.letter,
      uuid: tree.uuid,
      active: active && { slot: active.letter, uuid: active.uuid! },
      bytes: part.size,
    };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
