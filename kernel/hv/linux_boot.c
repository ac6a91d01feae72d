#include "hv/linux_boot.h"

#include "d0/lib.h"
#include "hv/err.h"
#include "hv/mptable.h"

/* struct setup_header offsets inside the bzImage and inside boot_params (boot.rst, "THE REAL-MODE
 * KERNEL HEADER"); both use the same offsets since the header sits at 0x1f1 in each. */
#define HDR_SETUP_SECTS 0x1f1
#define HDR_SYSSIZE 0x1f4
#define HDR_VID_MODE 0x1fa
#define HDR_BOOT_FLAG 0x1fe
#define HDR_JUMP 0x200
#define HDR_MAGIC 0x202
#define HDR_VERSION 0x206
#define HDR_TYPE_OF_LOADER 0x210
#define HDR_LOADFLAGS 0x211
#define HDR_RAMDISK_IMAGE 0x218
#define HDR_RAMDISK_SIZE 0x21c
#define HDR_CMD_LINE_PTR 0x228
#define HDR_KERNEL_ALIGNMENT 0x230
#define HDR_RELOCATABLE 0x234
#define HDR_XLOADFLAGS 0x236
#define HDR_CMDLINE_SIZE 0x238
#define HDR_PAYLOAD_OFFSET 0x248
#define HDR_PAYLOAD_LENGTH 0x24c
#define HDR_PREF_ADDRESS 0x258
#define HDR_INIT_SIZE 0x260
#define HDR_MIN_END 0x26c /* 2.12 defines fields up to handover_offset + 4 */

#define BOOT_FLAG_MAGIC 0xAA55
#define HDRS_MAGIC 0x53726448u /* "HdrS" */
#define BOOT_PROTO_MIN 0x020c
#define LOADFLAGS_LOADED_HIGH 0x01
#define XLF_KERNEL_64 0x0001
#define LOADER_UNDEFINED 0xff

/* boot_params ("zero page") offsets (arch/x86/include/uapi/asm/bootparam.h). */
#define BP_EXT_CMD_LINE_PTR 0x0c8
#define BP_E820_ENTRIES 0x1e8
#define BP_HDR_LIMIT 0x290 /* end of the header area in boot_params */
#define BP_E820_TABLE 0x2d0
#define BP_SIZE 0x1000
#define E820_ENTRY_SIZE 20
#define E820_MAX_ZEROPAGE 128

/* Page-table entry bits (Intel SDM vol. 3A, 4.5). */
#define PTE_P 0x1ull
#define PTE_RW 0x2ull
#define PTE_PS 0x80ull

/* Segment descriptors (Intel SDM vol. 3A, 3.4.5) and their VMX access-rights form. */
#define GDT_CODE64 0x00AF9B000000FFFFull
#define GDT_DATA 0x00CF93000000FFFFull
#define GDT_TSS64_LO 0x00008B0000000067ull
#define AR_CODE64 0xA09B
#define AR_DATA 0xC093
#define AR_TSS64_BUSY 0x008B
#define GDT_BYTES 0x30

_Static_assert(BP_E820_TABLE + E820_MAX_ZEROPAGE * E820_ENTRY_SIZE <= BP_SIZE, "e820 fits");
_Static_assert(BOOT_STACK_TOP <= BOOT_PARAMS_GPA, "stack below boot_params");
_Static_assert(BOOT_PD_GPA + BOOT_PD_COUNT * 0x1000 <= BOOT_CMDLINE_GPA, "tables below cmdline");
_Static_assert(BOOT_CMDLINE_GPA + BOOT_CMDLINE_MAX <= BOOT_E820_LOW_RAM_END, "cmdline in RAM");

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const uint8_t *p) { return (uint32_t)le16(p) | (uint32_t)le16(p + 2) << 16; }
static uint64_t le64(const uint8_t *p) { return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32; }
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v), put16(p + 2, (uint16_t)(v >> 16)); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v), put32(p + 4, (uint32_t)(v >> 32)); }

int bzimage_parse(const uint8_t *img, uint64_t len, struct bzimage_info *out)
{
  if (img == NULL || len < HDR_MIN_END)
    return HV_E_BOOT_TRUNC;
  if (le16(img + HDR_BOOT_FLAG) != BOOT_FLAG_MAGIC || le32(img + HDR_MAGIC) != HDRS_MAGIC)
    return HV_E_BOOT_MAGIC;
  struct bzimage_info i = {0};
  i.version = le16(img + HDR_VERSION);
  if (i.version < BOOT_PROTO_MIN)
    return HV_E_BOOT_VERSION;
  i.xloadflags = le16(img + HDR_XLOADFLAGS);
  if ((i.xloadflags & XLF_KERNEL_64) == 0)
    return HV_E_BOOT_64;
  if ((img[HDR_LOADFLAGS] & LOADFLAGS_LOADED_HIGH) == 0)
    return HV_E_BOOT_LAYOUT;

  uint32_t sects = img[HDR_SETUP_SECTS] == 0 ? 4u : img[HDR_SETUP_SECTS];
  i.setup_size = (sects + 1u) * 512u;
  i.hdr_end = 0x202u + img[HDR_JUMP + 1];
  if (i.hdr_end < HDR_MIN_END || i.hdr_end > BP_HDR_LIMIT || i.hdr_end > i.setup_size)
    return HV_E_BOOT_LAYOUT;
  if (len <= i.setup_size)
    return HV_E_BOOT_TRUNC;
  i.pm_size = len - i.setup_size;
  if ((uint64_t)le32(img + HDR_SYSSIZE) * 16u > i.pm_size)
    return HV_E_BOOT_TRUNC;

  uint64_t poff = le32(img + HDR_PAYLOAD_OFFSET), plen = le32(img + HDR_PAYLOAD_LENGTH);
  if (poff + plen > i.pm_size)
    return HV_E_BOOT_LAYOUT;
  i.relocatable = img[HDR_RELOCATABLE] != 0;
  i.kernel_alignment = le32(img + HDR_KERNEL_ALIGNMENT);
  if (i.relocatable && (i.kernel_alignment < ARCH_PAGE_4K ||
                        (i.kernel_alignment & (i.kernel_alignment - 1)) != 0))
    return HV_E_BOOT_LAYOUT;
  i.pref_address = le64(img + HDR_PREF_ADDRESS);
  i.init_size = le32(img + HDR_INIT_SIZE);
  if (i.init_size < i.pm_size)
    return HV_E_BOOT_LAYOUT;
  i.cmdline_size = le32(img + HDR_CMDLINE_SIZE);
  if (i.cmdline_size == 0)
    return HV_E_BOOT_LAYOUT;
  *out = i;
  return HV_OK;
}

static int load_address(const struct bzimage_info *bi, const struct guest_mem *mem, uint64_t *out)
{
  uint64_t a = bi->pref_address;
  if (bi->relocatable) {
    uint64_t al = bi->kernel_alignment;
    if (a < BOOT_LOW_END)
      a = BOOT_LOW_END;
    if (a > ~0ull - al)
      return HV_E_BOOT_FIT;
    a = (a + al - 1) & ~(al - 1);
  }
  if (a < BOOT_LOW_END || a > mem->low_size || mem->low_size - a < bi->init_size)
    return HV_E_BOOT_FIT;
  *out = a;
  return HV_OK;
}

static void e820_add(uint8_t *bp, uint64_t addr, uint64_t size)
{
  uint8_t n = bp[BP_E820_ENTRIES];
  uint8_t *e = bp + BP_E820_TABLE + (uint32_t)n * E820_ENTRY_SIZE;
  put64(e, addr);
  put64(e + 8, size);
  put32(e + 16, E820_TYPE_RAM);
  bp[BP_E820_ENTRIES] = (uint8_t)(n + 1);
}

static int write_boot_params(const struct guest_mem *mem, const uint8_t *img,
                             const struct bzimage_info *bi)
{
  hva_t h;
  TRY(guest_mem_translate(mem, gpa_init(BOOT_PARAMS_GPA), BP_SIZE, &h));
  uint8_t *bp = ptr_from_hva(h);
  memset(bp, 0, BP_SIZE);
  memcpy(bp + HDR_SETUP_SECTS, img + HDR_SETUP_SECTS, bi->hdr_end - HDR_SETUP_SECTS);
  put16(bp + HDR_VID_MODE, 0xffff);
  bp[HDR_TYPE_OF_LOADER] = LOADER_UNDEFINED;
  bp[HDR_LOADFLAGS] = LOADFLAGS_LOADED_HIGH;
  put32(bp + HDR_RAMDISK_IMAGE, 0);
  put32(bp + HDR_RAMDISK_SIZE, 0);
  put32(bp + HDR_CMD_LINE_PTR, (uint32_t)BOOT_CMDLINE_GPA);
  put32(bp + BP_EXT_CMD_LINE_PTR, 0);
  e820_add(bp, 0, BOOT_E820_LOW_RAM_END);
  if (mem->low_size > BOOT_LOW_END)
    e820_add(bp, BOOT_LOW_END, mem->low_size - BOOT_LOW_END);
  if (mem->high_size != 0)
    e820_add(bp, GUEST_HIGH_RAM_BASE, mem->high_size);
  return HV_OK;
}

static int write_page_tables(const struct guest_mem *mem)
{
  hva_t h;
  uint64_t bytes = BOOT_PD_GPA + BOOT_PD_COUNT * 0x1000ull - BOOT_PML4_GPA;
  TRY(guest_mem_translate(mem, gpa_init(BOOT_PML4_GPA), bytes, &h));
  uint8_t *t = ptr_from_hva(h);
  memset(t, 0, (size_t)bytes);
  put64(t, BOOT_PDPT_GPA | PTE_P | PTE_RW);
  for (uint64_t i = 0; i < BOOT_PD_COUNT; i++) {
    uint64_t pd = BOOT_PD_GPA + i * 0x1000;
    put64(t + (BOOT_PDPT_GPA - BOOT_PML4_GPA) + i * 8, pd | PTE_P | PTE_RW);
    for (uint64_t j = 0; j < 512; j++)
      put64(t + (pd - BOOT_PML4_GPA) + j * 8, ((i * 512 + j) << 21) | PTE_P | PTE_RW | PTE_PS);
  }
  return HV_OK;
}

static struct boot_seg seg(uint16_t sel, uint32_t limit, uint16_t ar)
{
  return (struct boot_seg){sel, 0, limit, ar, false};
}

static int write_gdt_and_regs(const struct guest_mem *mem, uint64_t entry, struct boot_regs *r)
{
  uint8_t gdt[GDT_BYTES] = {0};
  put64(gdt + BOOT_SEL_CODE, GDT_CODE64);
  put64(gdt + BOOT_SEL_DATA, GDT_DATA);
  put64(gdt + BOOT_SEL_TSS, GDT_TSS64_LO);
  TRY(guest_mem_write(mem, gpa_init(BOOT_GDT_GPA), gdt, sizeof(gdt)));

  memset(r, 0, sizeof(*r));
  r->rip = entry;
  r->rsp = BOOT_STACK_TOP;
  r->rsi = BOOT_PARAMS_GPA;
  r->rflags = RFLAGS_FIXED;
  r->cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_PG;
  r->cr3 = BOOT_PML4_GPA;
  r->cr4 = CR4_PAE;
  r->efer = EFER_LME | EFER_LMA;
  r->cs = seg(BOOT_SEL_CODE, 0xFFFFFFFFu, AR_CODE64);
  r->ds = r->es = r->ss = r->fs = r->gs = seg(BOOT_SEL_DATA, 0xFFFFFFFFu, AR_DATA);
  r->tr = seg(BOOT_SEL_TSS, 0x67, AR_TSS64_BUSY);
  r->ldtr = (struct boot_seg){0, 0, 0, 0, true};
  r->gdtr_base = BOOT_GDT_GPA;
  r->gdtr_limit = GDT_BYTES - 1;
  return HV_OK;
}

static int write_cmdline(const struct guest_mem *mem, const struct bzimage_info *bi,
                         const char *cmdline)
{
  uint64_t max = bi->cmdline_size < BOOT_CMDLINE_MAX - 1 ? bi->cmdline_size : BOOT_CMDLINE_MAX - 1;
  uint64_t n = 0;
  while (cmdline[n] != '\0') {
    if (n == max)
      return HV_E_CMDLINE_LONG;
    n++;
  }
  return guest_mem_write(mem, gpa_init(BOOT_CMDLINE_GPA), cmdline, n + 1);
}

int linux_boot_load(const struct guest_mem *mem, const uint8_t *img, uint64_t len,
                    const char *cmdline, uint32_t vcpus, struct boot_regs *regs,
                    uint64_t *kernel_gpa)
{
  struct bzimage_info bi;
  uint64_t addr;
  if (cmdline == NULL)
    return HV_E_INVAL;
  TRY(bzimage_parse(img, len, &bi));
  TRY(load_address(&bi, mem, &addr));
  TRY(write_cmdline(mem, &bi, cmdline));
  TRY(guest_mem_write(mem, gpa_init(addr), img + bi.setup_size, bi.pm_size));
  TRY(write_boot_params(mem, img, &bi));
  TRY(write_page_tables(mem));
  TRY(mptable_write(mem, vcpus)); /* one processor entry per vCPU (hv/mptable.h) */
  /* The 64-bit entry point is 0x200 past the start of the protected-mode kernel. */
  TRY(write_gdt_and_regs(mem, addr + 0x200, regs));
  if (kernel_gpa != NULL)
    *kernel_gpa = addr;
  return HV_OK;
}
