// Errors with a stable machine-readable code, so the CLI, the provider and tests match on the code
// rather than on message text. Messages must never contain secret material.
//
// D0Error is the one error type of the product; its code is one of D0ErrorCode. Subclasses
// (ValidationError, TlvError, ImageError, ...) add fields, never a second hierarchy.
import type { ImageErrorCode } from './image/errors';
import type { TlvErrorCode } from './tlv/errors';

/** ESP images (builder/disk/esp.ts): the FAT/GPT layout a caller asked for is impossible. */
export type EspErrorCode =
  | 'ESP_BAD_PATH'
  | 'ESP_BAD_LABEL'
  | 'ESP_BAD_NAME'
  | 'ESP_TOO_SMALL'
  | 'ESP_NO_PARTITIONS'
  | 'ESP_DUPLICATE_PATH';

/** A/B disks (builder/disk): their GPT, OVMF's VARS file, the slots and the writer. */
export type DiskErrorCode =
  | 'GPT_CORRUPT'
  | 'GPT_TRUNCATED'
  | 'GPT_MISSING'
  | 'VARS_FORMAT'
  | 'VARS_STATE'
  | 'SLOT_TREE'
  | 'DISK_ACTIVE_AMBIGUOUS'
  | 'DISK_ACTIVE_MISSING'
  | 'DISK_BAD_BUILD'
  | 'DISK_EPOCH_BELOW'
  | 'DISK_EPOCH_CEILING'
  | 'DISK_LAYOUT'
  | 'DISK_LOCKED'
  | 'DISK_NOT_AB'
  | 'DISK_NO_ACTIVE'
  | 'DISK_NO_SLOT'
  | 'DISK_READBACK'
  | 'DISK_SAME_BUILD'
  | 'DISK_SLOT_ACTIVE'
  | 'DISK_SLOT_TOO_SMALL'
  | 'DISK_VARS';

/** Secure Boot (builder/disk/secure-boot.ts): the operator's db key and cert, sbsign, VARS. */
export type SecureBootErrorCode =
  | 'SB_KEY'
  | 'SB_CERT'
  | 'SB_TOOL'
  | 'SB_SIGN'
  | 'SB_VARS'
  | 'SB_EXISTS'
  | 'SB_ESL';

/** Publishing for the update server (builder/publish). */
export type PublishErrorCode =
  | 'PUBLISH_BAD_BUILD' // a refused build: signature, TLV, loader, a file missing, unsigned or changed
  | 'PUBLISH_CONFLICT' // builds/<uuid>/ exists and holds other files than the build's
  | 'PUBLISH_SITE' // the site is not a publication directory (a file where a directory belongs, ...)
  | 'PUBLISH_HOST_ID'; // a host identity that is not a lowercase dashed MAC address

/** Resetting hosts through their BMC with Redfish (builder/fleet/redfish.ts), and rollouts. */
export type FleetErrorCode =
  | 'BMC_TARGET' // a BMC target or option the client cannot use (URL, reset type, timeout)
  | 'BMC_UNREACHABLE' // no connection to the BMC (refused, no route, name not found)
  | 'BMC_TIMEOUT' // the BMC did not answer within timeoutMs (a reset it was sent may have happened)
  | 'BMC_TLS' // the BMC's TLS certificate is not trusted (a self-signed one needs `insecure`)
  | 'BMC_AUTH' // 401 or 403: credentials missing or refused
  | 'BMC_PROTOCOL' // an answer that is not the Redfish expected: not JSON, a link missing or elsewhere
  | 'BMC_SYSTEM' // no ComputerSystem to reset: none of that id, or several and none named
  | 'BMC_RESET_TYPE' // a reset type the BMC does not allow
  | 'BMC_REFUSED' // the BMC answered an error status (its Redfish message in the error)
  | 'ROLLOUT_REQUEST' // a rollout or a watch that cannot start: a host twice, an empty batch, ...
  | 'ROLLOUT_FAILED'; // a host of a batch did not commit the build: the rollout stopped there

export type D0ErrorCode =
  | 'INVALID' // validation problems (ValidationError carries each one)
  | 'KEY' // a signing or public key file
  | 'ENCODE' // a manifest the TLV encoder cannot write
  | 'UUID' // a malformed UUIDv7
  | 'NAMING' // an artifact name outside the naming rules
  | 'BAD_LOGFMT' // a log line or value outside the logfmt grammar (core/logfmt.ts)
  | 'EXEC_SPEC_INVALID' // an exec spec the guest's PID1 could not read
  | 'KERNEL_BAD_PUBLIC_KEY' // the key compiled into D0's EFI application
  | TlvErrorCode
  | ImageErrorCode
  | EspErrorCode
  | DiskErrorCode
  | SecureBootErrorCode
  | PublishErrorCode
  | FleetErrorCode;

export class D0Error extends Error {
  readonly code: D0ErrorCode;
  constructor(code: D0ErrorCode, message: string) {
    super(message);
    this.name = 'D0Error';
    this.code = code;
  }
}

/** The stable code of a product error, or a Node system error's (ENOENT, EACCES, ...); else undefined. */
export function errorCode(e: unknown): string | undefined {
  if (e instanceof D0Error) return e.code;
  const errno = e as NodeJS.ErrnoException | undefined;
  return errno instanceof Error &&
    typeof errno.code === 'string' &&
    typeof errno.syscall === 'string'
    ? errno.code
    : undefined;
}

/** One validation problem: a stable code, where it is (e.g. `containers[web].ip4`) and why. */
export interface Problem {
  readonly code: string;
  readonly path: string;
  readonly message: string;
}

/** Thrown when input has problems; carries every one of them. */
export class ValidationError extends D0Error {
  readonly problems: readonly Problem[];
  constructor(problems: readonly Problem[]) {
    super('INVALID', problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
    this.name = 'ValidationError';
    this.problems = problems;
  }
}
