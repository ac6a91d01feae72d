// Errors of the fleet tooling (builder/fleet): a stable code and a message naming the BMC (its URL,
// never credentials) and what failed. Text a BMC sent is quoted only through ./bmc-text.ts
// (control characters stripped, length capped), and a password never appears in a message.
import { D0Error, type FleetErrorCode } from '../../core/errors';

export type { FleetErrorCode };

export class FleetError extends D0Error {
  declare readonly code: FleetErrorCode;
  constructor(
    code: FleetErrorCode,
    message: string,
    /** The HTTP status the BMC answered, when the error is about an answer. */
    readonly status?: number,
  ) {
    super(code, message);
    this.name = 'FleetError';
  }
}
