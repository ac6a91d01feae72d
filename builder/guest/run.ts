// Runs build commands with their output appended to a log file; a failure names the command and
// quotes the end of the log, so a broken build explains itself without flooding the console.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';

export interface RunOptions {
  readonly cwd: string;
  readonly logFile: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** How builders run commands; tests pass their own to prove that a cache hit runs nothing. */
export type Runner = (cmd: string, args: readonly string[], opts: RunOptions) => Promise<void>;

const TAIL_BYTES = 4000;

function tail(file: string): string {
  try {
    const buf = fs.readFileSync(file);
    return buf.subarray(Math.max(0, buf.length - TAIL_BYTES)).toString('utf8');
  } catch {
    return '';
  }
}

export const spawnRunner: Runner = (cmd, args, opts) =>
  new Promise((resolve, reject) => {
    const fd = fs.openSync(opts.logFile, 'a');
    fs.writeSync(fd, `$ ${cmd} ${args.join(' ')}\n`);
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', fd, fd],
    });
    child.on('error', (e) => {
      fs.closeSync(fd);
      reject(new Error(`${cmd}: could not start: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      fs.closeSync(fd);
      if (code === 0) return resolve();
      const how = signal ? `signal ${signal}` : `exit status ${code}`;
      reject(new Error(`${cmd} ${args.join(' ')} failed (${how}) in ${opts.cwd}; log ${opts.logFile}:\n${tail(opts.logFile)}`));
    });
  });
