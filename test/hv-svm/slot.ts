// A launchable D0 slot for the SVM tests: one container whose disk is a real root image and
// the real guest kernel, in a manifest signed with the test's key.
import crypto from 'node:crypto';
import { diskImageName, guestKernelName } from '../../core/naming';
import type { Manifest } from '../../core/schema';
import { signManifest } from '../../core/sign';
import { encodeManifest } from '../../core/tlv/encode';
import { uuidv7 } from '../../core/uuid';
import type { Slot } from '../boot/slot';

export { slotFiles } from '../boot/slot';

const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

export function makeLaunchSlot(
  secretKey: Uint8Array,
  kernel: Buffer,
  disk: Buffer,
  o: { name: string; memMb: number },
): Slot {
  const uuid = uuidv7(Date.now(), crypto.randomBytes(16));
  const manifest: Manifest = {
    header: {
      manifest_version: 1,
      build_uuid: uuid,
      timestamp_ms: String(Date.now()),
      security_epoch: '1',
      site: 'lab',
    },
    network: { bridge_ip4: '10.20.0.1/24', egress_nat: false },
    guest_kernel: { path: guestKernelName(uuid), sha256: sha256(kernel), size: String(kernel.length) },
    containers: [
      {
        name: o.name,
        vcpu: 1,
        mem_mb: o.memMb,
        disk_path: diskImageName(o.name, uuid),
        disk_sha256: sha256(disk),
        disk_size: String(disk.length),
        mac: '02:00:00:00:00:0a',
        ip4: '10.20.0.10/24',
        routes: [],
        boot_order: 1,
        health_timeout_s: 600,
        health: 'HEALTH_READY',
      },
    ],
  };
  const tlv = Buffer.from(encodeManifest(manifest));
  return {
    uuid,
    manifest,
    tlv,
    sig: Buffer.from(signManifest(tlv, secretKey)),
    payload: new Map([
      [manifest.guest_kernel.path, kernel],
      [manifest.containers[0].disk_path, disk],
    ]),
  };
}

/** makeVmsSlot's MAC of VM i ends with this byte plus i (02:00:00:00:00:10, :11, ...). */
export const VM_MAC_LAST_BYTE_BASE = 0x10;

/** One VM of a multi-VM slot (makeVmsSlot). */
export interface VmSpec {
  name: string;
  memMb: number;
  /** Launch order: ascending. */
  bootOrder: number;
  /** Default HEALTH_READY. */
  health?: Manifest['containers'][number]['health'];
  /** The root disk's bytes; default 4 KiB of zeros. */
  disk?: Buffer;
  /** vCPUs; default 1. */
  vcpu?: number;
}

/**
 * A launchable slot with one container per spec, all running the one guest kernel, each with
 * its own disk, MAC and address (10.20.0.10, .11, ...).
 */
export function makeVmsSlot(secretKey: Uint8Array, kernel: Buffer, vms: VmSpec[]): Slot {
  const uuid = uuidv7(Date.now(), crypto.randomBytes(16));
  const disks = vms.map((v) => v.disk ?? Buffer.alloc(4096));
  const manifest: Manifest = {
    header: {
      manifest_version: 1,
      build_uuid: uuid,
      timestamp_ms: String(Date.now()),
      security_epoch: '1',
      site: 'lab',
    },
    network: { bridge_ip4: '10.20.0.1/24', egress_nat: false },
    guest_kernel: {
      path: guestKernelName(uuid),
      sha256: sha256(kernel),
      size: String(kernel.length),
    },
    containers: vms.map((v, i) => ({
      name: v.name,
      vcpu: v.vcpu ?? 1,
      mem_mb: v.memMb,
      disk_path: diskImageName(v.name, uuid),
      disk_sha256: sha256(disks[i]),
      disk_size: String(disks[i].length),
      mac: `02:00:00:00:00:${(VM_MAC_LAST_BYTE_BASE + i).toString(16)}`,
      ip4: `10.20.0.${10 + i}/24`,
      routes: [],
      boot_order: v.bootOrder,
      health_timeout_s: 600,
      health: v.health ?? 'HEALTH_READY',
    })),
  };
  const tlv = Buffer.from(encodeManifest(manifest));
  const payload = new Map<string, Buffer>([[manifest.guest_kernel.path, kernel]]);
  manifest.containers.forEach((c, i) => payload.set(c.disk_path, disks[i]));
  return { uuid, manifest, tlv, sig: Buffer.from(signManifest(tlv, secretKey)), payload };
}
