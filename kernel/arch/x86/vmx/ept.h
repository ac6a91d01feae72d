/*
 * Extended page tables (Intel SDM vol. 3C, 29.3 "The Extended Page Table Mechanism"): a
 * 4-level table walked with the guest-physical address, leaves RWX and write-back, 2 MiB pages
 * wherever guest and host addresses are both 2 MiB aligned. A GPA with no leaf is an EPT
 * violation, which the backend reports to the core (unmapped = device or nothing).
 */
#ifndef D0_ARCH_X86_VMX_EPT_H
#define D0_ARCH_X86_VMX_EPT_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/arch.h"

/* Host-physical address behind gpa, if mapped. */
bool ept_translate(const struct vmx_vm *avm, uint64_t gpa, uint64_t *hpa);

/* Copies len bytes of guest-physical memory (may cross pages); false if any page is unmapped.
 * Same shape as x86_gpa_reader (arch/x86/decode.h). */
bool ept_read(const void *avm, uint64_t gpa, void *dst, uint64_t len);

/* INVEPT for this VM's EPT if it changed since the last flush (single-context when the CPU
 * has it, else all-context). false if INVEPT failed. */
bool ept_flush(struct vmx_vm *avm, uint64_t ept_caps);

#endif
