// The rollout order of a fleet: hosts in the order given (site by site), cut into batches: an
// optional canary batch of `canary` hosts first, then batches of `batchSize`. Every resource of
// batch k waits for all of batch k-1. Pure.
export interface RolloutHost {
  readonly site: string;
  readonly host: string;
}

export interface RolloutStep extends RolloutHost {
  /** 0-based batch number. */
  readonly batch: number;
}

const wholeAtLeastOne = (n: number) => Number.isInteger(n) && n >= 1;

export function rolloutBatches(
  hosts: readonly RolloutHost[],
  batchSize: number,
  canary?: number,
): RolloutStep[][] {
  if (!wholeAtLeastOne(batchSize))
    throw new Error(`Fleet: batchSize ${batchSize} is not a whole number >= 1`);
  if (canary !== undefined && !wholeAtLeastOne(canary))
    throw new Error(`Fleet: canary ${canary} is not a whole number >= 1`);
  const seen = new Set<string>();
  for (const h of hosts) {
    const k = `${h.site}/${h.host}`;
    if (seen.has(k)) throw new Error(`Fleet: host ${h.host} of site ${h.site} is listed twice`);
    seen.add(k);
  }
  const first = canary ?? 0;
  const out: RolloutStep[][] = [];
  hosts.forEach((h, i) => {
    const b = i < first ? 0 : (first > 0 ? 1 : 0) + Math.floor((i - first) / batchSize);
    (out[b] ??= []).push({ ...h, batch: b });
  });
  return out;
}
