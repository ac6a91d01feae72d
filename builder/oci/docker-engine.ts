// An image held by a Docker engine: inspect for its id (= config digest, the cache key), pull
// when missing, then stream `docker save` of that id through the docker-archive reader.
import { readDockerArchiveStream, type ReadOpts } from './docker-archive';
import type { Engine } from './engine-client';
import { fail } from './errors';
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
  const found = await engine.inspectImage(image);
  if (found) return { id: found.Id, size: found.Size };
  try {
    await engine.pullImage(image);
    const pulled = await engine.inspectImage(image);
    if (!pulled) throw new Error('the engine does not list it after the pull');
    return { id: pulled.Id, size: pulled.Size };
  } catch (err) {
    return fail('IMAGE_NOT_FOUND', `docker:${image}: not in the Docker engine, and pulling it failed: ${(err as Error).message.trim()}`);
  }
}

export async function readEngineImage(engine: Engine, image: string, id: string, opts: ReadOpts): Promise<ResolvedImage> {
  const stream = await engine.saveImage(id);
  const resolved = await readDockerArchiveStream(stream, `docker:${image}`, opts);
  if (resolved.configDigest !== id)
    fail('DIGEST_MISMATCH', `docker:${image}: engine exported config ${resolved.configDigest}, inspect said ${id}`);
  return resolved;
}
