// Build directories stay while a host disk runs them. A build written to a slot of a host's A/B
// disk is that host's fallback (or its running build) until a later write replaces that slot,
// so deleting its directory when a newer build replaces it would leave the site unable to
// rewrite or inspect what a host holds. The contract:
//
//   <outDir>/<uuid>/held-by/<sha256 of target>.json   {"target": PATH}: a writer put this build on PATH
//   <outDir>/<uuid>/retained                          its owner was deleted while a slot held it
//
// - A writer records the disk it wrote (recordHolder).
// - Deleting a build (removeBuildDir) removes the directory unless one of its holders' slots
//   still holds that build UUID; then the directory is marked retained and kept.
// - Every later build or deletion in the same outDir collects the retained directories whose
//   builds no slot holds any more (collectRetained): a third build collects the first.
// A holder that no longer exists or no longer reads as an A/B disk holds nothing.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { partitionFiles, slotPartitions } from '../disk/slots';
import { slotUuid } from '../disk/slot-verify';

const HELD_BY = 'held-by';
const RETAINED = 'retained';

/** Notes that the build in buildDir was written to target (an image file or a block device). */
export function recordHolder(buildDir: string, target: string): void {
  const dir = path.join(buildDir, HELD_BY);
  fs.mkdirSync(dir, { recursive: true });
  const name = `${createHash('sha256').update(target).digest('hex').slice(0, 32)}.json`;
  fs.writeFileSync(path.join(dir, name), `${JSON.stringify({ target })}\n`);
}

function holders(buildDir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(path.join(buildDir, HELD_BY));
  } catch {
    return [];
  }
  return names.flatMap((n) => {
    try {
      const t = (JSON.parse(fs.readFileSync(path.join(buildDir, HELD_BY, n), 'utf8')) as { target?: unknown }).target;
      return typeof t === 'string' ? [t] : [];
    } catch {
      return [];
    }
  });
}

/**
 * The recorded disks whose slots still hold build `uuid`, by the slots' manifest names (a slot's
 * identity: only the names are read, no file is hashed).
 */
export async function heldBy(buildDir: string, uuid: string): Promise<string[]> {
  const out: string[] = [];
  for (const target of holders(buildDir)) {
    try {
      for (const { part } of slotPartitions(target))
        if ((await slotUuid(partitionFiles(target, part))) === uuid) {
          out.push(target);
          break;
        }
    } catch {
      /* gone, or no longer an A/B disk: it holds nothing */
    }
  }
  return out;
}

function buildUuidOf(dir: string): string | undefined {
  try {
    const u = (JSON.parse(fs.readFileSync(path.join(dir, 'build.json'), 'utf8')) as { buildUuid?: unknown }).buildUuid;
    return typeof u === 'string' ? u : undefined;
  } catch {
    return undefined;
  }
}

export type Removal = { removed: true } | { removed: false; heldBy: string[] };

/**
 * Removes the build directory of build `uuid`, unless a slot holds it: then it is marked retained
 * and kept. A directory that is not that build's (its build.json says otherwise) is left alone.
 */
export async function removeBuildDir(dir: string, uuid: string): Promise<Removal> {
  if (buildUuidOf(dir) !== uuid) return { removed: true };
  const held = await heldBy(dir, uuid);
  if (held.length > 0) {
    fs.writeFileSync(path.join(dir, RETAINED), `${JSON.stringify({ heldBy: held })}\n`);
    return { removed: false, heldBy: held };
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return { removed: true };
}

/** Removes every retained build directory in outDir that no slot holds any more; returns them. */
export async function collectRetained(outDir: string): Promise<string[]> {
  let names: string[];
  try {
    names = fs.readdirSync(outDir);
  } catch {
    return [];
  }
  const collected: string[] = [];
  for (const n of names) {
    const dir = path.join(outDir, n);
    const uuid = buildUuidOf(dir);
    if (!uuid || !fs.existsSync(path.join(dir, RETAINED))) continue;
    if ((await heldBy(dir, uuid)).length > 0) continue;
    fs.rmSync(dir, { recursive: true, force: true });
    collected.push(dir);
  }
  return collected;
}
