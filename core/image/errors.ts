// Errors of the image builder carry a stable code (for the CLI, the provider and tests to match
// on) and a message naming what was wrong and where: the image, the layer, the entry.
import { D0Error } from '../errors';

export type ImageErrorCode =
  | 'SOURCE_INVALID' // a SOURCE string the builder does not understand
  | 'IMAGE_NOT_FOUND' // the engine or archive has no such image
  | 'NO_ENGINE' // a docker: source and no Docker engine answers
  | 'FORMAT_INVALID' // index.json / manifest / config / manifest.json malformed or inconsistent
  | 'DIGEST_MISMATCH' // a blob's or layer's sha256 differs from the one declared
  | 'PLATFORM_UNSUPPORTED' // not linux/amd64
  | 'COMPRESSION_UNSUPPORTED' // zstd or unknown layer compression
  | 'ENTRY_UNSAFE' // a layer entry that would escape the root or write through a link
  | 'ENTRY_INVALID' // duplicate, unknown type, missing hardlink target, a name ext4 cannot hold
  | 'LIMIT_EXCEEDED' // real bytes, expansion, entries, depth or xattr size beyond Limits
  | 'CONFIG_UNSUPPORTED' // a config field a micro-VM cannot honour and that must not be ignored
  | 'USER_UNKNOWN' // USER names a user or group absent from the image
  | 'COMMAND_MISSING' // no argv, or argv[0] not found in the image
  | 'OVERRIDE_INVALID' // a per-container override is malformed
  | 'INIT_INVALID' // the PID1 binary input is missing or not a regular file
  | 'TOOL_FAILED'; // a tool the builder runs (e.g. the Docker engine's save) failed

export class ImageError extends D0Error {
  override readonly code: ImageErrorCode;
  constructor(code: ImageErrorCode, message: string) {
    super(code, message);
    this.name = 'ImageError';
    this.code = code;
  }
}

export function fail(code: ImageErrorCode, message: string): never {
  throw new ImageError(code, message);
}
