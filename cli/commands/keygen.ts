// `d0 keygen --out PREFIX`: a new Ed25519 signing key. PREFIX.key holds the secret seed (mode 0600),
// PREFIX.pub the public key (formats in core/sign.ts). The secret is never printed.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatPublicKeyFile, formatSecretKeyFile, generateKeyPair } from '../../core/sign';
import { badInput, parseFlags, writeAllOrNothing, type Command } from '../io';

const USAGE = 'keygen --out PREFIX   (writes PREFIX.key, mode 0600, and PREFIX.pub)';

export const command: Command = {
  name: 'keygen',
  usage: [USAGE],
  run(args, io) {
    const { values, positionals } = parseFlags(args, { out: { type: 'string' } }, USAGE);
    if (!values.out || positionals.length > 0) throw badInput(`usage: d0 ${USAGE}`);
    const [keyFile, pubFile] = [`${values.out}.key`, `${values.out}.pub`];
    for (const f of [keyFile, pubFile]) {
      if (fs.existsSync(f)) throw badInput(`${f}: already exists; refusing to overwrite a key`);
    }
    // A project's key usually goes into a folder of its own (.d0/signing): make it, private.
    fs.mkdirSync(path.dirname(path.resolve(values.out)), { recursive: true, mode: 0o700 });
    const { secretKey, publicKey } = generateKeyPair(new Uint8Array(crypto.randomBytes(32)));
    writeAllOrNothing([
      { path: keyFile, data: formatSecretKeyFile(secretKey), mode: 0o600 },
      { path: pubFile, data: formatPublicKeyFile(publicKey) },
    ]);
    secretKey.fill(0);
    io.out(`wrote ${keyFile} (secret, mode 0600) and ${pubFile}`);
    io.out(`public key ${Buffer.from(publicKey).toString('hex')}`);
    return 0;
  },
};
