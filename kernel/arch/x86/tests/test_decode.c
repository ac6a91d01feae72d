/*
 * Host unit tests of the vendor-neutral MMIO decoder and guest page walk (arch/x86/decode.c),
 * which both backends run on guest-controlled bytes. Encodings from the Intel SDM vol. 2
 * opcode tables; every refusal class (register operand, other opcodes, string ops, a /r field
 * that is not /0, truncated bytes) has a case. Run by test/hv-vmx/decode.test.ts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/decode.h"
#include "check.h"


struct want {
  const char *what;
  uint8_t bytes[15];
  uint32_t n;
  uint8_t len, size, reg, dest_size;
  bool high, write, has_imm;
  uint64_t imm;
};

static const struct want accepted[] = {
    {"mov eax,[rbx]", {0x8b, 0x03}, 2, 2, 4, 0, 4, false, false, false, 0},
    {"mov [rdi+0x10],ecx", {0x89, 0x4f, 0x10}, 3, 3, 4, 1, 0, false, true, false, 0},
    {"mov r9,[rax+rcx*8+0x12345678]", {0x4c, 0x8b, 0x8c, 0xc8, 0x78, 0x56, 0x34, 0x12}, 8, 8, 8, 9, 8,
     false, false, false, 0},
    {"mov word [rax],0x1234", {0x66, 0xc7, 0x00, 0x34, 0x12}, 5, 5, 2, 0, 0, false, true, true, 0x1234},
    {"mov byte [rip+0x100],0x5a", {0xc6, 0x05, 0x00, 0x01, 0x00, 0x00, 0x5a}, 7, 7, 1, 0, 0, false, true,
     true, 0x5a},
    {"mov qword [rax],-1", {0x48, 0xc7, 0x00, 0xff, 0xff, 0xff, 0xff}, 7, 7, 8, 0, 0, false, true, true,
     0xffffffffffffffffull},
    {"mov dword [rax],0x80000000", {0xc7, 0x00, 0x00, 0x00, 0x00, 0x80}, 6, 6, 4, 0, 0, false, true, true,
     0x80000000ull},
    {"movzx eax,byte [rdx]", {0x0f, 0xb6, 0x02}, 3, 3, 1, 0, 4, false, false, false, 0},
    {"movzx r8d,word [rdx]", {0x44, 0x0f, 0xb7, 0x02}, 4, 4, 2, 8, 4, false, false, false, 0},
    {"mov ah,[rbx]", {0x8a, 0x23}, 2, 2, 1, 0, 1, true, false, false, 0},
    {"mov spl,[rbx] (REX: not AH)", {0x40, 0x8a, 0x23}, 3, 3, 1, 4, 1, false, false, false, 0},
    {"mov [rbx],bh", {0x88, 0x3b}, 2, 2, 1, 3, 1, true, true, false, 0},
    {"mov eax,[rbp+0]", {0x8b, 0x45, 0x00}, 3, 3, 4, 0, 4, false, false, false, 0},
    {"mov eax,[disp32] (SIB, no base)", {0x8b, 0x04, 0x25, 0x00, 0x10, 0x00, 0x00}, 7, 7, 4, 0, 4, false,
     false, false, 0},
    {"mov eax,fs:[rsp+0x11223344]", {0x64, 0x8b, 0x84, 0x24, 0x44, 0x33, 0x22, 0x11}, 8, 8, 4, 0, 4,
     false, false, false, 0},
    {"mov ax,[rsi] with trailing bytes", {0x66, 0x8b, 0x06, 0x90, 0x90}, 5, 3, 2, 0, 2, false, false,
     false, 0},
};

struct refused {
  const char *what;
  uint8_t bytes[15];
  uint32_t n;
};

static const struct refused refusals[] = {
    {"mov eax,ebx (register operand)", {0x89, 0xd8}, 2},
    {"add [rax],eax (not a move)", {0x01, 0x00}, 2},
    {"rep movsb (string op)", {0xf3, 0xa4}, 2},
    {"movsd (string op)", {0xa5}, 1},
    {"C7 /1 (not /0)", {0xc7, 0x08, 0x00, 0x00, 0x00, 0x00}, 6},
    {"lock prefix + mov", {0xf0, 0x89, 0x00}, 3},
    {"truncated SIB", {0x8b, 0x84}, 2},
    {"truncated disp32", {0x8b, 0x80, 0x00, 0x00}, 4},
    {"truncated imm32", {0xc7, 0x00, 0x01, 0x02}, 4},
    {"only prefixes", {0x66, 0x67, 0x2e}, 3},
    {"0F alone", {0x0f}, 1},
    {"nothing", {0}, 0},
};

static void test_decoder(void)
{
  for (size_t i = 0; i < sizeof accepted / sizeof accepted[0]; i++) {
    const struct want *w = &accepted[i];
    struct x86_mmio_insn d;
    bool ok = x86_decode_mmio(w->bytes, w->n, &d);
    CHECK_MSG(ok, "refused: %s", w->what);
    if (!ok)
      continue;
    CHECK_MSG(d.len == w->len && d.size == w->size && d.reg == w->reg && d.high_byte == w->high &&
                  d.is_write == w->write && d.has_imm == w->has_imm &&
                  (!w->has_imm || d.imm == w->imm) && (w->write || d.dest_size == w->dest_size),
              "%s: len %u size %u reg %u dest %u high %d write %d imm %d/%llx", w->what, d.len,
              d.size, d.reg, d.dest_size, d.high_byte, d.is_write, d.has_imm,
              (unsigned long long)d.imm);
  }
  for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++) {
    struct x86_mmio_insn d;
    CHECK_MSG(!x86_decode_mmio(refusals[i].bytes, refusals[i].n, &d), "accepted: %s",
              refusals[i].what);
  }
}

/* ---- guest page walk over a fake guest-physical space ------------------------------------- */

#define GUEST_BYTES (8u << 20) /* 8 MiB of "guest RAM" at GPA 0 */
static uint8_t *ram;
static int reads;

static bool read_fake(const void *vm, uint64_t gpa, void *dst, uint64_t len)
{
  CHECK(vm == ram);
  reads++;
  if (gpa >= GUEST_BYTES || len > GUEST_BYTES - gpa)
    return false;
  memcpy(dst, ram + gpa, len);
  return true;
}

static void put64(uint64_t gpa, uint64_t v) { memcpy(ram + gpa, &v, 8); }

#define P 1ull
#define RW 2ull
#define PS 0x80ull

static void test_page_walk(void)
{
  ram = calloc(1, GUEST_BYTES);
  /* PML4 0x1000 -> PDPT 0x2000; PDPT[0] -> PD 0x3000; PDPT[1] a 1 GiB page at GPA 0;
   * PD[0] -> PT 0x4000, PD[1] a 2 MiB page at 0x400000; PT[5] = 0x6000, PT[6] not present. */
  put64(0x1000, 0x2000 | P | RW);
  put64(0x2000, 0x3000 | P | RW);
  put64(0x2008, 0x0 | P | RW | PS);
  put64(0x3000, 0x4000 | P | RW);
  put64(0x3008, 0x400000 | P | RW | PS);
  put64(0x4000 + 5 * 8, 0x6000 | P | RW);
  put64(0x4000 + 7 * 8, 0x7000 | P | RW);
  uint64_t gpa = 0;
  CHECK(x86_guest_virt_to_phys(read_fake, ram, 0x1000, 0x5123, &gpa) && gpa == 0x6123);
  CHECK(x86_guest_virt_to_phys(read_fake, ram, 0x1000, 0x200000 + 0x1234, &gpa) &&
        gpa == 0x401234);
  CHECK(x86_guest_virt_to_phys(read_fake, ram, 0x1000, 0x40000000ull + 0x123456, &gpa) &&
        gpa == 0x123456);
  CHECK(!x86_guest_virt_to_phys(read_fake, ram, 0x1000, 0x6000, &gpa)); /* PT[6] absent */
  CHECK(!x86_guest_virt_to_phys(read_fake, ram, 0x1000, 1ull << 39, &gpa)); /* PML4[1] absent */
  /* Tables outside guest memory: the walk stops, never reads past what the reader allows. */
  CHECK(!x86_guest_virt_to_phys(read_fake, ram, 0x7fff000ull, 0x5000, &gpa));

  /* Instruction fetch: 15 bytes inside a page, and across into a mapped / unmapped page. */
  uint8_t buf[X86_MAX_INSN];
  for (int i = 0; i < 0x1000; i++)
    ram[0x6000 + i] = (uint8_t)i, ram[0x7000 + i] = (uint8_t)(0x80 + i);
  CHECK(x86_fetch_insn(read_fake, ram, 0x1000, 0x5010, buf) == 15 && buf[0] == 0x10 &&
        buf[14] == 0x1e);
  CHECK(x86_fetch_insn(read_fake, ram, 0x1000, 0x5ffc, buf) == 4 && buf[3] == 0xff); /* next absent */
  CHECK(x86_fetch_insn(read_fake, ram, 0x1000, 0x7ffd, buf) == 3);                   /* PT[8] absent */
  put64(0x4000 + 6 * 8, 0x6000 | P | RW); /* VA 0x6000 -> GPA 0x6000: 0x5ffc..0x600a is whole */
  CHECK(x86_fetch_insn(read_fake, ram, 0x1000, 0x5ffc, buf) == 15 && buf[4] == 0x00 &&
        buf[3] == 0xff);
  CHECK(x86_fetch_insn(read_fake, ram, 0x1000, 0x9000, buf) == 0); /* RIP unmapped */
  free(ram);
}

int main(void)
{
  test_decoder();
  test_page_walk();
  if (check_failures == 0)
    printf("decode: %zu accepted, %zu refused, page walk ok\n",
           sizeof accepted / sizeof accepted[0], sizeof refusals / sizeof refusals[0]);
  return check_exit("decode");
}
