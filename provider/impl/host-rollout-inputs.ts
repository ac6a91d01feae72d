// A HostRollout's inputs as its provider sees them, their problems (each at its path, for check()
// at preview and again before anything is done at up), and the BMC target a reset is sent with.
// A value not known yet (the engine's marker during preview) is not checked.
import fs from 'node:fs';
import path from 'node:path';
import type { Problem } from '../../core/errors';
import { isUuidV7 } from '../../core/uuid';
import { bmcConnection, type BmcTarget } from '../../builder/fleet/bmc-target';
import { hostLabel } from '../../builder/fleet/rollout-request';
import { RESET_TYPES, type ResetType } from '../../builder/fleet/redfish';
import { hostIdProblem } from '../../builder/publish/host-id';
import { hasUnknown } from './problems';

export const DEFAULT_TIMEOUT_SECONDS = 600;
export const DEFAULT_RESET_TYPE: ResetType = 'ForceRestart';
/** The longest wait a Node timer holds (about 24.8 days), in seconds. */
const TIMEOUT_MAX_SECONDS = Math.floor((2 ** 31 - 1) / 1000);
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const PUBLIC_KEY = /^[0-9a-f]{64}$/;

/** The BMC of a host, as kept in state: its password is never part of it (bmc-password-stash.ts). */
export interface BmcInputs {
  url: string;
  system?: string;
  username?: string;
  insecure?: boolean;
}

export interface HostInputs {
  name: string;
  /** The MAC of the NIC the host pulls through, lowercase, dashes: its pointer's name. */
  mac: string;
  bmc?: BmcInputs;
}

export interface HostRolloutInputs extends Record<string, unknown> {
  /** The site's publication directory (absolute). */
  site: string;
  /** The published build the host is moved to. */
  buildUuid: string;
  /** The site's public key, 64 hex digits: the build is checked with it before a pointer names it. */
  publicKey: string;
  host: HostInputs;
  /** Before check() only: the BMC password, a secret. check() moves it out of the inputs. */
  bmcPassword?: string;
  /** The collector's file of the hosts' reports (absolute). */
  reportsFile: string;
  timeoutSeconds?: number;
  resetType?: ResetType;
  /** The resource's name: its progress lines say `HostRollout <name>: ...`. */
  resourceName?: string;
}

/** How messages name the host: `web-1 (52-54-00-12-34-56)`. */
export function labelOf(host: HostInputs | undefined): string {
  return hostLabel({ name: String(host?.name ?? '?'), id: String(host?.mac ?? '?') });
}

const absolute = (v: unknown) => typeof v === 'string' && path.isAbsolute(v);
const known = (v: unknown) => v !== undefined && !hasUnknown(v);

/** The BMC target a reset is sent with: the state's BMC and the password check() kept aside. */
export function bmcTarget(bmc: BmcInputs, password: string | undefined): BmcTarget {
  return {
    url: bmc.url,
    ...(bmc.system !== undefined ? { system: bmc.system } : {}),
    ...(bmc.username !== undefined ? { username: bmc.username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(bmc.insecure !== undefined ? { insecure: bmc.insecure } : {}),
  };
}

/** The host with its BMC URL stripped of any `user:password@` (hostProblems refuses one). */
export function withoutUrlLogin(host: HostInputs): HostInputs {
  const url = host?.bmc?.url;
  if (typeof url !== 'string') return host;
  let stripped: string;
  try {
    const u = new URL(url);
    if (!u.username && !u.password) return host;
    u.username = '';
    u.password = '';
    stripped = u.toString();
  } catch {
    stripped = url.replace(/\/\/[^/@]*@/, '//');
  }
  return { ...host, bmc: { ...host.bmc!, url: stripped } };
}

function hostProblems(host: HostInputs | undefined): Problem[] {
  const out: Problem[] = [];
  const invalid = (p: string, message: string) => out.push({ code: 'INVALID', path: p, message });
  if (hasUnknown(host) && typeof host !== 'object') return out;
  if (!host || typeof host !== 'object') {
    invalid('host', 'is required: { name, mac, bmc }');
    return out;
  }
  if (known(host.name) && !(typeof host.name === 'string' && NAME.test(host.name)))
    invalid(
      'host.name',
      `${JSON.stringify(host.name).slice(0, 80)} is not 1-63 letters, digits, '.', '_' or '-'`,
    );
  if (known(host.mac)) {
    const problem = typeof host.mac === 'string' ? hostIdProblem(host.mac) : 'not a string';
    if (problem) invalid('host.mac', `${JSON.stringify(host.mac).slice(0, 80)}: ${problem}`);
  }
  if (host.bmc === undefined || host.bmc === null)
    invalid(
      'host.bmc',
      'is required: Pulumi resets a host through its BMC (Redfish) and has no prompt to wait ' +
        'for a reset by hand; roll a host without a BMC out with the CLI, `d0 rollout`, which ' +
        'asks the operator to reset it',
    );
  else if (known(host.bmc)) {
    try {
      // The password plays no part in what is checked here, and no message names it.
      bmcConnection(bmcTarget(host.bmc, undefined));
    } catch (e) {
      invalid('host.bmc', (e as Error).message);
    }
  }
  return out;
}

/** Every problem of the inputs, each at its path; values not known yet are left unchecked. */
export function hostRolloutProblems(inputs: HostRolloutInputs): Problem[] {
  const out: Problem[] = hostProblems(inputs.host);
  const invalid = (p: string, message: string) => out.push({ code: 'INVALID', path: p, message });
  if (known(inputs.site) && !absolute(inputs.site))
    invalid('site', `${JSON.stringify(inputs.site)} is not an absolute path`);
  if (known(inputs.buildUuid) && !isUuidV7(String(inputs.buildUuid)))
    invalid('buildUuid', `${JSON.stringify(inputs.buildUuid)} is not a UUIDv7`);
  if (known(inputs.publicKey) && !PUBLIC_KEY.test(String(inputs.publicKey)))
    invalid('publicKey', "not 64 lowercase hex digits (the Deployment's publicKey)");
  if (known(inputs.reportsFile)) {
    if (!absolute(inputs.reportsFile))
      invalid('reportsFile', `${JSON.stringify(inputs.reportsFile)} is not an absolute path`);
    else {
      const st = fs.statSync(inputs.reportsFile, { throwIfNoEntry: false });
      if (st && !st.isFile()) invalid('reportsFile', `${inputs.reportsFile} is not a regular file`);
    }
  }
  const t = inputs.timeoutSeconds;
  if (
    known(t) &&
    !(typeof t === 'number' && Number.isFinite(t) && t > 0 && t <= TIMEOUT_MAX_SECONDS)
  )
    invalid(
      'timeoutSeconds',
      `${JSON.stringify(t)} is not a number of seconds (0 < s <= ${TIMEOUT_MAX_SECONDS})`,
    );
  if (known(inputs.resetType) && !RESET_TYPES.includes(inputs.resetType as ResetType))
    invalid(
      'resetType',
      `${JSON.stringify(inputs.resetType)} is not one of ${RESET_TYPES.join(', ')}`,
    );
  return out;
}
