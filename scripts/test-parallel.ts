// Runs the test suites as the mocha processes of scripts/test-parts.ts: the side-by-side parts at
// once, then each part marked `alone` by itself (scripts/test calls this; docs/ci.md, "Two test
// processes"). Arguments go to every process (--grep X, --bail).
//
// Output: each process writes its own log (a temporary directory, named at the start); the first
// process's output is shown as it comes, each next one's from its beginning once the one before
// has ended, so no two processes' lines interleave. The run ends with the slowest files of all
// processes, one line per process, and ONE "tests: N passed, N failed, N skipped" line summing
// them (scripts/test-results.ts). Exits 1 when any process failed, 2 when the partition is wrong.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assignParts, runPhases, testFiles } from './test-assign';
import { TEST_PARTS, type TestPart } from './test-parts';
import { closingText, readPartResult, type FinishedPart } from './test-results';

const ROOT = path.resolve(__dirname, '..');
const MOCHA = require.resolve('mocha/bin/mocha.js', { paths: [ROOT] });

interface Running {
  part: TestPart;
  files: string[];
  logFile: string;
  resultFile: string;
  /** Output not shown yet (the process is not the one being shown). */
  held: Buffer[];
  closed: boolean;
  child: ChildProcess;
  finished: Promise<FinishedPart>;
}

function describePart(r: Running): string {
  const env = Object.entries(r.part.env).map(([k, v]) => `${k}=${v}`);
  return `part ${r.part.name}: ${r.files.length} files${env.length ? `, ${env.join(' ')}` : ''}; log ${r.logFile}`;
}

function start(
  part: TestPart,
  files: string[],
  dir: string,
  args: string[],
  onData: (b: Buffer) => void,
): Running {
  const logFile = path.join(dir, `${part.name}.log`);
  const resultFile = path.join(dir, `${part.name}.json`);
  const log = fs.createWriteStream(logFile);
  const color = process.stdout.isTTY ? ['--color'] : [];
  const t0 = Date.now();
  const child = spawn(process.execPath, [MOCHA, ...color, ...files, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...part.env, D0_TEST_PART: part.name, D0_TEST_RESULT_FILE: resultFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const data = (b: Buffer) => {
    log.write(b);
    onData(b);
  };
  child.stdout!.on('data', data);
  child.stderr!.on('data', data);
  const finished = new Promise<FinishedPart>((resolve) => {
    const done = (exitCode: number | null) =>
      log.end(() =>
        resolve({
          name: part.name,
          exitCode,
          wallMs: Date.now() - t0,
          result: readPartResult(resultFile),
        }),
      );
    child.once('error', (e) => {
      log.write(`\ncannot start mocha (${MOCHA}): ${e.message}\n`);
      done(127);
    });
    child.once('close', (code) => done(code));
  });
  return { part, files, logFile, resultFile, held: [], closed: false, child, finished };
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  let assigned: Map<string, string[]>;
  try {
    assigned = assignParts(testFiles(ROOT), TEST_PARTS);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return 2;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-test-'));
  const running: Running[] = [];
  let shown = 0; // index of the process whose output goes to stdout as it comes
  const banner = (r: Running) => process.stdout.write(`\n===== ${describePart(r)} =====\n`);
  let stopping = false;
  const launch = (part: TestPart): Promise<FinishedPart> => {
    const files = assigned.get(part.name)!;
    const i = running.length;
    const r = start(part, files, dir, args, (b) => {
      if (i === shown) process.stdout.write(b);
      else running[i].held.push(b);
    });
    running.push(r);
    return r.finished.then((f) => {
      r.closed = true;
      advance();
      return f;
    });
  };
  // A part with no test file is not started.
  const [together = [], ...afterPhases] = runPhases(
    TEST_PARTS.filter((p) => assigned.get(p.name)!.length > 0),
  );
  const after = afterPhases.flat();
  const first = together.map(launch);
  process.stdout.write(
    `${running.length} mocha processes side by side, then ${after.length} alone (scripts/test-parts.ts):\n`,
  );
  for (const r of running) process.stdout.write(`  ${describePart(r)}\n`);
  for (const p of after)
    process.stdout.write(
      `  part ${p.name} (alone, afterwards): ${assigned.get(p.name)!.length} files\n`,
    );
  if (running.length > 0) banner(running[0]);

  // Forward a stop request to the mocha processes (and start no more), then report what they
  // had done.
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.on(sig, () => {
      stopping = true;
      running.forEach((r) => r.closed || r.child.kill(sig));
    });

  // When the shown process has ended, show the next: what it held so far, then live.
  const advance = () => {
    while (shown < running.length && running[shown].closed) {
      shown++;
      if (shown === running.length) break;
      banner(running[shown]);
      for (const b of running[shown].held) process.stdout.write(b);
      running[shown].held = [];
    }
  };
  const results = await Promise.all(first);
  for (const part of after) {
    if (stopping) break;
    const i = running.length;
    const finished = launch(part);
    if (shown === i) banner(running[i]);
    results.push(await finished);
  }
  const { text, failed } = closingText(results);
  process.stdout.write(text);
  return failed ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: Error) => {
    process.stderr.write(`scripts/test-parallel.ts: ${e.stack ?? e.message}\n`);
    process.exitCode = 1;
  },
);
