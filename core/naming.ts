// Artifact names of a build. One BUILD_UUID (UUIDv7) names every file of the build, so two builds
// never overwrite each other's files on a slot or in an output directory.
import { D0Error } from './errors';
import { isUuidV7 } from './uuid';
import { nameProblem } from './tlv/values';

function checkUuid(uuid: string): void {
  if (!isUuidV7(uuid))
    throw new D0Error('NAMING', `${JSON.stringify(uuid)} is not a UUIDv7 in canonical form`);
}

/** D0 itself: `EFI/BOOT/BOOTX64-<uuid>.EFI`. */
export function bootloaderName(uuid: string): string {
  checkUuid(uuid);
  return `EFI/BOOT/BOOTX64-${uuid}.EFI`;
}

/** The removable-media fallback a blank machine boots. */
export const FALLBACK_BOOTLOADER = 'EFI/BOOT/BOOTX64.EFI';

export function manifestName(uuid: string): string {
  checkUuid(uuid);
  return `manifest-${uuid}.tlv`;
}

export function signatureName(uuid: string): string {
  checkUuid(uuid);
  return `manifest-${uuid}.sig`;
}

/** A container's root disk: `VM/<name>-<uuid>.img`. */
export function diskImageName(container: string, uuid: string): string {
  checkUuid(uuid);
  const p = nameProblem(container);
  if (p) throw new D0Error('NAMING', `container name ${JSON.stringify(container)} ${p}`);
  return `VM/${container}-${uuid}.img`;
}

/** The guest Linux kernel of the build: `VM/vmlinuz-<uuid>`. */
export function guestKernelName(uuid: string): string {
  checkUuid(uuid);
  return `VM/vmlinuz-${uuid}`;
}

/** The UUID in a `manifest-<uuid>.tlv` / `.sig` file name, or undefined. */
export function uuidOfManifestName(file: string): string | undefined {
  const m = /(?:^|\/)manifest-([0-9a-f-]{36})\.(?:tlv|sig)$/.exec(file);
  return m && isUuidV7(m[1]) ? m[1] : undefined;
}
