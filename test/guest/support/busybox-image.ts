// A test-only ext4 root image for the guest: Debian's static busybox with its applet links, the
// PID1 at /.d0/init and an exec spec at /.d0/exec, made with `mke2fs -d` from a temporary tree.
// (Real images come from the OCI converter in builder/; this is the smallest honest rootfs.)
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const BUSYBOX = '/bin/busybox';
const APPLETS = ['sh', 'echo', 'id', 'pwd', 'hostname', 'ip', 'cat', 'sleep', 'ls', 'grep', 'kill', 'env', 'true', 'wc', 'ps', 'mkdir', 'chmod'];

export interface ImageOptions {
  readonly init: string;
  /** Raw bytes of /.d0/exec; omitted means the image has no exec spec. */
  readonly execSpec?: Buffer;
  /** Extra files: path inside the image -> content and mode. */
  readonly files?: Record<string, { content: string; mode?: number; uid?: number; gid?: number }>;
  /** Extra empty directories (mode 0755, or given). */
  readonly dirs?: Record<string, { mode?: number; uid?: number; gid?: number }>;
  readonly sizeMb?: number;
}

/** Builds the image in a fresh temp dir and returns its path; the caller removes path.dirname(). */
export function makeBusyboxImage(o: ImageOptions): string {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-guest-img-'));
  const tree = path.join(work, 'root');
  for (const d of ['bin', 'dev', 'proc', 'sys', 'tmp', 'etc', '.d0']) fs.mkdirSync(path.join(tree, d), { recursive: true });
  fs.copyFileSync(BUSYBOX, path.join(tree, 'bin/busybox'));
  fs.chmodSync(path.join(tree, 'bin/busybox'), 0o755);
  for (const a of APPLETS) fs.symlinkSync('busybox', path.join(tree, 'bin', a));
  fs.copyFileSync(o.init, path.join(tree, '.d0/init'));
  fs.chmodSync(path.join(tree, '.d0/init'), 0o755);
  if (o.execSpec) fs.writeFileSync(path.join(tree, '.d0/exec'), o.execSpec, { mode: 0o644 });
  for (const [p, d] of Object.entries(o.dirs ?? {})) {
    const full = path.join(tree, p);
    fs.mkdirSync(full, { recursive: true });
    fs.chmodSync(full, d.mode ?? 0o755);
    fs.chownSync(full, d.uid ?? 0, d.gid ?? 0);
  }
  for (const [p, f] of Object.entries(o.files ?? {})) {
    const full = path.join(tree, p);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, f.content);
    fs.chmodSync(full, f.mode ?? 0o644);
    fs.chownSync(full, f.uid ?? 0, f.gid ?? 0);
  }
  const img = path.join(work, 'root.img');
  execFileSync('mke2fs', ['-q', '-F', '-t', 'ext4', '-L', 'd0-test', '-d', tree, img, `${o.sizeMb ?? 16}M`], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, E2FSPROGS_FAKE_TIME: '1' },
  });
  fs.rmSync(tree, { recursive: true, force: true });
  return img;
}

/** The image's bytes (for a signed slot's payload); the temporary work directory is removed. */
export function busyboxImageBytes(o: ImageOptions): Buffer {
  const img = makeBusyboxImage(o);
  try {
    return fs.readFileSync(img);
  } finally {
    fs.rmSync(path.dirname(img), { recursive: true, force: true });
  }
}
