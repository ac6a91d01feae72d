// The VMX backend's emulation of what Linux does that always or sometimes exits on VMX, with
// exact guest instructions (test/hv-svm/tiny-kernel.ts) under Bochs corei7_skylake_x:
//  - MOV to CR0 clearing CR0.NE, a bit D0 owns (VMX fixed bit): emulated; the guest reads its
//    own value back through the read shadow, then sets NE again;
//  - CR4 as the guest reads it has no VMXE (D0's bit, hidden by the shadow);
//  - XSETBV (always an exit on VMX) with x87|SSE after the guest set CR4.OSXSAVE: XGETBV reads
//    it back;
//  - MOV to CR4 setting VMXE (reserved for a guest without VMX): #GP, which this guest (no IDT)
//    turns into a triple fault: that VM stops crashed and D0 carries on to its end.
// The guests are ./cr-guest.ts, each in a VM of its own in the shared VMX boot (./shared-suites.ts).
import assert from 'node:assert/strict';
import { dump, only } from './d0-bochs';
import { sharedView, SHARED_TEST_TIMEOUT_MS } from './shared-suites';

describe('hv-vmx: CR0/CR4 writes and XSETBV emulated by the VMX backend (Bochs)', function () {
  this.timeout(SHARED_TEST_TIMEOUT_MS);

  async function run(prefix: 'cre' | 'crv') {
    const events = await sharedView('corei7_skylake_x', prefix);
    assert.equal(only(events, 'cpu')[0]?.fields.backend, 'vmx', dump(events));
    return events;
  }

  it('CR0.NE cleared and set through the shadow, no VMXE visible, XSETBV/XGETBV round trip', async () => {
    const events = await run('cre');
    const all = dump(events);
    assert.deepEqual(only(events, 'console').map((e) => e.fields.line), ['cr-xsetbv-ok'], all);
    assert.equal(only(events, 'vm_exit')[0]?.fields.status, '0', all);
  });

  it('setting CR4.VMXE is a #GP for the guest (here: triple fault, VM crashed), D0 carries on', async () => {
    const events = await run('crv');
    const all = dump(events);
    assert.deepEqual(only(events, 'console').map((e) => e.fields.line), ['before-vmxe'], all);
    assert.equal(only(events, 'vm_exit').length, 0, all);
    assert.equal(only(events, 'vm_stopped')[0]?.fields.state, 'crashed', all);
    assert.equal(events.at(-1)!.ev, 'halt', all);
  });
});
