#include "dev/virtio/blk_backing.h"

#include "d0/lib.h"
#include "hv/err.h"

int blk_backing_init(struct blk_backing *b, const uint8_t *image, uint64_t size, uint8_t *overlay,
                     uint64_t *keys, uint32_t slots)
{
  if (image == NULL || (slots != 0 && (overlay == NULL || keys == NULL)))
    return HV_E_INVAL;
  if (size == 0 || size % BLK_SECTOR != 0)
    return HV_E_BLK_IMAGE;
  *b = (struct blk_backing){image, size, overlay, keys, slots, 0};
  for (uint32_t i = 0; i < slots; i++)
    keys[i] = 0;
  return HV_OK;
}

bool blk_backing_read_only(const struct blk_backing *b) { return b->slots == 0; }

/* Slot holding `chunk`, or the empty slot where it would go, or -1 (full, absent). */
static int64_t probe(const struct blk_backing *b, uint64_t chunk)
{
  if (b->slots == 0)
    return -1;
  uint32_t start = (uint32_t)((chunk * 0x9E3779B97F4A7C15ull >> 32) % b->slots);
  for (uint32_t n = 0; n < b->slots; n++) {
    uint32_t i = (start + n) % b->slots;
    if (b->keys[i] == chunk + 1 || b->keys[i] == 0)
      return i;
  }
  return -1;
}

static const uint8_t *chunk_ptr(const struct blk_backing *b, uint64_t chunk)
{
  int64_t s = probe(b, chunk);
  if (s >= 0 && b->keys[s] == chunk + 1)
    return b->overlay + (uint64_t)s * BLK_CHUNK;
  return NULL;
}

void blk_backing_read(const struct blk_backing *b, uint64_t off, uint8_t *dst, uint64_t len)
{
  while (len > 0) {
    uint64_t chunk = off / BLK_CHUNK, in = off % BLK_CHUNK;
    uint64_t n = BLK_CHUNK - in < len ? BLK_CHUNK - in : len;
    const uint8_t *o = chunk_ptr(b, chunk);
    memcpy(dst, o != NULL ? o + in : b->image + off, (size_t)n);
    dst += n, off += n, len -= n;
  }
}

int blk_backing_write(struct blk_backing *b, uint64_t off, const uint8_t *src, uint64_t len)
{
  while (len > 0) {
    uint64_t chunk = off / BLK_CHUNK, in = off % BLK_CHUNK;
    uint64_t n = BLK_CHUNK - in < len ? BLK_CHUNK - in : len;
    int64_t s = probe(b, chunk);
    if (s < 0)
      return HV_E_FULL;
    uint8_t *o = b->overlay + (uint64_t)s * BLK_CHUNK;
    if (b->keys[s] == 0) {
      /* First write to this chunk: start from the image's bytes (the tail past the image's
       * end, if the last chunk is partial, is zero and never read back). */
      uint64_t base = chunk * BLK_CHUNK, have = b->size - base;
      uint64_t copy = have < BLK_CHUNK ? have : BLK_CHUNK;
      memcpy(o, b->image + base, (size_t)copy);
      memset(o + copy, 0, (size_t)(BLK_CHUNK - copy));
      b->keys[s] = chunk + 1;
      b->used++;
    }
    memcpy(o + in, src, (size_t)n);
    src += n, off += n, len -= n;
  }
  return HV_OK;
}
