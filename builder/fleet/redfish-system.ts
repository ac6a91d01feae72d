// Finding the ComputerSystem to act on: GET /redfish/v1/Systems, then the member whose id (the
// last segment of its @odata.id) is the target's `system`, or the only member when no `system`
// is given, then GET that member. Links a BMC gives are untrusted: followed only when they stay on
// the BMC's origin and under /redfish/ (credentials are never sent elsewhere).
import type { BmcConnection } from './bmc-target';
import { field, quote } from './bmc-text';
import { FleetError } from './errors';
import { answerError, redfishRequest } from './redfish-request';

export const SYSTEMS_PATH = '/redfish/v1/Systems';

/** The most member ids an error lists. */
const IDS_LISTED = 20;

export interface RedfishSystem {
  /** Its id: the resource's Id, else the last segment of its link. Quoted. */
  readonly id: string;
  /** Its path on the BMC. */
  readonly path: string;
  /** The resource as the BMC sent it (a JSON object). */
  readonly resource: Readonly<Record<string, unknown>>;
}

/** GETs a Redfish resource: a JSON object, or a FleetError saying what came instead. */
export async function getResource(
  conn: BmcConnection,
  path: string,
): Promise<Readonly<Record<string, unknown>>> {
  const answer = await redfishRequest(conn, 'GET', path);
  if (answer.status !== 200) throw answerError(conn, 'GET', path, answer);
  const json = answer.json;
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new FleetError(
      'BMC_PROTOCOL',
      `BMC ${conn.origin}: GET ${quote(path)} answered 200 without a JSON object (not a Redfish service?)`,
      200,
    );
  return json as Record<string, unknown>;
}

/** The path a link of the BMC names, when it stays on the BMC's origin and under /redfish/. */
export function linkPath(conn: BmcConnection, link: unknown, what: string): string {
  let url: URL | undefined;
  if (typeof link === 'string' && link) {
    try {
      url = new URL(link, conn.origin);
    } catch {
      url = undefined;
    }
  }
  const shown = typeof link === 'string' ? `"${quote(link)}"` : 'missing';
  if (
    !url ||
    `${url.protocol}//${url.host}` !== conn.origin ||
    !url.pathname.startsWith('/redfish/')
  )
    throw new FleetError(
      'BMC_PROTOCOL',
      `BMC ${conn.origin}: ${what}: link ${shown} is not a path under /redfish/ on this BMC`,
    );
  return url.pathname + url.search;
}

/** A member's id: the last non-empty segment of its path, decoded. */
function memberId(path: string): string {
  const last = path.split('?')[0].split('/').filter(Boolean).pop() ?? '';
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

function listIds(ids: readonly string[]): string {
  const shown = ids.slice(0, IDS_LISTED).map((id) => quote(id, 64));
  return shown.join(', ') + (ids.length > IDS_LISTED ? `, ... (${ids.length} in all)` : '');
}

/** The system to act on (the contract is at the top of this file). */
export async function findSystem(conn: BmcConnection, system?: string): Promise<RedfishSystem> {
  const collection = await getResource(conn, SYSTEMS_PATH);
  const members = field(collection, 'Members');
  if (!Array.isArray(members))
    throw new FleetError(
      'BMC_PROTOCOL',
      `BMC ${conn.origin}: GET ${SYSTEMS_PATH} has no Members list (not a Redfish service?)`,
    );
  const paths = members.map((m, i) =>
    linkPath(conn, field(m, '@odata.id'), `${SYSTEMS_PATH} member ${i}`),
  );
  const ids = paths.map(memberId);
  let path: string;
  if (system !== undefined) {
    const at = ids.indexOf(system);
    if (at < 0)
      throw new FleetError(
        'BMC_SYSTEM',
        `BMC ${conn.origin}: no system "${quote(system)}" in ${SYSTEMS_PATH} ` +
          (ids.length ? `(it has: ${listIds(ids)})` : '(it has none)'),
      );
    path = paths[at];
  } else if (paths.length === 1) {
    path = paths[0];
  } else {
    throw new FleetError(
      'BMC_SYSTEM',
      paths.length === 0
        ? `BMC ${conn.origin}: ${SYSTEMS_PATH} has no member: no system to act on`
        : `BMC ${conn.origin}: ${SYSTEMS_PATH} has ${paths.length} systems (${listIds(ids)}): ` +
            'name one with system',
    );
  }
  const resource = await getResource(conn, path);
  const id = field(resource, 'Id');
  return {
    id: quote(typeof id === 'string' && id.trim() ? id : memberId(path), 64),
    path,
    resource,
  };
}
