// Drives the real Pulumi engine (`pulumi` + `pulumi-language-nodejs`, see docs/pulumi-engine.md)
// from tests: a temp project with a file backend, a clean environment, a hard timeout per command,
// and typed parsers for the engine's JSON outputs.
//
// Contract: every command runs with an environment built here, not inherited: the engine bin dir
// (pulumi, the Node.js language host and the dynamic provider plugin) and node_modules/.bin come
// first on PATH; the state lives in a file:// backend inside the workspace; PULUMI_HOME is private to the
// workspace (no ambient plugins or credentials); update checks and plugin downloads are off.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { KERNEL_MODE_ENV } from '../../builder/d0-efi/mode';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
const NODE_MODULES = path.join(REPO_ROOT, 'node_modules');
const ENGINE_FILES = ['pulumi', 'pulumi-language-nodejs', 'pulumi-resource-pulumi-nodejs'];

/** A cold engine build takes many minutes on 2 cores; a cached one answers in about a second. */
export const ENGINE_BUILD_TIMEOUT_MS = 60 * 60_000;
export const DEFAULT_COMMAND_TIMEOUT_MS = 180_000;

let engineBinDir: Promise<string> | undefined;

/**
 * The directory holding the engine (ENGINE_FILES), from scripts/pulumi-engine (which
 * builds them once into $D0_CACHE). Rejects with the script's stderr when no engine can be had:
 * tests that need the engine must fail, not skip, on a machine where it cannot be built.
 */
export function pulumiEngineBinDir(): Promise<string> {
  engineBinDir ??= (async () => {
    const script = path.join(REPO_ROOT, 'scripts', 'pulumi-engine');
    const r = await runCommand(script, [], { cwd: REPO_ROOT, timeoutMs: ENGINE_BUILD_TIMEOUT_MS });
    const dir = r.stdout.trim();
    if (r.code !== 0 || !dir) {
      throw new Error(
        `Pulumi engine unavailable: scripts/pulumi-engine ${describeExit(r)}\n${tail(r.stderr, 40)}`,
      );
    }
    for (const bin of ENGINE_FILES) {
      if (!fs.existsSync(path.join(dir, bin))) {
        throw new Error(`Pulumi engine unavailable: ${bin} missing from ${dir}`);
      }
    }
    return dir;
  })();
  return engineBinDir;
}

export interface PulumiEnvOptions {
  binDir: string;
  /** file:// URL of the state backend. */
  backendUrl: string;
  /** Private PULUMI_HOME (plugin cache, credentials, workspace settings). */
  pulumiHome: string;
  passphrase: string;
  /** Added last, so a test can override anything above (e.g. to prove a variable matters). */
  extra?: NodeJS.ProcessEnv;
}

/** The system's own PATH directories, after the tools a test puts first. */
export const SYSTEM_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/**
 * The whole environment of an engine command; nothing else leaks in from the test process but
 * D0_KERNEL_MODE: the pin scripts/test gives a test process that must not use the Docker engine
 * (docs/ci.md) holds for the builds its providers make too.
 */
export function pulumiEnv(o: PulumiEnvOptions): NodeJS.ProcessEnv {
  const pin = process.env[KERNEL_MODE_ENV];
  const pathDirs = [
    o.binDir,
    path.join(NODE_MODULES, '.bin'),
    path.dirname(process.execPath), // the same node that runs the tests runs the program
    ...SYSTEM_PATH,
  ];
  return {
    PATH: pathDirs.join(path.delimiter),
    HOME: o.pulumiHome,
    TMPDIR: process.env.TMPDIR ?? os.tmpdir(),
    LANG: 'C.UTF-8',
    PULUMI_HOME: o.pulumiHome,
    PULUMI_BACKEND_URL: o.backendUrl,
    PULUMI_CONFIG_PASSPHRASE: o.passphrase,
    PULUMI_SKIP_UPDATE_CHECK: 'true',
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: 'true',
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: 'true',
    PULUMI_SKIP_CONFIRMATIONS: 'true',
    PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: 'true',
    ...(pin ? { [KERNEL_MODE_ENV]: pin } : {}),
    ...o.extra,
  };
}

export interface WorkspaceOptions {
  /** Files of the project, relative path -> content. Pulumi.yaml is required. */
  files: Record<string, string>;
  passphrase?: string;
  /**
   * Lay out node_modules with `nodeModules(projectDir)` instead of linking it to this checkout's
   * (e.g. package.ts's linkPackageModules, so the project imports this package by name).
   */
  nodeModules?: (projectDir: string) => void;
}

export interface RunOptions {
  timeoutMs?: number;
  /** Merged over the workspace environment for this command only. */
  env?: NodeJS.ProcessEnv;
  /** Written to the command's stdin (then closed). */
  input?: string;
}

/** A temp Pulumi project (linked to this repo's node_modules) with its own file backend. */
export class PulumiWorkspace {
  readonly root: string;
  readonly projectDir: string;
  readonly backendDir: string;
  readonly env: NodeJS.ProcessEnv;

  private constructor(
    root: string,
    readonly binDir: string,
    passphrase: string,
  ) {
    this.root = root;
    this.projectDir = path.join(root, 'project');
    this.backendDir = path.join(root, 'state');
    const pulumiHome = path.join(root, 'pulumi-home');
    for (const d of [this.projectDir, this.backendDir, pulumiHome]) fs.mkdirSync(d);
    this.env = pulumiEnv({
      binDir,
      backendUrl: `file://${this.backendDir}`,
      pulumiHome,
      passphrase,
    });
  }

  static async create(o: WorkspaceOptions): Promise<PulumiWorkspace> {
    if (!('Pulumi.yaml' in o.files))
      throw new Error('PulumiWorkspace: files must include Pulumi.yaml');
    const binDir = await pulumiEngineBinDir();
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-pulumi-'));
    const ws = new PulumiWorkspace(root, binDir, o.passphrase ?? 'd0-test-passphrase');
    if (o.nodeModules) o.nodeModules(ws.projectDir);
    else fs.symlinkSync(NODE_MODULES, path.join(ws.projectDir, 'node_modules'), 'dir');
    for (const [rel, content] of Object.entries(o.files)) ws.writeFile(rel, content);
    return ws;
  }

  writeFile(rel: string, content: string): void {
    const file = path.join(this.projectDir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }

  /** Runs `pulumi <args>` in the project; never throws on a failing command (see expectOk). */
  pulumi(args: string[], o: RunOptions = {}): Promise<CommandResult> {
    return runCommand(
      path.join(this.binDir, 'pulumi'),
      [...args, '--non-interactive', '--color=never'],
      {
        cwd: this.projectDir,
        env: { ...this.env, ...o.env },
        timeoutMs: o.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
        input: o.input,
        cleanEnv: true,
      },
    );
  }

  /** Runs `pulumi <args>` and throws with the command, exit and output tail unless it exits 0. */
  async pulumiOk(args: string[], o: RunOptions = {}): Promise<CommandResult> {
    return expectOk(await this.pulumi(args, o));
  }

  /** Removes the workspace (project, state, PULUMI_HOME). */
  dispose(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

export function expectOk(r: CommandResult): CommandResult {
  if (r.code === 0) return r;
  throw new Error(
    `${r.command} ${describeExit(r)}\n--- stdout (tail)\n${tail(r.stdout, 30)}\n--- stderr (tail)\n${tail(r.stderr, 30)}`,
  );
}

function describeExit(r: CommandResult): string {
  if (r.timedOut) return `timed out after ${r.durationMs} ms (process group killed)`;
  if (r.signal) return `was killed by ${r.signal}`;
  return `exited with ${r.code}`;
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

// ---- Running a command with a hard timeout -------------------------------------------------

export interface CommandResult {
  /** The command line, for messages. */
  command: string;
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** True when the timeout fired and the process group was killed. */
  timedOut: boolean;
  durationMs: number;
}

export interface CommandOptions {
  cwd: string;
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
  /** Use env as the whole environment instead of merging it over process.env. */
  cleanEnv?: boolean;
  input?: string;
}

/**
 * Runs a command in its own process group. On timeout the whole group gets SIGKILL (the engine's
 * language host, node program and provider plugins included); after a normal exit any member
 * still alive is killed too, so no test leaves a process behind. Never rejects for a failing
 * command: the caller asserts on the result.
 */
export function runCommand(
  file: string,
  args: string[],
  o: CommandOptions,
): Promise<CommandResult> {
  const command = [file, ...args].join(' ');
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: o.cwd,
      env: o.cleanEnv ? o.env : { ...process.env, ...o.env },
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => {}); // the command may exit without reading its input
    child.stdin.end(o.input ?? '');
    let timedOut = false;
    const killGroup = () => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* the group is already gone */
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, o.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${command}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      killGroup();
      resolve({
        command,
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        timedOut,
        durationMs: Date.now() - started,
      });
    });
  });
}

// ---- Parsing the engine's JSON outputs ------------------------------------------------------
// Only the fields tests rely on are typed; each parser checks them and names what is wrong.

export interface PreviewStep {
  op: string;
  urn: string;
  type?: string;
  /** Keys the provider's diff named; the engine omits them for dynamic resources (see changedInputs). */
  diffReasons?: string[];
  detailedDiff?: Record<string, { kind: string; inputDiff?: boolean }> | null;
  oldState?: { inputs?: Record<string, unknown>; outputs?: Record<string, unknown> };
  newState?: { type?: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> };
}

export interface PreviewDiagnostic {
  message: string;
  severity: string;
  urn?: string;
}

export interface PreviewJson {
  steps: PreviewStep[];
  /** op -> count, e.g. { same: 1, update: 1 }. */
  changeSummary: Record<string, number>;
  diagnostics: PreviewDiagnostic[];
}

export interface StateResource {
  urn: string;
  type: string;
  id?: string;
  custom?: boolean;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}

export interface StackExport {
  version: number;
  deployment: { resources: StateResource[] };
}

/** Parses stdout of `pulumi preview --json` (a failed preview still prints it, with diagnostics). */
export function parsePreviewJson(stdout: string): PreviewJson {
  const v = parseJsonObject('pulumi preview --json', stdout);
  const steps = v.steps ?? [];
  if (!Array.isArray(steps)) throw new Error('pulumi preview --json: "steps" is not an array');
  steps.forEach((s: unknown, i: number) => {
    if (!isObject(s) || typeof s.op !== 'string' || typeof s.urn !== 'string') {
      throw new Error(`pulumi preview --json: steps[${i}] lacks a string "op" and "urn"`);
    }
  });
  const changeSummary = v.changeSummary ?? {};
  if (
    !isObject(changeSummary) ||
    !Object.values(changeSummary).every((n) => typeof n === 'number')
  ) {
    throw new Error('pulumi preview --json: "changeSummary" is not an object of counts');
  }
  const diagnostics = v.diagnostics ?? [];
  if (!Array.isArray(diagnostics))
    throw new Error('pulumi preview --json: "diagnostics" is not an array');
  return {
    steps: steps as PreviewStep[],
    changeSummary: changeSummary as Record<string, number>,
    diagnostics: diagnostics as PreviewDiagnostic[],
  };
}

/**
 * Input keys whose values differ between a step's old and new state, sorted. `pulumi preview
 * --json` leaves diffReasons empty for dynamic resources, so this is how a test reads "which
 * property changed" from the JSON plan (the text of `pulumi preview --diff` shows the same).
 */
export function changedInputs(step: PreviewStep): string[] {
  const olds = step.oldState?.inputs ?? {};
  const news = step.newState?.inputs ?? {};
  const keys = new Set([...Object.keys(olds), ...Object.keys(news)]);
  return [...keys].filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k])).sort();
}

/** Parses stdout of `pulumi stack output --json` (output name -> value). */
export function parseStackOutputs(stdout: string): Record<string, unknown> {
  return parseJsonObject('pulumi stack output --json', stdout);
}

/** Parses stdout of `pulumi stack export`. An empty stack may have no "resources" at all. */
export function parseStackExport(stdout: string): StackExport {
  const v = parseJsonObject('pulumi stack export', stdout);
  if (typeof v.version !== 'number')
    throw new Error('pulumi stack export: "version" is not a number');
  if (!isObject(v.deployment))
    throw new Error('pulumi stack export: "deployment" is not an object');
  const resources = v.deployment.resources ?? [];
  if (!Array.isArray(resources))
    throw new Error('pulumi stack export: "deployment.resources" is not an array');
  resources.forEach((r: unknown, i: number) => {
    if (!isObject(r) || typeof r.urn !== 'string' || typeof r.type !== 'string') {
      throw new Error(
        `pulumi stack export: deployment.resources[${i}] lacks a string "urn" and "type"`,
      );
    }
  });
  return { version: v.version, deployment: { resources: resources as StateResource[] } };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function parseJsonObject(what: string, text: string): Record<string, any> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    const head = text.trim().slice(0, 120);
    throw new Error(
      `${what}: output is not JSON (${(e as Error).message}); it starts with: ${JSON.stringify(head)}`,
    );
  }
  if (!isObject(v)) throw new Error(`${what}: output is JSON but not an object`);
  return v;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function isObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
