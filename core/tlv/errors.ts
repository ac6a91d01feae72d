// The decoder's error classes (proto/TLV.md, "Errors"). The names are stable: the golden vectors'
// .expect files, the C decoder (numeric codes below) and callers match on them.
import { D0Error } from '../errors';

export const TLV_ERROR_NAMES = [
  'OVERSIZE',
  'TRUNCATED',
  'OVERFLOW',
  'TRAILING',
  'BAD_ROOT',
  'UNKNOWN_CRITICAL',
  'DUPLICATE',
  'ORDER',
  'MISSING',
  'BAD_LENGTH',
  'VALUE',
  'COUNT',
] as const;

export type TlvErrorCode = (typeof TLV_ERROR_NAMES)[number];

/** The numeric code C uses: 1-based position in TLV_ERROR_NAMES. */
export function tlvErrorNumber(code: TlvErrorCode): number {
  return TLV_ERROR_NAMES.indexOf(code) + 1;
}

/** A manifest TLV the decoder refuses. `offset` is the byte offset of the offending record. */
export class TlvError extends D0Error {
  override readonly code: TlvErrorCode;
  readonly offset: number;
  constructor(code: TlvErrorCode, offset: number, message: string) {
    super(code, `${code} at byte ${offset}: ${message}`);
    this.name = 'TlvError';
    this.code = code;
    this.offset = offset;
  }
}
