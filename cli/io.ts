// What every command shares: exit codes, the error type that carries one, and file writes that
// leave nothing behind on failure.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** 0 success; 1 a check failed (e.g. a signature does not verify); 2 bad input or usage. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_BAD_INPUT = 2;

/** Ends the command with `exitCode`; each line of `lines` goes to stderr. Never put secrets in it. */
export class CliError extends Error {
  constructor(
    readonly exitCode: number,
    readonly lines: readonly string[],
  ) {
    super(lines.join('\n'));
  }
}

export const badInput = (...lines: string[]) => new CliError(EXIT_BAD_INPUT, lines);

export interface Io {
  out(line: string): void;
  err(line: string): void;
  readonly env: NodeJS.ProcessEnv;
}

export interface Command {
  /** e.g. `manifest`; invoked as `d0 manifest ...`. */
  readonly name: string;
  /** One line per subcommand for `d0 help`. */
  readonly usage: readonly string[];
  run(args: string[], io: Io): Promise<number> | number;
}

type ParsedFlags<T extends ParseArgsConfig['options']> = ReturnType<
  typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>
>;

/** node:util parseArgs with usage errors turned into exit 2. */
export function parseFlags<T extends ParseArgsConfig['options']>(
  args: string[],
  options: T,
  usage: string,
): ParsedFlags<T> {
  // A string option takes the next argument as its value even when it starts with a dash, as
  // getopt does (`--arg -c`); node's parser alone would ask for `--arg=-c`.
  const takesValue = new Set(
    Object.entries(options ?? {}).filter(([, o]) => (o as { type?: string }).type === 'string').map(([name]) => `--${name}`),
  );
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--') {
      joined.push(...args.slice(i));
      break;
    }
    if (takesValue.has(args[i]) && i + 1 < args.length && args[i + 1].startsWith('-')) joined.push(`${args[i]}=${args[++i]}`);
    else joined.push(args[i]);
  }
  try {
    return parseArgs({ args: joined, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw badInput(`${(e as Error).message}`, `usage: ${usage}`);
  }
}

export function readFileOrFail(file: string, what: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw badInput(
      `${file}: cannot read ${what}${code === 'ENOENT' ? ' (no such file)' : code ? ` (${code})` : ''}`,
    );
  }
}

/**
 * Writes every file or none: each goes to a hidden temp name in its directory first and is renamed
 * into place only once all temps are written.
 */
export function writeAllOrNothing(
  files: readonly { path: string; data: Uint8Array | string; mode?: number }[],
): void {
  const temps: { tmp: string; final: string }[] = [];
  try {
    for (const f of files) {
      const tmp = path.join(
        path.dirname(f.path),
        `.${path.basename(f.path)}.${crypto.randomBytes(6).toString('hex')}.tmp`,
      );
      fs.writeFileSync(tmp, f.data, { mode: f.mode ?? 0o644, flag: 'wx' });
      fs.chmodSync(tmp, f.mode ?? 0o644);
      temps.push({ tmp, final: f.path });
    }
    for (const t of temps) fs.renameSync(t.tmp, t.final);
  } catch (e) {
    for (const t of temps) fs.rmSync(t.tmp, { force: true });
    throw new CliError(EXIT_FAILED, [
      `cannot write ${files.map((f) => f.path).join(', ')}: ${(e as Error).message}`,
    ]);
  }
}
