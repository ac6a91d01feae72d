// Network, Container, KernelBuild and EspSlotWriter providers called directly.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeBuild } from '../../builder/site';
import { d0EfiKey } from '../../builder/d0-efi/cache';
import { fatLabel } from '../../builder/disk/fat';
import { ESP_TYPE_GUID, readGpt } from '../../builder/disk/gpt';
import { readSlotTree, slotMiBFor, treeBytes } from '../../builder/disk/slots';
import * as container from '../../provider/impl/container';
import { failurePath } from '../../provider/impl/problems';
import * as kernelBuild from '../../provider/impl/kernel-build';
import * as network from '../../provider/impl/network';
import * as writer from '../../provider/impl/esp-slot-writer';
import { writeBusyboxArchive, webSiteSpec } from './fixture-image';
import type { ContainerArgs, PublishSpec } from '../../provider';

const PUBLIC = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
const sha256 = (f: string) => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');

describe('provider: Network, Container, KernelBuild, EspSlotWriter', function () {
  this.timeout(120_000);
  let dir: string;
  let image: string;
  const web = (over: Record<string, unknown> = {}) =>
    ({
      name: 'web',
      image,
      vcpu: 1,
      memMb: 64,
      ip: '10.20.0.10/24',
      bootOrder: 0,
      healthTimeoutS: 30,
      ...over,
    }) as never;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-resources-'));
    image = await writeBusyboxArchive(path.join(dir, 'busybox.tar'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('Network.check is lenient (the Deployment reports its problems); create and update refuse them', () => {
    const bad = { bridge: '10.20.0.300/24', egressNat: 'yes' } as never;
    assert.deepEqual(network.check({} as never, bad).failures, []);
    assert.deepEqual(
      network
        .ownProblems(bad)
        .map((p) => p.path)
        .sort(),
      ['bridge', 'egressNat'],
    );
    assert.match(
      network.ownProblems({ bridge: '10.20.0.1/31' } as never)[0].message,
      /leaves no room/,
    );
    assert.throws(
      () => network.create(bad),
      /^Error: Network "10\.20\.0\.300\/24" has problems:\n {2}bridge: /,
    );
    assert.throws(() => network.update('id', bad, bad), /egressNat: yes is not true or false/);
    const ok = network.check({} as never, { bridge: '10.20.0.1/24' } as never);
    assert.deepEqual(ok.inputs, { bridge: '10.20.0.1/24', egressNat: false });
    assert.equal(network.create(ok.inputs as never).id, 'bridge-10.20.0.1/24');
  });

  it("Network carries the uplink: its problems at the uplink's paths, a change of it is a change, a default left out is not", () => {
    const base = { bridge: '10.20.0.1/24', egressNat: false };
    const up = { ...base, uplink: '192.0.2.10/24', uplinkGw: '192.0.2.1' };
    assert.deepEqual(network.ownProblems(up as never), []);
    const paths = (v: object) => network.ownProblems(v as never).map((p) => p.path).sort();
    assert.deepEqual(paths({ ...base, uplink: '192.0.2.10/24', uplinkGw: '198.51.100.1' }), ['uplinkGw']);
    assert.ok(paths({ ...base, uplink: '10.20.0.5/24', uplinkGw: '10.20.0.9' }).includes('uplink'));
    assert.ok(paths({ ...base, uplink: '192.0.2.10/24' }).length > 0, 'an uplink without its gateway');
    assert.equal(network.diff('id', base as never, up as never).changes, true);
    assert.equal(network.diff('id', up as never, { ...up, uplinkGw: '192.0.2.2' } as never).changes, true);
    assert.equal(network.diff('id', up as never, { ...up, uplinkEcho: true } as never).changes, false);
    assert.equal(network.diff('id', up as never, { ...up, uplinkEcho: false } as never).changes, true);
  });

  it('Container.check is lenient (the Deployment reports its problems); create refuses them before converting', async () => {
    const ok = await container.check({} as never, web({ ip: '10.99.0.1/24' }));
    assert.deepEqual(ok.failures, []);
    assert.match((ok.inputs as { imageDigest: string }).imageDigest, /^sha256:/);
    const badFields = web({ memMb: 0, vcpu: 'two', ip: '10.20.0.10', mac: '01:00:00:00:00:01' });
    const bad = await container.check({} as never, badFields);
    assert.deepEqual(bad.failures, []);
    assert.deepEqual(
      container
        .ownProblems(badFields)
        .map((p) => p.path)
        .sort(),
      ['ip', 'mac', 'memMb', 'vcpu'],
    );
    // Every vcpu of the TLV bound is accepted (which host can run it is its D0's launch check);
    // past the bound it is refused at its spec path.
    assert.deepEqual(container.ownProblems(web({ vcpu: 2 })), []);
    assert.deepEqual(container.ownProblems(web({ vcpu: 16 })), []);
    assert.deepEqual(
      container.ownProblems(web({ vcpu: 17 })).map((p) => p.path),
      ['vcpu'],
    );
    const log = path.join(dir, 'refused.log');
    process.env.D0_CONVERSION_LOG = log;
    try {
      await assert.rejects(
        container.create(bad.inputs as never),
        (e: Error) =>
          /^Container "web" has problems:\n/.test(e.message) &&
          /^ {2}memMb: 0 is outside 16\.\.65536$/m.test(e.message) &&
          /^ {2}vcpu: two is not an integer$/m.test(e.message),
      );
      assert.equal(fs.existsSync(log), false, 'a conversion ran for a refused container');
    } finally {
      delete process.env.D0_CONVERSION_LOG;
    }
  });

  it("Container carries publish, egress and rateLimit: typed, its problems at their paths, a change is a change, a default left out is not", () => {
    // The arguments are typed: a protocol outside the union does not compile.
    const args: ContainerArgs = {
      image: 'oci:/x',
      memMb: 64,
      ip: '10.20.0.10/24',
      publish: [{ port: 8080, targetPort: 80, protocol: 'udp' }],
      egress: { allow: [{ to: '10.0.2.2/32', protocol: 'icmp' }] },
      rateLimit: { tx: { bytesPerSecond: 1e6, burstBytes: 1514 }, rx: { packetsPerSecond: 10 } },
    };
    // @ts-expect-error sctp is not a publish protocol
    const wrong: PublishSpec = { port: 1, targetPort: 1, protocol: 'sctp' };
    assert.ok(args && wrong);

    const paths = (over: Record<string, unknown>) =>
      container
        .ownProblems(web(over))
        .map((p) => p.path)
        .sort();
    assert.deepEqual(
      paths({
        publish: [{ port: 70000, targetPort: 80 }],
        egress: { allow: [{ to: '10.0.0.1/8', ports: '80' }] },
        rateLimit: { rx: { bytesPerSecond: 1000 } },
      }),
      ['egress.allow[0].ports', 'egress.allow[0].to', 'publish[0].port', 'rateLimit.rx.burstBytes'],
    );
    const a = web({ publish: [{ port: 8080, targetPort: 80 }] }) as Record<string, unknown>;
    const same = (x: object, y: object) => !container.diff('id', x as never, y as never).changes;
    assert.ok(same(a, { ...a, publish: [{ port: 8080, targetPort: 80, protocol: 'tcp' }] }));
    assert.ok(!same(a, { ...a, publish: [{ port: 8081, targetPort: 80 }] }));
    assert.ok(!same(a, { ...a, publish: [{ port: 8080, targetPort: 80, protocol: 'udp' }] }));
    assert.ok(!same(a, { ...a, egress: { allow: [] } }), 'deny-all is a change from unrestricted');
    const e = { ...a, egress: { allow: [{ to: '10.0.0.0/8', protocol: 'tcp' }] } };
    assert.ok(same(e, { ...e, egress: { allow: [{ to: '10.0.0.0/8', protocol: 'tcp', ports: '1-65535' }] } }));
    assert.ok(!same(e, { ...e, egress: { allow: [{ to: '10.0.0.0/8', protocol: 'tcp', ports: '80' }] } }));
    const r = { ...a, rateLimit: { tx: { packetsPerSecond: 10 } } };
    assert.ok(same(r, { ...r, rateLimit: { tx: { packetsPerSecond: 10, bytesPerSecond: 0 } } }));
    assert.ok(!same(r, { ...r, rateLimit: { rx: { packetsPerSecond: 10 } } }));
  });

  it('Container.diff sees field and image-content changes; create converts once, then hits the cache', async () => {
    const a = (await container.check({} as never, web())).inputs as Record<string, unknown>;
    assert.equal(container.diff('id', a as never, a as never).changes, false);
    assert.equal(container.diff('id', a as never, { ...a, memMb: 128 } as never).changes, true);
    assert.equal(
      container.diff('id', a as never, { ...a, imageDigest: 'sha256:00' } as never).changes,
      true,
    );
    assert.deepEqual(container.diff('id', a as never, { ...a, name: 'api' } as never).replaces, [
      'name',
    ]);

    const log = path.join(dir, 'conversions.log');
    process.env.D0_CONVERSION_LOG = log;
    try {
      const c1 = await container.create({
        ...a,
        exec: { env: [`NONCE=${crypto.randomUUID()}`] },
      } as never);
      const c2 = await container.create({
        ...a,
        exec: (c1.outs as { exec: unknown }).exec,
      } as never);
      assert.equal(
        (c1.outs as { diskSha256: string }).diskSha256,
        (c2.outs as { diskSha256: string }).diskSha256,
      );
      assert.deepEqual(
        fs
          .readFileSync(log, 'utf8')
          .trim()
          .split('\n')
          .map((l) => l.split(' ')[0]),
        ['converted', 'cached'],
      );
    } finally {
      delete process.env.D0_CONVERSION_LOG;
    }
    await assert.rejects(
      container.create({ ...a, image: `docker-archive:${dir}/none.tar` } as never),
      /none\.tar: no such file/,
    );
  });

  it('KernelBuild checks its key and builds D0 with it (cached per key and sources)', async () => {
    assert.deepEqual(
      kernelBuild
        .check({} as never, { publicKey: 'ABC', mode: 'vm' } as never)
        .failures!.map(failurePath),
      ['publicKey', 'mode'],
    );
    const r = await kernelBuild.create({ publicKey: PUBLIC, mode: 'host' } as never);
    const o = r.outs as { path: string; sha256: string };
    assert.equal(sha256(o.path), o.sha256);
    assert.equal(r.id, d0EfiKey(PUBLIC).slice(0, 32));
    assert.ok(
      fs.readFileSync(o.path).includes(Buffer.from(PUBLIC, 'hex')),
      'the public key is not compiled in',
    );
    assert.deepEqual(
      kernelBuild.diff(
        'id',
        { publicKey: PUBLIC } as never,
        { publicKey: PUBLIC, mode: 'docker' } as never,
      ).replaces,
      ['mode'],
    );
  });

  it('EspSlotWriter checks its target, lays out an A/B disk with the build in slot A, and removes it on delete', async () => {
    const t = (target: unknown) =>
      writer
        .check({} as never, { buildUuid: 'x', slotDir: '/x', target } as never)
        .failures!.map(failurePath);
    assert.deepEqual(t({}), ['target']);
    assert.deepEqual(t({ diskImage: 'relative.img' }), ['target.diskImage']);
    assert.deepEqual(t({ diskImage: '/nonexistent-dir/host.img' }), ['target.diskImage']);
    assert.deepEqual(t({ blockDevice: '/dev/null' }), ['target.blockDevice']);
    assert.deepEqual(t({ diskImage: path.join(dir, 'host.img'), blockDevice: '/dev/sda' }), [
      'target',
    ]);

    const b = await makeBuild({
      spec: webSiteSpec(image),
      secretKey: Buffer.from(
        '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
        'hex',
      ),
      outDir: path.join(dir, 'builds'),
      kernelMode: 'host',
    });
    const disk = path.join(dir, 'host.img');
    const r = await writer.create({
      buildUuid: b.buildUuid,
      slotDir: b.slotDir,
      publicKey: PUBLIC,
      target: { diskImage: disk },
    } as never);
    assert.equal((r.outs as { slot: string }).slot, 'A');
    assert.deepEqual(
      readGpt(disk).map((p) => [p.name, p.typeGuid]),
      [
        ['ESP_A', ESP_TYPE_GUID],
        ['ESP_B', ESP_TYPE_GUID],
      ],
    );
    // The slots are named inside: FAT labels D0_A/D0_B (the GPT names never follow the build).
    assert.deepEqual(
      readGpt(disk).map((p) => fatLabel(disk, p.offset)),
      ['D0_A', 'D0_B'],
    );
    // Both slots are sized from the build (builder/disk/slots.ts), with room for a second one.
    const slotBytes = slotMiBFor(treeBytes(readSlotTree(b.slotDir))) * 2 ** 20;
    assert.equal((r.outs as { bytes: number }).bytes, slotBytes);
    assert.deepEqual(
      readGpt(disk).map((p) => p.size),
      [slotBytes, slotBytes],
    );
    const list = execFileSync('mdir', ['-i', `${disk}@@1M`, '-b', '::/'], {
      encoding: 'utf8',
      env: { ...process.env, MTOOLS_SKIP_CHECK: '1' },
    });
    assert.match(list, new RegExp(`manifest-${b.buildUuid}\\.tlv`, 'i'));
    await assert.rejects(
      writer.create({
        buildUuid: '01a214f0-3586-751c-8b55-4666974bf284',
        slotDir: b.slotDir,
        publicKey: PUBLIC,
        target: { diskImage: path.join(dir, 'other.img') },
      } as never),
      /holds build .*, not the Deployment's build 01a214f0/,
    );
    assert.equal(fs.existsSync(path.join(dir, 'other.img')), false);
    writer.remove('id', r.outs as never);
    assert.equal(fs.existsSync(disk), false);
  });
});
