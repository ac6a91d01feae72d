// Reads an ext4 image's whole tree back without mounting it (debugfs only), as records directly
// comparable with a `docker export` tar: path, type, mode, uid, gid, size, content sha256, link
// target, device numbers, xattrs.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tar from 'tar-stream';
import type { Readable } from 'node:stream';

export interface TreeRecord {
  path: string; // '/a/b'
  type: 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo';
  mode: number; // 07777
  uid: number;
  gid: number;
  size: number; // files only, else 0
  sha256?: string; // files
  link?: string; // symlink target
  dev?: string; // 'major:minor'
  xattrs?: Record<string, string>; // hex
}

const TYPES: Record<number, TreeRecord['type']> = {
  0o100000: 'file', 0o040000: 'dir', 0o120000: 'symlink', 0o020000: 'char', 0o060000: 'block', 0o010000: 'fifo',
};

function debugfsScript(image: string, commands: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-dbg-'));
  try {
    const f = path.join(dir, 'cmds');
    fs.writeFileSync(f, commands.join('\n') + '\n');
    const r = spawnSync('debugfs', ['-f', f, image], { encoding: 'utf8', maxBuffer: 256 * 2 ** 20 });
    return r.stdout;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const q = (s: string) => '"' + s.replace(/"/g, '""') + '"';

export function readExt4Tree(image: string): Map<string, TreeRecord> {
  const out = new Map<string, TreeRecord>();
  let level = ['/'];
  const rootStat = debugfsScript(image, ['stat /']);
  const m = /Mode:\s+0?(\d+)/.exec(rootStat)!;
  const ug = /User:\s+(\d+)\s+Group:\s+(\d+)/.exec(rootStat)!;
  out.set('/', { path: '/', type: 'dir', mode: parseInt(m[1], 8), uid: +ug[1], gid: +ug[2], size: 0 });
  while (level.length) {
    const text = debugfsScript(image, level.map((d) => `ls -p ${q(d)}`));
    const next: string[] = [];
    let current = '';
    for (const line of text.split('\n')) {
      const cmd = /^debugfs: ls -p "(.*)"$/.exec(line);
      if (cmd) {
        current = cmd[1].replace(/""/g, '"');
        continue;
      }
      const f = /^\/(\d+)\/(\d+)\/(\d+)\/(\d+)\/(.*)\/(\d*)\/$/.exec(line);
      if (!f || f[1] === '0' || f[5] === '' || f[5] === '.' || f[5] === '..') continue;
      const mode = parseInt(f[2], 8);
      const p = current === '/' ? `/${f[5]}` : `${current}/${f[5]}`;
      const type = TYPES[mode & 0o170000];
      out.set(p, { path: p, type, mode: mode & 0o7777, uid: +f[3], gid: +f[4], size: type === 'file' ? +f[6] : 0 });
      if (type === 'dir') next.push(p);
    }
    level = next;
  }
  const dump = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-rdump-'));
  try {
    const files = [...out.values()].filter((r) => r.type === 'file');
    files.forEach((r, i) => {
      if (i % 500 === 0) debugfsScript(image, files.slice(i, i + 500).map((x, j) => `dump ${q(x.path)} ${q(path.join(dump, String(i + j)))}`));
      r.sha256 = crypto.createHash('sha256').update(fs.readFileSync(path.join(dump, String(i)))).digest('hex');
    });
  } finally {
    fs.rmSync(dump, { recursive: true, force: true });
  }
  const others = [...out.values()].filter((r) => r.path !== '/');
  const stats = debugfsScript(image, others.map((r) => `stat ${q(r.path)}`)).split(/^debugfs: stat /m).slice(1);
  others.forEach((r, i) => {
    const s = stats[i];
    if (r.type === 'symlink') r.link = /Fast link dest: "(.*)"/.exec(s)?.[1] ?? slowLink(image, r.path);
    if (r.type === 'char' || r.type === 'block') {
      const d = /Device major\/minor number: (\d+):(\d+)/.exec(s)!;
      r.dev = `${+d[1]}:${+d[2]}`;
    }
    const xa = s.split('Extended attributes:\n')[1];
    if (xa) {
      r.xattrs = {};
      for (const l of xa.split('\n')) {
        const e = /^ {2}(\S+) \(\d+\) = ((?:[0-9a-f]{2} ?)+)$/.exec(l) ?? /^ {2}(\S+) \(\d+\)$/.exec(l);
        const ev = /^ {2}(\S+) = "(.*)" \(\d+\)$/.exec(l);
        if (e) r.xattrs[e[1]] = (e[2] ?? '').replace(/ /g, '');
        else if (ev) r.xattrs[ev[1]] = Buffer.from(ev[2], 'latin1').toString('hex');
        else if (!l.startsWith('  ')) break;
      }
    }
  });
  return out;
}

function slowLink(image: string, p: string): string {
  return spawnSync('debugfs', ['-R', `cat ${q(p)}`, image], { encoding: 'latin1' }).stdout;
}

/** The same records from a tar stream (docker export, or a layer). Hardlinks take their target's content. */
export async function readTarTree(stream: Readable): Promise<Map<string, TreeRecord>> {
  const out = new Map<string, TreeRecord>();
  const extract = tar.extract();
  stream.pipe(extract);
  for await (const item of extract) {
    const e = item as unknown as Readable & { header: tar.Header & { pax?: Record<string, string> | null } };
    const h = e.header;
    const p = '/' + h.name.replace(/^(\.\/|\/)+/, '').replace(/^\.$/, '').replace(/\/$/, '');
    const base = { path: p === '/' ? '/' : p, mode: (h.mode ?? 0) & 0o7777, uid: h.uid ?? 0, gid: h.gid ?? 0, size: 0 };
    const xattrs: Record<string, string> = {};
    for (const [k, v] of Object.entries(h.pax ?? {})) if (k.startsWith('SCHILY.xattr.')) xattrs[k.slice(13)] = Buffer.from(v, 'latin1').toString('hex');
    const x = Object.keys(xattrs).length ? { xattrs } : {};
    if (h.type === 'file') {
      const hash = crypto.createHash('sha256');
      let size = 0;
      for await (const c of e) {
        hash.update(c as Buffer);
        size += (c as Buffer).length;
      }
      out.set(base.path, { ...base, type: 'file', size, sha256: hash.digest('hex'), ...x });
      continue;
    }
    if (h.type === 'directory') out.set(base.path, { ...base, type: 'dir', ...x });
    else if (h.type === 'symlink') out.set(base.path, { ...base, type: 'symlink', link: h.linkname ?? '', ...x });
    else if (h.type === 'link') {
      const t = out.get('/' + (h.linkname ?? '').replace(/^(\.\/|\/)+/, ''))!;
      out.set(base.path, { ...t, path: base.path });
    } else if (h.type === 'character-device' || h.type === 'block-device')
      out.set(base.path, { ...base, type: h.type === 'character-device' ? 'char' : 'block', dev: `${h.devmajor}:${h.devminor}`, ...x });
    else if (h.type === 'fifo') out.set(base.path, { ...base, type: 'fifo', ...x });
    e.resume();
  }
  return out;
}
