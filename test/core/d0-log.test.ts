// core/d0-log.ts: a whole line of D0's log as d0 run and the tests see it (after firmware noise,
// with a CR), its seq-less stack-guard line, and the event text d0 run shows the user.
import { strict as assert } from 'node:assert';
import { describeD0Event, parseD0LogLine } from '../../core/d0-log';

describe('D0 log lines (core/d0-log.ts)', () => {
  it('reads the event from its "D0 " on, after firmware output, values decoded and the CR dropped', () => {
    const e = parseD0LogLine(
      '\x1b[0mBdsDxe: loading D0 seq=12 ev=console vm=web line="a \\"b\\" D0 seq=13 ev=x" ms=40\r',
    );
    assert.deepEqual(
      { seq: e?.seq, ev: e?.ev, fields: e?.fields, raw: e?.raw },
      {
        seq: 12,
        ev: 'console',
        fields: { vm: 'web', line: 'a "b" D0 seq=13 ev=x', ms: '40' },
        raw: 'D0 seq=12 ev=console vm=web line="a \\"b\\" D0 seq=13 ev=x" ms=40',
      },
    );
  });

  it('reads the stack guard line, which has no seq', () => {
    const e = parseD0LogLine('D0 ev=stack_smash');
    assert.equal(e?.ev, 'stack_smash');
    assert.equal(e?.seq, undefined);
  });

  it('ignores lines that are not D0 events or do not parse', () => {
    for (const line of [
      '',
      'Linux version 6.1',
      'D0 seq=1',
      'D0 seq=1 k=v ev=a',
      'D0 seq=1 ev=a line="open',
      'D0 seq=1 ev=a line=two words',
    ])
      assert.equal(parseD0LogLine(line), undefined, JSON.stringify(line));
  });

  it('describes an event without its D0 seq= prefix, values quoted as D0 writes them', () => {
    const e = parseD0LogLine(
      'D0 seq=40 ev=boot_failed reason=file_error path="a b" error=not_found ms=9',
    )!;
    assert.equal(
      describeD0Event(e),
      'ev=boot_failed reason=file_error path="a b" error=not_found ms=9',
    );
    assert.equal(describeD0Event(parseD0LogLine('D0 ev=stack_smash')!), 'ev=stack_smash');
  });
});
