// The files of a slot tree (a build's slot/ directory).
import fs from 'node:fs';
import path from 'node:path';

/** Every file of a slot tree, '/'-separated relative paths, sorted (what an ESP writer copies). */
export function slotFiles(slotDir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(slotDir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else if (e.isFile()) out.push(r);
    }
  };
  walk('');
  return out.sort();
}
