// A hostile virtqueue stops only the VM that built it: two VMs of one build run the
// same tiny guest (virtqueue-guest.ts), which drives its own virtio-blk through the virtio-mmio
// registers and reads sector 0. In the 64 MiB VM the request is hostile - a descriptor chain that
// loops, or a buffer outside its RAM - and D0 breaks that VM's device and stops that VM with the
// reason logged; the 128 MiB VM's identical request is served from its own disk, and it ticks on
// after the other's stop and exits 0. One D0 boot per case (QEMU TCG, -cpu EPYC, hard timeout).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { D0Event } from '../support/events';
import {
  buildD0,
  consoleOf,
  dump,
  indexOfOnly,
  RUN_TIMEOUT_MS,
  runVms,
  type D0Build,
} from './two-vms-run';
import { DISK_MAGIC, virtqueueGuest, type Hostility } from './virtqueue-guest';

const TICKS = 5;
const disk = () => Buffer.concat([DISK_MAGIC, Buffer.alloc(4096 - DISK_MAGIC.length, 0x5a)]);

const cases: Array<{ hostility: Hostility; err: string }> = [
  { hostility: 'loop', err: 'vq-descriptor-loop' },
  { hostility: 'out-of-range', err: 'gpa-out-of-range' },
];

describe('hv-svm: a malformed virtqueue stops only its VM; a second VM keeps running', function () {
  this.timeout(2 * RUN_TIMEOUT_MS + 300_000);
  let b: D0Build;

  before(async function () {
    this.timeout(300_000);
    b = await buildD0('d0-svm-vq-');
  });
  after(() => b && fs.rmSync(b.dir, { recursive: true, force: true }));

  const byVm = (events: D0Event[], ev: string, vm: string) =>
    events.filter((e) => e.ev === ev && e.fields.vm === vm);

  for (const { hostility, err } of cases) {
    it(`${hostility}: the 64 MiB VM is stopped with err=${err}; the 128 MiB VM is served, ticks on and exits 0`, async () => {
      const events = await runVms(b, virtqueueGuest(hostility, TICKS), [
        { name: 'good', memMb: 128, bootOrder: 1, health: 'HEALTH_EXIT_ZERO', disk: disk() },
        { name: 'bad', memMb: 64, bootOrder: 2, health: 'HEALTH_EXIT_ZERO', disk: disk() },
      ]);
      const all = dump(events);

      // bad: its device broke on the notify with the precise reason, then D0 stopped the VM
      // before the guest's next instruction (it never printed or exited after "notify").
      assert.deepEqual(
        consoleOf(events, 'bad').map(([, l]) => l),
        ['notify'],
        all,
      );
      const broken = indexOfOnly(
        events,
        (e) => e.ev === 'hv' && e.fields.what === 'device-broken',
        'device-broken',
      );
      assert.deepEqual(
        [events[broken].fields.vm, events[broken].fields.dev, events[broken].fields.err],
        ['bad', 'virtio-blk', err],
      );
      assert.equal(events[broken].fields.a, '0x0', 'queue 0');
      assert.equal(events[broken].fields.b, '0xd0000000', 'the device at LAYOUT_VIRTIO_BLK_BASE');
      const abuse = indexOfOnly(
        events,
        (e) => e.ev === 'hv' && e.fields.what === 'virtqueue-abuse',
        'virtqueue-abuse',
      );
      assert.equal(events[abuse].fields.vm, 'bad');
      assert.equal(events[abuse].fields.err, 'device-needs-reset');
      const stop = indexOfOnly(
        events,
        (e) => e.ev === 'vm_stopped' && e.fields.vm === 'bad',
        'stop of bad',
      );
      assert.ok(broken < abuse && abuse < stop, all);
      assert.equal(events[stop].fields.state, 'failed');
      assert.equal(byVm(events, 'vm_exit', 'bad').length, 0, all);
      assert.equal(byVm(events, 'vm_stats', 'bad')[0].fields.blk_requests, '0');

      // good: the same request was served from its own disk (the guest checked used idx, the
      // status byte and the data), it kept ticking after bad's stop, then exited 0.
      const lines = consoleOf(events, 'good');
      assert.deepEqual(
        lines.map(([, l]) => l),
        ['notify', 'blk-ok', ...Array.from({ length: TICKS }, (_, i) => `tick ${i + 1}`)],
        all,
      );
      const ticks = lines.slice(2).map(([i]) => i);
      assert.ok(
        ticks.some((i) => i > stop),
        `good ticked after bad stopped:\n${all}`,
      );
      const exit = indexOfOnly(events, (e) => e.ev === 'vm_exit', 'vm_exit');
      assert.deepEqual([events[exit].fields.vm, events[exit].fields.status], ['good', '0'], all);
      assert.ok(stop < exit && ticks.at(-1)! < exit, all);
      const stats = byVm(events, 'vm_stats', 'good')[0].fields;
      assert.deepEqual([stats.blk_requests, stats.blk_read_bytes], ['1', '512']);
      assert.equal(byVm(events, 'vm_stopped', 'good')[0].fields.state, 'exited');
      const health = events
        .filter((e) => e.ev === 'vm_health')
        .map((e) => [e.fields.vm, e.fields.verdict, e.fields.reason]);
      assert.deepEqual(health, [
        ['bad', 'failed', 'vm-failed'],
        ['good', 'healthy', 'exit-zero'],
      ]);
      assert.equal(events.at(-1)!.ev, 'halt', all);
    });
  }
});
