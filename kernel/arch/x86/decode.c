#include "arch/x86/decode.h"

#include "d0/lib.h"

#define REX_W 0x8
#define REX_R 0x4

/* Length of ModRM + SIB + displacement starting at p[0] (the ModRM byte); 0 when unsupported. */
static uint32_t modrm_len(const uint8_t *p, uint32_t avail, uint8_t *reg)
{
  if (avail < 1)
    return 0;
  uint8_t modrm = p[0], mod = modrm >> 6, rm = modrm & 7;
  uint32_t len = 1;
  *reg = (modrm >> 3) & 7;
  if (mod == 3)
    return 0; /* a register operand cannot fault on memory */
  if (rm == 4) {
    if (avail < 2)
      return 0;
    uint8_t base = p[1] & 7;
    len++;
    if (mod == 0 && base == 5)
      len += 4;
  } else if (mod == 0 && rm == 5) {
    len += 4; /* RIP-relative disp32 */
  }
  if (mod == 1)
    len += 1;
  else if (mod == 2)
    len += 4;
  return len <= avail ? len : 0;
}

bool x86_decode_mmio(const uint8_t *b, uint32_t n, struct x86_mmio_insn *out)
{
  uint32_t i = 0;
  bool opsize16 = false, has_rex = false;
  uint8_t rex = 0;
  memset(out, 0, sizeof(*out));
  for (; i < n; i++) {
    uint8_t c = b[i];
    if (c == 0x66)
      opsize16 = true;
    else if (c == 0x67 || c == 0x2e || c == 0x3e || c == 0x26 || c == 0x36 || c == 0x64 ||
             c == 0x65)
      continue;
    else
      break;
  }
  if (i < n && (b[i] & 0xf0) == 0x40) {
    has_rex = true; /* even 0x40: with any REX, byte registers 4-7 are SPL/BPL/SIL/DIL */
    rex = b[i++] & 0xf;
  }
  if (i >= n)
    return false;
  uint8_t op = b[i++], reg = 0;
  bool twobyte = false;
  if (op == 0x0f) {
    if (i >= n)
      return false;
    op = b[i++];
    twobyte = true;
  }
  uint32_t ml = modrm_len(b + i, n - i, &reg);
  if (ml == 0)
    return false;
  i += ml;
  uint8_t wide = (rex & REX_W) ? 8 : opsize16 ? 2 : 4;
  out->reg = reg | ((rex & REX_R) ? 8 : 0);
  if (!twobyte && (op == 0x88 || op == 0x8a)) {
    out->size = 1;
    out->dest_size = 1;
    out->high_byte = !has_rex && reg >= 4; /* AH, CH, DH, BH */
    if (out->high_byte)
      out->reg = reg - 4;
    out->is_write = op == 0x88;
  } else if (!twobyte && (op == 0x89 || op == 0x8b)) {
    out->size = out->dest_size = wide;
    out->is_write = op == 0x89;
  } else if (!twobyte && (op == 0xc6 || op == 0xc7)) {
    if (reg != 0)
      return false;
    uint32_t immlen = op == 0xc6 ? 1 : (wide == 2 ? 2 : 4);
    if (i + immlen > n)
      return false;
    uint64_t imm = 0;
    for (uint32_t k = 0; k < immlen; k++)
      imm |= (uint64_t)b[i + k] << (8 * k);
    if (immlen == 4 && wide == 8 && (imm & 0x80000000u))
      imm |= 0xffffffff00000000ull; /* imm32 sign-extended to 64 bits */
    i += immlen;
    out->size = op == 0xc6 ? 1 : wide;
    out->is_write = true;
    out->has_imm = true;
    out->imm = imm;
  } else if (twobyte && (op == 0xb6 || op == 0xb7)) {
    out->size = op == 0xb6 ? 1 : 2;
    out->dest_size = wide;
    out->is_write = false;
  } else {
    return false;
  }
  out->len = (uint8_t)i;
  return true;
}

/* Long-mode paging entry bits (APM vol. 2, 5.3.3; Intel SDM vol. 3A 4.5). */
#define PTE_P (1ull << 0)
#define PTE_PS (1ull << 7)
#define PTE_ADDR 0x000ffffffffff000ull

bool x86_guest_virt_to_phys(x86_gpa_reader read, const void *vm, uint64_t cr3, uint64_t va,
                            uint64_t *gpa)
{
  uint64_t table = cr3 & PTE_ADDR;
  for (int level = 3; level >= 0; level--) {
    uint64_t e;
    uint64_t idx = (va >> (12 + 9 * level)) & 511;
    if (!read(vm, table + idx * 8, &e, sizeof e) || !(e & PTE_P))
      return false;
    if (level == 0 || ((level == 1 || level == 2) && (e & PTE_PS))) {
      uint64_t span = 1ull << (12 + 9 * level);
      *gpa = (e & PTE_ADDR & ~(span - 1)) | (va & (span - 1));
      return true;
    }
    table = e & PTE_ADDR;
  }
  return false;
}

uint32_t x86_fetch_insn(x86_gpa_reader read, const void *vm, uint64_t cr3, uint64_t rip,
                        uint8_t buf[X86_MAX_INSN])
{
  uint64_t gpa;
  uint32_t first = (uint32_t)(4096 - (rip & 4095));
  uint32_t n = first < X86_MAX_INSN ? first : X86_MAX_INSN;
  if (!x86_guest_virt_to_phys(read, vm, cr3, rip, &gpa) || !read(vm, gpa, buf, n))
    return 0;
  if (n < X86_MAX_INSN && x86_guest_virt_to_phys(read, vm, cr3, rip + n, &gpa) &&
      read(vm, gpa, buf + n, X86_MAX_INSN - n))
    n = X86_MAX_INSN;
  return n;
}
