/*
 * A TPM 2.0 over the TIS/FIFO interface, locality 0 (TCG PC Client Platform TPM Profile (PTP)
 * Specification for TPM 2.0, section 6 "FIFO Interface"; the older TIS 1.3 uses the same
 * registers): D0's own driver for after ExitBootServices, when the firmware's EFI_TCG2_PROTOCOL
 * is gone. One command at a time: request locality 0, commandReady, the command into the FIFO in
 * burstCount pieces (Expect checked before and after the last byte), tpmGo, wait for dataAvail,
 * the response out of the FIFO, commandReady again (which also aborts a command on any error).
 *
 * Every wait is bounded (TIS_TIMEOUT_*): a TPM that never answers makes tis_submit() return an
 * error, never hang. Pure code over a register accessor (struct tis_io), so the host tests
 * (kernel/tests/test_tpm_tis.c) drive it against a simulated register file and clock;
 * tpm/tis_mmio.c provides the real one (MMIO at TIS_BASE, the TSC).
 */
#ifndef D0_BOOT_EFI_TPM_TIS_H
#define D0_BOOT_EFI_TPM_TIS_H

#include <stddef.h>
#include <stdint.h>

#define TIS_BASE 0xFED40000u /* locality 0; the PC platform's fixed address */
#define TIS_SIZE 0x1000u

/* Register offsets within a locality (PTP table 20). */
#define TIS_ACCESS 0x00
#define TIS_STS 0x18
#define TIS_DATA_FIFO 0x24
#define TIS_INTERFACE_ID 0x30
#define TIS_DID_VID 0xF00

#define TIS_ACCESS_VALID 0x80u  /* tpmRegValidSts */
#define TIS_ACCESS_ACTIVE 0x20u /* activeLocality: written, it relinquishes */
#define TIS_ACCESS_REQUEST 0x02u /* requestUse */
#define TIS_STS_VALID 0x80u
#define TIS_STS_READY 0x40u /* commandReady */
#define TIS_STS_GO 0x20u    /* tpmGo */
#define TIS_STS_AVAIL 0x10u /* dataAvail */
#define TIS_STS_EXPECT 0x08u
#define TIS_STS_BURST(sts) (((sts) >> 8) & 0xFFFFu)

/*
 * Timeouts in microseconds. A, B: PTP/TIS TIMEOUT_A (locality) and TIMEOUT_B (commandReady). C
 * (stsValid) and D (burstCount): 750 ms, the TIS 1.2 values, longer than PTP's minimums (200 and
 * 30 ms) because waiting longer only costs time when the TPM is failing anyway. EXEC: the whole
 * execution of one command (tpmGo to dataAvail); D0 sends only NV_ReadPublic, NV_Read,
 * NV_DefineSpace and NV_Write, which a TPM completes in well under a second.
 */
#define TIS_TIMEOUT_A 750000u
#define TIS_TIMEOUT_B 2000000u
#define TIS_TIMEOUT_C 750000u
#define TIS_TIMEOUT_D 750000u
#define TIS_TIMEOUT_EXEC 5000000u

/* Register access and a clock: MMIO and the TSC in D0, a simulation in the host tests. */
struct tis_io {
  uint8_t (*read8)(void *ctx, uint32_t off);
  uint32_t (*read32)(void *ctx, uint32_t off);
  void (*write8)(void *ctx, uint32_t off, uint8_t v);
  void (*write32)(void *ctx, uint32_t off, uint32_t v);
  uint64_t (*now_us)(void *ctx); /* monotonic */
  void *ctx;
};

/* Why an exchange failed; tis_error_name() gives the log text. */
enum tis_error {
  TIS_OK = 0,
  TIS_E_LOCALITY = 1,    /* locality 0 not granted within TIMEOUT_A */
  TIS_E_NOT_READY = 2,   /* commandReady not set within TIMEOUT_B */
  TIS_E_BURST = 3,       /* burstCount stayed 0 for TIMEOUT_D */
  TIS_E_STS_VALID = 4,   /* stsValid not set within TIMEOUT_C */
  TIS_E_EXPECT = 5,      /* Expect wrong: the TPM wants fewer or more bytes than the command has */
  TIS_E_NO_RESPONSE = 6, /* no dataAvail within TIMEOUT_EXEC */
  TIS_E_RSP_SHORT = 7,   /* the response header's size is below 10, or data ran out before it */
  TIS_E_RSP_TOO_BIG = 8, /* the response is larger than the caller's buffer */
  TIS_E_RSP_EXTRA = 9,   /* dataAvail still set after the size the header gave */
  TIS_E_CMD_SIZE = 10,   /* the command is shorter than a header */
};

const char *tis_error_name(enum tis_error e);

/* Sends cmd, receives the response into rsp (*rsp_len bytes, at most rsp_cap). TIS_OK or why not;
 * either way the TPM is left in (or sent to) the ready/idle state. */
enum tis_error tis_submit(const struct tis_io *io, const uint8_t *cmd, size_t cmd_len,
                          uint8_t *rsp, size_t rsp_cap, size_t *rsp_len);

/* What sits at the TIS address, from TPM_INTERFACE_ID and TPM_DID_VID (PTP 6.4.2, 6.5.2.4), or
 * TPM_CRB_INTF_ID's upper half for CRB (*did_vid). */
enum tis_iface {
  TIS_IFACE_NONE, /* not CRB, and DID_VID reads all ones or zero: nothing answers */
  TIS_IFACE_FIFO, /* InterfaceType 0 (PTP FIFO) or 0xF (TIS 1.3): this driver */
  TIS_IFACE_CRB,  /* InterfaceType 1: a CRB TPM, which this driver does not drive */
  TIS_IFACE_OTHER,
};

enum tis_iface tis_probe(const struct tis_io *io, uint32_t *did_vid);
const char *tis_iface_name(enum tis_iface i);

#endif
