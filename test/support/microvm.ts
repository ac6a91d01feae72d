// Runs a guest under plain QEMU `-M microvm` (TCG, no firmware, no ACPI), the way D0 will run it:
// direct Linux boot, virtio-mmio devices announced on the kernel command line, a 16550 console,
// and isa-debug-exit at 0x501 standing in for D0's status port. Test and bench tooling (test/guest, bench/guest, bench/hv), not part of the product.
import { spawn } from 'node:child_process';

/** QEMU (7.2) microvm's virtio-mmio transports: 8 of 512 bytes from 0xfeb00000, GSI 5 + slot. The
 *  first -device takes the last transport, so device i (in -device order) sits in slot 7 - i
 *  (what QEMU's own auto-kernel-cmdline=on writes: 512@0xfeb00e00:12, 512@0xfeb00c00:11). */
export const QEMU_MICROVM_MMIO_BASE = 0xfeb00000;
export const QEMU_MICROVM_MMIO_SIZE = 512;
export const QEMU_MICROVM_TRANSPORTS = 8;
export const QEMU_MICROVM_FIRST_IRQ = 5;

export interface GuestNetwork {
  /** A.B.C.D/N for eth0. */
  readonly ip: string;
  readonly gw?: string;
  /** DEST/N,VIA entries. */
  readonly routes?: readonly string[];
}

export interface MicroVmOptions {
  readonly kernel: string;
  readonly disk: string;
  readonly name?: string;
  readonly net?: GuestNetwork;
  /** Extra kernel command-line words, appended last. */
  readonly extraCmdline?: readonly string[];
  readonly memMb?: number;
  /** vCPUs (-smp); more than one runs each on its own host thread (tcg,thread=multi). Default 1. */
  readonly smp?: number;
  /** QEMU is killed (whole process group) after this long. */
  readonly timeoutMs: number;
  /** Called for each console line with ms since QEMU was spawned. */
  readonly onLine?: (line: string, ms: number) => void;
  readonly qemu?: string;
  /** Baselines only: an initramfs, and ACPI on so a kernel without VIRTIO_MMIO_CMDLINE_DEVICES
   *  finds the virtio-mmio devices in QEMU's DSDT (the virtio_mmio.device= words are then left out). */
  readonly initrd?: string;
  readonly acpi?: boolean;
  /** TCP ports of 127.0.0.1 forwarded to the guest's eth0 address (needs `net`): QEMU's hostfwd
   *  on the user network, which stays restrict=on (the guest reaches nothing outside QEMU). */
  readonly hostForwards?: readonly { readonly hostPort: number; readonly guestPort: number }[];
  /** Kills QEMU (its process group) when aborted, before timeoutMs; the result then says timedOut false. */
  readonly signal?: AbortSignal;
}

export interface MicroVmResult {
  /** QEMU's exit code: (status << 1 | 1) & 0xff after a write to 0x501, 0 after a triple fault. */
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  readonly console: string;
  readonly elapsedMs: number;
}

/** The virtio_mmio.device= word for the i-th -device under QEMU microvm. */
export function qemuMmioDevice(i: number): string {
  const slot = QEMU_MICROVM_TRANSPORTS - 1 - i;
  const addr = QEMU_MICROVM_MMIO_BASE + slot * QEMU_MICROVM_MMIO_SIZE;
  return `virtio_mmio.device=${QEMU_MICROVM_MMIO_SIZE}@0x${addr.toString(16)}:${QEMU_MICROVM_FIRST_IRQ + slot}`;
}

/** The kernel command line D0 gives a guest (see guest/README.md), with QEMU's device layout. */
export function guestCmdline(o: Pick<MicroVmOptions, 'name' | 'net' | 'extraCmdline' | 'acpi'>): string {
  const devices = o.acpi
    ? []
    : [
        qemuMmioDevice(0), // virtio-blk: vda
        qemuMmioDevice(1), // virtio-net: eth0
      ];
  const words = [
    'console=ttyS0',
    'reboot=t',
    'panic=-1',
    // The boot-time IO-APIC timer check can time out under a loaded TCG host and panics the guest
    // ("IO-APIC + timer doesn't work!"); the timer D0 and QEMU emulate is known to work.
    'no_timer_check',
    'quiet',
    'root=/dev/vda',
    'rw',
    'rootfstype=ext4',
    'init=/.d0/init',
    ...devices,
  ];
  if (o.name) words.push(`d0.name=${o.name}`);
  if (o.net) {
    words.push(`d0.ip=${o.net.ip}`);
    if (o.net.gw) words.push(`d0.gw=${o.net.gw}`);
    for (const r of o.net.routes ?? []) words.push(`d0.route=${r}`);
  }
  words.push(...(o.extraCmdline ?? []));
  return words.join(' ');
}

function hostForwards(o: Pick<MicroVmOptions, 'net' | 'hostForwards'>): string {
  if (!o.hostForwards?.length) return '';
  if (!o.net) throw new Error('microvm: hostForwards need a guest address (net.ip)');
  const guest = o.net.ip.split('/')[0];
  return o.hostForwards.map((f) => `,hostfwd=tcp:127.0.0.1:${f.hostPort}-${guest}:${f.guestPort}`).join('');
}

export function microVmArgs(o: MicroVmOptions): string[] {
  return [
    ...((o.smp ?? 1) > 1 ? ['-accel', 'tcg,thread=multi', '-smp', String(o.smp)] : ['-accel', 'tcg']),
    '-M', `microvm,x-option-roms=off,isa-serial=on,rtc=on,pit=on,pic=on,acpi=${o.acpi ? 'on' : 'off'},auto-kernel-cmdline=off`,
    '-m', `${o.memMb ?? 64}M`,
    '-nodefaults', '-no-user-config', '-display', 'none', '-serial', 'stdio', '-no-reboot',
    '-kernel', o.kernel,
    '-append', guestCmdline(o),
    ...(o.initrd ? ['-initrd', o.initrd] : []),
    '-drive', `id=d0,file=${o.disk},format=raw,if=none`,
    '-device', 'virtio-blk-device,drive=d0',
    '-netdev', `user,id=n0,restrict=on${hostForwards(o)}`,
    '-device', 'virtio-net-device,netdev=n0',
    // iosize=1 so that the readiness port 0x502 is not part of isa-debug-exit.
    '-device', 'isa-debug-exit,iobase=0x501,iosize=1',
  ];
}

/** Boots the guest and waits for QEMU to end; QEMU is always killed before this returns. */
export function runMicroVm(o: MicroVmOptions): Promise<MicroVmResult> {
  const started = Date.now();
  const child = spawn(o.qemu ?? 'qemu-system-x86_64', microVmArgs(o), {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, so the kill below reaches everything it started
  });
  let out = '';
  let partial = '';
  let timedOut = false;
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
  }, o.timeoutMs);
  if (o.signal?.aborted) killGroup();
  o.signal?.addEventListener('abort', killGroup, { once: true });
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => {
    out += d;
    partial += d;
    let nl;
    while ((nl = partial.indexOf('\n')) >= 0) {
      o.onLine?.(partial.slice(0, nl).replace(/\r$/, ''), Date.now() - started);
      partial = partial.slice(nl + 1);
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => {
    out += d;
  });
  return new Promise((resolve, reject) => {
    child.on('error', (e) => {
      clearTimeout(timer);
      killGroup();
      reject(new Error(`qemu: could not start: ${e.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', killGroup);
      killGroup();
      resolve({ exitCode: code, timedOut, console: out.replace(/\r/g, ''), elapsedMs: Date.now() - started });
    });
  });
}
