// Signing D0 with an operator's Secure Boot db key (builder/disk/secure-boot.ts), without an
// emulator: both of D0's names are signed, with the same bytes, and verify (sbverify) against the
// certificate only; the manifest and the build's verification are untouched; a missing,
// encrypted, non-RSA or mismatched key or certificate is refused with a message naming the file,
// before anything is written, and no message carries the key's bytes; the Secure Boot QEMU mode
// refuses a VARS file of the wrong firmware.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { D0Error } from '../../core/errors';
import { bootloaderName, FALLBACK_BOOTLOADER, manifestName } from '../../core/naming';
import {
  OVMF_CODE_SECBOOT,
  OVMF_VARS,
  prepareVars,
  qemuCommand,
  SNAKEOIL_CERT,
  SNAKEOIL_KEY,
} from '../../builder/disk/qemu';
import { checkSecureBootSigner, signSlotTree } from '../../builder/disk/secure-boot';
import { buildSlotDisk, readSlotTree, treeFiles } from '../../builder/disk/slots';
import { verifySlot } from '../../builder/disk/slot-verify';
import { writeSlot } from '../../builder/disk/writer';
import { assembleSlotTree } from '../../builder/disk/tree';
import { firmwareRefusal } from '../../cli/commands/run';
import { makeBuild, sharedFixture, type AbFixture } from '../ab/support';
import { signers, verifies } from './support';

describe('secure boot: signing D0 with the db key', function () {
  this.timeout(300_000);
  let fx: AbFixture;
  before(async () => {
    fx = await sharedFixture();
  });

  it('signs both of D0s names; they verify against the db certificate and no other; the build still verifies', async () => {
    const { snakeoil, other } = signers();
    const u = makeBuild(fx, 'sign-tree');
    const tlv = fs.readFileSync(path.join(u.dir, manifestName(u.uuid)));
    const plain = fs.readFileSync(path.join(u.dir, FALLBACK_BOOTLOADER));
    await signSlotTree(u.dir, u.uuid, snakeoil);
    for (const rel of [bootloaderName(u.uuid), FALLBACK_BOOTLOADER]) {
      const f = path.join(u.dir, rel);
      assert.ok(verifies(f, snakeoil.cert), rel);
      assert.ok(!verifies(f, other.cert), `${rel} does not verify against another certificate`);
      assert.ok(fs.readFileSync(f).length > plain.length, 'the signature is appended');
    }
    // One signing for both names: the same bytes, as a manifest's loader digest names them.
    assert.deepEqual(
      fs.readFileSync(path.join(u.dir, bootloaderName(u.uuid))),
      fs.readFileSync(path.join(u.dir, FALLBACK_BOOTLOADER)),
    );
    assert.ok(!verifies(path.join(fx.dir, 'd0.efi'), snakeoil.cert));
    assert.deepEqual(fs.readFileSync(path.join(u.dir, manifestName(u.uuid))), tlv);
    const v = await verifySlot(treeFiles(readSlotTree(u.dir)), fx.pub);
    assert.ok(v.verified, v.reason);
  });

  it('refuses a missing, encrypted, non-RSA or mismatched key or certificate, naming the file, never its bytes', async () => {
    const { dir, snakeoil, other } = signers();
    const ed = path.join(dir, 'ed25519.key');
    fs.writeFileSync(
      ed,
      crypto.generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }),
    );
    const garbage = path.join(dir, 'garbage.pem');
    fs.writeFileSync(garbage, 'not a certificate\n');
    const cases: Array<[{ key: string; cert: string }, string, RegExp]> = [
      [
        { key: path.join(dir, 'none.key'), cert: snakeoil.cert },
        'SB_KEY',
        /none\.key: no such file/,
      ],
      [
        { key: SNAKEOIL_KEY, cert: SNAKEOIL_CERT },
        'SB_KEY',
        /PkKek-1-snakeoil\.key: .* is encrypted/,
      ],
      [{ key: ed, cert: snakeoil.cert }, 'SB_KEY', /ed25519\.key: .* is ed25519, .* RSA/],
      [{ key: snakeoil.key, cert: garbage }, 'SB_CERT', /garbage\.pem: .* not an X\.509/],
      [
        { key: snakeoil.key, cert: other.cert },
        'SB_CERT',
        /other\.pem: .* does not belong to the key/,
      ],
    ];
    const secrets = [snakeoil.key, other.key, ed, SNAKEOIL_KEY].flatMap((f) =>
      fs
        .readFileSync(f, 'latin1')
        .split('\n')
        .filter((l) => l.length > 40),
    );
    for (const [s, code, re] of cases) {
      await assert.rejects(checkSecureBootSigner(s), (e: D0Error) => {
        assert.equal(e.code, code, e.message);
        assert.match(e.message, re);
        for (const line of secrets) assert.ok(!e.message.includes(line), 'no key bytes in errors');
        return true;
      });
    }
  });

  it('a bad signer is refused before the writer, the disk builder or the tree assembler writes anything', async () => {
    const { snakeoil, other } = signers();
    const u1 = makeBuild(fx, 'sign-w1');
    const disk = path.join(fx.dir, 'sign-w.img');
    const bad = { key: snakeoil.key, cert: other.cert };
    await assert.rejects(buildSlotDisk(disk, { a: u1.dir, sizeMiB: 40, secureBoot: bad }), {
      code: 'SB_CERT',
    });
    assert.ok(!fs.existsSync(disk), 'no disk was laid out');
    await buildSlotDisk(disk, { a: u1.dir, sizeMiB: 40 });
    const before = fs.readFileSync(disk);
    const u2 = makeBuild(fx, 'sign-w2');
    await assert.rejects(
      writeSlot({ target: disk, buildDir: u2.dir, publicKey: fx.pub, secureBoot: bad }),
      { code: 'SB_CERT' },
    );
    assert.ok(before.equals(fs.readFileSync(disk)), 'a refused write changes nothing');
    const out = path.join(fx.dir, 'sign-tree-out');
    await assert.rejects(
      assembleSlotTree({
        manifest: path.join(u2.dir, manifestName(u2.uuid)),
        artifacts: fx.dir,
        publicKey: fx.pub,
        out,
        kernelMode: 'host',
        secureBoot: { key: path.join(fx.dir, 'missing.key'), cert: snakeoil.cert },
      }),
      (e: D0Error) => e.code === 'SB_KEY' && /missing\.key: no such file/.test(e.message),
    );
    assert.ok(!fs.existsSync(out), 'd0 disk tree refused before building D0');
  });

  it('Secure Boot QEMU mode: SMM, the secure flash and the secboot code; a plain VARS file is refused', () => {
    const args = qemuCommand({ disk: 'd.img', vars: 'v.fd', secureBoot: true }).join(' ');
    assert.match(args, /-machine q35,smm=on/);
    assert.match(args, /-global driver=cfi\.pflash01,property=secure,value=on/);
    assert.ok(args.includes(`file=${OVMF_CODE_SECBOOT}`), args);
    assert.doesNotMatch(qemuCommand({ disk: 'd.img', vars: 'v.fd' }).join(' '), /smm|secure/);
    const vars = path.join(fx.dir, 'plain.vars.fd');
    fs.copyFileSync(OVMF_VARS, vars);
    assert.throws(
      () => prepareVars(vars, true),
      (e: D0Error) => {
        assert.equal(e.code, 'SB_VARS');
        assert.match(e.message, /plain\.vars\.fd: a 131072-byte VARS file, .* needs 540672 bytes/);
        return true;
      },
    );
    const fresh = path.join(fx.dir, 'fresh-sb.vars.fd');
    prepareVars(fresh, true);
    assert.equal(fs.statSync(fresh).size, 540672);
  });

  it('d0 run names a boot option the firmware refused, from the firmware line', () => {
    // Lines as Debian's Secure Boot OVMF prints them (ANSI escapes and \r removed by bootDisk).
    const refused =
      'BdsDxe: failed to load Boot0002 "UEFI QEMU HARDDISK QM00001 " from PciRoot(0x0)/Pci(0x1F,0x2)/Sata(0x0,0xFFFF,0x0): Access Denied';
    assert.match(
      firmwareRefusal(refused) ?? '',
      /^Boot0002 \(UEFI QEMU HARDDISK QM00001\): Access Denied \(Secure Boot: /,
    );
    for (const other of [
      'BdsDxe: failed to load Boot0001 "UEFI QEMU DVD-ROM QM00005 " from PciRoot(0x0)/Pci(0x1F,0x2)/Sata(0x2,0xFFFF,0x0): Not Found',
      'BdsDxe: failed to start Boot0003 "EFI Internal Shell" from Fv(7CB8BDC9-F8EB-4F34-AAEA-3EE4AF6516A1)/FvFile(7C04A583-9E3E-4F1C-AD65-E05268D0B4D1): Security Violation',
      'BdsDxe: starting Boot0002 "UEFI QEMU HARDDISK QM00001 " from PciRoot(0x0)/Pci(0x1F,0x2)/Sata(0x0,0xFFFF,0x0)',
    ])
      assert.equal(firmwareRefusal(other), undefined, other);
    assert.match(
      firmwareRefusal(
        'BdsDxe: failed to load Boot0004 "D0 \x1b[2Jx" from HD(1): Security Violation',
      ) ?? '',
      /^Boot0004 \(D0 \?\[2Jx\): Security Violation/,
    );
  });
});
