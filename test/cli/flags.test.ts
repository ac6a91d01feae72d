// parseFlags: a string option takes the next argument even when it starts with a dash (getopt's
// rule: `d0 image build ... --arg -c`), boolean options never do, and `--` ends the options.
import { strict as assert } from 'node:assert';
import { CliError, parseFlags } from '../../cli/io';

const OPTIONS = { arg: { type: 'string', multiple: true }, json: { type: 'boolean' }, out: { type: 'string' } } as const;

describe('d0 CLI: flag parsing', () => {
  it('takes a dash-led value for a string option', () => {
    const r = parseFlags(['SRC', '--arg', '-c', '--arg', 'echo hi', '--out', '-'], OPTIONS, 'u');
    assert.deepEqual(r.values.arg, ['-c', 'echo hi']);
    assert.equal(r.values.out, '-');
    assert.deepEqual(r.positionals, ['SRC']);
  });

  it('keeps --name=value, booleans and positionals after --', () => {
    const r = parseFlags(['--arg=-x', '--json', '--', '--arg', '-y'], OPTIONS, 'u');
    assert.deepEqual(r.values.arg, ['-x']);
    assert.equal(r.values.json, true);
    assert.deepEqual(r.positionals, ['--arg', '-y']);
  });

  it('still refuses an unknown option and a missing value, with the usage', () => {
    for (const args of [['--nope'], ['--out']]) {
      assert.throws(() => parseFlags(args, OPTIONS, 'the usage'), (e: CliError) => e.exitCode === 2 && /usage: the usage/.test(e.lines.join('\n')));
    }
  });
});
