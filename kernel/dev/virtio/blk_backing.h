/*
 * The storage behind a virtio-blk device: the verified disk image in RAM, never modified, plus
 * an optional copy-on-write overlay of 4 KiB chunks in a caller-provided RAM buffer.
 *
 * Why an overlay and not writes into the image: the image is what the signed manifest's digest
 * covers; keeping it pristine means a restarted VM boots exactly the verified bytes again, and
 * the digest can be re-checked at any time. Writes live only in RAM and vanish when the VM stops.
 *
 * Read-only mode (overlay capacity 0): the device offers VIRTIO_BLK_F_RO and writes fail.
 * A full overlay makes further writes to new chunks fail (VIRTIO_BLK_S_IOERR), never D0.
 */
#ifndef DEV_BLK_BACKING_H
#define DEV_BLK_BACKING_H

#include <stdbool.h>
#include <stdint.h>

#define BLK_SECTOR 512u
#define BLK_CHUNK 4096u

struct blk_backing {
  const uint8_t *image;
  uint64_t size;           /* bytes, multiple of BLK_SECTOR */
  uint8_t *overlay;        /* slots * BLK_CHUNK bytes */
  uint64_t *keys;          /* slots entries: chunk index + 1, 0 = empty (open addressing) */
  uint32_t slots, used;
};

/* overlay/keys may be NULL with slots 0 (read-only). HV_E_BLK_IMAGE, HV_E_INVAL. */
int blk_backing_init(struct blk_backing *b, const uint8_t *image, uint64_t size, uint8_t *overlay,
                     uint64_t *keys, uint32_t slots);

bool blk_backing_read_only(const struct blk_backing *b);

/* Byte-granular; the caller checks [off, off+len) against the size. */
void blk_backing_read(const struct blk_backing *b, uint64_t off, uint8_t *dst, uint64_t len);
/* HV_E_FULL when the overlay has no room; nothing partial is visible for the failing chunk. */
int blk_backing_write(struct blk_backing *b, uint64_t off, const uint8_t *src, uint64_t len);

#endif /* DEV_BLK_BACKING_H */
