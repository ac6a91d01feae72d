// watchOutcome (builder/fleet/watch-outcome.ts) on a file written while it waits: each outcome
// and the report that decides it (commit, rollback or slot_bad, a refused pull or a boot_failed
// of the build), reports before the offset or from another host id never deciding, a file
// truncated or replaced under it, and the timeout within its bound with the host's last report.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FleetError } from '../../builder/fleet/errors';
import { reportsEnd, watchOutcome, type HostOutcome } from '../../builder/fleet/reports';
import { errorCode } from '../../core/errors';

const H1 = '52-54-00-12-34-56';
const H2 = '52-54-00-12-34-57';
const NEW = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
const OLD = '018f0000-0000-7000-8000-000000000001';
const POLL_MS = 20;

let seq = 0;
const line = (host: string, ev: string, fields: string, uuid = NEW) =>
  `<134>1 2026-12-05T02:23:25.892049+00:00 ${host} d0 - ${ev} - seq=${seq++} ev=${ev}` +
  `${fields ? ` ${fields}` : ''} uuid=${uuid}\n`;

describe('fleet: watchOutcome', function () {
  this.timeout(10_000);
  let tmp: string;
  let n = 0;
  before(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-watch-'))));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const newFile = (text = '') => {
    const f = path.join(tmp, `reports-${n++}.log`);
    fs.writeFileSync(f, text);
    return f;
  };

  /** Watches H1 for NEW from the file's end now, appending `lines` a moment later. */
  async function watchAfter(
    lines: string[],
    o: { before?: string; timeoutMs?: number } = {},
  ): Promise<HostOutcome> {
    const f = newFile(o.before ?? '');
    const from = reportsEnd(f);
    const watching = watchOutcome(f, {
      host: H1,
      uuid: NEW,
      fromOffset: from.offset,
      fromIno: from.ino,
      timeoutMs: o.timeoutMs ?? 5_000,
      pollMs: POLL_MS,
    });
    await new Promise((r) => setTimeout(r, 3 * POLL_MS));
    for (const l of lines) fs.appendFileSync(f, l);
    return watching;
  }

  it('committed: the commit of the build, after the trial boot', async () => {
    const o = await watchAfter([
      line(H1, 'boot_start', 'd0=x'),
      line(H1, 'slot_choice', `role=trial boot=${NEW} slot=B`),
      line(H1, 'commit', `boot=${NEW} slot=B previous=${OLD} role=trial`),
    ]);
    assert.equal(o.outcome, 'committed');
    assert.equal(o.outcome === 'committed' && o.report.event, 'commit');
  });

  it('committed: a host whose pull finds it already runs the build (result=current)', async () => {
    const o = await watchAfter([line(H1, 'pull_done', `result=current target=${NEW}`)]);
    assert.equal(o.outcome, 'committed');
  });

  it('never reads reports before the offset, nor another host id as its own', async () => {
    const o = await watchAfter(
      [
        line(H2, 'commit', `boot=${NEW} slot=B`), // a forged (or another host's) commit
        line(H1, 'commit', `boot=${OLD} slot=A`, OLD), // a commit of another build
        line(H1, 'slot_choice', `role=committed boot=${OLD}`, OLD),
      ],
      { before: line(H1, 'commit', `boot=${NEW} slot=B`), timeoutMs: 400 },
    );
    assert.equal(o.outcome, 'timeout');
    assert.equal(o.outcome === 'timeout' && o.last?.event, 'slot_choice');
  });

  it('rolled_back: the rollback from the build, with its reason', async () => {
    const o = await watchAfter([
      line(H1, 'slot_choice', `role=trial boot=${NEW}`),
      line(H1, 'health_failed', 'vm=web reason=exit-nonzero role=trial'),
      line(H1, 'rollback', `from=${NEW} to=${OLD} reason=health:exit-nonzero`),
    ]);
    assert.deepEqual(o.outcome === 'rolled_back' && [o.outcome, o.reason, o.report.event], [
      'rolled_back',
      'health:exit-nonzero',
      'rollback',
    ]);
  });

  it('rolled_back: slot_bad of the build (a precheck refused it before a trial)', async () => {
    const o = await watchAfter([
      line(H1, 'slot_bad', `bad=${OLD} slot=B reason=epoch_below`, OLD),
      line(H1, 'slot_bad', `bad=${NEW} slot=B reason=SEMANTIC_CPU last_good=${OLD}`, OLD),
    ]);
    assert.deepEqual(o.outcome === 'rolled_back' && [o.reason, o.report.fields.bad], [
      'SEMANTIC_CPU',
      NEW,
    ]);
  });

  it("refused: the host's pull refused the build (known_bad, epoch_below, ...)", async () => {
    const o = await watchAfter([
      line(H1, 'pull_done', `result=refused reason=older target=${OLD}`, OLD),
      line(H1, 'pull_done', `result=failed reason=timeout target=${NEW}`, OLD),
      line(H1, 'pull_done', `result=refused reason=known_bad target=${NEW}`, OLD),
    ]);
    assert.deepEqual(o.outcome === 'refused' && [o.outcome, o.reason], ['refused', 'known_bad']);
  });

  it('refused: boot_failed of a boot of the build, by its uuid= or by its slot_choice', async () => {
    let o = await watchAfter([line(H1, 'boot_failed', 'reason=digest_mismatch path=VM/x.img')]);
    assert.deepEqual(o.outcome === 'refused' && o.reason, 'digest_mismatch');
    // No uuid= on the line (D0 did not know its build yet): the boot's slot_choice names it.
    o = await watchAfter([
      line(H1, 'slot_choice', `role=trial boot=${NEW}`).replace(/ uuid=\S+/, ''),
      line(H1, 'boot_failed', 'reason=manifest_missing').replace(/ uuid=\S+/, ''),
    ]);
    assert.deepEqual(o.outcome === 'refused' && o.reason, 'manifest_missing');
    // A boot_failed of another build, or of a later boot whose choice is not known: no verdict.
    o = await watchAfter(
      [
        line(H1, 'boot_failed', 'reason=epoch_below', OLD),
        line(H1, 'slot_choice', `role=trial boot=${NEW}`).replace(/ uuid=\S+/, ''),
        line(H1, 'boot_start', 'd0=x').replace(/ uuid=\S+/, ''),
        line(H1, 'boot_failed', 'reason=no_manifest').replace(/ uuid=\S+/, ''),
      ],
      { timeoutMs: 300 },
    );
    assert.equal(o.outcome, 'timeout');
  });

  it('times out within its bound, with the last report of the host or none', async () => {
    let started = Date.now();
    let o = await watchAfter(
      [line(H1, 'pull_done', `result=failed reason=timeout target=${NEW}`)],
      {
        timeoutMs: 300,
      },
    );
    let took = Date.now() - started;
    assert.equal(o.outcome, 'timeout');
    assert.equal(o.outcome === 'timeout' && o.last?.fields.result, 'failed');
    assert.ok(took >= 300 && took < 300 + 1_000, `took ${took} ms`);

    started = Date.now();
    o = await watchOutcome(path.join(tmp, 'missing.log'), {
      host: H1,
      uuid: NEW,
      fromOffset: 0,
      timeoutMs: 250,
      pollMs: 1_000,
    });
    took = Date.now() - started;
    assert.deepEqual(o, { outcome: 'timeout' });
    assert.ok(
      took >= 250 && took < 250 + 1_000,
      `took ${took} ms (pollMs is capped by the deadline)`,
    );
  });

  it('reads a file truncated or replaced while it waits from its start', async () => {
    // Truncated: shorter than the offset.
    let f = newFile(line(H1, 'halt', '', OLD).repeat(50));
    let from = reportsEnd(f);
    let watching = watchOutcome(f, {
      host: H1,
      uuid: NEW,
      fromOffset: from.offset,
      timeoutMs: 5_000,
      pollMs: POLL_MS,
    });
    await new Promise((r) => setTimeout(r, 3 * POLL_MS));
    fs.writeFileSync(f, line(H1, 'commit', `boot=${NEW}`));
    assert.equal((await watching).outcome, 'committed');

    // Rotated: a new file, already longer than the old offset when it is first read.
    f = newFile(line(H1, 'halt', '', OLD).repeat(5));
    from = reportsEnd(f);
    watching = watchOutcome(f, {
      host: H1,
      uuid: NEW,
      fromOffset: from.offset,
      fromIno: from.ino,
      timeoutMs: 5_000,
      pollMs: 200,
    });
    fs.renameSync(f, `${f}.1`);
    fs.writeFileSync(
      f,
      line(H1, 'rollback', `from=${NEW} to=${OLD} reason=health:timeout`) +
        line(H1, 'halt', '', OLD).repeat(10),
    );
    const o = await watching;
    assert.deepEqual(o.outcome === 'rolled_back' && o.reason, 'health:timeout');
  });

  it('refuses what cannot be watched: ROLLOUT_REQUEST', async () => {
    const f = newFile();
    const base = { host: H1, uuid: NEW, fromOffset: 0, timeoutMs: 1000 };
    for (const bad of [
      { host: '52:54:00:12:34:56' },
      { uuid: 'not-a-uuid' },
      { timeoutMs: 0 },
      { timeoutMs: Infinity },
      { pollMs: -1 },
      { fromOffset: -5 },
    ]) {
      await assert.rejects(
        watchOutcome(f, { ...base, ...bad }),
        (e: unknown) => e instanceof FleetError && errorCode(e) === 'ROLLOUT_REQUEST',
        JSON.stringify(bad),
      );
    }
  });
});
