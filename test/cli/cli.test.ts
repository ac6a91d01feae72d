// The `d0` bin end to end (spawned as users run it): exit codes 0/1/2, nothing written on bad
// input, the secret key never in any output.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { hostMemory } from '../../core/host-memory';
import type { Manifest } from '../../core/schema';

const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'cli', 'd0.js');
const HELLO_EXAMPLE = path.join(ROOT, 'examples', 'hello', 'site.yaml');
const VECTORS = path.join(ROOT, 'test', 'vectors', 'manifest');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const outputs: string[] = [];
function d0(args: string[], env: Record<string, string> = {}): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, D0_SIGNING_KEY: '', ...env },
  });
  const run = { code: r.status, stdout: r.stdout, stderr: r.stderr };
  outputs.push(run.stdout, run.stderr);
  return run;
}

describe('d0 CLI', function () {
  this.timeout(180_000);
  let dir: string;
  let keyHex: string;
  const tmp = (...p: string[]) => path.join(dir, ...p);
  const listing = (d: string) => fs.readdirSync(d).sort();

  function writeSite(name: string, mutate: (text: string) => string = (t) => t): string {
    const file = tmp(name);
    fs.writeFileSync(file, mutate(fs.readFileSync(HELLO, 'utf8')));
    return file;
  }

  // The example site with placeholder digests (all zeros: the files are not built here), so that
  // packing it needs no artifacts (file digests: the disk_file and --artifacts test below).
  let HELLO: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-cli-'));
    const zeros = '"' + '0'.repeat(64) + '"';
    HELLO = tmp('hello-site.yaml');
    fs.writeFileSync(
      HELLO,
      fs
        .readFileSync(HELLO_EXAMPLE, 'utf8')
        .replace(/^guest_kernel: \{\}$/m, `guest_kernel: { sha256: ${zeros}, size: 1 }`)
        .replace(/\n*$/, `\n    disk_sha256: ${zeros}\n    disk_size: 1\n`),
    );
    fs.mkdirSync(tmp('out'));
    fs.mkdirSync(tmp('empty'));
    const r = d0(['keygen', '--out', tmp('k')]);
    assert.equal(r.code, 0, r.stderr);
    keyHex = fs.readFileSync(tmp('k.key'), 'utf8').trim();
  });

  after(() => {
    // The secret must not have appeared in anything any command printed.
    for (const o of outputs)
      assert.ok(!o.includes(keyHex), 'the secret key appeared in CLI output');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keygen writes a 0600 secret key and a public key, prints neither secret, refuses to overwrite', () => {
    assert.equal(fs.statSync(tmp('k.key')).mode & 0o777, 0o600);
    assert.match(fs.readFileSync(tmp('k.key'), 'utf8'), /^[0-9a-f]{64}\n$/);
    assert.match(fs.readFileSync(tmp('k.pub'), 'utf8'), /^[0-9a-f]{64}\n$/);
    const again = d0(['keygen', '--out', tmp('k')]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already exists/);
    assert.equal(fs.readFileSync(tmp('k.key'), 'utf8').trim(), keyHex);
  });

  it('pack prints only the UUID; verify says verified; inspect prints the dump and JSON', () => {
    const p = d0(['manifest', 'pack', HELLO, '--key', tmp('k.key'), '--out', tmp('out')]);
    assert.equal(p.code, 0, p.stderr);
    assert.match(
      p.stdout,
      /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\n$/,
    );
    const uuid = p.stdout.trim();
    assert.deepEqual(listing(tmp('out')), [`manifest-${uuid}.sig`, `manifest-${uuid}.tlv`]);
    const tlv = tmp('out', `manifest-${uuid}.tlv`);
    const v = d0([
      'manifest',
      'verify',
      tlv,
      '--sig',
      tmp('out', `manifest-${uuid}.sig`),
      '--pub',
      tmp('k.pub'),
    ]);
    assert.equal(v.code, 0, v.stderr);
    assert.equal(v.stdout, 'verified\n');
    const i = d0(['manifest', 'inspect', tlv]);
    assert.equal(i.code, 0, i.stderr);
    assert.ok(i.stdout.includes(`header.build_uuid=${uuid}\n`));
    assert.ok(i.stdout.includes(`containers[hello].disk_path=VM/hello-${uuid}.img\n`));
    // The host memory the build needs (core/host-memory.ts): firmware and D0, kernel, RAM + disk + overlay.
    const need = hostMemory(JSON.parse(d0(['manifest', 'inspect', tlv, '--json']).stdout) as Manifest).totalMiB;
    assert.ok(need >= 96 + 64 + 16, `${need} MiB`);
    assert.ok(i.stdout.includes(`# host memory needed: ${need} MiB (firmware and D0 96, `), i.stdout);
    // --out is made when missing (and only when the pack succeeds).
    const fresh = d0(['manifest', 'pack', HELLO, '--key', tmp('k.key'), '--out', tmp('fresh', 'nested')]);
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.equal(listing(tmp('fresh', 'nested')).length, 2);
    const j = d0(['manifest', 'inspect', tlv, '--json']);
    assert.equal(JSON.parse(j.stdout).containers[0].mem_mb, 64);
  });

  it('verify fails with exit 1 and a reason for a changed byte, a wrong key or a bad signature file', () => {
    const p = d0(['manifest', 'pack', HELLO, '--out', tmp('out')], { D0_SIGNING_KEY: keyHex });
    assert.equal(p.code, 0, p.stderr);
    const uuid = p.stdout.trim();
    const tlv = tmp('out', `manifest-${uuid}.tlv`);
    const sig = tmp('out', `manifest-${uuid}.sig`);
    const bad = Buffer.from(fs.readFileSync(tlv));
    bad[bad.length - 1] ^= 1;
    fs.writeFileSync(tmp('bad.tlv'), bad);
    const r1 = d0(['manifest', 'verify', tmp('bad.tlv'), '--sig', sig, '--pub', tmp('k.pub')]);
    assert.equal(r1.code, 1);
    assert.match(r1.stderr, /not verified: the signature does not match/);
    assert.equal(d0(['keygen', '--out', tmp('other')]).code, 0);
    const r2 = d0(['manifest', 'verify', tlv, '--sig', sig, '--pub', tmp('other.pub')]);
    assert.equal(r2.code, 1);
    fs.writeFileSync(tmp('short.sig'), Buffer.alloc(10));
    const r3 = d0(['manifest', 'verify', tlv, '--sig', tmp('short.sig'), '--pub', tmp('k.pub')]);
    assert.equal(r3.code, 1);
    assert.match(r3.stderr, /64/);
  });

  it('bad site input: every problem as "path: message", exit 2, nothing written', () => {
    const site = writeSite('bad.yaml', (t) =>
      t
        .replace('ip4: 10.20.0.10/24', 'ip4: 10.20.0.300/24')
        .replace('mem_mb: 64', 'mem_mb: 8')
        .replace('vcpu: 1', 'vcpu: 1\n    colour: blue'),
    );
    const r = d0(['manifest', 'pack', site, '--key', tmp('k.key'), '--out', tmp('empty')]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trim().split('\n').sort();
    assert.deepEqual(lines, [
      'containers[hello].colour: unknown field (the Container fields are name, vcpu, mem_mb, disk_path, disk_sha256, disk_size, mac, ip4, gw4, routes, boot_order, health_timeout_s, health, restart, publish, egress_restricted, egress_allow, tx_limit, rx_limit)',
      'containers[hello].ip4: 10.20.0.300 is not an IPv4 address',
      'containers[hello].mem_mb: 8 is outside 16..65536',
    ]);
    assert.deepEqual(listing(tmp('empty')), []);
  });

  it('bad key, epoch, YAML or usage: exit 2, nothing written, no key material echoed', () => {
    fs.writeFileSync(tmp('garbage.key'), 'secret-looking-garbage-1234\n');
    const cases: [string[], Record<string, string>, RegExp][] = [
      [['manifest', 'pack', HELLO, '--out', tmp('empty')], {}, /no signing key/],
      [
        ['manifest', 'pack', HELLO, '--key', tmp('garbage.key'), '--out', tmp('empty')],
        {},
        /garbage\.key: not a D0 secret key/,
      ],
      [
        ['manifest', 'pack', HELLO, '--out', tmp('empty')],
        { D0_SIGNING_KEY: 'zz' },
        /\$D0_SIGNING_KEY: not a D0 secret key/,
      ],
      [
        ['manifest', 'pack', HELLO, '--key', tmp('k.key'), '--out', tmp('empty'), '--epoch=-3'],
        {},
        /--epoch: -3 is not a non-negative integer/,
      ],
      [
        [
          'manifest',
          'pack',
          writeSite('syntax.yaml', (t) => t + '\n  : [unclosed\n'),
          '--key',
          tmp('k.key'),
          '--out',
          tmp('empty'),
        ],
        {},
        /syntax\.yaml: /,
      ],
      [
        ['manifest', 'pack', tmp('missing.yaml'), '--key', tmp('k.key'), '--out', tmp('empty')],
        {},
        /missing\.yaml: cannot read/,
      ],
      [
        ['manifest', 'pack', HELLO, '--key', tmp('k.key'), '--out', tmp('k.pub')],
        {},
        /--out: .* is not a directory/,
      ],
      [['manifest', 'pack', HELLO, '--bogus'], {}, /Unknown option '--bogus'/],
      [['manifest', 'frobnicate'], {}, /usage:/],
      [['frobnicate'], {}, /unknown command/],
      [[], {}, /usage: d0 <command>[\s\S]*d0 manifest pack/],
      [
        ['manifest', 'inspect', path.join(VECTORS, 'invalid-value-prefix-33.tlv')],
        {},
        /VALUE at byte \d+: containers\[web\]\.ip4/,
      ],
    ];
    for (const [args, env, re] of cases) {
      const r = d0(args, env);
      assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
      assert.match(r.stderr, re, args.join(' '));
      assert.ok(!r.stderr.includes('secret-looking-garbage'), 'key file content echoed');
    }
    assert.deepEqual(listing(tmp('empty')), []);
  });

  it('diff of two builds that differ in one container memory prints exactly that change', () => {
    fs.mkdirSync(tmp('diff'));
    const a = d0(['manifest', 'pack', HELLO, '--key', tmp('k.key'), '--out', tmp('diff')]);
    const b = d0([
      'manifest',
      'pack',
      writeSite('mem.yaml', (t) => t.replace('mem_mb: 64', 'mem_mb: 128')),
      '--key',
      tmp('k.key'),
      '--out',
      tmp('diff'),
    ]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const [ua, ub] = [a.stdout.trim(), b.stdout.trim()];
    const r = d0([
      'manifest',
      'diff',
      tmp('diff', `manifest-${ua}.tlv`),
      tmp('diff', `manifest-${ub}.tlv`),
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'containers[hello].mem_mb: 64 -> 128\n');
    const all = d0([
      'manifest',
      'diff',
      '--all',
      tmp('diff', `manifest-${ua}.tlv`),
      tmp('diff', `manifest-${ub}.tlv`),
    ]);
    assert.match(all.stdout, new RegExp(`header.build_uuid: ${ua} -> ${ub}`));
  });

  it("disk_file and --artifacts digests are the files' SHA-256 and size", () => {
    const art = tmp('art');
    fs.mkdirSync(art);
    fs.writeFileSync(path.join(art, 'hello.img'), crypto.randomBytes(3000));
    fs.writeFileSync(path.join(art, 'vmlinuz'), crypto.randomBytes(2000));
    fs.writeFileSync(tmp('own.img'), crypto.randomBytes(1500));
    const digest = (f: string) =>
      crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');
    // The example as it is in the repository: no digests, they come from the files.
    const example = () => fs.readFileSync(HELLO_EXAMPLE, 'utf8');
    fs.mkdirSync(tmp('a1'));
    const r = d0([
      'manifest',
      'pack',
      writeSite('art.yaml', example),
      '--key',
      tmp('k.key'),
      '--out',
      tmp('a1'),
      '--artifacts',
      art,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const dump = d0(['manifest', 'inspect', tmp('a1', `manifest-${r.stdout.trim()}.tlv`)]).stdout;
    assert.ok(
      dump.includes(`containers[hello].disk_sha256=${digest(path.join(art, 'hello.img'))}\n`),
    );
    assert.ok(dump.includes('containers[hello].disk_size=3000\n'));
    assert.ok(dump.includes(`guest_kernel.sha256=${digest(path.join(art, 'vmlinuz'))}\n`));

    const own = writeSite('own.yaml', () =>
      example().replace('    vcpu: 1', '    disk_file: own.img\n    vcpu: 1'),
    );
    fs.mkdirSync(tmp('a2'));
    const r2 = d0([
      'manifest',
      'pack',
      own,
      '--key',
      tmp('k.key'),
      '--out',
      tmp('a2'),
      '--artifacts',
      art,
    ]);
    assert.equal(r2.code, 0, r2.stderr);
    const dump2 = d0(['manifest', 'inspect', tmp('a2', `manifest-${r2.stdout.trim()}.tlv`)]).stdout;
    assert.ok(dump2.includes(`containers[hello].disk_sha256=${digest(tmp('own.img'))}\n`));

    const noArt = d0([
      'manifest',
      'pack',
      writeSite('none.yaml', example),
      '--key',
      tmp('k.key'),
      '--out',
      tmp('empty'),
    ]);
    assert.equal(noArt.code, 2);
    assert.match(noArt.stderr, /containers\[hello\]\.disk_sha256: is required/);
    const missing = d0([
      'manifest',
      'pack',
      writeSite('missing-file.yaml', () =>
        example().replace('    vcpu: 1', '    disk_file: nowhere.img\n    vcpu: 1'),
      ),
      '--key',
      tmp('k.key'),
      '--out',
      tmp('empty'),
      '--artifacts',
      art,
    ]);
    assert.equal(missing.code, 2);
    assert.match(
      missing.stderr,
      /containers\[hello\]\.disk_file: cannot read .*nowhere\.img \(no such file\)/,
    );
    assert.deepEqual(listing(tmp('empty')), []);
  });
});
