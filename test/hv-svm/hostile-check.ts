// What the hostile-guest suite asserts about one D0 boot running hostileGuest (hostile-guest.ts):
// D0 stays up to its own end, each hostile VM ends exactly as its case says (contained with its
// own status, or stopped with D0's error), and the benign VM finishes every beat unharmed.
import assert from 'node:assert/strict';
import type { D0Event } from '../support/events';
import { HOSTILE } from './hostile-guest';
import { dump } from './two-vms-run';

/** `skip`: cases this run left out (hostileVms(skip)). */
export function assertHostileSuite(events: D0Event[], skip: string[] = []): Record<string, string> {
  const all = dump(events);
  const lines = (vm: string) =>
    events.filter((e) => e.ev === 'console' && e.fields.vm === vm).map((e) => e.fields.line);
  const stopped = (vm: string) => events.find((e) => e.ev === 'vm_stopped' && e.fields.vm === vm)?.fields;
  const exit = (vm: string) => events.find((e) => e.ev === 'vm_exit' && e.fields.vm === vm)?.fields.status;
  assert.ok(events.some((e) => e.ev === 'halt'), `D0 reached its end\n${all}`);
  assert.ok(!events.some((e) => e.ev === 'cpu_exception'), all);
  const outcomes: Record<string, string> = {};
  for (const [vm, c] of Object.entries(HOSTILE).filter(([name]) => !skip.includes(name))) {
    assert.deepEqual(lines(vm), [vm], `${vm}: nothing after its attack\n${all}`);
    if ('contained' in c.expect) {
      assert.equal(exit(vm), String(c.expect.contained), `${vm}: contained, own status\n${all}`);
      assert.equal(stopped(vm)?.state, 'exited', `${vm}\n${all}`);
      outcomes[vm] = `contained (exit 0x${c.expect.contained.toString(16)})`;
    } else {
      assert.equal(exit(vm), undefined, `${vm}: stopped, never exits\n${all}`);
      assert.deepEqual([stopped(vm)?.state, stopped(vm)?.err], ['crashed', c.expect.stopped ?? undefined], `${vm}\n${all}`);
      outcomes[vm] = `stopped (${c.expect.stopped ?? 'triple fault'})`;
    }
  }
  assert.deepEqual(lines('benign'), ['benign', 'unharmed'], all);
  assert.equal(exit('benign'), '0', all);
  // Nothing of a hostile VM's is logged under another VM's name.
  const names = new Set(['benign', ...Object.keys(HOSTILE).filter((n) => !skip.includes(n))]);
  assert.ok(events.filter((e) => e.fields.vm !== undefined).every((e) => names.has(e.fields.vm)), all);
  return outcomes;
}
