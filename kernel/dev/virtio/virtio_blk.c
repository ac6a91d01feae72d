#include "dev/virtio/virtio_blk.h"

#include "d0/lib.h"
#include "hv/err.h"
#include "hv/event.h"

struct xfer {
  struct blk_backing *back;
  uint64_t off;
  int err;
};

static int read_piece(void *ctx, uint8_t *host, uint64_t len)
{
  struct xfer *x = ctx;
  blk_backing_read(x->back, x->off, host, len);
  x->off += len;
  return HV_OK;
}

static int write_piece(void *ctx, uint8_t *host, uint64_t len)
{
  struct xfer *x = ctx;
  int err = blk_backing_write(x->back, x->off, host, len);
  if (err < 0) {
    x->err = err; /* a device-side failure: reported as IOERR, not a protocol violation */
    return HV_OK;
  }
  x->off += len;
  return HV_OK;
}

static bool in_range(const struct virtio_blk *b, uint64_t sector, uint64_t len)
{
  uint64_t sectors = b->back->size / BLK_SECTOR;
  return len % BLK_SECTOR == 0 && sector <= sectors && len / BLK_SECTOR <= sectors - sector;
}

/* Serves one request. Returns a negative hv_err on a protocol violation, else 0 with *written. */
static int serve(struct virtio_blk *b, const struct vq_chain *c, uint32_t *written)
{
  const struct guest_mem *mem = b->t.env->mem;
  struct hv_stats *st = b->t.env->stats;
  uint8_t hdr[VIRTIO_BLK_HDR_LEN];
  if (c->readable_bytes < VIRTIO_BLK_HDR_LEN)
    return HV_E_VQ_SHORT;
  if (c->writable_bytes < 1)
    return HV_E_VQ_RO_WRITE;
  TRY(vq_chain_read(c, mem, 0, hdr, sizeof(hdr)));
  uint32_t type = (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 | (uint32_t)hdr[2] << 16 |
                  (uint32_t)hdr[3] << 24;
  uint64_t sector = 0;
  for (int i = 15; i >= 8; i--)
    sector = sector << 8 | hdr[i];
  uint64_t wdata = c->writable_bytes - 1, rdata = c->readable_bytes - VIRTIO_BLK_HDR_LEN;
  uint8_t status = VIRTIO_BLK_S_OK;
  uint64_t out = 0;
  struct xfer x = {b->back, sector * BLK_SECTOR, 0};

  st->blk_requests++;
  switch (type) {
  case VIRTIO_BLK_T_IN:
    if (rdata != 0)
      return HV_E_VQ_RO_WRITE; /* the data buffer must be device-writable */
    if (!in_range(b, sector, wdata)) {
      status = VIRTIO_BLK_S_IOERR;
      hv_event(b->t.env->vm_name, b->t.name, "sector-out-of-range", 0, sector, wdata);
      break;
    }
    TRY(vq_chain_each(c, mem, true, 0, wdata, read_piece, &x));
    out = wdata;
    st->blk_read_bytes += wdata;
    break;
  case VIRTIO_BLK_T_OUT:
    if (blk_backing_read_only(b->back) || !in_range(b, sector, rdata)) {
      status = VIRTIO_BLK_S_IOERR;
      hv_event(b->t.env->vm_name, b->t.name,
               blk_backing_read_only(b->back) ? "write-to-read-only-disk" : "sector-out-of-range",
               0, sector, rdata);
      break;
    }
    TRY(vq_chain_each(c, mem, false, VIRTIO_BLK_HDR_LEN, rdata, write_piece, &x));
    if (x.err < 0) {
      status = VIRTIO_BLK_S_IOERR;
      hv_event(b->t.env->vm_name, b->t.name, "overlay-full", x.err, sector, rdata);
      break;
    }
    st->blk_write_bytes += rdata;
    break;
  case VIRTIO_BLK_T_FLUSH:
    break; /* writes are in RAM as soon as they complete */
  case VIRTIO_BLK_T_GET_ID:
    out = wdata < VIRTIO_BLK_ID_BYTES ? wdata : VIRTIO_BLK_ID_BYTES;
    TRY(vq_chain_write(c, mem, 0, b->id, out));
    break;
  default:
    status = VIRTIO_BLK_S_UNSUPP;
  }
  if (status != VIRTIO_BLK_S_OK)
    st->blk_errors++;
  TRY(vq_chain_write(c, mem, wdata, &status, 1));
  *written = (uint32_t)(out + 1);
  return HV_OK;
}

static int blk_notify(void *dev, struct virtio_mmio *t, uint16_t queue)
{
  struct virtio_blk *b = dev;
  struct virtq *q = &t->queues[queue];
  bool pushed = false;
  int err = HV_OK;
  for (uint32_t n = 0; n < q->size; n++) {
    int r = vq_pop(q, t->env->mem, &b->chain);
    if (r <= 0) {
      err = r;
      break;
    }
    uint32_t written = 0;
    err = serve(b, &b->chain, &written);
    if (err < 0)
      break;
    err = vq_push(q, t->env->mem, b->chain.head, written);
    if (err < 0)
      break;
    pushed = true;
  }
  if (pushed)
    virtio_mmio_signal_used(t, queue);
  return err;
}

static const struct virtio_dev_ops blk_ops = {VIRTIO_ID_BLOCK, 1, blk_notify, NULL};

void virtio_blk_init(struct virtio_blk *b, const struct dev_env *env, struct blk_backing *back,
                     uint64_t base, uint32_t gsi, const char *id)
{
  memset(b, 0, sizeof(*b));
  b->back = back;
  uint64_t cap = back->size / BLK_SECTOR;
  for (int i = 0; i < 8; i++)
    b->config[VIRTIO_BLK_CFG_CAPACITY + i] = (uint8_t)(cap >> (8 * i));
  for (int i = 0; i < 4; i++)
    b->config[VIRTIO_BLK_CFG_SEG_MAX + i] = (uint8_t)((uint32_t)VIRTIO_BLK_SEG_MAX >> (8 * i));
  for (size_t i = 0; id != NULL && id[i] != '\0' && i < VIRTIO_BLK_ID_BYTES; i++)
    b->id[i] = (uint8_t)id[i];
  uint64_t features = VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_FLUSH;
  if (blk_backing_read_only(back))
    features |= VIRTIO_BLK_F_RO;
  virtio_mmio_init(&b->t, "virtio-blk", &blk_ops, b, env, base, gsi, features, b->config,
                   sizeof(b->config));
}
