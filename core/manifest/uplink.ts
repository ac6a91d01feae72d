// Cross-field rules of D0's own uplink address (network.uplink_ip4, uplink_gw4, uplink_echo):
// all or nothing, a usable host address, the gateway inside its subnet, and a subnet apart from
// the bridge's (D0 will route between the two; an overlap would make that ambiguous).
import type { Collector } from './collector';
import {
  broadcastOf,
  inSubnet,
  ip4ToU32,
  maskOf,
  networkOf,
  parseCidr,
  u32ToIp4,
  type Cidr,
} from './ip4';

type Obj = Record<string, unknown>;

export function uplinkRules(
  c: Collector,
  network: Obj | undefined,
  bridge: Cidr | undefined,
): void {
  if (!network) return;
  const ipText = network.uplink_ip4;
  const gwText = network.uplink_gw4;
  if (ipText === undefined) {
    if (gwText !== undefined)
      c.add('REQUIRED', 'network.uplink_ip4', 'is required with uplink_gw4 (D0 has no DHCP)');
    if (network.uplink_echo !== undefined)
      c.add('INVALID', 'network.uplink_echo', 'is set but there is no uplink_ip4 to answer on');
    return;
  }
  if (gwText === undefined) {
    c.add('REQUIRED', 'network.uplink_gw4', 'is required with uplink_ip4 (the uplink gateway)');
  }
  const up = typeof ipText === 'string' ? parseCidr(ipText) : undefined;
  if (!up) return; // the field check already reported it
  if (up.prefix < 1 || up.prefix > 30) {
    c.add('INVALID', 'network.uplink_ip4', `/${up.prefix} has no room for a gateway (use /1../30)`);
    return;
  }
  if (up.addr === networkOf(up) || up.addr === broadcastOf(up))
    c.add(
      'RESERVED_ADDRESS',
      'network.uplink_ip4',
      `${u32ToIp4(up.addr)} is the network or broadcast address of its subnet`,
    );
  if (bridge && bridge.prefix >= 1 && bridge.prefix <= 32) {
    const p = Math.min(up.prefix, bridge.prefix);
    if ((up.addr & maskOf(p)) >>> 0 === (bridge.addr & maskOf(p)) >>> 0)
      c.add(
        'INVALID',
        'network.uplink_ip4',
        `${ipText} overlaps the bridge subnet ${String(network.bridge_ip4)}; the uplink needs its own`,
      );
  }
  const gw = typeof gwText === 'string' ? ip4ToU32(gwText) : undefined;
  if (gw === undefined) return;
  if (!inSubnet(gw, up))
    c.add(
      'OUT_OF_SUBNET',
      'network.uplink_gw4',
      `${gwText} is outside the uplink subnet ${ipText}`,
    );
  else if (gw === up.addr)
    c.add('INVALID', 'network.uplink_gw4', `${gwText} is D0's own uplink address`);
  else if (gw === networkOf(up) || gw === broadcastOf(up))
    c.add(
      'RESERVED_ADDRESS',
      'network.uplink_gw4',
      `${gwText} is the network or broadcast address of the uplink subnet`,
    );
}
