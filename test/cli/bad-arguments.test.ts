// Every `d0` command, driven from its own usage line with bad arguments: no arguments, an unknown
// flag, and every placeholder (SOURCE, X.img, KEY.pub, DIR, ...) given a missing path, a
// directory, an empty file and a file of random bytes. Whatever the input, the user reads a short
// message naming the problem, the exit code is 1 or 2, and no stack trace or "unexpected error"
// reaches them (only --debug shows a stack).
import { strict as assert } from 'node:assert';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../cli/main';
import type { Io } from '../../cli/io';

interface Result {
  code: number;
  out: string[];
  err: string[];
}

async function d0(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<Result> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (l) => out.push(l), err: (l) => err.push(l), env: { D0_SIGNING_KEY: '', ...env } };
  const code = await main(argv, io);
  return { code, out, err };
}

/** `d0 help` lines -> [command words, the rest of the usage]. */
async function usages(): Promise<{ words: string[]; usage: string }[]> {
  const { out } = await d0(['help']);
  return out
    .filter((l) => l.startsWith('  d0 '))
    .map((l) => l.trim().replace(/\s{2,}\(.*$/, ''))
    .map((l) => {
      const tokens = l.split(/\s+/).slice(1);
      const firstArg = tokens.findIndex((t, i) => i > 0 && !/^[a-z][a-z-]*$/.test(t));
      const cut = firstArg < 0 ? tokens.length : firstArg;
      return { words: tokens.slice(0, cut), usage: tokens.slice(cut).join(' ') };
    });
}

/** Required positional placeholders and required `--flag VALUE` pairs of a usage string. */
function required(usage: string): { positionals: string[]; flags: string[] } {
  const bare = usage.replace(/\[[^\]]*\](\.\.\.)?/g, ' ');
  const tokens = bare.split(/\s+/).filter(Boolean);
  const positionals: string[] = [];
  const flags: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i].startsWith('--')) {
      flags.push(tokens[i]);
      i++;
    } else {
      positionals.push(tokens[i]);
    }
  }
  return { positionals, flags };
}

function assertClean(argv: string[], r: Result): void {
  const what = `d0 ${argv.join(' ')}`;
  assert.ok(r.code === 1 || r.code === 2, `${what}: exit ${r.code}, expected 1 or 2\n${r.err.join('\n')}`);
  const text = r.err.join('\n');
  assert.ok(r.err.length > 0 && text.trim() !== '', `${what}: no message`);
  assert.doesNotMatch(text, /^\s+at /m, `${what}: a stack trace reached the user:\n${text}`);
  assert.doesNotMatch(text, /internal error|unexpected error/i, `${what}:\n${text}`);
  assert.ok(r.err.length <= 4, `${what}: ${r.err.length} lines of error:\n${text}`);
}

describe('d0 CLI: bad arguments give a message, never a stack trace', function () {
  this.timeout(300_000);
  let dir: string;
  let bad: Record<string, string>;
  let canary: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-cli-bad-'));
    bad = {
      missing: path.join(dir, 'missing', 'nothing-here'),
      directory: path.join(dir, 'a-directory'),
      empty: path.join(dir, 'empty'),
      random: path.join(dir, 'random.bin'),
    };
    fs.mkdirSync(bad.directory);
    fs.writeFileSync(bad.empty, '');
    fs.writeFileSync(bad.random, crypto.randomBytes(70_000));
    canary = path.join(dir, 'canary');
    fs.writeFileSync(canary, 'untouched');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('covers every command of d0 help', async () => {
    const all = await usages();
    const groups = new Set(all.map((u) => u.words[0]));
    for (const g of ['disk', 'engine', 'guest', 'image', 'keygen', 'manifest', 'run']) assert.ok(groups.has(g), `d0 help lists no ${g}`);
    assert.ok(all.length >= 12, `only ${all.length} usage lines`);
  });

  it('no arguments and unknown flags', async () => {
    for (const { words, usage } of await usages()) {
      // A usage that requires nothing (`engine start`) is a valid call without arguments.
      const { positionals, flags } = required(usage);
      const bare = positionals.length + flags.length > 0 ? [words] : [];
      for (const argv of [...bare, [...words, '--no-such-flag'], [...words, '--no-such-flag=1', 'x', 'y']]) assertClean(argv, await d0(argv));
    }
    assertClean(['no-such-command'], await d0(['no-such-command']));
  });

  for (const kind of ['missing', 'directory', 'empty', 'random'] as const) {
    it(`every placeholder as a ${kind} path`, async () => {
      for (const { words, usage } of await usages()) {
        const { positionals, flags } = required(usage);
        // Nothing read from a path (`engine stop`, `guest build --out DIR`): no bad input to give.
        if (positionals.length === 0 && flags.every((f) => f === '--out') && words[0] !== 'keygen') continue;
        const outDir = fs.mkdtempSync(path.join(dir, 'out-'));
        const argv = [...words];
        argv.push(...positionals.map(() => bad[kind]));
        // A flag named --out gets a fresh place to write into: what matters is the input.
        for (const f of flags) argv.push(f, f === '--out' ? path.join(outDir, 'out') : bad[kind]);
        if (words[0] === 'run') argv.push('--timeout', '5');
        const r = await d0(argv);
        if (words.join(' ') === 'keygen' && r.code === 0) continue; // keygen takes no input file
        assertClean(argv, r);
        assert.deepEqual(fs.readdirSync(outDir), [], `d0 ${argv.join(' ')} wrote ${fs.readdirSync(outDir).join(', ')}`);
      }
      assert.equal(fs.readFileSync(canary, 'utf8'), 'untouched');
    });
  }

  it('--debug and D0_DEBUG=1 are taken by d0 itself, not by the command (same message, same exit)', async () => {
    const argv = ['disk', 'build', '--slot-a', bad.missing, '--out', path.join(dir, 'never.img')];
    const plain = await d0(argv);
    assertClean(argv, plain);
    for (const r of [await d0([...argv, '--debug']), await d0(argv, { D0_DEBUG: '1' })]) {
      assert.equal(r.code, plain.code);
      assert.equal(r.err[0], plain.err[0]);
    }
  });
});
