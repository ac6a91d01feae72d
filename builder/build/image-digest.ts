// The content digest of an image source, found without converting it: the Docker engine's image
// id, an OCI layout's config digest, or the sha256 of an archive file. This is what lets a plan
// (and `pulumi preview`) notice that `docker:web:latest` now names different bytes.
//
// Never pulls: an image absent from the engine is reported, so a preview does no network I/O.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type Dockerode from 'dockerode';
import { parseSource } from '../image/source';
import { ImageError } from '../oci/errors';
import { Budget, DEFAULT_LIMITS } from '../oci/limits';
import { ociConfigDigest } from '../oci/oci-layout';

export class ImageSourceError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ImageSourceError';
  }
}

const fileDigests = new Map<string, { key: string; digest: string }>();

function fileDigest(file: string, what: string): string {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    throw new ImageSourceError('IMAGE_NOT_FOUND', `${what}: no such file`);
  }
  if (!st.isFile()) throw new ImageSourceError('IMAGE_NOT_FOUND', `${what}: not a regular file`);
  // Cached per (size, mtime) within a process: a 32-container preview hashes each file once.
  const key = `${st.size}:${st.mtimeMs}:${st.ino}`;
  const hit = fileDigests.get(file);
  if (hit?.key === key) return hit.digest;
  const h = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(1 << 20);
  try {
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0;) h.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  const digest = `sha256:${h.digest('hex')}`;
  fileDigests.set(file, { key, digest });
  return digest;
}

/** Resolves the digest or throws ImageSourceError naming the source and what is wrong. */
export async function imageSourceDigest(
  source: string,
  docker?: () => Promise<Dockerode | undefined>,
): Promise<string> {
  let src;
  try {
    src = parseSource(source);
  } catch (e) {
    throw new ImageSourceError((e as ImageError).code ?? 'SOURCE_INVALID', (e as Error).message);
  }
  if (src.kind === 'docker') {
    const engine = docker ? await docker() : undefined;
    if (!engine)
      throw new ImageSourceError(
        'NO_ENGINE',
        `${source}: no Docker engine answers (start dockerd or use oci:/docker-archive:)`,
      );
    try {
      return (await engine.getImage(src.image).inspect()).Id;
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 404)
        throw new ImageSourceError(
          'IMAGE_NOT_FOUND',
          `${source}: no such image in the Docker engine (D0 does not pull at plan time)`,
        );
      throw e;
    }
  }
  if (src.kind === 'oci') {
    if (!fs.existsSync(src.location))
      throw new ImageSourceError('IMAGE_NOT_FOUND', `${source}: no such file or directory`);
    if (!fs.statSync(src.location).isDirectory())
      return fileDigest(src.location, source) + (src.ref ? `#${src.ref}` : '');
    try {
      const ro = {
        blobDir: '',
        budget: new Budget(DEFAULT_LIMITS),
        maxJsonBytes: DEFAULT_LIMITS.maxJsonBytes,
      };
      const d = ociConfigDigest(src.location, ro as never, src.ref);
      if (!d) throw new ImageSourceError('FORMAT_INVALID', `${source}: no image config found`);
      return d;
    } catch (e) {
      if (e instanceof ImageSourceError) throw e;
      throw new ImageSourceError((e as ImageError).code ?? 'FORMAT_INVALID', (e as Error).message);
    }
  }
  return fileDigest(src.file, source) + (src.ref ? `#${src.ref}` : '');
}
