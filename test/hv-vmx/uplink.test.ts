// D0's e1000 uplink on the VMX backend: Bochs `corei7_skylake_x` with its e1000 model on Bochs'
// own user-mode network (ethmod=slirp, 10.0.2.0/24, gateway 10.0.2.2; nothing outside Bochs is
// contacted). D0 must find the NIC, map it, resolve the gateway by ARP and log uplink_up while
// its container runs. The QEMU tests (test/hv-svm/uplink.test.ts) cover the wire in detail.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildEspDisk } from '../../builder/disk/esp';
import { encodeManifest } from '../../core/tlv/encode';
import { resign } from '../boot/slot';
import { makeLaunchSlot, slotFiles } from '../hv-svm/slot';
import { asm, tinyBzImage } from '../hv-svm/tiny-kernel';
import { withBochs } from '../support/bochs';
import { assertContiguous } from '../support/events';
import { testD0 } from '../support/test-d0';

const TIMEOUT_MS = 400_000;

describe('hv-vmx: the e1000 uplink under Bochs (VMX)', function () {
  this.timeout(TIMEOUT_MS + 300_000);
  let dir: string;
  let esp: string;

  before(async function () {
    this.timeout(300_000);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-vmx-uplink-'));
    const { key, efi: d0Efi } = await testD0();
    const code = [...asm.outb(0x502, 1), ...asm.haltLoop()];
    const base = makeLaunchSlot(key.secretKey, tinyBzImage(code), Buffer.alloc(4096), {
      name: 'app',
      memMb: 16,
    });
    const network = {
      ...base.manifest.network,
      uplink_ip4: '10.0.2.15/24',
      uplink_gw4: '10.0.2.2',
    };
    const manifest = { ...base.manifest, network };
    const slot = resign(
      { ...base, manifest },
      Buffer.from(encodeManifest(manifest)),
      key.secretKey,
    );
    esp = path.join(dir, 'esp.img');
    const efi = d0Efi;
    await buildEspDisk(esp, [{ name: 'ESP_A', label: 'D0_A', files: slotFiles(slot, efi) }]);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('finds the e1000, resolves the gateway by ARP and logs uplink_up; the container runs', async () => {
    const events = await withBochs(
      {
        disk: esp,
        cpuModel: 'corei7_skylake_x',
        memMb: 256,
        timeoutMs: TIMEOUT_MS,
        pciSlot1: 'e1000',
        extraLines: ['e1000: enabled=1, mac=52:54:00:12:34:57, ethmod=slirp'],
      },
      async (vm) => {
        const up = await vm.waitFor((e) => e.ev === 'uplink_up' || e.ev === 'uplink_down');
        assert.equal(up.ev, 'uplink_up', vm.describe());
        await vm.waitFor('vm_ready');
        return [...vm.events];
      },
    );
    assertContiguous(events);
    assert.equal(events.find((e) => e.ev === 'cpu')?.fields.backend, 'vmx');
    const up = events.find((e) => e.ev === 'uplink_up')!;
    assert.equal(up.fields.mac, '52:54:00:12:34:57', up.raw);
    assert.equal(up.fields.ip, '10.0.2.15/24');
    assert.equal(up.fields.gw, '10.0.2.2');
    // Bochs' slirp answers for its gateway with the same MAC as QEMU's.
    assert.equal(up.fields.gw_mac, '52:55:0a:00:02:02', up.raw);
    assert.equal(events.filter((e) => e.ev === 'vm_stopped').length, 0);
  });
});
