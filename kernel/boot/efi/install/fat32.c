/* An empty FAT32 volume; contract in fat32.h. Field names and offsets are those of Microsoft's
 * FAT specification (1.03): section 3 (boot sector and BPB), 5 (FSInfo), 6 (directory entries). */
#include "install/fat32.h"

#include "d0/lib.h"
#include "install/le.h"

/* Boot sector and BPB (sections 3.1 and 3.3). */
#define BS_JMP_BOOT 0
#define BS_OEM_NAME 3
#define BPB_BYTS_PER_SEC 11
#define BPB_SEC_PER_CLUS 13
#define BPB_RSVD_SEC_CNT 14
#define BPB_NUM_FATS 16
#define BPB_ROOT_ENT_CNT 17 /* 0 on FAT32 */
#define BPB_TOT_SEC16 19    /* 0 on FAT32 */
#define BPB_MEDIA 21
#define BPB_FAT_SZ16 22     /* 0 on FAT32 */
#define BPB_SEC_PER_TRK 24
#define BPB_NUM_HEADS 26
#define BPB_HIDD_SEC 28
#define BPB_TOT_SEC32 32
#define BPB_FAT_SZ32 36
#define BPB_EXT_FLAGS 40    /* 0: the FATs are mirrored */
#define BPB_FS_VER 42       /* 0.0 */
#define BPB_ROOT_CLUS 44
#define BPB_FS_INFO 48
#define BPB_BK_BOOT_SEC 50
#define BS_DRV_NUM 64
#define BS_BOOT_SIG 66
#define BS_VOL_ID 67
#define BS_VOL_LAB 71
#define BS_FIL_SYS_TYPE 82
#define BS_BOOT_CODE 90     /* where BS_jmpBoot lands */
#define BS_SIGNATURE 510    /* 0x55 0xAA */

#define MEDIA_FIXED 0xF8u
#define DRIVE_HARD_DISK 0x80u
#define EXT_BOOT_SIG 0x29u  /* BS_VolID, BS_VolLab and BS_FilSysType are present */
#define HIDDEN_SECTORS 0u   /* as mkfs.fat leaves it for a volume made in a file */
#define SIG_0 0x55u
#define SIG_1 0xAAu
/* jmp short to BS_BOOT_CODE (EB rel8, 0x5A - 2), nop. */
static const uint8_t jmp_boot[3] = {0xEB, BS_BOOT_CODE - 2, 0x90};
/* Not a BIOS boot volume (D0 boots through UEFI): int 18h (try the next boot device), then
 * jmp $ should a BIOS return. */
static const uint8_t boot_code[4] = {0xCD, 0x18, 0xEB, 0xFE};
static const char oem_name[8] = {'M', 'S', 'W', 'I', 'N', '4', '.', '1'}; /* the spec's advice */
static const char fs_type[8] = {'F', 'A', 'T', '3', '2', ' ', ' ', ' '};

/* FSInfo (section 5). */
#define FSI_LEAD_SIG 0
#define FSI_STRUC_SIG 484
#define FSI_FREE_COUNT 488
#define FSI_NXT_FREE 492
#define FSI_TRAIL_SIG 508
#define FSI_LEAD_SIG_VALUE 0x41615252u
#define FSI_STRUC_SIG_VALUE 0x61417272u
#define FSI_TRAIL_SIG_VALUE 0xAA550000u

/* FAT entries (section 4). */
#define FAT_ENTRY_SIZE 4
#define FAT_MEDIA_ENTRY (0x0FFFFF00u | MEDIA_FIXED) /* FAT[0] */
/* FAT[1]: an end-of-chain mark with the "clean shutdown" and "no I/O error" bits set. */
#define FAT_RESERVED_ENTRY 0x0FFFFFFFu
#define FAT_END_OF_CHAIN 0x0FFFFFF8u /* the mark mkfs.fat uses */

/* Directory entry (section 6). */
#define DIR_NAME 0
#define DIR_ATTR 11
#define DIR_CRT_TIME 14
#define DIR_CRT_DATE 16
#define DIR_LST_ACC_DATE 18
#define DIR_WRT_TIME 22
#define DIR_WRT_DATE 24
#define ATTR_VOLUME_ID 0x08u
/* No clock here: the label is dated 1980-01-01 00:00, FAT's epoch ((year-1980) << 9 | month << 5
 * | day). */
#define FAT_DATE_EPOCH ((0u << 9) | (1u << 5) | 1u)
#define FAT_TIME_MIDNIGHT 0u

/* mkfs.fat's choices (fat32.h): reserved sectors before rounding to a cluster, the cluster size
 * table (by the volume's whole MiB), and the invented CHS geometry. */
#define RESERVED_SECTORS 32u
#define MIB_SECTORS (1024u * 1024u / FAT32_SECTOR)
#define CLUSTER_1_MAX_MIB 260u
#define CLUSTER_8_MAX_MIB (8u * 1024u)
#define CLUSTER_16_MAX_MIB (16u * 1024u)
#define CLUSTER_32_MAX_MIB (32u * 1024u)
#define SMALL_GEOM_MAX_SECTORS 524288u  /* 256 MiB: SD-card style geometry up to here */
#define SMALL_GEOM_8_HEADS_MAX 262144u  /* 128 MiB */
#define SMALL_GEOM_SECTORS 32u          /* sectors per track of volumes over 2 MiB */
#define LBA_ASSIST_SECTORS 63u
#define LBA_ASSIST_CYLINDERS 1024u
#define LBA_ASSIST_MAX_HEADS 255u

static uint32_t round_up(uint32_t v, uint32_t to) {
  return (v + to - 1) / to * to;
}

static uint32_t cluster_sectors_for(uint64_t part_sectors) {
  uint64_t mib = part_sectors / MIB_SECTORS;
  if (mib > CLUSTER_32_MAX_MIB)
    return 64;
  if (mib > CLUSTER_16_MAX_MIB)
    return 32;
  if (mib > CLUSTER_8_MAX_MIB)
    return 16;
  if (mib > CLUSTER_1_MAX_MIB)
    return 8;
  return 1;
}

/* mkfs.fat's geometry for a target without one. Partitions here are at least 40 MiB, so of the
 * SD-card table only its 8- and 16-head rows can apply. */
static void geometry_for(uint64_t part_sectors, struct fat32_geom *g) {
  if (part_sectors <= SMALL_GEOM_MAX_SECTORS) {
    g->sectors_per_track = SMALL_GEOM_SECTORS;
    g->heads = part_sectors <= SMALL_GEOM_8_HEADS_MAX ? 8 : 16;
    return;
  }
  /* LBA-assist: the fewest heads (16, 32, 64, 128) that keep cylinders within 1024, else 255. */
  g->sectors_per_track = LBA_ASSIST_SECTORS;
  g->heads = LBA_ASSIST_MAX_HEADS;
  for (uint32_t heads = 16; heads <= 128; heads *= 2)
    if (part_sectors <= (uint64_t)heads * LBA_ASSIST_SECTORS * LBA_ASSIST_CYLINDERS) {
      g->heads = (uint16_t)heads;
      break;
    }
}

int fat32_geom_for(uint64_t part_sectors, struct fat32_geom *g) {
  memset(g, 0, sizeof *g);
  if (part_sectors > UINT32_MAX || part_sectors < RESERVED_SECTORS * 2)
    return -1;
  geometry_for(part_sectors, g);
  uint32_t spc = cluster_sectors_for(part_sectors);
  uint32_t total = (uint32_t)(part_sectors / g->sectors_per_track * g->sectors_per_track);
  uint32_t reserved = round_up(RESERVED_SECTORS, spc);
  uint64_t fats_and_data = total - reserved;
  /*
   * Clusters that fit beside their FATs: each takes spc sectors of data and FAT_ENTRY_SIZE bytes
   * in each FAT, and the two reserved entries take FAT_ENTRY_SIZE bytes more in each. The FAT is
   * sized for that estimate (with entries 0 and 1) and rounded up to whole clusters; the clusters
   * are then counted again in the data area that is left.
   */
  uint64_t estimate = (fats_and_data * FAT32_SECTOR + FAT32_NUM_FATS * 2 * FAT_ENTRY_SIZE) /
                      ((uint64_t)spc * FAT32_SECTOR + FAT32_NUM_FATS * FAT_ENTRY_SIZE);
  uint64_t fat_bytes = (estimate + 2) * FAT_ENTRY_SIZE;
  uint32_t fat = round_up((uint32_t)((fat_bytes + FAT32_SECTOR - 1) / FAT32_SECTOR), spc);
  if ((uint64_t)FAT32_NUM_FATS * fat >= fats_and_data)
    return -1;
  uint32_t clusters = (uint32_t)((fats_and_data - (uint64_t)FAT32_NUM_FATS * fat) / spc);
  if (clusters < FAT32_MIN_CLUSTERS || clusters > FAT32_MAX_CLUSTERS ||
      (uint64_t)fat * (FAT32_SECTOR / FAT_ENTRY_SIZE) < (uint64_t)clusters + 2)
    return -1;
  g->total_sectors = total;
  g->sectors_per_cluster = spc;
  g->reserved_sectors = reserved;
  g->fat_sectors = fat;
  g->data_start = reserved + FAT32_NUM_FATS * fat;
  g->clusters = clusters;
  return 0;
}

static void put_label(uint8_t *dst, const char *label) {
  memset(dst, ' ', FAT32_LABEL_LEN);
  for (unsigned i = 0; i < FAT32_LABEL_LEN && label[i]; i++)
    dst[i] = (uint8_t)label[i];
}

void fat32_boot_sector(uint8_t blk[FAT32_SECTOR], const struct fat32_geom *g, uint32_t volume_id,
                       const char *label) {
  memset(blk, 0, FAT32_SECTOR);
  memcpy(blk + BS_JMP_BOOT, jmp_boot, sizeof jmp_boot);
  memcpy(blk + BS_OEM_NAME, oem_name, sizeof oem_name);
  put_le16(blk + BPB_BYTS_PER_SEC, FAT32_SECTOR);
  blk[BPB_SEC_PER_CLUS] = (uint8_t)g->sectors_per_cluster;
  put_le16(blk + BPB_RSVD_SEC_CNT, (uint16_t)g->reserved_sectors);
  blk[BPB_NUM_FATS] = FAT32_NUM_FATS;
  put_le16(blk + BPB_ROOT_ENT_CNT, 0);
  put_le16(blk + BPB_TOT_SEC16, 0);
  blk[BPB_MEDIA] = MEDIA_FIXED;
  put_le16(blk + BPB_FAT_SZ16, 0);
  put_le16(blk + BPB_SEC_PER_TRK, g->sectors_per_track);
  put_le16(blk + BPB_NUM_HEADS, g->heads);
  put_le32(blk + BPB_HIDD_SEC, HIDDEN_SECTORS);
  put_le32(blk + BPB_TOT_SEC32, g->total_sectors);
  put_le32(blk + BPB_FAT_SZ32, g->fat_sectors);
  put_le16(blk + BPB_EXT_FLAGS, 0);
  put_le16(blk + BPB_FS_VER, 0);
  put_le32(blk + BPB_ROOT_CLUS, FAT32_ROOT_CLUSTER);
  put_le16(blk + BPB_FS_INFO, FAT32_FSINFO_SECTOR);
  put_le16(blk + BPB_BK_BOOT_SEC, FAT32_BACKUP_BOOT_SECTOR);
  blk[BS_DRV_NUM] = DRIVE_HARD_DISK;
  blk[BS_BOOT_SIG] = EXT_BOOT_SIG;
  put_le32(blk + BS_VOL_ID, volume_id);
  put_label(blk + BS_VOL_LAB, label);
  memcpy(blk + BS_FIL_SYS_TYPE, fs_type, sizeof fs_type);
  memcpy(blk + BS_BOOT_CODE, boot_code, sizeof boot_code);
  blk[BS_SIGNATURE] = SIG_0;
  blk[BS_SIGNATURE + 1] = SIG_1;
}

void fat32_fsinfo(uint8_t blk[FAT32_SECTOR], const struct fat32_geom *g) {
  memset(blk, 0, FAT32_SECTOR);
  put_le32(blk + FSI_LEAD_SIG, FSI_LEAD_SIG_VALUE);
  put_le32(blk + FSI_STRUC_SIG, FSI_STRUC_SIG_VALUE);
  put_le32(blk + FSI_FREE_COUNT, g->clusters - 1); /* all but the root directory's */
  put_le32(blk + FSI_NXT_FREE, FAT32_ROOT_CLUSTER); /* a hint: search from the first cluster */
  put_le32(blk + FSI_TRAIL_SIG, FSI_TRAIL_SIG_VALUE);
}

void fat32_fat_first_sector(uint8_t blk[FAT32_SECTOR]) {
  memset(blk, 0, FAT32_SECTOR);
  put_le32(blk + 0 * FAT_ENTRY_SIZE, FAT_MEDIA_ENTRY);
  put_le32(blk + 1 * FAT_ENTRY_SIZE, FAT_RESERVED_ENTRY);
  put_le32(blk + FAT32_ROOT_CLUSTER * FAT_ENTRY_SIZE, FAT_END_OF_CHAIN);
}

void fat32_root_first_sector(uint8_t blk[FAT32_SECTOR], const char *label) {
  memset(blk, 0, FAT32_SECTOR);
  put_label(blk + DIR_NAME, label);
  blk[DIR_ATTR] = ATTR_VOLUME_ID;
  put_le16(blk + DIR_CRT_TIME, FAT_TIME_MIDNIGHT);
  put_le16(blk + DIR_CRT_DATE, FAT_DATE_EPOCH);
  put_le16(blk + DIR_LST_ACC_DATE, FAT_DATE_EPOCH);
  put_le16(blk + DIR_WRT_TIME, FAT_TIME_MIDNIGHT);
  put_le16(blk + DIR_WRT_DATE, FAT_DATE_EPOCH);
}
