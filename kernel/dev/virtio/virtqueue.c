#include "dev/virtio/virtqueue.h"

#include "d0/lib.h"
#include "hv/err.h"

_Static_assert((VQ_MAX_SIZE & (VQ_MAX_SIZE - 1)) == 0, "queue size limit is a power of two");
_Static_assert(VQ_MAX_SIZE <= 32768, "virtio caps split queues at 32768");

void vq_reset(struct virtq *q) { memset(q, 0, sizeof(*q)); }

static int ring_ok(const struct guest_mem *mem, gpa_t at, uint64_t align, uint64_t bytes)
{
  hva_t h;
  if ((gpa_addr(at) & (align - 1)) != 0)
    return HV_E_VQ_ALIGN;
  return guest_mem_translate(mem, at, bytes, &h);
}

int vq_check_layout(const struct virtq *q, const struct guest_mem *mem)
{
  if (q->size == 0 || q->size > VQ_MAX_SIZE || (q->size & (q->size - 1)) != 0)
    return HV_E_VQ_SIZE;
  TRY(ring_ok(mem, q->desc, 16, (uint64_t)q->size * VIRTQ_DESC_SIZE));
  TRY(ring_ok(mem, q->avail, 2, VIRTQ_AVAIL_RING + 2ull * q->size + 2));
  TRY(ring_ok(mem, q->used, 4, VIRTQ_USED_RING + (uint64_t)VIRTQ_USED_ELEM_SIZE * q->size + 2));
  return HV_OK;
}

static int read16(const struct guest_mem *mem, gpa_t at, uint64_t off, uint16_t *v)
{
  uint8_t b[2];
  TRY(guest_mem_read(mem, gpa_add(at, off), b, 2));
  *v = (uint16_t)(b[0] | b[1] << 8);
  return HV_OK;
}

bool vq_interrupt_suppressed(const struct virtq *q, const struct guest_mem *mem)
{
  uint16_t flags;
  return q->ready && read16(mem, q->avail, VIRTQ_AVAIL_FLAGS, &flags) == HV_OK &&
         (flags & VIRTQ_AVAIL_F_NO_INTERRUPT) != 0;
}

bool vq_avail_pending(const struct virtq *q, const struct guest_mem *mem)
{
  uint16_t idx;
  return read16(mem, q->avail, VIRTQ_AVAIL_IDX, &idx) != HV_OK || idx != q->last_avail;
}

int vq_set_no_notify(const struct virtq *q, const struct guest_mem *mem, bool no_notify)
{
  uint8_t b[2] = {no_notify ? VIRTQ_USED_F_NO_NOTIFY : 0, 0};
  return guest_mem_write(mem, gpa_add(q->used, VIRTQ_USED_FLAGS), b, 2);
}

static int read_desc(const struct virtq *q, const struct guest_mem *mem, uint16_t i,
                     uint64_t *addr, uint32_t *len, uint16_t *flags, uint16_t *next)
{
  uint8_t d[VIRTQ_DESC_SIZE];
  TRY(guest_mem_read(mem, gpa_add(q->desc, (uint64_t)i * VIRTQ_DESC_SIZE), d, sizeof(d)));
  *addr = 0;
  for (int k = 7; k >= 0; k--)
    *addr = *addr << 8 | d[k];
  *len = (uint32_t)d[8] | (uint32_t)d[9] << 8 | (uint32_t)d[10] << 16 | (uint32_t)d[11] << 24;
  *flags = (uint16_t)(d[12] | d[13] << 8);
  *next = (uint16_t)(d[14] | d[15] << 8);
  return HV_OK;
}

static int walk_chain(const struct virtq *q, const struct guest_mem *mem, uint16_t head,
                      struct vq_chain *c)
{
  uint16_t i = head;
  bool seen_writable = false;
  c->head = head;
  c->count = 0;
  c->readable_bytes = c->writable_bytes = 0;
  for (;;) {
    uint64_t addr;
    uint32_t len;
    uint16_t flags, next;
    hva_t h;
    /* TTL: a chain can use each descriptor once; one more means the chain loops. */
    if (c->count == q->size)
      return HV_E_VQ_LOOP;
    TRY(read_desc(q, mem, i, &addr, &len, &flags, &next));
    if (flags & VIRTQ_DESC_F_INDIRECT)
      return HV_E_VQ_INDIRECT;
    TRY(guest_mem_translate(mem, gpa_init(addr), len, &h));
    bool w = (flags & VIRTQ_DESC_F_WRITE) != 0;
    if (!w && seen_writable)
      return HV_E_VQ_ORDER;
    seen_writable |= w;
    c->seg[c->count++] = (struct vq_seg){gpa_init(addr), len, w};
    if (w)
      c->writable_bytes += len;
    else
      c->readable_bytes += len;
    if ((flags & VIRTQ_DESC_F_NEXT) == 0)
      return HV_OK;
    if (next >= q->size)
      return HV_E_VQ_HEAD;
    i = next;
  }
}

int vq_pop(struct virtq *q, const struct guest_mem *mem, struct vq_chain *chain)
{
  uint16_t avail_idx, head;
  if (!q->ready)
    return HV_E_VQ_NOT_READY;
  TRY(read16(mem, q->avail, VIRTQ_AVAIL_IDX, &avail_idx));
  uint16_t pending = (uint16_t)(avail_idx - q->last_avail);
  if (pending > q->size)
    return HV_E_VQ_INDEX;
  if (pending == 0)
    return 0;
  /* The ring entries and descriptors are read after avail->idx (2.7.13.3 memory ordering). */
  __atomic_thread_fence(__ATOMIC_ACQUIRE);
  uint16_t slot = (uint16_t)(q->last_avail & (q->size - 1));
  TRY(read16(mem, q->avail, VIRTQ_AVAIL_RING + 2ull * slot, &head));
  if (head >= q->size)
    return HV_E_VQ_HEAD;
  TRY(walk_chain(q, mem, head, chain));
  q->last_avail++;
  return 1;
}

int vq_push(struct virtq *q, const struct guest_mem *mem, uint16_t head, uint32_t len)
{
  uint8_t e[VIRTQ_USED_ELEM_SIZE] = {(uint8_t)head, (uint8_t)(head >> 8), 0, 0,
                                     (uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16),
                                     (uint8_t)(len >> 24)};
  uint16_t slot = (uint16_t)(q->used_idx & (q->size - 1));
  TRY(guest_mem_write(mem, gpa_add(q->used, VIRTQ_USED_RING + (uint64_t)slot * sizeof(e)), e,
                      sizeof(e)));
  /* The element must be visible before the index that publishes it. */
  __atomic_thread_fence(__ATOMIC_RELEASE);
  q->used_idx++;
  uint8_t idx[2] = {(uint8_t)q->used_idx, (uint8_t)(q->used_idx >> 8)};
  return guest_mem_write(mem, gpa_add(q->used, VIRTQ_USED_IDX), idx, 2);
}

int vq_chain_each(const struct vq_chain *c, const struct guest_mem *mem, bool writable,
                  uint64_t off, uint64_t len, vq_piece_fn fn, void *ctx)
{
  uint64_t total = writable ? c->writable_bytes : c->readable_bytes;
  if (off > total || len > total - off)
    return HV_E_VQ_SHORT;
  for (uint16_t i = 0; i < c->count && len > 0; i++) {
    const struct vq_seg *s = &c->seg[i];
    if (s->writable != writable)
      continue;
    if (off >= s->len) {
      off -= s->len;
      continue;
    }
    uint64_t n = s->len - off < len ? s->len - off : len;
    hva_t h;
    TRY(guest_mem_translate(mem, gpa_add(s->addr, off), n, &h));
    TRY(fn(ctx, ptr_from_hva(h), n));
    len -= n;
    off = 0;
  }
  return HV_OK;
}

struct copy_ctx {
  uint8_t *p;
  bool to_guest;
};

static int copy_piece(void *vctx, uint8_t *host, uint64_t len)
{
  struct copy_ctx *c = vctx;
  if (c->to_guest)
    memcpy(host, c->p, (size_t)len);
  else
    memcpy(c->p, host, (size_t)len);
  c->p += len;
  return HV_OK;
}

int vq_chain_read(const struct vq_chain *c, const struct guest_mem *mem, uint64_t off, void *dst,
                  uint64_t len)
{
  struct copy_ctx cc = {dst, false};
  return vq_chain_each(c, mem, false, off, len, copy_piece, &cc);
}

int vq_chain_write(const struct vq_chain *c, const struct guest_mem *mem, uint64_t off,
                   const void *src, uint64_t len)
{
  struct copy_ctx cc = {(uint8_t *)(uintptr_t)src, true};
  return vq_chain_each(c, mem, true, off, len, copy_piece, &cc);
}
