/*
 * A TPM 2.0 over the CRB interface (Command Response Buffer; TCG PC Client Platform TPM Profile
 * Specification for TPM 2.0, section 6.5.3), locality 0: D0's driver for a CRB TPM after
 * ExitBootServices, the counterpart of tis.h. One command at a time: request locality 0,
 * cmdReady, the command into the command buffer, Start, wait for Start to clear (Cancel after
 * TIMEOUT_EXEC), the response out of the response buffer, goIdle and the locality given back.
 *
 * Only buffers inside the register page are used (as QEMU's tpm-crb and most firmware TPMs lay
 * them out): a buffer the TPM places elsewhere is refused (CRB_E_BUFFER) rather than mapped.
 * Every wait is bounded (the TIS_TIMEOUT_* values of tis.h). Pure code over the same register
 * accessor (struct tis_io, offsets from the locality's base), host-tested in
 * kernel/tests/test_tpm_crb.c.
 */
#ifndef D0_BOOT_EFI_TPM_CRB_H
#define D0_BOOT_EFI_TPM_CRB_H

#include "tis.h"

/* Register offsets (PTP table 24) and bits. */
#define CRB_LOC_STATE 0x00
#define CRB_LOC_CTRL 0x08
#define CRB_CTRL_REQ 0x40
#define CRB_CTRL_STS 0x44
#define CRB_CTRL_CANCEL 0x48
#define CRB_CTRL_START 0x4C
#define CRB_CMD_SIZE 0x58
#define CRB_CMD_LADDR 0x5C
#define CRB_CMD_HADDR 0x60
#define CRB_RSP_SIZE 0x64
#define CRB_RSP_ADDR 0x68 /* 64 bits */

#define CRB_LOC_STATE_VALID 0x80u    /* tpmRegValidSts */
#define CRB_LOC_STATE_ASSIGNED 0x02u /* locAssigned */
#define CRB_LOC_STATE_ACTIVE_MASK 0x1Cu /* activeLocality, bits 4:2 */
#define CRB_LOC_CTRL_REQUEST 0x01u
#define CRB_LOC_CTRL_RELINQUISH 0x02u
#define CRB_CTRL_REQ_READY 0x01u /* cmdReady */
#define CRB_CTRL_REQ_IDLE 0x02u  /* goIdle */
#define CRB_CTRL_STS_ERROR 0x01u /* tpmSts: fatal error */
#define CRB_START 0x01u

enum crb_error {
  CRB_OK = 0,
  CRB_E_LOCALITY = 21,  /* locality 0 not assigned within TIMEOUT_A */
  CRB_E_NOT_READY = 22, /* cmdReady not taken within TIMEOUT_C */
  CRB_E_BUFFER = 23,    /* a command/response buffer outside the register page, or too small */
  CRB_E_NO_RESPONSE = 24, /* Start not cleared within TIMEOUT_EXEC */
  CRB_E_TPM_ERROR = 25, /* CRB_CTRL_STS.tpmSts: the TPM is in a fatal error state */
  CRB_E_RSP_SHORT = 26, /* the response header's size is below 10 */
  CRB_E_RSP_TOO_BIG = 27, /* beyond the caller's buffer or the response buffer */
  CRB_E_CMD_SIZE = 28,  /* the command is shorter than a header */
};

const char *crb_error_name(enum crb_error e);

/* base: the physical address of the registers (offset 0 of io), to place the buffers. */
enum crb_error crb_submit(const struct tis_io *io, uint64_t base, const uint8_t *cmd,
                          size_t cmd_len, uint8_t *rsp, size_t rsp_cap, size_t *rsp_len);

#endif
