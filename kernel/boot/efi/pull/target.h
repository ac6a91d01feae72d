/*
 * What a host's pointer on the update server says, and whether D0 may install it. Pure code over
 * bytes (no firmware calls), so kernel/tests/test_pull_target.c runs it on the host.
 *
 * The pointer (docs/update-server.md) is one file, hosts/<host>.d0ptr: the 64-byte Ed25519
 * signature, then the signed manifest TLV of the host's target build. It is only a hint: the
 * server is not trusted, so everything is checked here before a byte of the build is fetched,
 * and a hostile server can at most withhold an update.
 */
#ifndef D0_BOOT_EFI_PULL_TARGET_H
#define D0_BOOT_EFI_PULL_TARGET_H

#include <stddef.h>
#include <stdint.h>

#include "d0/manifest.h"

#define PULL_UUID_LEN 36
#define PULL_POINTER_MAX (64 + 65536) /* the signature and the largest manifest (proto/TLV.md) */

struct pull_target {
  struct d0_manifest m;
  char uuid[PULL_UUID_LEN + 1]; /* the signed build_uuid, lowercase text */
  const uint8_t *sig;           /* the pointer's first 64 bytes */
  const uint8_t *tlv;           /* the rest: the manifest as signed */
  size_t tlv_len;
};

/*
 * Verifies the pointer's signature with pubkey and parses its manifest into *t (which keeps
 * pointers into buf). NULL when it verifies and parses, else the reason for the log:
 * "pointer_short", "bad_signature" or "tlv:<NAME>" (proto/TLV.md's error names).
 */
const char *pull_target_read(const uint8_t *buf, size_t len, const uint8_t pubkey[32],
                             struct pull_target *t);

/* What the host does with a verified target. */
enum pull_decision {
  PULL_INSTALL, /* newer than the running build and allowed: fetch it into the other slot */
  PULL_SKIP,    /* nothing to do (reason "current": the running build itself) */
  PULL_REFUSE,  /* refused (the reason says why); logged, the host keeps its build */
};

/*
 * The rules, in this order: the running build itself is "current" (skip); an older UUIDv7 than
 * the running build is "older"; the build the host last refused or rolled back (bad, "" for
 * none) is "known_bad"; an epoch below the host's floor is "epoch_below"; a manifest without
 * the loader digest is "loader_unsigned" (D0 would boot an EFI image it cannot check); then the
 * semantic rules of proto/SEMANTICS.md with the ceiling from the floor (their names).
 * *reason is set for SKIP and REFUSE.
 */
enum pull_decision pull_decide(const struct pull_target *t, const char *running_uuid,
                               const char *bad_uuid, uint64_t epoch_floor, const char **reason);

#endif
