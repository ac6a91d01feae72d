/*
 * D0's A/B state in one UEFI NV variable, "D0AbState" under D0's vendor GUID (attributes
 * NV|BS|RT). It is written only when the state changes (a trial starts, a try is used, a commit,
 * a slot marked bad), never on an ordinary boot, so NVRAM wear is bounded by the number of
 * updates, not of boots.
 *
 * The layout is a wire format read by the deploy side too (`d0 disk status --vars`,
 * builder/disk/ovmf-vars.ts): little-endian, 128 bytes, offsets below.
 */
#ifndef D0_BOOT_EFI_AB_STATE_H
#define D0_BOOT_EFI_AB_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "efi_ab.h"

#define AB_STATE_MAGIC 0x42413044u /* "D0AB" */
#define AB_STATE_VERSION 1
#define AB_UUID_LEN 36 /* canonical lowercase text; all zero bytes = none */

/* {d0d0ab00-5e1e-4c7a-9b1d-0a0b5107ab01} */
#define D0_VENDOR_GUID                                                                         \
  { 0xd0d0ab00, 0x5e1e, 0x4c7a, { 0x9b, 0x1d, 0x0a, 0x0b, 0x51, 0x07, 0xab, 0x01 } }

struct ab_state {
  uint32_t magic;              /* 0 */
  uint16_t version;            /* 4 */
  uint8_t tries_left;          /* 6: boots the pending trial may still use */
  uint8_t reserved0;           /* 7 */
  uint64_t epoch;              /* 8: committed security_epoch, never lowered */
  char last_good[AB_UUID_LEN]; /* 16: the committed build */
  char trial[AB_UUID_LEN];     /* 52: the build on trial, none when no trial is pending */
  char bad[AB_UUID_LEN];       /* 88: the last build refused or rolled back; never tried again */
  uint8_t reserved1[4];        /* 124 */
};
_Static_assert(sizeof(struct ab_state) == 128, "ab_state is 128 bytes");
_Static_assert(offsetof(struct ab_state, last_good) == 16, "ab_state.last_good");
_Static_assert(offsetof(struct ab_state, trial) == 52, "ab_state.trial");
_Static_assert(offsetof(struct ab_state, bad) == 88, "ab_state.bad");

enum ab_state_load { AB_STATE_FOUND, AB_STATE_ABSENT, AB_STATE_INVALID, AB_STATE_READ_ERROR };

/* Reads the variable; anything but FOUND leaves *s empty (no build committed, epoch 0). */
enum ab_state_load ab_state_load(EFI_RUNTIME_SERVICES *rt, struct ab_state *s);
EFI_STATUS ab_state_save(EFI_RUNTIME_SERVICES *rt, const struct ab_state *s);

/* The last boot's story (log/story.h) into the NV variable "D0LastBoot" under D0's vendor GUID
 * (NV|BS|RT): the text as it is, whole logfmt lines. Written at a decision only (a commit, a
 * rollback), after the state it explains. */
EFI_STATUS ab_story_save(EFI_RUNTIME_SERVICES *rt);

/* UUID fields: empty test, compare, copy (from 36 characters), and "none" for logs. */
int ab_uuid_empty(const char u[AB_UUID_LEN]);
int ab_uuid_eq(const char a[AB_UUID_LEN], const char *b);
void ab_uuid_set(char dst[AB_UUID_LEN], const char *src);
/* A NUL-terminated copy for log_str: the uuid text, or "none". */
const char *ab_uuid_text(const char u[AB_UUID_LEN], char out[AB_UUID_LEN + 1]);

#endif
