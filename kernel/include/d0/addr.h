/*
 * Address kinds as distinct types, so that a guest-physical address can never be used where a
 * host address (or a host pointer) is expected without an explicit, reviewable conversion.
 *
 *   gpa_t  guest-physical address: what a guest writes into a descriptor or a register. Untrusted.
 *   hpa_t  host-physical address: what nested page tables (NPT/EPT) point at.
 *   hva_t  host-virtual address: what D0 itself can dereference (identity-mapped under UEFI).
 *
 * The only way from gpa_t to something dereferenceable is guest_mem_translate() in
 * kernel/hv/guest_mem.h, which checks the range against the VM's memory.
 */
#ifndef D0_ADDR_H
#define D0_ADDR_H

#include <stdbool.h>
#include <stdint.h>

typedef struct { uint64_t gpa; } gpa_t;
typedef struct { uint64_t hpa; } hpa_t;
typedef struct { uintptr_t hva; } hva_t;

static inline gpa_t gpa_init(uint64_t a) { return (gpa_t){a}; }
static inline hpa_t hpa_init(uint64_t a) { return (hpa_t){a}; }
static inline hva_t hva_init(uintptr_t a) { return (hva_t){a}; }

static inline uint64_t gpa_addr(gpa_t a) { return a.gpa; }
static inline uint64_t hpa_addr(hpa_t a) { return a.hpa; }
static inline uintptr_t hva_addr(hva_t a) { return a.hva; }

/* Wrapping addition: callers that take untrusted offsets check overflow with gpa_add_checked. */
static inline gpa_t gpa_add(gpa_t a, uint64_t n) { return (gpa_t){a.gpa + n}; }
static inline hpa_t hpa_add(hpa_t a, uint64_t n) { return (hpa_t){a.hpa + n}; }
static inline hva_t hva_add(hva_t a, uintptr_t n) { return (hva_t){a.hva + n}; }

/* *out = a + n; false (and *out untouched) when the sum wraps past 2^64. */
static inline bool gpa_add_checked(gpa_t a, uint64_t n, gpa_t *out)
{
  if (a.gpa + n < a.gpa)
    return false;
  *out = (gpa_t){a.gpa + n};
  return true;
}

static inline hva_t hva_from_ptr(const void *p) { return (hva_t){(uintptr_t)p}; }
static inline void *ptr_from_hva(hva_t a) { return (void *)a.hva; }

#endif /* D0_ADDR_H */
