/* Linux direct boot: bzImage header checks (crafted, truncated, corrupt, and real images), the
 * zero page, page tables, GDT, entry registers, and the exact command line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/cmdline.h"
#include "hv/err.h"
#include "hv/layout.h"
#include "hv/linux_boot.h"
#include "hv/mptable.h"
#include "check.h"

#define MIB (1024ull * 1024ull)
#define PM_LEN (64 * 1024)
#define SETUP_SECTS 4
#define IMG_LEN ((SETUP_SECTS + 1) * 512 + PM_LEN)

static uint8_t img[IMG_LEN];

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

/* A minimal well-formed bzImage: protocol 2.15, relocatable, 64-bit entry, 16 MiB preferred. */
static void craft(void)
{
  memset(img, 0, sizeof(img));
  img[0x1f1] = SETUP_SECTS;
  put32(img + 0x1f4, PM_LEN / 16);
  put16(img + 0x1fe, 0xAA55);
  img[0x200] = 0xeb;
  img[0x201] = 0x6a; /* header ends at 0x26c */
  memcpy(img + 0x202, "HdrS", 4);
  put16(img + 0x206, 0x020f);
  img[0x211] = 0x01;
  put32(img + 0x230, 0x200000);
  img[0x234] = 1;
  put16(img + 0x236, 0x0001 | 0x0002);
  put32(img + 0x238, 2047);
  put32(img + 0x248, 0x100);
  put32(img + 0x24c, 0x1000);
  put64(img + 0x258, 0x1000000);
  put32(img + 0x260, 0x400000);
  for (int i = 0; i < PM_LEN; i++)
    img[(SETUP_SECTS + 1) * 512 + i] = (uint8_t)(i ^ (i >> 8));
}

static void test_parse_crafted(void)
{
  struct bzimage_info bi;
  craft();
  CHECK_EQ(bzimage_parse(img, IMG_LEN, &bi), HV_OK);
  CHECK_EQ(bi.version, 0x020f);
  CHECK_EQ(bi.setup_size, 2560);
  CHECK_EQ(bi.pm_size, PM_LEN);
  CHECK(bi.relocatable);
  CHECK_EQ(bi.hdr_end, 0x26c);
  CHECK_EQ(bi.cmdline_size, 2047);
}

/* Each corruption of the crafted image must fail with its own error. */
static void test_parse_corrupt(void)
{
  struct bzimage_info bi;
  struct {
    uint32_t off, size;
    uint64_t value;
    int err;
  } cases[] = {
      {0x1fe, 2, 0x55AA, HV_E_BOOT_MAGIC},
      {0x202, 4, 0x53726449, HV_E_BOOT_MAGIC},
      {0x206, 2, 0x020b, HV_E_BOOT_VERSION},
      {0x236, 2, 0x0002, HV_E_BOOT_64},
      {0x211, 1, 0x00, HV_E_BOOT_LAYOUT},           /* not loaded high: not a bzImage */
      {0x201, 1, 0x60, HV_E_BOOT_LAYOUT},           /* header ends before 2.12 fields */
      {0x201, 1, 0xff, HV_E_BOOT_LAYOUT},           /* header runs past boot_params' area */
      {0x1f4, 4, PM_LEN / 16 + 1, HV_E_BOOT_TRUNC}, /* syssize beyond the file */
      {0x1f1, 1, 200, HV_E_BOOT_TRUNC},             /* setup larger than the file */
      {0x24c, 4, PM_LEN, HV_E_BOOT_LAYOUT},         /* payload past the kernel */
      {0x248, 4, 0xffffffff, HV_E_BOOT_LAYOUT},
      {0x230, 4, 0x3000, HV_E_BOOT_LAYOUT},         /* alignment not a power of two */
      {0x230, 4, 0, HV_E_BOOT_LAYOUT},
      {0x260, 4, PM_LEN - 1, HV_E_BOOT_LAYOUT},     /* init_size below the kernel's size */
      {0x238, 4, 0, HV_E_BOOT_LAYOUT},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    craft();
    uint64_t v = cases[i].value;
    memcpy(img + cases[i].off, &v, cases[i].size);
    int err = bzimage_parse(img, IMG_LEN, &bi);
    if (err != cases[i].err)
      fprintf(stderr, "  corrupt case %zu (offset 0x%x)\n", i, cases[i].off);
    CHECK_EQ(err, cases[i].err);
  }
  CHECK_EQ(bzimage_parse(NULL, 0, &bi), HV_E_BOOT_TRUNC);
}

/* Every prefix of the image is refused (and read within bounds: ASan watches). */
static void test_parse_truncated_prefixes(void)
{
  struct bzimage_info bi;
  craft();
  int ok = 0;
  for (uint32_t len = 0; len < IMG_LEN; len += (len < 4096 ? 1 : 509)) {
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, img, len);
    ok += bzimage_parse(copy, len, &bi) == HV_OK;
    free(copy);
  }
  CHECK_EQ(ok, 0);
}

static void test_load_layout(void)
{
  uint8_t *ram = aligned_alloc(2 * MIB, 64 * MIB);
  memset(ram, 0xcc, 64 * MIB);
  struct guest_mem mem;
  struct boot_regs r;
  uint64_t kaddr;
  CHECK_EQ(guest_mem_init(&mem, ram, 64 * MIB), HV_OK);
  craft();
  const char *cl = "console=ttyS0 d0.name=web";
  CHECK_EQ(linux_boot_load(&mem, img, IMG_LEN, cl, 1, &r, &kaddr), HV_OK);
  CHECK_EQ(kaddr, 0x1000000);
  CHECK(memcmp(ram + kaddr, img + 2560, PM_LEN) == 0);
  uint8_t *bp = ram + BOOT_PARAMS_GPA;
  CHECK(memcmp(bp + 0x202, "HdrS", 4) == 0);
  CHECK_EQ(bp[0x210], 0xff);
  CHECK_EQ(bp[0x211] & 1, 1);
  CHECK_EQ(get32(bp + 0x228), BOOT_CMDLINE_GPA);
  CHECK_EQ(bp[0x1ef], 0); /* sentinel stays zero */
  CHECK_EQ(get64(bp + 0x258), 0x1000000); /* header copied */
  CHECK(strcmp((char *)ram + BOOT_CMDLINE_GPA, cl) == 0);
  /* e820: [0, 0x9fc00) and [1 MiB, 64 MiB), both RAM. */
  CHECK_EQ(bp[0x1e8], 2);
  CHECK_EQ(get64(bp + 0x2d0), 0);
  CHECK_EQ(get64(bp + 0x2d8), 0x9fc00);
  CHECK_EQ(get32(bp + 0x2e0), 1);
  CHECK_EQ(get64(bp + 0x2e4), MIB);
  CHECK_EQ(get64(bp + 0x2ec), 63 * MIB);
  /* Identity map: PML4[0] -> PDPT, PDPT[i] -> PD i, PD entries are 2 MiB pages. */
  CHECK_EQ(get64(ram + BOOT_PML4_GPA), BOOT_PDPT_GPA | 3);
  for (int i = 0; i < 4; i++)
    CHECK_EQ(get64(ram + BOOT_PDPT_GPA + 8 * i), (BOOT_PD_GPA + 0x1000ull * i) | 3);
  CHECK_EQ(get64(ram + BOOT_PD_GPA), 0x83);
  CHECK_EQ(get64(ram + BOOT_PD_GPA + 8 * 8), (8ull << 21) | 0x83);
  CHECK_EQ(get64(ram + BOOT_PD_GPA + 3 * 0x1000 + 511 * 8), (2047ull << 21) | 0x83);
  /* Entry registers. */
  CHECK_EQ(r.rip, kaddr + 0x200);
  CHECK_EQ(r.rsi, BOOT_PARAMS_GPA);
  CHECK_EQ(r.cr3, BOOT_PML4_GPA);
  CHECK_EQ(r.cr0 & (CR0_PE | CR0_PG), CR0_PE | CR0_PG);
  CHECK_EQ(r.cr4 & CR4_PAE, CR4_PAE);
  CHECK_EQ(r.efer & (EFER_LME | EFER_LMA), EFER_LME | EFER_LMA);
  CHECK_EQ(r.rflags, 2);
  CHECK(r.ldtr.unusable);
  /* GDT in memory agrees with the segment state handed to the backend. */
  CHECK_EQ(r.gdtr_base, BOOT_GDT_GPA);
  CHECK_EQ(r.gdtr_limit, 0x2f);
  struct boot_seg *segs[] = {&r.cs, &r.ds, &r.ss, &r.tr};
  for (size_t i = 0; i < 4; i++) {
    uint64_t d = get64(ram + BOOT_GDT_GPA + segs[i]->selector);
    uint16_t ar = (uint16_t)(((d >> 40) & 0xff) | (((d >> 52) & 0xf) << 12));
    uint32_t limit = (uint32_t)((d & 0xffff) | ((d >> 32) & 0xf0000));
    if (d & (1ull << 55))
      limit = limit << 12 | 0xfff;
    CHECK_EQ(ar, segs[i]->ar);
    CHECK_EQ(limit, segs[i]->limit);
  }
  CHECK_EQ(r.cs.ar & 0x2000, 0x2000); /* L: 64-bit code */
  CHECK_EQ(get64(ram), 0xcccccccccccccccc);     /* nothing written below the GDT */
  CHECK(memcmp(ram + MPTABLE_GPA, "_MP_", 4) == 0); /* one vCPU's MP table (test_mptable.c) */

  /* Too little RAM for init_size at 16 MiB: refused, nothing about it is ambiguous. */
  struct guest_mem small;
  CHECK_EQ(guest_mem_init(&small, ram, 18 * MIB), HV_OK);
  CHECK_EQ(linux_boot_load(&small, img, IMG_LEN, cl, 1, &r, &kaddr), HV_E_BOOT_FIT);
  /* A relocatable kernel with a low preferred address moves up to 1 MiB + alignment. */
  put64(img + 0x258, 0x1000);
  CHECK_EQ(linux_boot_load(&mem, img, IMG_LEN, cl, 1, &r, &kaddr), HV_OK);
  CHECK_EQ(kaddr, 0x200000);
  /* Non-relocatable at a preferred address that does not fit. */
  craft();
  img[0x234] = 0;
  put64(img + 0x258, 63 * MIB);
  CHECK_EQ(linux_boot_load(&mem, img, IMG_LEN, cl, 1, &r, &kaddr), HV_E_BOOT_FIT);
  /* Command line longer than the kernel's cmdline_size. */
  craft();
  put32(img + 0x238, 10);
  CHECK_EQ(linux_boot_load(&mem, img, IMG_LEN, "console=ttyS0", 1, &r, &kaddr), HV_E_CMDLINE_LONG);
  /* More than 3 GiB of RAM: e820 has the high region at 4 GiB (layout only, nothing loaded). */
  free(ram);
}

static void test_load_real(const char *path)
{
  FILE *f = fopen(path, "rb");
  CHECK(f != NULL);
  if (f == NULL)
    return;
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *k = malloc((size_t)len);
  CHECK_EQ(fread(k, 1, (size_t)len, f), (size_t)len);
  fclose(f);
  struct bzimage_info bi;
  CHECK_EQ(bzimage_parse(k, (uint64_t)len, &bi), HV_OK);
  CHECK(bi.version >= 0x020c);
  CHECK(bi.xloadflags & 1);
  CHECK(bi.init_size >= bi.pm_size);
  uint64_t mem_size = 256 * MIB;
  uint8_t *ram = aligned_alloc(2 * MIB, mem_size);
  memset(ram, 0, mem_size);
  struct guest_mem mem;
  struct boot_regs r;
  uint64_t kaddr;
  CHECK_EQ(guest_mem_init(&mem, ram, mem_size), HV_OK);
  CHECK_EQ(linux_boot_load(&mem, k, (uint64_t)len, "console=ttyS0", 1, &r, &kaddr), HV_OK);
  CHECK(kaddr >= MIB && kaddr % bi.kernel_alignment == 0);
  CHECK(memcmp(ram + kaddr, k + bi.setup_size, (size_t)bi.pm_size) == 0);
  CHECK_EQ(r.rip, kaddr + 0x200);
  printf("real bzImage %s: protocol %x.%02x, setup %u bytes, kernel %llu bytes at 0x%llx, "
         "init_size %u\n", path, bi.version >> 8, bi.version & 0xff, bi.setup_size,
         (unsigned long long)bi.pm_size, (unsigned long long)kaddr, bi.init_size);
  /* Truncating the real image anywhere in its header or kernel is refused. (Signed kernels
   * carry a signature after syssize*16 bytes of kernel, so the last cut is at that end.) */
  uint64_t kend = bi.setup_size + (uint64_t)get32(k + 0x1f4) * 16;
  CHECK(kend <= (uint64_t)len);
  uint64_t cuts[] = {0, 512, 0x1f1, 0x26b, bi.setup_size, bi.setup_size + 1, kend - 1};
  for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++)
    CHECK(bzimage_parse(k, cuts[i], &bi) < 0);
  free(ram);
  free(k);
}

static void test_cmdline_exact(void)
{
  char buf[1024];
  size_t len;
  struct cmdline_route routes[] = {{{{192, 168, 0, 0}, 16}, {{10, 20, 0, 254}, 0}},
                                   {{{0, 0, 0, 0}, 0}, {{10, 20, 0, 1}, 0}}};
  struct cmdline_dev devs[] = {{LAYOUT_VIRTIO_BLK_BASE, LAYOUT_VIRTIO_BLK_GSI},
                               {LAYOUT_VIRTIO_NET_BASE, LAYOUT_VIRTIO_NET_GSI}};
  struct cmdline_cfg cfg = {.name = "web",
                            .ip = {{10, 20, 0, 10}, 24},
                            .has_gw = true,
                            .gw = {{10, 20, 0, 1}, 0},
                            .routes = routes,
                            .nroutes = 2,
                            .devs = devs,
                            .ndevs = 2,
                            .root_ro = false};
  CHECK_EQ(cmdline_build(buf, sizeof(buf), &cfg, &len), HV_OK);
  const char *want = "console=ttyS0 reboot=t panic=-1 quiet root=/dev/vda rw rootfstype=ext4 "
                     "init=/.d0/init no_timer_check "
                     "virtio_mmio.device=4K@0xd0000000:5 virtio_mmio.device=4K@0xd0001000:6 "
                     "d0.name=web d0.ip=10.20.0.10/24 d0.gw=10.20.0.1 "
                     "d0.route=192.168.0.0/16,10.20.0.254 d0.route=0.0.0.0/0,10.20.0.1";
  CHECK(strcmp(buf, want) == 0);
  if (strcmp(buf, want) != 0)
    fprintf(stderr, "  got:  %s\n  want: %s\n", buf, want);
  CHECK_EQ(len, strlen(want));
  cfg.has_gw = false;
  cfg.nroutes = 0;
  cfg.root_ro = true;
  cfg.ndevs = 1;
  CHECK_EQ(cmdline_build(buf, sizeof(buf), &cfg, &len), HV_OK);
  CHECK(strcmp(buf, "console=ttyS0 reboot=t panic=-1 quiet root=/dev/vda ro rootfstype=ext4 "
                    "init=/.d0/init no_timer_check virtio_mmio.device=4K@0xd0000000:5 d0.name=web "
                    "d0.ip=10.20.0.10/24") == 0);
  /* A known host TSC rate follows no_timer_check, so the guest skips its PIT calibration. */
  cfg.tsc_khz = 2508727;
  CHECK_EQ(cmdline_build(buf, sizeof(buf), &cfg, &len), HV_OK);
  CHECK(strstr(buf, " init=/.d0/init no_timer_check tsc_early_khz=2508727 virtio_mmio.device=") != NULL);
  cfg.tsc_khz = 0;
  /* Values that could smuggle a key of their own are refused. */
  cfg.name = "web d0.ip=1.2.3.4/8";
  CHECK_EQ(cmdline_build(buf, sizeof(buf), &cfg, &len), HV_E_INVAL);
  cfg.name = "Web";
  CHECK_EQ(cmdline_build(buf, sizeof(buf), &cfg, &len), HV_E_INVAL);
  cfg.name = "";
  CHECK_EQ(cmdline_build(buf, sizeof(buf), &cfg, &len), HV_E_INVAL);
  cfg.name = "web";
  cfg.routes = NULL;
  cfg.nroutes = 1;
  CHECK_EQ(cmdline_build(buf, sizeof(buf), &cfg, &len), HV_E_INVAL);
  cfg.nroutes = 0;
  cfg.ip.prefix = 33;
  CHECK_EQ(cmdline_build(buf, sizeof(buf), &cfg, &len), HV_E_INVAL);
  cfg.ip.prefix = 24;
  /* Too small a buffer: an error, and still NUL-terminated inside it. */
  CHECK_EQ(cmdline_build(buf, 40, &cfg, &len), HV_E_CMDLINE_LONG);
  CHECK(strlen(buf) < 40);
}

void test_boot_all(int nimages, char **images)
{
  RUN(test_parse_crafted);
  RUN(test_parse_corrupt);
  RUN(test_parse_truncated_prefixes);
  RUN(test_load_layout);
  RUN(test_cmdline_exact);
  for (int i = 0; i < nimages; i++) {
    check_current = images[i];
    test_load_real(images[i]);
  }
}
