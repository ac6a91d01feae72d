// An image held by a Docker engine: inspect for its id (= config digest, the cache key), pull
// when missing, then stream `docker save` of that id through the docker-archive reader.
import type Dockerode from 'dockerode';
import { readDockerArchiveStream, type ReadOpts } from './docker-archive';
import { fail } from './errors';
import type { ResolvedImage } from './resolved-image';

export interface EngineImage {
  id: string;
  /** Bytes of the image's layers as the engine stores them (uncompressed). */
  size: number;
}

export async function engineImageId(docker: Dockerode, image: string): Promise<string> {
  return (await engineImage(docker, image)).id;
}

/** Id and size of an image, pulled when the engine does not have it. */
export async function engineImage(docker: Dockerode, image: string): Promise<EngineImage> {
  const info = async (): Promise<EngineImage> => {
    const i = await docker.getImage(image).inspect();
    return { id: i.Id, size: i.Size };
  };
  try {
    return await info();
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 404) throw err;
  }
  try {
    const stream = await docker.pull(image);
    await new Promise<void>((resolve, reject) =>
      docker.modem.followProgress(stream, (e: Error | null) => (e ? reject(e) : resolve())),
    );
    return await info();
  } catch (err) {
    return fail('IMAGE_NOT_FOUND', `docker:${image}: not in the Docker engine, and pulling it failed: ${(err as Error).message.trim()}`);
  }
}

export async function readEngineImage(docker: Dockerode, image: string, id: string, opts: ReadOpts): Promise<ResolvedImage> {
  const stream = (await docker.getImage(id).get()) as NodeJS.ReadableStream;
  const resolved = await readDockerArchiveStream(stream as never, `docker:${image}`, opts);
  if (resolved.configDigest !== id)
    fail('DIGEST_MISMATCH', `docker:${image}: engine exported config ${resolved.configDigest}, inspect said ${id}`);
  return resolved;
}
