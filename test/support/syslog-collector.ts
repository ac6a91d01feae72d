// A site's syslog collector for tests (docs/fleet.md, "Reports"): Debian's rsyslogd, run in the
// foreground (-n) in a temp directory of its own, receiving UDP on 127.0.0.1 at a free port and
// writing every message to <dir>/reports.log in RSYSLOG_SyslogProtocol23Format, as a site's
// collector would:
//
//   <133>1 2026-12-05T02:23:25.892049+00:00 52-54-00-12-34-56 d0 - commit - seq=2 ev=commit ...
//
// start() picks a port the kernel reports free, starts rsyslogd (no imuxsock: it never touches
// /dev/log or the machine's own logs) and returns once the port is bound (/proc/net/udp); a start
// that fails (the port taken in between) is retried with another port. stop() ends that one
// process (SIGTERM, SIGKILL after STOP_WAIT_MS; also when the test process exits) and removes
// the directory. waitForLines() polls the file until the lines a test expects are there. The
// emulator tests use the same collector for hosts booted under QEMU.
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const READY_WAIT_MS = 10_000;
const STOP_WAIT_MS = 5_000;
const START_TRIES = 3;

export class SyslogCollector {
  private gone = false;
  private readonly exited: Promise<void>;
  private readonly killOnExit = () => this.signal('SIGKILL');

  private constructor(
    private readonly child: ChildProcess,
    /** The collector's own temp directory (config, work directory, pid file, reports.log). */
    readonly dir: string,
    /** The UDP port on 127.0.0.1 the hosts send their reports to. */
    readonly port: number,
    private readonly stderr: () => string,
  ) {
    this.exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
    void this.exited.then(() => (this.gone = true));
    process.once('exit', this.killOnExit);
  }

  /** The file rsyslogd writes the messages to (missing until the first one). */
  get file(): string {
    return path.join(this.dir, 'reports.log');
  }

  static async start(): Promise<SyslogCollector> {
    let last: Error | undefined;
    for (let i = 0; i < START_TRIES; i++) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-syslog-'));
      try {
        return await SyslogCollector.startOnce(dir, await freeUdpPort());
      } catch (e) {
        fs.rmSync(dir, { recursive: true, force: true });
        last = e as Error;
      }
    }
    throw last;
  }

  /** The file's complete lines now (none while it is missing). */
  lines(): string[] {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'latin1');
    } catch {
      return [];
    }
    const lines = text.split('\n');
    lines.pop(); // after the last newline: empty, or a line still being written
    return lines;
  }

  /**
   * Polls the file every 50 ms until `until` holds for its lines (a count: at least that many
   * lines), and returns them; rejects after timeoutMs naming what the file held.
   */
  async waitForLines(
    until: number | ((lines: string[]) => boolean),
    timeoutMs = 10_000,
  ): Promise<string[]> {
    const done = typeof until === 'number' ? (l: string[]) => l.length >= until : until;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lines = this.lines();
      if (done(lines)) return lines;
      if (this.gone) throw new Error(`rsyslogd exited: ${this.stderr()}`);
      if (Date.now() > deadline)
        throw new Error(
          `${this.file}: the lines waited for did not come within ${timeoutMs} ms; it holds ` +
            `${lines.length}:\n${lines.slice(-20).join('\n')}`,
        );
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Ends rsyslogd (the one process start() spawned) and removes its directory. Idempotent. */
  async stop(): Promise<void> {
    this.signal('SIGTERM');
    const hard = setTimeout(() => this.signal('SIGKILL'), STOP_WAIT_MS);
    await this.exited;
    clearTimeout(hard);
    process.removeListener('exit', this.killOnExit);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** Starts rsyslogd on that port in that directory; returns once the port is bound. */
  private static async startOnce(dir: string, port: number): Promise<SyslogCollector> {
    const conf = path.join(dir, 'rsyslog.conf');
    fs.writeFileSync(
      conf,
      [
        `global(workDirectory="${dir}")`,
        'module(load="imudp")',
        `input(type="imudp" address="127.0.0.1" port="${port}")`,
        `*.* action(type="omfile" file="${path.join(dir, 'reports.log')}" template="RSYSLOG_SyslogProtocol23Format")`,
        '',
      ].join('\n'),
    );
    const child = spawn('rsyslogd', ['-n', '-f', conf, '-i', path.join(dir, 'rsyslogd.pid')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      if (stderr.length < 16_384) stderr += d.toString();
    });
    const spawned = await new Promise<Error | undefined>((resolve) => {
      child.once('spawn', () => resolve(undefined));
      child.once('error', (e) => resolve(e));
    });
    if (spawned)
      throw new Error(
        `cannot run rsyslogd (${(spawned as NodeJS.ErrnoException).code ?? spawned.message}): ` +
          'Debian package rsyslog',
      );
    const collector = new SyslogCollector(child, dir, port, () => stderr);
    const started = Date.now();
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        await collector.stop();
        throw new Error(`rsyslogd exited at its start (port ${port}): ${stderr}`);
      }
      if (portBound(port)) return collector;
      if (Date.now() - started > READY_WAIT_MS) {
        await collector.stop();
        throw new Error(
          `rsyslogd did not bind 127.0.0.1:${port} within ${READY_WAIT_MS} ms: ${stderr}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private signal(sig: NodeJS.Signals): void {
    if (this.gone || !this.child.pid) return;
    try {
      process.kill(this.child.pid, sig);
    } catch {
      /* already gone */
    }
  }
}

/** A UDP port on 127.0.0.1 that nothing holds right now. */
async function freeUdpPort(): Promise<number> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(0, '127.0.0.1', () => resolve());
  });
  const port = sock.address().port;
  await new Promise<void>((resolve) => sock.close(() => resolve()));
  return port;
}

/**
 * Whether a socket is bound to 127.0.0.1:port over UDP, from /proc/net/udp (read, not probed
 * with a bind of our own, which could take the port from rsyslogd at its start).
 */
function portBound(port: number): boolean {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return fs
    .readFileSync('/proc/net/udp', 'utf8')
    .split('\n')
    .some((l) => l.trim().split(/\s+/)[1] === local);
}
