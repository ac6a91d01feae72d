// The disk states a cut can leave, given the recorded writes (record.ts), under the model of a
// drive that persists each 512-byte sector whole but may reorder writes between two flushes:
// - every prefix: steps 1..k complete (a cut between two steps), k = 0 included (nothing landed);
// - within step k: steps 1..k-1 complete and any subset of step k's sectors (a cut during it,
//   with the drive's reordering): the empty and full subsets are the prefixes, plus `perStep`
//   seeded random subsets and the step's first and last half;
// - within one flush group (the writer fsyncs only after the last chunk and after the rename, so
//   all the chunk writes form one group): `perGroup` seeded random subsets of the whole group.
// States with identical bytes are listed once.
import crypto from 'node:crypto';
import type { SectorWrite, Step } from './record';

export interface CutState {
  /** e.g. "prefix 7 (chunk)", "step 7 subset 2/3", "group 1 subset 1". */
  name: string;
  /** The step this state stops in (1-based index into the steps with writes). */
  step: number;
  /** Whether the step's writes are all applied (a step boundary). */
  whole: boolean;
  writes: SectorWrite[];
}

/** mulberry32: a small seeded PRNG, so the subsets are the same on every run. */
export function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const subset = (w: SectorWrite[], rand: () => number) => w.filter(() => rand() < 0.5);

export function cutStates(
  steps: Step[],
  o: { perStep: number; perGroup: number; flushAfter: string[]; seed: number },
): CutState[] {
  const rand = prng(o.seed);
  const withWrites = steps.filter((s) => s.writes.length > 0);
  const out: CutState[] = [];
  const seen = new Set<string>();
  const add = (s: CutState) => {
    const h = crypto.createHash('sha256');
    const last = new Map<number, Buffer>();
    for (const w of s.writes) last.set(w.lba, w.data);
    for (const lba of [...last.keys()].sort((a, b) => a - b)) h.update(`${lba}:`).update(last.get(lba)!);
    const key = h.digest('hex');
    if (!seen.has(key)) {
      seen.add(key);
      out.push(s);
    }
  };
  add({ name: 'nothing written yet', step: 0, whole: true, writes: [] });
  let done: SectorWrite[] = [];
  let group: SectorWrite[] = [];
  let groupNo = 1;
  let k = 0; // the last step with writes so far
  for (const [i, st] of steps.entries()) {
    if (st.writes.length > 0) {
      k = withWrites.indexOf(st) + 1;
      const w = st.writes;
      const tag = `step ${k} (${st.what} #${st.n})`;
      // The whole step first, so a subset that happens to be all of it keeps the prefix's name.
      add({ name: `prefix through ${tag}`, step: k, whole: true, writes: [...done, ...w] });
      if (w.length > 1) {
        add({ name: `${tag} first half`, step: k, whole: false, writes: [...done, ...w.slice(0, Math.ceil(w.length / 2))] });
        add({ name: `${tag} last half`, step: k, whole: false, writes: [...done, ...w.slice(Math.ceil(w.length / 2))] });
      }
      for (let j = 1; j <= o.perStep; j++)
        add({ name: `${tag} subset ${j}/${o.perStep}`, step: k, whole: false, writes: [...done, ...subset(w, rand)] });
      done = [...done, ...w];
      group = [...group, ...w];
    }
    if (o.flushAfter.includes(st.what) || i === steps.length - 1) {
      if (group.length > 0) {
        const before = done.slice(0, done.length - group.length);
        for (let j = 1; j <= o.perGroup; j++)
          add({ name: `flush group ${groupNo} (ends at ${st.what}) subset ${j}/${o.perGroup}`, step: k, whole: false, writes: [...before, ...subset(group, rand)] });
        groupNo++;
      }
      group = [];
    }
  }
  return out;
}
