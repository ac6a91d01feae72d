// Reads an ext4 image's whole tree back without mounting it (debugfs only), as records directly
// comparable with a `docker export` tar: path, type, mode, uid, gid, size, content sha256, link
// target, device numbers, mtime, hardlink group, xattrs. Names and link targets are bytes on both
// sides; pathText() turns them into the map's keys the same way for both.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';

export interface TreeRecord {
  path: string; // '/a/b', see pathText
  type: 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo';
  mode: number; // 07777
  uid: number;
  gid: number;
  size: number; // files only, else 0
  mtime: number; // seconds since the epoch (Docker's tars carry whole seconds)
  sha256?: string; // files
  link?: string; // symlink target, see pathText
  dev?: string; // 'major:minor'
  hardlinks?: string[]; // every path of a regular file's inode, sorted, when there are two or more (see readExt4Tree)
  xattrs?: Record<string, string>; // hex
}

/**
 * A name or link target as text: the UTF-8 string when the bytes are valid UTF-8, else ASCII with
 * every byte >= 0x80 written as \xHH (so a name with byte 0xE9 is neither lost nor merged with
 * U+FFFD or with the UTF-8 "é").
 */
export function pathText(bytes: Buffer): string {
  const s = bytes.toString('utf8');
  if (Buffer.from(s, 'utf8').equals(bytes)) return s;
  let out = '';
  for (const b of bytes) out += b < 0x80 ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  return out;
}

const TYPES: Record<number, TreeRecord['type']> = {
  0o100000: 'file', 0o040000: 'dir', 0o120000: 'symlink', 0o020000: 'char', 0o060000: 'block', 0o010000: 'fifo',
};

/** Runs debugfs commands (raw bytes: one char per byte) and returns its output the same way. */
function debugfsScript(image: string, commands: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-dbg-'));
  try {
    const f = path.join(dir, 'cmds');
    fs.writeFileSync(f, commands.join('\n') + '\n', 'latin1');
    const r = spawnSync('debugfs', ['-f', f, image], { encoding: 'latin1', maxBuffer: 256 * 2 ** 20 });
    return r.stdout;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const q = (s: string) => '"' + s.replace(/"/g, '""') + '"';
const text = (raw: string) => pathText(Buffer.from(raw, 'latin1'));

/** inode mtime from `stat`: 32-bit seconds plus the extra field's two epoch bits. */
function statMtime(s: string): number {
  const m = /^ mtime: 0x([0-9a-f]{8})(?::([0-9a-f]{8}))?/m.exec(s);
  if (!m) throw new Error(`no mtime in debugfs stat output: ${s.slice(0, 200)}`);
  const lo = parseInt(m[1], 16) | 0;
  const epoch = m[2] ? parseInt(m[2], 16) & 3 : 0;
  return lo + epoch * 2 ** 32;
}

export function readExt4Tree(image: string): Map<string, TreeRecord> {
  const out = new Map<string, TreeRecord>();
  const raw = new Map<TreeRecord, string>(); // record -> its path as debugfs bytes
  const inodes = new Map<string, TreeRecord[]>();
  let level = ['/'];
  const rootStat = debugfsScript(image, ['stat /']);
  const m = /Mode:\s+0?(\d+)/.exec(rootStat)!;
  const ug = /User:\s+(\d+)\s+Group:\s+(\d+)/.exec(rootStat)!;
  out.set('/', { path: '/', type: 'dir', mode: parseInt(m[1], 8), uid: +ug[1], gid: +ug[2], size: 0, mtime: statMtime(rootStat) });
  while (level.length) {
    const listing = debugfsScript(image, level.map((d) => `ls -p ${q(d)}`));
    const next: string[] = [];
    let current = '';
    for (const line of listing.split('\n')) {
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
      const rec: TreeRecord = { path: text(p), type, mode: mode & 0o7777, uid: +f[3], gid: +f[4], size: type === 'file' ? +f[6] : 0, mtime: 0 };
      out.set(rec.path, rec);
      raw.set(rec, p);
      if (type === 'dir') next.push(p);
      // Regular files only, as in Docker's tars: a hardlinked symlink, fifo or device node is
      // written there as separate entries, so a group of those could not be compared.
      else if (type === 'file') inodes.set(f[1], [...(inodes.get(f[1]) ?? []), rec]);
    }
    level = next;
  }
  for (const group of inodes.values()) {
    if (group.length < 2) continue;
    const paths = group.map((r) => r.path).sort();
    for (const r of group) r.hardlinks = paths;
  }
  const dump = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-rdump-'));
  try {
    const files = [...out.values()].filter((r) => r.type === 'file');
    files.forEach((r, i) => {
      if (i % 500 === 0) debugfsScript(image, files.slice(i, i + 500).map((x, j) => `dump ${q(raw.get(x)!)} ${q(path.join(dump, String(i + j)))}`));
      r.sha256 = crypto.createHash('sha256').update(fs.readFileSync(path.join(dump, String(i)))).digest('hex');
    });
  } finally {
    fs.rmSync(dump, { recursive: true, force: true });
  }
  const others = [...out.values()].filter((r) => r.path !== '/');
  const stats = debugfsScript(image, others.map((r) => `stat ${q(raw.get(r)!)}`)).split(/^debugfs: stat /m).slice(1);
  others.forEach((r, i) => {
    const s = stats[i];
    r.mtime = statMtime(s);
    if (r.type === 'symlink') r.link = text(/Fast link dest: "(.*)"/.exec(s)?.[1] ?? slowLink(image, raw.get(r)!));
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

/** A link target too long for the inode (not shown by `stat`): the block's bytes. */
function slowLink(image: string, rawPath: string): string {
  const out = debugfsScript(image, [`cat ${q(rawPath)}`]);
  return out.replace(/^debugfs: cat .*\n/, '');
}

export interface TarHeader {
  name: Buffer;
  linkname: Buffer;
  typeflag: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  devmajor: number;
  devminor: number;
  pax: Map<string, Buffer>;
}

const cstr = (b: Buffer, off: number, len: number) => {
  const f = b.subarray(off, off + len);
  const nul = f.indexOf(0);
  return nul < 0 ? f : f.subarray(0, nul);
};

function num(b: Buffer, off: number, len: number): number {
  const f = b.subarray(off, off + len);
  if (f[0] & 0x80) {
    // base-256: big-endian, first byte's top bit is the marker
    let v = f[0] & 0x7f;
    for (const x of f.subarray(1)) v = v * 256 + x;
    return v;
  }
  const s = cstr(b, off, len).toString('latin1').trim();
  return s === '' ? 0 : parseInt(s, 8);
}

function paxRecords(body: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let rest = body;
  while (rest.length) {
    const sp = rest.indexOf(0x20);
    const len = parseInt(rest.subarray(0, sp).toString('latin1'), 10);
    if (sp < 0 || !(len > 0)) break;
    const rec = rest.subarray(sp + 1, len - 1); // without the trailing newline
    const eq = rec.indexOf(0x3d);
    out.set(rec.subarray(0, eq).toString('utf8'), rec.subarray(eq + 1));
    rest = rest.subarray(len);
  }
  return out;
}

/**
 * A tar stream's entries with names, link targets and PAX values as raw bytes (ustar, PAX and GNU
 * long names). onEntry returns a sink for the entry's content, or nothing to skip it.
 * Deliberately not core/image/tar-header.ts: this reads `docker export`'s side of the fidelity
 * comparison, so a fault in the converter's own parser cannot hide behind the same fault here.
 */
export async function walkTar(stream: Readable, onEntry: (h: TarHeader) => ((chunk: Buffer) => void) | undefined): Promise<void> {
  let acc: Buffer = Buffer.alloc(0);
  let body = 0; // content bytes still to come for the current entry
  let pad = 0; // then padding to skip
  let sink: ((c: Buffer) => void) | undefined;
  let meta: { flag: string; size: number; parts: Buffer[] } | undefined;
  let pax = new Map<string, Buffer>();
  let globalPax = new Map<string, Buffer>();
  let longName: Buffer | undefined;
  let longLink: Buffer | undefined;
  let ended = false;
  const finishMeta = () => {
    const data = Buffer.concat(meta!.parts);
    if (meta!.flag === 'x') pax = new Map([...pax, ...paxRecords(data)]);
    else if (meta!.flag === 'g') globalPax = new Map([...globalPax, ...paxRecords(data)]);
    else if (meta!.flag === 'L') longName = cstr(data, 0, data.length);
    else if (meta!.flag === 'K') longLink = cstr(data, 0, data.length);
    meta = undefined;
  };
  for await (const chunk of stream) {
    acc = acc.length ? Buffer.concat([acc, chunk as Buffer]) : (chunk as Buffer);
    for (;;) {
      if (ended) {
        acc = Buffer.alloc(0);
        break;
      }
      if (body > 0) {
        if (!acc.length) break;
        const n = Math.min(body, acc.length);
        const part = acc.subarray(0, n);
        if (meta) meta.parts.push(Buffer.from(part));
        else sink?.(part);
        acc = acc.subarray(n);
        body -= n;
        if (body > 0) break;
      }
      if (meta && body === 0) finishMeta();
      if (pad > 0) {
        const n = Math.min(pad, acc.length);
        acc = acc.subarray(n);
        pad -= n;
        if (pad > 0) break;
      }
      if (acc.length < 512) break;
      const h = acc.subarray(0, 512);
      acc = acc.subarray(512);
      if (h.every((x) => x === 0)) {
        ended = true;
        continue;
      }
      const flag = h[156] === 0 ? '0' : String.fromCharCode(h[156]);
      const size = num(h, 124, 12);
      body = size;
      pad = (512 - (size % 512)) % 512;
      sink = undefined;
      if ('xgLK'.includes(flag)) {
        meta = { flag, size, parts: [] };
        continue;
      }
      const all = new Map([...globalPax, ...pax]);
      const ustar = h.subarray(257, 262).toString('latin1') === 'ustar';
      const prefix = ustar ? cstr(h, 345, 155) : Buffer.alloc(0);
      const short = cstr(h, 0, 100);
      const name = all.get('path') ?? longName ?? (prefix.length ? Buffer.concat([prefix, Buffer.from('/'), short]) : short);
      const linkname = all.get('linkpath') ?? longLink ?? cstr(h, 157, 100);
      const pnum = (k: string, d: number) => (all.has(k) ? Number(all.get(k)!.toString('latin1')) : d);
      if (all.has('size')) {
        body = pnum('size', size);
        pad = (512 - (body % 512)) % 512;
      }
      const header: TarHeader = {
        name, linkname, typeflag: flag, mode: num(h, 100, 8), uid: pnum('uid', num(h, 108, 8)), gid: pnum('gid', num(h, 116, 8)),
        size: body, mtime: Math.floor(pnum('mtime', num(h, 136, 12))), devmajor: num(h, 329, 8), devminor: num(h, 337, 8), pax: all,
      };
      pax = new Map();
      longName = undefined;
      longLink = undefined;
      sink = onEntry(header);
      if (header.typeflag !== '0' && header.typeflag !== '7') {
        // only regular files carry content here; skip whatever else declares a size
        sink = undefined;
      }
    }
  }
}

const entryPath = (name: Buffer) => {
  const p = '/' + pathText(name).replace(/^(\.\/|\/)+/, '').replace(/^\.$/, '').replace(/\/$/, '');
  return p;
};

/**
 * The same records from a tar stream (docker export, or a layer). A hardlink takes its target's
 * record; every member of a group gets the group's paths.
 */
export async function readTarTree(stream: Readable): Promise<Map<string, TreeRecord>> {
  const out = new Map<string, TreeRecord>();
  const groupOf = new Map<string, string[]>(); // path -> every path of its inode, in tar order
  await walkTar(stream, (h) => {
    const p = entryPath(h.name);
    const base = { path: p, mode: h.mode & 0o7777, uid: h.uid, gid: h.gid, size: 0, mtime: h.mtime };
    const xattrs: Record<string, string> = {};
    for (const [k, v] of h.pax) if (k.startsWith('SCHILY.xattr.')) xattrs[k.slice(13)] = v.toString('hex');
    const x = Object.keys(xattrs).length ? { xattrs } : {};
    switch (h.typeflag) {
      case '0':
      case '7': {
        const hash = crypto.createHash('sha256');
        const rec: TreeRecord = { ...base, type: 'file', size: h.size, ...x };
        out.set(p, rec);
        let seen = 0;
        if (h.size === 0) rec.sha256 = hash.digest('hex');
        return (c) => {
          hash.update(c);
          seen += c.length;
          if (seen === h.size) rec.sha256 = hash.digest('hex');
        };
      }
      case '5':
        out.set(p, { ...base, type: 'dir', ...x });
        return undefined;
      case '2':
        out.set(p, { ...base, type: 'symlink', link: pathText(h.linkname), ...x });
        return undefined;
      case '1': {
        const target = entryPath(h.linkname);
        const t = out.get(target);
        if (!t) throw new Error(`tar: hardlink ${p} to ${target}, which is not before it`);
        const group = groupOf.get(target) ?? [target];
        group.push(p);
        groupOf.set(target, group);
        groupOf.set(p, group);
        out.set(p, { ...t, path: p });
        return undefined;
      }
      case '3':
      case '4':
        out.set(p, { ...base, type: h.typeflag === '3' ? 'char' : 'block', dev: `${h.devmajor}:${h.devminor}`, ...x });
        return undefined;
      case '6':
        out.set(p, { ...base, type: 'fifo', ...x });
        return undefined;
      default:
        throw new Error(`tar: ${p} has typeflag ${h.typeflag}`);
    }
  });
  for (const g of new Set(groupOf.values())) {
    const paths = [...g].sort();
    for (const p of g) out.get(p)!.hardlinks = paths;
  }
  return out;
}
