/*
 * D0's TIS driver (tis.h) on the machine: MMIO at TIS_BASE, the TSC as its clock, wrapped as the
 * tpm_link floor.c uses, so the epoch floor can be raised after ExitBootServices (at the commit,
 * ab/epoch_floor.h) with the same NV code as the firmware path (tcg2.h).
 *
 *   tpm_tis_probe()  before ExitBootServices (the firmware's tables map the registers): what
 *                    answers at TIS_BASE; remembered for tpm_tis_link().
 *   tpm_tis_link()   after ExitBootServices, D0's own page tables live: maps the register page
 *                    uncached and never executable (x86_paging_map_uncached) on first use.
 *                    0, or -1 with *why set: the probe's interface ("crb", "none", "other": no
 *                    FIFO TPM to drive) or "unmapped" (D0's tables not in use, or no page left).
 */
#ifndef D0_BOOT_EFI_TPM_TIS_LINK_H
#define D0_BOOT_EFI_TPM_TIS_LINK_H

#include "floor.h"
#include "tis.h"

enum tis_iface tpm_tis_probe(uint32_t *did_vid);
int tpm_tis_link(struct tpm_link *t, const char **why);
/* Microseconds on the driver's clock (the TSC), to time an exchange for the log. */
uint64_t tpm_tis_now_us(void);
/* The TIS error behind the last transport failure of the link, for the log. */
const char *tpm_tis_last_error(void);

#endif
