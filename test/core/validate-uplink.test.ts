// The uplink fields of a manifest (network.uplink_ip4, uplink_gw4, uplink_echo): accepted,
// encoded and decoded back unchanged; every broken rule reported at its path.
import { strict as assert } from 'node:assert';
import { validateManifest } from '../../core/manifest/validate';
import { manifestInput, specPath } from '../../core/site/spec';
import { decodeManifest } from '../../core/tlv/decode';
import { encodeManifest } from '../../core/tlv/encode';
import { uuidv7 } from '../../core/uuid';

const BUILD = {
  build: { build_uuid: uuidv7(1700000000000, new Uint8Array(16).fill(1)), timestamp_ms: 1 },
};
const SHA = 'ab'.repeat(32);

function site(network: Record<string, unknown>) {
  return {
    header: { security_epoch: 1 },
    network: { bridge_ip4: '10.20.0.1/24', egress_nat: false, ...network },
    guest_kernel: { sha256: SHA, size: 1000 },
    containers: [
      {
        name: 'web',
        vcpu: 1,
        mem_mb: 64,
        disk_sha256: SHA,
        disk_size: 4096,
        ip4: '10.20.0.10/24',
        boot_order: 1,
        health_timeout_s: 30,
      },
    ],
  };
}

function problems(network: Record<string, unknown>): string[] {
  const r = validateManifest(site(network), BUILD);
  assert.equal(r.manifest, undefined, 'a manifest despite problems');
  return r.problems.map((p) => `${p.code} ${p.path}: ${p.message}`);
}

describe('core/manifest/validate: the uplink', () => {
  it('accepts an uplink address and gateway, echo absent (on) or given, and round-trips them', () => {
    for (const extra of [{}, { uplink_echo: false }, { uplink_echo: true }]) {
      const r = validateManifest(
        site({ uplink_ip4: '192.0.2.10/24', uplink_gw4: '192.0.2.1', ...extra }),
        BUILD,
      );
      assert.deepEqual(r.problems, []);
      const back = decodeManifest(encodeManifest(r.manifest!));
      assert.deepEqual(back.network, r.manifest!.network);
      assert.equal(back.network.uplink_ip4, '192.0.2.10/24');
      assert.equal(back.network.uplink_echo, (extra as { uplink_echo?: boolean }).uplink_echo);
    }
  });

  it('without an uplink nothing is encoded for it (manifests stay as before)', () => {
    const r = validateManifest(site({}), BUILD);
    assert.deepEqual(r.problems, []);
    assert.deepEqual(Object.keys(r.manifest!.network).sort(), ['bridge_ip4', 'egress_nat']);
  });

  it('reports each broken rule at its path', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ uplink_gw4: '192.0.2.1' }, /^REQUIRED network\.uplink_ip4: .*uplink_gw4/],
      [{ uplink_ip4: '192.0.2.10/24' }, /^REQUIRED network\.uplink_gw4: /],
      [{ uplink_echo: true }, /^INVALID network\.uplink_echo: .*no uplink_ip4/],
      [
        { uplink_ip4: '192.0.2.10/31', uplink_gw4: '192.0.2.11' },
        /^INVALID network\.uplink_ip4: \/31/,
      ],
      [
        { uplink_ip4: '192.0.2.0/24', uplink_gw4: '192.0.2.1' },
        /^RESERVED_ADDRESS network\.uplink_ip4: /,
      ],
      [
        { uplink_ip4: '10.20.0.200/16', uplink_gw4: '10.20.0.1' },
        /^INVALID network\.uplink_ip4: .*overlaps the bridge/,
      ],
      [
        { uplink_ip4: '192.0.2.10/24', uplink_gw4: '198.51.100.1' },
        /^OUT_OF_SUBNET network\.uplink_gw4: /,
      ],
      [
        { uplink_ip4: '192.0.2.10/24', uplink_gw4: '192.0.2.10' },
        /^INVALID network\.uplink_gw4: .*own uplink address/,
      ],
      [
        { uplink_ip4: '192.0.2.10/24', uplink_gw4: '192.0.2.255' },
        /^RESERVED_ADDRESS network\.uplink_gw4: /,
      ],
      [{ uplink_ip4: '192.0.2.10', uplink_gw4: '192.0.2.1' }, /network\.uplink_ip4/],
      [
        { uplink_ip4: '192.0.2.10/24', uplink_gw4: '192.0.2.1', uplink_echo: 'yes' },
        /network\.uplink_echo/,
      ],
    ];
    for (const [network, re] of cases) {
      const got = problems(network);
      assert.ok(
        got.some((p) => re.test(p)),
        `${JSON.stringify(network)}: expected ${re}, got:\n${got.join('\n')}`,
      );
    }
  });
});

describe('core/site: the uplink in a build spec', () => {
  it('maps uplink, uplinkGw and uplinkEcho onto the manifest, and problem paths back', () => {
    const spec = {
      network: {
        bridge: '10.20.0.1/24',
        uplink: '192.0.2.10/24',
        uplinkGw: '192.0.2.1',
        uplinkEcho: false,
      },
      containers: [],
      securityEpoch: 1,
    };
    const { input } = manifestInput(spec, () => ({ sha256: SHA, size: '4096' }), {
      sha256: SHA,
      size: '1000',
    });
    assert.deepEqual(input.network, {
      egress_nat: false,
      bridge_ip4: '10.20.0.1/24',
      uplink_ip4: '192.0.2.10/24',
      uplink_gw4: '192.0.2.1',
      uplink_echo: false,
    });
    assert.equal(specPath('network.uplink_gw4'), 'network.uplinkGw');
    assert.equal(specPath('network.uplink_ip4'), 'network.uplink');
  });
});
