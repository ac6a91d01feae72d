// UEFI Secure Boot for D0's EFI application: an operator's db key signs D0 (Authenticode, with
// sbsign from Debian's sbsigntool) when a build directory, a disk or a slot is made, so that
// firmware holding the operator's certificate in its db starts D0 and refuses anything else.
//
// Contract:
// - The key and the certificate are given as file paths and reach sbsign as file paths only
//   (absolute, so never mistaken for an option); their bytes are read here only to check them,
//   never copied, logged, put into an error or into build state. The key must be an unencrypted
//   PEM RSA key (sbsign would otherwise prompt for a passphrase; UEFI db signatures are RSA), the
//   certificate a PEM or DER X.509 certificate of that very key.
// - checkSecureBootSigner() runs before anything is written: a missing, unreadable, encrypted or
//   mismatched key/cert, or sbsign missing, is a D0Error (SB_KEY, SB_CERT, SB_TOOL) naming the
//   file and what is wrong with it.
// - signEfi() writes the signed image to a new file and checks it with sbverify against the
//   certificate: a signature that would not verify is never published (SB_SIGN).
// - Signing changes no manifest and a slot's build UUID stays the same. A build made with the
//   signer (builder/site makeBuild: signSlotTree) pins the signed image in its manifest's `loader`
//   (proto/manifest.proto), computed after signing; D0 signed later, when a disk or a slot is
//   written (signedEspFiles), is not the image a `loader` digest names.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { D0Error } from '../../core/errors';
import { bootloaderName, FALLBACK_BOOTLOADER } from '../../core/naming';
import type { EspFile } from './esp';
import { lastLine, runSbTool } from './sb-tool';

const SIGNS = 'it signs D0 for Secure Boot';

/** The operator's Secure Boot db key pair: two file paths, never their contents. */
export interface SecureBootSigner {
  /** Unencrypted PEM private key (RSA) whose certificate is enrolled in the firmware's db. */
  readonly key: string;
  /** Its X.509 certificate (PEM or DER). */
  readonly cert: string;
}

function readOrFail(file: string, code: 'SB_KEY' | 'SB_CERT', what: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'cannot be read';
    throw new D0Error(code, `${file}: ${why} (${what})`);
  }
}

/**
 * Checks the signer before anything is built or written; returns the certificate's SHA-256
 * fingerprint (public: it names the db entry a host needs).
 */
export async function checkSecureBootSigner(s: SecureBootSigner): Promise<string> {
  const keyWhat = 'the Secure Boot db key';
  const certWhat = 'the Secure Boot db certificate';
  const keyBytes = readOrFail(s.key, 'SB_KEY', keyWhat);
  let key: crypto.KeyObject;
  try {
    key = crypto.createPrivateKey({ key: keyBytes, format: 'pem', passphrase: '' });
  } catch {
    // Only the class of the problem: the key file's content never goes into a message.
    const encrypted = /ENCRYPTED/.test(keyBytes.toString('latin1', 0, 4096));
    throw new D0Error(
      'SB_KEY',
      encrypted
        ? `${s.key}: ${keyWhat} is encrypted; sbsign cannot use it unattended: give an unencrypted PEM key (kept like the manifest signing key)`
        : `${s.key}: ${keyWhat} is not a PEM private key`,
    );
  } finally {
    keyBytes.fill(0);
  }
  if (key.asymmetricKeyType !== 'rsa')
    throw new D0Error(
      'SB_KEY',
      `${s.key}: ${keyWhat} is ${key.asymmetricKeyType}, UEFI db signatures need an RSA key`,
    );
  let cert: crypto.X509Certificate;
  try {
    cert = new crypto.X509Certificate(readOrFail(s.cert, 'SB_CERT', certWhat));
  } catch (e) {
    if (e instanceof D0Error) throw e;
    throw new D0Error('SB_CERT', `${s.cert}: ${certWhat} is not an X.509 certificate`);
  }
  if (!cert.checkPrivateKey(key))
    throw new D0Error(
      'SB_CERT',
      `${s.cert}: ${certWhat} does not belong to the key ${s.key} (their public keys differ)`,
    );
  if ((await runSbTool('sbsign', ['--help'], SIGNS)).code !== 0)
    throw new D0Error('SB_TOOL', 'sbsign --help failed: is sbsigntool installed correctly?');
  return cert.fingerprint256.replace(/:/g, '').toLowerCase();
}

/** Signs `input` into `output` (a new file) and checks the result with sbverify. */
export async function signEfi(s: SecureBootSigner, input: string, output: string): Promise<void> {
  const abs = (p: string) => path.resolve(p);
  fs.rmSync(output, { force: true });
  const signed = await runSbTool('sbsign', [
    '--key',
    abs(s.key),
    '--cert',
    abs(s.cert),
    '--output',
    abs(output),
    abs(input),
  ], SIGNS);
  if (signed.code !== 0 || !fs.existsSync(output))
    throw new D0Error(
      'SB_SIGN',
      `sbsign could not sign ${input} (exit ${signed.code}): ${lastLine(signed.stderr)}`,
    );
  const verified = await runSbTool('sbverify', ['--cert', abs(s.cert), abs(output)], SIGNS);
  if (verified.code !== 0) {
    fs.rmSync(output, { force: true });
    throw new D0Error(
      'SB_SIGN',
      `${input}: the signed image does not verify against ${s.cert}: ${lastLine(verified.stderr)}`,
    );
  }
}

/**
 * Signs D0 in a build directory in place, under both of its names (EFI/BOOT/BOOTX64-<uuid>.EFI
 * and EFI/BOOT/BOOTX64.EFI). D0 is signed once and both names get the same signed bytes: an
 * Authenticode signature carries its signing time, so two signings differ, and a manifest's
 * `loader` digest names one image for both. Each file is replaced by a rename.
 */
export async function signSlotTree(dir: string, uuid: string, s: SecureBootSigner): Promise<void> {
  await checkSecureBootSigner(s);
  const own = path.join(dir, bootloaderName(uuid));
  const fallback = path.join(dir, FALLBACK_BOOTLOADER);
  await signEfi(s, own, `${own}.signing`);
  fs.copyFileSync(`${own}.signing`, `${fallback}.signing`);
  fs.renameSync(`${own}.signing`, own);
  fs.renameSync(`${fallback}.signing`, fallback);
}

/**
 * A slot's ESP files with D0 under both names replaced by a signed copy made in `scratch` (the
 * build directory is not changed). The signer must have been checked before.
 */
export async function signedEspFiles(
  files: EspFile[],
  uuid: string,
  s: SecureBootSigner,
  scratch: string,
): Promise<EspFile[]> {
  const names = [bootloaderName(uuid), FALLBACK_BOOTLOADER];
  const out: EspFile[] = [];
  for (const f of files) {
    if (!names.includes(f.path)) {
      out.push(f);
      continue;
    }
    const signed = path.join(scratch, `signed-${names.indexOf(f.path)}-${uuid}.efi`);
    let input: string;
    if (Buffer.isBuffer(f.data)) {
      input = `${signed}.in`;
      fs.writeFileSync(input, f.data);
    } else input = f.data.file;
    await signEfi(s, input, signed);
    out.push({ path: f.path, data: { file: signed } });
  }
  return out;
}
