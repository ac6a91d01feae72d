// Two real Linux micro-VMs of one build talk over D0's static L2 bridge (kernel/dev/virtio/
// bridge.h): "server" only stays up; "client" pings server's address. ARP (broadcast) and the
// ICMP echo (unicast both ways) cross the bridge, so the ping succeeds only if D0 forwards
// frames between the VMs' virtio-net devices. Under QEMU TCG with SVM + NPT (-cpu EPYC), twice:
// -smp 1, both VMs round-robin on the BSP; -smp 2 with one host thread per vCPU, each VM on a CPU
// of its own (ev=vm_cpu), so each frame is written into the other VM's queue by the sender's CPU
// while the receiver runs on the other one (d0_lock: kernel/docs/acpi-and-cpus.md, "VMs on CPUs").
// There the server computes (a shell loop) while it answers, so its guest is running when the
// client's frames arrive: the client's CPU kicks the server's (an IPI that makes its guest exit
// and take the interrupt now), counted in the AP's ev=cpu_stats kicks_sent.
// Slow (two nested Linux boots each); hard timeout, QEMU killed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildEspDisk } from '../../builder/disk/esp';
import { encodeExecSpec } from '../../core/image/exec-spec';
import { buildGuestInit } from '../../builder/guest/init';
import { buildGuestKernel } from '../../builder/guest/kernel';
import { busyboxImageBytes } from '../guest/support/busybox-image';
import type { D0Event } from '../support/events';
import { withQemu } from '../support/qemu';
import { makeVmsSlot, slotFiles } from './slot';
import { testD0 } from '../support/test-d0';

const TIMEOUT_MS = 20 * 60_000;

function consoleOf(events: D0Event[], vm: string): string {
  return events
    .filter((e) => e.ev === 'console' && e.fields.vm === vm)
    .map((e) => e.fields.line ?? '')
    .join('\n');
}

function image(init: string, script: string): Buffer {
  const spec = encodeExecSpec({ args: ['/bin/sh', '-c', script], env: ['PATH=/bin'], cwd: '/' });
  return busyboxImageBytes({ init, execSpec: spec, sizeMb: 16 });
}

describe('hv-svm: two VMs on the static bridge (real Linux guests, SVM + NPT)', function () {
  this.timeout(2 * TIMEOUT_MS + 300_000);
  let dir: string;
  let efi: Buffer;
  let bzImage: Buffer;
  let secretKey: Uint8Array;
  let init: string;

  before(async function () {
    this.timeout(45 * 60_000); // a cold cache builds the guest kernel
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-bridge-'));
    ({ efi, secretKey } = await testD0());
    bzImage = fs.readFileSync((await buildGuestKernel({})).bzImage);
    init = (await buildGuestInit()).init;
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const smp of [1, 2])
    it(`-smp ${smp}: client pings server across D0's bridge: ARP and ICMP echo cross between the VMs`, async () => {
      // makeVmsSlot: server 10.20.0.10 (MAC ...:10), client 10.20.0.11 (MAC ...:11).
      const server = image(
        init,
        smp === 1 ? 'echo SERVER_UP; sleep 600' : 'echo SERVER_UP; while :; do :; done',
      );
      const client = image(
        init,
        'busybox ping -c 2 -W 10 10.20.0.10; s=$?; echo "PING_STATUS $s"; ip neigh; exit $s',
      );
      const slot = makeVmsSlot(secretKey, bzImage, [
        { name: 'server', memMb: 48, bootOrder: 1, disk: server },
        { name: 'client', memMb: 48, bootOrder: 2, disk: client },
      ]);
      const esp = path.join(dir, 'esp.img');
      await buildEspDisk(esp, [{ name: 'ESP_A', label: 'D0_A', files: slotFiles(slot, efi) }]);
      const qemu = smp === 1 ? {} : { accel: 'tcg,thread=multi', extraArgs: ['-smp', String(smp)] };
      await withQemu(
        { disk: esp, cpu: 'EPYC', memMb: 512, timeoutMs: TIMEOUT_MS, ...qemu },
        async (vm) => {
          const exit = await vm.waitFor((e) => e.ev === 'vm_exit' && e.fields.vm === 'client');
          const events = [...vm.events];
          const cpuOf = (name: string) =>
            events.find((e) => e.ev === 'vm_cpu' && e.fields.vm === name)?.fields.cpu;
          assert.deepEqual([cpuOf('server'), cpuOf('client')], smp === 1 ? ['0', '0'] : ['0', '1']);
          const text = consoleOf(events, 'client');
          assert.equal(
            exit.fields.status,
            '0',
            `client's ping failed:\n${text}\n${consoleOf(events, 'server')}`,
          );
          assert.match(text, /2 packets transmitted, 2 packets received/);
          // The neighbour entry is server's static MAC: its ARP reply crossed the bridge.
          assert.match(text, /10\.20\.0\.10 dev eth0 lladdr 02:00:00:00:00:10/);
          assert.match(consoleOf(events, 'server'), /SERVER_UP/);
          // Server still runs: nothing stopped it.
          assert.equal(
            events.filter((e) => e.ev === 'vm_stopped' && e.fields.vm === 'server').length,
            0,
          );
          const stats = await vm.waitFor((e) => e.ev === 'vm_stats' && e.fields.vm === 'client');
          if (smp === 2) {
            // The AP (the client's CPU) logs its account once the client has stopped.
            const ap = await vm.waitFor((e) => e.ev === 'cpu_stats' && e.fields.cpu === '1');
            console.log(`      ${ap.raw}`);
            console.log(
              `      ${text
                .split('\n')
                .filter((l) => /bytes from|round-trip/.test(l))
                .join('\n      ')}`,
            );
            assert.ok(Number(ap.fields.kicks_sent) > 0, ap.raw);
          }
          assert.ok(Number(stats.fields.net_rx_frames) >= 3, stats.raw); // ARP reply + 2 echo replies
          // Where its exits went (right after vm_stats): every one placed in the table, a whole
          // Linux boot and its pings included (kernel/hv/exit_count.h).
          const top = await vm.waitFor(
            (e) => e.ev === 'exit_top' && e.fields.vm === 'client' && e.seq > stats.seq,
          );
          assert.deepEqual([top.fields.io_other, top.fields.mmio_other], ['0', '0'], top.raw);
          // The client's bridge port, logged when it stopped (after its vm_stats; the periodic
          // ev=net_stats before it may predate the last reply): what it sent and what reached it.
          const net = await vm.waitFor(
            (e) => e.ev === 'net_stats' && e.fields.vm === 'client' && e.seq > stats.seq,
          );
          assert.ok(Number(net.fields.tx_packets) >= 3, net.raw); // ARP request + 2 echoes
          assert.ok(Number(net.fields.rx_packets) >= 3, net.raw);
          // Its own addresses only: nothing it sent was a spoof or malformed (IPv6 it may send, the
          // bridge drops as `ethertype`).
          assert.equal(net.fields.drop_spoof, '0', net.raw);
          assert.equal(net.fields.drop_malformed, '0', net.raw);
        },
      );
    });
});
