// `d0 run` says how long it has waited whenever D0 stays quiet (the firmware under TCG, a slow
// guest boot), naming the last event seen, and says nothing while events keep coming.
import { strict as assert } from 'node:assert';
import { quietTicker } from '../../cli/commands/run';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('d0 run: the quiet ticker', () => {
  it('speaks only after a quiet period, then names the last event', async () => {
    const told: [number, string | undefined][] = [];
    const t = quietTicker((s, ev) => told.push([s, ev]), 200);
    try {
      // events every 50 ms: never quiet
      for (let i = 0; i < 8; i++) {
        await sleep(50);
        t.saw(i === 7 ? 'vm_start' : 'boot_start');
      }
      assert.deepEqual(told, [], 'no line while events come');
      await sleep(450);
      assert.ok(told.length >= 1 && told.length <= 2, JSON.stringify(told));
      assert.equal(told[0][1], 'vm_start');
      t.stop();
      const n = told.length;
      await sleep(450);
      assert.equal(told.length, n, 'nothing after stop()');
    } finally {
      t.stop();
    }
  });

  it('before any event it reports no last event', async () => {
    const told: (string | undefined)[] = [];
    const t = quietTicker((_s, ev) => told.push(ev), 100);
    await sleep(300);
    t.stop();
    assert.ok(told.length >= 1);
    assert.deepEqual([...new Set(told)], [undefined]);
  });
});
