// Values the authoring input may leave out, derived deterministically.
import { sha256 } from '@noble/hashes/sha2.js';
import { formatMac } from '../tlv/values';

/**
 * The MAC of a container whose input gives none: 02 (locally administered, unicast) followed by
 * the first 5 bytes of sha256("d0-mac\0" + site + "\0" + name). Stable across builds, distinct per
 * site, so a VM keeps its MAC (and its DHCP leases / ARP entries elsewhere) from build to build.
 */
export function deriveMac(site: string, name: string): string {
  const h = sha256(new Uint8Array(Buffer.from(`d0-mac\0${site}\0${name}`, 'utf8')));
  return formatMac(Uint8Array.of(0x02, h[0], h[1], h[2], h[3], h[4]));
}

/** Proto3 defaults applied when the authoring input omits a field. */
export const DEFAULTS = {
  manifest_version: 1,
  egress_nat: false,
  health: 'HEALTH_READY',
} as const;
