// Rebooting a host through its BMC with Redfish (DMTF DSP0266), the protocol current server BMCs
// speak. docs/fleet.md, "Rebooting hosts: Redfish".
//
// Contract:
// - resetHost: GET /redfish/v1/Systems and the system (./redfish-system.ts), read its
//   Actions["#ComputerSystem.Reset"].target, check the reset type against the allowed ones (the
//   action's ResetType@Redfish.AllowableValues, else the ResetType parameter of its
//   @Redfish.ActionInfo, when the BMC gives either), then POST {"ResetType": <type>} to the target.
//   200, 202 and 204 mean the BMC took the reset (202: it runs on; it is not waited for); any
//   other answer is a FleetError. Nothing is sent but those requests, and the POST only once the
//   reset type is known to be allowed.
// - powerState: the same discovery, then the system's PowerState ("On", "Off", ...), quoted.
// - Every request is bounded by timeoutMs (default 15 s); a whole call makes at most 4 of them.
// - Credentials go as Basic auth to the BMC's origin only (links elsewhere are refused). Errors
//   name the BMC's origin and what failed, quote what the BMC said only after ./bmc-text.ts has
//   cleaned and capped it, and never hold the password: each message is scrubbed of it (and of
//   the Basic token) before it is thrown, even when the BMC echoed it back.
import { bmcConnection, type BmcConnection, type BmcTarget } from './bmc-target';
import { field, quote } from './bmc-text';
import { FleetError } from './errors';
import { answerError, redfishRequest } from './redfish-request';
import { findSystem, getResource, linkPath, type RedfishSystem } from './redfish-system';

export type { BmcTarget };
export { DEFAULT_TIMEOUT_MS } from './bmc-target';

/** The reset types a rollout asks for (Redfish's ResetType has more: ForceOff, Nmi, ...). */
export type ResetType = 'ForceRestart' | 'GracefulRestart' | 'PowerCycle' | 'On';
export const RESET_TYPES: readonly ResetType[] = [
  'ForceRestart',
  'GracefulRestart',
  'PowerCycle',
  'On',
];
/** D0 has no OS shutdown for a graceful restart to wait for: a forced one is what it needs. */
export const DEFAULT_RESET_TYPE: ResetType = 'ForceRestart';

export interface ResetOptions {
  /** Default ForceRestart. */
  readonly resetType?: ResetType;
  /** The bound of each request, ms; default 15000. */
  readonly timeoutMs?: number;
}

export interface ResetResult {
  /** The id of the system reset. */
  readonly system: string;
  readonly resetType: string;
  /** The status the BMC answered the reset with: 200, 202 or 204. */
  readonly status: number;
}

const RESET_ACTION = '#ComputerSystem.Reset';
const ACCEPTED = new Set([200, 202, 204]);
/** The most allowed values an error lists. */
const VALUES_LISTED = 20;

/** Resets the target's system (the contract is at the top of this file). */
export async function resetHost(target: BmcTarget, opts: ResetOptions = {}): Promise<ResetResult> {
  const resetType = opts.resetType ?? DEFAULT_RESET_TYPE;
  const conn = bmcConnection(target, opts.timeoutMs);
  if (!RESET_TYPES.includes(resetType))
    throw new FleetError(
      'BMC_TARGET',
      `BMC ${conn.origin}: reset type "${quote(String(resetType), 40)}" is not one of ${RESET_TYPES.join(', ')}`,
    );
  return scrubbed(conn, async () => {
    const system = await findSystem(conn, target.system);
    const action = field(field(system.resource, 'Actions'), RESET_ACTION);
    const actionPath = linkPath(
      conn,
      field(action, 'target'),
      `system ${system.id}: Actions["${RESET_ACTION}"].target`,
    );
    const allowed = await allowedResetTypes(conn, system, action);
    if (allowed && !allowed.includes(resetType))
      throw new FleetError(
        'BMC_RESET_TYPE',
        `BMC ${conn.origin}: system ${system.id} does not allow reset type ${resetType} ` +
          `(allowed: ${listValues(allowed)})`,
      );
    const answer = await redfishRequest(conn, 'POST', actionPath, { ResetType: resetType });
    if (!ACCEPTED.has(answer.status)) throw answerError(conn, 'POST', actionPath, answer);
    return { system: system.id, resetType, status: answer.status };
  });
}

/** The PowerState of the target's system ("On", "Off", "PoweringOn", ...), for status output. */
export async function powerState(
  target: BmcTarget,
  opts: { readonly timeoutMs?: number } = {},
): Promise<string> {
  const conn = bmcConnection(target, opts.timeoutMs);
  return scrubbed(conn, async () => {
    const system = await findSystem(conn, target.system);
    const state = field(system.resource, 'PowerState');
    if (typeof state !== 'string' || !state.trim())
      throw new FleetError(
        'BMC_PROTOCOL',
        `BMC ${conn.origin}: system ${system.id} has no PowerState`,
      );
    return quote(state, 40);
  });
}

/**
 * The reset types the BMC allows for this action, or undefined when it does not say: inline
 * (ResetType@Redfish.AllowableValues), else through the action's @Redfish.ActionInfo resource.
 */
async function allowedResetTypes(
  conn: BmcConnection,
  system: RedfishSystem,
  action: unknown,
): Promise<string[] | undefined> {
  const inline = field(action, 'ResetType@Redfish.AllowableValues');
  if (inline !== undefined)
    return stringList(conn, system, inline, 'ResetType@Redfish.AllowableValues');
  const infoLink = field(action, '@Redfish.ActionInfo');
  if (infoLink === undefined) return undefined;
  const info = await getResource(
    conn,
    linkPath(conn, infoLink, `system ${system.id}: the reset action's @Redfish.ActionInfo`),
  );
  const parameters = field(info, 'Parameters');
  const param = Array.isArray(parameters)
    ? parameters.find((p) => field(p, 'Name') === 'ResetType')
    : undefined;
  const values = field(param, 'AllowableValues');
  return values === undefined
    ? undefined
    : stringList(conn, system, values, 'ActionInfo ResetType AllowableValues');
}

function stringList(
  conn: BmcConnection,
  system: RedfishSystem,
  value: unknown,
  what: string,
): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
    throw new FleetError(
      'BMC_PROTOCOL',
      `BMC ${conn.origin}: system ${system.id}: ${what} is not a list of strings`,
    );
  return value;
}

function listValues(values: readonly string[]): string {
  if (values.length === 0) return 'none';
  const shown = values.slice(0, VALUES_LISTED).map((v) => quote(v, 40));
  return (
    shown.join(', ') + (values.length > VALUES_LISTED ? `, ... (${values.length} in all)` : '')
  );
}

/** Runs fn; a FleetError it throws is thrown again without the connection's secrets. */
async function scrubbed<T>(conn: BmcConnection, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (!(e instanceof FleetError) || !conn.secrets.some((s) => e.message.includes(s))) throw e;
    const message = conn.secrets.reduce((m, s) => m.split(s).join('***'), e.message);
    throw new FleetError(e.code, message, e.status);
  }
}
