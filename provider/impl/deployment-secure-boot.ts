// The Deployment's optional Secure Boot signer: `secureBoot: { key, cert }`, two absolute file
// paths (the site's db key, unencrypted PEM RSA, mode 0600, and its certificate, e.g. from
// `d0 secure-boot keys`). Only the paths and the certificate's public fingerprint enter the
// inputs, the state and the outputs; the key file is read by the builder at build time (sbsign
// gets its path), never by the engine. check() refuses a missing, unreadable, encrypted or
// mismatched pair at `secureBoot.key` / `secureBoot.cert` with a message that names the file and
// never its content (builder/disk/secure-boot.ts), and records the certificate's fingerprint as
// `secureBootCertSha256`, so a new certificate behind the same path is a new build too.
import path from 'node:path';
import type { Problem } from '../../core/errors';
import { errorCode } from '../../core/errors';
import type { SecureBootSigner } from '../../builder/disk/secure-boot';

export interface SecureBootInputs {
  secureBoot?: { key?: unknown; cert?: unknown };
  secureBootCertSha256?: string;
}

const sb = () =>
  require('../../builder/disk/secure-boot') as typeof import('../../builder/disk/secure-boot');

/** Checks inputs.secureBoot and sets inputs.secureBootCertSha256; the problems found. */
export async function checkSecureBootInputs(inputs: SecureBootInputs): Promise<Problem[]> {
  delete inputs.secureBootCertSha256;
  const s = inputs.secureBoot;
  if (s === undefined || s === null) return [];
  const problems: Problem[] = [];
  for (const k of ['key', 'cert'] as const)
    if (typeof s[k] !== 'string' || !path.isAbsolute(s[k] as string))
      problems.push({
        code: 'INVALID',
        path: `secureBoot.${k}`,
        message: `${JSON.stringify(s[k] ?? null)} is not an absolute path (the db ${k === 'key' ? 'key file' : 'certificate file'})`,
      });
  if (problems.length) return problems;
  try {
    inputs.secureBootCertSha256 = await sb().checkSecureBootSigner(signerOf(inputs)!);
  } catch (e) {
    const code = errorCode(e) ?? 'SB_KEY';
    problems.push({
      code,
      path: code === 'SB_CERT' ? 'secureBoot.cert' : 'secureBoot.key',
      message: (e as Error).message,
    });
  }
  return problems;
}

export function signerOf(inputs: SecureBootInputs): SecureBootSigner | undefined {
  const s = inputs.secureBoot;
  return s ? { key: String(s.key), cert: String(s.cert) } : undefined;
}
