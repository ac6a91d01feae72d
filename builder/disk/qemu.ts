// Boots an A/B disk image under QEMU + OVMF (TCG) with a persistent VARS file: the dev loop of
// `d0 run`. qemuCommand() is the one QEMU + OVMF command line (the tests' harness,
// test/support/qemu.ts, uses it too): q35, no network (OVMF would try PXE first), OVMF_CODE
// read-only, the VARS file as the host's NVRAM, COM1 on stdout.
// Resets stay inside the run (a trial boot resets), so one run follows a whole update.
import { spawn } from 'node:child_process';
import fs from 'node:fs';

export const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE.fd';
export const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS.fd';

export interface BootOptions {
  disk: string;
  /** The VARS file; created from OVMF's template when missing. */
  vars: string;
  memMb?: number;
  cpu?: string;
  /** Called with each serial line (firmware output included), without the line end. */
  onLine: (line: string) => void;
  /** Stop (and kill QEMU) when this returns true for a line. */
  until?: (line: string) => boolean;
  timeoutMs: number;
}

export interface BootResult {
  /** 'until' when the stop line was seen, 'exit' when QEMU ended by itself, 'timeout'. */
  end: 'until' | 'exit' | 'timeout';
  code: number | null;
}

export function qemuCommand(o: Pick<BootOptions, 'disk' | 'vars' | 'memMb' | 'cpu'>): string[] {
  const args = ['-accel', 'tcg', '-machine', 'q35', '-m', String(o.memMb ?? 256)];
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
  args.push('-drive', `if=pflash,format=raw,unit=0,readonly=on,file=${OVMF_CODE}`);
  args.push('-drive', `if=pflash,format=raw,unit=1,file=${o.vars}`);
  args.push('-drive', `format=raw,file=${o.disk}`);
  if (o.cpu) args.push('-cpu', o.cpu);
  return args;
}

/** Boots and streams lines; QEMU (its whole process group) is always killed before this resolves. */
export function bootDisk(o: BootOptions): Promise<BootResult> {
  if (!fs.existsSync(o.vars)) fs.copyFileSync(OVMF_VARS, o.vars);
  const child = spawn('qemu-system-x86_64', qemuCommand(o), {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let tail = '';
    let done = false;
    const finish = (end: BootResult['end'], code: number | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
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
      reject(e);
    });
    child.stdout!.setEncoding('latin1');
    child.stdout!.on('data', (chunk: string) => {
      const lines = (tail + chunk).split('\n');
      tail = lines.pop() ?? '';
      for (const raw of lines) {
        const line = raw.replace(/\r/g, '');
        o.onLine(line);
        if (o.until?.(line)) finish('until', null);
      }
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (c: string) => o.onLine(c.trimEnd()));
    child.once('exit', (code) => finish('exit', code));
  });
}
