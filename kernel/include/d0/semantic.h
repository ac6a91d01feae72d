/*
 * The semantic rules of a decoded manifest (proto/SEMANTICS.md): what ties fields together
 * (addresses inside the bridge subnet, no duplicates, no reserved path, the epoch ceiling), on
 * top of the per-record checks of manifest_parse. Same rules, same order and the same names as
 * core/manifest/semantic.ts; the golden vectors of test/vectors/semantic/ pin both.
 */
#ifndef D0_SEMANTIC_H
#define D0_SEMANTIC_H

#include <stdint.h>

#include "d0/manifest.h"

/* Error codes, returned negated; SEMANTIC_E_LAST is the largest. */
#define SEMANTIC_E_EPOCH_CEILING 1
#define SEMANTIC_E_BRIDGE_PREFIX 2
#define SEMANTIC_E_RESERVED_ADDRESS 3
#define SEMANTIC_E_UPLINK_INCOMPLETE 4
#define SEMANTIC_E_UPLINK_PREFIX 5
#define SEMANTIC_E_UPLINK_OVERLAP 6
#define SEMANTIC_E_OUTSIDE_SUBNET 7
#define SEMANTIC_E_OWN_ADDRESS 8
#define SEMANTIC_E_RESERVED_PATH 9
#define SEMANTIC_E_RESERVED_MAC 10
#define SEMANTIC_E_HOST_BITS 11
#define SEMANTIC_E_PUBLISH_NO_UPLINK 12
#define SEMANTIC_E_DUPLICATE_PORT 13
#define SEMANTIC_E_EGRESS_UNRESTRICTED 14
#define SEMANTIC_E_EGRESS_PORTS 15
#define SEMANTIC_E_RATE_LIMIT 16
#define SEMANTIC_E_DUPLICATE_MAC 17
#define SEMANTIC_E_DUPLICATE_IP4 18
#define SEMANTIC_E_DUPLICATE_BOOT_ORDER 19
#define SEMANTIC_E_DUPLICATE_DISK_PATH 20
#define SEMANTIC_E_REPORT_NO_UPLINK 21
#define SEMANTIC_E_LAST 21

/* A security_epoch may be at most floor + SEMANTIC_EPOCH_STEP. */
#define SEMANTIC_EPOCH_STEP 65536ull

/* Where the failed rule is: container is the index in m->containers, or -1 for the header,
 * network and guest kernel; field names the field (static text: "network.bridge_ip4" outside a
 * container, "gw4" or "routes.via" inside one; a repeated entry is not numbered). */
struct semantic_diag {
  int32_t container;
  const char *field;
};

/*
 * 0, or -SEMANTIC_E_<NAME> for the first rule of proto/SEMANTICS.md m breaks. epoch_floor is the
 * host's anti-rollback floor (0 when it has none). diag may be NULL. m must be a manifest
 * manifest_parse accepted.
 */
int manifest_semantic_check(const struct d0_manifest *m, uint64_t epoch_floor,
                            struct semantic_diag *diag);

/* The stable name ("SEMANTIC_DUPLICATE_IP4") of err or -err; "OK" for 0; "UNKNOWN" else. */
const char *semantic_strerror(int err);

#endif /* D0_SEMANTIC_H */
