/*
 * Stage 1: find the slot's manifest on the ESP D0 was loaded from, verify its signature with the
 * compiled-in key, parse it, re-check its semantic rules (proto/SEMANTICS.md), check the files it
 * references, and log the launch plan. Every failure logs ev=boot_failed reason=<specific> and
 * returns an error: nothing is launched.
 * kernel/README.md lists the steps and the reasons.
 */
#include "boot.h"

#include "d0/ed25519.h"
#include "d0/lib.h"
#include "ab/ab.h"
#include "acpi_tables.h"
#include "d0/manifest.h"
#include "d0/semantic.h"
#include "esp.h"
#include "files.h"
#include "install/netboot.h"
#include "launch.h"
#include "log/fmt.h"
#include "log/log.h"
#include "log/report.h"
#include "measure.h"
#include "plan.h"
#include "pubkey.h"
#include "wdog/watchdog.h"

#define TLV_FILE_MAX 65536 /* proto/TLV.md "Limits": checked before anything is parsed */

/* Too large for a UEFI stack frame (kept < 4 KiB): static. */
static uint8_t tlv_buf[TLV_FILE_MAX];
static struct d0_manifest manifest;
static struct verified_files files;

static EFI_STATUS fail(const char *reason, EFI_STATUS status) {
  log_begin("boot_failed");
  log_str("reason", reason);
  log_end();
  return status;
}

static EFI_STATUS fail_file(const char *reason, const char *path, int err, EFI_STATUS status) {
  log_begin("boot_failed");
  log_str("reason", reason);
  log_str("path", path);
  if (err != ESP_OK)
    log_str("error", esp_strerror(err));
  log_end();
  return status;
}

/* proto/SEMANTICS.md against the host's epoch floor: 1, or 0 after logging ev=boot_failed
 * reason=SEMANTIC_<NAME> with where (container=, field=) and, for the ceiling, both numbers. */
static int semantic_ok(const struct d0_manifest *m) {
  struct semantic_diag d = {-1, ""};
  uint64_t floor = ab_epoch_floor_now();
  int err = manifest_semantic_check(m, floor, &d);
  if (err == 0)
    return 1;
  log_begin("boot_failed");
  log_str("reason", semantic_strerror(err));
  if (d.container >= 0)
    log_str("container", m->containers[d.container].name);
  log_str("field", d.field);
  if (err == -SEMANTIC_E_EPOCH_CEILING) {
    log_u64("epoch", m->security_epoch);
    log_u64("floor", floor);
  }
  log_end();
  return 0;
}

/* Reads and checks manifest-<uuid>.sig: exactly the 64 raw signature bytes. */
static EFI_STATUS read_signature(struct esp *e, const char *path, uint8_t sig[ED25519_SIG_LEN]) {
  uint8_t buf[ED25519_SIG_LEN + 1];
  size_t len = 0;
  int err = esp_read_file(e, path, buf, sizeof buf, &len);
  if (err == ESP_NOT_FOUND)
    return fail_file("missing_file", path, ESP_OK, EFI_SECURITY_VIOLATION);
  if (err == ESP_OK && len != ED25519_SIG_LEN)
    err = ESP_TOO_BIG;
  if (err == ESP_TOO_BIG) {
    log_begin("boot_failed");
    log_str("reason", "bad_signature_length");
    log_str("path", path);
    log_u64("size", len);
    log_end();
    return EFI_SECURITY_VIOLATION;
  }
  if (err != ESP_OK)
    return fail_file("file_error", path, err, EFI_LOAD_ERROR);
  memcpy(sig, buf, ED25519_SIG_LEN);
  return EFI_SUCCESS;
}

static void log_start(enum stack_guard_source guard, EFI_STATUS watchdog_status) {
  char key_id[17];
  fmt_hex(d0_signing_pubkey, 8, key_id);
  report_start(); /* every reported event of this boot, from its first (log/report.h) */
  log_begin("boot_start");
  log_str("stage", "efi");
  log_str("key", key_id);
  log_str("stack_guard", stack_guard_source_name(guard));
  log_str("watchdog", EFI_ERROR(watchdog_status) ? "error" : "off");
  log_end();
}

EFI_STATUS d0_boot(EFI_HANDLE image, EFI_SYSTEM_TABLE *st, enum stack_guard_source guard,
                   EFI_STATUS watchdog_status) {
  struct esp esp;
  char uuid[ESP_UUID_TEXT_LEN + 1];
  char tlv_name[ESP_MANIFEST_NAME_LEN + 1], sig_name[ESP_MANIFEST_NAME_LEN + 1];
  uint8_t sig[ED25519_SIG_LEN];
  size_t tlv_len = 0;

  log_start(guard, watchdog_status);
  /* The host's CPUs and platform tables (ev=cpus); never stops the boot (acpi_tables.h). */
  acpi_tables_read(st);
  /* Before the A/B choice: it tells whether the last reset was the watchdog's (wdog/watchdog.h). */
  watchdog_probe();

  /* Loaded over the network: a first install onto a blank disk (install/netboot.h). */
  if (netboot_detect(image, st))
    return netboot_install(image, st);

  EFI_STATUS s = esp_open(image, st, &esp);
  if (EFI_ERROR(s)) {
    log_begin("boot_failed");
    log_str("reason", "no_esp");
    log_hex("status", s);
    log_end();
    return s;
  }
  ab_select(image, st); /* may reset into another slot (a trial); see ab/ab.h */
  if (!ab_boot_allowed())
    return EFI_SECURITY_VIOLATION; /* the firmware boots its next entry */

  /* Exactly one manifest per slot: zero or several means the slot is broken, not a choice. */
  int count = esp_find_manifests(&esp, uuid);
  if (count < 0)
    return fail("esp_read_error", EFI_LOAD_ERROR);
  if (count == 0)
    return fail("no_manifest", EFI_NOT_FOUND);
  if (count > 1) {
    log_begin("boot_failed");
    log_str("reason", "several_manifests");
    log_u64("count", (uint64_t)count);
    log_end();
    return EFI_SECURITY_VIOLATION;
  }
  esp_manifest_name(uuid, ".tlv", tlv_name);
  esp_manifest_name(uuid, ".sig", sig_name);
  log_begin("manifest_found");
  log_str("path", tlv_name);
  log_end();

  int err = esp_read_file(&esp, tlv_name, tlv_buf, sizeof tlv_buf, &tlv_len);
  if (err == ESP_TOO_BIG) {
    log_begin("boot_failed");
    log_str("reason", "tlv:OVERSIZE");
    log_u64("size", tlv_len);
    log_end();
    return EFI_SECURITY_VIOLATION;
  }
  if (err != ESP_OK)
    return fail_file("file_error", tlv_name, err, EFI_LOAD_ERROR);

  s = read_signature(&esp, sig_name, sig);
  if (EFI_ERROR(s))
    return s;

  /* The signature covers the exact file bytes; nothing is parsed before it checks out. */
  if (ed25519_verify(sig, tlv_buf, tlv_len, d0_signing_pubkey) != 0)
    return fail("bad_signature", EFI_SECURITY_VIOLATION);
  log_begin("signature_ok");
  log_u64("tlv_bytes", tlv_len);
  log_end();

  struct manifest_diag diag = { 0, 0 };
  err = manifest_parse_diag(tlv_buf, tlv_len, &manifest, &diag);
  if (err != 0) {
    char reason[32] = "tlv:";
    const char *name = tlv_strerror(err);
    size_t n = strlen(name);
    if (n > sizeof reason - 5)
      n = sizeof reason - 5;
    memcpy(reason + 4, name, n);
    reason[4 + n] = '\0';
    log_begin("boot_failed");
    log_str("reason", reason);
    log_u64("offset", diag.offset);
    log_hex("tag", diag.tag);
    log_end();
    return EFI_SECURITY_VIOLATION;
  }

  /* The file name is not signed; the UUID inside is. They must agree, or a signed manifest of
   * another build could be passed off under this slot's name. */
  char signed_uuid[FMT_UUID_LEN];
  fmt_uuid(manifest.build_uuid, signed_uuid);
  if (memcmp(signed_uuid, uuid, ESP_UUID_TEXT_LEN) != 0) {
    log_begin("boot_failed");
    log_str("reason", "uuid_mismatch");
    log_str("file", uuid);
    log_str("signed", signed_uuid);
    log_end();
    return EFI_SECURITY_VIOLATION;
  }
  log_set_uuid(signed_uuid);
  if (!ab_epoch_ok(manifest.security_epoch))
    return EFI_SECURITY_VIOLATION;
  /* What the signer vouched for is re-checked before any file is read or VM prepared. */
  if (!semantic_ok(&manifest))
    return EFI_SECURITY_VIOLATION;

  if (files_check(st->BootServices, &esp, &manifest, &files, &s) != 0)
    return s;

  log_begin("manifest_verified");
  log_u64("containers", manifest.n_containers);
  log_u64("epoch", manifest.security_epoch);
  log_end();
  /* Everything measured was verified; before ExitBootServices (TCG2 is a boot service). */
  measure_boot(st, tlv_buf, tlv_len, &manifest);
  ab_verified(manifest.security_epoch); /* the commit waits for the VMs' health (launch.c) */
  plan_log(&manifest);
  /* Stage 2 (launch.h): returns only if nothing was launched; the verified files go back to the
   * firmware then, for whatever it boots next (the other slot's D0 needs the memory). */
  s = d0_launch(image, st, &esp, &manifest, &files);
  files_release(st->BootServices, &manifest, &files);
  return s;
}
