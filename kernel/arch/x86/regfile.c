#include "arch/x86/regfile.h"

#include "arch/x86/x86.h"

void x86_reg_write_sized(const struct x86_regfile *rf, uint8_t n, uint8_t size, bool high,
                         uint64_t val)
{
  uint64_t old = rf->read(rf->vcpu, n);
  switch (size) {
  case 1:
    if (high)
      rf->write(rf->vcpu, n, (old & ~0xff00ull) | ((val & 0xff) << 8));
    else
      rf->write(rf->vcpu, n, (old & ~0xffull) | (val & 0xff));
    break;
  case 2: rf->write(rf->vcpu, n, (old & ~0xffffull) | (val & 0xffff)); break;
  case 4: rf->write(rf->vcpu, n, val & 0xffffffffull); break;
  default: rf->write(rf->vcpu, n, val); break;
  }
}

uint64_t x86_reg_pair(const struct x86_regfile *rf, uint8_t lo, uint8_t hi)
{
  return (rf->read(rf->vcpu, lo) & 0xffffffffull) | (rf->read(rf->vcpu, hi) << 32);
}

void x86_io_exit(const struct x86_regfile *rf, struct arch_exit *e, uint16_t port, uint8_t size,
                 bool in, bool string, uint64_t detail)
{
  if (string) {
    e->reason = ARCH_EXIT_BAD_ACCESS; /* INS/OUTS: no device of D0 needs string I/O */
    e->fault = ARCH_FAULT_STRING_IO;
    e->value = detail;
    return;
  }
  e->reason = ARCH_EXIT_IO;
  e->port = port;
  e->size = size;
  e->dir = in ? ARCH_DIR_READ : ARCH_DIR_WRITE;
  if (e->dir == ARCH_DIR_WRITE)
    e->value = rf->read(rf->vcpu, 0) & ((1ull << (8 * e->size)) - 1);
}

void x86_mmio_exit(const struct x86_regfile *rf, x86_gpa_reader read, const void *vm,
                   uint64_t cr3, uint64_t rip, struct x86_mmio_insn *m, struct arch_exit *e,
                   uint64_t *next_rip)
{
  uint8_t insn[X86_MAX_INSN];
  e->fault = ARCH_FAULT_UNDECODED;
  uint32_t n = x86_fetch_insn(read, vm, cr3, rip, insn);
  if (n == 0 || !x86_decode_mmio(insn, n, m))
    return;
  e->reason = ARCH_EXIT_MMIO;
  e->size = m->size;
  e->dir = m->is_write ? ARCH_DIR_WRITE : ARCH_DIR_READ;
  if (m->is_write) {
    uint64_t val = m->has_imm ? m->imm : rf->read(rf->vcpu, m->reg);
    if (m->high_byte)
      val >>= 8;
    e->value = e->size == 8 ? val : val & ((1ull << (8 * e->size)) - 1);
  }
  *next_rip = rip + m->len;
}

void x86_complete_read(const struct x86_regfile *rf, const struct arch_exit *e,
                       const struct x86_mmio_insn *m, uint64_t value)
{
  if (e->reason == ARCH_EXIT_IO && e->dir == ARCH_DIR_READ) {
    x86_reg_write_sized(rf, 0, e->size, false, value); /* IN: AL/AX/EAX */
  } else if (e->reason == ARCH_EXIT_MSR && e->dir == ARCH_DIR_READ) {
    rf->write(rf->vcpu, 0, value & 0xffffffffull);
    rf->write(rf->vcpu, 2, value >> 32);
  } else if (e->reason == ARCH_EXIT_MMIO && e->dir == ARCH_DIR_READ) {
    x86_reg_write_sized(rf, m->reg, m->dest_size, m->high_byte, value);
  }
}

void x86_complete_cpuid(const struct x86_regfile *rf, const struct arch_exit *e,
                        const struct arch_cpuid_result *r, uint64_t guest_cr4)
{
  rf->write(rf->vcpu, 0, r->eax);
  rf->write(rf->vcpu, 3, r->ebx);
  rf->write(rf->vcpu, 1, x86_cpuid_mirror_cr4((uint32_t)e->value, (uint32_t)(e->value >> 32),
                                              r->ecx, guest_cr4));
  rf->write(rf->vcpu, 2, r->edx);
}
