// `d0 secure-boot keys` and `d0 secure-boot vars` without an emulator: the material a site needs
// (real openssl and efitools), its file modes and refusals, and the VARS writer's byte layout
// against Debian's snakeoil VARS, which the Secure Boot firmware itself wrote.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  checkSignatureLists,
  EFI_CERT_X509_GUID,
  guidBytes,
  writeEnrolledVars,
} from '../../builder/disk/ovmf-vars-enroll';
import { readOvmfVars } from '../../builder/disk/ovmf-vars';
import { OVMF_VARS_SNAKEOIL } from '../../builder/disk/qemu';
import { generateSiteKeys, siteKeyFiles } from '../../builder/disk/secure-boot-keys';
import { d0 } from '../support/d0-pipeline';

/** Raw AUTHENTICATED_VARIABLE_HEADER fields of the live copy of `name`. */
function rawHeader(file: string, name: string) {
  const d = fs.readFileSync(file);
  const store = d.readUInt16LE(48);
  let off = (store + 28 + 3) & ~3;
  let found: { state: number; attr: number; mc: bigint; time: Buffer; pki: number } | undefined;
  while (d.readUInt16LE(off) === 0x55aa) {
    const ns = d.readUInt32LE(off + 36);
    const n = d.toString('utf16le', off + 60, off + 60 + ns).replace(/\0+$/, '');
    if (n === name && d[off + 2] === 0x3f)
      found = {
        state: d[off + 2],
        attr: d.readUInt32LE(off + 4),
        mc: d.readBigUInt64LE(off + 8),
        time: d.subarray(off + 16, off + 32),
        pki: d.readUInt32LE(off + 32),
      };
    off = (off + 60 + ns + d.readUInt32LE(off + 40) + 3) & ~3;
  }
  return found;
}

describe("secure boot: a site's keys and an enrolled VARS file", function () {
  this.timeout(120_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-sb-site-'));
  const keys = path.join(tmp, 'keys');
  let printed = '';
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  before(async () => {
    const r = await d0(['secure-boot', 'keys', '--out', keys, '--name', 'test site']);
    assert.equal(r.code, 0, r.err);
    printed = r.out + r.err;
  });

  it('writes PK, KEK and db key pairs, certificates and enrolment files; keys 0600 and never printed', () => {
    for (const f of siteKeyFiles()) assert.ok(fs.existsSync(path.join(keys, f)), f);
    assert.deepEqual(fs.readdirSync(keys).sort(), siteKeyFiles().sort(), 'no scratch left');
    for (const n of ['PK', 'KEK', 'db']) {
      const key = path.join(keys, `${n}.key`);
      assert.equal(fs.statSync(key).mode & 0o777, 0o600, key);
      const pk = crypto.createPrivateKey(fs.readFileSync(key));
      assert.equal(pk.asymmetricKeyType, 'rsa');
      const cert = new crypto.X509Certificate(fs.readFileSync(path.join(keys, `${n}.crt`)));
      assert.ok(cert.checkPrivateKey(pk));
      assert.match(cert.subject, new RegExp(`CN=test site Secure Boot ${n}`));
      // The .esl holds exactly that certificate (DER, as .cer), in an X.509 signature list.
      const esl = fs.readFileSync(path.join(keys, `${n}.esl`));
      assert.equal(checkSignatureLists(esl, n), 1);
      assert.deepEqual(esl.subarray(28 + 16), fs.readFileSync(path.join(keys, `${n}.cer`)));
      // .auth = EFI_VARIABLE_AUTHENTICATION_2 (EFI_TIME, WIN_CERTIFICATE_UEFI_GUID of type
      // PKCS7) followed by the same list.
      const auth = fs.readFileSync(path.join(keys, `${n}.auth`));
      assert.equal(auth.readUInt16LE(16 + 6), 0x0ef1, `${n}.auth: WIN_CERT_TYPE_EFI_GUID`);
      assert.deepEqual(
        auth.subarray(16 + 8, 16 + 24),
        guidBytes('4aafd29d-68df-49ee-8aa9-347d375665a7'),
      );
      const certLen = auth.readUInt32LE(16);
      assert.deepEqual(auth.subarray(16 + certLen), esl);
      // Nothing of the key reached the output.
      const body = fs
        .readFileSync(key, 'utf8')
        .split('\n')
        .filter((l) => l.length > 40);
      for (const line of body) assert.ok(!printed.includes(line.slice(0, 32)), 'key bytes printed');
    }
    assert.match(printed, /db certificate sha256 [0-9a-f]{64}/);
  });

  it('refuses to overwrite existing keys unless --force, and a name that is not plain text', async () => {
    const again = await d0(['secure-boot', 'keys', '--out', keys]);
    assert.equal(again.code, 1);
    assert.match(again.err, /PK\.key: already exists; refusing to overwrite.*--force/);
    const before = fs.readFileSync(path.join(keys, 'db.key'));
    const bad = await d0([
      'secure-boot',
      'keys',
      '--out',
      path.join(tmp, 'bad'),
      '--name',
      'x/CN=y',
    ]);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /name "x\/CN=y": use 1\.\.48 letters/);
    assert.ok(!fs.existsSync(path.join(tmp, 'bad', 'PK.key')));
    const forced = await d0(['secure-boot', 'keys', '--out', keys, '--force']);
    assert.equal(forced.code, 0, forced.err);
    assert.notDeepEqual(fs.readFileSync(path.join(keys, 'db.key')), before, 'new keys');
  });

  it('names the missing tool and its package, and leaves nothing behind', async () => {
    const bin = path.join(tmp, 'bin');
    fs.mkdirSync(bin);
    fs.symlinkSync('/usr/bin/openssl', path.join(bin, 'openssl'));
    const saved = process.env.PATH;
    process.env.PATH = bin;
    try {
      await assert.rejects(generateSiteKeys(path.join(tmp, 'notools')), (e: Error) => {
        assert.match(
          e.message,
          /cert-to-efi-sig-list is not installed \(Debian package efitools\)/,
        );
        return true;
      });
    } finally {
      process.env.PATH = saved;
    }
    assert.deepEqual(fs.readdirSync(path.join(tmp, 'notools')), []);
  });

  it("writes PK, KEK and db into the empty 4 MiB VARS with the snakeoil file's layout", async () => {
    const vars = path.join(tmp, 'site.vars.fd');
    const r = await d0(['secure-boot', 'vars', '--keys', keys, '--out', vars]);
    assert.equal(r.code, 0, r.err);
    assert.equal(fs.statSync(vars).size, fs.statSync(OVMF_VARS_SNAKEOIL).size);
    const mine = readOvmfVars(vars);
    const theirs = readOvmfVars(OVMF_VARS_SNAKEOIL);
    for (const n of ['PK', 'KEK', 'db']) {
      const a = mine.find((v) => v.name === n)!;
      const b = theirs.find((v) => v.name === n)!;
      assert.equal(a.vendor, b.vendor, n);
      assert.equal(a.attributes, b.attributes, n);
      assert.deepEqual(a.data, fs.readFileSync(path.join(keys, `${n}.esl`)), n);
      assert.deepEqual(a.data.subarray(0, 16), guidBytes(EFI_CERT_X509_GUID));
      const [ha, hb] = [rawHeader(vars, n)!, rawHeader(OVMF_VARS_SNAKEOIL, n)!];
      assert.deepEqual([ha.state, ha.attr, ha.mc, ha.pki], [hb.state, hb.attr, hb.mc, hb.pki], n);
      assert.ok(ha.time.readUInt16LE(0) >= 2025, 'a real timestamp');
    }
    for (const n of ['SecureBootEnable', 'CustomMode']) {
      const a = mine.find((v) => v.name === n)!;
      const b = theirs.find((v) => v.name === n)!;
      assert.deepEqual([a.vendor, a.attributes, a.data], [b.vendor, b.attributes, b.data], n);
    }
    const again = await d0(['secure-boot', 'vars', '--keys', keys, '--out', vars]);
    assert.equal(again.code, 1);
    assert.match(again.err, /site\.vars\.fd: already exists; refusing to overwrite/);
  });

  it('replaces the keys of a VARS that has some (the old copies are deleted) and refuses a bad list', () => {
    const out = path.join(tmp, 'replaced.vars.fd');
    const esl = (n: string) => fs.readFileSync(path.join(keys, `${n}.esl`));
    writeEnrolledVars(
      out,
      { pk: esl('PK'), kek: esl('KEK'), db: esl('db') },
      { template: OVMF_VARS_SNAKEOIL },
    );
    const nv = readOvmfVars(out);
    assert.equal(nv.filter((v) => v.name === 'PK').length, 1);
    assert.deepEqual(nv.find((v) => v.name === 'db')!.data, esl('db'));
    assert.ok(
      nv.some((v) => v.name === 'dbx'),
      'the rest of the store is kept',
    );
    const cer = fs.readFileSync(path.join(keys, 'db.cer'));
    assert.throws(
      () => writeEnrolledVars(path.join(tmp, 'x.fd'), { pk: esl('PK'), kek: esl('KEK'), db: cer }),
      /db: the list at byte 0 is not of X\.509 certificates/,
    );
    assert.ok(!fs.existsSync(path.join(tmp, 'x.fd')));
  });
});
