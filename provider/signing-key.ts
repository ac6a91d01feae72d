// Where a program gets the signing key from, as a Pulumi secret that never enters the state.
//
// Not from stack config: the engine hands a dynamic provider the WHOLE stack config and stores it
// as the inputs of the default `pulumi-nodejs` provider, so a key kept with `pulumi config set
// --secret` ends up (encrypted) in the state and in `pulumi stack export --show-secrets`. A key
// file (as `d0 keygen` writes it, mode 0600) or an environment variable stays outside; the
// Deployment's check() then replaces the secret by its public key.
import * as fs from 'node:fs';
import * as pulumi from '@pulumi/pulumi';

/** The key file's text as a secret. Its format is checked by the Deployment (at preview). */
export function signingKeyFromFile(file: string): pulumi.Output<string> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'latin1');
  } catch (e) {
    throw new Error(
      `signing key file ${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  return pulumi.secret(text.trim());
}

/** The key from an environment variable (default D0_SIGNING_KEY) as a secret. */
export function signingKeyFromEnv(name = 'D0_SIGNING_KEY'): pulumi.Output<string> {
  const v = process.env[name];
  if (!v) throw new Error(`signing key: environment variable ${name} is not set`);
  return pulumi.secret(v.trim());
}
