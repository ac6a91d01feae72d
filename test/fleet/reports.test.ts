// Reading a collector's file of D0 reports (builder/fleet/reports.ts): the RFC 5424 lines D0's
// messages become, and everything else an untrusted file may hold (garbage, another app, a
// forged shape, overlong lines, a line still being written, a file that shrinks or is missing),
// each skipped whole; lastReports per host; and the lines a real rsyslogd writes for D0's
// datagrams.
import { strict as assert } from 'node:assert';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  lastReports,
  parseReportLine,
  readReports,
  reportsEnd,
  REPORT_LINE_MAX,
} from '../../builder/fleet/reports';
import { SyslogCollector } from '../support/syslog-collector';

const H1 = '52-54-00-12-34-56';
const H2 = '52-54-00-12-34-57';
const UUID = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
const TIME = '2026-12-05T02:23:25.892049+00:00';

/** A line as rsyslog's RSYSLOG_SyslogProtocol23Format writes it. */
const line = (host: string, ev: string, record: string, o: { time?: string; app?: string } = {}) =>
  `<133>1 ${o.time ?? TIME} ${host} ${o.app ?? 'd0'} - ${ev} - ${record}`;

describe('fleet: reports of a syslog collector', () => {
  let tmp: string;
  before(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-reports-'))));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  let n = 0;
  const file = (lines: string[], end = '\n') => {
    const f = path.join(tmp, `reports-${n++}.log`);
    fs.writeFileSync(f, lines.join('\n') + end, 'latin1');
    return f;
  };

  it('reads a well-formed line: time, host, app, event, every field but ev, the raw line', () => {
    const raw = line(H1, 'commit', `seq=2 ev=commit boot=${UUID} slot=B ms=397 uuid=${UUID}`);
    assert.deepEqual(parseReportLine(raw), {
      time: TIME,
      host: H1,
      app: 'd0',
      event: 'commit',
      fields: { seq: '2', boot: UUID, slot: 'B', ms: '397', uuid: UUID },
      raw,
    });
    // No timestamp ('-', as D0 sends it), no seq (the stack guard's line), a quoted value
    // decoded, a CR dropped.
    const r = parseReportLine(`<134>1 - ${H1} d0 - slot_bad - ev=slot_bad reason="a b\\x01"\r`);
    assert.ok(r);
    assert.equal(r.time, undefined);
    assert.deepEqual(r.fields, { reason: 'a b\x01' });
    // A key named like an Object.prototype member stays a plain field.
    const p = parseReportLine(line(H1, 'halt', 'seq=1 ev=halt __proto__=x constructor=y'));
    assert.ok(p);
    assert.equal(Object.getPrototypeOf(p.fields), Object.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(p.fields, '__proto__')?.value, 'x');
    assert.equal(p.fields.constructor, 'y');
  });

  it('skips garbage and every malformed shape, whole', () => {
    const bad = [
      '',
      'garbage',
      'D0 seq=1 ev=commit',
      `<133>1 ${TIME} ${H1} d0 - commit -`,
      `<133>1 ${TIME} ${H1} d0 - commit - `,
      `<192>1 ${TIME} ${H1} d0 - commit - seq=1 ev=commit`, // PRI over 191
      `<0133>1 ${TIME} ${H1} d0 - commit - seq=1 ev=commit`, // PRI with a leading zero
      `<133>2 ${TIME} ${H1} d0 - commit - seq=1 ev=commit`, // version 2
      `<133>1 yesterday ${H1} d0 - commit - seq=1 ev=commit`, // not RFC 3339
      `<133>1 ${TIME} ${H1} d0 - commit [x@1 a="b"] seq=1 ev=commit`, // structured data
      `<133>1 ${TIME} web-1 d0 - commit - seq=1 ev=commit`, // not a host id
      `<133>1 ${TIME} 52:54:00:12:34:56 d0 - commit - seq=1 ev=commit`,
      `<133>1 ${TIME} 52-54-00-12-34-5G d0 - commit - seq=1 ev=commit`,
      `<133>1 ${TIME} 01-00-5e-00-00-01 d0 - commit - seq=1 ev=commit`, // multicast
      `<133>1 ${TIME} ${H1} d0 - commit - seq=1 ev=rollback`, // ev is not the MSGID
      `<133>1 ${TIME} ${H1} d0 - commit - seq=1 boot=${UUID}`, // no ev
      `<133>1 ${TIME} ${H1} d0 - commit - seq=x ev=commit`, // seq not a number
      `<133>1 ${TIME} ${H1} d0 - commit - seq=1 ev=commit boot=A boot=B`, // a key twice
      `<133>1 ${TIME} ${H1} d0 - commit - seq=1  ev=commit`, // not logfmt
      `<133>1 ${TIME} ${H1} d0 - commit - seq=1 ev=commit reason="open`,
      `<133>1 ${TIME} ${H1} d0 - commit - seq=1 ev=commit boot=\u00e9`, // not ASCII
      `<133>1 ${TIME} ${H1} d0 - commit - seq=1 ev=commit\tboot=x`, // a control character
    ];
    for (const l of bad) assert.equal(parseReportLine(l), undefined, JSON.stringify(l));
    const good = line(H1, 'commit', `seq=1 ev=commit boot=${UUID}`);
    const f = file([...bad, good]);
    const r = readReports(f);
    assert.deepEqual(
      r.reports.map((x) => x.raw),
      [good],
    );
    assert.equal(r.skipped, bad.length);
    assert.equal(r.offset, fs.statSync(f).size);
  });

  it('skips another app, and an overlong line however long, reading the lines around it', () => {
    const mine = line(H1, 'slot_choice', `seq=1 ev=slot_choice role=trial boot=${UUID}`);
    const sshd = line(H1, 'commit', `seq=1 ev=commit boot=${UUID}`, { app: 'sshd' });
    assert.equal(parseReportLine(sshd)?.app, 'sshd'); // a report, of another app
    const padded = (len: number) => {
      const head = line(H1, 'halt', 'seq=9 ev=halt pad=');
      return head + 'x'.repeat(len - head.length);
    };
    assert.ok(parseReportLine(padded(REPORT_LINE_MAX)));
    assert.equal(parseReportLine(padded(REPORT_LINE_MAX + 1)), undefined);
    const huge = padded(3 * 1024 * 1024); // spans many read chunks
    const last = line(H1, 'commit', `seq=2 ev=commit boot=${UUID}`);
    const f = file([mine, sshd, padded(REPORT_LINE_MAX + 1), huge, padded(REPORT_LINE_MAX), last]);
    const r = readReports(f);
    assert.deepEqual(
      r.reports.map((x) => x.event),
      ['slot_choice', 'halt', 'commit'],
    );
    assert.equal(r.skipped, 3);
  });

  it('reads complete lines only, from an offset; a line still being written waits', () => {
    const a = line(H1, 'slot_choice', `seq=1 ev=slot_choice role=trial boot=${UUID}`);
    const b = line(H1, 'commit', `seq=2 ev=commit boot=${UUID}`);
    const f = file([a], '\n' + b.slice(0, 20));
    let r = readReports(f);
    assert.deepEqual(
      r.reports.map((x) => x.event),
      ['slot_choice'],
    );
    assert.equal(r.offset, a.length + 1);
    fs.appendFileSync(f, b.slice(20) + '\n');
    r = readReports(f, { fromOffset: r.offset });
    assert.deepEqual(
      r.reports.map((x) => x.raw),
      [b],
    );
    assert.equal(r.restarted, false);
    // Nothing new: nothing read, the same offset.
    const again = readReports(f, { fromOffset: r.offset });
    assert.deepEqual(again.reports, []);
    assert.equal(again.offset, r.offset);
  });

  it('reads a file that shrank (truncated or rotated) from 0; a missing file holds nothing', () => {
    const old = line(H1, 'commit', `seq=2 ev=commit boot=${UUID}`);
    const f = file([old, old, old]);
    const end = reportsEnd(f).offset;
    assert.equal(end, fs.statSync(f).size);
    fs.writeFileSync(f, line(H2, 'halt', 'seq=1 ev=halt') + '\n');
    const r = readReports(f, { fromOffset: end });
    assert.equal(r.restarted, true);
    assert.deepEqual(
      r.reports.map((x) => `${x.host} ${x.event}`),
      [`${H2} halt`],
    );
    const missing = path.join(tmp, 'never-written.log');
    assert.deepEqual(readReports(missing, { fromOffset: 10 }), {
      reports: [],
      offset: 0,
      restarted: true,
      skipped: 0,
    });
    assert.deepEqual(reportsEnd(missing), { offset: 0 });
  });

  it('lastReports: per host id its last choice, pull, commit, rollback; forged ids stay apart', () => {
    const OLD = '018f0000-0000-7000-8000-000000000001';
    const f = file([
      line(H1, 'slot_choice', `seq=1 ev=slot_choice role=committed boot=${OLD}`),
      line(H1, 'pull_done', `seq=2 ev=pull_done result=installed target=${UUID}`),
      line(H1, 'slot_choice', `seq=1 ev=slot_choice role=trial boot=${UUID}`),
      line(H1, 'rollback', `seq=5 ev=rollback from=${UUID} to=${OLD} reason=health:exit-nonzero`),
      // Someone else's datagram naming H2: it is H2's, never H1's.
      line(H2, 'commit', `seq=9 ev=commit boot=${UUID}`),
      'garbage',
      line(H1, 'slot_choice', `seq=1 ev=slot_choice role=committed boot=${OLD}`),
    ]);
    const all = lastReports(f);
    assert.deepEqual(
      all.map((h) => h.host),
      [H1, H2],
    );
    const [h1, h2] = all;
    assert.equal(h1.choice?.fields.boot, OLD);
    assert.equal(h1.pull?.fields.result, 'installed');
    assert.equal(h1.commit, undefined);
    assert.equal(h1.rollback?.fields.reason, 'health:exit-nonzero');
    assert.equal(h1.last.event, 'slot_choice');
    assert.equal(h2.commit?.fields.boot, UUID);
    assert.equal(h2.rollback, undefined);
    assert.deepEqual(
      lastReports(f, { hosts: [H2] }).map((h) => h.host),
      [H2],
    );
  });

  describe('through a real rsyslogd', function () {
    this.timeout(30_000);
    let collector: SyslogCollector;
    before(async () => (collector = await SyslogCollector.start()));
    after(async () => collector?.stop());

    it("reads D0's datagrams as rsyslogd writes them, skipping what is not a D0 report", async () => {
      const sock = dgram.createSocket('udp4');
      const send = (msg: string) =>
        new Promise<void>((resolve, reject) =>
          sock.send(msg, collector.port, '127.0.0.1', (e) => (e ? reject(e) : resolve())),
        );
      const d0 = [
        `<134>1 - ${H1} d0 - slot_choice - seq=1 ev=slot_choice role=trial boot=${UUID} uuid=${UUID}`,
        `<133>1 - ${H1} d0 - commit - seq=7 ev=commit boot=${UUID} slot=B ms=397 uuid=${UUID}`,
      ];
      try {
        await send(d0[0]);
        await send('garbage from anyone');
        await send(`<13>1 - ${H1} sshd - commit - seq=1 ev=commit boot=${UUID}`);
        // A newline inside a datagram forges no line: rsyslogd escapes it (#012).
        await send(
          `<134>1 - ${H1} d0 - halt - seq=1 ev=halt\n<133>1 - ${H2} d0 - commit - seq=1 ev=commit boot=${UUID}`,
        );
        await send(d0[1]);
      } finally {
        sock.close();
      }
      const lines = await collector.waitForLines(5);
      const r = readReports(collector.file);
      assert.deepEqual(
        r.reports.map((x) => `${x.host} ${x.app} ${x.event} ${x.fields.seq}`),
        [`${H1} d0 slot_choice 1`, `${H1} d0 commit 7`],
        lines.join('\n'),
      );
      assert.equal(r.skipped, 3);
      assert.ok(!r.reports.some((x) => x.host === H2));
      for (const x of r.reports) assert.match(x.time ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
      assert.equal(r.reports[1].fields.boot, UUID);
    });
  });
});
