// The test harness of test/support/pulumi.ts on its own: process-group timeouts, the clean
// environment and the JSON parsers. None of this needs the engine, so it runs in milliseconds.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  PulumiWorkspace,
  REPO_ROOT,
  changedInputs,
  parsePreviewJson,
  parseStackExport,
  parseStackOutputs,
  pulumiEnv,
  runCommand,
} from '../support/pulumi';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('pulumi harness: runCommand', () => {
  it('kills the whole process group when the timeout fires', async () => {
    // The grandchild `sleep` is what an engine's plugin would be: not the direct child.
    const r = await runCommand('bash', ['-c', 'sleep 60 & echo $!; wait'], {
      cwd: '/',
      timeoutMs: 500,
    });
    assert.equal(r.timedOut, true);
    assert.equal(r.signal, 'SIGKILL');
    const grandchild = Number(r.stdout.trim());
    assert.ok(grandchild > 0, `no pid printed: ${JSON.stringify(r.stdout)}`);
    for (let i = 0; i < 40 && alive(grandchild); i++) await sleep(50);
    assert.equal(alive(grandchild), false, `sleep ${grandchild} survived the timeout`);
  });

  it('returns exit code, stdout and stderr of a failing command without throwing', async () => {
    const r = await runCommand('bash', ['-c', 'echo out; echo err >&2; exit 3'], {
      cwd: '/',
      timeoutMs: 10_000,
    });
    assert.deepEqual([r.code, r.stdout, r.stderr, r.timedOut], [3, 'out\n', 'err\n', false]);
  });

  it('passes only the given environment when cleanEnv is set', async () => {
    process.env.D0_HARNESS_CANARY = 'leaked';
    try {
      const r = await runCommand('/usr/bin/env', [], {
        cwd: '/',
        timeoutMs: 10_000,
        env: { ONLY: 'this' },
        cleanEnv: true,
      });
      assert.equal(r.stdout, 'ONLY=this\n');
    } finally {
      delete process.env.D0_HARNESS_CANARY;
    }
  });

  it('rejects with the command line when the file cannot be run', async () => {
    await assert.rejects(
      runCommand('/nonexistent/pulumi', ['version'], { cwd: '/', timeoutMs: 1000 }),
      /cannot run \/nonexistent\/pulumi version/,
    );
  });
});

describe('pulumi harness: environment and workspace', () => {
  it('builds the engine environment from scratch: engine first on PATH, file backend, no downloads', () => {
    process.env.D0_HARNESS_CANARY = 'leaked';
    try {
      const env = pulumiEnv({
        binDir: '/engine/bin',
        backendUrl: 'file:///tmp/state',
        pulumiHome: '/tmp/home',
        passphrase: 'pp',
      });
      assert.equal(env.D0_HARNESS_CANARY, undefined);
      const dirs = (env.PATH ?? '').split(path.delimiter);
      assert.equal(dirs[0], '/engine/bin');
      assert.equal(dirs[1], path.join(REPO_ROOT, 'node_modules', '.bin'));
      assert.ok(
        dirs.includes(path.dirname(process.execPath)),
        `the test's node is not on ${env.PATH}`,
      );
      assert.equal(env.PULUMI_BACKEND_URL, 'file:///tmp/state');
      assert.equal(env.PULUMI_HOME, '/tmp/home');
      assert.equal(env.PULUMI_CONFIG_PASSPHRASE, 'pp');
      assert.equal(env.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION, 'true');
      assert.equal(env.PULUMI_SKIP_UPDATE_CHECK, 'true');
    } finally {
      delete process.env.D0_HARNESS_CANARY;
    }
  });

  it('passes D0_KERNEL_MODE through, so a pinned test process pins the builds of its providers', () => {
    const saved = process.env.D0_KERNEL_MODE;
    const opts = { binDir: '/b', backendUrl: 'file:///s', pulumiHome: '/h', passphrase: 'p' };
    try {
      process.env.D0_KERNEL_MODE = 'host';
      assert.equal(pulumiEnv(opts).D0_KERNEL_MODE, 'host');
      delete process.env.D0_KERNEL_MODE;
      assert.equal('D0_KERNEL_MODE' in pulumiEnv(opts), false);
    } finally {
      if (saved === undefined) delete process.env.D0_KERNEL_MODE;
      else process.env.D0_KERNEL_MODE = saved;
    }
  });

  it('refuses a workspace without Pulumi.yaml before touching the engine or the disk', async () => {
    await assert.rejects(
      PulumiWorkspace.create({ files: { 'index.js': '' } }),
      /must include Pulumi\.yaml/,
    );
  });
});

describe('pulumi harness: JSON parsers', () => {
  it('parses a preview with steps, change summary and diagnostics', () => {
    const p = parsePreviewJson(
      JSON.stringify({
        steps: [{ op: 'update', urn: 'urn:pulumi:dev::p::t::n', diffReasons: ['greeting'] }],
        changeSummary: { update: 1, same: 1 },
        diagnostics: [{ message: 'm', severity: 'warning' }],
      }),
    );
    assert.equal(p.steps[0].op, 'update');
    assert.deepEqual(p.steps[0].diffReasons, ['greeting']);
    assert.deepEqual(p.changeSummary, { update: 1, same: 1 });
    assert.equal(p.diagnostics[0].severity, 'warning');
  });

  it('reads the changed input keys of a step from its old and new state', () => {
    const step = {
      op: 'update',
      urn: 'u',
      oldState: { inputs: { greeting: 'hello', journal: '/j', gone: 1 } },
      newState: { inputs: { greeting: 'hello, D0', journal: '/j', added: [1] } },
    };
    assert.deepEqual(changedInputs(step), ['added', 'gone', 'greeting']);
    assert.deepEqual(changedInputs({ op: 'same', urn: 'u' }), []);
  });

  it('reads a preview without steps as an empty plan', () => {
    assert.deepEqual(parsePreviewJson('{}'), { steps: [], changeSummary: {}, diagnostics: [] });
  });

  it('names the command and shows the start of output that is not JSON', () => {
    assert.throws(
      () => parsePreviewJson('error: no stack selected\n'),
      /pulumi preview --json: output is not JSON .*"error: no stack selected"/,
    );
    assert.throws(() => parseStackOutputs(''), /pulumi stack output --json: output is not JSON/);
    assert.throws(
      () => parseStackOutputs('[1]'),
      /pulumi stack output --json: output is JSON but not an object/,
    );
  });

  it('names the field and index of a malformed preview', () => {
    assert.throws(() => parsePreviewJson('{"steps":{}}'), /"steps" is not an array/);
    assert.throws(
      () => parsePreviewJson('{"steps":[{"op":"same"}]}'),
      /steps\[0\] lacks a string "op" and "urn"/,
    );
    assert.throws(
      () => parsePreviewJson('{"changeSummary":{"same":"1"}}'),
      /"changeSummary" is not an object of counts/,
    );
    assert.throws(() => parsePreviewJson('{"diagnostics":"x"}'), /"diagnostics" is not an array/);
  });

  it('parses stack exports, with and without resources, and names malformed ones', () => {
    const full = parseStackExport(
      JSON.stringify({
        version: 3,
        deployment: { resources: [{ urn: 'u', type: 'pulumi:pulumi:Stack' }] },
      }),
    );
    assert.equal(full.deployment.resources[0].type, 'pulumi:pulumi:Stack');
    assert.deepEqual(parseStackExport('{"version":3,"deployment":{}}').deployment.resources, []);
    assert.throws(() => parseStackExport('{"deployment":{}}'), /"version" is not a number/);
    assert.throws(() => parseStackExport('{"version":3}'), /"deployment" is not an object/);
    assert.throws(
      () => parseStackExport('{"version":3,"deployment":{"resources":[{"urn":"u"}]}}'),
      /deployment\.resources\[0\] lacks a string "urn" and "type"/,
    );
  });
});

describe('scripts/pulumi-engine: choosing the engine', () => {
  const script = path.join(REPO_ROOT, 'scripts', 'pulumi-engine');
  const engineFiles = ['pulumi', 'pulumi-language-nodejs', 'pulumi-resource-pulumi-nodejs'];
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-engine-choice-'));
    for (const f of engineFiles)
      fs.writeFileSync(path.join(dir, f), '#!/bin/sh\n', { mode: 0o755 });
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const run = (env: NodeJS.ProcessEnv, args: string[] = []) =>
    runCommand(script, args, { cwd: REPO_ROOT, timeoutMs: 30_000, env });

  it('uses $D0_PULUMI_BIN as given when it holds the engine', async () => {
    const r = await run({ D0_PULUMI_BIN: dir });
    assert.deepEqual([r.code, r.stdout], [0, `${dir}\n`]);
  });

  it('prefers an engine already on PATH', async () => {
    const r = await run({ D0_PULUMI_BIN: '', PATH: `${dir}:${process.env.PATH}` });
    assert.deepEqual([r.code, r.stdout], [0, `${dir}\n`]);
  });

  it('refuses a $D0_PULUMI_BIN that lacks one of the three files, naming it', async () => {
    fs.rmSync(path.join(dir, 'pulumi-resource-pulumi-nodejs'));
    const r = await run({ D0_PULUMI_BIN: dir });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(
      r.stderr,
      new RegExp(`D0_PULUMI_BIN=${dir} lacks pulumi, pulumi-language-nodejs or pulumi-resource`),
    );
  });

  it('refuses an unknown argument with its usage', async () => {
    const r = await run({}, ['--bogus']);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /unknown argument '--bogus' \(usage: scripts\/pulumi-engine \[--force-build\]\)/,
    );
  });
});
