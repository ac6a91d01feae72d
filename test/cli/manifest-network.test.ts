// `d0 manifest inspect` and `d0 manifest diff` on the golden vector with every per-container
// network field (valid-container-network): the fields are shown, by their values.
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import type { Io } from '../../cli/io';
import { main } from '../../cli/main';

const VECTORS = path.join(__dirname, '..', 'vectors', 'manifest');

async function d0(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (l) => out.push(l), err: (l) => err.push(l), env: { D0_SIGNING_KEY: '' } };
  const code = await main(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('d0 manifest inspect / diff: the container network fields', () => {
  const net = path.join(VECTORS, 'valid-container-network.tlv');

  it('inspect prints published ports, the egress policy and the rate limits', async () => {
    const r = await d0(['manifest', 'inspect', net]);
    assert.equal(r.code, 0, r.err);
    for (const line of [
      'containers[web].publish[0].protocol=IP_PROTO_TCP',
      'containers[web].publish[0].uplink_port=8080',
      'containers[web].publish[0].container_port=80',
      'containers[db].egress_restricted=true',
      'containers[web].egress_allow[2].port_hi=8100',
      'containers[web].tx_limit.burst_bytes=15140',
      'containers[web].rx_limit.packets_per_s=500',
    ])
      assert.ok(r.out.split('\n').includes(line), `${line} missing:\n${r.out}`);
    const j = await d0(['manifest', 'inspect', net, '--json']);
    const web = (JSON.parse(j.out) as { containers: Record<string, unknown>[] }).containers[1];
    assert.deepEqual(web.publish, [
      { protocol: 'IP_PROTO_TCP', uplink_port: 8080, container_port: 80 },
      { protocol: 'IP_PROTO_TCP', uplink_port: 9000, container_port: 9000 },
      { protocol: 'IP_PROTO_UDP', uplink_port: 53, container_port: 5353 },
    ]);
  });

  it('diff names each network field that differs', async () => {
    const r = await d0(['manifest', 'diff', path.join(VECTORS, 'valid-uplink.tlv'), net]);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.split('\n');
    assert.ok(lines.includes('containers[db]: added'), r.out);
    assert.ok(
      lines.includes(
        'containers[web].publish: (unset) -> tcp 8080->80, tcp 9000->9000, udp 53->5353',
      ),
      r.out,
    );
    assert.ok(lines.includes('containers[web].egress_restricted: (unset) -> true'), r.out);
    assert.ok(
      lines.some((l) =>
        l.startsWith('containers[web].egress_allow: (unset) -> 0.0.0.0/0 udp 53-53, '),
      ),
      r.out,
    );
    assert.ok(lines.includes('containers[web].rx_limit.packets_per_s: (unset) -> 500'), r.out);
  });
});
