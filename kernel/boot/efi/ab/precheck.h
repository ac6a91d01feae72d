/*
 * The check a committed D0 makes on the other slot's build before it starts a trial of it: the
 * signature over manifest-<uuid>.tlv (with D0's compiled-in key), the TLV, the signed build_uuid
 * against the file name, security_epoch against the committed one, and the semantic rules of
 * proto/SEMANTICS.md (the ceiling from the committed epoch). File digests are left to
 * the trial boot itself (the build's own D0 checks them), so an ordinary boot never hashes the
 * other slot's disks.
 */
#ifndef D0_BOOT_EFI_AB_PRECHECK_H
#define D0_BOOT_EFI_AB_PRECHECK_H

#include <stdint.h>

#include "esp.h"

/* NULL when the build may be tried, else the reason (a boot_failed-style token) for the log. */
const char *ab_precheck(struct esp *e, const char *uuid, uint64_t committed_epoch,
                        uint64_t *epoch);

#endif
