// `d0 image inspect X.img`: the exec spec read back from the image itself (debugfs, no mount),
// its size and sha256.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { fail } from '../../core/image/errors';
import { decodeExecSpec, type ImageExecSpec } from '../../core/image/exec-spec';
import { sha256File } from '../file-hash';

export interface Inspection {
  image: string;
  size: number;
  sha256: string;
  execSpec: ImageExecSpec;
}

/** `file` is one of D0's own paths, never a name from an image (debugfs reads it as a command). */
export function readFileFromImage(image: string, file: string): Buffer {
  const r = spawnSync('debugfs', ['-R', `cat "${file}"`, image], { env: { PATH: `/usr/sbin:/sbin:${process.env.PATH ?? '/usr/bin:/bin'}`, LC_ALL: 'C' }, maxBuffer: 64 * 2 ** 20 });
  const err = r.stderr.toString().split('\n').filter((l) => l && !/^debugfs \d/.test(l));
  if (r.status !== 0 || err.length) fail('FORMAT_INVALID', `${image}: cannot read ${file}: ${err.join('; ') || `debugfs exited ${r.status}`}`);
  return r.stdout;
}

export async function inspectImage(image: string): Promise<Inspection> {
  if (!fs.existsSync(image)) fail('IMAGE_NOT_FOUND', `${image}: no such file`);
  let execSpec: ImageExecSpec;
  try {
    execSpec = decodeExecSpec(readFileFromImage(image, '/.d0/exec').toString('utf8'));
  } catch (err) {
    return fail('FORMAT_INVALID', `${image}: ${(err as Error).message}`);
  }
  return { image, size: fs.statSync(image).size, sha256: await sha256File(image), execSpec };
}
