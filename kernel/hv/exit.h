/*
 * Exit dispatch: one handler per enum arch_exit_reason in a table indexed by the reason. A reason
 * outside the table (a backend bug or a reason it should have handled itself) stops the VM with
 * HV_E_EXIT_REASON; it never reaches an out-of-bounds table slot.
 */
#ifndef HV_EXIT_H
#define HV_EXIT_H

#include "arch/arch.h"
#include "hv/vm.h"

void exit_dispatch(struct vm *vm, const struct arch_exit *exit);

/* The name of an exit reason in logs ("io", "mmio", ...; "unknown" out of range). */
const char *exit_reason_name(uint32_t reason);

/* The hv_err that names an ARCH_EXIT_BAD_ACCESS (see enum arch_fault). */
int exit_bad_access_err(const struct arch_exit *exit);

#endif /* HV_EXIT_H */
