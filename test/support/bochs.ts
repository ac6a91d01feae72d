// Boots a disk image under Bochs (OVMF as its ROM) and follows D0's serial log, next to the QEMU
// harness (./qemu.ts). Bochs is the emulator here that implements Intel VMX with EPT (and SVM with
// NPT and NRIP save under model=ryzen); /work/shared/EMULATORS.md has the facts this relies on.
//
//   await withBochs({ disk }, async (vm) => {
//     await vm.waitFor('manifest_verified');
//   });
//
// What a run needs and why:
// - Debian's bochs-bin is built with the internal debugger, which stops at t=0: `-rc cont.rc`
//   (containing just "c") continues at once.
// - The headless `term` display wants a tty: bochs-bin runs under `script -qfc ... /dev/null`,
//   which gives it a pseudo-terminal and throws the screen away. (The rfb display needs no tty
//   but listens on 0.0.0.0:5900.)
// - COM1 is a file Bochs appends to; it is polled as it grows and parsed as D0 events.
// - `panic: action=fatal` ends Bochs on a panic instead of asking a question nobody answers.
// - Every run works in a private temp dir (bochsrc, serial file, Bochs log, the slirp config of
//   an uplink, and a symlink to the disk, so the `.lock` file Bochs creates next to the image
//   path lands there too).
// - An uplink (opts.uplink) is Bochs' e1000 on its own slirp (10.0.2.0/24, gateway 10.0.2.2, as
//   QEMU's), set up by a config file (`script=`): Bochs 2.7 reads `restricted` and `hostfwd`
//   lines there (Debian: /usr/share/doc/bochs/examples/slirp.conf), the counterpart of QEMU's
//   `-netdev user,restrict=on,hostfwd=...` (builder/disk/qemu.ts uplinkArgs). The process
//   group is killed when the callback ends, throws or times out, and the dir is removed.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QEMU_USER_NET, type HostForward } from '../../builder/disk/qemu';
import { EventStream, waitForEvent, type D0Event, type EventSource } from './events';

/** OVMF as one ROM image: Bochs has no pflash, so no NV variables persist between runs. */
export const BOCHS_OVMF = '/usr/share/ovmf/OVMF.fd';
export const BOCHS_VGABIOS = '/usr/share/vgabios/vgabios.bin';

export interface BochsOptions {
  /** Raw GPT disk image to boot (the same image the QEMU tests boot). */
  disk: string;
  /** Bochs CPU model: corei7_skylake_x (VMX + EPT + unrestricted guest + VPID) or ryzen (SVM + NPT). */
  cpuModel?: string;
  /** Emulated RAM in MiB. Default 128: enough for OVMF, stage 1 and the VMX self-test (pass
   * more to launch real micro-VMs); less RAM is less for OVMF to set up. */
  memMb?: number;
  /** Emulated instructions per second Bochs assumes for its timers. */
  ips?: number;
  /** Hard limit for the whole run; Bochs is killed when it passes. Default 120 s. */
  timeoutMs?: number;
  /** A device for PCI slot 1 (e.g. "e1000"), configured by extraLines. */
  pciSlot1?: string;
  /** More bochsrc lines (e.g. the e1000's: `e1000: enabled=1, mac=..., ethmod=slirp`). */
  extraLines?: string[];
  /** D0's uplink: an e1000 in PCI slot 1 on Bochs' slirp (do not also pass pciSlot1). */
  uplink?: BochsUplink;
}

/** Bochs' e1000 on its user-mode network, with host ports forwarded to D0's uplink address. */
export interface BochsUplink {
  /** The e1000's MAC. Default 52:54:00:12:34:57. */
  mac?: string;
  /** Host ports (bound to 127.0.0.1) forwarded to ports of 10.0.2.15. */
  forwards?: readonly HostForward[];
  /** slirp reaches nothing outside Bochs (its `restricted = 1`): the tests' default. */
  restrict?: boolean;
}

/** The slirp config file for an uplink (Bochs 2.7 wants the first line exactly as written). */
export function slirpConfig(u: BochsUplink): string {
  const guest = QEMU_USER_NET.guestIp4.split('/')[0];
  return [
    '# slirp config',
    `restricted = ${u.restrict === false ? 0 : 1}`,
    ...(u.forwards ?? []).map(
      (f) => `hostfwd = ${f.protocol}:127.0.0.1:${f.hostPort}-${guest}:${f.uplinkPort}`,
    ),
    '',
  ].join('\n');
}

export class BochsTimeout extends Error {}

/** The bochsrc for opts, with the serial file and the disk path given (both inside the run dir). */
export function bochsrc(
  opts: BochsOptions,
  disk: string,
  serial: string,
  slirpConf?: string,
): string {
  if (opts.uplink && opts.pciSlot1) throw new Error('Bochs: uplink takes PCI slot 1 itself');
  const slot1 = opts.uplink ? 'e1000' : opts.pciSlot1;
  const uplinkLines = opts.uplink
    ? [
        `e1000: enabled=1, mac=${opts.uplink.mac ?? '52:54:00:12:34:57'}, ethmod=slirp` +
          (slirpConf ? `, script=${slirpConf}` : ''),
      ]
    : [];
  return [
    `megs: ${opts.memMb ?? 128}`,
    `cpu: model=${opts.cpuModel ?? 'corei7_skylake_x'}, ips=${opts.ips ?? 200_000_000}`,
    `romimage: file=${BOCHS_OVMF}`,
    `vgaromimage: file=${BOCHS_VGABIOS}`,
    `pci: enabled=1, chipset=i440fx${slot1 ? `, slot1=${slot1}` : ''}`,
    'ata0: enabled=1, ioaddr1=0x1f0, ioaddr2=0x3f0, irq=14',
    `ata0-master: type=disk, path=${disk}, mode=flat`,
    'boot: disk',
    `com1: enabled=1, mode=file, dev=${serial}`,
    'clock: sync=none',
    'speaker: enabled=0',
    'panic: action=fatal',
    'error: action=report',
    'display_library: term',
    ...uplinkLines,
    ...(opts.extraLines ?? []),
    '',
  ].join('\n');
}

export class BochsRun implements EventSource {
  readonly stream = new EventStream();
  serial = '';
  /** Milliseconds from spawn to each event, by the event's index in `events`. */
  readonly eventTimesMs: number[] = [];
  private exitCode: number | null | undefined;
  readonly exited: Promise<void>;
  readonly deadline: number;
  private readonly started = Date.now();
  private readonly poll: NodeJS.Timeout;
  private offset = 0;

  constructor(
    private readonly child: ChildProcess,
    private readonly serialFile: string,
    readonly logFile: string,
    private readonly pidFile: string,
    timeoutMs: number,
  ) {
    this.deadline = this.started + timeoutMs;
    this.stream.onEvent(() => this.eventTimesMs.push(Date.now() - this.started));
    this.poll = setInterval(() => this.readSerial(), 100);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code) => {
        this.exitCode = code;
        clearInterval(this.poll);
        this.readSerial();
        resolve();
      }),
    );
  }

  get events(): D0Event[] {
    return this.stream.events;
  }

  /** Reads whatever Bochs appended to the serial file since the last call. */
  private readSerial(): void {
    let fd: number;
    try {
      fd = fs.openSync(this.serialFile, 'r');
    } catch {
      return; // not created yet
    }
    try {
      const buf = Buffer.alloc(64 * 1024);
      for (;;) {
        const n = fs.readSync(fd, buf, 0, buf.length, this.offset);
        if (n <= 0) break;
        this.offset += n;
        const chunk = buf.subarray(0, n).toString('latin1');
        this.serial += chunk;
        this.stream.push(chunk);
      }
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Waits for the first event matching ev; fails at the run's deadline or if Bochs exits first. */
  waitFor(ev: string | ((e: D0Event) => boolean)): Promise<D0Event> {
    return waitForEvent(this, ev);
  }

  timeoutError(what: string): Error {
    return new BochsTimeout(`Bochs: no ${what} before the deadline; events:\n${this.describe()}`);
  }

  exitError(what: string): Error {
    return new Error(
      `Bochs exited (${this.exitCode}) before ${what}; events:\n${this.describe()}\n` +
        `bochs log tail:\n${this.logTail()}`,
    );
  }

  /** Milliseconds from spawn to the first event matching name, if it arrived. */
  timeTo(name: string): number | undefined {
    const i = this.events.findIndex((e) => e.ev === name);
    return i < 0 ? undefined : this.eventTimesMs[i];
  }

  describe(): string {
    return this.events.map((e) => e.raw).join('\n') || '(none)\n' + this.serial.slice(-2000);
  }

  logTail(): string {
    try {
      return fs.readFileSync(this.logFile, 'latin1').slice(-3000);
    } catch {
      return '(no log)';
    }
  }

  /** bochs-bin's pid (a session and process group leader under script), once it started. */
  bochsPid(): number | undefined {
    try {
      const pid = Number(fs.readFileSync(this.pidFile, 'utf8').trim());
      return pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /** Kills bochs-bin's session and script's process group, then waits for script to end. */
  async kill(): Promise<void> {
    clearInterval(this.poll);
    const bochs = this.bochsPid();
    for (const group of [bochs, this.child.pid]) {
      if (group === undefined) continue;
      try {
        process.kill(-group, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    if (this.exitCode === undefined) await this.exited;
  }
}

/** Runs fn against a booting Bochs and always kills Bochs and removes its run dir afterwards. */
export async function withBochs<T>(
  opts: BochsOptions,
  fn: (vm: BochsRun) => Promise<T>,
): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-bochs-'));
  const disk = path.join(dir, 'disk.img');
  const serial = path.join(dir, 'serial.txt');
  const log = path.join(dir, 'bochs.log');
  fs.symlinkSync(path.resolve(opts.disk), disk);
  let slirpConf: string | undefined;
  if (opts.uplink) {
    slirpConf = path.join(dir, 'slirp.conf');
    fs.writeFileSync(slirpConf, slirpConfig(opts.uplink));
  }
  fs.writeFileSync(path.join(dir, 'bochsrc'), bochsrc(opts, disk, serial, slirpConf));
  fs.writeFileSync(path.join(dir, 'cont.rc'), 'c\n');
  // -unlock: a lock left by an earlier killed run never blocks this one. script(1) starts its
  // command in a new session (the pty's), outside our process group: the shell records its pid,
  // which exec hands to bochs-bin, so that session can be killed too.
  const cmd =
    'echo $$ > bochs.pid; exec bochs-bin -q -unlock -f bochsrc -rc cont.rc -log bochs.log';
  const child = spawn('script', ['-qfc', cmd, '/dev/null'], {
    cwd: dir,
    detached: true, // own process group: kill(-pid) reaches script and bochs-bin
    stdio: ['ignore', 'ignore', 'ignore'],
    env: { ...process.env, TERM: 'xterm' },
  });
  const vm = new BochsRun(
    child,
    serial,
    log,
    path.join(dir, 'bochs.pid'),
    opts.timeoutMs ?? 120_000,
  );
  const spawnError = new Promise<never>((_, reject) => child.once('error', reject));
  try {
    return await Promise.race([fn(vm), spawnError]);
  } finally {
    await vm.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
