/*
 * The VMX instructions as inline functions (Intel SDM vol. 2, "VMX Instruction Reference"; the
 * VMfail conventions of vol. 3C 31.2: CF=1 VMfailInvalid, ZF=1 VMfailValid with the error number
 * in VMCS_INSN_ERROR). Each returns true on VMsucceed.
 */
#ifndef D0_ARCH_X86_VMX_OPS_H
#define D0_ARCH_X86_VMX_OPS_H

#include <stdbool.h>
#include <stdint.h>

static inline bool vmx_on(uint64_t pa)
{
  uint8_t fail;
  __asm__ volatile("vmxon %1; setna %0" : "=q"(fail) : "m"(pa) : "cc", "memory");
  return !fail;
}

static inline bool vmx_clear(uint64_t pa)
{
  uint8_t fail;
  __asm__ volatile("vmclear %1; setna %0" : "=q"(fail) : "m"(pa) : "cc", "memory");
  return !fail;
}

static inline bool vmx_ptrld(uint64_t pa)
{
  uint8_t fail;
  __asm__ volatile("vmptrld %1; setna %0" : "=q"(fail) : "m"(pa) : "cc", "memory");
  return !fail;
}

static inline bool vmx_write(uint64_t field, uint64_t value)
{
  uint8_t fail;
  __asm__ volatile("vmwrite %2, %1; setna %0" : "=q"(fail) : "r"(field), "rm"(value) : "cc");
  return !fail;
}

/* The field's value; 0 if the read failed (every field D0 reads exists on every VMX CPU). */
static inline uint64_t vmx_read(uint64_t field)
{
  uint64_t value = 0;
  __asm__ volatile("vmread %1, %0" : "=rm"(value) : "r"(field) : "cc");
  return value;
}

static inline bool vmx_invept(uint64_t type, uint64_t eptp)
{
  struct {
    uint64_t eptp, reserved;
  } desc = {eptp, 0};
  uint8_t fail;
  __asm__ volatile("invept %1, %2; setna %0" : "=q"(fail) : "m"(desc), "r"(type) : "cc", "memory");
  return !fail;
}

#endif /* D0_ARCH_X86_VMX_OPS_H */
