// The boot log's C implementation (kernel/log) on the host, under ASan/UBSan: its own test, D0's
// ev=net_stats writer (kernel/boot/efi/net_stats.c), and its writer and logfmt parser against
// the golden lines of test/vectors/logfmt (which
// test/core/logfmt.test.ts holds core/logfmt.ts to); then the TypeScript reader of D0's lines
// (test/support/events.ts) on lines it must accept or ignore.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KERNEL_DIR } from '../../builder/d0-efi/sources';
import { assertContiguous, EventStream, parseEventLine } from '../support/events';

const VECTORS = path.join(__dirname, '..', 'vectors', 'logfmt', 'lines.json');

/** Compiles kernel/log sources with a host test (default under ASan/UBSan) and runs it with args. */
function runHostTest(
  sources: string[],
  args: string[] = [],
  sanitize: string[] = ['-fsanitize=address,undefined'],
): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-log-'));
  try {
    const bin = path.join(dir, 'test');
    const cc = spawnSync(
      'clang-14',
      [
        '-std=c17',
        '-Wall',
        '-Wextra',
        '-Werror',
        '-g',
        ...sanitize,
        '-fno-sanitize-recover=all',
        '-I',
        KERNEL_DIR,
        '-I',
        path.join(KERNEL_DIR, 'include'), // d0/*.h
        '-I',
        path.join(KERNEL_DIR, '..', 'test', 'support'), // check.h, the one C check harness
        ...sources,
        '-o',
        bin,
      ],
      { cwd: KERNEL_DIR, encoding: 'utf8' },
    );
    assert.equal(cc.status, 0, cc.stderr);
    const r = spawnSync(bin, args, { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    return r.stdout;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('boot log', function () {
  this.timeout(120_000);

  it('kernel/log passes its host test under ASan/UBSan', () => {
    const out = runHostTest([
      'log/log.c',
      'log/fmt.c',
      'log/tests/capture.c',
      'log/tests/test_log.c',
    ]);
    assert.match(out, /^log: 21 checks, 0 failed$/m);
  });

  it("the last boot's story (kernel/log/story.c): the decision's lines kept as logged, cut whole and counted", () => {
    const out = runHostTest([
      'log/log.c',
      'log/story.c',
      'log/tests/capture.c',
      'log/tests/test_story.c',
    ]);
    assert.match(out, /^story: 12 checks, 0 failed$/m);
  });

  it('one-way reports (kernel/log/report.c): reported lines queued as logged, RFC 5424 messages in order, a full queue keeps the oldest', () => {
    const out = runHostTest([
      'log/log.c',
      'log/story.c',
      'log/report.c',
      'log/tests/capture.c',
      'log/tests/test_report.c',
    ]);
    assert.match(out, /^report: \d+ checks, 0 failed$/m);
  });

  it('4 threads logging at once: every line whole, seq without gap, each thread in order (TSan)', () => {
    const out = runHostTest(
      ['log/log.c', 'log/tests/test_log_smp.c'],
      [],
      ['-fsanitize=thread', '-pthread'],
    );
    assert.match(out, /^log_smp: 14 checks, 0 failed$/m);
  });

  it('the same with a deferred sink drained by a fifth thread meanwhile: whole lines in order, the ones a full queue dropped counted (TSan)', () => {
    const out = runHostTest(
      ['log/log.c', 'log/tests/test_log_smp.c'],
      ['deferred'],
      ['-fsanitize=thread', '-pthread'],
    );
    assert.match(out, /^log_smp: 13 checks, 0 failed$/m);
    assert.match(
      out,
      /^deferred: \d+ lines through the sink, \d+ dropped while the queue was full$/m,
    );
  });

  it("d0_lock's ticket lock: 4 threads, every increment under it lands, tickets served in order (TSan)", () => {
    const out = runHostTest(['tests/test_ticket_lock.c'], [], ['-fsanitize=thread', '-pthread']);
    assert.match(out, /^ticket_lock: 13 checks, 0 failed$/m);
  });

  it('ev=net_stats: every counter and drop reason under its key, unabridged at realistic sizes', () => {
    const out = runHostTest([
      'log/log.c',
      'log/fmt.c',
      'log/tests/capture.c',
      'boot/efi/net_stats.c',
      'tests/net/test_net_stats.c',
    ]);
    assert.match(out, /^net_stats: 11 checks, 0 failed$/m);
  });

  it("D0's writer writes every golden line byte for byte, and the C parser reads every one (test/vectors/logfmt)", () => {
    const vectors = JSON.parse(fs.readFileSync(VECTORS, 'utf8'));
    const out = runHostTest(
      [
        'log/log.c',
        'log/logfmt_parse.c',
        'log/tests/capture.c',
        'log/tests/json.c',
        'log/tests/test_logfmt.c',
      ],
      [VECTORS],
    );
    const writer = vectors.valid.filter((v: { writer: boolean }) => v.writer).length;
    assert.match(
      out,
      new RegExp(
        `^vectors: ${vectors.valid.length} valid \\(${writer} written by D0\\), ${vectors.invalid.length} invalid$`,
        'm',
      ),
    );
    // Per valid vector 1 check (+3 when D0 writes it), 1 per invalid one, 8 cut lines, 2 limits.
    const checks = vectors.valid.length + 3 * writer + vectors.invalid.length + 8 + 2;
    assert.match(out, new RegExp(`^logfmt: ${checks} checks, 0 failed$`, 'm'));
  });

  it('parses an event line into seq, ev and fields, quoted values decoded', () => {
    const e = parseEventLine(
      'D0 seq=7 ev=console vm=web line="say \\"hi\\" D0 seq=8 ev=forged\\x0a" empty="" ms=12 uuid=01890a5d-ac96-774b-bcce-b302099a8057\r',
    );
    assert.deepEqual(
      { seq: e?.seq, ev: e?.ev, fields: e?.fields },
      {
        seq: 7,
        ev: 'console',
        fields: {
          vm: 'web',
          line: 'say "hi" D0 seq=8 ev=forged\n',
          empty: '',
          ms: '12',
          uuid: '01890a5d-ac96-774b-bcce-b302099a8057',
        },
      },
    );
    assert.deepEqual(
      e?.pairs.map(([k]) => k),
      ['seq', 'ev', 'vm', 'line', 'empty', 'ms', 'uuid'],
    );
  });

  it('finds an event after firmware console noise and ignores lines that are not events', () => {
    assert.equal(
      parseEventLine('\x1b[2J\x1b[01;01HD0 seq=0 ev=boot_start stage=efi')?.ev,
      'boot_start',
    );
    for (const line of [
      'BdsDxe: starting Boot0001',
      'D0 seq=x ev=a',
      'D0 seq=1',
      'D0 seq=1 ev=a key',
      'D0 seq=1 ev=a line="unterminated',
      'D0 seq=1 ev=a line=two words',
      'D0 seq=1 k=v ev=a',
      '',
    ])
      assert.equal(parseEventLine(line), undefined, JSON.stringify(line));
  });

  it('reassembles events split across serial chunks and checks seq has no gaps', () => {
    const s = new EventStream();
    const seen: string[] = [];
    s.onEvent((e) => seen.push(e.ev));
    s.push('noise\r\nD0 seq=0 ev=a k=1\r\nD0 se');
    s.push('q=1 ev=b\r');
    assert.deepEqual(seen, ['a']);
    s.push('\n');
    assert.deepEqual(seen, ['a', 'b']);
    assertContiguous(s.events);
    s.push('D0 seq=3 ev=c\n');
    assert.throws(() => assertContiguous(s.events), /event 2 has seq=3/);
  });
});
