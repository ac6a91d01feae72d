// Guest containment under Bochs with exact guest instructions (test/hv-svm/tiny-kernel.ts) on
// the VMX backend: corei7_skylake_x takes the VMX + EPT path. Two VMs running the same guest
// (./isolation-guest.ts): it stores a byte at 96 MiB, reads it back, prints a line and exits 42
// through the status port. 96 MiB is inside "good" (128 MiB) and outside "bad" (64 MiB): bad is
// stopped with the faulting address logged (EPT violation / nested page fault) and never prints;
// good completes with its exit status; D0 carries on to its orderly end. Both run in the shared
// VMX boot (./shared-suites.ts).
// The SVM backend runs this suite under QEMU (test/hv-svm/two-vms-isolation.test.ts); Bochs ryzen, the second SVM
// implementation, runs the suites where its NRIP save changes D0's path (hostile, bad-access),
// the periodic APIC tick (preemption) and a real Linux (launch-linux): a ryzen boot of this one
// would cost CI ~45 s and test code QEMU already runs (docs/ci.md).
import assert from 'node:assert/strict';
import { dump, only } from './d0-bochs';
import { sharedView, SHARED_TEST_TIMEOUT_MS } from './shared-suites';

for (const [cpuModel, backend, nripSave] of [
  ['corei7_skylake_x', 'vmx', '0'],
] as const) {
  describe(`hv-vmx: guest containment under Bochs ${cpuModel} (${backend} backend)`, function () {
    this.timeout(SHARED_TEST_TIMEOUT_MS);

    it('a store outside one VM\'s RAM stops only that VM, address logged; the other exits 42', async () => {
      const events = await sharedView(cpuModel, 'iso');
      const all = dump(events);
      const cpu = only(events, 'cpu')[0];
      assert.deepEqual(
        [cpu?.fields.vendor, cpu?.fields.backend, cpu?.fields.nrip_save],
        [backend === 'vmx' ? 'intel' : 'amd', backend, nripSave],
        all,
      );
      // Bochs has one CPU: the BSP's backend is on before the VMs (kernel/docs/acpi-and-cpus.md "CPUs").
      assert.deepEqual(
        only(events, 'cpu_up').map((e) => [e.fields.cpu, e.fields.backend]),
        [['0', backend]],
        all,
      );
      const up = only(events, 'cpus_up')[0];
      assert.deepEqual([up?.fields.count, up?.fields.of], ['1', '1'], all);
      const lines = (vm: string) =>
        only(events, 'console').filter((e) => e.fields.vm === vm).map((e) => e.fields.line);
      assert.deepEqual(lines('bad'), ['start'], 'bad\'s store never completed\n' + all);
      assert.deepEqual(lines('good'), ['start', 'stored'], all);
      const bad = only(events, 'hv').filter((e) => e.fields.what === 'bad-access');
      assert.ok(bad.length >= 1 && bad.every((e) => e.fields.vm === 'bad'), all); // nothing about good
      assert.equal(bad[0].fields.a, '0x6000000', all); // the exit names the faulting address
      const stopped = Object.fromEntries(only(events, 'vm_stopped').map((e) => [e.fields.vm, e.fields.state]));
      assert.deepEqual(stopped, { good: 'exited', bad: 'crashed' }, all);
      assert.deepEqual(
        only(events, 'vm_exit').map((e) => [e.fields.vm, e.fields.status]),
        [['good', '42']],
        all,
      );
      assert.equal(events.at(-1)!.ev, 'halt', all);
    });
  });
}
