// `d0 manifest pack` with the manifest's update and loader: given in the SITE like any field, or
// the loader from a file with `--loader FILE` (its SHA-256 and size, over the SITE's); a bad url
// or a missing file is refused with its path and nothing is written.
import { strict as assert } from 'node:assert';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Io } from '../../cli/io';
import { main } from '../../cli/main';

async function d0(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (l) => out.push(l), err: (l) => err.push(l), env: { D0_SIGNING_KEY: '' } };
  const code = await main(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const ZEROS = '0'.repeat(64);
const site = (extra: Record<string, unknown>) => ({
  header: { security_epoch: 1 },
  network: { bridge_ip4: '10.20.0.1/24' },
  guest_kernel: { sha256: ZEROS, size: 1 },
  containers: [
    {
      name: 'web',
      vcpu: 1,
      mem_mb: 64,
      ip4: '10.20.0.10/24',
      boot_order: 0,
      health_timeout_s: 30,
      disk_sha256: ZEROS,
      disk_size: 1,
    },
  ],
  ...extra,
});

describe('d0 manifest pack: update and loader', () => {
  let dir: string;
  const tmp = (...p: string[]) => path.join(dir, ...p);
  const writeSite = (name: string, extra: Record<string, unknown>) => {
    fs.writeFileSync(tmp(name), JSON.stringify(site(extra)));
    return tmp(name);
  };
  const pack = (siteFile: string, out: string, ...more: string[]) =>
    d0(['manifest', 'pack', siteFile, '--key', tmp('k.key'), '--out', out, ...more]);

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-update-loader-'));
    assert.equal((await d0(['keygen', '--out', tmp('k')])).code, 0);
    fs.mkdirSync(tmp('empty'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('packs update and loader given in the SITE; --loader FILE replaces the loader with the file digest', async () => {
    const given = { sha256: 'AB'.repeat(32), size: '4096' };
    const siteFile = writeSite('site.json', {
      update: { url: 'http://10.0.2.2:8080/d0/', timeout_s: 90 },
      loader: given,
    });
    const r = await pack(siteFile, tmp('a'));
    assert.equal(r.code, 0, r.err);
    const dump = (await d0(['manifest', 'inspect', tmp('a', `manifest-${r.out}.tlv`)])).out;
    for (const line of [
      'update.url=http://10.0.2.2:8080/d0/',
      'update.timeout_s=90',
      `loader.sha256=${'ab'.repeat(32)}`,
      'loader.size=4096',
    ])
      assert.ok(dump.split('\n').includes(line), `${line} missing:\n${dump}`);

    const efi = tmp('BOOTX64.EFI');
    const bytes = crypto.randomBytes(5000);
    fs.writeFileSync(efi, bytes);
    const withFile = await pack(siteFile, tmp('b'), '--loader', efi);
    assert.equal(withFile.code, 0, withFile.err);
    const json = JSON.parse(
      (await d0(['manifest', 'inspect', tmp('b', `manifest-${withFile.out}.tlv`), '--json'])).out,
    ) as { loader: unknown; update: unknown };
    assert.deepEqual(json.loader, {
      sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
      size: '5000',
    });
    assert.deepEqual(json.update, { url: 'http://10.0.2.2:8080/d0/', timeout_s: 90 });
  });

  it('without either, the manifest has neither', async () => {
    const r = await pack(writeSite('plain.json', {}), tmp('c'));
    assert.equal(r.code, 0, r.err);
    const dump = (await d0(['manifest', 'inspect', tmp('c', `manifest-${r.out}.tlv`)])).out;
    assert.ok(!/^(update|loader)\./m.test(dump), dump);
  });

  it('refuses a --loader file that does not exist, naming it, and a bad url at its path', async () => {
    const missing = await pack(writeSite('ok.json', {}), tmp('empty'), '--loader', tmp('no.efi'));
    assert.equal(missing.code, 2);
    assert.match(missing.err, /--loader: cannot read .*no\.efi \(no such file\)/);
    const bad = await pack(
      writeSite('bad.json', { update: { url: 'https://updates.example/d0/', timeout_s: 0 } }),
      tmp('empty'),
    );
    assert.equal(bad.code, 2);
    assert.match(
      bad.err,
      /^update\.url: https:\/\/updates\.example\/d0\/ must start with http:\/\//m,
    );
    assert.match(bad.err, /^update\.timeout_s: 0 is outside 1\.\.600$/m);
    assert.deepEqual(fs.readdirSync(tmp('empty')), []);
  });
});
