// Encodes /.d0/exec, the exec spec PID1 reads (contract: guest/README.md). Pure; the image builder
// and the guest tests both write specs with it.

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

export const EXEC_SPEC_MAX_BYTES = 1 << 20;

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

function checkId(what: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xfffffffe) throw new Error(`exec spec: ${what}: ${v} is not an id (0..4294967294)`);
}

export function encodeExecSpec(s: ExecSpec): Buffer {
  if (s.args.length === 0) throw new Error('exec spec: args: at least argv[0] is required');
  if (s.args[0] === '' && !s.path) throw new Error('exec spec: args[0] is empty and there is no path');
  const lines = ['d0-exec 1'];
  const bad = (what: string, v: string) => {
    if (v.includes('\0')) throw new Error(`exec spec: ${what}: contains a NUL byte`);
  };
  s.args.forEach((a, i) => {
    bad(`args[${i}]`, a);
    lines.push(`arg ${escapeExecValue(a)}`);
  });
  (s.env ?? []).forEach((e, i) => {
    bad(`env[${i}]`, e);
    if (e.indexOf('=') < 1) throw new Error(`exec spec: env[${i}]: expected NAME=VALUE: ${JSON.stringify(e)}`);
    lines.push(`env ${escapeExecValue(e)}`);
  });
  if (s.cwd !== undefined) {
    bad('cwd', s.cwd);
    if (!s.cwd.startsWith('/')) throw new Error(`exec spec: cwd: ${JSON.stringify(s.cwd)} is not absolute`);
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
    if (s.path === '') throw new Error('exec spec: path: empty');
    lines.push(`path ${escapeExecValue(s.path)}`);
  }
  const out = Buffer.from(lines.join('\n') + '\n', 'utf8');
  if (out.length > EXEC_SPEC_MAX_BYTES) throw new Error(`exec spec: ${out.length} bytes, the limit is ${EXEC_SPEC_MAX_BYTES}`);
  return out;
}
