// A site's Secure Boot material: three RSA key pairs with self-signed X.509 certificates (openssl)
// — PK (platform key), KEK (key exchange key) and db (the key that signs D0) — and, for each, the
// enrolment files a host's firmware takes (efitools): NAME.esl (an EFI_SIGNATURE_LIST holding the
// certificate) and NAME.auth (that list as a time-based authenticated SetVariable payload: PK
// signed by PK itself, KEK by PK, db by KEK), plus NAME.cer (DER, for a firmware setup screen).
//
// Contract:
// - Everything is written into one directory; the private keys (PK.key, KEK.key, db.key) are mode
//   0600 and reach the tools as file paths only: their bytes are never read here, printed, logged
//   or put into an error. The tools' output is captured and dropped (openssl's key progress).
// - Nothing existing is overwritten unless `force`: SB_EXISTS names the first file in the way.
//   The files are made in a private scratch directory next to the target and moved in at the end,
//   so a failure leaves no half set.
// - A missing tool is SB_TOOL naming its Debian package (openssl, efitools).
// - The common name is text for openssl's -subj: only letters, digits, space, '.', '_', '-'.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { D0Error } from '../../core/errors';
import { lastLine, runSbTool } from './sb-tool';

export const SB_KEY_NAMES = ['PK', 'KEK', 'db'] as const;
export type SbKeyName = (typeof SB_KEY_NAMES)[number];
const EXTS = ['key', 'crt', 'cer', 'esl', 'auth'] as const;

/** Who signs each variable's update: PK itself, KEK by PK, db by KEK (UEFI 2.10 §32.3). */
const SIGNER: Record<SbKeyName, SbKeyName> = { PK: 'PK', KEK: 'PK', db: 'KEK' };

export interface SiteKeys {
  dir: string;
  /** Every file written, relative to dir. */
  files: string[];
  /** SHA-256 fingerprint of db.crt (public: names the db entry). */
  dbFingerprint: string;
  /** The SignatureOwner GUID of the lists. */
  owner: string;
}

async function tool(cmd: string, args: string[]): Promise<void> {
  const r = await runSbTool(cmd, args);
  if (r.code !== 0) throw new D0Error('SB_TOOL', `${cmd} failed: ${lastLine(r.stderr)}`);
}

/** The files `generateSiteKeys` writes, relative to its directory. */
export function siteKeyFiles(): string[] {
  return SB_KEY_NAMES.flatMap((n) => EXTS.map((x) => `${n}.${x}`));
}

export async function generateSiteKeys(
  dir: string,
  o: { name?: string; force?: boolean; days?: number } = {},
): Promise<SiteKeys> {
  const name = o.name ?? 'D0 site';
  if (!/^[A-Za-z0-9 ._-]{1,48}$/.test(name))
    throw new D0Error(
      'SB_KEY',
      `name ${JSON.stringify(name.slice(0, 60))}: use 1..48 letters, digits, spaces, '.', '_' or '-'`,
    );
  const files = siteKeyFiles();
  if (!o.force)
    for (const f of files)
      if (fs.existsSync(path.join(dir, f)))
        throw new D0Error(
          'SB_EXISTS',
          `${path.join(dir, f)}: already exists; refusing to overwrite Secure Boot keys (give --force)`,
        );
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = fs.mkdtempSync(path.join(dir, '.sb-keys-'));
  try {
    const p = (f: string) => path.join(tmp, f);
    const owner = crypto.randomUUID();
    for (const n of SB_KEY_NAMES) {
      // The key file exists, private, before openssl opens it: it is never readable by others.
      fs.writeFileSync(p(`${n}.key`), '', { mode: 0o600 });
      await tool('openssl', [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-sha256',
        '-days',
        String(o.days ?? 3650),
        '-subj',
        `/CN=${name} Secure Boot ${n}/`,
        '-keyout',
        p(`${n}.key`),
        '-out',
        p(`${n}.crt`),
      ]);
      fs.chmodSync(p(`${n}.key`), 0o600);
      await tool('openssl', [
        'x509',
        '-in',
        p(`${n}.crt`),
        '-outform',
        'DER',
        '-out',
        p(`${n}.cer`),
      ]);
      await tool('cert-to-efi-sig-list', ['-g', owner, p(`${n}.crt`), p(`${n}.esl`)]);
    }
    for (const n of SB_KEY_NAMES) {
      const s = SIGNER[n];
      await tool('sign-efi-sig-list', [
        '-g',
        owner,
        '-k',
        p(`${s}.key`),
        '-c',
        p(`${s}.crt`),
        n,
        p(`${n}.esl`),
        p(`${n}.auth`),
      ]);
    }
    for (const f of files) fs.renameSync(p(f), path.join(dir, f));
    const cert = new crypto.X509Certificate(fs.readFileSync(path.join(dir, 'db.crt')));
    return {
      dir,
      files,
      owner,
      dbFingerprint: cert.fingerprint256.replace(/:/g, '').toLowerCase(),
    };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
