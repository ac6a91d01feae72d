// Writes a checked build and its hosts' pointers into a site (the contract is at the top of
// ./index.ts). Everything that can refuse runs before the first write: the site's shape, the
// host identities, and an existing builds/<uuid>/ that differs from the build.
import fs from 'node:fs';
import path from 'node:path';
import { decodeManifest } from '../../core/tlv/decode';
import { readSlotTree } from '../disk/slots';
import { fsyncDir } from '../disk/esp';
import { PublishError } from './errors';
import { checkHostIds } from './host-id';
import {
  BUILDS_DIR,
  decodePointer,
  encodePointer,
  HOSTS_DIR,
  NETBOOT_FILE,
  pointerFile,
  pointerTemp,
  publishedBuildDir,
  stagingDir,
} from './layout';
import { copyAndHash, hashTree, treeDifference, type TreeFile } from './tree';
import type { CheckedBuild } from './verify';

export interface PublishedPointer {
  readonly host: string;
  /** `<site>/hosts/<host>.d0ptr` */
  readonly file: string;
  /**
   * The build the pointer named before (from its TLV, unverified); undefined for a new pointer
   * or an unreadable one.
   */
  readonly previous?: string;
}

export interface PublishResult {
  readonly uuid: string;
  /** `<site>/builds/<uuid>` */
  readonly buildDir: string;
  /** builds/<uuid>/ already held exactly these files and was left as it was. */
  readonly reused: boolean;
  /** The files of builds/<uuid>/, sorted by path. */
  readonly files: readonly TreeFile[];
  readonly pointers: readonly PublishedPointer[];
  /** `<site>/netboot/BOOTX64.EFI`: the build's D0, for hosts that netboot a first install. */
  readonly netboot: string;
}

/** Refuses a site where a file sits in the place of a directory of the layout, or the reverse. */
function checkSiteShape(site: string, hosts: readonly string[]): void {
  for (const d of [site, path.join(site, BUILDS_DIR), path.join(site, HOSTS_DIR)]) {
    const st = fs.statSync(d, { throwIfNoEntry: false });
    if (st && !st.isDirectory())
      throw new PublishError(
        'PUBLISH_SITE',
        `${d}: not a directory (a publication needs one here)`,
      );
  }
  for (const h of hosts) {
    const st = fs.lstatSync(pointerFile(site, h), { throwIfNoEntry: false });
    if (st && !st.isFile())
      throw new PublishError(
        'PUBLISH_SITE',
        `${pointerFile(site, h)}: not a regular file (a pointer is replaced by a rename)`,
      );
  }
}

/** How builds/<uuid>/ differs from the build, or undefined when it holds exactly its files. */
function publishedDifference(dir: string, build: CheckedBuild): string | undefined {
  let published: TreeFile[];
  try {
    published = hashTree(readSlotTree(dir));
  } catch (e) {
    return (e as Error).message;
  }
  return treeDifference(build.files, published);
}

function conflict(dir: string, build: CheckedBuild, why: string): PublishError {
  return new PublishError(
    'PUBLISH_CONFLICT',
    `${dir}: already exists and differs from build ${build.uuid} of ${build.slotDir}: ${why}; nothing was published (a build's directory is never rewritten)`,
  );
}

/** The build a pointer names, read without any check (for the report of what was replaced). */
function pointedUuid(file: string): string | undefined {
  try {
    const p = decodePointer(fs.readFileSync(file));
    return p && decodeManifest(p.tlv).header.build_uuid;
  } catch {
    return undefined;
  }
}

/**
 * Copies the build into builds/.staging-<uuid>-<random>/, checking each copy against the verified
 * digest, fsyncs every file and directory, then renames it to builds/<uuid>. Returns false when
 * another publisher renamed the same build into place first.
 */
function placeBuild(site: string, build: CheckedBuild, dest: string): boolean {
  const staging = stagingDir(site, build.uuid);
  fs.mkdirSync(staging);
  try {
    const dirs = new Set<string>([staging]);
    for (const f of build.files) {
      const to = path.join(staging, f.path);
      for (let d = path.dirname(to); !dirs.has(d); d = path.dirname(d)) dirs.add(d);
      fs.mkdirSync(path.dirname(to), { recursive: true });
      const got = copyAndHash(path.join(build.slotDir, f.path), to);
      if (got.size !== f.size || got.sha256 !== f.sha256)
        throw new PublishError(
          'PUBLISH_BAD_BUILD',
          `${path.join(build.slotDir, f.path)}: changed while it was published (now ${got.size} bytes, sha256 ${got.sha256}); nothing was published`,
          `changed path=${f.path}`,
        );
    }
    for (const d of dirs) fsyncDir(d);
    try {
      fs.renameSync(staging, dest);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
      const why = publishedDifference(dest, build);
      if (why) throw conflict(dest, build, why);
      fs.rmSync(staging, { recursive: true, force: true });
      return false;
    }
    fsyncDir(path.dirname(dest));
    return true;
  } catch (e) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw e;
  }
}

/** Replaces hosts/<host>.d0ptr in one rename: a host reads the old pointer or the new one. */
function writePointer(site: string, host: string, bytes: Buffer): void {
  const tmp = pointerTemp(site, host);
  try {
    const fd = fs.openSync(tmp, 'wx', 0o644);
    try {
      for (let off = 0; off < bytes.length;) off += fs.writeSync(fd, bytes, off);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, pointerFile(site, host));
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/** Replaces a file in one rename (a reader gets the old bytes or the new ones), fsynced. */
function replaceFile(file: string, bytes: Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, bytes, { flag: 'w', mode: 0o644 });
    const fd = fs.openSync(tmp, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
    fsyncDir(path.dirname(file));
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/** Publishes a checked build (./verify.ts) and points `hosts` at it. */
export function writePublication(
  site: string,
  build: CheckedBuild,
  hosts: readonly string[],
): PublishResult {
  const ids = checkHostIds(hosts);
  checkSiteShape(site, ids);
  const dest = publishedBuildDir(site, build.uuid);
  const exists = fs.existsSync(dest);
  if (exists) {
    const why = publishedDifference(dest, build);
    if (why) throw conflict(dest, build, why);
  }

  fs.mkdirSync(path.join(site, BUILDS_DIR), { recursive: true });
  fs.mkdirSync(path.join(site, HOSTS_DIR), { recursive: true });
  fsyncDir(site);
  // The build is in place before any pointer names it.
  const placed = exists ? false : placeBuild(site, build, dest);
  const pointer = encodePointer(build.sig, build.tlv);
  const pointers = ids.map((host) => {
    const file = pointerFile(site, host);
    const previous = fs.existsSync(file) ? pointedUuid(file) : undefined;
    writePointer(site, host, pointer);
    return { host, file, ...(previous ? { previous } : {}) };
  });
  if (ids.length > 0) fsyncDir(path.join(site, HOSTS_DIR));
  // The D0 a blank host netboots: any build's D0 of the site's key reads any pointer of the
  // site, so the last one published serves (kernel/boot/efi/install/netboot.h).
  const netboot = path.join(site, NETBOOT_FILE);
  const efi = fs.readFileSync(path.join(dest, 'EFI/BOOT/BOOTX64.EFI'));
  const old = fs.existsSync(netboot) ? fs.readFileSync(netboot) : undefined;
  if (!old || !old.equals(efi)) replaceFile(netboot, efi);
  return {
    uuid: build.uuid,
    buildDir: dest,
    reused: !placed,
    files: build.files,
    pointers,
    netboot,
  };
}
