// `d0 rollout` and `d0 rollout status`: the bin spawned as an operator runs it, a host without a
// BMC reset by hand (the prompt on stdout answered on stdin, as a terminal's Enter or a piped
// file would), a host with one reset through it with the credentials of D0_BMC_USER and
// D0_BMC_PASSWORD (never printed); standard input ending before a confirmation stops the rollout;
// the status of each host from the collector's file; bad input refused with exit 2.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Io } from '../../cli/io';
import { main } from '../../cli/main';
import { formatPublicKeyFile } from '../../core/sign';
import { makeTestBuild, SITE_KEY } from '../publish/support';
import { RedfishBmc } from '../support/redfish-bmc';
import { SyslogCollector } from '../support/syslog-collector';
import { OLD_BUILD, SimulatedHost } from './simulated-host';

const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'cli', 'd0.js');
const USER = 'operator';
const PASSWORD = 'c0rrect-h0rse-not-printed';
const H1 = '52-54-00-00-aa-01';
const H2 = '52-54-00-00-aa-02';
const H3 = '52-54-00-00-aa-03';

interface Run {
  code: number | null;
  stdout: string[];
  stderr: string;
}

/** Runs the bin; each stdout line goes to onLine, which may write to its stdin. */
function d0Bin(
  args: string[],
  env: Record<string, string>,
  onLine: (line: string, stdin: NodeJS.WritableStream) => void,
): Promise<Run> {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  let stderr = '';
  let partial = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    partial += chunk;
    let nl: number;
    while ((nl = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      stdout.push(line);
      onLine(line, child.stdin);
    }
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    }),
  );
}

async function d0(argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (l) => out.push(l), err: (l) => err.push(l), env: {} };
  return { code: await main(argv, io), out, err };
}

describe('d0 rollout', function () {
  this.timeout(120_000);
  let tmp: string;
  let pub: string;
  let collector: SyslogCollector;
  const bmcs: RedfishBmc[] = [];
  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-rollout-cli-'));
    pub = path.join(tmp, 'site.pub');
    fs.writeFileSync(pub, formatPublicKeyFile(SITE_KEY.publicKey));
    collector = await SyslogCollector.start();
  });
  after(async () => {
    await Promise.all(bmcs.map((b) => b.close()));
    await collector?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const simulated = (site: string, id: string) =>
    new SimulatedHost(id, {
      site,
      publicKey: SITE_KEY.publicKey,
      collectorPort: collector.port,
      behaviour: 'commit',
    });

  it('resets a host without a BMC by hand (stdin), one with a BMC through it', async () => {
    const site = path.join(tmp, 'site');
    const build = makeTestBuild(tmp);
    const byHand = simulated(site, H1);
    const withBmc = simulated(site, H2);
    const bmc = await RedfishBmc.start({
      username: USER,
      password: PASSWORD,
      onReset: () => withBmc.reset(),
    });
    bmcs.push(bmc);
    const prompt = `reset host web-1 (${H1}) now, then press Enter`;
    const r = await d0Bin(
      [
        'rollout',
        site,
        build.dir,
        '--pub',
        pub,
        '--reports',
        collector.file,
        '--batch',
        `web-1=${H1}`,
        '--batch',
        `web-2=${H2}@${bmc.url}`,
        '--timeout',
        '20',
      ],
      { D0_BMC_USER: USER, D0_BMC_PASSWORD: PASSWORD },
      (line, stdin) => {
        if (line !== prompt) return;
        byHand.reset();
        stdin.write('\n');
      },
    );
    const out = r.stdout.join('\n');
    assert.equal(r.code, 0, `${out}\n${r.stderr}`);
    assert.equal(r.stdout.filter((l) => l === prompt).length, 1, out);
    // The operator was asked before the host's batch waited, and host 2 was reset after.
    assert.ok(byHand.resets[0] < withBmc.resets[0]);
    assert.deepEqual(bmc.resets, [{ system: 'd0-host-1', resetType: 'ForceRestart' }]);
    assert.ok(bmc.requests.every((q) => q.authOk));
    assert.ok(r.stdout.includes(`rollout of build ${build.uuid} done: 2 hosts committed it`), out);
    assert.match(
      out,
      new RegExp(`^host web-1 \\(${H1}\\): batch 1, committed \\d+\\.\\d s after its reset$`, 'm'),
    );
    assert.match(out, new RegExp(`^host web-2 \\(${H2}\\): batch 2, committed`, 'm'));
    assert.ok(!out.includes(PASSWORD) && !r.stderr.includes(PASSWORD));
    await Promise.all([byHand.settled(), withBmc.settled()]);

    // The status of each host, from the collector's file.
    const s = await d0(['rollout', 'status', '--reports', collector.file, '--host', H1]);
    assert.equal(s.code, 0, s.err.join('\n'));
    assert.match(
      s.out[0],
      new RegExp(`^host ${H1}: last report commit boot=${build.uuid} .* \\(at \\d{4}-`),
    );
    assert.match(
      s.out[1],
      new RegExp(`^  last choice: slot_choice role=trial boot=${build.uuid} slot=B`),
    );
    assert.equal(s.out[2], '  last pull: none');
    assert.match(
      s.out[3],
      new RegExp(`^  last commit: commit boot=${build.uuid} slot=B previous=${OLD_BUILD}`),
    );
    assert.equal(s.out[4], '  last rollback: none');
    const all = await d0(['rollout', 'status', '--reports', collector.file]);
    assert.equal(all.code, 0);
    assert.deepEqual(
      all.out.filter((l) => l.startsWith('host ')).map((l) => l.split(':')[0]),
      [`host ${H1}`, `host ${H2}`],
    );
  });

  it('stops when standard input ends before the operator confirmed a reset', async () => {
    const site = path.join(tmp, 'site-eof');
    const build = makeTestBuild(tmp);
    const r = await d0Bin(
      [
        'rollout',
        site,
        build.dir,
        '--pub',
        pub,
        '--reports',
        collector.file,
        '--batch',
        `web-3=${H3}`,
      ],
      {},
      (line, stdin) => {
        if (line.startsWith('reset host web-3')) stdin.end();
      },
    );
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `d0 rollout: rollout of build ${build.uuid} stopped at batch 1 of 1: host web-3 \\(${H3}\\): ` +
          `reset failed: standard input ended before the reset of host web-3 \\(${H3}\\) was confirmed`,
      ),
    );
  });

  it('refuses bad input with exit 2, naming it', async () => {
    const build = makeTestBuild(tmp);
    const site = path.join(tmp, 'site-bad');
    const base = ['rollout', site, build.dir, '--pub', pub, '--reports', collector.file];
    const cases: [string[], RegExp][] = [
      [[...base], /--batch HOST\[,HOST\.\.\.\] is required/],
      [[...base.slice(0, 5), '--batch', `a=${H1}`], /--reports FILE is required/],
      [[...base, '--batch', 'web-1'], /host "web-1" is not NAME=MAC or NAME=MAC@BMC_URL/],
      [[...base, '--batch', `web-1=${H1}@`], /host web-1: no BMC URL after '@'/],
      [[...base, '--batch', `web-1=${H1},`], /host "" is not NAME=MAC/],
      [
        [...base, '--batch', `web-1=${H1}`, '--timeout', 'soon'],
        /--timeout "soon": not a number of seconds/,
      ],
      [
        [...base, '--batch', `web-1=${H1}`, '--reset-type', 'Nmi'],
        /--reset-type "Nmi": not one of ForceRestart/,
      ],
      [
        [...base, '--batch', `web-1=${H1},web-2=${H1}`],
        /id 52-54-00-00-aa-01 is also given in batch 1/,
      ],
      [[...base, '--batch', 'web-1=52:54:00:00:aa:01'], /write it 52-54-00-00-aa-01/],
      [['rollout', 'status'], /usage: d0 rollout status --reports FILE/],
      [
        ['rollout', 'status', '--reports', path.join(tmp, 'none.log')],
        /none\.log: no such reports file/,
      ],
      [
        ['rollout', 'status', '--reports', collector.file, '--host', 'web-1'],
        /--host "web-1": not a MAC/,
      ],
    ];
    for (const [argv, message] of cases) {
      const r = await d0(argv);
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.err.join('\n')}`);
      assert.match(r.err.join('\n'), message, argv.join(' '));
    }
    assert.ok(!fs.existsSync(site));
    // A host with no report: exit 1.
    const none = await d0([
      'rollout',
      'status',
      '--reports',
      collector.file,
      '--host',
      '52-54-00-00-bb-01',
    ]);
    assert.equal(none.code, 1);
    assert.deepEqual(none.err, [`no reports from host 52-54-00-00-bb-01 in ${collector.file}`]);
    assert.deepEqual(none.out, []);
  });

  it('lists both commands in d0 help, with where the BMC login comes from', async () => {
    const r = await d0(['help']);
    assert.ok(
      r.out.some((l) =>
        l.startsWith('  d0 rollout SITE_DIR BUILD_DIR --pub KEY.pub --reports FILE'),
      ),
    );
    assert.ok(r.out.some((l) => l.includes('D0_BMC_USER and D0_BMC_PASSWORD')));
    assert.ok(r.out.includes('  d0 rollout status --reports FILE [--host MAC]'));
  });
});
