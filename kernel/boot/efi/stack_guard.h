/* Seeding the stack protector's guard; see stack_guard.c for the sources and their order. */
#ifndef D0_BOOT_EFI_STACK_GUARD_H
#define D0_BOOT_EFI_STACK_GUARD_H

#include "efi/efi_system.h"

enum stack_guard_source {
  STACK_GUARD_RDSEED,
  STACK_GUARD_RDRAND,
  STACK_GUARD_EFI_RNG,
  STACK_GUARD_TSC,
};

/* Call first thing in efi_main, before any stack-protected function can return. */
enum stack_guard_source stack_guard_init(EFI_SYSTEM_TABLE *st, void *image_base);
const char *stack_guard_source_name(enum stack_guard_source s);

#endif
