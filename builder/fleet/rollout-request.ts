// What a rollout is asked to do, and the checks it passes before anything is published or reset:
// every problem is named in one FleetError ROLLOUT_REQUEST (a BMC target that cannot be used is
// named with bmc-target.ts's reason; its password never appears).
import fs from 'node:fs';
import { hostIdProblem } from '../publish/host-id';
import { bmcConnection, type BmcTarget } from './bmc-target';
import { FleetError } from './errors';
import { RESET_TYPES, type ResetType } from './redfish';

export interface RolloutHost {
  /** What the operator calls it (`web-1`): letters, digits, '.', '_', '-'. */
  readonly name: string;
  /** Its id: the MAC of the NIC it pulls through, lowercase, dashes (its pointer's name). */
  readonly id: string;
  /** Its BMC; without one the host is reset by `manual`. */
  readonly bmc?: BmcTarget;
}

export interface RolloutRequest {
  /** The site's publication directory (what the update server serves). */
  readonly site: string;
  /** The build: its `<uuid>` directory or its slot tree. */
  readonly buildDir: string;
  /** The site's 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
  /** The hosts, batch by batch: a batch starts only once every host of the one before committed. */
  readonly batches: readonly (readonly RolloutHost[])[];
  /** The collector's file of the hosts' reports (docs/fleet.md, "Reports"). */
  readonly reportsFile: string;
  /** How long each host of a batch has, from the batch's last reset to its verdict. */
  readonly hostTimeoutMs: number;
  /** Default ForceRestart. */
  readonly resetType?: ResetType;
  /** How often the reports file is read, ms (default 500). */
  readonly pollMs?: number;
  /** One line per step, for the operator. */
  readonly log?: (line: string) => void;
  /** Resets a host without a BMC (e.g. asks the operator); required when any host has none. */
  readonly manual?: (host: RolloutHost) => Promise<void>;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const TIMER_MAX_MS = 2 ** 31 - 1;
const PUBLIC_KEY_BYTES = 32;

/** How a host is named in messages: `web-1 (52-54-00-12-34-56)`. */
export function hostLabel(h: Pick<RolloutHost, 'name' | 'id'>): string {
  return `${h.name} (${h.id})`;
}

/** Every problem of the request, in order; empty when it can run. */
export function rolloutRequestProblems(req: RolloutRequest): string[] {
  const problems: string[] = [];
  if (!Array.isArray(req.batches) || req.batches.length === 0)
    problems.push('batches: no batch (give at least one batch of hosts)');
  const seenIds = new Map<string, string>();
  const seenNames = new Map<string, string>();
  const withoutBmc: string[] = [];
  (req.batches ?? []).forEach((batch, b) => {
    const where = `batch ${b + 1}`;
    if (!Array.isArray(batch) || batch.length === 0) {
      problems.push(`${where}: no host (a batch holds at least one)`);
      return;
    }
    batch.forEach((h, i) => {
      const name = typeof h?.name === 'string' ? h.name : '';
      const id = typeof h?.id === 'string' ? h.id : '';
      const at = `${where} host ${NAME.test(name) ? name : `#${i + 1}`}`;
      if (!NAME.test(name))
        problems.push(
          `${where} host #${i + 1}: name ${JSON.stringify(name).slice(0, 80)} is not 1-63 letters, digits, '.', '_' or '-'`,
        );
      else if (seenNames.has(name))
        problems.push(`${at}: the name is also given in ${seenNames.get(name)}`);
      else seenNames.set(name, where);
      const idProblem = hostIdProblem(id);
      if (idProblem) problems.push(`${at}: id ${JSON.stringify(id).slice(0, 80)}: ${idProblem}`);
      else if (seenIds.has(id))
        problems.push(
          `${at}: id ${id} is also given in ${seenIds.get(id)} (a host is rolled out once)`,
        );
      else seenIds.set(id, `${where} (host ${name})`);
      if (h?.bmc === undefined) withoutBmc.push(name || `#${i + 1}`);
      else {
        try {
          bmcConnection(h.bmc);
        } catch (e) {
          problems.push(`${at}: ${(e as Error).message}`);
        }
      }
    });
  });
  if (withoutBmc.length > 0 && typeof req.manual !== 'function')
    problems.push(
      `host ${withoutBmc.join(', ')}: no BMC, and no manual reset was given (a host without a BMC is reset by hand)`,
    );
  if (!(
    Number.isFinite(req.hostTimeoutMs) &&
    req.hostTimeoutMs > 0 &&
    req.hostTimeoutMs <= TIMER_MAX_MS
  ))
    problems.push(`hostTimeoutMs ${req.hostTimeoutMs}: not a positive duration`);
  if (
    req.pollMs !== undefined &&
    !(Number.isFinite(req.pollMs) && req.pollMs > 0 && req.pollMs <= TIMER_MAX_MS)
  )
    problems.push(`pollMs ${req.pollMs}: not a positive duration`);
  if (req.resetType !== undefined && !RESET_TYPES.includes(req.resetType))
    problems.push(
      `resetType ${JSON.stringify(req.resetType)}: not one of ${RESET_TYPES.join(', ')}`,
    );
  if (!(req.publicKey instanceof Uint8Array) || req.publicKey.length !== PUBLIC_KEY_BYTES)
    problems.push(`publicKey: not a ${PUBLIC_KEY_BYTES}-byte Ed25519 public key`);
  if (typeof req.reportsFile !== 'string' || !req.reportsFile)
    problems.push('reportsFile: no file given');
  else {
    const st = fs.statSync(req.reportsFile, { throwIfNoEntry: false });
    if (st && !st.isFile()) problems.push(`reportsFile ${req.reportsFile}: not a regular file`);
  }
  return problems;
}

/** Throws ROLLOUT_REQUEST naming every problem of the request. */
export function checkRolloutRequest(req: RolloutRequest): void {
  const problems = rolloutRequestProblems(req);
  if (problems.length > 0)
    throw new FleetError(
      'ROLLOUT_REQUEST',
      `rollout refused before anything was done: ${problems.join('; ')}`,
    );
}
