// Builds the content of one D0 slot for boot tests: a signed manifest for two containers, the
// guest kernel and disk files it references, and D0 itself as EFI/BOOT/BOOTX64.EFI. By default
// the kernel and disks are random bytes (stage 1 checks presence, size and SHA-256, not content;
// such a build never launches). A build that must launch (A/B: the commit waits for the VMs'
// health) passes a real guest kernel in SlotOptions.
import crypto from 'node:crypto';
import {
  bootloaderName,
  diskImageName,
  FALLBACK_BOOTLOADER,
  guestKernelName,
  manifestName,
  signatureName,
} from '../../core/naming';
import type { Container, Manifest } from '../../core/schema';
import { signManifest } from '../../core/sign';
import { encodeManifest } from '../../core/tlv/encode';
import { uuidv7 } from '../../core/uuid';
import type { EspFile } from '../../builder/disk/esp';

export interface Slot {
  uuid: string;
  manifest: Manifest;
  tlv: Buffer;
  sig: Buffer;
  /** Path -> content of every file besides D0 and the manifest pair. */
  payload: Map<string, Buffer>;
}

const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

/** What a slot's VMs are made of; every field has the stage 1 default. */
export interface SlotOptions {
  /** The guest kernel (a bzImage); default 12,345 random bytes. */
  kernel?: Buffer;
  /** Each container's mem_mb; default 64. */
  memMb?: number;
  /** Each container's health_timeout_s; default 30. */
  healthTimeoutS?: number;
  /** Only the "web" container (one VM); default both "web" and "api". */
  webOnly?: boolean;
  /** web's disk image; default 137 sectors of random bytes. */
  webDisk?: Buffer;
}

function container(
  name: string,
  uuid: string,
  disk: Buffer,
  ip: string,
  mac: string,
  bootOrder: number,
  o: SlotOptions,
): Container {
  return {
    name,
    vcpu: 1,
    mem_mb: o.memMb ?? 64,
    disk_path: diskImageName(name, uuid),
    disk_sha256: sha256(disk),
    disk_size: String(disk.length),
    mac,
    ip4: ip,
    routes: [],
    boot_order: bootOrder,
    health_timeout_s: o.healthTimeoutS ?? 30,
    health: 'HEALTH_READY',
  };
}

/** A valid slot signed with secretKey. "web" launches before "api" (boot_order 1 < 2). */
export function makeSlot(secretKey: Uint8Array, o: SlotOptions = {}): Slot {
  const uuid = uuidv7(Date.now(), crypto.randomBytes(16));
  const kernel = o.kernel ?? crypto.randomBytes(12_345);
  // Over one 64 KiB read chunk, in whole 512-byte sectors (what virtio-blk serves).
  const webDisk = o.webDisk ?? crypto.randomBytes(137 * 512);
  const apiDisk = crypto.randomBytes(4096);
  const containers = [
    container('web', uuid, webDisk, '10.20.0.10/24', '02:00:00:00:00:0a', 1, o),
    container('api', uuid, apiDisk, '10.20.0.11/24', '02:00:00:00:00:0b', 2, o),
  ];
  if (o.webOnly) containers.pop();
  const manifest: Manifest = {
    header: {
      manifest_version: 1,
      build_uuid: uuid,
      timestamp_ms: String(Date.now()),
      security_epoch: '3',
      site: 'lab',
    },
    network: { bridge_ip4: '10.20.0.1/24', egress_nat: false },
    guest_kernel: {
      path: guestKernelName(uuid),
      sha256: sha256(kernel),
      size: String(kernel.length),
    },
    containers,
  };
  const tlv = Buffer.from(encodeManifest(manifest));
  return {
    uuid,
    manifest,
    tlv,
    sig: Buffer.from(signManifest(tlv, secretKey)),
    payload: new Map([
      [manifest.guest_kernel.path, kernel],
      ...containers.map((c, i): [string, Buffer] => [c.disk_path, i === 0 ? webDisk : apiDisk]),
    ]),
  };
}

/** Re-signs changed TLV bytes, so a test reaches the parser instead of the signature check. */
export function resign(slot: Slot, tlv: Buffer, secretKey: Uint8Array): Slot {
  return { ...slot, tlv, sig: Buffer.from(signManifest(tlv, secretKey)) };
}

/** The ESP files of a slot booted by efi (the fallback path a blank machine boots, plus the named copy). */
export function slotFiles(slot: Slot, efi: Buffer, opts: { omit?: string[] } = {}): EspFile[] {
  const files: EspFile[] = [
    { path: FALLBACK_BOOTLOADER, data: efi },
    { path: bootloaderName(slot.uuid), data: efi },
    { path: manifestName(slot.uuid), data: slot.tlv },
    { path: signatureName(slot.uuid), data: slot.sig },
    ...[...slot.payload].map(([path, data]) => ({ path, data })),
  ];
  return files.filter((f) => !opts.omit?.includes(f.path));
}
