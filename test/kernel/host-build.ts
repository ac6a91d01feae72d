// Builds and runs the kernel's host binaries (kernel/host.mk) for the mocha suites of this
// folder. Every child runs in its own process group, which is killed when it outlives its
// timeout, so no fuzzer or test binary is ever left behind.
import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

export const REPO = path.resolve(__dirname, '../..');
export const HOST_OUT = path.join(REPO, 'kernel/build/host');
export const VECTORS = path.join(REPO, 'test/vectors/manifest');
export const TEST_PUB = path.join(REPO, 'test/vectors/keys/rfc8032-test1.pub');

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

export function run(cmd: string, args: readonly string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: REPO, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      killGroup(); // anything the child left in its group
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

const built = new Map<string, Promise<void>>();

/** Builds kernel/host.mk targets once per mocha process (make itself skips up-to-date ones). */
export function build(...targets: string[]): Promise<void> {
  const key = targets.join(' ');
  let p = built.get(key);
  if (!p) {
    p = run('make', ['-f', 'kernel/host.mk', '-j2', ...targets], 10 * 60_000).then((r) => {
      if (r.code !== 0) throw new Error(`make -f kernel/host.mk ${key} failed:\n${r.stdout}\n${r.stderr}`);
    });
    built.set(key, p);
  }
  return p;
}

export const bin = (name: string): string => path.join(HOST_OUT, name);

/** The "<name>: N checks, M failed" summary line of kernel/tests/check.c. */
export function summary(out: string, name: string): { checks: number; failed: number } {
  const m = new RegExp(`^${name}: (\\d+) checks, (\\d+) failed$`, 'm').exec(out);
  if (!m) throw new Error(`no summary line for ${name} in:\n${out}`);
  return { checks: Number(m[1]), failed: Number(m[2]) };
}

export const listVectors = (ext: string): string[] => fs.readdirSync(VECTORS).filter((f) => f.endsWith(ext));

/**
 * What every libFuzzer run in CI must show: it ended by itself (no time-out, exit 0), it ran more
 * than a token number of inputs, and it left no crash, leak, timeout or oom artifact in `work`
 * (the -artifact_prefix directory).
 */
export function assertFuzzClean(r: { code: number | null; timedOut?: boolean; stderr: string }, work: string): void {
  assert.equal(r.timedOut ?? false, false, 'libFuzzer outlived its time limit');
  assert.equal(r.code, 0, r.stderr.slice(-4000));
  const runs = /stat::number_of_executed_units:\s+(\d+)/.exec(r.stderr);
  assert.ok(runs && Number(runs[1]) > 1000, `too few executions: ${runs?.[1]}`);
  assert.deepEqual(fs.readdirSync(work).filter((f) => /^(crash|leak|timeout|oom)-/.test(f)), []);
}
