// Publishing builds for hosts that pull their next build over plain HTTP at reboot, from a site's
// update server: any static web server serving the publication directory (docs/update-server.md).
//
// The publication directory of a site:
//
//   <site>/builds/<uuid>/...      the slot tree of the build, verbatim (the same relative paths:
//                                 EFI/BOOT/BOOTX64-<uuid>.EFI, EFI/BOOT/BOOTX64.EFI,
//                                 manifest-<uuid>.tlv, manifest-<uuid>.sig, VM/vmlinuz-<uuid>,
//                                 VM/<name>-<uuid>.img)
//   <site>/hosts/<host>.d0ptr     the host's pointer: the manifest's 64-byte Ed25519 signature
//                                 followed by the manifest's TLV bytes, of the build it should run
//   <site>/netboot/BOOTX64.EFI    D0 (the last published build's), the boot file a blank host
//                                 netboots to install its first build (a site's DHCP names it)
//
// <host> is the MAC address of the NIC the host's firmware pulls through, lowercase hex with
// dashes (52-54-00-12-34-56; ./host-id.ts).
//
// Contract:
// - Refused before anything is written (the site is left exactly as it was): a host identity
//   that is not one; a build whose signature does not verify with the site's public key, whose TLV
//   does not decode or breaks D0's rules, without a `loader` digest, whose
//   EFI/BOOT/BOOTX64-<uuid>.EFI does not match it or whose EFI/BOOT/BOOTX64.EFI differs from
//   it, with a file missing, unsigned or of another size or digest than the manifest's
//   (./verify.ts); an existing builds/<uuid>/ that does not hold exactly the build's files with
//   the same digests; a file where the layout has a directory, or a non-file where a pointer is.
// - A build directory is written once: copied into builds/.staging-<uuid>-<random>/, each copy
//   checked against the verified digest, every file and directory fsynced, then renamed to
//   builds/<uuid>/. An existing builds/<uuid>/ with the same files is reused as it is, never
//   rewritten. Readers thus see no builds/<uuid>/ or the whole build.
// - A pointer is one file, replaced in one rename (hosts/.<host>.d0ptr.<random>.tmp, written and
//   fsynced first): a host reads its old pointer or its new one, never a mix. Pointers are
//   written only once their build is in place.
// - The pointer is a hint: a host verifies the pointer's signature, the build and D0's image with
//   the key compiled into its own D0, and refuses what does not verify. The checks here keep a
//   build the hosts would refuse off the server.
// - A publisher killed half-way leaves at most hidden entries (builds/.staging-*,
//   hosts/.*.tmp) that no host reads; readPublication lists them as leftovers.
import { checkHostIds } from './host-id';
import { checkBuild } from './verify';
import { writePublication, type PublishResult } from './write';

export { PublishError, type PublishErrorCode } from './errors';
export { checkHostIds, hostIdProblem } from './host-id';
export {
  decodePointer,
  encodePointer,
  pointerFile,
  publishedBuildDir,
  BUILDS_DIR,
  HOSTS_DIR,
  POINTER_EXT,
  NETBOOT_FILE,
} from './layout';
export { readPublication, type HostPointer, type Publication, type PublishedBuild } from './read';
export type { TreeFile } from './tree';
export { checkBuild, slotDirOf, treeProblem, type CheckedBuild } from './verify';
export { writePublication, type PublishedPointer, type PublishResult } from './write';

export interface PublishRequest {
  /** The site's publication directory (created when missing). */
  readonly site: string;
  /** The build: its `<uuid>` directory (holding build.json and slot/) or its slot tree. */
  readonly buildDir: string;
  /** The site's 32-byte Ed25519 public key, the one compiled into the hosts' D0. */
  readonly publicKey: Uint8Array;
  /** The hosts to point at the build (host identities; none publishes the build alone). */
  readonly hosts: readonly string[];
}

/** Checks the build, then publishes it and points the hosts at it (the contract above). */
export async function publishBuild(req: PublishRequest): Promise<PublishResult> {
  checkHostIds(req.hosts);
  const build = await checkBuild(req.buildDir, req.publicKey);
  return writePublication(req.site, build, req.hosts);
}
