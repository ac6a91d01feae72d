// What the bench measures against a serving nginx, the same on both paths: `gets` sequential small
// GETs of the page (request latency), then `reps` downloads of each file (throughput), then the
// GET that ends the workload. Every request is bounded; any failure fails the run.
import { blobPath, STOP_PATH } from './image';
import { fetchOk } from './http';

export interface Plan {
  /** The file sizes to download, MiB. */
  readonly sizesMib: readonly number[];
  /** Downloads of each file per boot. */
  readonly reps: number;
  /** Sequential GETs of the page per boot. */
  readonly gets: number;
}

export interface Download {
  readonly mib: number;
  readonly ms: number;
  /** MiB per second. */
  readonly rate: number;
}

export interface Measured {
  readonly latencyMs: number[];
  readonly downloads: Download[];
  /** Every body byte received, the page GETs included. */
  readonly bytes: number;
}

const GET_TIMEOUT_MS = 30_000;
/** A download may take this long per MiB (nested TCG on a loaded host), plus GET_TIMEOUT_MS. */
const DOWNLOAD_MS_PER_MIB = 20_000;

export async function measure(port: number, plan: Plan): Promise<Measured> {
  const latencyMs: number[] = [];
  const downloads: Download[] = [];
  let bytes = 0;
  for (let i = 0; i < plan.gets; i++) {
    const r = await fetchOk(port, '/', GET_TIMEOUT_MS);
    latencyMs.push(+r.ms.toFixed(2));
    bytes += r.bytes;
  }
  for (let rep = 0; rep < plan.reps; rep++)
    for (const mib of plan.sizesMib) {
      const r = await fetchOk(
        port,
        blobPath(mib),
        GET_TIMEOUT_MS + mib * DOWNLOAD_MS_PER_MIB,
        mib * 2 ** 20,
      );
      downloads.push({ mib, ms: Math.round(r.ms), rate: +(mib / (r.ms / 1000)).toFixed(3) });
      bytes += r.bytes;
    }
  return { latencyMs, downloads, bytes };
}

/** Asks the workload to end (it exits once nginx has logged this GET). */
export async function stopWorkload(port: number): Promise<void> {
  await fetchOk(port, STOP_PATH, GET_TIMEOUT_MS);
}
