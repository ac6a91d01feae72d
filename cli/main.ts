// The `d0` command dispatcher. Each file in cli/commands/ exports `command: Command` for one group
// (`d0 keygen`, `d0 manifest ...`, ...); adding a group is adding a file there.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CliError, EXIT_BAD_INPUT, EXIT_FAILED, type Command, type Io } from './io';
import { D0Error } from '../core/errors';

function loadCommands(): Map<string, Command> {
  const dir = path.join(__dirname, 'commands');
  const out = new Map<string, Command>();
  for (const f of fs.readdirSync(dir).sort()) {
    if (!f.endsWith('.ts') || f.endsWith('.d.ts')) continue;
    const mod = require(path.join(dir, f)) as { command?: Command };
    if (mod.command) out.set(mod.command.name, mod.command);
  }
  return out;
}

function help(commands: Map<string, Command>, io: Io): void {
  io.out('usage: d0 <command> [args]');
  for (const c of commands.values()) for (const u of c.usage) io.out(`  d0 ${u}`);
}

export async function main(argv: string[], io: Io): Promise<number> {
  const commands = loadCommands();
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    help(commands, io);
    return name ? 0 : EXIT_BAD_INPUT;
  }
  const cmd = commands.get(name);
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
    if (e instanceof D0Error) {
      io.err(`d0 ${name}: ${e.message}`);
      return EXIT_FAILED;
    }
    throw e;
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
      process.stderr.write(`d0: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
      process.exitCode = EXIT_FAILED;
    },
  );
}

if (require.main === module) runCli();
