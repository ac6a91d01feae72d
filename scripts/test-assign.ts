// Which test files each part of scripts/test-parts.ts runs: every test/**/*.test.ts goes to the
// part listing the longest path that contains it. Refuses a file no part lists, a path two parts
// list, and a path that names no test file (a typo or a moved area), naming each.
import fs from 'node:fs';
import path from 'node:path';
import type { TestPart } from './test-parts';

/** Every *.test.ts under `dir` (relative to `root`), in mocha's order for 'test/**\/*.test.ts'. */
export function testFiles(root: string, dir = 'test'): string[] {
  const found: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const child = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(child);
      else if (e.isFile() && e.name.endsWith('.test.ts')) found.push(child);
    }
  };
  walk(dir);
  return found.sort();
}

const contains = (p: string, file: string) =>
  file === p || file.startsWith(`${p.replace(/\/+$/, '')}/`);

/** Part name -> its files (in the given order); throws one error naming every problem. */
export function assignParts(
  files: readonly string[],
  parts: readonly TestPart[],
): Map<string, string[]> {
  const problems: string[] = [];
  const owner = new Map<string, string>();
  for (const part of parts) {
    for (const p of Object.keys(part.paths)) {
      const other = owner.get(p);
      if (other !== undefined) problems.push(`${p} is listed by both ${other} and ${part.name}`);
      else owner.set(p, part.name);
      if (!files.some((f) => contains(p, f)))
        problems.push(`${p} (part ${part.name}) names no test file`);
    }
  }
  const byPart = new Map<string, string[]>(parts.map((p) => [p.name, []]));
  for (const f of files) {
    let best: string | undefined;
    for (const p of owner.keys())
      if (contains(p, f) && (best === undefined || p.length > best.length)) best = p;
    if (best === undefined) problems.push(`${f} is in no part: add it or its folder to one`);
    else byPart.get(owner.get(best)!)!.push(f);
  }
  if (problems.length > 0) throw new Error(`scripts/test-parts.ts: ${problems.join('; ')}`);
  return byPart;
}

/** The order parts run in: every side-by-side part at once, then each `alone` part by itself. */
export function runPhases(parts: readonly TestPart[]): TestPart[][] {
  return [parts.filter((p) => !p.alone), ...parts.filter((p) => p.alone).map((p) => [p])].filter(
    (phase) => phase.length > 0,
  );
}
