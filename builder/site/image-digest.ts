// The content digest of an image source, found without converting it: the image's config digest
// (the Docker engine's image id, or read from an OCI layout's or a docker-archive's index). This is what lets a plan
// (and `pulumi preview`) notice that `docker:web:latest` now names different bytes.
//
// Never pulls: an image absent from the engine is reported, so a preview does no network I/O.
import type Dockerode from 'dockerode';
import { parseSource } from '../image/source';
import { ImageError, type ImageErrorCode } from '../../core/image/errors';
import { dockerArchiveFiles, resolveDockerArchive } from '../oci/docker-archive';
import { DEFAULT_LIMITS } from '../../core/image/limits';
import { ociFiles, resolveOciLayout } from '../oci/oci-layout';

/** An image source whose digest cannot be found: an ImageError, named for where it came from. */
export class ImageSourceError extends ImageError {
  constructor(code: ImageErrorCode, message: string) {
    super(code, message);
    this.name = 'ImageSourceError';
  }
}

const codeOf = (e: unknown, otherwise: ImageErrorCode): ImageErrorCode => (e instanceof ImageError ? e.code : otherwise);

/** Resolves the digest or throws ImageSourceError naming the source and what is wrong. */
export async function imageSourceDigest(
  source: string,
  docker?: () => Promise<Dockerode | undefined>,
): Promise<string> {
  let src;
  try {
    src = parseSource(source);
  } catch (e) {
    throw new ImageSourceError(codeOf(e, 'SOURCE_INVALID'), (e as Error).message);
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
  // Archives and layouts: the config digest from the index, read by seeking (no layer is read),
  // so the same image has the same digest whichever way it is packed.
  try {
    return src.kind === 'oci'
      ? resolveOciLayout(ociFiles(src.location), DEFAULT_LIMITS.maxJsonBytes, src.ref).configDigest
      : resolveDockerArchive(dockerArchiveFiles(src.file), DEFAULT_LIMITS.maxJsonBytes, src.ref).configDigest;
  } catch (e) {
    throw new ImageSourceError(codeOf(e, 'FORMAT_INVALID'), (e as Error).message);
  }
}
