// The signing key's only home in the provider process: memory, keyed by its public key.
//
// Deployment.check() receives the secret (the engine decrypts it for the provider), puts it here
// and replaces it in the checked inputs by its public key, so the state, outputs and logs hold
// only the public key. create() in the same process (the engine calls check right before it)
// takes the secret back from here.
const keys = new Map<string, Uint8Array>();

export function stashKey(publicKeyHex: string, secretKey: Uint8Array): void {
  keys.set(publicKeyHex, Uint8Array.from(secretKey));
}

export function stashedKey(publicKeyHex: string): Uint8Array | undefined {
  const k = keys.get(publicKeyHex);
  return k && Uint8Array.from(k);
}
