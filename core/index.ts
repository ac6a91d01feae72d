// The public API of core/: pure deploy-side logic (no fs, no processes, no clock, no randomness
// except what callers pass in). Import from here or from the modules directly.
export * from './errors';
export * from './schema';
export { encodeManifest } from './tlv/encode';
export { decodeManifest, decodeManifestDetailed, type DecodeResult } from './tlv/decode';
export { dumpManifest } from './tlv/dump';
export { TlvError, TLV_ERROR_NAMES, tlvErrorNumber, type TlvErrorCode } from './tlv/errors';
export { MAX_TLV_BYTES, ROOT_TAG, tagOf } from './tlv/tags';
export { validateManifest, type ValidateOptions, type ValidateResult } from './manifest/validate';
export { deriveMac } from './manifest/normalize';
export * from './sign';
export * from './uuid';
export * from './naming';
export { diffManifests, renderChange, type Change, type DiffOptions } from './diff';
