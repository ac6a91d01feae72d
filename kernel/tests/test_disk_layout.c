/*
 * kernel/boot/efi/install (the empty A/B disk D0 lays out itself) on the host, against image
 * files. Each layout is planned, written through a file-backed callback over an image first
 * filled with junk where the layout goes (a disk that was not blank), and read back: the
 * protective MBR, both GPT headers and entry arrays (CRCs, fields, backup at the last LBA), the
 * partitions (1 MiB aligned, apart, inside the usable range), each slot's FAT32 (boot sector and
 * its backup, FSInfo, both FATs whole, the root directory's label), and the write order (each
 * block once, the primary header last, only blocks inside the disk). Then the refusals, a write
 * that fails at every k-th call, and the FAT32 parameters for every slot size 40..65536 MiB
 * against their invariants and the values mkfs.fat (dosfstools 4.2) gives.
 *
 *   test_disk_layout [OUTDIR]    the checks; the images stay in OUTDIR ("image NAME ..." lines
 *                                name them) for test/kernel/disk-layout.test.ts to check with
 *                                sgdisk, fsck.fat and mtools; without OUTDIR they are removed
 *   test_disk_layout --image PATH DISK_BLOCKS SLOT_MIB
 *                                writes one layout (a fixed seed) into a new file PATH
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "install/crc32.h"
#include "install/fat32.h"
#include "install/gpt.h"
#include "install/layout.h"
#include "install/seed_ids.h"

#define BLK 512u
#define MIB (1024u * 1024u / BLK)
#define MAX_CALLS 4096

static uint8_t seed[SEED_LEN] = "d0 test seed for disk layouts..";

static uint32_t le16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t le32(const uint8_t *p) { return le16(p) | le16(p + 2) << 16; }
static uint64_t le64(const uint8_t *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }

static int all_zero(const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i])
      return 0;
  return 1;
}

/* ---- the write callbacks ---- */

struct call {
  uint64_t lba;
  uint32_t n;
  int gpt_header; /* the first block starts with "EFI PART" */
};

struct sink {
  int fd;                 /* -1: nothing stored */
  uint64_t disk_blocks;
  unsigned calls, fail_at; /* fail_at: 1-based call that fails, 0 never */
  struct call log[MAX_CALLS];
  const void *buf_seen;   /* the buffer of the first call */
  int other_buf, too_big, outside, after_failure;
  int failed;
  int primary_header_written; /* a valid primary header was stored (the call returned 0) */
};

static int sink_write(void *ctx, uint64_t lba, const void *buf, uint32_t n) {
  struct sink *s = ctx;
  if (s->failed)
    s->after_failure++;
  unsigned k = ++s->calls;
  if (k <= MAX_CALLS)
    s->log[k - 1] = (struct call){lba, n, memcmp(buf, "EFI PART", 8) == 0};
  if (!s->buf_seen)
    s->buf_seen = buf;
  else if (buf != s->buf_seen)
    s->other_buf++;
  if (n == 0 || n > DISK_LAYOUT_MAX_WRITE_BLOCKS)
    s->too_big++;
  if (lba >= s->disk_blocks || n > s->disk_blocks - lba)
    s->outside++;
  if (s->fail_at == k) {
    s->failed = 1;
    return -EIO;
  }
  if (lba == GPT_PRIMARY_HEADER_LBA && memcmp(buf, "EFI PART", 8) == 0)
    s->primary_header_written = 1;
  if (s->fd >= 0 && pwrite(s->fd, buf, (size_t)n * BLK, (off_t)(lba * BLK)) != (ssize_t)(n * BLK))
    return -EIO;
  return 0;
}

static struct sink sink; /* large: static */

static void sink_reset(int fd, uint64_t disk_blocks, unsigned fail_at) {
  memset(&sink, 0, sizeof sink);
  sink.fd = fd;
  sink.disk_blocks = disk_blocks;
  sink.fail_at = fail_at;
}

/* ---- reading an image back ---- */

static int img_fd;
static uint8_t blk[BLK];
static uint8_t entries[GPT_ENTRIES_BYTES], entries2[GPT_ENTRIES_BYTES];
static uint8_t run[64 * 1024];

static void rd(uint64_t lba, void *dst, size_t len) {
  ssize_t got = pread(img_fd, dst, len, (off_t)(lba * BLK));
  if (got != (ssize_t)len) {
    memset(dst, 0xEE, len);
    CHECK_MSG(0, "short read at LBA %llu", (unsigned long long)lba);
  }
}

/* Fills [lba, lba + n) with junk, as an earlier use of the disk might have left it. */
static void junk(int fd, uint64_t lba, uint64_t n) {
  memset(run, 0xA5, sizeof run);
  for (uint64_t done = 0; done < n;) {
    uint64_t k = n - done < sizeof run / BLK ? n - done : sizeof run / BLK;
    CHECK(pwrite(fd, run, k * BLK, (off_t)((lba + done) * BLK)) == (ssize_t)(k * BLK));
    done += k;
  }
}

/* n blocks from lba are zero (read in runs). */
static int zero_blocks(uint64_t lba, uint64_t n) {
  for (uint64_t done = 0; done < n;) {
    uint64_t k = n - done < sizeof run / BLK ? n - done : sizeof run / BLK;
    rd(lba + done, run, k * BLK);
    if (!all_zero(run, k * BLK))
      return 0;
    done += k;
  }
  return 1;
}

/* One GPT header: its fields against the plan; returns the entry array's LBA. */
static uint64_t check_header(const struct disk_layout *l, uint64_t at, uint64_t alt) {
  rd(at, blk, BLK);
  CHECK(memcmp(blk, "EFI PART", 8) == 0);
  CHECK_EQ(le32(blk + 8), 0x00010000);
  CHECK_EQ(le32(blk + 12), 92);
  uint32_t crc = le32(blk + 16);
  uint8_t h[92];
  memcpy(h, blk, 92);
  memset(h + 16, 0, 4);
  CHECK_EQ(crc32_ieee(h, 92), crc);
  CHECK_EQ(le32(blk + 20), 0);
  CHECK_EQ(le64(blk + 24), at);
  CHECK_EQ(le64(blk + 32), alt);
  CHECK_EQ(le64(blk + 40), 34);
  CHECK_EQ(le64(blk + 48), l->disk_blocks - 34);
  CHECK(memcmp(blk + 56, l->disk_guid, 16) == 0);
  CHECK_EQ(le32(blk + 80), 128);
  CHECK_EQ(le32(blk + 84), 128);
  CHECK(all_zero(blk + 92, BLK - 92));
  uint64_t elba = le64(blk + 72);
  uint32_t ecrc = le32(blk + 88);
  rd(elba, entries, sizeof entries);
  CHECK_EQ(crc32_ieee(entries, sizeof entries), ecrc);
  return elba;
}

static void check_entries(const struct disk_layout *l) {
  static const char *names[2] = {"ESP_A", "ESP_B"};
  uint64_t end[2];
  for (int i = 0; i < 2; i++) {
    const uint8_t *e = entries + i * 128;
    CHECK(memcmp(e, gpt_esp_type_guid, 16) == 0);
    CHECK(memcmp(e + 16, l->part_guid[i], 16) == 0);
    uint64_t first = le64(e + 32), last = le64(e + 40);
    CHECK_EQ(first, l->slot_first_lba[i]);
    CHECK_EQ(last - first + 1, l->slot_blocks[i]);
    CHECK_EQ(l->slot_blocks[i], (uint64_t)l->slot_mib * MIB);
    CHECK_EQ(first % 2048, 0);            /* 1 MiB aligned */
    CHECK(first >= 34 && last <= l->disk_blocks - 34); /* inside the usable range */
    CHECK_EQ(le64(e + 48), 0);            /* no attributes */
    for (int c = 0; c < 36; c++) {
      uint32_t want = c < (int)strlen(names[i]) ? (uint8_t)names[i][c] : 0;
      CHECK_EQ(le16(e + 56 + 2 * c), want);
    }
    end[i] = last;
  }
  CHECK_EQ(l->slot_first_lba[0], 2048);
  CHECK(end[0] < l->slot_first_lba[1]); /* apart */
  CHECK(all_zero(entries + 2 * 128, sizeof entries - 2 * 128));
}

static void check_mbr(const struct disk_layout *l) {
  rd(0, blk, BLK);
  CHECK(all_zero(blk, 446));
  const uint8_t *pr = blk + 446;
  CHECK_EQ(pr[0], 0);
  CHECK(pr[1] == 0x00 && pr[2] == 0x02 && pr[3] == 0x00);
  CHECK_EQ(pr[4], 0xEE);
  CHECK_EQ(le32(pr + 8), 1);
  uint64_t size = l->disk_blocks - 1 > 0xFFFFFFFFu ? 0xFFFFFFFFu : l->disk_blocks - 1;
  CHECK_EQ(le32(pr + 12), size);
  CHECK(all_zero(blk + 462, 48));
  CHECK(blk[510] == 0x55 && blk[511] == 0xAA);
}

static void check_fat(const struct disk_layout *l, int slot) {
  static const char *labels[2] = {"D0_A       ", "D0_B       "};
  static uint8_t boot[BLK], info[BLK];
  const struct fat32_geom *g = &l->fat;
  uint64_t base = l->slot_first_lba[slot];
  rd(base, boot, BLK);
  CHECK(boot[0] == 0xEB && boot[2] == 0x90);
  CHECK_EQ(le16(boot + 11), 512);
  CHECK_EQ(boot[13], g->sectors_per_cluster);
  CHECK_EQ(le16(boot + 14), g->reserved_sectors);
  CHECK_EQ(boot[16], 2);
  CHECK_EQ(le16(boot + 17), 0);
  CHECK_EQ(le16(boot + 19), 0);
  CHECK_EQ(boot[21], 0xF8);
  CHECK_EQ(le16(boot + 22), 0);
  CHECK_EQ(le32(boot + 32), g->total_sectors);
  CHECK(g->total_sectors <= l->slot_blocks[slot]);
  CHECK_EQ(le32(boot + 36), g->fat_sectors);
  CHECK_EQ(le32(boot + 44), 2);
  CHECK_EQ(le16(boot + 48), 1);
  CHECK_EQ(le16(boot + 50), 6);
  CHECK_EQ(boot[66], 0x29);
  CHECK_EQ(le32(boot + 67), l->volume_id[slot]);
  CHECK(memcmp(boot + 71, labels[slot], 11) == 0);
  CHECK(memcmp(boot + 82, "FAT32   ", 8) == 0);
  CHECK(boot[510] == 0x55 && boot[511] == 0xAA);
  rd(base + 6, blk, BLK);
  CHECK(memcmp(blk, boot, BLK) == 0); /* the backup boot sector */
  rd(base + 1, info, BLK);
  CHECK_EQ(le32(info), 0x41615252);
  CHECK_EQ(le32(info + 484), 0x61417272);
  CHECK_EQ(le32(info + 488), g->clusters - 1);
  CHECK_EQ(le32(info + 492), 2);
  CHECK_EQ(le32(info + 508), 0xAA550000);
  rd(base + 7, blk, BLK);
  CHECK(memcmp(blk, info, BLK) == 0);
  CHECK(zero_blocks(base + 2, 4));
  /* Both FATs: entries 0-2, then nothing but free entries to the end. */
  for (uint32_t n = 0; n < 2; n++) {
    uint64_t fat = base + g->reserved_sectors + (uint64_t)n * g->fat_sectors;
    rd(fat, blk, BLK);
    CHECK_EQ(le32(blk), 0x0FFFFFF8);
    CHECK_EQ(le32(blk + 4), 0x0FFFFFFF);
    CHECK_EQ(le32(blk + 8), 0x0FFFFFF8);
    CHECK(all_zero(blk + 12, BLK - 12));
    CHECK(zero_blocks(fat + 1, g->fat_sectors - 1));
  }
  /* The root directory's cluster: the label entry, then the end of the directory. */
  uint64_t root = base + g->data_start;
  rd(root, blk, BLK);
  CHECK(memcmp(blk, labels[slot], 11) == 0);
  CHECK_EQ(blk[11], 0x08);
  CHECK(all_zero(blk + 32, BLK - 32));
  CHECK(zero_blocks(root + 1, g->sectors_per_cluster - 1));
}

/* The order of layout.h: old headers zeroed, MBR, each slot, backup copy, primary copy last. */
static void check_order(const struct disk_layout *l) {
  unsigned n = sink.calls;
  CHECK(n >= 10 && n <= MAX_CALLS);
  if (n < 10 || n > MAX_CALLS)
    return;
  const struct call *c = sink.log;
  CHECK(c[0].lba == 1 && c[0].n == 1 && !c[0].gpt_header);
  CHECK(c[1].lba == l->backup_header_lba && c[1].n == 1 && !c[1].gpt_header);
  CHECK(c[2].lba == 0 && c[2].n == 1);
  CHECK(c[n - 4].lba == l->backup_entries_lba && c[n - 4].n == 32);
  CHECK(c[n - 3].lba == l->backup_header_lba && c[n - 3].gpt_header);
  CHECK(c[n - 2].lba == 2 && c[n - 2].n == 32);
  CHECK(c[n - 1].lba == 1 && c[n - 1].n == 1 && c[n - 1].gpt_header);
  /* Every slot write comes before the backup header, each slot's boot record after its FATs. */
  for (int s = 0; s < 2; s++) {
    uint64_t lo = l->slot_first_lba[s], hi = lo + l->slot_blocks[s];
    unsigned boot_at = 0, last_other = 0;
    for (unsigned i = 0; i < n; i++) {
      if (c[i].lba < lo || c[i].lba >= hi)
        continue;
      CHECK(i < n - 3);
      if (c[i].lba == lo)
        boot_at = i;
      else
        last_other = i;
    }
    CHECK(boot_at > last_other);
  }
  /* No block is written twice but LBA 1 and the last (zeroed first), nothing outside the disk. */
  unsigned overlaps = 0;
  for (unsigned i = 0; i < n; i++)
    for (unsigned j = i + 1; j < n; j++)
      if (c[i].lba < c[j].lba + c[j].n && c[j].lba < c[i].lba + c[i].n &&
          !(c[i].lba == 1 && c[j].lba == 1) &&
          !(c[i].lba == l->backup_header_lba && c[j].lba == l->backup_header_lba))
        overlaps++;
  CHECK_EQ(overlaps, 0);
  CHECK_EQ(sink.outside, 0);
  CHECK_EQ(sink.too_big, 0);
  CHECK_EQ(sink.other_buf, 0);
}

static const char *out_dir;
static char path_buf[4096];

/* Plans (want_mib: the slot size expected), writes into OUTDIR/name over junk, reads back. */
static void image(const char *name, uint64_t disk_blocks, uint32_t slot_mib, uint32_t want_mib) {
  struct disk_layout l;
  int err = disk_layout_plan(disk_blocks, 512, slot_mib, seed, &l);
  CHECK_MSG(err == DISK_LAYOUT_OK, "%s: %s", name, disk_layout_strerror(err));
  if (err)
    return;
  CHECK_EQ(l.slot_mib, want_mib);
  snprintf(path_buf, sizeof path_buf, "%s/%s", out_dir, name);
  int fd = open(path_buf, O_RDWR | O_CREAT | O_TRUNC, 0644);
  CHECK(fd >= 0 && ftruncate(fd, (off_t)(disk_blocks * BLK)) == 0);
  if (fd < 0)
    return;
  /* Junk where the layout goes: the first and last MiB, each slot's tables and root cluster. */
  junk(fd, 0, MIB);
  junk(fd, disk_blocks - MIB, MIB);
  for (int s = 0; s < 2; s++)
    junk(fd, l.slot_first_lba[s], l.fat.data_start + l.fat.sectors_per_cluster);
  sink_reset(fd, disk_blocks, 0);
  CHECK_EQ(disk_layout_write(&l, sink_write, &sink), DISK_LAYOUT_OK);
  img_fd = fd;
  check_mbr(&l);
  uint64_t e1 = check_header(&l, 1, disk_blocks - 1);
  CHECK_EQ(e1, 2);
  check_entries(&l);
  memcpy(entries2, entries, sizeof entries);
  uint64_t e2 = check_header(&l, disk_blocks - 1, 1);
  CHECK_EQ(e2, disk_blocks - 33);
  CHECK(memcmp(entries, entries2, sizeof entries) == 0);
  for (int s = 0; s < 2; s++)
    check_fat(&l, s);
  check_order(&l);
  close(fd);
  printf("image %s disk_blocks=%llu slot_mib=%u calls=%u\n", name, (unsigned long long)disk_blocks,
         l.slot_mib, sink.calls);
}

static void images(void) {
  image("200m.img", 200 * MIB, 0, 99);          /* (409600 - 2081) / 4096 = 99.5 */
  image("1g.img", 1024 * MIB, 0, 511);
  image("1g-s64.img", 1024 * MIB, 64, 64);      /* a given size, free space after slot B */
  image("min.img", 2048 + 2 * 40 * MIB + 33, 0, 40); /* just big enough */
  image("odd.img", 1000001, 0, 243);            /* an odd block count */
  image("min-s40.img", 2048 + 2 * 40 * MIB + 33, 40, 40);
}

/* ---- refusals ---- */

static void refusals(void) {
  struct disk_layout l, before;
  memset(&l, 0x5A, sizeof l);
  before = l;
  const uint64_t min = 2048 + 2 * 40 * MIB + 33;
  CHECK_EQ(disk_layout_plan(min - 1, 512, 0, seed, &l), DISK_LAYOUT_ESMALL);
  CHECK_EQ(disk_layout_plan(min - 1, 512, 40, seed, &l), DISK_LAYOUT_ESMALL);
  CHECK_EQ(disk_layout_plan(0, 512, 0, seed, &l), DISK_LAYOUT_ESMALL);
  CHECK_EQ(disk_layout_plan(2000, 512, 0, seed, &l), DISK_LAYOUT_ESMALL);
  CHECK_EQ(disk_layout_plan(1024 * MIB, 4096, 0, seed, &l), DISK_LAYOUT_EBLOCK);
  CHECK_EQ(disk_layout_plan(1024 * MIB, 4096, 64, seed, &l), DISK_LAYOUT_EBLOCK);
  CHECK_EQ(disk_layout_plan(1024 * MIB, 0, 0, seed, &l), DISK_LAYOUT_EBLOCK);
  CHECK_EQ(disk_layout_plan(1024 * MIB, 520, 0, seed, &l), DISK_LAYOUT_EBLOCK);
  CHECK_EQ(disk_layout_plan(200 * MIB, 512, 100, seed, &l), DISK_LAYOUT_ENOFIT);
  CHECK_EQ(disk_layout_plan(min, 512, 41, seed, &l), DISK_LAYOUT_ENOFIT);
  CHECK_EQ(disk_layout_plan(1024 * MIB, 512, 512, seed, &l), DISK_LAYOUT_ENOFIT);
  CHECK_EQ(disk_layout_plan(1024 * MIB, 512, 39, seed, &l), DISK_LAYOUT_ESLOT);
  CHECK_EQ(disk_layout_plan(1024 * MIB, 512, 65537, seed, &l), DISK_LAYOUT_ESLOT);
  CHECK_EQ(disk_layout_plan(1024 * MIB, 512, 0, NULL, &l), DISK_LAYOUT_EINVAL);
  CHECK(memcmp(&l, &before, sizeof l) == 0); /* nothing filled on refusal */
  CHECK_EQ(disk_layout_plan(1024 * MIB, 512, 0, seed, NULL), DISK_LAYOUT_EINVAL);
  /* The largest fit, exactly: one block less and the slots shrink by a MiB. */
  CHECK_EQ(disk_layout_plan(2048 + 2 * 300 * MIB + 33, 512, 0, seed, &l), DISK_LAYOUT_OK);
  CHECK_EQ(l.slot_mib, 300);
  CHECK_EQ(disk_layout_plan(2048 + 2 * 300 * MIB + 33, 512, 300, seed, &l), DISK_LAYOUT_OK);
  CHECK_EQ(disk_layout_plan(2048 + 2 * 300 * MIB + 32, 512, 0, seed, &l), DISK_LAYOUT_OK);
  CHECK_EQ(l.slot_mib, 299);
  CHECK_EQ(disk_layout_plan(2048 + 2 * 300 * MIB + 32, 512, 300, seed, &l), DISK_LAYOUT_ENOFIT);
  /* A huge disk: capped at 65536 MiB, the rest left free (written through the range checker). */
  CHECK_EQ(disk_layout_plan(1ull << 40, 512, 0, seed, &l), DISK_LAYOUT_OK);
  CHECK_EQ(l.slot_mib, 65536);
  CHECK_EQ(l.fat.sectors_per_cluster, 64);
  sink_reset(-1, 1ull << 40, 0);
  CHECK_EQ(disk_layout_write(&l, sink_write, &sink), DISK_LAYOUT_OK);
  CHECK_EQ(sink.outside + sink.too_big + sink.other_buf, 0);
  CHECK(sink.primary_header_written);
  /* The protective MBR of a disk past 2^32 blocks covers 0xFFFFFFFF of them. */
  gpt_protective_mbr(blk, 1ull << 40);
  CHECK_EQ(le32(blk + 446 + 12), 0xFFFFFFFFu);
  CHECK(blk[446 + 5] == 0xFF && blk[446 + 6] == 0xFF && blk[446 + 7] == 0xFF);
  /* A layout the planner did not make is refused before any write. */
  CHECK_EQ(disk_layout_plan(1024 * MIB, 512, 0, seed, &l), DISK_LAYOUT_OK);
  struct disk_layout bad = l;
  bad.slot_first_lba[1] -= 1;
  sink_reset(-1, 1024 * MIB, 0);
  CHECK_EQ(disk_layout_write(&bad, sink_write, &sink), DISK_LAYOUT_EINVAL);
  bad = l;
  bad.block_size = 4096;
  CHECK_EQ(disk_layout_write(&bad, sink_write, &sink), DISK_LAYOUT_EINVAL);
  bad = l;
  bad.fat.fat_sectors += 8;
  CHECK_EQ(disk_layout_write(&bad, sink_write, &sink), DISK_LAYOUT_EINVAL);
  bad = l;
  bad.disk_blocks += 1; /* the backup table would not be at the last LBA */
  CHECK_EQ(disk_layout_write(&bad, sink_write, &sink), DISK_LAYOUT_EINVAL);
  CHECK_EQ(disk_layout_write(NULL, sink_write, &sink), DISK_LAYOUT_EINVAL);
  CHECK_EQ(disk_layout_write(&l, NULL, &sink), DISK_LAYOUT_EINVAL);
  CHECK_EQ(sink.calls, 0);
  /* Every code has its text. */
  for (int e = DISK_LAYOUT_EIO; e <= DISK_LAYOUT_OK; e++)
    CHECK(strcmp(disk_layout_strerror(e), "unknown error") != 0);
  CHECK_STR(disk_layout_strerror(-99), "unknown error");
}

/* ---- a write failing at the k-th call, for every k ---- */

static void failures_for(uint64_t disk_blocks) {
  struct disk_layout l;
  CHECK_EQ(disk_layout_plan(disk_blocks, 512, 0, seed, &l), DISK_LAYOUT_OK);
  sink_reset(-1, disk_blocks, 0);
  CHECK_EQ(disk_layout_write(&l, sink_write, &sink), DISK_LAYOUT_OK);
  unsigned total = sink.calls;
  CHECK(sink.primary_header_written);
  unsigned bad_stop = 0, bad_err = 0, header_after_fail = 0, calls_after = 0;
  for (unsigned k = 1; k <= total; k++) {
    sink_reset(-1, disk_blocks, k);
    int err = disk_layout_write(&l, sink_write, &sink);
    bad_err += err != DISK_LAYOUT_EIO;
    bad_stop += sink.calls != k;
    calls_after += sink.after_failure;
    header_after_fail += sink.primary_header_written;
  }
  CHECK_EQ(bad_err, 0);
  CHECK_EQ(bad_stop, 0);
  CHECK_EQ(calls_after, 0);
  CHECK_EQ(header_after_fail, 0);
  /* Past the last call nothing fails: the writer made exactly `total` calls. */
  sink_reset(-1, disk_blocks, total + 1);
  CHECK_EQ(disk_layout_write(&l, sink_write, &sink), DISK_LAYOUT_OK);
  CHECK_EQ(sink.calls, total);
  printf("failures: %llu blocks, every k of %u calls\n", (unsigned long long)disk_blocks, total);
}

static void failures(void) {
  failures_for(200 * MIB);
  failures_for(2048 + 2 * 40 * MIB + 33);
  failures_for(4096 * MIB); /* 2 GiB slots: FATs of several writes each */
}

/* ---- pieces ---- */

static void crc_and_ids(void) {
  CHECK_EQ(crc32_ieee("123456789", 9), 0xCBF43926);
  CHECK_EQ(crc32_ieee("", 0), 0);
  CHECK_EQ(crc32_ieee("The quick brown fox jumps over the lazy dog", 43), 0x414FA339);
  uint8_t a[16], b[16], c[16];
  seed_guid(seed, "disk-guid", a);
  seed_guid(seed, "disk-guid", b);
  seed_guid(seed, "part-guid-A", c);
  CHECK(memcmp(a, b, 16) == 0);
  CHECK(memcmp(a, c, 16) != 0);
  CHECK_EQ(a[7] >> 4, 4);      /* version 4: top nibble of Data3 (little-endian bytes 6..7) */
  CHECK_EQ(a[8] >> 6, 2);      /* variant 10b */
  CHECK_EQ(c[7] >> 4, 4);
  CHECK_EQ(c[8] >> 6, 2);
  struct disk_layout l1, l2;
  uint8_t seed2[SEED_LEN];
  memcpy(seed2, seed, SEED_LEN);
  seed2[31] ^= 1;
  CHECK_EQ(disk_layout_plan(200 * MIB, 512, 0, seed, &l1), DISK_LAYOUT_OK);
  CHECK_EQ(disk_layout_plan(200 * MIB, 512, 0, seed2, &l2), DISK_LAYOUT_OK);
  CHECK(memcmp(l1.disk_guid, a, 16) == 0);
  CHECK(memcmp(l1.part_guid[0], c, 16) == 0);
  CHECK(memcmp(l1.part_guid[0], l1.part_guid[1], 16) != 0);
  CHECK(l1.volume_id[0] != l1.volume_id[1]);
  CHECK(memcmp(l1.disk_guid, l2.disk_guid, 16) != 0);
  CHECK(l1.volume_id[0] != l2.volume_id[0]);
  CHECK_EQ(l1.slot_mib, l2.slot_mib);
}

/* What mkfs.fat -F 32 (dosfstools 4.2) made of files of these sizes. */
static const struct {
  uint32_t mib, spc, fat, total, spt, heads;
} mkfs_values[] = {
    {40, 1, 630, 81920, 32, 8},         {64, 1, 1009, 131072, 32, 8},
    {100, 1, 1576, 204800, 32, 8},      {128, 1, 2017, 262144, 32, 8},
    {200, 1, 3151, 409600, 32, 16},     {256, 1, 4033, 524288, 32, 16},
    {257, 1, 4049, 526302, 63, 16},     {260, 1, 4096, 532476, 63, 16},
    {261, 8, 528, 534492, 63, 16},      {300, 8, 600, 614376, 63, 16},
    {384, 8, 768, 786429, 63, 16},      {511, 8, 1024, 1046493, 63, 32},
    {512, 8, 1024, 1048572, 63, 32},    {1024, 8, 2048, 2097144, 63, 64},
    {2048, 8, 4088, 4194288, 63, 128},  {4096, 8, 8176, 8388576, 63, 255},
};

static void fat_params(void) {
  for (size_t i = 0; i < sizeof mkfs_values / sizeof mkfs_values[0]; i++) {
    struct fat32_geom g;
    CHECK_EQ(fat32_geom_for((uint64_t)mkfs_values[i].mib * MIB, &g), 0);
    CHECK_EQ(g.sectors_per_cluster, mkfs_values[i].spc);
    CHECK_EQ(g.fat_sectors, mkfs_values[i].fat);
    CHECK_EQ(g.total_sectors, mkfs_values[i].total);
    CHECK_EQ(g.sectors_per_track, mkfs_values[i].spt);
    CHECK_EQ(g.heads, mkfs_values[i].heads);
    CHECK_EQ(g.reserved_sectors, 32);
  }
  /* Every slot size: a FAT32 volume whose parts fit and line up. */
  unsigned bad = 0;
  for (uint32_t mib = 40; mib <= 65536; mib++) {
    struct fat32_geom g;
    uint64_t part = (uint64_t)mib * MIB;
    int ok = fat32_geom_for(part, &g) == 0;
    uint32_t spc = g.sectors_per_cluster;
    ok = ok && g.total_sectors <= part && part - g.total_sectors < g.sectors_per_track &&
         g.total_sectors % g.sectors_per_track == 0 && g.reserved_sectors >= 32 &&
         g.reserved_sectors % spc == 0 && g.data_start % spc == 0 &&
         g.data_start == g.reserved_sectors + 2 * g.fat_sectors &&
         g.clusters >= FAT32_MIN_CLUSTERS && g.clusters <= FAT32_MAX_CLUSTERS &&
         (uint64_t)g.fat_sectors * 128 >= (uint64_t)g.clusters + 2 &&
         g.data_start + (uint64_t)g.clusters * spc <= g.total_sectors &&
         g.total_sectors - g.data_start - (uint64_t)g.clusters * spc < spc &&
         spc == (mib > 32768 ? 64u : mib > 16384 ? 32u : mib > 8192 ? 16u : mib > 260 ? 8u : 1u);
    if (!ok && bad++ < 5)
      CHECK_MSG(0, "FAT32 parameters for %u MiB", mib);
  }
  CHECK_EQ(bad, 0);
  struct fat32_geom g;
  CHECK_EQ(fat32_geom_for(32 * MIB, &g), -1); /* too few clusters for FAT32 */
  CHECK_EQ(fat32_geom_for(1ull << 33, &g), -1); /* more sectors than 32 bits count */
  CHECK_EQ(fat32_geom_for(65 * 1024ull * MIB, &g), 0);
  CHECK_EQ(g.reserved_sectors, 64); /* 32 rounded up to a 64-sector cluster */
}

/* ---- the --image mode ---- */

static int one_image(const char *path, const char *blocks, const char *mib) {
  struct disk_layout l;
  uint64_t n = strtoull(blocks, NULL, 0);
  int err = disk_layout_plan(n, 512, (uint32_t)strtoul(mib, NULL, 0), seed, &l);
  if (err) {
    fprintf(stderr, "%s: %s\n", path, disk_layout_strerror(err));
    return 1;
  }
  int fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0644);
  if (fd < 0 || ftruncate(fd, (off_t)(n * BLK)) != 0) {
    perror(path);
    return 1;
  }
  sink_reset(fd, n, 0);
  err = disk_layout_write(&l, sink_write, &sink);
  close(fd);
  if (err) {
    fprintf(stderr, "%s: %s\n", path, disk_layout_strerror(err));
    return 1;
  }
  printf("slot_mib=%u\n", l.slot_mib);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 5 && strcmp(argv[1], "--image") == 0)
    return one_image(argv[2], argv[3], argv[4]);
  static char tmp[] = "/tmp/d0-disk-layout-XXXXXX";
  if (argc == 2) {
    out_dir = argv[1];
  } else if (argc == 1) {
    out_dir = mkdtemp(tmp);
    if (!out_dir) {
      perror("mkdtemp");
      return 2;
    }
  } else {
    fprintf(stderr, "usage: %s [OUTDIR] | --image PATH DISK_BLOCKS SLOT_MIB\n", argv[0]);
    return 2;
  }
  RUN(crc_and_ids);
  RUN(fat_params);
  RUN(images);
  RUN(refusals);
  RUN(failures);
  if (argc == 1) {
    static const char *names[] = {"200m.img", "1g.img", "1g-s64.img", "min.img", "odd.img",
                                  "min-s40.img"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
      snprintf(path_buf, sizeof path_buf, "%s/%s", out_dir, names[i]);
      unlink(path_buf);
    }
    rmdir(out_dir);
  }
  return check_exit("disk_layout");
}
