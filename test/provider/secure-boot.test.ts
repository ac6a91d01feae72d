// The Deployment with a Secure Boot db key, called directly: check() takes paths only and refuses
// a bad pair at its property path; the build's D0 (both names) is signed for the site's db; an
// EspSlotWriter then writes a slot whose D0 verifies with sbverify against the certificate; and
// neither the inputs, the outputs nor the writer's outputs hold a byte of the key.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateSiteKeys } from '../../builder/disk/secure-boot-keys';
import { bootloaderName, FALLBACK_BOOTLOADER } from '../../core/naming';
import * as impl from '../../provider/impl/deployment';
import { abSlots } from '../../provider/impl/esp-target';
import * as writer from '../../provider/impl/esp-slot-writer';
import { failurePath } from '../../provider/impl/problems';
import { verifies } from '../secure-boot/support';
import { TEST_PUBLIC, webDeploymentInputs, writeBusyboxArchive } from './fixture-image';

const SECRET = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';

/** 24-character pieces of the key file's base64 body: none may appear in state or outputs. */
function keyPieces(file: string): string[] {
  const body = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => !l.startsWith('-----'))
    .join('');
  const out: string[] = [];
  for (let i = 0; i + 24 <= body.length; i += 24) out.push(body.slice(i, i + 24));
  return out;
}

describe('provider: Deployment and EspSlotWriter with a Secure Boot db key', function () {
  this.timeout(300_000);
  let dir: string;
  let image: string;
  let keys: string;
  const news = (over: Record<string, unknown> = {}) => webDeploymentInputs(image, dir, over);
  const sb = () => ({ key: path.join(keys, 'db.key'), cert: path.join(keys, 'db.crt') });

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-provider-sb-'));
    image = await writeBusyboxArchive(path.join(dir, 'a.tar'), 'v1');
    keys = path.join(dir, 'keys');
    await generateSiteKeys(keys, { name: 'provider test' });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('check refuses a relative path, a missing key and a certificate of another key, at their paths', async () => {
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ key: 'db.key', cert: sb().cert }, 'secureBoot.key', /"db\.key" is not an absolute path/],
      [
        { key: path.join(dir, 'none.key'), cert: sb().cert },
        'secureBoot.key',
        /none\.key: no such file/,
      ],
      [
        { key: sb().key, cert: path.join(keys, 'KEK.crt') },
        'secureBoot.cert',
        /KEK\.crt: .* does not belong to the key/,
      ],
    ];
    for (const [secureBoot, at, message] of cases) {
      const r = await impl.check({} as impl.DeploymentInputs, news({ secureBoot }));
      const f = (r.failures ?? []).filter((x) => failurePath(x) === at);
      assert.equal(f.length, 1, JSON.stringify(r.failures));
      assert.match(f[0].reason, message);
    }
  });

  it("signs D0 in the build; the written slot's D0 verifies against the db certificate; no key bytes in state", async () => {
    const checked = await impl.check({} as impl.DeploymentInputs, news({ secureBoot: sb() }));
    assert.deepEqual(checked.failures, []);
    const inputs = checked.inputs as impl.DeploymentInputs;
    const fp = new (await import('node:crypto')).X509Certificate(
      fs.readFileSync(sb().cert),
    ).fingerprint256
      .replace(/:/g, '')
      .toLowerCase();
    assert.equal(inputs.secureBootCertSha256, fp);
    // Signed and unsigned are different builds.
    const unsigned = (await impl.check({} as impl.DeploymentInputs, news()))
      .inputs as impl.DeploymentInputs;
    assert.ok(impl.diff('x', unsigned, inputs, () => {}).replaces?.includes('secureBoot'));

    const c = await impl.create(inputs);
    const outs = c.outs as Record<string, unknown> & { slotDir: string; buildUuid: string };
    assert.equal(outs.secureBootCertSha256, fp);
    for (const rel of [bootloaderName(outs.buildUuid), FALLBACK_BOOTLOADER])
      assert.ok(verifies(path.join(outs.slotDir, rel), sb().cert), rel);

    const disk = path.join(dir, 'host.img');
    const w = await writer.create({
      buildUuid: outs.buildUuid,
      slotDir: outs.slotDir,
      publicKey: TEST_PUBLIC,
      target: { diskImage: disk },
    });
    const slotA = abSlots(disk).find((s) => s.letter === 'A')!.part;
    for (const rel of [bootloaderName(outs.buildUuid), FALLBACK_BOOTLOADER]) {
      const efi = path.join(dir, 'slot-a.efi');
      fs.rmSync(efi, { force: true });
      execFileSync('mcopy', ['-n', '-i', `${disk}@@${slotA.offset}`, `::${rel}`, efi]);
      assert.ok(verifies(efi, sb().cert), `slot A ${rel} verifies against db.crt`);
      assert.ok(!verifies(efi, path.join(keys, 'KEK.crt')), `${rel}: not against another cert`);
    }

    const state = JSON.stringify([inputs, outs, w.outs]);
    assert.doesNotMatch(state, /PRIVATE KEY/);
    for (const piece of keyPieces(sb().key))
      assert.ok(!state.includes(piece), 'key bytes in state');
    assert.ok(!state.includes(SECRET), 'the manifest key stays out too');
    assert.ok(state.includes(sb().key), 'the key is referred to by its path');
  });
});
