// The engine d0 started is stopped by the last of its users, never under another one
// (builder/docker/engine-holds.ts). Two real engines cannot run side by side on this machine (one
// data root, one containerd), so the engine here is a stand-in, named as such: a unix socket that
// answers the engine's `/_ping` the way dockerd does, and a process whose name is `dockerd` (a copy
// of sleep) that the marker names as the dockerd d0 started. The real engine's start, build and
// stop are test/cli/engine.test.ts.
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { ensureDockerd, startEngine, stopStartedEngine } from '../../builder/docker/dockerd';
import { holdsDir, liveHolds } from '../../builder/docker/engine-holds';
import { processAlive } from '../../builder/process-alive';

describe('d0 engine: the last user out stops the engine d0 started', function () {
  this.timeout(60_000);
  let dir: string;
  let runDir: string;
  let server: http.Server;
  let standIn: ChildProcess;
  /** Settles when the stand-in has exited (set at its spawn: the exit may come before a later listener). */
  let standInExit: Promise<unknown>;
  const saved = { cache: process.env.D0_CACHE, host: process.env.DOCKER_HOST };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-engine-holds-'));
    process.env.D0_CACHE = path.join(dir, 'cache');
    runDir = path.join(dir, 'cache', 'docker-run');
    const sock = path.join(dir, 'engine.sock');
    process.env.DOCKER_HOST = `unix://${sock}`;
    server = http.createServer((req, res) => {
      res.writeHead(req.url?.endsWith('/_ping') ? 200 : 404, { 'Content-Type': 'text/plain' });
      res.end(req.url?.endsWith('/_ping') ? 'OK' : 'stand-in engine: only /_ping');
    });
    await new Promise<void>((r) => server.listen(sock, r));
  });
  after(async () => {
    server.closeAllConnections(); // the engine client keeps its connections alive
    await new Promise((r) => server.close(r));
    if (saved.cache === undefined) delete process.env.D0_CACHE;
    else process.env.D0_CACHE = saved.cache;
    if (saved.host === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = saved.host;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A process named dockerd, recorded as the engine d0 started. */
  function startStandIn(): number {
    const bin = path.join(dir, 'dockerd');
    fs.copyFileSync('/bin/sleep', bin);
    fs.chmodSync(bin, 0o755);
    standIn = spawn(bin, ['600'], { stdio: 'ignore' });
    standInExit = new Promise((r) => standIn.once('exit', r));
    fs.mkdirSync(runDir, { recursive: true });
    fs.writeFileSync(path.join(runDir, 'started-by-d0.pid'), `${standIn.pid}\n`);
    return standIn.pid!;
  }
  const running = (pid: number) => processAlive(pid) && standIn.exitCode === null && standIn.signalCode === null;
  // Waited for: the next test copies a new stand-in over the same file, which Linux refuses
  // (ETXTBSY) while the old one still runs.
  afterEach(async () => {
    standIn?.kill('SIGKILL');
    await standInExit;
  });

  it('a test process and a script share it: the script stops first and leaves it running, the test stops it', async () => {
    const pid = startStandIn();
    const test = await ensureDockerd();
    const script = await startEngine();
    assert.equal(script.startedPid, undefined, 'an answering engine is used, not started again');
    assert.equal(liveHolds(runDir).length, 2);

    assert.deepEqual(await stopStartedEngine(), { leftRunning: pid, holders: 1 });
    assert.ok(running(pid), 'the test still holds it');
    await test.stop();
    await standInExit;
    assert.equal(standIn.signalCode, 'SIGTERM', 'stopped by SIGTERM, as dockerd is');
    assert.ok(!fs.existsSync(path.join(runDir, 'started-by-d0.pid')), 'the marker goes with it');
    assert.deepEqual(liveHolds(runDir), []);
  });

  it('two test processes: the first to stop leaves it to the second; stop() twice drops one hold', async () => {
    const pid = startStandIn();
    const a = await ensureDockerd();
    const b = await ensureDockerd();
    await a.stop();
    await a.stop();
    assert.ok(running(pid), 'b still holds it');
    assert.equal(liveHolds(runDir).length, 1);
    await b.stop();
    await standInExit;
    assert.ok(!processAlive(pid));
  });

  it('a hold whose process is gone does not keep the engine: the next release stops it', async () => {
    const pid = startStandIn();
    await startEngine();
    // A test process that was killed before its stop(): its hold names a pid that no longer runs.
    const dead = spawn('true');
    await new Promise((r) => dead.once('exit', r));
    fs.writeFileSync(path.join(holdsDir(runDir), `proc-${dead.pid}-000000000000`), JSON.stringify({ pid: dead.pid }) + '\n');
    assert.deepEqual(await stopStartedEngine(), { stopped: pid });
    await standInExit;
    assert.deepEqual(fs.readdirSync(holdsDir(runDir)), [], 'the dead hold was removed');
  });

  it("a script's hold on a dockerd that is gone is no hold: it keeps no later engine, and a stop never takes it for its own", async () => {
    // A script killed between `d0 engine start` and `d0 engine stop` (a cut-off CI run) left holds
    // on the dockerd of its day: one naming that engine, one of the older form naming none.
    const gone = spawn('true');
    await new Promise((r) => gone.once('exit', r));
    fs.mkdirSync(holdsDir(runDir), { recursive: true });
    fs.writeFileSync(path.join(holdsDir(runDir), 'script-000000000000'), JSON.stringify({ engine: { pid: gone.pid } }) + '\n');
    fs.writeFileSync(path.join(holdsDir(runDir), 'script-000000000001'), '{}\n');
    const pid = startStandIn();
    const test = await ensureDockerd();
    await test.stop();
    await standInExit;
    assert.equal(standIn.signalCode, 'SIGTERM', 'the last live user stopped it: the stale holds kept nothing');
    assert.deepEqual(fs.readdirSync(holdsDir(runDir)), [], 'the stale holds were removed');

    // This script's start, then its stop: the stop drops this script's hold and stops the engine.
    fs.writeFileSync(path.join(holdsDir(runDir), 'script-000000000000'), JSON.stringify({ engine: { pid: gone.pid } }) + '\n');
    const pid2 = startStandIn();
    await startEngine();
    assert.equal(liveHolds(runDir).length, 1, 'only the live hold counts');
    assert.deepEqual(await stopStartedEngine(), { stopped: pid2 });
    await standInExit;
    assert.notEqual(pid2, pid);
    // A second stop has nothing to let go.
    assert.deepEqual(await stopStartedEngine(), {});
  });

  it('a script that found an engine d0 did not start takes no hold on it', async () => {
    const pid = startStandIn();
    fs.rmSync(path.join(runDir, 'started-by-d0.pid'));
    const script = await startEngine();
    assert.equal(script.startedPid, undefined);
    assert.deepEqual(liveHolds(runDir), []);
    assert.deepEqual(await stopStartedEngine(), {});
    assert.ok(running(pid));
  });

  it('an engine d0 did not start (no marker) is never stopped, however many let go', async () => {
    const pid = startStandIn();
    fs.rmSync(path.join(runDir, 'started-by-d0.pid'));
    const a = await ensureDockerd();
    await a.stop();
    assert.deepEqual(await stopStartedEngine(), {});
    assert.ok(running(pid));
  });
});
