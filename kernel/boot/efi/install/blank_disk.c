/* Finding and writing a blank disk through BlockIo; contract in blank_disk.h. */
#include "install/blank_disk.h"

#include "d0/lib.h"

#define MAX_HANDLES 64
#define HEAD_BLOCKS 2048u /* the first MiB: MBR, primary GPT, and where slot A would start */
#define TAIL_BLOCKS 33u   /* the backup GPT's entries and header */
#define CHUNK_BLOCKS 64u

static const EFI_GUID block_io_guid = EFI_BLOCK_IO_PROTOCOL_GUID;
static EFI_HANDLE handles[MAX_HANDLES];
static uint8_t buf[CHUNK_BLOCKS * DISK_BLOCK_SIZE] __attribute__((aligned(4096)));

static int zero(const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i])
      return 0;
  return 1;
}

/* Whether blocks [lba, lba + n) read back as zeros. */
static int blank_range(EFI_BLOCK_IO_PROTOCOL *io, uint64_t lba, uint64_t n) {
  while (n > 0) {
    uint64_t k = n < CHUNK_BLOCKS ? n : CHUNK_BLOCKS;
    if (EFI_ERROR(io->ReadBlocks(io, io->Media->MediaId, lba, k * DISK_BLOCK_SIZE, buf)) ||
        !zero(buf, k * DISK_BLOCK_SIZE))
      return 0;
    lba += k;
    n -= k;
  }
  return 1;
}

const char *blank_disk_find(EFI_BOOT_SERVICES *bs, struct blank_disk *out) {
  memset(out, 0, sizeof *out);
  UINTN size = sizeof handles;
  if (EFI_ERROR(bs->LocateHandle(ByProtocol, &block_io_guid, 0, &size, handles)))
    return "no_disk";
  for (size_t i = 0; i < size / sizeof(EFI_HANDLE); i++) {
    EFI_BLOCK_IO_PROTOCOL *io = 0;
    if (EFI_ERROR(bs->HandleProtocol(handles[i], &block_io_guid, (void **)&io)) || !io)
      continue;
    const EFI_BLOCK_IO_MEDIA *m = io->Media;
    if (m->LogicalPartition || !m->MediaPresent || m->ReadOnly || m->BlockSize != DISK_BLOCK_SIZE)
      continue;
    out->disks_seen++;
    uint64_t blocks = m->LastBlock + 1;
    if (blocks < HEAD_BLOCKS + TAIL_BLOCKS || (m->IoAlign > 1 && 4096 % m->IoAlign != 0))
      continue;
    if (!blank_range(io, 0, HEAD_BLOCKS) || !blank_range(io, blocks - TAIL_BLOCKS, TAIL_BLOCKS))
      continue;
    out->handle = handles[i];
    out->io = io;
    out->blocks = blocks;
    return 0;
  }
  return out->disks_seen ? "no_blank_disk" : "no_disk";
}

static int write_blocks(void *ctx, uint64_t lba, const void *p, uint32_t n) {
  EFI_BLOCK_IO_PROTOCOL *io = ctx;
  return EFI_ERROR(io->WriteBlocks(io, io->Media->MediaId, lba, (UINTN)n * DISK_BLOCK_SIZE, p))
             ? -1
             : 0;
}

int blank_disk_write(struct blank_disk *d, const struct disk_layout *l) {
  int err = disk_layout_write(l, write_blocks, d->io);
  if (err)
    return err;
  return EFI_ERROR(d->io->FlushBlocks(d->io)) ? DISK_LAYOUT_EIO : 0;
}
