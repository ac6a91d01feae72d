// A BMC password's only home in the provider process: memory, keyed by the login it belongs to.
//
// HostRollout.check() receives the password (a pulumi secret the engine decrypts for the
// provider), puts it here and removes it from the checked inputs, so the state, outputs and logs
// hold nothing of it: not the password, not a hash of it, not a mark that one was given.
// create() and update() in the same process (the engine calls check right before them) take it
// back from here. The key is the login's public part: the host's MAC, the BMC's URL, system and
// username.
import type { HostInputs } from './host-rollout-inputs';

const passwords = new Map<string, string>();

/** The login a password belongs to: nothing secret in it. */
function loginKey(host: HostInputs | undefined): string {
  const bmc = host?.bmc;
  return JSON.stringify([host?.mac ?? '', bmc?.url ?? '', bmc?.system ?? '', bmc?.username ?? '']);
}

export function stashPassword(host: HostInputs | undefined, password: string): void {
  passwords.set(loginKey(host), password);
}

/** The password check() stashed for this login, if any. */
export function stashedPassword(host: HostInputs | undefined): string | undefined {
  return passwords.get(loginKey(host));
}

/** Forgets the login's password (a later check without one must not find an old one). */
export function forgetPassword(host: HostInputs | undefined): void {
  passwords.delete(loginKey(host));
}
