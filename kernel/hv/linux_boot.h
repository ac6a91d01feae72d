/*
 * Linux direct boot through the x86 64-bit boot protocol (Documentation/arch/x86/boot.rst,
 * "64-bit BOOT PROTOCOL"): no firmware in the guest. D0 parses the bzImage's setup header,
 * copies the protected-mode kernel into guest RAM, writes boot_params (the "zero page"), the
 * command line, a GDT and identity page tables, and hands the arch backend the register state
 * of the 64-bit entry point.
 *
 * Guest-physical layout of the boot data (all below 1 MiB, inside RAM; documented in
 * kernel/hv/README.md):
 *   0x01000  GDT: null, null, 0x10 flat 64-bit code, 0x18 flat data, 0x20 64-bit TSS (16 bytes)
 *   0x02000..0x06000  boot stack (RSP = 0x06000 at entry)
 *   0x07000  boot_params (4 KiB)
 *   0x09000  PML4, 0x0A000 PDPT, 0x0B000..0x0EFFF four PDs: the first 4 GiB identity-mapped
 *            with 2 MiB pages
 *   0x20000  kernel command line (NUL-terminated, at most cmdline_size bytes)
 *   0x9FC00  the MP table (hv/mptable.h), outside e820 RAM
 *   kernel   at pref_address (relocatable kernels: rounded up to kernel_alignment), >= 1 MiB
 */
#ifndef HV_LINUX_BOOT_H
#define HV_LINUX_BOOT_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/boot_regs.h"
#include "hv/guest_mem.h"

#define BOOT_GDT_GPA 0x1000ull
#define BOOT_STACK_TOP 0x6000ull
#define BOOT_PARAMS_GPA 0x7000ull
#define BOOT_PML4_GPA 0x9000ull
#define BOOT_PDPT_GPA 0xA000ull
#define BOOT_PD_GPA 0xB000ull
#define BOOT_PD_COUNT 4
#define BOOT_CMDLINE_GPA 0x20000ull
#define BOOT_CMDLINE_MAX 0x10000ull
#define BOOT_LOW_END 0x100000ull /* nothing of the kernel below 1 MiB */

/* EBDA-style reservation: e820 RAM is [0, 0x9FC00) and [1 MiB, low RAM end) (+ high RAM). */
#define BOOT_E820_LOW_RAM_END 0x9FC00ull
#define E820_TYPE_RAM 1

#define BOOT_SEL_CODE 0x10
#define BOOT_SEL_DATA 0x18
#define BOOT_SEL_TSS 0x20

/* What D0 reads from a bzImage's setup header (offsets in linux_boot.c). */
struct bzimage_info {
  uint16_t version;        /* boot protocol, >= 0x020c */
  uint32_t setup_size;     /* (setup_sects + 1) * 512: where the protected-mode kernel starts */
  uint64_t pm_size;        /* bytes of the protected-mode kernel in the file */
  uint16_t xloadflags;
  bool relocatable;
  uint32_t kernel_alignment;
  uint64_t pref_address;
  uint32_t init_size;      /* bytes the kernel needs from its load address while booting */
  uint32_t cmdline_size;   /* max command line length without the NUL */
  uint32_t hdr_end;        /* file offset just past the setup header */
};

/* Parses and checks the header of img[0..len). Every field read is bounds-checked. */
int bzimage_parse(const uint8_t *img, uint64_t len, struct bzimage_info *out);

/*
 * Lays out a bootable guest in mem: kernel, boot_params (with e820), command line, GDT, page
 * tables, the MP table for `vcpus` vCPUs (1..16); fills *regs (vCPU 0's). cmdline is
 * NUL-terminated. Returns 0 or a negative hv_err; on error
 * guest RAM may be partly written but nothing runs.
 */
int linux_boot_load(const struct guest_mem *mem, const uint8_t *img, uint64_t len,
                    const char *cmdline, uint32_t vcpus, struct boot_regs *regs,
                    uint64_t *kernel_gpa);

#endif /* HV_LINUX_BOOT_H */
