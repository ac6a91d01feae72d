// A container's network fields (publish, egress_restricted + egress_allow, tx_limit, rx_limit):
// accepted, put in canonical order, encoded and decoded back unchanged; every broken rule
// reported at its path; and D0's own bridge MAC refused for a container.
import { strict as assert } from 'node:assert';
import { validateManifest } from '../../core/manifest/validate';
import { D0_BRIDGE_MAC } from '../../core/manifest/container-network';
import { decodeManifest } from '../../core/tlv/decode';
import { encodeManifest } from '../../core/tlv/encode';
import { uuidv7 } from '../../core/uuid';

const BUILD = {
  build: { build_uuid: uuidv7(1700000000000, new Uint8Array(16).fill(1)), timestamp_ms: 1 },
};
const SHA = 'ab'.repeat(32);
const UPLINK = { uplink_ip4: '192.0.2.10/24', uplink_gw4: '192.0.2.1' };

type Obj = Record<string, unknown>;

function container(name: string, i: number, extra: Obj = {}): Obj {
  return {
    name,
    vcpu: 1,
    mem_mb: 64,
    disk_sha256: SHA,
    disk_size: 4096,
    ip4: `10.20.0.${10 + i}/24`,
    boot_order: i,
    health_timeout_s: 30,
    ...extra,
  };
}

function site(containers: Obj[], network: Obj = UPLINK) {
  return {
    header: { security_epoch: 1 },
    network: { bridge_ip4: '10.20.0.1/24', egress_nat: true, ...network },
    guest_kernel: { sha256: SHA, size: 1000 },
    containers,
  };
}

/** "CODE path" of every problem (messages checked where they matter). */
function problems(containers: Obj[], network?: Obj): string[] {
  const r = validateManifest(site(containers, network), BUILD);
  assert.equal(r.manifest, undefined, 'a manifest despite problems');
  return r.problems.map((p) => `${p.code} ${p.path}`);
}

function message(containers: Obj[], path: string, network?: Obj): string {
  const r = validateManifest(site(containers, network), BUILD);
  const p = r.problems.find((x) => x.path === path);
  assert.ok(p, `no problem at ${path}: ${JSON.stringify(r.problems)}`);
  return p.message;
}

const tcp = (uplink_port: number, container_port: number) => ({
  protocol: 'IP_PROTO_TCP',
  uplink_port,
  container_port,
});

describe("core/manifest/validate: a container's network fields", () => {
  it('accepts every field, sorts the entries canonically and round-trips them', () => {
    const r = validateManifest(
      site([
        container('web', 0, {
          publish: [
            { protocol: 'IP_PROTO_UDP', uplink_port: 53, container_port: 53 },
            tcp(9000, 9000),
            tcp(8080, 80),
          ],
          egress_restricted: true,
          egress_allow: [
            { dest: '10.0.2.2/32', protocol: 'IP_PROTO_TCP', port_lo: 8000, port_hi: 8100 },
            { dest: '10.0.2.2/32', protocol: 'IP_PROTO_TCP', port_lo: 80 },
            { dest: '0.0.0.0/0', protocol: 'IP_PROTO_UDP' },
            { dest: '192.0.2.0/24', protocol: 'IP_PROTO_ICMP' },
            { dest: '198.51.100.0/24' },
          ],
          tx_limit: { bytes_per_s: 12_500_000, burst_bytes: 15140 },
          rx_limit: { packets_per_s: 500 },
        }),
      ]),
      BUILD,
    );
    assert.deepEqual(r.problems, []);
    const web = r.manifest!.containers[0];
    // 8080 before 9000: numeric order, which the little-endian bytes would reverse.
    assert.deepEqual(
      web.publish!.map((p) => `${p.protocol}:${p.uplink_port}`),
      ['IP_PROTO_TCP:8080', 'IP_PROTO_TCP:9000', 'IP_PROTO_UDP:53'],
    );
    assert.deepEqual(web.egress_allow, [
      { dest: '0.0.0.0/0', protocol: 'IP_PROTO_UDP', port_lo: 1, port_hi: 65535 },
      { dest: '10.0.2.2/32', protocol: 'IP_PROTO_TCP', port_lo: 80, port_hi: 80 },
      { dest: '10.0.2.2/32', protocol: 'IP_PROTO_TCP', port_lo: 8000, port_hi: 8100 },
      { dest: '192.0.2.0/24', protocol: 'IP_PROTO_ICMP', port_lo: 0, port_hi: 0 },
      { dest: '198.51.100.0/24', protocol: 'IP_PROTO_ANY', port_lo: 0, port_hi: 0 },
    ]);
    assert.equal(web.egress_restricted, true);
    assert.deepEqual(web.tx_limit, {
      bytes_per_s: '12500000',
      packets_per_s: 0,
      burst_bytes: 15140,
    });
    assert.deepEqual(web.rx_limit, { bytes_per_s: '0', packets_per_s: 500, burst_bytes: 0 });
    assert.deepEqual(decodeManifest(encodeManifest(r.manifest!)), r.manifest);
  });

  it('leaves a container without the fields as it was (empty lists, nothing encoded)', () => {
    const r = validateManifest(site([container('web', 0, { egress_restricted: false })]), BUILD);
    assert.deepEqual(r.problems, []);
    const web = r.manifest!.containers[0];
    assert.deepEqual([web.publish, web.egress_allow], [[], []]);
    assert.equal('egress_restricted' in web, false, 'false is the field left out');
    assert.equal('tx_limit' in web || 'rx_limit' in web, false);
    const plain = validateManifest(site([container('web', 0)]), BUILD).manifest!;
    assert.deepEqual(encodeManifest(r.manifest!), encodeManifest(plain));
  });

  it('accepts a deny-all policy: egress_restricted with no rules', () => {
    const r = validateManifest(site([container('web', 0, { egress_restricted: true })]), BUILD);
    assert.deepEqual(r.problems, []);
    assert.equal(r.manifest!.containers[0].egress_restricted, true);
  });

  it('refuses bad publish values at their paths', () => {
    const c = container('web', 0, {
      publish: [
        { protocol: 'IP_PROTO_ICMP', uplink_port: 80, container_port: 80 },
        { protocol: 'IP_PROTO_TCP', uplink_port: 0, container_port: 65536 },
        { protocol: 'IP_PROTO_TCP', container_port: 1 },
      ],
    });
    assert.deepEqual(problems([c]).sort(), [
      'INVALID containers[web].publish[0].protocol',
      'INVALID containers[web].publish[1].container_port',
      'INVALID containers[web].publish[1].uplink_port',
      'REQUIRED containers[web].publish[2].uplink_port',
    ]);
    assert.match(
      message([c], 'containers[web].publish[0].protocol'),
      /IP_PROTO_TCP, IP_PROTO_UDP$/,
    );
  });

  it('refuses a (protocol, uplink_port) published twice across all containers', () => {
    const ps = problems([
      container('api', 0, { publish: [tcp(8080, 80)] }),
      container('web', 1, {
        publish: [tcp(8080, 8080), { ...tcp(8080, 80), protocol: 'IP_PROTO_UDP' }],
      }),
    ]);
    assert.deepEqual(ps, ['DUPLICATE containers[web].publish[0].uplink_port']);
    assert.match(
      message(
        [
          container('api', 0, { publish: [tcp(8080, 80)] }),
          container('web', 1, { publish: [tcp(8080, 8080)] }),
        ],
        'containers[web].publish[0].uplink_port',
      ),
      /tcp port 8080 is also published by containers\[api\]\.publish\[0\]/,
    );
  });

  it('refuses a container port published twice within a container', () => {
    assert.deepEqual(problems([container('web', 0, { publish: [tcp(80, 80), tcp(8080, 80)] })]), [
      'DUPLICATE containers[web].publish[1].container_port',
    ]);
  });

  it('refuses publish without a network uplink', () => {
    const ps = problems([container('web', 0, { publish: [tcp(80, 80)] })], {});
    assert.deepEqual(ps, ['INVALID containers[web].publish']);
  });

  it('refuses more than 16 published ports or egress rules', () => {
    const pub = Array.from({ length: 17 }, (_, i) => tcp(1000 + i, 1000 + i));
    const rules = Array.from({ length: 17 }, (_, i) => ({ dest: `10.${i}.0.0/16` }));
    assert.deepEqual(
      problems([
        container('web', 0, { publish: pub, egress_restricted: true, egress_allow: rules }),
      ]),
      ['COUNT containers[web].publish', 'COUNT containers[web].egress_allow'],
    );
  });

  it('refuses egress rules that do not mean one thing', () => {
    const ps = problems([
      container('web', 0, {
        egress_restricted: true,
        egress_allow: [
          { dest: '10.0.2.5/24' },
          { dest: '10.0.2.0/33' },
          { dest: '10.0.3.0/24', protocol: 'IP_PROTO_ICMP', port_lo: 80 },
          { dest: '10.0.4.0/24', protocol: 'IP_PROTO_TCP', port_lo: 90, port_hi: 80 },
          { dest: '10.0.5.0/24', protocol: 'IP_PROTO_UDP', port_lo: 0, port_hi: 10 },
          { dest: '10.0.6.0/24', protocol: 'IP_PROTO_SCTP' },
          { dest: '10.0.7.0/24', protocol: 'IP_PROTO_TCP', port_lo: 80 },
          { dest: '10.0.7.0/24', protocol: 'IP_PROTO_TCP', port_lo: 80, port_hi: 80 },
        ],
      }),
    ]);
    assert.deepEqual(ps.sort(), [
      'DUPLICATE containers[web].egress_allow[7]',
      'INVALID containers[web].egress_allow[0].dest',
      'INVALID containers[web].egress_allow[1].dest',
      'INVALID containers[web].egress_allow[2].port_lo',
      'INVALID containers[web].egress_allow[3].port_hi',
      'INVALID containers[web].egress_allow[4].port_lo',
      'INVALID containers[web].egress_allow[5].protocol',
    ]);
    const one = (rule: Obj) => [
      container('web', 0, { egress_restricted: true, egress_allow: [rule] }),
    ];
    assert.match(
      message(one({ dest: '10.0.2.5/24' }), 'containers[web].egress_allow[0].dest'),
      /did you mean 10\.0\.2\.0\/24/,
    );
    assert.match(
      message(
        one({ dest: '10.0.3.0/24', protocol: 'IP_PROTO_ICMP', port_lo: 80 }),
        'containers[web].egress_allow[0].port_lo',
      ),
      /tcp and udp only, not icmp/,
    );
  });

  it('refuses egress_allow without egress_restricted', () => {
    for (const restricted of [undefined, false]) {
      const c = container('web', 0, {
        egress_restricted: restricted,
        egress_allow: [{ dest: '10.0.2.2/32' }],
      });
      assert.deepEqual(problems([c]), ['INVALID containers[web].egress_allow']);
    }
  });

  it('refuses rate limits that limit nothing, hold no frame or exceed the ranges', () => {
    const ps = problems([
      container('a', 0, { tx_limit: {} }),
      container('b', 1, { tx_limit: { bytes_per_s: 1_000_000, burst_bytes: 1513 } }),
      container('c', 2, { rx_limit: { bytes_per_s: 1_000_000 } }),
      container('d', 3, { rx_limit: { packets_per_s: 10, burst_bytes: 2000 } }),
      container('e', 4, { tx_limit: { bytes_per_s: 12_500_000_001, burst_bytes: 1514 } }),
      container('f', 5, { tx_limit: { packets_per_s: 10_000_001 } }),
      container('g', 6, { rx_limit: 5 }),
    ]);
    assert.deepEqual(ps.sort(), [
      'INVALID containers[a].tx_limit',
      'INVALID containers[b].tx_limit.burst_bytes',
      'INVALID containers[c].rx_limit.burst_bytes',
      'INVALID containers[d].rx_limit.burst_bytes',
      'INVALID containers[e].tx_limit.bytes_per_s',
      'INVALID containers[f].tx_limit.packets_per_s',
      'INVALID containers[g].rx_limit',
    ]);
    assert.match(
      message(
        [container('b', 0, { tx_limit: { bytes_per_s: 1, burst_bytes: 1513 } })],
        'containers[b].tx_limit.burst_bytes',
      ),
      /below 1514/,
    );
    // The boundaries themselves are accepted.
    const r = validateManifest(
      site([
        container('web', 0, {
          tx_limit: { bytes_per_s: 12_500_000_000, packets_per_s: 10_000_000, burst_bytes: 1514 },
        }),
      ]),
      BUILD,
    );
    assert.deepEqual(r.problems, []);
  });

  it("refuses a container MAC equal to D0's bridge MAC, in any case", () => {
    assert.equal(D0_BRIDGE_MAC, '02:d0:00:00:00:01');
    assert.deepEqual(problems([container('web', 0, { mac: '02:D0:00:00:00:01' })]), [
      'RESERVED_ADDRESS containers[web].mac',
    ]);
  });
});
