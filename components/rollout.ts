// The rollout order of a fleet: hosts in the order given (site by site), cut into batches; every
// writer of batch k waits for all writers of batch k-1. Pure.
export interface RolloutHost {
  readonly site: string;
  readonly host: string;
}

export interface RolloutStep extends RolloutHost {
  /** 0-based batch number. */
  readonly batch: number;
}

export function rolloutBatches(hosts: readonly RolloutHost[], batchSize: number): RolloutStep[][] {
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new Error(`Fleet: batchSize ${batchSize} is not a whole number >= 1`);
  const seen = new Set<string>();
  for (const h of hosts) {
    const k = `${h.site}/${h.host}`;
    if (seen.has(k)) throw new Error(`Fleet: host ${h.host} of site ${h.site} is listed twice`);
    seen.add(k);
  }
  const out: RolloutStep[][] = [];
  hosts.forEach((h, i) => {
    const b = Math.floor(i / batchSize);
    (out[b] ??= []).push({ ...h, batch: b });
  });
  return out;
}
