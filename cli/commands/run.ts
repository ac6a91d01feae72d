// `d0 run DISK`: boots an A/B disk image under QEMU + OVMF with a persistent NVRAM next to it
// (DISK.vars.fd, created on the first run), and prints D0's structured log (`D0 seq=...` lines,
// logfmt, read by core/d0-log.ts) as it comes. Stops at the end of the first boot that does not
// reset (ev=halt: its VMs all stopped), or at --until EV, when QEMU ends, or at --timeout; and
// always at D0's ev=exit (it launched nothing and returned to the firmware), with D0's reason and
// exit code 1 unless --until names exit.
// --uplink gives the host an e1000 on QEMU's user-mode network (D0 at 10.0.2.15/24, gateway
// 10.0.2.2); --forward PROTO:HOSTPORT:UPLINKPORT (repeatable, implies --uplink) forwards
// 127.0.0.1:HOSTPORT to that port of D0's uplink address (cli/commands/run-uplink.ts).
// --leave-running PIDFILE: once --until's event came, d0 returns and QEMU runs on (its pid in
// PIDFILE, its serial output in DISK.serial.log), so a script can talk to the booted host (curl a
// published port) and stop it after (kill -- -PID).
// --secure-boot boots Debian's Secure Boot firmware (builder/disk/qemu.ts): DISK.vars.fd is then
// a 4 MiB VARS file, created from the snakeoil template (tests only) unless --vars gives one
// with the operator's db (docs/secure-boot.md); a D0 the firmware refuses logs nothing.
// The CPU defaults to EPYC (AMD SVM + nested paging, which QEMU TCG emulates): D0 launches
// nothing on a CPU without hardware virtualization. --cpus N gives the host N CPUs (QEMU -smp,
// one host thread each): D0 brings them all up and places the VMs on them (ev=cpu_plan).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ESP_TYPE_GUID, readGpt } from '../../builder/disk/gpt';
import { diskHostMemoryMiB } from '../../builder/disk/host-memory';
import { bootDisk, QEMU_USER_NET } from '../../builder/disk/qemu';
import { describeD0Event, parseD0LogLine, type D0LogLine } from '../../core/d0-log';
import { emulatedHostMiB } from '../../core/host-memory';
import { badInput, EXIT_FAILED, parseFlags, type Command } from '../io';
import { uplinkFromFlags } from './run-uplink';

/** QEMU's AMD EPYC model offers SVM with nested paging under TCG. */
const DEFAULT_CPU = 'EPYC';
/** D0's per-CPU tables hold 32 CPUs (kernel/arch/x86/desc.h X86_MAX_CPUS); more are not used. */
const MAX_CPUS = 32;

const USAGE =
  'run DISK [--vars VARS.fd] [--until EV] [--timeout SECONDS] [--cpu MODEL] [--cpus N] [--mem MIB] [--raw] [--uplink] [--forward tcp|udp:HOSTPORT:UPLINKPORT]... [--leave-running PIDFILE] [--secure-boot]';

export const command: Command = {
  name: 'run',
  usage: [USAGE],
  async run(args, io) {
    const { values, positionals } = parseFlags(
      args,
      {
        vars: { type: 'string' },
        cpu: { type: 'string' },
        cpus: { type: 'string' },
        until: { type: 'string' },
        timeout: { type: 'string' },
        raw: { type: 'boolean' },
        mem: { type: 'string' },
        uplink: { type: 'boolean' },
        forward: { type: 'string', multiple: true },
        'leave-running': { type: 'string' },
        'secure-boot': { type: 'boolean' },
      },
      USAGE,
    );
    if (positionals.length !== 1) throw badInput(`usage: d0 ${USAGE}`);
    const [disk] = positionals;
    if (!fs.existsSync(disk)) throw badInput(`${disk}: no such disk image`);
    const timeoutS = values.timeout === undefined ? 300 : Number(values.timeout);
    if (!(timeoutS > 0 && timeoutS <= 86400))
      throw badInput(`--timeout: ${values.timeout} is not 1..86400 seconds`);
    const until = values.until ?? 'halt';
    if (values.until !== undefined && !/^[a-z_]+$/.test(values.until))
      throw badInput(`--until: ${JSON.stringify(values.until)} is not an event name`);
    const untilEvents = until.split('|');
    if (
      values.mem !== undefined &&
      !(/^[0-9]+$/.test(values.mem) && Number(values.mem) >= 64 && Number(values.mem) <= 65536)
    )
      throw badInput(`--mem: ${values.mem} is not 64..65536 MiB`);
    if (
      values.cpus !== undefined &&
      !(/^[0-9]+$/.test(values.cpus) && Number(values.cpus) >= 1 && Number(values.cpus) <= MAX_CPUS)
    )
      throw badInput(`--cpus: ${values.cpus} is not 1..${MAX_CPUS} CPUs`);
    const uplink = uplinkFromFlags(values.uplink, values.forward);
    const pidFile = values['leave-running'];
    if (
      pidFile !== undefined &&
      (pidFile === '' || !fs.existsSync(path.dirname(path.resolve(pidFile))))
    )
      throw badInput(
        `--leave-running: ${JSON.stringify(pidFile)} is not a file in an existing directory`,
      );
    checkDisk(disk);
    // The emulated host gets what the disk's largest build needs (core/host-memory.ts) unless --mem says.
    const need = await diskHostMemoryMiB(disk);
    const memMb = values.mem !== undefined ? Number(values.mem) : emulatedHostMiB(need ?? 0);
    io.err(
      `d0 run: host memory ${memMb} MiB${values.mem !== undefined ? ' (--mem)' : ''}${need !== undefined ? `, the builds on the disk need ${need} MiB` : ''}`,
    );
    if (uplink) {
      const fwd = uplink.forwards.map(
        (f) => `${f.protocol} 127.0.0.1:${f.hostPort} -> ${f.uplinkPort}`,
      );
      io.err(
        `d0 run: uplink e1000 on QEMU's user network (the manifest's network.uplink_ip4 ${QEMU_USER_NET.guestIp4}, uplink_gw4 ${QEMU_USER_NET.gateway})${fwd.length ? `; forwarding ${fwd.join(', ')}` : ''}`,
      );
    }
    const vars = values.vars ?? `${disk}.vars.fd`;
    const serialLog = `${disk}.serial.log`;
    // D0's ev=exit means it handed the machine back to the firmware having launched nothing: the
    // boot is over whatever --until waits for. Its reason is the ev=boot_failed line before it.
    let exited: D0LogLine | undefined;
    let failed: D0LogLine | undefined;
    const timeline = new Timeline();
    // Under TCG the firmware (and a guest's boot) can keep D0 quiet for long: say so while it is.
    const quiet = quietTicker((s, lastEv) =>
      io.err(
        `d0 run: ${s} s, waiting for ev=${until}${lastEv ? ` (last: ev=${lastEv})` : ' (the firmware is starting D0)'}`,
      ),
    );
    const r = await bootDisk({
      disk,
      vars,
      cpu: values.cpu ?? DEFAULT_CPU,
      cpus: values.cpus !== undefined ? Number(values.cpus) : undefined,
      memMb,
      uplink,
      secureBoot: values['secure-boot'],
      timeoutMs: timeoutS * 1000,
      leaveRunning: pidFile !== undefined ? { serialLog } : undefined,
      onLine: (line) => {
        const refused = firmwareRefusal(line);
        if (refused) io.err(`d0 run: the firmware refused to start ${refused}`);
        const e = parseD0LogLine(line);
        if (e) quiet.saw(e.ev);
        if (e?.ev === 'boot_failed') failed = e;
        if (e?.ev === 'exit') exited = e;
        if (e) timeline.see(e);
        if (values.raw) return io.out(line);
        if (e) io.out(e.raw);
      },
      until: (line) => {
        const ev = parseD0LogLine(line)?.ev;
        return ev !== undefined && (untilEvents.includes(ev) || ev === 'exit');
      },
    }).finally(() => quiet.stop());
    const summary = timeline.summary();
    if (summary) io.err(`d0 run: ${summary}`);
    if (exited !== undefined && !untilEvents.includes('exit')) {
      io.err(
        `d0 run: D0 launched nothing and returned to the firmware (${describeD0Event(exited)})`,
      );
      if (failed) io.err(`d0 run: reason: ${describeD0Event(failed)}`);
      return EXIT_FAILED;
    }
    if (r.end === 'until') {
      if (pidFile !== undefined && r.pid !== undefined) {
        fs.writeFileSync(pidFile, `${r.pid}\n`);
        io.err(
          `d0 run: QEMU keeps running (pid ${r.pid}, its own process group; serial output in ${serialLog}); stop it with: kill -- -${r.pid}`,
        );
      }
      return 0;
    }
    io.err(
      r.end === 'timeout'
        ? `d0 run: no ev=${until} within ${timeoutS} s (QEMU killed)`
        : `d0 run: QEMU exited (${r.code}) before ev=${until}`,
    );
    return EXIT_FAILED;
  },
};

/**
 * OVMF's line for a boot option whose image its Secure Boot check refused (LoadImage: Access
 * Denied / Security Violation), e.g. `BdsDxe: failed to load Boot0002 "UEFI QEMU HARDDISK
 * QM00001 " from ...: Access Denied`, as "Boot0002 (UEFI QEMU HARDDISK QM00001): Access Denied
 * (...)". The option's name comes from the emulated machine: only printable ASCII is kept.
 */
export function firmwareRefusal(line: string): string | undefined {
  const m =
    /BdsDxe: failed to load (Boot[0-9A-F]{4}) "([^"]{0,80})" from .*: (Access Denied|Security Violation)\s*$/.exec(
      line,
    );
  if (!m) return undefined;
  const name = m[2].replace(/[^\x20-\x7e]/g, '?').trim();
  return `${m[1]} (${name}): ${m[3]} (Secure Boot: the image is not signed by a key in the firmware's db, or was altered)`;
}

/**
 * Calls tell(secondsSinceStart, lastEvent) each time no D0 event came for quietMs (default 15 s);
 * saw() is called for every event. Exported for its test.
 */
export function quietTicker(
  tell: (seconds: number, lastEv: string | undefined) => void,
  quietMs = 15_000,
) {
  const started = Date.now();
  let lastAt = started;
  let lastEv: string | undefined;
  const timer = setInterval(
    () => {
      if (Date.now() - lastAt < quietMs) return;
      lastAt = Date.now();
      tell(Math.round((Date.now() - started) / 1000), lastEv);
    },
    Math.min(1000, quietMs / 4),
  );
  timer.unref();
  return {
    saw(ev: string | undefined) {
      lastAt = Date.now();
      lastEv = ev ?? lastEv;
    },
    stop: () => clearInterval(timer),
  };
}

/** Booting a file that holds no ESP would only wait for the timeout: refuse it up front. */
function checkDisk(disk: string): void {
  if (!fs.statSync(disk).isFile()) throw badInput(`${disk}: not a disk image file`);
  let esps = 0;
  try {
    esps = readGpt(disk).filter((p) => p.typeGuid === ESP_TYPE_GUID).length;
  } catch (e) {
    throw badInput(
      `${disk}: not a D0 disk image (${(e as Error).message}); make one with d0 disk build`,
    );
  }
  if (esps === 0)
    throw badInput(
      `${disk}: its GPT has no EFI system partition; make the disk with d0 disk build`,
    );
}

/**
 * Where the last boot's time went, from the ms= D0 puts on every event (ms since D0 started):
 * verify, load and hash the images, prepare the VMs, first VM start, its readiness, the build's
 * health verdict and the commit. A reset starts a new boot (a trial, a rollback).
 */
class Timeline {
  private marks = new Map<string, number>();
  private imageBytes = 0;

  see(e: D0LogLine): void {
    const ms = e.fields.ms;
    if (ms === undefined || !/^\d+$/.test(ms)) return;
    if (e.ev === 'boot_start') {
      this.marks.clear();
      this.imageBytes = 0;
    }
    if (e.ev === 'images_loaded') this.imageBytes += Number(e.fields.disk_bytes ?? 0);
    if (!this.marks.has(e.ev)) this.marks.set(e.ev, Number(ms));
    if (e.ev === 'images_loaded') this.marks.set('images_loaded', Number(ms)); // the last VM's images
  }

  summary(): string | undefined {
    const steps: [string, string][] = [
      ['manifest_verified', 'verified'],
      ['images_loaded', `images loaded and hashed (${(this.imageBytes / 2 ** 20).toFixed(1)} MiB)`],
      ['vms_prepared', 'VMs prepared'],
      ['vm_start', 'first VM started'],
      ['vm_ready', 'first VM ready'],
      ['build_healthy', 'build healthy'],
      ['commit', 'committed'],
    ];
    const parts = steps
      .filter(([k]) => this.marks.has(k))
      .map(([k, what]) => `${what} at ${this.marks.get(k)} ms`);
    return parts.length ? `boot timeline (since D0 started): ${parts.join(', ')}` : undefined;
  }
}
