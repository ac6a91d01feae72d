/*
 * The fake backend's VM and vCPU, for host unit tests only (never linked into D0). Nested
 * "page tables" are a record of what was mapped; interrupt lines are an array of levels with a
 * count of rising edges; the vCPU replays a script of exits (see fake.h).
 */
#ifndef D0_ARCH_FAKE_TYPES_H
#define D0_ARCH_FAKE_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FAKE_IRQ_LINES 24
#define FAKE_MAP_LOG 64
#define FAKE_INJECT_LOG 16

struct fake_step;

struct arch_vm {
  bool live;
  uint64_t mapped_2m, mapped_4k, mapped_bytes;
  uint64_t map_gpa[FAKE_MAP_LOG];  /* first FAKE_MAP_LOG mappings, in order */
  uint64_t map_size[FAKE_MAP_LOG];
  bool irq_level[FAKE_IRQ_LINES];
  uint32_t irq_edges[FAKE_IRQ_LINES];
};

struct arch_vcpu {
  bool live;
  struct arch_vm *vm;
  const struct fake_step *script;
  size_t script_len, pos;
  uint64_t rip;          /* advanced by one per completed instruction */
  uint64_t rax, rbx, rcx, rdx;
  uint64_t last_read;    /* value handed back by the last arch_vcpu_complete */
  uint32_t completions;
  uint64_t entry_rip, entry_rsi, entry_cr3; /* from the boot_regs given at init */
  uint64_t entry_cr0, entry_cs_base;
  uint16_t entry_cs_selector;
  uint32_t index;           /* the vCPU index it was created as */
  bool block_inject;        /* the guest "has IF clear": injections wait for a window */
  uint8_t injected[FAKE_INJECT_LOG];
  uint32_t injected_count, window_requests;
};

#endif /* D0_ARCH_FAKE_TYPES_H */
