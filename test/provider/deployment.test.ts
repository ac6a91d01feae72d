// The Deployment provider called directly: check collects every problem at its property path and
// keeps the key out of the inputs; diff compares plans, not timestamps or UUIDs; create makes a
// signed build; update makes a new one; delete removes only its own build directory.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as impl from '../../provider/impl/deployment';
import * as container from '../../provider/impl/container';
import { failurePath } from '../../provider/impl/problems';
import { verifyManifest } from '../../core/sign';
import { isUuidV7 } from '../../core/uuid';
import { decodeManifest } from '../../core/tlv/decode';
import { webDeploymentInputs, writeBusyboxArchive } from './fixture-image';

const SECRET = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
const PUBLIC = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';

describe('provider: Deployment', function () {
  this.timeout(120_000);
  let dir: string;
  let image: string;
  let image2: string;
  const news = (over: Record<string, unknown> = {}, web: Record<string, unknown> = {}) =>
    webDeploymentInputs(image, dir, over, web);
  const checked = async (n: impl.DeploymentInputs) => {
    const r = await impl.check({} as impl.DeploymentInputs, n);
    assert.deepEqual(r.failures, []);
    return r.inputs as impl.DeploymentInputs;
  };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-provider-'));
    image = await writeBusyboxArchive(path.join(dir, 'a.tar'), 'v1');
    image2 = await writeBusyboxArchive(path.join(dir, 'b.tar'), 'v2');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('check lists every problem with its property path, and never the key', async () => {
    const bad = news({
      signingKey: SECRET.slice(0, 60) + 'zz',
      containers: {
        web: {
          name: 'web',
          image,
          vcpu: 1,
          memMb: 0,
          ip: '10.20.0.10/24',
          bootOrder: 1,
          healthTimeoutS: 30,
          health: 'sometimes' as never,
        },
        api: {
          name: 'api',
          image: 'oci:/nonexistent/layout',
          vcpu: 1,
          memMb: 64,
          ip: '10.20.0.10/24',
          bootOrder: 2,
          healthTimeoutS: 30,
        },
        db: {
          name: 'db',
          image,
          vcpu: 1,
          memMb: 64,
          ip: '10.99.0.5/24',
          bootOrder: 3,
          healthTimeoutS: 30,
        },
      },
    });
    const r = await impl.check({} as impl.DeploymentInputs, bad);
    // Every path once (one problem each here), and no failure names a property (problems.ts).
    assert.deepEqual(r.failures!.map(failurePath).sort(), [
      'containers.api.image',
      'containers.api.ip',
      'containers.db.ip',
      'containers.web.health',
      'containers.web.memMb',
      'signingKey',
    ]);
    assert.deepEqual(new Set(r.failures!.map((f) => f.property)), new Set(['']));
    for (const f of r.failures!) {
      const p = failurePath(f);
      assert.equal(f.reason.split(p).length, 2, `${p} is named more than once: ${f.reason}`);
    }
    assert.match(
      r.failures!.find((f) => failurePath(f) === 'containers.web.memMb')!.reason,
      /^containers\.web\.memMb: \S/,
    );
    assert.doesNotMatch(JSON.stringify(r), new RegExp(SECRET.slice(0, 40)));
  });

  it("check reports every problem of a container's own fields (what Container.check leaves to it), each once", async () => {
    const fields = {
      memMb: -1,
      vcpu: 'two',
      ip: '10.20.0.10',
      mac: '01:00:00:00:00:01',
      health: 'x',
    };
    const own = container.ownProblems({ ...news().containers.web, ...fields } as never);
    assert.ok(own.length >= 5, JSON.stringify(own));
    const r = await impl.check({} as impl.DeploymentInputs, news({}, fields));
    const reasons = r.failures!.map((f) => f.reason);
    for (const p of own)
      assert.ok(
        reasons.some((x) => x.startsWith(`containers.web.${p.path}: `)),
        `containers.web.${p.path} (${p.message}) is not reported: ${reasons.join(' | ')}`,
      );
    assert.equal(new Set(reasons).size, reasons.length, 'a problem is listed twice');
  });

  it('check replaces the signing key by its public key and adds each image digest', async () => {
    const i = await checked(news());
    assert.equal(i.signingKey, undefined);
    assert.equal(i.publicKey, PUBLIC);
    assert.match(i.containers.web.imageDigest!, /^sha256:[0-9a-f]{64}$/);
  });

  it('diff names each changed field in spec terms and ignores build identity', async () => {
    const base = await checked(news());
    const olds = {
      ...base,
      buildUuid: '01a214f0-3586-751c-8b55-4666974bf284',
      timestampMs: '1',
      manifestSha256: 'x',
    };
    assert.deepEqual(impl.diff('id', olds, await checked(news())), {
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
    assert.deepEqual(impl.diff('id', olds, await checked(news({}, { memMb: 128 }))).replaces, [
      'containers.web.memMb',
    ]);
    assert.deepEqual(impl.diff('id', olds, await checked(news({}, { image: image2 }))).replaces, [
      'containers.web.image',
    ]);
    assert.deepEqual(impl.diff('id', olds, await checked(news({ securityEpoch: 2 }))).replaces, [
      'securityEpoch',
    ]);
    const other = '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb';
    assert.deepEqual(impl.diff('id', olds, await checked(news({ signingKey: other }))).replaces, [
      'signingKey',
    ]);
    const two = news();
    two.containers.api = {
      name: 'api',
      image,
      vcpu: 1,
      memMb: 64,
      ip: '10.20.0.11/24',
      bootOrder: 2,
      healthTimeoutS: 30,
    };
    assert.deepEqual(impl.diff('id', olds, await checked(two)).replaces, ['containers.api']);
  });

  it('update and report reach the build: diff names them, check refuses a bad one at its path', async () => {
    const olds = await checked(news());
    const update = { url: 'http://10.0.2.100/site/', timeoutS: 30 };
    const uplink = { ...olds.network, uplink: '10.0.2.15/24', uplinkGw: '10.0.2.2' };
    assert.deepEqual(impl.diff('id', olds, await checked(news({ update }))).replaces, [
      'update.timeoutS',
      'update.url',
    ]);
    const reporting = await checked(
      news({ network: uplink, update, report: { collector: '10.0.2.2:5514' } }),
    );
    const lines: string[] = [];
    assert.ok(
      impl.diff('id', olds, reporting, (l) => lines.push(l)).replaces?.includes('report.collector'),
    );
    assert.ok(lines[0].includes('report.collector: (unset) -> 10.0.2.2:5514'), lines[0]);
    // Problems name their field in the reason (failures() names no property: problems.ts).
    const bad = await impl.check(
      {} as impl.DeploymentInputs,
      news({ update: { url: 'https://x/' } }),
    );
    assert.equal(bad.failures?.length, 1, JSON.stringify(bad.failures));
    assert.match(bad.failures![0].reason, /^update\.url: /);
    // Reports leave through the uplink: without one the build is refused (SEMANTICS.md).
    const noUplink = await impl.check(
      {} as impl.DeploymentInputs,
      news({ report: { collector: '10.0.2.2:5514' } }),
    );
    assert.ok((noUplink.failures?.length ?? 0) > 0, 'a report without an uplink is refused');
  });

  it('diff says "new signed build" with each changed field, old -> new, and nothing for no change', async () => {
    const olds = await checked(news());
    const lines: string[] = [];
    impl.diff('id', olds, await checked(news()), (l) => lines.push(l));
    assert.equal(lines.length, 0);
    const other = '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb';
    const changed = await checked(news({ signingKey: other }, { memMb: 128 }));
    impl.diff('id', olds, changed, (l) => lines.push(l));
    assert.equal(lines.length, 1);
    assert.match(lines[0], /^Deployment \S+: new signed build: /);
    assert.ok(lines[0].includes('containers.web.memMb: 64 -> 128'), lines[0]);
    // A public key is cut to 12 characters; the secret never appears.
    assert.ok(lines[0].includes(`signingKey: ${PUBLIC.slice(0, 12)}… -> `), lines[0]);
    assert.ok(!lines[0].includes(other), lines[0]);
  });

  it('create makes a signed build; update a new one; delete removes only its own directory', async () => {
    const inputs = await checked(news());
    const c = await impl.create(inputs);
    assert.ok(isUuidV7(c.id));
    const o = c.outs as Record<string, string> & { artifacts: Record<string, string> };
    assert.equal(o.buildUuid, c.id);
    assert.equal(o.publicKey, PUBLIC);
    assert.doesNotMatch(JSON.stringify(o), new RegExp(SECRET));
    const tlv = fs.readFileSync(o.artifacts.manifest);
    assert.ok(
      verifyManifest(fs.readFileSync(o.artifacts.signature), tlv, Buffer.from(PUBLIC, 'hex')),
    );
    assert.equal(decodeManifest(tlv).header.build_uuid, c.id);
    assert.equal(
      fs.readFileSync(o.artifacts.efi).equals(fs.readFileSync(o.artifacts.fallbackEfi)),
      true,
    );

    const u = await impl.update(c.id, o as never, await checked(news({}, { memMb: 96 })));
    const uo = u.outs as Record<string, string>;
    assert.notEqual(uo.buildUuid, c.id);
    assert.equal(
      decodeManifest(fs.readFileSync(path.join(uo.slotDir, `manifest-${uo.buildUuid}.tlv`)))
        .containers[0].mem_mb,
      96,
    );
    // The host memory output follows the build: more VM RAM is as much more host memory.
    assert.equal(
      Number(uo.hostMemoryMiB) - Number(o.hostMemoryMiB),
      96 - Number(decodeManifest(tlv).containers[0].mem_mb),
    );
    assert.ok(Number(o.hostMemoryMiB) > 96);

    await impl.remove(c.id, { ...o, buildDir: uo.buildDir } as never); // another build's directory: left alone
    assert.ok(fs.existsSync(uo.buildDir));
    await impl.remove(c.id, o as never); // no disk holds it (retention.test.ts: one that does)
    assert.equal(fs.existsSync(o.buildDir), false);
    await impl.remove(uo.buildUuid, uo as never);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'builds')), []);
  });

  it('create refuses to build when the key was never checked in this process, writing nothing', async () => {
    const inputs = {
      ...(await checked(news())),
      publicKey: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
      outDir: path.join(dir, 'never'),
    };
    await assert.rejects(impl.create(inputs), /signing key was not checked/);
    assert.equal(fs.existsSync(path.join(dir, 'never')), false);
  });
});
