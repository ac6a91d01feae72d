// The baseline's initramfs: Debian's stock kernel has virtio-mmio, virtio-blk/net and ext4 as
// modules, so it needs an initramfs that loads them (dependencies first, from modules.dep), mounts
// /dev/vda and switch_roots into the same PID1 the micro-VM kernel runs.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The modules the guest needs; their dependencies are added from modules.dep. */
const WANTED = ['virtio_mmio', 'virtio_blk', 'virtio_net', 'ext4', 'crc32c_generic', 'crc32c-intel'];

export function stockKernel(): { vmlinuz: string; release: string } {
  const names = fs.readdirSync('/boot').filter((f) => f.startsWith('vmlinuz-')).sort();
  if (names.length === 0) throw new Error('no /boot/vmlinuz-*: install the Debian package linux-image-amd64');
  const release = names[names.length - 1].slice('vmlinuz-'.length);
  return { vmlinuz: path.join('/boot', names[names.length - 1]), release };
}

/** Module files in load order (every dependency before its users). */
export function moduleLoadOrder(release: string): string[] {
  const base = path.join('/lib/modules', release);
  const deps = new Map<string, string[]>();
  for (const line of fs.readFileSync(path.join(base, 'modules.dep'), 'utf8').split('\n')) {
    const [mod, rest] = line.split(':');
    if (mod) deps.set(mod, rest.trim() ? rest.trim().split(/\s+/) : []);
  }
  const byName = new Map<string, string>();
  for (const mod of deps.keys()) byName.set(path.basename(mod).replace(/\.ko(\.xz|\.zst|\.gz)?$/, '').replace(/-/g, '_'), mod);
  const order: string[] = [];
  const visit = (mod: string) => {
    if (order.includes(mod)) return;
    for (const d of deps.get(mod) ?? []) visit(d);
    order.push(mod);
  };
  for (const w of WANTED) {
    const mod = byName.get(w.replace(/-/g, '_'));
    if (!mod) throw new Error(`module ${w} not found in ${base}/modules.dep`);
    visit(mod);
  }
  return order.map((m) => path.join(base, m));
}

/** Writes the initramfs (newc cpio, uncompressed) and returns its path and module count. */
export function buildStockInitramfs(release: string, outDir: string): { initrd: string; modules: number } {
  const tree = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-stock-initrd-'));
  try {
    for (const d of ['bin', 'dev', 'proc', 'sys', 'newroot', 'modules']) fs.mkdirSync(path.join(tree, d));
    fs.copyFileSync('/bin/busybox', path.join(tree, 'bin/busybox'));
    fs.chmodSync(path.join(tree, 'bin/busybox'), 0o755);
    for (const a of ['sh', 'insmod', 'mount', 'switch_root', 'sleep', 'echo']) fs.symlinkSync('busybox', path.join(tree, 'bin', a));
    const mods = moduleLoadOrder(release);
    const lines = ['#!/bin/sh', 'mount -t devtmpfs devtmpfs /dev', 'mount -t proc proc /proc'];
    mods.forEach((m, i) => {
      const name = `${String(i).padStart(2, '0')}-${path.basename(m)}`;
      fs.copyFileSync(m, path.join(tree, 'modules', name));
      lines.push(`insmod /modules/${name}`);
    });
    lines.push(
      'i=0; while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done',
      'mount -t ext4 -o rw /dev/vda /newroot || echo "initramfs: cannot mount /dev/vda"',
      'mount --move /dev /newroot/dev',
      'umount /proc',
      'exec switch_root /newroot /.d0/init',
    );
    fs.writeFileSync(path.join(tree, 'init'), lines.join('\n') + '\n', { mode: 0o755 });
    const initrd = path.join(outDir, 'stock-initrd.cpio');
    const files = execFileSync('find', ['.', '-mindepth', '1'], { cwd: tree, encoding: 'utf8' });
    execFileSync('cpio', ['-o', '-H', 'newc', '--quiet', '-R', '0:0', '-O', initrd], { cwd: tree, input: files });
    return { initrd, modules: mods.length };
  } finally {
    fs.rmSync(tree, { recursive: true, force: true });
  }
}
