/*
 * Host tests of arch/x86/regfile.c, the register-file helpers both backends complete exits
 * with: x86 width rules, which registers IN/RDMSR/MMIO loads and CPUID write, and the I/O exit.
 * The "vCPU" is 16 plain registers. Prints "regfile: N checks, N failed".
 */
#include <stdint.h>
#include <string.h>

#include "arch/x86/regfile.h"
#include "check.h"

struct fake_vcpu {
  uint64_t r[16];
};

static uint64_t fake_read(void *vcpu, uint8_t n) { return ((struct fake_vcpu *)vcpu)->r[n & 15]; }
static void fake_write(void *vcpu, uint8_t n, uint64_t val) { ((struct fake_vcpu *)vcpu)->r[n & 15] = val; }

#define ALL_ONES 0xffffffffffffffffull

static void test_width_rules(void)
{
  struct fake_vcpu v;
  struct x86_regfile rf = {&v, fake_read, fake_write};
  for (int i = 0; i < 16; i++)
    v.r[i] = ALL_ONES;
  x86_reg_write_sized(&rf, 0, 1, false, 0x12345678);   /* AL */
  CHECK_EQ(v.r[0], 0xffffffffffffff78ull);
  x86_reg_write_sized(&rf, 3, 1, true, 0x1234);        /* BH */
  CHECK_EQ(v.r[3], 0xffffffffffff34ffull);
  x86_reg_write_sized(&rf, 1, 2, false, 0xabcdef);     /* CX */
  CHECK_EQ(v.r[1], 0xffffffffffffcdefull);
  x86_reg_write_sized(&rf, 2, 4, false, ALL_ONES - 1); /* EDX: zero-extends */
  CHECK_EQ(v.r[2], 0xfffffffeull);
  x86_reg_write_sized(&rf, 15, 8, false, 0x0123456789abcdefull);
  CHECK_EQ(v.r[15], 0x0123456789abcdefull);
  v.r[0] = 0xaaaaaaaa11111111ull;
  v.r[2] = 0xbbbbbbbb22222222ull;
  CHECK_EQ(x86_reg_pair(&rf, 0, 2), 0x2222222211111111ull);
}

static void test_complete_read(void)
{
  struct fake_vcpu v;
  struct x86_regfile rf = {&v, fake_read, fake_write};
  struct x86_mmio_insn m = {0};
  struct arch_exit in = {.reason = ARCH_EXIT_IO, .dir = ARCH_DIR_READ, .size = 2};
  memset(&v, 0xff, sizeof v);
  x86_complete_read(&rf, &in, &m, 0x1234);
  CHECK_EQ(v.r[0], 0xffffffffffff1234ull); /* IN AX keeps RAX's upper bits */
  struct arch_exit rdmsr = {.reason = ARCH_EXIT_MSR, .dir = ARCH_DIR_READ, .size = 8};
  x86_complete_read(&rf, &rdmsr, &m, 0x1122334455667788ull);
  CHECK_EQ(v.r[0], 0x55667788ull);
  CHECK_EQ(v.r[2], 0x11223344ull);
  struct arch_exit load = {.reason = ARCH_EXIT_MMIO, .dir = ARCH_DIR_READ, .size = 1};
  m = (struct x86_mmio_insn){.reg = 9, .size = 1, .dest_size = 4}; /* movzx r9d, byte [..] */
  memset(&v, 0xff, sizeof v);
  x86_complete_read(&rf, &load, &m, 0x80);
  CHECK_EQ(v.r[9], 0x80ull);
  struct arch_exit out = {.reason = ARCH_EXIT_IO, .dir = ARCH_DIR_WRITE, .size = 1};
  x86_complete_read(&rf, &out, &m, 0);
  CHECK_EQ(v.r[0], ALL_ONES); /* a write exit writes no register */
}

static void test_complete_cpuid(void)
{
  struct fake_vcpu v = {{0}};
  struct x86_regfile rf = {&v, fake_read, fake_write};
  struct arch_exit e = {.reason = ARCH_EXIT_CPUID, .value = 1}; /* leaf 1, subleaf 0 */
  struct arch_cpuid_result r = {0x11, 0x22, (1u << 26) | (1u << 27), 0x44};
  x86_complete_cpuid(&rf, &e, &r, 0); /* guest CR4.OSXSAVE clear: OSXSAVE hidden */
  CHECK_EQ(v.r[0], 0x11);
  CHECK_EQ(v.r[3], 0x22);
  CHECK_EQ(v.r[1], 1u << 26);
  CHECK_EQ(v.r[2], 0x44);
  x86_complete_cpuid(&rf, &e, &r, 1ull << 18);
  CHECK_EQ(v.r[1], (1u << 26) | (1u << 27));
}

static void test_io_exit(void)
{
  struct fake_vcpu v = {{0}};
  struct x86_regfile rf = {&v, fake_read, fake_write};
  v.r[0] = 0xdeadbeefcafef00dull;
  struct arch_exit e = {0};
  x86_io_exit(&rf, &e, 0x3f8, 1, false, false, 0x77);
  CHECK_EQ(e.reason, ARCH_EXIT_IO);
  CHECK_EQ(e.port, 0x3f8);
  CHECK_EQ(e.dir, ARCH_DIR_WRITE);
  CHECK_EQ(e.value, 0x0d); /* OUT DX, AL */
  e = (struct arch_exit){0};
  x86_io_exit(&rf, &e, 0x501, 4, true, false, 0x77);
  CHECK_EQ(e.dir, ARCH_DIR_READ);
  CHECK_EQ(e.value, 0); /* IN: no value yet */
  e = (struct arch_exit){0};
  x86_io_exit(&rf, &e, 0x3f8, 1, false, true, 0x77);
  CHECK_EQ(e.reason, ARCH_EXIT_BAD_ACCESS);
  CHECK_EQ(e.fault, ARCH_FAULT_STRING_IO);
  CHECK_EQ(e.value, 0x77);
}

int main(void)
{
  RUN(test_width_rules);
  RUN(test_complete_read);
  RUN(test_complete_cpuid);
  RUN(test_io_exit);
  return check_exit("regfile");
}
