/*
 * The Ed25519 public key manifests must be signed with. It is compiled in: the Makefile generates
 * its definition from the key file given as `make PUBKEY=path` (64 hex digits and a newline, the
 * format core/sign.ts writes) and refuses a malformed file, so there is no default key.
 */
#ifndef D0_BOOT_EFI_PUBKEY_H
#define D0_BOOT_EFI_PUBKEY_H

#include <stdint.h>

extern const uint8_t d0_signing_pubkey[32];

#endif
