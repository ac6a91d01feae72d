/* The empty A/B disk; contract and write order in layout.h. */
#include "install/layout.h"

#include "d0/lib.h"
#include "install/gpt.h"

#define MIB_BLOCKS (1024u * 1024u / DISK_BLOCK_SIZE)
/* The slots lie between the first alignment boundary and the GPT's last usable LBA. */
#define SLOTS_FIRST_LBA DISK_ALIGN_BLOCKS
/* Sectors 0..7 of a slot: boot sector, FSInfo, 2..5 unused, backup boot sector, its FSInfo. */
#define FAT32_BOOT_RECORD_SECTORS (FAT32_BACKUP_FSINFO_SECTOR + 1)

static const char *const slot_label[DISK_SLOTS] = {"D0_A", "D0_B"}; /* FAT volume labels */
static const char *const slot_name[DISK_SLOTS] = {"ESP_A", "ESP_B"}; /* GPT partition names */
/* Labels of the seed's derived values (seed_ids.h). */
static const char *const part_guid_label[DISK_SLOTS] = {"part-guid-A", "part-guid-B"};
static const char *const volume_id_label[DISK_SLOTS] = {"fat-serial-A", "fat-serial-B"};
#define DISK_GUID_LABEL "disk-guid"

/* The one buffer every write goes through; 4 KiB aligned for block devices that ask for it. */
static _Alignas(4096) uint8_t buf[DISK_LAYOUT_MAX_WRITE_BLOCKS * DISK_BLOCK_SIZE];

/* Everything but the identities: where each part of the layout goes. */
static int plan_geometry(uint64_t disk_blocks, uint32_t block_size, uint32_t slot_mib,
                         struct disk_layout *l) {
  if (block_size != DISK_BLOCK_SIZE)
    return DISK_LAYOUT_EBLOCK;
  if (slot_mib != 0 && (slot_mib < DISK_SLOT_MIN_MIB || slot_mib > DISK_SLOT_MAX_MIB))
    return DISK_LAYOUT_ESLOT;
  /* room: the blocks from the first slot's LBA through the last usable one (disk_blocks - 34). */
  const uint64_t overhead = SLOTS_FIRST_LBA + GPT_BACKUP_BLOCKS;
  const uint64_t min_room = 2ull * DISK_SLOT_MIN_MIB * MIB_BLOCKS;
  if (disk_blocks < overhead || disk_blocks - overhead < min_room)
    return DISK_LAYOUT_ESMALL;
  uint64_t room = disk_blocks - overhead;
  uint64_t fits_mib = room / (2ull * MIB_BLOCKS);
  if (slot_mib == 0)
    slot_mib = fits_mib > DISK_SLOT_MAX_MIB ? DISK_SLOT_MAX_MIB : (uint32_t)fits_mib;
  else if (slot_mib > fits_mib)
    return DISK_LAYOUT_ENOFIT;

  memset(l, 0, sizeof *l);
  l->disk_blocks = disk_blocks;
  l->block_size = block_size;
  l->slot_mib = slot_mib;
  for (int i = 0; i < DISK_SLOTS; i++) {
    l->slot_blocks[i] = (uint64_t)slot_mib * MIB_BLOCKS;
    l->slot_first_lba[i] = SLOTS_FIRST_LBA + (uint64_t)i * l->slot_blocks[0];
  }
  l->backup_header_lba = disk_blocks - 1;
  l->backup_entries_lba = l->backup_header_lba - GPT_ENTRIES_BLOCKS;
  l->first_usable_lba = GPT_FIRST_USABLE_LBA;
  l->last_usable_lba = l->backup_entries_lba - 1;
  /* 40..65536 MiB always makes a FAT32 volume; checked all the same. */
  if (fat32_geom_for(l->slot_blocks[0], &l->fat) != 0)
    return DISK_LAYOUT_ESLOT;
  return DISK_LAYOUT_OK;
}

int disk_layout_plan(uint64_t disk_blocks, uint32_t block_size, uint32_t slot_mib,
                     const uint8_t seed[SEED_LEN], struct disk_layout *out) {
  struct disk_layout l;
  if (!seed || !out)
    return DISK_LAYOUT_EINVAL;
  TRY(plan_geometry(disk_blocks, block_size, slot_mib, &l));
  seed_guid(seed, DISK_GUID_LABEL, l.disk_guid);
  for (int i = 0; i < DISK_SLOTS; i++) {
    seed_guid(seed, part_guid_label[i], l.part_guid[i]);
    l.volume_id[i] = seed_u32(seed, volume_id_label[i]);
  }
  *out = l;
  return DISK_LAYOUT_OK;
}

/* A layout as disk_layout_plan makes it: its geometry is the one planned for its size. */
static int layout_consistent(const struct disk_layout *l) {
  struct disk_layout g;
  if (l->slot_mib == 0 || plan_geometry(l->disk_blocks, l->block_size, l->slot_mib, &g) != 0)
    return 0;
  const struct fat32_geom *a = &l->fat, *b = &g.fat;
  return l->slot_first_lba[0] == g.slot_first_lba[0] &&
         l->slot_first_lba[1] == g.slot_first_lba[1] && l->slot_blocks[0] == g.slot_blocks[0] &&
         l->slot_blocks[1] == g.slot_blocks[1] &&
         l->first_usable_lba == g.first_usable_lba && l->last_usable_lba == g.last_usable_lba &&
         l->backup_entries_lba == g.backup_entries_lba &&
         l->backup_header_lba == g.backup_header_lba && a->total_sectors == b->total_sectors &&
         a->sectors_per_cluster == b->sectors_per_cluster &&
         a->reserved_sectors == b->reserved_sectors && a->fat_sectors == b->fat_sectors &&
         a->data_start == b->data_start && a->clusters == b->clusters &&
         a->sectors_per_track == b->sectors_per_track && a->heads == b->heads;
}

struct sink {
  disk_layout_write_fn fn;
  void *ctx;
};

static int put(const struct sink *s, uint64_t lba, uint32_t nblocks) {
  return s->fn(s->ctx, lba, buf, nblocks) == 0 ? DISK_LAYOUT_OK : DISK_LAYOUT_EIO;
}

/*
 * Writes count blocks from lba: the first is buf's first block as the caller formatted it, every
 * other one zero, in writes of at most DISK_LAYOUT_MAX_WRITE_BLOCKS.
 */
static int put_run(const struct sink *s, uint64_t lba, uint64_t count) {
  memset(buf + DISK_BLOCK_SIZE, 0, sizeof buf - DISK_BLOCK_SIZE);
  while (count > 0) {
    uint32_t n = DISK_LAYOUT_MAX_WRITE_BLOCKS;
    if (count < n)
      n = (uint32_t)count;
    TRY(put(s, lba, n));
    memset(buf, 0, DISK_BLOCK_SIZE); /* the first block of the next write is zero too */
    lba += n;
    count -= n;
  }
  return DISK_LAYOUT_OK;
}

/* One slot's empty FAT32: FATs, root directory, then the boot record (layout.h, step 3). */
static int put_slot(const struct sink *s, const struct disk_layout *l, int slot) {
  const struct fat32_geom *g = &l->fat;
  uint64_t base = l->slot_first_lba[slot];
  for (uint32_t n = 0; n < FAT32_NUM_FATS; n++) {
    fat32_fat_first_sector(buf);
    TRY(put_run(s, base + g->reserved_sectors + (uint64_t)n * g->fat_sectors, g->fat_sectors));
  }
  fat32_root_first_sector(buf, slot_label[slot]);
  TRY(put_run(s, base + g->data_start, g->sectors_per_cluster));

  memset(buf, 0, FAT32_BOOT_RECORD_SECTORS * DISK_BLOCK_SIZE);
  fat32_boot_sector(buf, g, l->volume_id[slot], slot_label[slot]);
  fat32_fsinfo(buf + FAT32_FSINFO_SECTOR * DISK_BLOCK_SIZE, g);
  memcpy(buf + FAT32_BACKUP_BOOT_SECTOR * DISK_BLOCK_SIZE, buf, 2 * DISK_BLOCK_SIZE);
  return put(s, base, FAT32_BOOT_RECORD_SECTORS);
}

/* The entry array into buf; its CRC32. */
static uint32_t format_entries(const struct disk_layout *l) {
  struct gpt_part parts[DISK_SLOTS];
  for (int i = 0; i < DISK_SLOTS; i++) {
    parts[i].type_guid = gpt_esp_type_guid;
    parts[i].unique_guid = l->part_guid[i];
    parts[i].first_lba = l->slot_first_lba[i];
    parts[i].last_lba = l->slot_first_lba[i] + l->slot_blocks[i] - 1;
    parts[i].name = slot_name[i];
  }
  return gpt_entries(buf, parts, DISK_SLOTS);
}

/* One GPT copy: its entries, then its header (layout.h, steps 4-6). */
static int put_gpt_copy(const struct sink *s, const struct disk_layout *l, int primary) {
  struct gpt_header_fields h = {
      .first_usable_lba = l->first_usable_lba,
      .last_usable_lba = l->last_usable_lba,
      .disk_guid = l->disk_guid,
  };
  h.my_lba = primary ? GPT_PRIMARY_HEADER_LBA : l->backup_header_lba;
  h.alternate_lba = primary ? l->backup_header_lba : GPT_PRIMARY_HEADER_LBA;
  h.entries_lba = primary ? GPT_PRIMARY_ENTRIES_LBA : l->backup_entries_lba;
  h.entries_crc = format_entries(l);
  TRY(put(s, h.entries_lba, GPT_ENTRIES_BLOCKS));
  gpt_header(buf, &h);
  return put(s, h.my_lba, 1);
}

int disk_layout_write(const struct disk_layout *l, disk_layout_write_fn write, void *ctx) {
  if (!l || !write || !layout_consistent(l))
    return DISK_LAYOUT_EINVAL;
  const struct sink s = {write, ctx};

  memset(buf, 0, DISK_BLOCK_SIZE); /* 1. no older GPT header stays valid */
  TRY(put(&s, GPT_PRIMARY_HEADER_LBA, 1));
  TRY(put(&s, l->backup_header_lba, 1));

  gpt_protective_mbr(buf, l->disk_blocks); /* 2. */
  TRY(put(&s, GPT_MBR_LBA, 1));

  for (int i = 0; i < DISK_SLOTS; i++) /* 3. */
    TRY(put_slot(&s, l, i));

  TRY(put_gpt_copy(&s, l, 0)); /* 4. backup entries, backup header */
  return put_gpt_copy(&s, l, 1); /* 5-6. primary entries, primary header last */
}

const char *disk_layout_strerror(int err) {
  switch (err) {
  case DISK_LAYOUT_OK:
    return "ok";
  case DISK_LAYOUT_EBLOCK:
    return "logical block size is not 512 bytes";
  case DISK_LAYOUT_ESMALL:
    return "disk too small for two 40 MiB slots";
  case DISK_LAYOUT_ESLOT:
    return "slot size outside 40..65536 MiB";
  case DISK_LAYOUT_ENOFIT:
    return "two slots of this size do not fit the disk";
  case DISK_LAYOUT_EINVAL:
    return "invalid argument or layout";
  case DISK_LAYOUT_EIO:
    return "write failed";
  default:
    return "unknown error";
  }
}
