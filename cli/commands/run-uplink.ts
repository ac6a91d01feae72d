// `d0 run --uplink` and `--forward PROTO:HOSTPORT:UPLINKPORT`: the options that give the booted
// host an uplink NIC on QEMU's user-mode network and forward host ports (bound to 127.0.0.1
// only) to ports of D0's uplink address, where the manifest's published ports take them.
import type { HostForward, UplinkOptions } from '../../builder/disk/qemu';
import { badInput } from '../io';

const FORWARD_RE = /^(tcp|udp):([0-9]{1,5}):([0-9]{1,5})$/;

function port(text: string, what: string, given: string): number {
  const n = Number(text);
  if (!(n >= 1 && n <= 65535) || (text.length > 1 && text.startsWith('0')))
    throw badInput(`--forward: ${JSON.stringify(given)}: ${what} ${text} is not a port 1..65535`);
  return n;
}

/** One --forward value; a CliError (bad input) naming the option and the text otherwise. */
export function parseForward(text: string): HostForward {
  const m = FORWARD_RE.exec(text);
  if (!m)
    throw badInput(
      `--forward: ${JSON.stringify(text)} is not PROTO:HOSTPORT:UPLINKPORT ` +
        '(PROTO tcp or udp, e.g. tcp:8080:80)',
    );
  return {
    protocol: m[1] as 'tcp' | 'udp',
    hostPort: port(m[2], 'host port', text),
    uplinkPort: port(m[3], 'uplink port', text),
  };
}

/**
 * The uplink of a run: undefined without --uplink and --forward (no NIC at all); --forward
 * implies --uplink. A host port forwarded twice (same protocol) is refused: QEMU could bind it
 * once only.
 */
export function uplinkFromFlags(
  uplink: boolean | undefined,
  forwards: readonly string[] | undefined,
): UplinkOptions | undefined {
  const fs = (forwards ?? []).map(parseForward);
  if (!uplink && fs.length === 0) return undefined;
  const seen = new Set<string>();
  for (const f of fs) {
    const k = `${f.protocol}:${f.hostPort}`;
    if (seen.has(k))
      throw badInput(`--forward: host ${f.protocol} port ${f.hostPort} is forwarded twice`);
    seen.add(k);
  }
  return { forwards: fs };
}
