/*
 * An empty FAT32 file system (Microsoft's "FAT: General Overview of On-Disk Format", 1.03): the
 * parameters for a partition of a given size, and the sectors that make it a file system, each
 * formatted into a caller's buffer. Pure formatting; layout.c writes them.
 *
 * The parameters are those `d0 disk build` gets from `mkfs.fat -F 32` (dosfstools 4.2, run on a
 * partition-sized file: builder/disk/esp.ts), so a slot laid out here is the same file system:
 *   - 512-byte sectors; 2 FATs; 32 reserved sectors (rounded up to a whole cluster); FSInfo in
 *     sector 1, the backup boot sector in 6 (and its FSInfo in 7); root directory at cluster 2;
 *     media 0xF8; hidden sectors 0 (the file system was made outside the disk);
 *   - the cluster size of Microsoft's FAT32 table (by the partition's whole MiB): up to 260 MiB
 *     512 bytes, up to 8 GiB 4 KiB, up to 16 GiB 8 KiB, up to 32 GiB 16 KiB, beyond 32 KiB;
 *   - a FAT just long enough for the clusters that fit beside it, rounded up to whole clusters,
 *     so the data area starts on a cluster boundary;
 *   - a CHS geometry invented from the size (an SD-card style one up to 256 MiB, LBA-assist
 *     translation above), and a volume of whole tracks: the last part-track is left unused.
 * An empty volume: cluster 2 is the root directory (end of chain), holding only the volume
 * label; every other cluster is free, and FSInfo says so.
 */
#ifndef D0_BOOT_EFI_INSTALL_FAT32_H
#define D0_BOOT_EFI_INSTALL_FAT32_H

#include <stdint.h>

#define FAT32_SECTOR 512
#define FAT32_NUM_FATS 2
#define FAT32_FSINFO_SECTOR 1
#define FAT32_BACKUP_BOOT_SECTOR 6
#define FAT32_BACKUP_FSINFO_SECTOR (FAT32_BACKUP_BOOT_SECTOR + FAT32_FSINFO_SECTOR)
#define FAT32_ROOT_CLUSTER 2
#define FAT32_LABEL_LEN 11
/* The fewest clusters of a FAT32 volume (fewer and it is read as FAT16), and the most. */
#define FAT32_MIN_CLUSTERS 65525u
#define FAT32_MAX_CLUSTERS 0x0FFFFFF5u

struct fat32_geom {
  uint32_t total_sectors;       /* BPB_TotSec32: the volume, at most the partition */
  uint32_t sectors_per_cluster; /* 1..64 */
  uint32_t reserved_sectors;    /* the first FAT starts here */
  uint32_t fat_sectors;         /* each FAT; FAT n (0-based) at reserved + n * fat_sectors */
  uint32_t data_start;          /* cluster 2 (the root directory): reserved + 2 FATs */
  uint32_t clusters;            /* data clusters: 2 .. clusters + 1 */
  uint16_t sectors_per_track, heads;
};

/* The parameters for a partition of part_sectors sectors; 0, or -1 when FAT32 cannot use it
 * (too few clusters, or more sectors than 32 bits count). */
int fat32_geom_for(uint64_t part_sectors, struct fat32_geom *g);

/* The boot sector (also the backup at FAT32_BACKUP_BOOT_SECTOR). label: 1..11 characters of
 * [A-Z0-9_-], padded with spaces here. */
void fat32_boot_sector(uint8_t blk[FAT32_SECTOR], const struct fat32_geom *g, uint32_t volume_id,
                       const char *label);

/* The FSInfo sector: all clusters but the root directory's free, the next free one cluster 2. */
void fat32_fsinfo(uint8_t blk[FAT32_SECTOR], const struct fat32_geom *g);

/* The first sector of each FAT: entries 0 (media), 1 (end of chain, clean) and 2 (the root
 * directory's one cluster); the rest of the FAT is zero (free). */
void fat32_fat_first_sector(uint8_t blk[FAT32_SECTOR]);

/* The first sector of the root directory: the volume-label entry; the rest of the cluster is
 * zero (the end of the directory). */
void fat32_root_first_sector(uint8_t blk[FAT32_SECTOR], const char *label);

#endif
