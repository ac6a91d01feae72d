// Reads an ext4 image's names, attributes and contents back as raw bytes, through debugfs only,
// addressing every inode by number (`ls -p <12>`, `ea_list <12>`, `dump <12> FILE`): no name from
// the image is ever put on a debugfs command line, so a hostile name cannot become a command and
// non-UTF-8 or newline-bearing names come back byte-exact. Names are binary strings (one char per
// byte, latin1), as builder/oci keeps them.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface RawDirent {
  ino: number;
  mode: number; // with the S_IFMT bits
  uid: number;
  gid: number;
  size: number; // regular files, else 0
}

export const S_IFMT = 0o170000;
export const TYPE = { file: 0o100000, dir: 0o040000, symlink: 0o120000, char: 0o020000, block: 0o060000, fifo: 0o010000 };

/**
 * Runs fixed debugfs commands (inode numbers, paths the test chose) and returns stdout as a binary
 * string. One command runs with -R (no echo); several from a file, each echoed as "debugfs: CMD".
 */
export function debugfs(image: string, commands: string[]): string {
  if (commands.length === 1) {
    const r = spawnSync('debugfs', ['-R', commands[0], image], { encoding: 'latin1', maxBuffer: 256 * 2 ** 20 });
    if (r.status !== 0) throw new Error(`debugfs exited ${r.status}: ${r.stderr}`);
    return r.stdout;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-raw-'));
  try {
    const f = path.join(dir, 'cmds');
    fs.writeFileSync(f, commands.join('\n') + '\n');
    const r = spawnSync('debugfs', ['-f', f, image], { encoding: 'latin1', maxBuffer: 256 * 2 ** 20 });
    if (r.status !== 0) throw new Error(`debugfs exited ${r.status}: ${r.stderr}`);
    return r.stdout;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** `e2fsck -fn`: exit status and output. */
export function fsck(image: string): { status: number | null; output: string } {
  const r = spawnSync('e2fsck', ['-fn', image], { encoding: 'utf8' });
  return { status: r.status, output: r.stdout + r.stderr };
}

/** `ls -p` records: /ino/mode/uid/gid/name/size/ - a name holds any byte but '/' and NUL, newlines included. */
export function parseLsP(out: string): Map<string, RawDirent> {
  const entries = new Map<string, RawDirent>();
  // uid and gid are printed with %d: ids past 2^31 come out negative.
  const re = /\/(\d+)\/([0-7]+)\/(-?\d+)\/(-?\d+)\/([^/]*)\/(\d*)\/\n/g;
  const id = (s: string) => (+s < 0 ? +s + 2 ** 32 : +s);
  for (let m; (m = re.exec(out)); ) {
    if (m[5] === '.' || m[5] === '..') continue;
    entries.set(m[5], { ino: +m[1], mode: parseInt(m[2], 8), uid: id(m[3]), gid: id(m[4]), size: m[6] === '' ? 0 : +m[6] });
  }
  return entries;
}

/** Undoes e2fsprogs' print_c_string: \\ \" \' \n \t ... and \ooo. */
function cUnescape(s: string): Buffer {
  const out: number[] = [];
  const named: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11 };
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c !== '\\') {
      out.push(c.charCodeAt(0));
      continue;
    }
    const next = s[++i];
    if (/[0-7]/.test(next)) {
      out.push(parseInt(s.slice(i, i + 3), 8));
      i += 2;
    } else out.push(named[next] ?? next.charCodeAt(0));
  }
  return Buffer.from(out);
}

const isHex = (s: string) => /^(?:[0-9a-f]{2} )+$/.test(s);
const fromHex = (s: string) => Buffer.from(s.replace(/ /g, ''), 'hex');

/**
 * `ea_list` output -> name (binary string) -> value. debugfs prints a name or value that is
 * "printable enough" as a C string (names unquoted, values quoted) and anything else as hex bytes
 * each followed by a space.
 */
export function parseEaList(out: string): Map<string, Buffer> {
  const attrs = new Map<string, Buffer>();
  for (const line of out.split('\n')) {
    const m = /^ {2}(.+?) \((\d+)\)(?: = (.*))?$/.exec(line);
    if (!m) continue;
    const name = isHex(m[1]) ? fromHex(m[1]) : cUnescape(m[1]);
    const raw = m[3] ?? '';
    if (raw === '' && +m[2] > 0) {
      attrs.set(name.toString('latin1'), undefined as unknown as Buffer); // not printed (large): RawImage.xattrs fetches it
      continue;
    }
    const value = raw.startsWith('"') && raw.endsWith('"') && raw.length >= 2 ? cUnescape(raw.slice(1, -1)) : isHex(raw) ? fromHex(raw) : Buffer.alloc(0);
    if (value.length !== +m[2]) throw new Error(`ea_list: value of ${JSON.stringify(m[1])} decoded to ${value.length} bytes, debugfs says ${m[2]}`);
    attrs.set(name.toString('latin1'), value);
  }
  return attrs;
}

export class RawImage {
  constructor(readonly file: string) {}

  ls(ino: number): Map<string, RawDirent> {
    return parseLsP(debugfs(this.file, [`ls -p <${ino}>`]));
  }

  /** The directory entry at parts (binary names) from the root, or undefined. */
  lookup(parts: string[]): RawDirent | undefined {
    let ent: RawDirent | undefined = { ino: 2, mode: TYPE.dir, uid: 0, gid: 0, size: 0 };
    for (const p of parts) {
      if (!ent || (ent.mode & S_IFMT) !== TYPE.dir) return undefined;
      ent = this.ls(ent.ino).get(p);
    }
    return ent;
  }

  get(parts: string[]): RawDirent {
    const e = this.lookup(parts);
    if (!e) throw new Error(`${JSON.stringify(parts.join('/'))} is not in ${this.file}`);
    return e;
  }

  /** Every attribute; values debugfs does not print in a listing (large ones) are read with ea_get. */
  xattrs(ino: number): Map<string, Buffer> {
    const attrs = parseEaList(debugfs(this.file, [`ea_list <${ino}>`]));
    for (const [name, value] of attrs) {
      if (value !== undefined) continue;
      // Only a name made of plain characters goes on a command line.
      if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`ea_list printed no value for ${JSON.stringify(name)}`);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-raw-'));
      try {
        const f = path.join(dir, 'value');
        debugfs(this.file, [`ea_get -f ${f} <${ino}> ${name}`]);
        attrs.set(name, fs.readFileSync(f));
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
    return attrs;
  }

  stat(ino: number): string {
    return debugfs(this.file, [`stat <${ino}>`]);
  }

  links(ino: number): number {
    return +/Links: (\d+)/.exec(this.stat(ino))![1];
  }

  content(ino: number): Buffer {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-raw-'));
    try {
      const f = path.join(dir, 'content');
      debugfs(this.file, [`dump <${ino}> ${f}`]);
      return fs.readFileSync(f);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  /** A symlink's target, byte-exact: a fast link's from `stat` (Size bytes after the quote), a slow one's by `cat`. */
  target(ino: number): string {
    const st = this.stat(ino);
    const size = +/\bSize: (\d+)/.exec(st)![1];
    const at = st.indexOf('Fast link dest: "');
    if (at < 0) return debugfs(this.file, [`cat <${ino}>`]);
    const start = at + 'Fast link dest: "'.length;
    return st.slice(start, start + size);
  }

  device(ino: number): [number, number] {
    const m = /Device major\/minor number: (\d+):(\d+)/.exec(this.stat(ino))!;
    return [+m[1], +m[2]];
  }
}
