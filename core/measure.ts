// The measured-boot prediction: the value D0 leaves in its PCR (SHA-256 bank) when it boots a
// build, computed from the signed manifest alone. The C side is kernel/boot/efi/measure.h; the
// two must agree on the PCR, the order of the events and what each event measures.
//
// Each event measures a 32-byte SHA-256 digest D (the manifest's TLV bytes hashed; then the guest
// kernel's and each container disk's digest as the manifest states them, in manifest order). The
// firmware's TCG2 HashLogExtendEvent hashes the measured data, so every event extends
//   PCR := SHA-256(PCR || SHA-256(D))
// starting from the 32 zero bytes a PCR holds after a platform reset.
import * as crypto from 'node:crypto';
import type { Manifest } from './schema';

/** The PCR D0 extends (kernel/boot/efi/measure.h says why 12). */
export const MEASURE_PCR = 12;

export interface MeasuredEvent {
  /** The event-log entry's text (EV_IPL event data), as D0 writes it. */
  readonly description: string;
  /** D: the 32 bytes measured. */
  readonly measured: Uint8Array;
}

const sha256 = (...parts: Uint8Array[]): Uint8Array => {
  const h = crypto.createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};

function digestBytes(hex: string, where: string): Uint8Array {
  if (!/^[0-9a-f]{64}$/i.test(hex))
    throw new Error(`${where}: ${JSON.stringify(hex)} is not a SHA-256 digest (64 hex digits)`);
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

/** The events D0 measures for the manifest whose exact signed bytes are tlv (decoded: m). */
export function measuredEvents(tlv: Uint8Array, m: Manifest): MeasuredEvent[] {
  const events: MeasuredEvent[] = [
    { description: `d0 manifest ${m.header.build_uuid}`, measured: sha256(tlv) },
    {
      description: `d0 guest-kernel ${m.guest_kernel.path}`,
      measured: digestBytes(m.guest_kernel.sha256, 'guest_kernel.sha256'),
    },
  ];
  m.containers.forEach((c, i) =>
    events.push({
      description: `d0 disk ${c.name} ${c.disk_path}`,
      measured: digestBytes(c.disk_sha256, `containers[${i}].disk_sha256`),
    }),
  );
  return events;
}

/** The SHA-256 bank's PCR after extending each measured digest in order, from zero. */
export function extendChain(measured: readonly Uint8Array[]): Uint8Array {
  let pcr: Uint8Array = new Uint8Array(32);
  for (const d of measured) {
    if (d.length !== 32) throw new Error(`a measured digest is ${d.length} bytes, not 32`);
    pcr = sha256(pcr, sha256(d));
  }
  return pcr;
}
