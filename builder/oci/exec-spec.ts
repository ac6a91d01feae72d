// The exec spec read by the guest's PID1 from /.d0/exec (contract in guest/README.md):
// UTF-8, one "key value" per line, first line "d0-exec 1". Values escape '\' as "\\", newline
// as "\n", other bytes < 0x20 and 0x7f as "\xHH".
export interface ExecSpec {
  args: string[]; // argv, argv[0] first; at least one
  env: string[]; // NAME=VALUE, in order
  cwd: string; // absolute
  uid: number;
  gid: number;
  groups: number[]; // supplementary gids
  path?: string; // executable path when resolved at build time
}

export function escapeValue(v: string): string {
  let out = '';
  for (const ch of v) {
    const c = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out;
}

export function unescapeValue(v: string): string {
  return v.replace(/\\(\\|n|x([0-9a-fA-F]{2}))/g, (_, k: string, hex?: string) =>
    hex ? String.fromCharCode(parseInt(hex, 16)) : k === 'n' ? '\n' : '\\',
  );
}

export function encodeExecSpec(s: ExecSpec): string {
  const lines = ['d0-exec 1'];
  for (const a of s.args) lines.push(`arg ${escapeValue(a)}`);
  for (const e of s.env) lines.push(`env ${escapeValue(e)}`);
  lines.push(`cwd ${escapeValue(s.cwd)}`, `uid ${s.uid}`, `gid ${s.gid}`, `groups ${s.groups.join(' ')}`);
  if (s.path !== undefined) lines.push(`path ${escapeValue(s.path)}`);
  return lines.join('\n') + '\n';
}

export function decodeExecSpec(text: string): ExecSpec {
  const lines = text.split('\n');
  if (lines[0] !== 'd0-exec 1') throw new Error(`exec spec: first line is "${lines[0]}", expected "d0-exec 1"`);
  const s: ExecSpec = { args: [], env: [], cwd: '/', uid: 0, gid: 0, groups: [] };
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    const sp = line.indexOf(' ');
    const key = sp < 0 ? line : line.slice(0, sp);
    const value = sp < 0 ? '' : unescapeValue(line.slice(sp + 1));
    if (key === 'arg') s.args.push(value);
    else if (key === 'env') s.env.push(value);
    else if (key === 'cwd') s.cwd = value;
    else if (key === 'uid') s.uid = Number(value);
    else if (key === 'gid') s.gid = Number(value);
    else if (key === 'groups') s.groups = value === '' ? [] : value.split(' ').map(Number);
    else if (key === 'path') s.path = value;
    else throw new Error(`exec spec: unknown key "${key}"`);
  }
  return s;
}
