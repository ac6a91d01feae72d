// The README's main job as a user runs it: ./scripts/main into a fresh output directory. Every step
// is a `d0` command (the script holds no inline program); the container comes from
// examples/hello/Dockerfile through a Docker engine that the script stops again if it started it;
// the output ends with the container's lines, the ev=commit of that build, the page its web server
// serves through the port the site publishes on D0's uplink (fetched with curl while the emulated
// host keeps running) and `d0 disk status` naming the build active. With warm caches it takes about a minute; a fresh cache builds the guest kernel.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const MAIN = path.join(ROOT, 'scripts', 'main');
const TIMEOUT_MS = 45 * 60_000;

/** Runs the script in its own process group, killed whole at the timeout; stdout+stderr merged. */
function runMain(out: string): Promise<{ code: number | null; text: string }> {
  return new Promise((resolve) => {
    const child = spawn(MAIN, [out], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (b: Buffer) => (text += b.toString()));
    child.stderr.on('data', (b: Buffer) => (text += b.toString()));
    const timer = setTimeout(() => {
      text += `\n[killed after ${TIMEOUT_MS} ms]\n`;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, text });
    });
  });
}

describe('e2e: ./scripts/main, the README main job', function () {
  this.timeout(TIMEOUT_MS + 60_000);
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-main-job-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is d0 commands only', () => {
    const script = fs.readFileSync(MAIN, 'utf8');
    assert.doesNotMatch(script, /\b(tsx|node)\s+-e\b|mke2fs|\bsed\b/, 'no inline program, no hand-made disk, no edited site');
    const commands = script.split('\n').filter((l) => /^\s*[a-z]/.test(l) && !/^\s*(set|cd|source|out=|art=|mkdir|d0\(\)|trap|rm|\[)/.test(l));
    // d0 commands, and the user's side of the published port: curl it, then stop the host.
    for (const l of commands) assert.match(l, /^\s*(d0 |uuid=\$\(d0 |d0_setup$|curl -fsS .* http:\/\/127\.0\.0\.1:\d+\/$|kill -- )/, `not a d0 command: ${l}`);
  });

  it('builds the hello container from its Dockerfile, boots it until committed and shows the disk', async () => {
    const out = path.join(dir, 'out');
    const r = await runMain(out);
    assert.equal(r.code, 0, r.text.slice(-6000));
    const t = r.text;
    // each step says what it did
    assert.match(t, /^guest kernel: (cached|built in)/m);
    assert.match(t, /^engine: Step \d+\/\d+ : FROM d0\/busybox-static:1$/m);
    assert.match(t, /hello\.img: \d+ bytes, sha256 [0-9a-f]{64}/);
    const started = /^engine: started dockerd \(pid (\d+)\)/m.exec(t);
    if (started) assert.match(t, new RegExp(`^engine: stopped dockerd \\(pid ${started[1]}\\)$`, 'm'));
    // the container's own output, then the commit of this build, then the disk's state
    const uuid = /^header\.build_uuid=(\S+)$/m.exec(t)?.[1];
    assert.ok(uuid, 'the manifest is shown');
    const hello = t.search(/ev=console vm=hello line=.?hello.from.the.hello.container/);
    const cwd = t.search(/ev=console vm=hello line=.?uid.0.cwd./);
    const commit = t.search(new RegExp(`ev=commit boot=${uuid} slot=A previous=none fallback=none role=first`));
    const page = t.search(/^<h1>hello from D0<\/h1>$/m);
    const status = t.search(new RegExp(`^slot A: ${uuid} .*verified epoch=1 active$`, 'm'));
    assert.ok(hello >= 0 && cwd > hello, `the container's output:\n${t.slice(-4000)}`);
    assert.ok(commit > cwd, `ev=commit after the output:\n${t.slice(-4000)}`);
    assert.ok(page > commit, `the published page, fetched after the commit:\n${t.slice(-4000)}`);
    assert.match(t, /d0 run: QEMU keeps running \(pid \d+/);
    assert.ok(status > page, `d0 disk status names the committed build active:\n${t.slice(-2000)}`);
    assert.match(t, new RegExp(`last_good=${uuid} `));
    assert.ok(fs.existsSync(path.join(out, 'disk.img')));
    // The emulated host left running for curl was stopped by the script (QEMU exits on SIGTERM
    // within moments: polled for up to 15 s).
    const pid = Number(fs.readFileSync(path.join(out, 'qemu.pid'), 'utf8'));
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 150 && alive(); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(!alive(), `QEMU (pid ${pid}) still runs`);
  });
});
