/*
 * D0's own TPM drivers on the machine, for after ExitBootServices when the firmware's
 * EFI_TCG2_PROTOCOL is gone: TIS/FIFO (tis.h) or CRB (crb.h) at TIS_BASE, chosen by the probe,
 * over MMIO with the TSC as their clock, wrapped as the tpm_link floor.c uses. So the epoch floor
 * is raised at the commit (ab/epoch_floor.h) by the same NV code as the firmware path (tcg2.h).
 *
 *   tpm_direct_probe()  before ExitBootServices (the firmware's tables map the registers): what
 *                       answers at TIS_BASE; remembered for tpm_direct_link().
 *   tpm_direct_link()   after ExitBootServices, D0's own page tables live: maps the register
 *                       page uncached and never executable (x86_paging_map_mmio) on first
 *                       use. 0, or -1 with *why set: the probe's interface ("none", "other": no
 *                       TPM D0 drives) or "unmapped" (D0's tables not in use, or no page left).
 */
#ifndef D0_BOOT_EFI_TPM_DIRECT_H
#define D0_BOOT_EFI_TPM_DIRECT_H

#include "floor.h"
#include "tis.h"

enum tis_iface tpm_direct_probe(uint32_t *did_vid);
int tpm_direct_link(struct tpm_link *t, const char **why);
/* The driver's reason for the last transport failure of the link, for the log. */
const char *tpm_direct_last_error(void);
/* Microseconds on the drivers' clock (the TSC), to time an exchange for the log. */
uint64_t tpm_direct_now_us(void);

#endif
