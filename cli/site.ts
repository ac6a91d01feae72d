// Reads a SITE file (the Manifest message in protobuf JSON mapping; YAML or JSON) and replaces
// local file references with their digests, the only I/O `d0 manifest pack` needs before the pure
// validator runs:
//   containers[].disk_file: PATH  -> disk_sha256 + disk_size of that file (PATH relative to SITE)
//   guest_kernel.file: PATH       -> sha256 + size of that file
//   --artifacts DIR               -> for a container giving neither digest nor disk_file,
//                                    DIR/<name>.img; for the kernel, DIR/vmlinuz
//   --loader FILE                 -> loader.sha256 + loader.size of that file (D0's EFI image),
//                                    over any loader the SITE gives
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import type { Problem } from '../core/errors';

export interface FileDigest {
  readonly sha256: string;
  readonly size: string;
}

/** Streams a file through SHA-256 (disk images can be large). */
export function digestFile(file: string): FileDigest {
  const h = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(1 << 20);
  let size = 0;
  try {
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
      size += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  return { sha256: h.digest('hex'), size: String(size) };
}

export interface LoadedSite {
  readonly input?: unknown;
  readonly problems: Problem[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function readDigest(file: string, where: string, problems: Problem[]): FileDigest | undefined {
  try {
    if (!fs.statSync(file).isFile())
      throw Object.assign(new Error(), { code: 'not a regular file' });
    return digestFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    problems.push({
      code: 'FILE',
      path: where,
      message: `cannot read ${file}${code ? ` (${code === 'ENOENT' ? 'no such file' : code})` : ''}`,
    });
    return undefined;
  }
}

function resolve(
  obj: Obj,
  where: string,
  keys: { file: string; sha: string; size: string },
  fallback: string | undefined,
  baseDir: string,
  problems: Problem[],
): void {
  const given = obj[keys.sha] !== undefined || obj[keys.size] !== undefined;
  let file: string | undefined;
  let at = `${where}.${keys.file}`;
  if (obj[keys.file] !== undefined) {
    if (given) {
      problems.push({
        code: 'CONFLICT',
        path: at,
        message: `give ${keys.file} or ${keys.sha} + ${keys.size}, not both`,
      });
      return;
    }
    if (typeof obj[keys.file] !== 'string' || obj[keys.file] === '') {
      problems.push({ code: 'INVALID', path: at, message: 'is not a file path' });
      return;
    }
    file = path.resolve(baseDir, obj[keys.file] as string);
    delete obj[keys.file];
  } else if (!given && fallback !== undefined) {
    file = fallback;
    at = `${where}.${keys.sha}`;
  }
  if (file === undefined) return;
  const d = readDigest(file, at, problems);
  if (d) {
    obj[keys.sha] = d.sha256;
    obj[keys.size] = d.size;
  }
}

/**
 * Parses SITE and resolves its file references. Problems carry paths like
 * `containers[web].disk_file`; a `loaderFile` that cannot be read is a problem at `--loader`,
 * reported even when SITE itself cannot be read.
 */
export function loadSite(siteFile: string, artifactsDir?: string, loaderFile?: string): LoadedSite {
  const loaded = loadSiteFile(siteFile, artifactsDir);
  if (loaderFile === undefined) return loaded;
  const problems = [...loaded.problems];
  const d = readDigest(loaderFile, '--loader', problems);
  if (d && isObj(loaded.input)) loaded.input.loader = { sha256: d.sha256, size: d.size };
  return { ...loaded, problems };
}

function loadSiteFile(siteFile: string, artifactsDir?: string): LoadedSite {
  const problems: Problem[] = [];
  let text: string;
  try {
    text = fs.readFileSync(siteFile, 'utf8');
  } catch (e) {
    return {
      problems: [
        {
          code: 'FILE',
          path: siteFile,
          message: `cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
        },
      ],
    };
  }
  let input: unknown;
  try {
    const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
    if (doc.errors.length > 0) {
      return {
        problems: doc.errors.map((e) => ({
          code: 'SYNTAX',
          path: siteFile,
          message: e.message.split('\n')[0],
        })),
      };
    }
    input = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    return {
      problems: [{ code: 'SYNTAX', path: siteFile, message: (e as Error).message.split('\n')[0] }],
    };
  }
  if (!isObj(input)) return { input, problems };
  const baseDir = path.dirname(siteFile);
  const containers = Array.isArray(input.containers) ? input.containers : [];
  containers.forEach((c: unknown, i: number) => {
    if (!isObj(c)) return;
    const name =
      typeof c.name === 'string' && /^[a-z0-9][a-z0-9-]{0,31}$/.test(c.name) ? c.name : undefined;
    const fallback = artifactsDir && name ? path.join(artifactsDir, `${name}.img`) : undefined;
    resolve(
      c,
      `containers[${name ?? i}]`,
      { file: 'disk_file', sha: 'disk_sha256', size: 'disk_size' },
      fallback,
      baseDir,
      problems,
    );
  });
  if (
    artifactsDir !== undefined &&
    (input.guest_kernel === undefined || input.guest_kernel === null)
  )
    input.guest_kernel = {};
  if (isObj(input.guest_kernel)) {
    const fallback = artifactsDir ? path.join(artifactsDir, 'vmlinuz') : undefined;
    resolve(
      input.guest_kernel,
      'guest_kernel',
      { file: 'file', sha: 'sha256', size: 'size' },
      fallback,
      baseDir,
      problems,
    );
  }
  return { input, problems };
}
