/*
 * Nested page tables (AMD APM vol. 2, 15.25 "Nested Paging"): the host's own long-mode 4-level
 * format, walked with the guest-physical address. Every entry carries P|RW|US: under nested
 * paging all guest accesses are user accesses (15.25.5), so a missing U bit faults everything.
 */
#ifndef D0_ARCH_X86_SVM_NPT_H
#define D0_ARCH_X86_SVM_NPT_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/arch.h"

/* Host-physical address behind gpa, if mapped (the backend reads guest memory this way). */
bool npt_translate(const struct svm_vm *avm, uint64_t gpa, uint64_t *hpa);

/* Copies len bytes of guest-physical memory (may cross pages); false if any page is unmapped. */
bool npt_read(const struct svm_vm *avm, uint64_t gpa, void *dst, uint64_t len);

#endif
