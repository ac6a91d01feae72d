// Errors of publishing (builder/publish): a stable code and a message naming the file, build or
// host. Every one of them is thrown before the site is written to, except a file that changes
// while it is copied (the copy is then removed and nothing is renamed into place).
import { D0Error, type PublishErrorCode } from '../../core/errors';

export type { PublishErrorCode };

export class PublishError extends D0Error {
  declare readonly code: PublishErrorCode;
  constructor(
    code: PublishErrorCode,
    message: string,
    /** PUBLISH_BAD_BUILD: why, in D0's words (bad_signature, digest_mismatch path=..., ...). */
    readonly reason?: string,
  ) {
    super(code, message);
    this.name = 'PublishError';
  }
}
