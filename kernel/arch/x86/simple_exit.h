/*
 * Exits whose whole handling is data, alike on SVM and VMX: the instruction that exited may
 * complete first (RIP moves past it: HLT, MWAIT, MONITOR), then the core sees `reason`
 * (ARCH_EXIT_NONE: it does not; the guest runs again at once). Each backend keeps a table of
 * these indexed by its own exit codes, looked up before its table of handler functions, so the
 * handlers are only the exits that read or change backend state.
 */
#ifndef D0_ARCH_X86_SIMPLE_EXIT_H
#define D0_ARCH_X86_SIMPLE_EXIT_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/arch.h"

struct x86_simple_exit {
  uint8_t used;     /* 0: not a simple exit (the backend's handler table decides) */
  uint8_t reason;   /* enum arch_exit_reason the core sees */
  uint8_t insn_len; /* 0: RIP stays; SVM: the instruction's length to skip; VMX: nonzero means
                       skip by the length the VMCS reports */
};

/* An exit the core sees as `reason` after the instruction of `len` bytes completed (len 0: none). */
#define X86_SIMPLE_EXIT(reason, len) {1, (reason), (len)}

/* The entry for `code` in a table of n, or NULL when it is not a simple exit. */
static inline const struct x86_simple_exit *x86_simple_exit(const struct x86_simple_exit *table,
                                                            uint64_t n, uint64_t code)
{
  return code < n && table[code].used ? &table[code] : 0;
}

/* Reports a simple exit to the core (the backend has moved RIP as insn_len says); returns
 * whether the core must see it. */
static inline bool x86_simple_report(const struct x86_simple_exit *s, struct arch_exit *e)
{
  e->reason = s->reason;
  return s->reason != ARCH_EXIT_NONE;
}

/* A backend's own steps for one exit: skip moves the guest's RIP past the instruction that exited
 * (len as its table says); handle decides every exit that is not a simple one (its handler
 * table, and its verdict on an exit it never enabled) and returns whether the core must see it. */
typedef void (*x86_skip_fn)(void *vcpu, uint8_t insn_len);
typedef bool (*x86_handle_fn)(void *vcpu, uint64_t code, struct arch_exit *e);

/* One exit, the same way on both backends: the simple table first, then the backend's handler.
 * Returns whether the core must see the exit (false: the guest runs again at once). */
static inline bool x86_dispatch_exit(const struct x86_simple_exit *table, uint64_t n, uint64_t code,
                                     void *vcpu, x86_skip_fn skip, x86_handle_fn handle,
                                     struct arch_exit *e)
{
  const struct x86_simple_exit *s = x86_simple_exit(table, n, code);
  if (s == 0)
    return handle(vcpu, code, e);
  if (s->insn_len != 0)
    skip(vcpu, s->insn_len);
  return x86_simple_report(s, e);
}

#endif
