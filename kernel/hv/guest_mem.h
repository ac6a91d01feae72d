/*
 * A VM's memory: one host buffer, seen by the guest as
 *
 *   [0, low_size)                          low RAM  (low_size = min(size, GUEST_LOW_RAM_MAX))
 *   [4 GiB, 4 GiB + size - low_size)       high RAM (only when size > GUEST_LOW_RAM_MAX)
 *
 * The 3..4 GiB hole is where devices live (virtio-mmio, IOAPIC, LAPIC). These ranges are the only
 * guest-physical addresses that translate to host memory: everything else (the hole, anything
 * above high RAM, any range that wraps 2^64 or straddles a boundary) is refused, so the guest's
 * own memory is the only thing a guest-supplied address can ever reach.
 */
#ifndef HV_GUEST_MEM_H
#define HV_GUEST_MEM_H

#include <stddef.h>
#include <stdint.h>

#include "arch/arch.h"
#include "d0/addr.h"

#define GUEST_LOW_RAM_MAX 0xC0000000ull   /* 3 GiB */
#define GUEST_HIGH_RAM_BASE 0x100000000ull /* 4 GiB */

struct guest_mem {
  hva_t base;         /* host buffer backing guest RAM, size bytes, 2 MiB aligned when possible */
  uint64_t size;      /* total RAM bytes, multiple of 4 KiB */
  uint64_t low_size;  /* bytes of RAM at [0, low_size) */
  uint64_t high_size; /* bytes of RAM at [4 GiB, 4 GiB + high_size) */
};

/* size: multiple of 4 KiB and at least 1 MiB. */
int guest_mem_init(struct guest_mem *m, void *host, uint64_t size);

/* The host address of [gpa, gpa+len) if the whole range is guest RAM; HV_E_RANGE/OVERFLOW. */
int guest_mem_translate(const struct guest_mem *m, gpa_t gpa, uint64_t len, hva_t *out);

int guest_mem_read(const struct guest_mem *m, gpa_t gpa, void *dst, uint64_t len);
int guest_mem_write(const struct guest_mem *m, gpa_t gpa, const void *src, uint64_t len);

/*
 * Maps all guest RAM into avm's nested page tables: 2 MiB pages wherever gpa and hpa are both
 * 2 MiB aligned and 2 MiB remain, 4 KiB pages elsewhere. *pages_2m / *pages_4k (may be NULL)
 * receive the counts.
 */
int guest_mem_map(const struct guest_mem *m, struct arch_vm *avm, uint64_t *pages_2m,
                  uint64_t *pages_4k);

#endif /* HV_GUEST_MEM_H */
