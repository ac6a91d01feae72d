// D0 stage 1 under QEMU + OVMF: the real UEFI application, built for the test key (test/support/test-d0.ts), boots
// from a GPT/FAT32 ESP, verifies its signed manifest and logs the launch plan; each class of bad
// slot logs its specific reason and launches nothing.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildEspDisk } from '../../builder/disk/esp';
import { type KeyPair } from '../../core/sign';
import { assertContiguous, type D0Event } from '../support/events';
import { withQemu } from '../support/qemu';
import { testD0 } from '../support/test-d0';
import { makeSlot, resign, slotFiles } from './slot';

const BOOT_TIMEOUT_MS = 120_000;
const EFI_SECURITY_VIOLATION = '0x800000000000001a';
const EFI_NOT_FOUND = '0x800000000000000e';
/** The events this stage logs, in the order of a successful run. */
const STAGE1_EVENTS = [
  'boot_start',
  'manifest_found',
  'signature_ok',
  'file_ok',
  'manifest_verified',
  'measured',
  'launch_plan',
  'ready_to_launch',
];

interface Outcome {
  events: D0Event[];
  byName: (ev: string) => D0Event[];
}

describe('boot: D0 stage 1 under QEMU + OVMF', function () {
  this.timeout(600_000);
  let dir: string;
  let key: KeyPair;
  let efi: Buffer; // built with key.publicKey
  let otherEfi: Buffer; // built with an unrelated key

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-boot-'));
    const mine = await testD0();
    key = mine.key;
    efi = mine.efi;
    otherEfi = (await testD0('other')).efi;
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Boots a one-ESP disk holding files and returns the events up to `until` (default ev=exit). */
  async function boot(
    files: ReturnType<typeof slotFiles>,
    cpu?: string,
    extraArgs?: string[],
    until = 'exit',
    tpm12StandIn?: boolean,
  ): Promise<Outcome> {
    const disk = path.join(dir, 'disk.img');
    await buildEspDisk(disk, [{ name: 'ESP_A', label: 'D0_A', files }]);
    const q = { disk, cpu, extraArgs, timeoutMs: BOOT_TIMEOUT_MS, tpm12StandIn };
    return withQemu(q, async (vm) => {
      await vm.waitFor(until);
      const events = [...vm.events];
      assertContiguous(events);
      return { events, byName: (ev: string) => events.filter((e) => e.ev === ev) };
    });
  }

  /** The common shape of every refusal: one boot_failed with this reason, nothing launched, an error returned. */
  function assertRefused(o: Outcome, reason: string, status = EFI_SECURITY_VIOLATION): D0Event {
    const failed = o.byName('boot_failed');
    assert.equal(failed.length, 1, o.events.map((e) => e.raw).join('\n'));
    assert.equal(failed[0].fields.reason, reason, failed[0].raw);
    for (const ev of ['manifest_verified', 'launch_plan', 'ready_to_launch'])
      assert.equal(o.byName(ev).length, 0, `ev=${ev} after a failure`);
    const exit = o.events.at(-1)!;
    assert.equal(exit.ev, 'exit');
    assert.equal(exit.fields.status, status);
    return failed[0];
  }

  // Test boots present a TPM 1.2 for the firmware's sake (test/support/swtpm.ts): D0 must see
  // the machine as one without a TPM, exactly as when no TPM device is there at all.
  it('sees no TPM with the harness TPM 1.2 stand-in, as with no TPM device', async () => {
    const files = slotFiles(makeSlot(key.secretKey), efi);
    const TPM_EVENTS = ['epoch_floor', 'measured', 'tpm_interface', 'tpm_error'];
    const view = (o: Outcome) =>
      o.events
        .filter((e) => TPM_EVENTS.includes(e.ev))
        .map(({ ev, fields: { source, tpm, state, reason } }) => ({
          ev,
          source,
          tpm,
          state,
          reason,
        }));
    const none = view(await boot(files, 'max', undefined, 'ready_to_launch', false));
    const standIn = view(await boot(files, 'max', undefined, 'ready_to_launch', true));
    const u = undefined;
    assert.deepEqual(none, [
      { ev: 'epoch_floor', source: 'nvram', tpm: 'none', state: u, reason: u },
      { ev: 'measured', source: u, tpm: u, state: 'absent', reason: 'no_tcg2' },
    ]);
    assert.deepEqual(standIn, none);
  });

  it('verifies a correctly signed build and logs its launch plan in boot order', async () => {
    const slot = makeSlot(key.secretKey);
    // Stage 1 ends at ready_to_launch; what follows (the launch) and the A/B bookkeeping
    // interleaved with it (ab_state, slot_choice, commit) are other stages' events and tests.
    const o = await boot(slotFiles(slot, efi), 'max', undefined, 'ready_to_launch');
    const names = o.events.map((e) => e.ev).filter((ev) => STAGE1_EVENTS.includes(ev));
    assert.deepEqual(names, [
      'boot_start',
      'manifest_found',
      'signature_ok',
      'file_ok',
      'file_ok',
      'file_ok',
      'manifest_verified',
      'measured',
      'launch_plan',
      'launch_plan',
      'ready_to_launch',
    ]);
    assert.equal(o.byName('boot_failed').length, 0, o.events.map((e) => e.raw).join('\n'));
    // No TPM on this machine: measured boot says so and the boot goes on (docs/measured-boot.md).
    const measured = o.byName('measured')[0].fields;
    assert.deepEqual([measured.state, measured.reason], ['absent', 'no_tcg2']);
    const start = o.byName('boot_start')[0].fields;
    assert.equal(start.key, Buffer.from(key.publicKey).subarray(0, 8).toString('hex'));
    assert.equal(start.watchdog, 'off');
    assert.ok(
      ['rdseed', 'rdrand'].includes(start.stack_guard),
      `-cpu max has RDRAND/RDSEED: ${start.stack_guard}`,
    );
    assert.equal(o.byName('signature_ok')[0].fields.tlv_bytes, String(slot.tlv.length));

    const verified = o.byName('manifest_verified')[0].fields;
    assert.equal(verified.uuid, slot.uuid);
    assert.equal(verified.containers, '2');
    assert.equal(verified.epoch, '3');
    // Every file was checked with the size the manifest states: the guest kernel, then the
    // disks in the manifest's (name) order.
    const expected = [
      slot.manifest.guest_kernel.path,
      `VM/api-${slot.uuid}.img`,
      `VM/web-${slot.uuid}.img`,
    ];
    assert.deepEqual(
      o.byName('file_ok').map((e) => [e.fields.path, e.fields.size]),
      expected.map((p) => [p, String(slot.payload.get(p)!.length)]),
      o.events.map((e) => e.raw).join('\n'),
    );
    // Launch order is boot_order (web=1 before api=2), not the manifest's name order.
    const plan = o.byName('launch_plan').map((e) => e.fields);
    assert.deepEqual(
      plan.map((p) => [p.name, p.vcpu, p.mem_mb, p.ip, p.disk, p.boot_order, p.uuid]),
      [
        ['web', '1', '64', '10.20.0.10/24', `VM/web-${slot.uuid}.img`, '1', slot.uuid],
        ['api', '1', '64', '10.20.0.11/24', `VM/api-${slot.uuid}.img`, '2', slot.uuid],
      ],
    );
    assert.equal(o.byName('ready_to_launch')[0].fields.containers, '2');
  });

  it('refuses a signature that does not match the manifest bytes (bad_signature)', async () => {
    const slot = makeSlot(key.secretKey);
    slot.sig[10] ^= 0x01;
    // The default QEMU CPU has no RDRAND/RDSEED; a virtio-rng device gives OVMF an
    // EFI_RNG_PROTOCOL, the guard's third source.
    const o = await boot(slotFiles(slot, efi), undefined, ['-device', 'virtio-rng-pci']);
    assertRefused(o, 'bad_signature');
    assert.equal(o.byName('boot_start')[0].fields.stack_guard, 'efi_rng');
  });

  it('refuses a build signed with another key than the one compiled in (bad_signature)', async () => {
    const slot = makeSlot(key.secretKey);
    const o = await boot(slotFiles(slot, otherEfi));
    assertRefused(o, 'bad_signature');
    // No RDRAND/RDSEED and no RNG protocol: the last-resort TSC mix, and the log says so.
    assert.equal(o.byName('boot_start')[0].fields.stack_guard, 'tsc');
    assert.notEqual(
      o.byName('boot_start')[0].fields.key,
      Buffer.from(key.publicKey).subarray(0, 8).toString('hex'),
    );
  });

  it('refuses a truncated TLV even when it is correctly signed (tlv:TRUNCATED)', async () => {
    const good = makeSlot(key.secretKey);
    const slot = resign(good, good.tlv.subarray(0, good.tlv.length - 9), key.secretKey);
    const o = await boot(slotFiles(slot, efi));
    assertRefused(o, 'tlv:TRUNCATED');
    assert.ok(
      o.byName('signature_ok').length === 1,
      'the signature over the truncated bytes was valid',
    );
  });

  it('refuses an unknown critical tag (tlv:UNKNOWN_CRITICAL)', async () => {
    const good = makeSlot(key.secretKey);
    // Append tag 0x817F (Manifest scope, field 127, critical bit) with one value byte to the
    // Manifest scope, and grow the root record's length to match.
    const extra = Buffer.from([0x7f, 0x81, 0x01, 0x00, 0x00, 0x00, 0x00]);
    const tlv = Buffer.concat([good.tlv, extra]);
    tlv.writeUInt32LE(good.tlv.readUInt32LE(2) + extra.length, 2);
    const o = await boot(slotFiles(resign(good, tlv, key.secretKey), efi));
    const failed = assertRefused(o, 'tlv:UNKNOWN_CRITICAL');
    assert.equal(failed.fields.tag, '0x817f');
    assert.equal(failed.fields.offset, String(good.tlv.length));
  });

  it('refuses a build whose container disk is missing (missing_file)', async () => {
    const slot = makeSlot(key.secretKey);
    const missing = slot.manifest.containers[0].disk_path; // "web": checked after "api" passed
    const o = await boot(slotFiles(slot, efi, { omit: [missing] }));
    const failed = assertRefused(o, 'missing_file', EFI_NOT_FOUND);
    assert.equal(failed.fields.path, missing);
    assert.equal(failed.fields.uuid, slot.uuid, 'failures after verification carry the build uuid');
  });

  it('refuses a disk whose size differs from the signed size (size_mismatch)', async () => {
    const slot = makeSlot(key.secretKey);
    const disk = `VM/api-${slot.uuid}.img`;
    slot.payload.set(disk, Buffer.concat([slot.payload.get(disk)!, Buffer.from([0])]));
    const failed = assertRefused(
      await boot(slotFiles(slot, efi)),
      'size_mismatch',
      '0x8000000000000021',
    );
    assert.deepEqual(
      [failed.fields.path, failed.fields.expected, failed.fields.actual],
      [disk, '4096', '4097'],
    );
  });

  it('refuses a guest kernel whose SHA-256 differs from the signed digest (digest_mismatch)', async () => {
    const slot = makeSlot(key.secretKey);
    const kernel = slot.manifest.guest_kernel.path;
    const tampered = Buffer.from(slot.payload.get(kernel)!);
    tampered[tampered.length - 1] ^= 0x80; // same size, one bit off
    slot.payload.set(kernel, tampered);
    const failed = assertRefused(
      await boot(slotFiles(slot, efi)),
      'digest_mismatch',
      '0x8000000000000021',
    );
    assert.equal(failed.fields.path, kernel);
    assert.equal(failed.fields.expected, slot.manifest.guest_kernel.sha256);
    assert.equal(failed.fields.actual, crypto.createHash('sha256').update(tampered).digest('hex'));
  });

  it('refuses a validly signed manifest renamed to another build uuid (uuid_mismatch)', async () => {
    const slot = makeSlot(key.secretKey);
    const other = makeSlot(key.secretKey).uuid;
    const files = slotFiles(slot, efi).map((f) =>
      f.path.startsWith('manifest-') ? { ...f, path: f.path.replace(slot.uuid, other) } : f,
    );
    const failed = assertRefused(await boot(files), 'uuid_mismatch');
    assert.deepEqual([failed.fields.file, failed.fields.signed], [other, slot.uuid]);
  });

  it('refuses a manifest file over the 65536-byte TLV limit before reading it (tlv:OVERSIZE)', async () => {
    const slot = makeSlot(key.secretKey);
    slot.tlv = Buffer.concat([slot.tlv, Buffer.alloc(65537 - slot.tlv.length)]);
    const failed = assertRefused(await boot(slotFiles(slot, efi)), 'tlv:OVERSIZE');
    assert.equal(failed.fields.size, '65537');
  });

  it('refuses a signature file that is not exactly 64 bytes (bad_signature_length)', async () => {
    const slot = makeSlot(key.secretKey);
    slot.sig = slot.sig.subarray(0, 63);
    const failed = assertRefused(await boot(slotFiles(slot, efi)), 'bad_signature_length');
    assert.equal(failed.fields.size, '63');
  });

  it('refuses a slot with no manifest, and one with two (no_manifest, several_manifests)', async () => {
    const a = makeSlot(key.secretKey);
    const none = await boot(slotFiles(a, efi).filter((f) => !f.path.startsWith('manifest-')));
    assertRefused(none, 'no_manifest', EFI_NOT_FOUND);

    const b = makeSlot(key.secretKey);
    const both = await boot([
      ...slotFiles(a, efi),
      ...slotFiles(b, efi).filter((f) => f.path.startsWith('manifest-')),
    ]);
    assert.equal(assertRefused(both, 'several_manifests').fields.count, '2');
  });
});
