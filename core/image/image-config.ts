// config.json (OCI image config / Docker image config) -> exec spec, plus the per-container
// overrides. Every config field is either used, reported as a warning, or rejected: see the
// table in builder/README.md. Nothing is dropped without a word.
import path from 'node:path';
import { fail } from './errors';
import type { ImageExecSpec } from './exec-spec';
import { resolveInTree, type DirInode, type FileInode } from './rootfs-tree';
import { binaryOf } from './tar-header';

/** Reads a file of the merged tree (its content is already in the disk image). */
export type ContentReader = (file: FileInode) => Buffer;

export interface ImageConfig {
  architecture?: string;
  os?: string;
  config?: Record<string, unknown> | null;
  rootfs?: { type?: string; diff_ids?: string[] };
}

export interface ExecOverrides {
  /** Replaces the image's Cmd (Docker `run IMAGE ARGS...` semantics); Entrypoint is kept. */
  args?: string[];
  /** Replaces Entrypoint (and then Cmd is dropped unless args are given), like `--entrypoint`. */
  entrypoint?: string[];
  /** NAME=VALUE, replacing a variable of the same name or appended. */
  env?: string[];
  cwd?: string;
  /** name, uid, uid:gid, name:group, uid:group, name:gid */
  user?: string;
}

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Fields with a value that a micro-VM does not honour: reported, then the build goes on. */
const WARN_FIELDS: Record<string, string> = {
  ExposedPorts: 'the VM has its own IP address; every port it listens on is reachable, none is mapped',
  Volumes: 'no volumes: these paths stay on the image disk',
  StopSignal: 'D0 stops a micro-VM by powering it off',
  Healthcheck: 'not run; D0 uses the container health_timeout_s',
  OnBuild: 'build-time only',
  Shell: 'build-time only',
  Labels: 'metadata, not used at run time',
  Tty: 'no interactive terminal; output goes to the VM console',
  OpenStdin: 'no stdin is attached',
  StdinOnce: 'no stdin is attached',
  AttachStdin: 'no stdin is attached',
  Hostname: 'the hostname comes from the manifest',
  Domainname: 'the hostname comes from the manifest',
  ArgsEscaped: 'Windows-only',
  MacAddress: 'the MAC address comes from the manifest',
  NetworkDisabled: 'networking comes from the manifest',
};
/** Fields used to build the exec spec, or harmless metadata Docker writes into every config. */
const USED_FIELDS = new Set(['Entrypoint', 'Cmd', 'Env', 'WorkingDir', 'User', 'Image', 'AttachStdout', 'AttachStderr']);

function isEmpty(v: unknown): boolean {
  return (
    v === undefined || v === null || v === false || v === '' ||
    (Array.isArray(v) && v.length === 0) ||
    (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0)
  );
}

function strings(v: unknown, field: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string'))
    fail('FORMAT_INVALID', `config.${field} is not a list of strings`);
  return v as string[];
}

export function checkPlatform(cfg: ImageConfig, image: string): void {
  if ((cfg.os ?? 'linux') !== 'linux' || (cfg.architecture ?? 'amd64') !== 'amd64')
    fail('PLATFORM_UNSUPPORTED', `${image}: platform ${cfg.os}/${cfg.architecture}; only linux/amd64 runs on D0`);
}

const lookup = (root: DirInode, file: string) => resolveInTree(root, binaryOf(file));

function readTreeText(root: DirInode, file: string, read: ContentReader): string | undefined {
  const node = lookup(root, file);
  if (node?.kind !== 'file' || node.size > 16 * 2 ** 20) return undefined;
  return read(node).toString('utf8');
}

interface DbLine { name: string; id: number; fields: string[] }
function parseDb(text: string | undefined): DbLine[] {
  if (!text) return [];
  return text
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 3 && /^\d+$/.test(f[2]) && Number(f[2]) <= 0xffffffff) // ids Linux has, else skipped
    .map((f) => ({ name: f[0], id: Number(f[2]), fields: f }));
}

interface ResolvedUser { uid: number; gid: number; groups: number[]; home?: string }

/**
 * A passwd gid field that is not a whole number (empty, "zz", negative, missing) reads as 0 - never
 * as NaN or a negative id in the exec spec (Docker's passwd parser reads a non-number as 0).
 */
const idField = (f: string | undefined) => (f !== undefined && /^\d+$/.test(f) ? Number(f) : 0);

export function resolveUser(root: DirInode, user: string, read: ContentReader): ResolvedUser {
  const passwd = parseDb(readTreeText(root, '/etc/passwd', read));
  const group = parseDb(readTreeText(root, '/etc/group', read));
  const [u, g] = user.split(':', 2) as [string, string | undefined];
  if (u === '' || (g !== undefined && g === '') || user.split(':').length > 2)
    fail('OVERRIDE_INVALID', `user "${user}": expected name, uid, uid:gid or name:group`);
  let uid: number;
  let gid: number;
  let home: string | undefined;
  let userName: string | undefined;
  const pw = /^\d+$/.test(u) ? passwd.find((p) => p.id === Number(u)) : passwd.find((p) => p.name === u);
  if (/^\d+$/.test(u)) {
    uid = Number(u);
    gid = pw ? idField(pw.fields[3]) : 0;
  } else {
    if (!pw) fail('USER_UNKNOWN', `user "${u}" is not in the image's /etc/passwd`);
    uid = pw.id;
    gid = idField(pw.fields[3]);
  }
  if (pw) {
    userName = pw.name;
    home = pw.fields[5];
  }
  if (g !== undefined) {
    if (/^\d+$/.test(g)) gid = Number(g);
    else {
      const gr = group.find((x) => x.name === g);
      if (!gr) fail('USER_UNKNOWN', `group "${g}" is not in the image's /etc/group`);
      gid = gr.id;
    }
  }
  if (uid > 0xffffffff || gid > 0xffffffff) fail('OVERRIDE_INVALID', `user "${user}": id out of range`);
  // Supplementary groups as Docker computes them: every group listing the user by name, plus the
  // primary gid.
  const groups = new Set<number>([gid]);
  if (userName !== undefined)
    for (const gr of group) if ((gr.fields[3] ?? '').split(',').includes(userName)) groups.add(gr.id);
  return { uid, gid, groups: [...groups].sort((a, b) => a - b), home };
}

function mergeEnv(base: string[], extra: string[], what: string): string[] {
  const out = [...base];
  for (const kv of extra) {
    const eq = kv.indexOf('=');
    if (eq <= 0) fail(what === 'override' ? 'OVERRIDE_INVALID' : 'FORMAT_INVALID', `${what} env "${kv}": expected NAME=VALUE`);
    const name = kv.slice(0, eq);
    const i = out.findIndex((e) => e.startsWith(name + '='));
    if (i >= 0) out[i] = kv;
    else out.push(kv);
  }
  return out;
}

/** PATH entries searched for argv[0]: each lookup is bounded (resolveInTree), and so is their number. */
const MAX_PATH_ENTRIES = 1024;

function findExecutable(root: DirInode, argv0: string, env: string[], cwd: string): string | undefined {
  const candidates = argv0.includes('/')
    ? [path.posix.resolve(cwd, argv0)]
    : (env.find((e) => e.startsWith('PATH='))?.slice(5) ?? '').split(':').filter(Boolean).slice(0, MAX_PATH_ENTRIES).map((d) => path.posix.join(d, argv0));
  for (const c of candidates) {
    const node = lookup(root, c);
    if (node?.kind === 'file' && (node.mode & 0o111) !== 0) return c;
  }
  return undefined;
}

export function execSpecFromConfig(
  cfg: ImageConfig,
  root: DirInode,
  ov: ExecOverrides,
  image: string,
  read: ContentReader,
): { spec: ImageExecSpec; warnings: string[] } {
  const c = cfg.config ?? {};
  const warnings: string[] = [];
  for (const [field, value] of Object.entries(c)) {
    if (USED_FIELDS.has(field) || isEmpty(value)) continue;
    if (field in WARN_FIELDS) warnings.push(`config.${field} ignored: ${WARN_FIELDS[field]}`);
    else warnings.push(`config.${field} ignored: not supported by D0`);
  }
  const entrypoint = ov.entrypoint ?? strings(c.Entrypoint, 'Entrypoint');
  const cmd = ov.args ?? (ov.entrypoint ? [] : strings(c.Cmd, 'Cmd'));
  const args = [...entrypoint, ...cmd];
  if (args.length === 0) fail('COMMAND_MISSING', `${image}: no command (neither Entrypoint nor Cmd, and no args given)`);

  const user = resolveUser(root, ov.user ?? ((c.User as string | undefined) || '0'), read);
  let env = strings(c.Env, 'Env');
  if (!env.some((e) => e.startsWith('PATH='))) env = [...env, DEFAULT_PATH];
  if (!env.some((e) => e.startsWith('HOME='))) env = [...env, `HOME=${user.home || '/'}`];
  env = mergeEnv(env, ov.env ?? [], 'override');

  const cwd = ov.cwd ?? ((c.WorkingDir as string | undefined) || '/');
  if (!cwd.startsWith('/')) fail(ov.cwd ? 'OVERRIDE_INVALID' : 'FORMAT_INVALID', `working directory "${cwd}" is not absolute`);
  if (lookup(root, cwd)?.kind !== 'dir')
    warnings.push(`working directory ${cwd} does not exist in the image`);

  const exe = findExecutable(root, args[0], env, cwd);
  if (exe === undefined)
    fail('COMMAND_MISSING', `${image}: command "${args[0]}" is not an executable file in the image (PATH and cwd searched)`);
  return { spec: { args, env, cwd, uid: user.uid, gid: user.gid, groups: user.groups, path: exe }, warnings };
}
