// The provider's progress sink: a phase's first and last lines always, others at most one per
// interval, no repeats; image events and slot bytes rendered with the resource's prefix.
import assert from 'node:assert/strict';
import { imageProgress, progressSink, slotProgress } from '../../provider/impl/progress';

function sinkAt(): {
  lines: string[];
  clock: { t: number };
  sink: ReturnType<typeof progressSink>;
} {
  const lines: string[] = [];
  const clock = { t: 0 };
  return {
    lines,
    clock,
    sink: progressSink(
      'Deployment s',
      (l) => lines.push(l),
      2000,
      () => clock.t,
    ),
  };
}

describe('provider progress lines', () => {
  it('writes a phase start, then at most one line per 2 s, and always the end', () => {
    const { lines, clock, sink } = sinkAt();
    sink.phase('slot B', '1', false);
    clock.t = 1999;
    sink.phase('slot B', '2', false);
    clock.t = 2000;
    sink.phase('slot B', '3', false);
    clock.t = 2100;
    sink.phase('slot B', '4', true);
    sink.phase('slot B', '4', true);
    assert.deepEqual(lines, [
      'Deployment s: slot B: 1',
      'Deployment s: slot B: 3',
      'Deployment s: slot B: 4',
    ]);
  });

  it('keeps phases apart and passes one-off lines through', () => {
    const { lines, sink } = sinkAt();
    sink.phase('image a', 'x');
    sink.phase('image b', 'y');
    sink.line('guest kernel: configuring');
    sink.line('guest kernel: configuring');
    assert.equal(lines.length, 4);
  });

  it('renders image and slot progress with totals, the last at the total', () => {
    const { lines, clock, sink } = sinkAt();
    const img = imageProgress(sink);
    img('image web', {
      phase: 'layers',
      bytes: 2 ** 20,
      stored: 2 ** 20,
      storedTotal: 3 * 2 ** 20,
    });
    clock.t = 10;
    img('image web', {
      phase: 'layers',
      bytes: 2 * 2 ** 20,
      stored: 2 * 2 ** 20,
      storedTotal: 3 * 2 ** 20,
    });
    img('image web', {
      phase: 'layers',
      bytes: 3 * 2 ** 20,
      stored: 3 * 2 ** 20,
      storedTotal: 3 * 2 ** 20,
    });
    img('image web', { phase: 'image', step: 'digest' });
    img('image db', { phase: 'layers', bytes: 5 * 2 ** 19, stored: 2 ** 20 });
    slotProgress(sink)('B', 40 * 2 ** 20, 40 * 2 ** 20);
    assert.deepEqual(lines, [
      'Deployment s: image web: 1.0 of 3.0 MiB of layers read',
      'Deployment s: image web: 3.0 of 3.0 MiB of layers read',
      'Deployment s: image web: hashing the disk image',
      'Deployment s: image db: 2.5 MiB of layers read',
      'Deployment s: slot B: 40.0 of 40.0 MiB written',
    ]);
  });
});
