// A host's identity on the update server: the MAC address of the NIC its firmware pulls through,
// lowercase hex with dashes ("52-54-00-12-34-56"), as the host spells it in the URL of its
// pointer (hosts/<host>.d0ptr). Only that one spelling is accepted: a host asks for one exact
// name, so "52:54:00:12:34:56" or upper case here would publish a pointer nobody reads.
import { PublishError } from './errors';

const HOST_ID = /^[0-9a-f]{2}(?:-[0-9a-f]{2}){5}$/;

/** Why `host` is not a host identity, or undefined when it is one. */
export function hostIdProblem(host: string): string | undefined {
  if (!HOST_ID.test(host)) {
    const hint = /^[0-9a-fA-F]{2}(?:[-:][0-9a-fA-F]{2}){5}$/.test(host)
      ? ` (write it ${host.toLowerCase().replace(/:/g, '-')})`
      : '';
    return `not a MAC address in lowercase hex with dashes, e.g. 52-54-00-12-34-56${hint}`;
  }
  // A NIC's own address is unicast: bit 0 of the first octet is the group bit.
  if (parseInt(host.slice(0, 2), 16) & 1) return 'a multicast or broadcast address, no NIC has it';
  if (host === '00-00-00-00-00-00') return 'the all-zero address, no NIC has it';
  return undefined;
}

/** Checks every host identity (one PUBLISH_HOST_ID error names each bad one); drops duplicates. */
export function checkHostIds(hosts: readonly string[]): string[] {
  const bad = hosts
    .map((h) => ({ h, p: hostIdProblem(h) }))
    .filter((x) => x.p !== undefined)
    .map((x) => `host ${JSON.stringify(x.h)}: ${x.p}`);
  if (bad.length > 0) throw new PublishError('PUBLISH_HOST_ID', bad.join('; '));
  return [...new Set(hosts)];
}
