/*
 * The security-epoch floor in a TPM 2.0 NV index: read it, define it on first use, raise it.
 *
 * The index: TPM_FLOOR_INDEX (0x0180D0E0, in the owner range 0x01800000-0x01BFFFFF of the TCG
 * handle registry), an ordinary 8-byte index holding the floor big-endian, attributes
 * TPM_FLOOR_ATTRS: written with the owner's authorisation (empty password, the default), read with
 * the index's own empty authValue, exempt from dictionary-attack lockout. D0 defines it when it is
 * absent and only ever writes a value above the one it read. It is not bound to a PCR policy yet
 * (that needs measured boot): code that runs on the machine before D0 with the owner's (empty)
 * password can undefine or rewrite it, and a TPM clear erases it (kernel/docs/ab.md says what that
 * means).
 *
 * Pure policy over a transport (submit): no firmware calls, so the host tests drive it with a
 * simulated TPM. Errors come back as a struct for the caller to log; nothing here logs.
 */
#ifndef D0_BOOT_EFI_TPM_FLOOR_H
#define D0_BOOT_EFI_TPM_FLOOR_H

#include <stddef.h>
#include <stdint.h>

#include "nv.h"

#define TPM_FLOOR_INDEX 0x0180D0E0u
#define TPM_FLOOR_SIZE 8
#define TPM_FLOOR_ATTRS                                                                        \
  (TPMA_NV_OWNERWRITE | TPMA_NV_OWNERREAD | TPMA_NV_AUTHREAD | TPMA_NV_NO_DA)
#define TPM_RSP_MAX 256 /* every response D0 expects fits */

/*
 * Sends cmd (cmd_len bytes) and receives the response into rsp (rsp_cap bytes), setting *rsp_len
 * to the bytes received. Returns 0, or a non-zero transport status (e.g. an EFI_STATUS) when the
 * command could not be exchanged.
 */
typedef uint64_t (*tpm_submit_fn)(void *ctx, const uint8_t *cmd, size_t cmd_len, uint8_t *rsp,
                                  size_t rsp_cap, size_t *rsp_len);

struct tpm_link {
  tpm_submit_fn submit;
  void *ctx;
};

enum tpm_floor_status {
  TPM_FLOOR_OK,       /* value is the TPM's floor */
  TPM_FLOOR_ABSENT,   /* no index yet (value 0); tpm_floor_raise() defines it */
  TPM_FLOOR_ERROR,    /* see err */
};

/* Why a TPM exchange failed: op names the command ("nv_read_public", "nv_read", "nv_define",
 * "nv_write"); kind says how; code is the TPM response code (rc), the transport status
 * (transport), or 0 (malformed, foreign). */
struct tpm_floor_error {
  const char *op;
  const char *kind; /* "rc", "transport", "malformed", "foreign_index" */
  uint64_t code;
};

/*
 * Reads the floor. An index that exists but is not D0's (other size, type or write/read
 * authorisation) is an error (foreign_index): D0 neither trusts nor overwrites it. An index
 * defined but never written (a define whose write was cut) reads as OK with value 0.
 */
enum tpm_floor_status tpm_floor_read(const struct tpm_link *t, uint64_t *value,
                                     struct tpm_floor_error *err);

/*
 * Makes the floor `want`: defines the index first when `absent`, then writes want. The caller
 * calls it only when want is above the value read (the floor is never lowered). 0 or -1 (err set).
 */
int tpm_floor_raise(const struct tpm_link *t, int absent, uint64_t want,
                    struct tpm_floor_error *err);

#endif
