// A hostile or failing update server can at most withhold an update (kernel/docs/pull.md). Each
// case is one boot of a committed host (U1 in slot A) under QEMU + OVMF against a server the test
// controls: the pull ends with its reason logged, the host goes on to boot U1 as its committed
// build, D0's A/B state is unchanged, and slot B is either untouched (refused before anything is
// written) or holds no build (cleared, never tried). After a cut download, the next boot
// recovers once the server serves the build whole.
import assert from 'node:assert/strict';
import path from 'node:path';
import fs from 'node:fs';
import { signManifest } from '../../core/sign';
import { testKey } from '../support/test-d0';
import {
  abState,
  bootThrough,
  bootToChoice,
  buildPath,
  copyBuild,
  manifestOf,
  publish,
  pullBuild,
  pullHost,
  PULL_TIMEOUT_S,
  slotBDigest,
  slotBFiles,
  writePointer,
  type PullBoot,
  type PullHost,
} from './support';

/** The host booted U1 as its committed build and changed nothing in its A/B state. */
function keptRunningBuild(h: PullHost, b: PullBoot): void {
  const choice = b.events.find((e) => e.ev === 'slot_choice');
  assert.equal(choice?.fields.role, 'committed', b.text);
  assert.equal(choice?.fields.boot, h.u1.uuid);
  const s = abState(h);
  assert.equal(s.lastGood, h.u1.uuid);
  assert.equal(s.trial, undefined);
  assert.equal(s.bad, undefined, 'a pull refusal is not a rollback: nothing is marked bad');
}

/** Slot B names no build: nothing there can be tried. */
async function noBuildOnB(disk: string): Promise<void> {
  const files = await slotBFiles(disk);
  assert.ok(!files.some((f) => /^manifest-.*\.tlv$/.test(f)), `slot B: ${files.join(' ')}`);
}

/** The published path of a build's web container disk. */
function webDisk(h: PullHost, u: { uuid: string }): string {
  const f = fs.readdirSync(path.join(h.site, 'builds', u.uuid, 'VM')).find((n) => n.startsWith('web-'));
  return buildPath(u.uuid, `VM/${f}`);
}

describe('pull at reboot: a hostile or failing server changes nothing the host runs', function () {
  this.timeout(30 * 60_000);
  let h: PullHost;
  let untouched: string;

  beforeEach(async function () {
    const name = this.currentTest!.title.replace(/\W+/g, '-').slice(0, 32);
    h = await pullHost(`pull-hostile-${name}`);
    untouched = slotBDigest(h.disk);
  });
  afterEach(async () => {
    await h?.server.close();
  });

  /** Refused before anything was written: no file of the build was asked for. */
  function refusedUntouched(b: PullBoot, reason: string): void {
    assert.equal(b.done.fields.result, 'refused', b.text);
    assert.equal(b.done.fields.reason, reason, b.text);
    assert.equal(b.done.fields.slot_state, 'untouched');
    assert.equal(slotBDigest(h.disk), untouched, 'slot B is byte for byte as it was');
    assert.equal(h.server.requests.filter((r) => r.path.includes('/builds/')).length, 0);
    keptRunningBuild(h, b);
  }

  it('an older build', async () => {
    const { tlv, sig } = manifestOf(h.u0);
    copyBuild(h, h.u0);
    writePointer(h, sig, tlv);
    refusedUntouched(await bootToChoice(h), 'older');
  });

  it('a build signed by another key', async () => {
    const u2 = pullBuild(h.fx, 'pull-other-key');
    const { tlv } = manifestOf(u2);
    copyBuild(h, u2);
    writePointer(h, Buffer.from(signManifest(tlv, testKey('b').secretKey)), tlv);
    refusedUntouched(await bootToChoice(h), 'bad_signature');
  });

  it('a build below the epoch floor', async () => {
    const floor = BigInt(abState(h).epoch);
    assert.ok(floor > 0n, 'U1 committed a floor above 0');
    const u2 = pullBuild(h.fx, 'pull-epoch', { epoch: Number(floor - 1n) });
    await publish(h, u2); // the publisher checks signatures and files, not a host's floor
    refusedUntouched(await bootToChoice(h), 'epoch_below');
  });

  it('a server error for the pointer', async () => {
    const u2 = pullBuild(h.fx, 'pull-500');
    await publish(h, u2);
    h.server.setFault('/site/hosts/52-54-00-12-34-56.d0ptr', { status: 500 });
    const b = await bootToChoice(h);
    assert.equal(b.done.fields.result, 'failed', b.text);
    assert.equal(b.done.fields.reason, 'http_status');
    assert.equal(b.done.fields.http_status, '500');
    assert.equal(b.done.fields.slot_state, 'untouched');
    assert.equal(slotBDigest(h.disk), untouched);
    keptRunningBuild(h, b);
  });

  it('no network at all', async () => {
    const b = await bootToChoice(h, { noNic: true });
    assert.equal(b.done.fields.result, 'failed', b.text);
    assert.equal(b.done.fields.reason, 'no_nic');
    assert.equal(slotBDigest(h.disk), untouched);
    keptRunningBuild(h, b);
  });

  it('an altered file (same size, one byte changed)', async () => {
    const u2 = pullBuild(h.fx, 'pull-altered');
    await publish(h, u2);
    const p = webDisk(h, u2);
    const bytes = fs.readFileSync(path.join(h.www, p));
    bytes[bytes.length >> 1] ^= 0x40;
    h.server.setFault(p, { body: bytes });
    const b = await bootToChoice(h);
    assert.equal(b.done.fields.result, 'failed', b.text);
    assert.equal(b.done.fields.reason, 'digest_mismatch');
    assert.equal(b.done.fields.slot_state, 'cleared');
    await noBuildOnB(h.disk);
    keptRunningBuild(h, b);
  });

  it('a truncated file, then the next boot installs the build once it is served whole', async () => {
    const u2 = pullBuild(h.fx, 'pull-truncated');
    await publish(h, u2);
    const p = webDisk(h, u2);
    const whole = fs.readFileSync(path.join(h.www, p));
    h.server.setFault(p, { body: whole.subarray(0, whole.length - 1000) });
    const b = await bootToChoice(h);
    assert.equal(b.done.fields.result, 'failed', b.text);
    assert.equal(b.done.fields.reason, 'size_mismatch');
    assert.equal(b.done.fields.slot_state, 'cleared');
    await noBuildOnB(h.disk);
    keptRunningBuild(h, b);

    h.server.clearFaults();
    const next = await bootThrough(h);
    const done = next.perBoot[0].find((e) => e.ev === 'pull_done');
    assert.equal(done?.fields.result, 'installed', next.text);
    assert.equal(next.all('commit')[0]?.fields.boot, u2.uuid, next.text);
  });

  it('a server that stalls inside a file', async () => {
    const u2 = pullBuild(h.fx, 'pull-stall');
    await publish(h, u2);
    h.server.setFault(webDisk(h, u2), { stallAfter: 1000 });
    const b = await bootToChoice(h);
    assert.equal(b.done.fields.result, 'failed', b.text);
    assert.equal(b.done.fields.reason, 'timeout');
    assert.equal(b.done.fields.slot_state, 'cleared');
    const took = Number(b.done.fields.took_ms);
    assert.ok(took >= PULL_TIMEOUT_S * 1000, `the pull gave up at its deadline, not before: ${took} ms`);
    assert.ok(took < PULL_TIMEOUT_S * 1000 + 5000, `and not long after it: ${took} ms`);
    await noBuildOnB(h.disk);
    keptRunningBuild(h, b);
  });

  it('a server that vanishes mid-download', async () => {
    const u2 = pullBuild(h.fx, 'pull-vanish');
    await publish(h, u2);
    const p = webDisk(h, u2);
    h.server.setFault(p, { closeAfter: 1000 });
    const b = await bootToChoice(h);
    assert.equal(b.done.fields.result, 'failed', b.text);
    assert.equal(b.done.fields.reason, 'truncated');
    assert.equal(b.done.fields.slot_state, 'cleared');
    assert.ok(h.server.requestsFor(p).every((r) => r.cut), 'the server cut every response');
    await noBuildOnB(h.disk);
    keptRunningBuild(h, b);
  });
});
