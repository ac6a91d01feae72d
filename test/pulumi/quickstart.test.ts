// The README's Pulumi quickstart, run command for command as a new user would: in a fresh HOME and
// a new directory, the package that `npm pack` makes is installed with npm into a project made by
// `pulumi new` from templates/site; the container is built from the template's Dockerfile; then
// preview, up (a real A/B disk written), `d0 run` (D0 boots the disk under QEMU and the
// container's output is in its log), a memMb change that the default preview shows as a new
// signed build, up, an up with no change that builds nothing, and destroy, which leaves nothing.
//
// What differs from a user's machine, each for CI's sake:
// - D0_CACHE is this machine's cache: a fresh HOME would build the guest Linux kernel again
//   (10-20 minutes); everything else in the flow is built or read as for a user.
// - npm uses the cache the checkout's `npm ci` filled, with --prefer-offline: the registry is
//   reachable, but 220 packages would otherwise be downloaded; with it `pulumi new`'s install
//   takes ~15 s and the package's ~20 s here.
// - the engine is scripts/pulumi-engine's (docs/pulumi-engine.md), first on PATH.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { d0CacheRoot } from '../../builder/cache/build-cache';
import { isUuidV7 } from '../../core/uuid';
import { consoleLines, eventsOf } from '../support/events';
import { npmCacheDir, packPackage, PACKAGE_NAME } from '../support/package';
import {
  ENGINE_BUILD_TIMEOUT_MS,
  expectOk,
  parseStackOutputs,
  pulumiEngineBinDir,
  REPO_ROOT,
  runCommand,
  SYSTEM_PATH,
  type CommandResult,
} from '../support/pulumi';

const STEP_TIMEOUT_MS = 5 * 60_000;
/** D0 under QEMU TCG with AMD SVM: firmware, D0, the guest kernel, the VM, the commit. */
const BOOT_TIMEOUT_S = 600;
const PROJECT = 'mysite';

/** The type token of each dynamic resource (provider/*.ts): state and URNs depend on them. */
const TYPES = ['Network', 'Container', 'Deployment', 'EspSlotWriter'].map(
  (t) => `pulumi-nodejs:dynamic/d0:${t}`,
);

describe('Pulumi quickstart: the packed package, pulumi new, up, d0 run, a change, destroy', function () {
  this.timeout(STEP_TIMEOUT_MS);
  let root: string;
  let site: string;
  let state: string;
  let env: NodeJS.ProcessEnv;
  let tarball: string;
  let engineStarted = false;
  const outputs: Record<string, string>[] = [];

  /** Runs one of the README's commands in the project directory (or `cwd`). */
  const run = async (cmd: string, args: string[], o: { cwd?: string; timeoutMs?: number } = {}) =>
    runCommand(cmd, args, {
      cwd: o.cwd ?? site,
      env,
      cleanEnv: true,
      timeoutMs: o.timeoutMs ?? STEP_TIMEOUT_MS,
    });
  const ok = async (cmd: string, args: string[], o: { cwd?: string; timeoutMs?: number } = {}) =>
    expectOk(await run(cmd, args, o));
  const text = (r: CommandResult) => r.stdout + r.stderr;
  const stackOutputs = async () =>
    parseStackOutputs((await ok('pulumi', ['stack', 'output', '--json'])).stdout) as Record<
      string,
      string
    >;
  const buildDirs = () => {
    const dir = path.join(site, '.d0', 'builds');
    return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
  };

  before(async function () {
    this.timeout(ENGINE_BUILD_TIMEOUT_MS);
    const binDir = await pulumiEngineBinDir();
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-quickstart-'));
    const home = path.join(root, 'home');
    site = path.join(root, PROJECT);
    state = path.join(root, 'state');
    for (const d of [home, site, state]) fs.mkdirSync(d);
    env = {
      PATH: [
        binDir,
        path.dirname(process.execPath),
        ...SYSTEM_PATH,
      ].join(path.delimiter),
      HOME: home,
      TMPDIR: process.env.TMPDIR ?? os.tmpdir(),
      LANG: 'C.UTF-8',
      PULUMI_CONFIG_PASSPHRASE: 'quickstart passphrase',
      PULUMI_SKIP_UPDATE_CHECK: 'true',
      D0_CACHE: d0CacheRoot(),
      npm_config_cache: npmCacheDir(),
      npm_config_update_notifier: 'false',
      npm_config_fund: 'false',
      npm_config_audit: 'false',
    };
    tarball = await packPackage(env);
  });

  after(async function () {
    this.timeout(STEP_TIMEOUT_MS);
    if (engineStarted) await run('npx', ['d0', 'engine', 'stop']);
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it('npm pack makes a package of compiled JavaScript with its declarations and the template', async () => {
    const list = (await ok('tar', ['-tzf', tarball], { cwd: root })).stdout.split('\n');
    for (const f of ['dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'cli/d0.js'])
      assert.ok(list.includes(`package/${f}`), `${f} is not in ${path.basename(tarball)}`);
    for (const f of ['proto/manifest.proto', 'kernel/Makefile', 'guest/init/Makefile'])
      assert.ok(list.includes(`package/${f}`), `${f} (read at run time) is not packed`);
    assert.ok(list.includes('package/templates/site/Pulumi.yaml'));
    const sources = list.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
    assert.deepEqual(sources, ['package/templates/site/index.ts']);
  });

  it('pulumi new makes the project from templates/site; npm installs the tarball', async () => {
    await ok('pulumi', ['login', `file://${state}`]);
    const created = await ok('pulumi', [
      'new',
      path.join(REPO_ROOT, 'templates', 'site'),
      '--stack',
      'dev',
      '--yes',
      '--non-interactive',
    ]);
    assert.match(text(created), /Your new project is ready to go/);
    const installed = await ok('npm', ['install', tarball, '--prefer-offline']);
    const pkg = JSON.parse(fs.readFileSync(path.join(site, 'package.json'), 'utf8'));
    assert.equal(pkg.name, PROJECT);
    assert.match(pkg.dependencies[PACKAGE_NAME], /^file:/, text(installed));
    // Installed as users get it: compiled, no TypeScript sources, no tsx needed.
    const installedDir = fs.realpathSync(path.join(site, 'node_modules', PACKAGE_NAME));
    assert.ok(installedDir.startsWith(site), `${installedDir} is a link, not an installed copy`);
    assert.ok(fs.existsSync(path.join(installedDir, 'dist', 'provider', 'impl', 'deployment.js')));
    assert.equal(fs.existsSync(path.join(installedDir, 'provider')), false);
    const config = fs.readFileSync(path.join(site, 'Pulumi.dev.yaml'), 'utf8');
    assert.match(config, new RegExp(`${PROJECT}:image: docker:site:1`));
    assert.match(config, new RegExp(`${PROJECT}:signingKeyFile: .d0/signing.key`));
  });

  it('d0 keygen writes the key; d0 engine builds the container from the template Dockerfile', async () => {
    await ok('npx', ['d0', 'keygen', '--out', '.d0/signing']);
    assert.equal(fs.statSync(path.join(site, '.d0', 'signing.key')).mode & 0o777, 0o600);
    await ok('npx', ['d0', 'engine', 'start']);
    engineStarted = true;
    const built = await ok('npx', ['d0', 'engine', 'build', '.', '--tag', 'site:1']);
    assert.equal(built.stdout.trim(), 'site:1');
  });

  it('preview plans the stable resource types and writes nothing; no warning from the host', async () => {
    const p = text(await ok('pulumi', ['preview']));
    for (const t of TYPES) assert.match(p, new RegExp(`\\+\\s+${t} `), `${t} not planned:\n${p}`);
    assert.match(p, /\+ 5 to create/);
    assert.doesNotMatch(p, /Could not find entry point|DEP0128|DeprecationWarning/);
    assert.deepEqual(buildDirs(), []);
    assert.equal(fs.existsSync(path.join(site, '.d0', 'hosts', 'host-01.img')), false);
  });

  it('up makes a signed build and writes a real A/B disk, paths relative to the project', async () => {
    const u = text(await ok('pulumi', ['up', '--yes']));
    assert.doesNotMatch(u, /Could not find entry point|DEP0128|DeprecationWarning/);
    const o = await stackOutputs();
    outputs.push(o);
    assert.ok(isUuidV7(o.buildUuid), o.buildUuid);
    assert.equal(o.hostDisk, path.join(site, '.d0', 'hosts', 'host-01.img'));
    assert.equal(o.slotDir, path.join(site, '.d0', 'builds', o.buildUuid, 'slot'));
    assert.equal(o.hostSlot, 'A');
    assert.ok(fs.statSync(o.hostDisk).size > 0);
    assert.ok(fs.existsSync(path.join(o.slotDir, `manifest-${o.buildUuid}.sig`)));
  });

  it('d0 run boots the disk: D0 verifies the build, the container prints, the build is committed', async function () {
    this.timeout((BOOT_TIMEOUT_S + 60) * 1000);
    const [o] = outputs;
    const r = await run(
      'npx',
      [
        'd0',
        'run',
        '.d0/hosts/host-01.img',
        '--cpu',
        'EPYC',
        '--until',
        'commit',
        '--timeout',
        String(BOOT_TIMEOUT_S),
      ],
      { timeoutMs: (BOOT_TIMEOUT_S + 30) * 1000 },
    );
    const log = text(r);
    assert.equal(r.code, 0, log.slice(-4000));
    assert.match(log, new RegExp(`ev=manifest_verified\\b.*\\buuid=${o.buildUuid}`));
    assert.ok(
      consoleLines(eventsOf(r.stdout), 'app').includes(`hello from ${PROJECT}`),
      log.slice(-4000),
    );
    assert.match(log, /ev=commit\b/);
    assert.ok(fs.existsSync(`${o.hostDisk}.vars.fd`), 'd0 run keeps the NV state beside the disk');
  });

  it('a memMb change: the default preview names the field and says "new signed build"', async () => {
    await ok('pulumi', ['config', 'set', 'memMb', '96']);
    const p = text(await ok('pulumi', ['preview']));
    assert.match(p, /pulumi-nodejs:dynamic\/d0:Container app update \[diff: ~memMb\]/);
    assert.match(p, /pulumi-nodejs:dynamic\/d0:Deployment site replace/);
    assert.match(p, /new signed build: containers\.app\.memMb: 64 -> 96/);
    assert.deepEqual(buildDirs(), [outputs[0].buildUuid], 'preview built nothing');
  });

  it('up makes the new build (new UUIDv7) and writes it into the inactive slot', async () => {
    const u = text(await ok('pulumi', ['up', '--yes']));
    assert.match(u, /new signed build: containers\.app\.memMb: 64 -> 96/);
    const o = await stackOutputs();
    outputs.push(o);
    assert.ok(isUuidV7(o.buildUuid));
    assert.notEqual(o.buildUuid, outputs[0].buildUuid);
    assert.equal(o.hostSlot, 'B');
    // The first build stays while slot A holds it: the host's fallback.
    assert.deepEqual(buildDirs(), [outputs[0].buildUuid, o.buildUuid].sort());
  });

  it('up with no change makes no build', async () => {
    const u = text(await ok('pulumi', ['up', '--yes']));
    assert.match(u, /5 unchanged/);
    assert.doesNotMatch(u, /new signed build/);
    const o = await stackOutputs();
    assert.equal(o.buildUuid, outputs[1].buildUuid);
    assert.deepEqual(buildDirs(), [outputs[0].buildUuid, outputs[1].buildUuid].sort());
  });

  it('destroy leaves nothing behind: no disk, no NV state, no build; stack rm empties the state', async () => {
    const disk = outputs[0].hostDisk;
    await ok('pulumi', ['destroy', '--yes']);
    assert.equal(fs.existsSync(disk), false, disk);
    assert.equal(fs.existsSync(`${disk}.vars.fd`), false, `${disk}.vars.fd`);
    assert.deepEqual(buildDirs(), []);
    assert.deepEqual(
      fs.readdirSync(path.dirname(disk)),
      [],
      'the hosts folder keeps no lock or temp file',
    );
    await ok('pulumi', ['stack', 'rm', 'dev', '--yes']);
    const stacks = JSON.parse((await ok('pulumi', ['stack', 'ls', '--json'])).stdout);
    assert.deepEqual(stacks, [], 'pulumi stack ls still lists a stack');
    const stackFile = path.join(state, '.pulumi', 'stacks', PROJECT, 'dev.json');
    assert.equal(fs.existsSync(stackFile), false, stackFile);
    await ok('npx', ['d0', 'engine', 'stop']);
    engineStarted = false;
  });
});
