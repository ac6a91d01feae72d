// The real Pulumi engine, offline: the `pulumi` CLI and the Node.js language host built by
// scripts/pulumi-engine, a file:// backend, and a program with one pulumi.dynamic.Resource whose
// provider journals its calls (fixtures/note). On a machine where the engine cannot be built, the
// `before all` hook fails with the build's error: these tests never skip silently.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  ENGINE_BUILD_TIMEOUT_MS,
  changedInputs,
  PulumiWorkspace,
  REPO_ROOT,
  parsePreviewJson,
  parseStackExport,
  parseStackOutputs,
  type PreviewJson,
} from '../support/pulumi';

const FIXTURE = path.join(__dirname, 'fixtures', 'note');
const NOTE_TYPE = 'pulumi-nodejs:dynamic:Resource';
const SECRET = 's3cr3t-token-7f1c';

function fixtureFiles(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of fs.readdirSync(dir))
    files[name] = fs.readFileSync(path.join(dir, name), 'utf8');
  return files;
}

function noteStep(p: PreviewJson) {
  const steps = p.steps.filter((s) => s.urn.endsWith(`::${NOTE_TYPE}::note`));
  assert.equal(steps.length, 1, `expected one step for the note, got ${JSON.stringify(p.steps)}`);
  return steps[0];
}

describe('Pulumi engine: dynamic resource lifecycle on a file backend', function () {
  this.timeout(120_000);
  let ws: PulumiWorkspace;
  let journalFile: string;
  const journal = () => (fs.existsSync(journalFile) ? fs.readFileSync(journalFile, 'utf8') : '');

  before(async function () {
    this.timeout(ENGINE_BUILD_TIMEOUT_MS);
    ws = await PulumiWorkspace.create({ files: fixtureFiles(FIXTURE) });
    journalFile = path.join(ws.root, 'journal.log');
  });
  after(() => ws?.dispose());

  it('is the CLI version that matches the installed @pulumi/pulumi SDK', async () => {
    const sdk = JSON.parse(
      fs.readFileSync(path.join(REPO_ROOT, 'node_modules/@pulumi/pulumi/package.json'), 'utf8'),
    );
    const r = await ws.pulumiOk(['version']);
    assert.equal(r.stdout.trim(), `v${sdk.version}`);
  });

  it('logs in to the file backend and creates a stack there', async () => {
    await ws.pulumiOk(['login', `file://${ws.backendDir}`]);
    const who = await ws.pulumiOk(['whoami', '--verbose']);
    assert.match(who.stdout, new RegExp(`Backend URL: file://${ws.backendDir}`));
    await ws.pulumiOk(['stack', 'init', 'dev']);
    await ws.pulumiOk(['config', 'set', 'greeting', 'hello']);
    await ws.pulumiOk(['config', 'set', 'journal', journalFile]);
    await ws.pulumiOk(['config', 'set', '--secret', 'token', SECRET]);
    const stackFiles = fs.readdirSync(path.join(ws.backendDir, '.pulumi', 'stacks'), {
      recursive: true,
    });
    assert.ok(
      stackFiles.some((f) => String(f).endsWith('dev.json')),
      `no dev stack in ${stackFiles}`,
    );
    assert.doesNotMatch(
      fs.readFileSync(path.join(ws.projectDir, 'Pulumi.dev.yaml'), 'utf8'),
      new RegExp(SECRET),
    );
  });

  it('previews the create without calling the provider', async () => {
    const p = parsePreviewJson((await ws.pulumiOk(['preview', '--json'])).stdout);
    const step = noteStep(p);
    assert.equal(step.op, 'create');
    assert.equal(step.newState?.inputs?.greeting, 'hello');
    assert.equal(p.changeSummary.create, 2); // the stack and the note
    assert.equal(journal(), '');
  });

  it('creates the resource on up and exposes its outputs', async () => {
    await ws.pulumiOk(['up', '--yes']);
    assert.equal(journal(), 'create hello\n');
    const outputs = parseStackOutputs((await ws.pulumiOk(['stack', 'output', '--json'])).stdout);
    assert.deepEqual(outputs, { greeting: 'hello', length: 5 });
  });

  it('keeps the secret input encrypted in the exported state', async () => {
    const exported = (await ws.pulumiOk(['stack', 'export'])).stdout;
    assert.doesNotMatch(exported, new RegExp(SECRET));
    const note = parseStackExport(exported).deployment.resources.find((r) => r.type === NOTE_TYPE);
    assert.ok(note, 'note missing from the exported state');
    assert.equal(note.outputs?.greeting, 'hello');
    assert.ok(
      JSON.stringify(note.inputs?.token).includes('ciphertext'),
      JSON.stringify(note.inputs?.token),
    );
  });

  it('shows a changed input as a property diff in preview, with nothing applied', async () => {
    await ws.pulumiOk(['config', 'set', 'greeting', 'hello, D0']);
    const text = (await ws.pulumiOk(['preview', '--diff'])).stdout;
    assert.match(text, /~ greeting\s*:\s*"hello" => "hello, D0"/);
    assert.doesNotMatch(text, new RegExp(SECRET));
    const step = noteStep(parsePreviewJson((await ws.pulumiOk(['preview', '--json'])).stdout));
    assert.equal(step.op, 'update');
    assert.deepEqual(changedInputs(step), ['greeting']);
    assert.equal(step.newState?.inputs?.greeting, 'hello, D0');
    assert.equal(journal(), 'create hello\n');
  });

  it('applies the change with an update, not a replacement', async () => {
    await ws.pulumiOk(['up', '--yes']);
    assert.equal(journal(), 'create hello\nupdate hello -> hello, D0\n');
    const outputs = parseStackOutputs((await ws.pulumiOk(['stack', 'output', '--json'])).stdout);
    assert.deepEqual(outputs, { greeting: 'hello, D0', length: 9 });
  });

  it('makes no update when nothing changed', async () => {
    const up = await ws.pulumiOk(['up', '--yes']);
    assert.match(up.stdout, /2 unchanged/);
    assert.doesNotMatch(up.stdout, /updated|created|deleted/);
    assert.equal(journal(), 'create hello\nupdate hello -> hello, D0\n');
  });

  it('destroys the resource through the provider and leaves no resources in the state', async () => {
    await ws.pulumiOk(['destroy', '--yes']);
    assert.equal(journal(), 'create hello\nupdate hello -> hello, D0\ndelete hello, D0\n');
    assert.deepEqual(
      parseStackExport((await ws.pulumiOk(['stack', 'export'])).stdout).deployment.resources,
      [],
    );
    await ws.pulumiOk(['stack', 'rm', '--yes']);
  });
});

describe('Pulumi engine: bad input is refused before the provider acts', function () {
  this.timeout(120_000);
  let ws: PulumiWorkspace;
  let journalFile: string;

  before(async function () {
    this.timeout(ENGINE_BUILD_TIMEOUT_MS);
    ws = await PulumiWorkspace.create({ files: fixtureFiles(FIXTURE) });
    journalFile = path.join(ws.root, 'journal.log');
    await ws.pulumiOk(['stack', 'init', 'bad']);
    await ws.pulumiOk(['config', 'set', 'journal', journalFile]);
    await ws.pulumiOk(['config', 'set', '--secret', 'token', SECRET]);
  });
  after(() => ws?.dispose());

  it('reports a provider check() failure with its property and reason, and creates nothing', async () => {
    await ws.pulumiOk(['config', 'set', 'greeting', '']);
    const r = await ws.pulumi(['up', '--yes']);
    assert.notEqual(r.code, 0);
    assert.match(r.stdout + r.stderr, /greeting must be a non-empty string/);
    assert.equal(
      fs.existsSync(journalFile),
      false,
      'the provider was called despite the failed check',
    );
  });

  it('refuses to decrypt the stack with a wrong passphrase', async () => {
    await ws.pulumiOk(['config', 'set', 'greeting', 'hi']);
    const r = await ws.pulumi(['preview'], {
      env: { PULUMI_CONFIG_PASSPHRASE: 'not-the-passphrase' },
    });
    assert.notEqual(r.code, 0);
    assert.match(r.stdout + r.stderr, /incorrect passphrase/);
    assert.doesNotMatch(r.stdout + r.stderr, new RegExp(SECRET));
  });
});

describe('Pulumi engine: TypeScript program (runtime option typescript: true)', function () {
  this.timeout(180_000);
  let ws: PulumiWorkspace;

  before(async function () {
    this.timeout(ENGINE_BUILD_TIMEOUT_MS);
    ws = await PulumiWorkspace.create({
      files: fixtureFiles(path.join(__dirname, 'fixtures', 'word-ts')),
    });
    await ws.pulumiOk(['stack', 'init', 'ts']);
  });
  after(() => ws?.dispose());

  it('compiles index.ts on the fly, creates its dynamic resource and destroys it', async () => {
    await ws.pulumiOk(['up', '--yes']);
    const outputs = parseStackOutputs((await ws.pulumiOk(['stack', 'output', '--json'])).stdout);
    assert.deepEqual(outputs, { shout: 'TYPED' });
    await ws.pulumiOk(['destroy', '--yes']);
    assert.deepEqual(
      parseStackExport((await ws.pulumiOk(['stack', 'export'])).stdout).deployment.resources,
      [],
    );
  });
});
