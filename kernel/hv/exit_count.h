/*
 * Where a VM's io and mmio exits go: a count per address (port, or guest-physical address for
 * MMIO) and direction, in a fixed-size open-addressed table (no allocation). Once the table is
 * full, exits at addresses it does not hold are counted in `other` only; a guest cannot make
 * counting cost more than EXIT_COUNT_SLOTS probes.
 *
 * Logged at VM stop as ev=exit_top (kernel/boot/efi/run_vms.c): the top few of each, e.g.
 *   io=0x21r:1200,0x21w:2400,0x20w:1200 mmio=0xd0001050w:800,0xd0001060r:700
 * where r/w is the direction (the guest's IN/load or OUT/store).
 */
#ifndef HV_EXIT_COUNT_H
#define HV_EXIT_COUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A power of two. A Linux guest's boot alone touches more than 64 MMIO registers (virtio
 * probing, APIC and IOAPIC set-up), which once filled a 64-slot table before its network
 * traffic began. */
#define EXIT_COUNT_SLOTS 256
#define EXIT_COUNT_TOP 8 /* entries ev=exit_top names per table */
/* Longest exit_count_top() text: EXIT_COUNT_TOP of "0x" + 16 hex + dir + ':' + 20 digits + ','. */
#define EXIT_COUNT_TEXT_MAX (EXIT_COUNT_TOP * 41 + 1)

struct exit_count_slot {
  uint64_t addr;
  uint64_t n; /* 0: the slot is free */
  bool write;
};

struct exit_counts {
  struct exit_count_slot slot[EXIT_COUNT_SLOTS];
  uint64_t other; /* exits at addresses the full table could not take */
};

/* One exit at `addr` in direction `write`. */
void exit_count_add(struct exit_counts *c, uint64_t addr, bool write);

/* The count for (addr, write), 0 if none. */
uint64_t exit_count_get(const struct exit_counts *c, uint64_t addr, bool write);

/*
 * The `top` (<= EXIT_COUNT_TOP) largest counts, largest first (ties: lower address, then read
 * before write), as "0xADDR{r|w}:N,..." NUL-terminated in out[cap]. An empty table gives "".
 * Returns the text's length; entries that would not fit in cap are left out whole.
 */
size_t exit_count_top(const struct exit_counts *c, uint32_t top, char *out, size_t cap);

#endif /* HV_EXIT_COUNT_H */
