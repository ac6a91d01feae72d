// The `d0` command dispatcher. Each file cli/commands/<name>.ts exports `command: Command` with that
// name, for one group (`d0 keygen`, `d0 manifest ...`, ...); adding a group is adding a file there.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CliError, EXIT_BAD_INPUT, EXIT_FAILED, type Command, type Io } from './io';
import { errorCode } from '../core/errors';

const COMMANDS = path.join(__dirname, 'commands');
// '.ts' from the sources (tsx), '.js' in the compiled package (dist/cli/commands/*.js).
const EXT = path.extname(__filename);

/**
 * The group `name` lives in cli/commands/<name>.ts (.js once compiled). Only that file is loaded, so a group whose
 * dependencies are broken or slow to load never affects the others.
 */
function loadCommand(name: string): Command | undefined {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) return undefined;
  const file = path.join(COMMANDS, `${name}${EXT}`);
  if (!fs.existsSync(file)) return undefined;
  const mod = require(file) as { command?: Command };
  return mod.command?.name === name ? mod.command : undefined;
}

function help(print: (line: string) => void): void {
  print('usage: d0 <command> [args]');
  for (const f of fs.readdirSync(COMMANDS).sort()) {
    if (!f.endsWith(EXT) || f.endsWith('.d.ts')) continue;
    const name = f.slice(0, -EXT.length);
    try {
      for (const u of loadCommand(name)?.usage ?? []) print(`  d0 ${u}`);
    } catch (e) {
      print(`  d0 ${name} ...   (cannot load: ${(e as Error).message.split('\n')[0]})`);
    }
  }
}


export async function main(argv: string[], io: Io): Promise<number> {
  // --debug anywhere (or D0_DEBUG=1) adds the stack to an unexpected error; it is no command flag.
  const debug = argv.includes('--debug') || io.env.D0_DEBUG === '1';
  const [name, ...rest] = argv.filter((a) => a !== '--debug');
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    // Asked-for help goes to stdout; usage after a missing command is an error, on stderr.
    help(name ? io.out : io.err);
    return name ? 0 : EXIT_BAD_INPUT;
  }
  const cmd = loadCommand(name);
  if (!cmd) {
    io.err(`d0: unknown command ${JSON.stringify(name)} (try d0 help)`);
    return EXIT_BAD_INPUT;
  }
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    if (e instanceof CliError) {
      for (const l of e.lines) io.err(l);
      return e.exitCode;
    }
    // Any error of the product is a D0Error with a stable code and a message that names what and
    // where (a Node system error names its path): that message is what the user reads, on one line.
    if (errorCode(e)) {
      io.err(`d0 ${name}: ${(e as Error).message}`);
      if (debug) io.err((e as Error).stack ?? '');
      return EXIT_FAILED;
    }
    const errno = (e as NodeJS.ErrnoException)?.code;
    const message = (e as Error)?.message ?? String(e);
    io.err(`d0 ${name}: ${errno ? `${message}` : `unexpected error: ${message}`}`);
    io.err(debug ? ((e as Error)?.stack ?? '') : 'run again with --debug (or D0_DEBUG=1) for the stack trace');
    return EXIT_FAILED;
  }
}

/** Runs `d0` with the process's arguments and streams; sets process.exitCode. */
export function runCli(): void {
  const io: Io = {
    out: (l) => process.stdout.write(l + '\n'),
    err: (l) => process.stderr.write(l + '\n'),
    env: process.env,
  };
  main(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      // Only a failure of the dispatcher itself reaches this.
      process.stderr.write(`d0: ${(e as Error)?.message ?? String(e)}\n`);
      process.exitCode = EXIT_FAILED;
    },
  );
}

if (require.main === module) runCli();
