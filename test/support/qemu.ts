// Boots a disk image under QEMU + OVMF (TCG: no KVM here) and follows D0's serial log.
//
//   await withQemu({ disk }, async (vm) => {
//     const e = await vm.waitFor('manifest_verified');
//     await vm.waitFor('exit');
//   });
//
// Each run gets a fresh copy of OVMF_VARS unless the caller passes its own vars file (A/B tests
// keep one per disk layout across runs: OVMF stores boot options there). QEMU runs in its own
// process group, which is always killed when the callback ends, throws or times out. Unless the
// caller brings its own TPM or asks for none, the machine has a TPM 1.2 that D0 does not use, for
// the firmware's sake (QemuOptions.tpm12StandIn).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  OVMF_CODE,
  OVMF_VARS,
  qemuCommand,
  varsTemplate,
  type UplinkOptions,
} from '../../builder/disk/qemu';
import { EventStream, waitForEvent, type D0Event, type EventSource } from './events';
import { withTpm12StandIn } from './swtpm';

export { OVMF_CODE, OVMF_VARS };

export interface QemuOptions {
  /** Raw GPT disk image to boot. */
  disk: string;
  /** A vars file to use (and keep) instead of a fresh copy of OVMF_VARS. */
  vars?: string;
  /** -cpu model, e.g. "max" (RDRAND/RDSEED under TCG) or "qemu64,+svm,+npt". */
  cpu?: string;
  /** -accel value; default 'tcg' (builder/disk/qemu.ts). */
  accel?: string;
  memMb?: number;
  /** Hard limit for the whole run; QEMU is killed when it passes. Default 90 s. */
  timeoutMs?: number;
  /** Extra QEMU arguments. */
  extraArgs?: string[];
  /** An uplink NIC for D0 on QEMU's user network (builder/disk/qemu.ts uplinkArgs). */
  uplink?: UplinkOptions;
  /** The Secure Boot firmware; a fresh VARS copy is then Debian's snakeoil one (builder/disk/qemu.ts). */
  secureBoot?: boolean;
  /**
   * A TPM 1.2 (swtpm) at the TIS address when extraArgs bring no TPM of their own: OVMF finds it
   * at once where an empty address costs it 1.2-1.6 s of timeouts, and D0 sees no TPM either way
   * (test/support/swtpm.ts). Default true; false: a machine with no TPM device at all.
   */
  tpm12StandIn?: boolean;
}

export class QemuTimeout extends Error {}

export class QemuRun implements EventSource {
  readonly stream = new EventStream();
  serial = '';
  private exitCode: number | null | undefined;
  readonly exited: Promise<void>;
  readonly deadline: number;

  constructor(
    private readonly child: ChildProcess,
    timeoutMs: number,
  ) {
    this.deadline = Date.now() + timeoutMs;
    child.stdout!.setEncoding('latin1');
    child.stdout!.on('data', (chunk: string) => {
      this.serial += chunk;
      this.stream.push(chunk);
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      this.serial += chunk;
    });
    this.exited = new Promise((resolve) =>
      child.once('exit', (code) => {
        this.exitCode = code;
        resolve();
      }),
    );
  }

  get events(): D0Event[] {
    return this.stream.events;
  }

  /** Waits for the first event matching ev (a name or a predicate); fails at the run's deadline or if QEMU exits first. */
  waitFor(ev: string | ((e: D0Event) => boolean)): Promise<D0Event> {
    return waitForEvent(this, ev);
  }

  timeoutError(what: string): Error {
    return new QemuTimeout(`no ${what} before the deadline; events:\n${this.describe()}`);
  }

  exitError(what: string): Error {
    return new Error(`QEMU exited (${this.exitCode}) before ${what}; events:\n${this.describe()}`);
  }

  /** Waits until the raw serial output matches re (for lines outside the event format). */
  waitForText(re: RegExp): Promise<void> {
    return new Promise((resolve, reject) => {
      const poll = setInterval(() => {
        if (re.test(this.serial)) done(resolve);
        else if (this.exitCode !== undefined)
          done(() => reject(new Error(`QEMU exited before ${re}`)));
        else if (Date.now() > this.deadline)
          done(() =>
            reject(
              new QemuTimeout(
                `no ${re} before the deadline; serial tail:\n${this.serial.slice(-2000)}`,
              ),
            ),
          );
      }, 100);
      const done = (fn: () => void) => {
        clearInterval(poll);
        fn();
      };
    });
  }

  /** The events so far, one line each, for assertion messages. */
  describe(): string {
    return this.events.map((e) => e.raw).join('\n') || '(none)\n' + this.serial.slice(-2000);
  }

  async kill(): Promise<void> {
    if (this.exitCode !== undefined) return;
    try {
      process.kill(-this.child.pid!, 'SIGKILL');
    } catch {
      /* already gone */
    }
    await this.exited;
  }
}

/** The product's machine (builder/disk/qemu.ts, the one QEMU + OVMF command line) plus extraArgs. */
export function qemuArgs(opts: QemuOptions, vars: string): string[] {
  return qemuCommand({
    disk: opts.disk,
    vars,
    memMb: opts.memMb,
    cpu: opts.cpu,
    accel: opts.accel,
    uplink: opts.uplink,
    secureBoot: opts.secureBoot,
  }).concat(opts.extraArgs ?? []);
}

const DEFAULT_TIMEOUT_MS = 90_000;

/** Whether a run presents the TPM 1.2 stand-in (QemuOptions.tpm12StandIn). */
function wantsTpm12StandIn(opts: QemuOptions): boolean {
  return (opts.tpm12StandIn ?? true) && !(opts.extraArgs ?? []).includes('-tpmdev');
}

/** Runs fn against a booting QEMU and always kills QEMU (and the TPM stand-in) afterwards. */
export async function withQemu<T>(opts: QemuOptions, fn: (vm: QemuRun) => Promise<T>): Promise<T> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-qemu-'));
  try {
    let vars = opts.vars;
    if (!vars) {
      vars = path.join(scratch, 'vars.fd');
      fs.copyFileSync(varsTemplate(opts.secureBoot), vars);
    }
    const run = (tpmArgs: string[]) => runQemu(qemuArgs(opts, vars!).concat(tpmArgs), opts, fn);
    if (!wantsTpm12StandIn(opts)) return await run([]);
    // swtpm outlives QEMU by at most the run's own limit (it is killed when fn's run ends).
    return await withTpm12StandIn(path.join(scratch, 'tpm'), run, {
      timeoutMs: (opts.timeoutMs ?? DEFAULT_TIMEOUT_MS) + 10_000,
    });
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

async function runQemu<T>(
  args: string[],
  opts: QemuOptions,
  fn: (vm: QemuRun) => Promise<T>,
): Promise<T> {
  const child = spawn('qemu-system-x86_64', args, {
    detached: true, // own process group: kill(-pid) reaches QEMU and anything it forked
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const vm = new QemuRun(child, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const spawnError = new Promise<never>((_, reject) => child.once('error', reject));
  try {
    return await Promise.race([fn(vm), spawnError]);
  } finally {
    await vm.kill();
  }
}
