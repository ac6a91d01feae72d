// An image held by a Docker engine: inspect for its id (= config digest, the cache key), pull
// when missing, then its layers: from the engine's own layer store when that is local and
// readable (./engine-store.ts: no save, each layer's tar reassembled as the engine would), else
// `docker save` of that id. Docker 20.10's save stream orders layers by their v1 ids and writes
// manifest.json last, so the stream is spooled to a file on disk (never tmpfs: memory stays
// bounded) and read like a docker-archive. Either way the layers are read in the config's order
// and checked against its diff_ids, which is what makes the disk image byte-identical to one
// built from an archive or an OCI layout.
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { resolveDockerArchive } from './docker-archive';
import { resolveEngineStore } from './engine-store';
import type { Engine } from './engine-client';
import { fail, ImageError } from '../../core/image/errors';
import { tarFiles } from './image-files';
import type { ResolvedImage } from './resolved-image';

export interface EngineImage {
  id: string;
  /** Bytes of the image's layers as the engine stores them (uncompressed). */
  size: number;
}

export async function engineImageId(engine: Engine, image: string): Promise<string> {
  return (await engineImage(engine, image)).id;
}

/** Id and size of an image, pulled when the engine does not have it. */
export async function engineImage(engine: Engine, image: string): Promise<EngineImage> {
  let found;
  try {
    found = await engine.inspectImage(image);
  } catch (err) {
    return fail(
      'IMAGE_NOT_FOUND',
      `docker:${image}: the Docker engine does not answer: ${(err as Error).message}`,
    );
  }
  if (found) return { id: found.Id, size: found.Size };
  try {
    await engine.pullImage(image);
    const pulled = await engine.inspectImage(image);
    if (!pulled) throw new Error('the engine does not list it after the pull');
    return { id: pulled.Id, size: pulled.Size };
  } catch (err) {
    return fail(
      'IMAGE_NOT_FOUND',
      `docker:${image}: not in the Docker engine, and pulling it failed: ${(err as Error).message.trim()}`,
    );
  }
}

/** How the layers of an engine's image were read: from its store, or through a save (and why). */
export type EngineRead = { via: 'store' } | { via: 'save'; because: string };

export interface EngineReadOptions {
  maxJsonBytes: number;
  /** false: always the save. */
  useStore: boolean;
  onRead?: (how: EngineRead) => void;
}

/**
 * The image `id` with its layers ready to read: from the engine's store where it can be used,
 * else saved into `spoolDir` (the caller removes spoolDir). `onRead` is told which.
 */
export async function resolveEngineImage(
  engine: Engine,
  image: string,
  id: string,
  spoolDir: string,
  opts: EngineReadOptions,
): Promise<ResolvedImage> {
  const { maxJsonBytes, onRead } = opts;
  let because = 'the store was not to be used';
  if (opts.useStore)
    try {
      const found = resolveEngineStore(await engine.storage(), `docker:${image}`, id, maxJsonBytes);
      if ('image' in found) {
        onRead?.({ via: 'store' });
        return found.image;
      }
      because = found.unusable;
    } catch (err) {
      if (err instanceof ImageError) throw err;
      because = `the engine's info: ${(err as Error).message}`;
    }
  onRead?.({ via: 'save', because });
  return spoolEngineImage(engine, image, id, spoolDir, maxJsonBytes);
}

/** Saves the image `id` into `spoolDir` and resolves it; the caller removes spoolDir. */
async function spoolEngineImage(
  engine: Engine,
  image: string,
  id: string,
  spoolDir: string,
  maxJsonBytes: number,
): Promise<ResolvedImage> {
  const file = path.join(spoolDir, 'save.tar');
  try {
    await pipeline(
      await engine.saveImage(id),
      fs.createWriteStream(file, { flags: 'wx', mode: 0o600, highWaterMark: 1 << 20 }),
    );
  } catch (err) {
    return fail(
      'TOOL_FAILED',
      `docker:${image}: the engine's save of ${id} failed: ${(err as Error).message}`,
    );
  }
  const resolved = resolveDockerArchive(tarFiles(file, `docker:${image}`), maxJsonBytes);
  if (resolved.configDigest !== id)
    fail(
      'DIGEST_MISMATCH',
      `docker:${image}: engine exported config ${resolved.configDigest}, inspect said ${id}`,
    );
  return resolved;
}
