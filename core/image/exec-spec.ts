// The exec spec PID1 reads from /.d0/exec (contract in guest/README.md): UTF-8, one "key value"
// per line, first line "d0-exec 1". Values escape '\' as "\\", newline as "\n", other bytes
// < 0x20 and 0x7f as "\xHH". The one encoder and decoder: the image builder writes it, the guest
// tests write it, `d0 image inspect` reads it back. Pure.

/** A spec as a caller writes one: argv, and whatever else it sets (PID1's defaults otherwise). */
import { D0Error } from '../errors';
export interface ExecSpec {
  /** argv; argv[0] first. At least one. */
  readonly args: readonly string[];
  /** NAME=VALUE entries, in order. */
  readonly env?: readonly string[];
  /** Absolute; default /. */
  readonly cwd?: string;
  readonly uid?: number;
  readonly gid?: number;
  readonly groups?: readonly number[];
  /** The executable, when it is not argv[0] resolved through PATH. */
  readonly path?: string;
}

/** A spec with every field set, as an image's config resolves to one (and as decode returns it). */
export interface ImageExecSpec {
  args: string[];
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  groups: number[];
  path?: string;
}

export const EXEC_SPEC_MAX_BYTES = 1 << 20;

export class ExecSpecError extends D0Error {
  constructor(message: string) {
    super('EXEC_SPEC_INVALID', message);
    this.name = 'ExecSpecError';
  }
}

/** Escapes backslash as \\, newline as \n, any other byte < 0x20 or 0x7f as \xHH. */
export function escapeExecValue(v: string): string {
  let out = '';
  for (const ch of v) {
    const c = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out;
}

export function unescapeExecValue(v: string): string {
  return v.replace(/\\(\\|n|x([0-9a-fA-F]{2}))/g, (_, k: string, hex?: string) =>
    hex ? String.fromCharCode(parseInt(hex, 16)) : k === 'n' ? '\n' : '\\',
  );
}

function checkId(what: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xfffffffe) throw new ExecSpecError(`exec spec: ${what}: ${v} is not an id (0..4294967294)`);
}

export function encodeExecSpec(s: ExecSpec): Buffer {
  if (s.args.length === 0) throw new ExecSpecError('exec spec: args: at least argv[0] is required');
  if (s.args[0] === '' && !s.path) throw new ExecSpecError('exec spec: args[0] is empty and there is no path');
  const lines = ['d0-exec 1'];
  const bad = (what: string, v: string) => {
    if (v.includes('\0')) throw new ExecSpecError(`exec spec: ${what}: contains a NUL byte`);
  };
  s.args.forEach((a, i) => {
    bad(`args[${i}]`, a);
    lines.push(`arg ${escapeExecValue(a)}`);
  });
  (s.env ?? []).forEach((e, i) => {
    bad(`env[${i}]`, e);
    if (e.indexOf('=') < 1) throw new ExecSpecError(`exec spec: env[${i}]: expected NAME=VALUE: ${JSON.stringify(e)}`);
    lines.push(`env ${escapeExecValue(e)}`);
  });
  if (s.cwd !== undefined) {
    bad('cwd', s.cwd);
    if (!s.cwd.startsWith('/')) throw new ExecSpecError(`exec spec: cwd: ${JSON.stringify(s.cwd)} is not absolute`);
    lines.push(`cwd ${escapeExecValue(s.cwd)}`);
  }
  if (s.uid !== undefined) {
    checkId('uid', s.uid);
    lines.push(`uid ${s.uid}`);
  }
  if (s.gid !== undefined) {
    checkId('gid', s.gid);
    lines.push(`gid ${s.gid}`);
  }
  if (s.groups !== undefined) {
    s.groups.forEach((g, i) => checkId(`groups[${i}]`, g));
    lines.push(s.groups.length ? `groups ${s.groups.join(' ')}` : 'groups');
  }
  if (s.path !== undefined) {
    bad('path', s.path);
    if (s.path === '') throw new ExecSpecError('exec spec: path: empty');
    lines.push(`path ${escapeExecValue(s.path)}`);
  }
  const out = Buffer.from(lines.join('\n') + '\n', 'utf8');
  if (out.length > EXEC_SPEC_MAX_BYTES) throw new ExecSpecError(`exec spec: ${out.length} bytes, the limit is ${EXEC_SPEC_MAX_BYTES}`);
  return out;
}

export function decodeExecSpec(text: string): ImageExecSpec {
  const lines = text.split('\n');
  if (lines[0] !== 'd0-exec 1') throw new ExecSpecError(`exec spec: first line is "${lines[0]}", expected "d0-exec 1"`);
  const s: ImageExecSpec = { args: [], env: [], cwd: '/', uid: 0, gid: 0, groups: [] };
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    const sp = line.indexOf(' ');
    const key = sp < 0 ? line : line.slice(0, sp);
    const value = sp < 0 ? '' : unescapeExecValue(line.slice(sp + 1));
    if (key === 'arg') s.args.push(value);
    else if (key === 'env') s.env.push(value);
    else if (key === 'cwd') s.cwd = value;
    else if (key === 'uid') s.uid = Number(value);
    else if (key === 'gid') s.gid = Number(value);
    else if (key === 'groups') s.groups = value === '' ? [] : value.split(' ').map(Number);
    else if (key === 'path') s.path = value;
    else throw new ExecSpecError(`exec spec: unknown key "${key}"`);
  }
  return s;
}
