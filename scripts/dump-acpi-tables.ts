// Regenerates test/vectors/acpi/: the ACPI tables QEMU + OVMF give a guest, byte for byte, at
// the physical addresses the firmware installed them.
//
//   npx tsx scripts/dump-acpi-tables.ts [outDir]     (default test/vectors/acpi)
//
// For each machine (q35, pc) and CPU count (1, 4) it boots the host's Debian kernel
// (/boot/vmlinuz-*) under QEMU TCG with OVMF, through OVMF's own -kernel loader (no disk, no
// initramfs). Linux prints every table the firmware installed while it boots
// ("ACPI: XSDT 0x000000007FB7E0E8 00004C (...)"). Once it has read the MADT, QEMU is stopped and
// each listed table is saved from guest memory with QMP `pmemsave`, as <ADDR>-<SIG>.bin (ADDR in
// 16 hex digits); the RSDP is one of them. QEMU is always killed at the end.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { OVMF_CODE, OVMF_VARS } from '../builder/disk/qemu';

const REPO = path.resolve(__dirname, '..');
const TIMEOUT_MS = 240_000;
/** Linux logs this after it parsed the MADT: every table line came before it. */
const DONE = /ACPI: Using ACPI \(MADT\)|smpboot: Allowing \d+ CPUs/;
const TABLE_LINE = /ACPI: (\w{4}) 0x([0-9A-F]{16}) ([0-9A-F]{6})/g;

export interface DumpConfig {
  readonly machine: 'q35' | 'pc';
  readonly smp: number;
}
export const CONFIGS: readonly DumpConfig[] = [
  { machine: 'q35', smp: 1 },
  { machine: 'q35', smp: 4 },
  { machine: 'pc', smp: 1 },
  { machine: 'pc', smp: 4 },
];
export const configDir = (c: DumpConfig): string => `${c.machine}-smp${c.smp}`;

function hostKernel(): string {
  const k = fs
    .readdirSync('/boot')
    .filter((f) => f.startsWith('vmlinuz-'))
    .sort();
  if (!k.length) throw new Error('no /boot/vmlinuz-* on this host');
  return path.join('/boot', k[k.length - 1]);
}

/** Sends QMP commands in order over the socket and resolves when all were answered. */
function qmp(sock: string, commands: object[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = net.createConnection(sock);
    let buf = '';
    let sent = 0;
    let answered = -1; // the greeting counts as the answer to "nothing yet"
    const next = () => {
      if (sent < commands.length) c.write(JSON.stringify(commands[sent++]) + '\n');
      else c.end(resolve);
    };
    c.on('data', (d) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const msg = JSON.parse(buf.slice(0, i));
        buf = buf.slice(i + 1);
        if (msg.error) return reject(new Error(`QMP: ${JSON.stringify(msg.error)}`));
        if (msg.event) continue;
        answered++;
        if (answered === sent) next();
      }
    });
    c.on('error', reject);
    // The first command after the greeting must be qmp_capabilities.
    commands.unshift({ execute: 'qmp_capabilities' });
  });
}

async function dumpOne(cfg: DumpConfig, outDir: string): Promise<string[]> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-acpi-dump-'));
  const vars = path.join(work, 'vars.fd');
  fs.copyFileSync(OVMF_VARS, vars);
  const sock = path.join(work, 'qmp.sock');
  const args = [
    ...['-M', cfg.machine, '-accel', 'tcg', '-m', '256', '-smp', String(cfg.smp)],
    ...['-drive', `if=pflash,format=raw,readonly=on,file=${OVMF_CODE}`],
    ...['-drive', `if=pflash,format=raw,file=${vars}`],
    ...['-kernel', hostKernel(), '-append', 'console=ttyS0 loglevel=7 panic=0'],
    ...['-display', 'none', '-nodefaults', '-serial', 'stdio', '-net', 'none'],
    ...['-qmp', `unix:${sock},server=on,wait=off`],
  ];
  const child = spawn('qemu-system-x86_64', args, {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const kill = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  };
  try {
    let serial = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${configDir(cfg)}: timeout\n${serial.slice(-2000)}`)),
        TIMEOUT_MS,
      );
      child.stdout!.on('data', (d: Buffer) => {
        serial += d.toString('latin1');
        if (DONE.test(serial)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.stderr!.on('data', (d: Buffer) => (serial += d.toString()));
      child.on('exit', (code) =>
        reject(new Error(`${configDir(cfg)}: QEMU exited ${code}\n${serial.slice(-2000)}`)),
      );
    });
    const tables = [...serial.matchAll(TABLE_LINE)].map((m) => ({
      sig: m[1],
      addr: BigInt('0x' + m[2]),
      len: parseInt(m[3], 16),
    }));
    if (!tables.some((t) => t.sig === 'RSDP')) throw new Error(`${configDir(cfg)}: no RSDP line`);
    const dir = path.join(outDir, configDir(cfg));
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const files = tables.map((t) => `${t.addr.toString(16).padStart(16, '0')}-${t.sig}.bin`);
    await qmp(sock, [
      { execute: 'stop' },
      ...tables.map((t, i) => ({
        execute: 'pmemsave',
        arguments: { val: Number(t.addr), size: t.len, filename: path.join(dir, files[i]) },
      })),
    ]);
    // Linux names only the root table it uses (the XSDT); the RSDT the RSDP also points to is
    // saved too, so the RSDT fallback is tested on real bytes: its header first, for its length.
    const rsdp = fs.readFileSync(path.join(dir, files[tables.findIndex((t) => t.sig === 'RSDP')]));
    const rsdt = rsdp.readUInt32LE(16);
    if (rsdt !== 0) {
      const name = `${rsdt.toString(16).padStart(16, '0')}-RSDT.bin`;
      const file = path.join(dir, name);
      await qmp(sock, [
        { execute: 'pmemsave', arguments: { val: rsdt, size: 36, filename: file } },
      ]);
      const len = fs.readFileSync(file).readUInt32LE(4);
      await qmp(sock, [
        { execute: 'pmemsave', arguments: { val: rsdt, size: len, filename: file } },
      ]);
      files.push(name);
    }
    return files;
  } finally {
    kill();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

async function main() {
  const outDir = path.resolve(process.argv[2] ?? path.join(REPO, 'test/vectors/acpi'));
  for (const cfg of CONFIGS) {
    const files = await dumpOne(cfg, outDir);
    console.log(`${configDir(cfg)}: ${files.join(' ')}`);
  }
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
