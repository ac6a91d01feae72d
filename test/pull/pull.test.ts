// Pull at reboot under QEMU + OVMF (SVM), kernel/docs/pull.md: a committed host whose build names
// an update server asks it for its pointer at each boot. A newer build published for it with
// `d0 publish` is laid into slot B through the firmware's HTTP stack (the files the running slot
// already holds are copied from it instead), then tried by the A/B choice and committed by its own
// D0; the next boot finds itself current. Nothing published: the host boots on and slot B is
// untouched.
import assert from 'node:assert/strict';
import {
  abState,
  bootThrough,
  bootToChoice,
  buildPath,
  HOST_ID,
  publish,
  pullBuild,
  pullHost,
  slotBDigest,
  slotBFiles,
  type PullHost,
} from './support';

describe('pull at reboot: a published build is installed, tried and committed', function () {
  this.timeout(20 * 60_000);
  let h: PullHost;

  before(async () => {
    h = await pullHost('pull-happy');
  });
  after(async () => {
    await h?.server.close();
  });

  it('boots on with slot B untouched while nothing is published for the host', async () => {
    const before = slotBDigest(h.disk);
    const b = await bootToChoice(h);
    assert.equal(b.done.fields.result, 'none', b.text);
    assert.equal(b.done.fields.http_status, '404');
    assert.equal(b.done.fields.slot_state, 'untouched');
    const net = b.events.find((e) => e.ev === 'pull_net');
    assert.equal(net?.fields.host, HOST_ID);
    assert.equal(net?.fields.ip, '10.0.2.15', 'the address slirp DHCP gives');
    const choice = b.events.find((e) => e.ev === 'slot_choice');
    assert.equal(choice?.fields.role, 'committed');
    assert.equal(choice?.fields.boot, h.u1.uuid);
    assert.equal(slotBDigest(h.disk), before);
    assert.deepEqual(
      h.server.requests.map((r) => `${r.method} ${r.path} ${r.status}`),
      [`GET /site/hosts/${HOST_ID}.d0ptr 404`],
    );
  });

  it('installs a newer published build into slot B, tries it and commits it', async () => {
    const u2 = pullBuild(h.fx, 'pull-happy-u2', { guest: 'healthy' });
    await publish(h, u2);
    h.server.requests.length = 0;
    const b = await bootThrough(h);
    const [first, trial] = b.perBoot;
    const done = first.find((e) => e.ev === 'pull_done');
    assert.equal(done?.fields.result, 'installed', b.text);
    assert.equal(done?.fields.target, u2.uuid);
    assert.equal(done?.fields.running, h.u1.uuid);
    assert.equal(done?.fields.slot, 'B');
    assert.equal(done?.fields.slot_state, 'installed');
    // The guest kernel and D0 are the same bytes in U1 and U2: copied from slot A, not fetched.
    const files = first.filter((e) => e.ev === 'pull_file');
    assert.deepEqual(
      files.map((e) => [e.fields.path.split('-')[0], e.fields.source, e.fields.result]),
      [
        ['VM/vmlinuz', 'local', 'ok'],
        ['VM/api', 'net', 'ok'],
        ['VM/web', 'net', 'ok'],
        ['EFI/BOOT/BOOTX64', 'local', 'ok'],
      ],
    );
    const fetched = h.server.requests.filter((r) => r.path.startsWith('/site/builds/'));
    assert.deepEqual(
      fetched.map((r) => [r.path, r.status, r.cut]).sort(),
      files
        .filter((e) => e.fields.source === 'net')
        .map((e) => [buildPath(u2.uuid, e.fields.path), 200, false])
        .sort(),
    );
    const start = first.find((e) => e.ev === 'slot_choice');
    assert.equal(start?.fields.role, 'trial_start', 'the A/B choice tries what the pull installed');
    assert.equal(start?.fields.boot, u2.uuid);
    assert.equal(trial.find((e) => e.ev === 'slot_choice')?.fields.role, 'trial');
    assert.ok(
      !trial.some((e) => e.ev === 'pull_start'),
      'a trial boot does not pull: it settles first',
    );
    const commit = b.all('commit')[0];
    assert.equal(commit?.fields.boot, u2.uuid, b.text);
    assert.equal(commit?.fields.slot, 'B');
    assert.equal(abState(h).lastGood, u2.uuid);
    const onB = await slotBFiles(h.disk);
    for (const f of [
      `manifest-${u2.uuid}.tlv`,
      `manifest-${u2.uuid}.sig`,
      `EFI/BOOT/BOOTX64-${u2.uuid}.EFI`,
      'EFI/BOOT/BOOTX64.EFI',
    ])
      assert.ok(onB.includes(f), `${f} is on slot B: ${onB.join(' ')}`);
    assert.ok(!onB.some((f) => f.endsWith('.part')), 'no half-committed manifest is left');
  });

  it('finds itself current on the next boot and fetches nothing but its pointer', async () => {
    h.server.requests.length = 0;
    const b = await bootToChoice(h);
    assert.equal(b.done.fields.result, 'current', b.text);
    assert.equal(b.done.fields.reason, 'current');
    assert.equal(b.done.fields.running, b.done.fields.target);
    assert.equal(b.done.fields.slot, 'A', 'the other slot is now A');
    assert.equal(b.done.fields.slot_state, 'untouched');
    assert.deepEqual(
      h.server.requests.map((r) => r.path),
      [`/site/hosts/${HOST_ID}.d0ptr`],
    );
  });
});
