// Boots an A/B disk image under QEMU + OVMF (TCG) with a persistent VARS file: the dev loop of
// `d0 run`. qemuCommand() is the one QEMU + OVMF command line (the tests' harness,
// test/support/qemu.ts, uses it too): q35, no network (OVMF would try PXE first), OVMF_CODE
// read-only, the VARS file as the host's NVRAM, COM1 on stdout; optionally an uplink NIC for D0
// on QEMU's user-mode network, with host ports forwarded to D0's uplink address.
// Resets stay inside the run (a trial boot resets), so one run follows a whole update.
// Secure Boot mode: Debian's 4 MiB Secure Boot firmware (it needs SMM: q35,smm=on, and its VARS
// flash reachable only from SMM: cfi.pflash01 secure=on) with a 4 MiB VARS file whose PK/KEK/db
// are enrolled; a missing VARS file is created from Debian's snakeoil template, whose db holds
// the test certificate /usr/share/ovmf/PkKek-1-snakeoil.pem (tests only: its private key is
// public). docs/secure-boot.md tells how a VARS file with an operator's own db is made.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { D0Error } from '../../core/errors';

export const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE.fd';
export const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS.fd';
/** Secure Boot firmware (SMM, Secure Boot enforced once a PK is enrolled). */
export const OVMF_CODE_SECBOOT = '/usr/share/OVMF/OVMF_CODE_4M.secboot.fd';
/** Its VARS template with Debian's snakeoil certificate as PK, KEK and db: for tests only. */
export const OVMF_VARS_SNAKEOIL = '/usr/share/OVMF/OVMF_VARS_4M.snakeoil.fd';
/** Debian's snakeoil db key pair (the key's passphrase is "snakeoil"): for tests only. */
export const SNAKEOIL_KEY = '/usr/share/ovmf/PkKek-1-snakeoil.key';
export const SNAKEOIL_CERT = '/usr/share/ovmf/PkKek-1-snakeoil.pem';

/** The VARS template of a mode; a VARS file must have its size (2 MiB and 4 MiB builds differ). */
export function varsTemplate(secureBoot: boolean | undefined): string {
  return secureBoot ? OVMF_VARS_SNAKEOIL : OVMF_VARS;
}

/**
 * Creates the VARS file from the mode's template when missing; refuses one whose size is not the
 * firmware's (a VARS file of the other mode), which QEMU would reject with a less clear message.
 */
export function prepareVars(vars: string, secureBoot: boolean | undefined): void {
  const template = varsTemplate(secureBoot);
  if (!fs.existsSync(vars)) {
    fs.copyFileSync(template, vars);
    return;
  }
  const have = fs.statSync(vars).size;
  const want = fs.statSync(template).size;
  if (have !== want)
    throw new D0Error(
      secureBoot ? 'SB_VARS' : 'DISK_VARS',
      `${vars}: a ${have}-byte VARS file, the ${secureBoot ? 'Secure Boot (4 MiB)' : 'plain (2 MiB)'} firmware needs ${want} bytes: ${secureBoot ? 'a VARS file made for Secure Boot' : 'a VARS file made without --secure-boot'} (or remove it to start from the template)`,
    );
}

/**
 * QEMU's user-mode network as D0's uplink sees it: D0's address and the gateway a manifest gives
 * (network.uplink_ip4 / uplink_gw4) for `d0 run --uplink`.
 */
export const QEMU_USER_NET = {
  net: '10.0.2.0/24',
  guestIp4: '10.0.2.15/24',
  gateway: '10.0.2.2',
} as const;

/** A host port (always bound to 127.0.0.1) forwarded to a port of D0's uplink address. */
export interface HostForward {
  readonly protocol: 'tcp' | 'udp';
  readonly hostPort: number;
  readonly uplinkPort: number;
}

/** Connections the uplink side opens to ip:port reach a TCP server on 127.0.0.1:hostPort instead. */
export interface GuestForward {
  readonly ip: string;
  readonly port: number;
  readonly hostPort: number;
}

export interface UplinkOptions {
  readonly forwards: readonly HostForward[];
  /** QEMU's user network reaches nothing beyond its own guestForwards (tests: no outside address). */
  readonly restrict?: boolean;
  readonly guestForwards?: readonly GuestForward[];
}

/**
 * The uplink NIC: an e1000 on QEMU's user-mode network, without its option ROM (the firmware
 * gets no driver for it, so no PXE attempt and no firmware use of the NIC: D0 alone drives it),
 * and a hostfwd per forward to D0's uplink address.
 */
export function uplinkArgs(u: UplinkOptions): string[] {
  const guest = QEMU_USER_NET.guestIp4.split('/')[0];
  const fwd = u.forwards.map(
    (f) => `,hostfwd=${f.protocol}:127.0.0.1:${f.hostPort}-${guest}:${f.uplinkPort}`,
  );
  for (const g of u.guestForwards ?? [])
    fwd.push(`,guestfwd=tcp:${g.ip}:${g.port}-tcp:127.0.0.1:${g.hostPort}`);
  return [
    '-netdev',
    `user,id=uplink0,net=${QEMU_USER_NET.net}${u.restrict ? ',restrict=on' : ''}${fwd.join('')}`,
    '-device',
    'e1000,netdev=uplink0,romfile=',
  ];
}

export interface BootOptions {
  disk: string;
  /** The VARS file; created from OVMF's template when missing. */
  vars: string;
  memMb?: number;
  cpu?: string;
  /** The -accel value; default 'tcg' (e.g. 'tcg,thread=multi': one host thread per vCPU). */
  accel?: string;
  /**
   * The emulated host's CPUs (-smp; default 1). Above 1 the default accel is
   * 'tcg,thread=multi', one host thread per CPU, so D0's VMs placed on different CPUs really run
   * side by side (kernel/docs/acpi-and-cpus.md, "VMs on CPUs").
   */
  cpus?: number;
  /** Give the host an uplink NIC (uplinkArgs); absent = no network device at all. */
  uplink?: UplinkOptions;
  /** Boot the Secure Boot firmware (see the top of this file); the VARS file holds its keys. */
  secureBoot?: boolean;
  /** Called with each serial line (firmware output included), without the line end. */
  onLine: (line: string) => void;
  /** Stop (and kill QEMU) when this returns true for a line. */
  until?: (line: string) => boolean;
  timeoutMs: number;
  /**
   * Leave QEMU running once `until` matched, its serial output going on into serialLog (required
   * then: a pipe would break when this process exits). The result's pid names its process group.
   */
  leaveRunning?: { serialLog: string };
}

export interface BootResult {
  /** 'until' when the stop line was seen, 'exit' when QEMU ended by itself, 'timeout'. */
  end: 'until' | 'exit' | 'timeout';
  code: number | null;
  /** With leaveRunning and end 'until': QEMU's pid (and process group), still running. */
  pid?: number;
}

export function qemuCommand(
  o: Pick<
    BootOptions,
    'disk' | 'vars' | 'memMb' | 'cpu' | 'accel' | 'cpus' | 'uplink' | 'secureBoot'
  >,
): string[] {
  const machine = o.secureBoot ? 'q35,smm=on' : 'q35';
  const cpus = o.cpus ?? 1;
  const accel = o.accel ?? (cpus > 1 ? 'tcg,thread=multi' : 'tcg');
  const args = ['-accel', accel, '-machine', machine, '-m', String(o.memMb ?? 256)];
  if (cpus > 1) args.push('-smp', String(cpus));
  // The secure firmware keeps its variable store behind SMM: only SMM code may write it.
  if (o.secureBoot) args.push('-global', 'driver=cfi.pflash01,property=secure,value=on');
  args.push(
    '-display',
    'none',
    '-monitor',
    'none',
    '-serial',
    'stdio',
    '-net',
    'none', // without it OVMF tries PXE/HTTP boot first (~20 s)
    '-no-user-config',
  );
  const code = o.secureBoot ? OVMF_CODE_SECBOOT : OVMF_CODE;
  args.push('-drive', `if=pflash,format=raw,unit=0,readonly=on,file=${code}`);
  args.push('-drive', `if=pflash,format=raw,unit=1,file=${o.vars}`);
  args.push('-drive', `format=raw,file=${o.disk}`);
  if (o.cpu) args.push('-cpu', o.cpu);
  if (o.uplink) args.push(...uplinkArgs(o.uplink));
  return args;
}

/**
 * Boots and streams lines. QEMU (its whole process group) is killed before this resolves, except
 * with leaveRunning when `until` matched: then it runs on, writing to its serial log.
 */
export function bootDisk(o: BootOptions): Promise<BootResult> {
  prepareVars(o.vars, o.secureBoot);
  // With leaveRunning, QEMU writes to a file that is followed here; else to pipes.
  const logFd = o.leaveRunning ? fs.openSync(o.leaveRunning.serialLog, 'w') : undefined;
  const child = spawn('qemu-system-x86_64', qemuCommand(o), {
    detached: true,
    stdio: logFd === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', logFd, logFd],
  });
  if (logFd !== undefined) fs.closeSync(logFd);
  return new Promise((resolve, reject) => {
    let tail = '';
    let done = false;
    let follow: NodeJS.Timeout | undefined;
    const finish = (end: BootResult['end'], code: number | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (follow) clearInterval(follow);
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      if (end === 'until' && o.leaveRunning) {
        child.unref();
        return resolve({ end, code, pid: child.pid });
      }
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
      resolve({ end, code });
    };
    const timer = setTimeout(() => finish('timeout', null), o.timeoutMs);
    // QEMU runs in its own process group: an interrupted `d0 run` must not leave it behind.
    const onSignal = (sig: NodeJS.Signals) => {
      finish('exit', null);
      process.kill(process.pid, sig);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    child.on('error', (e) => {
      clearTimeout(timer);
      if (follow) clearInterval(follow);
      reject(e);
    });
    const feed = (chunk: string) => {
      if (done) return;
      const lines = (tail + chunk).split('\n');
      tail = lines.pop() ?? '';
      for (const raw of lines) {
        const line = raw.replace(/\r/g, '');
        o.onLine(line);
        if (o.until?.(line)) return finish('until', null);
      }
    };
    if (o.leaveRunning) {
      const log = o.leaveRunning.serialLog;
      let offset = 0;
      const readNew = () => {
        const fd = fs.openSync(log, 'r');
        try {
          const buf = Buffer.alloc(64 * 1024);
          for (let n; (n = fs.readSync(fd, buf, 0, buf.length, offset)) > 0; offset += n)
            feed(buf.toString('latin1', 0, n));
        } finally {
          fs.closeSync(fd);
        }
      };
      follow = setInterval(readNew, 100);
      child.once('exit', (code) => {
        readNew();
        finish('exit', code);
      });
    } else {
      child.stdout!.setEncoding('latin1');
      child.stdout!.on('data', feed);
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (c: string) => o.onLine(c.trimEnd()));
      child.once('exit', (code) => finish('exit', code));
    }
  });
}
