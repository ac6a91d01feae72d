/*
 * Pull at reboot (kernel/docs/pull.md): when the running build's manifest names an update
 * server (update.url), D0 asks it, through the firmware's network stack and before anything
 * else of the boot, for this host's pointer; a newer build that verifies with D0's compiled-in
 * key and passes the install rules (pull/target.h) is fetched into another slot (pull/install.h).
 * The A/B choice then finds it there and starts its trial exactly as for a build the offline
 * writer put there: the pull adds a way in, never a way around a check.
 *
 * No network, a server error, a timeout or a bad download: the host boots its running build,
 * the reason is logged (ev=pull_done result=... reason=...), and the next boot asks again. The
 * whole pull is bounded by update.timeout_s.
 */
#ifndef D0_BOOT_EFI_PULL_PULL_H
#define D0_BOOT_EFI_PULL_PULL_H

#include <stdint.h>

#include "efi/efi_system.h"
#include "esp.h"

struct pull_env {
  EFI_BOOT_SERVICES *bs;
  struct esp *own;        /* the running slot (the last good build) */
  const char *own_uuid;  /* the running build's uuid text (ESP_UUID_TEXT_LEN characters) */
  struct esp *dest;       /* the slot a build is installed into */
  const char *dest_letter;
  const char *dest_uuid;  /* the build dest holds now, "" for none */
  const char *bad_uuid;   /* the build last refused or rolled back, "" for none */
  uint64_t epoch_floor;
};

/* 1 when a build was installed into dest (dest then names it), 0 otherwise. */
int pull_at_boot(const struct pull_env *env);

#endif
