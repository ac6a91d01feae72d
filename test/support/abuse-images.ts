// The container images of the network abuse tests (anti-spoofing, rate limits), all FROM Debian's
// busybox-static (d0/busybox-static, built offline in seconds) plus, where UDP is needed,
// test/support/net-tools/udptool.c linked static on this machine (busybox's nc has no UDP):
//   - SPOOFER / NEIGHBOUR (net-spoof.test.ts): the spoofer claims the neighbour's and the gateway's
//     addresses, then another MAC; the neighbour prints its ARP cache and its ICMP/UDP input
//     counters before and after. They take turns over TCP (busybox nc), so every "before" is taken
//     before the first spoofed frame and every "after" after the last.
//   - FLOODER / SINK / WEB (net-rate.test.ts): the flooder sends UDP as fast as it can to a sink
//     that prints what arrives each second; WEB serves a page with busybox httpd.
// Every script is bounded in time; each result is one console line the tests parse.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type Dockerode from 'dockerode';
import { ensureBusyboxImage } from '../../builder/docker/busybox-image';
import { dockerBuild } from './docker-build';

export const SPOOFER = 'd0-test/net-spoofer:1';
export const NEIGHBOUR = 'd0-test/net-neighbour:1';
export const FLOODER = 'd0-test/net-flooder:1';
export const SINK = 'd0-test/net-sink:1';
export const WEB = 'd0-test/net-httpd:1';
const ALL = [SPOOFER, NEIGHBOUR, FLOODER, SINK, WEB];

/** The spoofing test's addresses: its bridge (D0 is .1, the containers' gateway) and containers. */
export const SPOOF_NET = { gateway: '10.30.0.1', neighbour: '10.30.0.10', spoofer: '10.30.0.11' };
/** The MAC the spoofer takes in phase (b): no port has it. */
export const FOREIGN_MAC = '02:66:66:66:66:66';

/** UDP payload of every flood datagram: one full Ethernet frame (1514 bytes) each. */
export const FLOOD_PAYLOAD = 1472;
/** Ethernet + IPv4 + UDP headers: what a rate limit charges on top of a datagram's payload. */
export const UDP_FRAME_OVERHEAD = 42;
/** The page WEB serves. */
export const WEB_PAGE = 'served by busybox httpd while a neighbour floods';

const SOURCE = path.join(__dirname, 'net-tools', 'udptool.c');

/** Compiles udptool (static, so it runs in any root) into dir; returns its path. */
export function buildUdptool(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const out = path.join(dir, 'udptool');
  execFileSync('gcc', ['-static', '-Os', '-Wall', '-Wextra', '-Werror', '-o', out, SOURCE], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return out;
}

// Shared shell helpers: the ARP cache as "ip=mac" pairs (sorted, one line), and a named counter
// of /proc/net/snmp (its header line names the fields, the next line holds the values).
const SH_HELPERS = `
arp_table() { awk 'NR > 1 { print $1 "=" $4 }' /proc/net/arp | sort | tr '\\n' ' '; }
snmp() { awk -v p="$1:" -v f="$2" '$1 == p { if (!h) { for (i = 2; i <= NF; i++) if ($i == f) c = i; h = 1 } else print $c }' /proc/net/snmp; }
tx_packets() { awk -F'[: ]+' '$2 == "eth0" { print $12 }' /proc/net/dev; }
# Retries a TCP connection to $1:$2 until it is accepted (at most $3 tries, one a second).
knock() { i=0; while [ $i -lt $3 ]; do timeout 3 nc "$1" "$2" </dev/null && return 0; i=$((i + 1)); sleep 1; done; return 1; }
# Pings $1 until it answers (at most $2 tries).
reach() { i=0; while [ $i -lt $2 ]; do ping -c 1 -W 1 "$1" >/dev/null 2>&1 && return 0; i=$((i + 1)); done; return 1; }
`;

const { gateway: GW, neighbour: NB, spoofer: SP } = SPOOF_NET;

// The neighbour: learns its gateway's and the spoofer's MACs, snapshots, lets the spoofer go,
// waits for it to finish, snapshots again. ICMP InMsgs and UDP input (InDatagrams + NoPorts +
// InErrors) count every ICMP/UDP packet that reached its IP layer; the turns are TCP only.
const NEIGHBOUR_SCRIPT = `#!/bin/sh
${SH_HELPERS}
udp_in() { echo $(( $(snmp Udp InDatagrams) + $(snmp Udp NoPorts) + $(snmp Udp InErrors) )); }
reach ${GW} 60 || echo "neighbour: gateway unreachable"
reach ${SP} 120 || echo "neighbour: spoofer unreachable"
# A reply to one of reach's pings that gave up (-W 1) can still arrive: let them land first, or
# the snapshot below counts it as input during the spoofer's turn (seen once under load).
sleep 5
echo "neighbour-arp-before: $(arp_table)"
echo "neighbour-in-before: icmp=$(snmp Icmp InMsgs) udp=$(udp_in)"
knock ${SP} 7002 120 || echo "neighbour: spoofer never listened"
timeout 240 nc -l -p 7003 </dev/null
echo "neighbour-arp-after: $(arp_table)"
echo "neighbour-in-after: icmp=$(snmp Icmp InMsgs) udp=$(udp_in)"
exec sleep 100000
`;

// The spoofer (root in its VM): (a) its own MAC with the neighbour's and the gateway's addresses;
// (b) a MAC that is not its own. Every frame sent between "go" and the restore is a spoof; the
// count it prints (spoof-sent expect=) is what it sent by construction, a floor for drop_spoof.
const SPOOFER_SCRIPT = `#!/bin/sh
${SH_HELPERS}
reach ${NB} 120 || echo "spoofer: neighbour unreachable"
reach ${GW} 60 || echo "spoofer: gateway unreachable"
mymac=$(cat /sys/class/net/eth0/address)
nbmac=$(awk '$1 == "${NB}" { print $4 }' /proc/net/arp)
echo "spoofer-ready: mac=$mymac neighbour=$nbmac"
timeout 240 nc -l -p 7002 </dev/null
tx0=$(tx_packets)
# (a) our own MAC, the neighbour's address: a gratuitous ARP claiming it, pings to the gateway.
ip addr add ${NB}/32 dev eth0
arping -U -c 3 -w 4 -I eth0 -s ${NB} ${NB} >/dev/null 2>&1
ping -c 3 -W 1 -I ${NB} ${GW} >/dev/null 2>&1
ip addr del ${NB}/32 dev eth0
# ... and the gateway's: a gratuitous ARP claiming it, pings and UDP to the neighbour.
ip addr add ${GW}/32 dev eth0
arping -U -c 3 -w 4 -I eth0 -s ${GW} ${GW} >/dev/null 2>&1
ping -c 3 -W 1 -I ${GW} ${NB} >/dev/null 2>&1
ua=$(/bin/udptool send ${NB} 5000 100 2 ${GW})
ip addr del ${GW}/32 dev eth0
# (b) a foreign source MAC, our own address; the neighbour's MAC pinned so IP goes out at once.
ip link set eth0 down
ip link set eth0 address ${FOREIGN_MAC}
ip link set eth0 up
arp -s ${NB} "$nbmac"
arping -c 3 -w 4 -I eth0 ${NB} >/dev/null 2>&1
ping -c 3 -W 1 ${NB} >/dev/null 2>&1
ub=$(/bin/udptool send ${NB} 5000 100 2)
# Linux's virtio-net counts a frame when it reclaims its buffer (at its next transmit, or at the
# TX interrupt D0 sends up to 1 ms after taking a batch): a moment for the last batch to count.
sleep 1
tx1=$(tx_packets)
ip link set eth0 down
ip link set eth0 address "$mymac"
ip link set eth0 up
ip route add default via ${GW} 2>/dev/null
na=$(echo "$ua" | sed -n 's/.*packets=\\([0-9]*\\).*/\\1/p')
nb=$(echo "$ub" | sed -n 's/.*packets=\\([0-9]*\\).*/\\1/p')
echo "spoof-sent expect=$((3 + 3 + 3 + 3 + 3 + 3 + \${na:-0} + \${nb:-0})) udp_a=\${na:-0} udp_b=\${nb:-0} tx_frames=$((tx1 - tx0))"
sleep 2
knock ${NB} 7003 120 || echo "spoofer: neighbour never listened"
echo "spoofer-done"
exec sleep 100000
`;

/** Flood plan: phase A to the sink (the flooder's tx_limit is the bottleneck), phase B to the
 * rx-limited sink (its rx_limit is). */
export const FLOOD = {
  sinkA: '10.31.0.11',
  sinkB: '10.31.0.13',
  port: 5000,
  secondsA: 60,
  secondsB: 15,
};

const FLOODER_SCRIPT = `#!/bin/sh
${SH_HELPERS}
reach ${FLOOD.sinkA} 120 || echo "flooder: sink unreachable"
reach ${FLOOD.sinkB} 120 || echo "flooder: rx-limited sink unreachable"
sleep 3
echo "flood-a-start"
echo "flood-a-result: $(/bin/udptool send ${FLOOD.sinkA} ${FLOOD.port} ${FLOOD_PAYLOAD} ${FLOOD.secondsA})"
echo "flood-b-start"
echo "flood-b-result: $(/bin/udptool send ${FLOOD.sinkB} ${FLOOD.port} ${FLOOD_PAYLOAD} ${FLOOD.secondsB})"
exec sleep 100000
`;

const SINK_SCRIPT = `#!/bin/sh
exec /bin/udptool count ${FLOOD.port} 400
`;

const BUSYBOX_WITH_UDPTOOL = `FROM d0/busybox-static:1
COPY udptool /bin/udptool
COPY run.sh /bin/run.sh
CMD ["/bin/sh", "/bin/run.sh"]
`;

const WEB_DOCKERFILE = `FROM d0/busybox-static:1
RUN mkdir -p /www && echo '${WEB_PAGE}' > /www/index.html
CMD ["/usr/sbin/httpd", "-f", "-p", "80", "-h", "/www"]
`;

async function buildWith(
  docker: Dockerode,
  workDir: string,
  name: string,
  tag: string,
  script: string,
): Promise<string> {
  await ensureBusyboxImage(docker);
  const dir = path.join(workDir, `${name}-ctx`);
  buildUdptool(dir);
  return dockerBuild({ dir, dockerfile: BUSYBOX_WITH_UDPTOOL, tag, files: { 'run.sh': script } });
}

export async function buildSpoofImages(
  docker: Dockerode,
  workDir: string,
): Promise<{ spoofer: string; neighbour: string }> {
  return {
    spoofer: await buildWith(docker, workDir, 'spoofer', SPOOFER, SPOOFER_SCRIPT),
    neighbour: await buildWith(docker, workDir, 'neighbour', NEIGHBOUR, NEIGHBOUR_SCRIPT),
  };
}

export async function buildRateImages(
  docker: Dockerode,
  workDir: string,
): Promise<{ flooder: string; sink: string; web: string }> {
  await ensureBusyboxImage(docker);
  return {
    flooder: await buildWith(docker, workDir, 'flooder', FLOODER, FLOODER_SCRIPT),
    sink: await buildWith(docker, workDir, 'sink', SINK, SINK_SCRIPT),
    web: dockerBuild({ dir: path.join(workDir, 'web-ctx'), dockerfile: WEB_DOCKERFILE, tag: WEB }),
  };
}

export function removeAbuseImages(): void {
  execFileSync('/usr/bin/docker', ['rmi', '-f', ...ALL], { stdio: 'ignore' });
}
