// `d0 run --forward` under QEMU: the booted host gets its e1000 on QEMU's user-mode network, D0
// (built from this tree) parses a signed manifest carrying the per-container network fields
// (published ports, an egress allow-list, rate limits) and brings its uplink up at the address
// QEMU's user network gives it, and the forwarded host port is bound on 127.0.0.1 only.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { QEMU_USER_NET } from '../../builder/disk/qemu';
import { formatPublicKeyFile, signManifest } from '../../core/sign';
import { decodeManifest } from '../../core/tlv/decode';
import { encodeManifest } from '../../core/tlv/encode';
import { d0 } from '../support/d0-pipeline';
import { makeBuild, sharedFixture } from './support';

/** A TCP port free on 127.0.0.1 right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

describe('ab: d0 run --uplink / --forward (QEMU user-mode network)', function () {
  this.timeout(600_000);
  let disk: string;

  before(async () => {
    const fx = await sharedFixture();
    const dir = fs.mkdtempSync(path.join(fx.dir, 'run-uplink-'));
    const pub = path.join(dir, 'd0.pub');
    fs.writeFileSync(pub, formatPublicKeyFile(fx.pub));
    // A guest that never stops (nor reports ready): with guests that exit at once D0 halts
    // before its uplink is up, and no ev=uplink_up ever comes.
    const build = makeBuild(fx, 'run-uplink', { guest: 'never_ready' });
    // The build's manifest, re-signed with the uplink of QEMU's user network and the network
    // fields on its container.
    const tlvFile = fs.readdirSync(build.dir).find((f) => /^manifest-.*\.tlv$/.test(f))!;
    const m = decodeManifest(new Uint8Array(fs.readFileSync(path.join(build.dir, tlvFile))));
    m.network.uplink_ip4 = QEMU_USER_NET.guestIp4;
    m.network.uplink_gw4 = QEMU_USER_NET.gateway;
    const c = m.containers[0];
    c.publish = [{ protocol: 'IP_PROTO_TCP', uplink_port: 80, container_port: 8080 }];
    c.egress_restricted = true;
    c.egress_allow = [{ dest: '10.0.2.2/32', protocol: 'IP_PROTO_TCP', port_lo: 80, port_hi: 80 }];
    c.tx_limit = { bytes_per_s: '12500000', packets_per_s: 0, burst_bytes: 65536 };
    const tlv = encodeManifest(m);
    fs.writeFileSync(path.join(build.dir, tlvFile), tlv);
    fs.writeFileSync(
      path.join(build.dir, tlvFile.replace(/\.tlv$/, '.sig')),
      signManifest(tlv, fx.key.secretKey),
    );
    disk = path.join(dir, 'disk.img');
    const r = await d0(['disk', 'build', '--slot-a', build.dir, '--out', disk, '--pub', pub]);
    assert.equal(r.code, 0, r.err);
  });

  it('D0 parses the network fields and brings the uplink up; the forward listens on 127.0.0.1', async () => {
    const port = await freePort();
    // While QEMU runs, the forwarded port accepts on 127.0.0.1 (QEMU's slirp listens there).
    let listened = false;
    const probe = setInterval(() => {
      const s = net.connect({ host: '127.0.0.1', port }, () => {
        listened = true;
        s.destroy();
      });
      s.on('error', () => s.destroy());
    }, 500);
    const r = await d0([
      'run',
      disk,
      '--forward',
      `tcp:${port}:80`,
      '--until',
      'uplink_up',
      '--timeout',
      '300',
    ]).finally(() => clearInterval(probe));
    assert.equal(r.code, 0, r.err + r.out);
    assert.match(r.err, new RegExp(`forwarding tcp 127\\.0\\.0\\.1:${port} -> 80`));
    assert.match(r.out, /ev=manifest_verified/);
    assert.match(r.out, /ev=uplink_up nic=e1000 .*ip=10\.0\.2\.15\/24 gw=10\.0\.2\.2 /);
    assert.ok(listened, `nothing listened on 127.0.0.1:${port} while QEMU ran`);
  });
});
