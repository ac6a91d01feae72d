#include "dev/virtio/virtio_net.h"

#include "arch/arch.h"
#include "d0/lib.h"
#include "hv/err.h"
#include "hv/event.h"
#include "net/offload.h"

/* A segmentation request's whole frame (virtio_net.h: TX never nests, and devices run under
 * d0_lock: one CPU at a time). */
static uint8_t gso_frame[NET_OFFLOAD_MAX_FRAME];
_Static_assert(VIRTIO_NET_MAX_FRAME >= ETH_MAX_FRAME, "n->frame holds a segment (net/offload.h)");

static bool emit_to_bridge(void *ctx, const uint8_t *frame, uint32_t len)
{
  struct virtio_net *n = ctx;
  n->t.env->stats->net_tx_frames++;
  return n->tx == NULL || n->tx(n->bridge, frame, len);
}

/* Sends one chain's frame (or its segments); *more = false when the tx callback asked to stop;
 * *frames = how many went to the bridge. */
static int tx_one(struct virtio_net *n, const struct vq_chain *c, bool *more, uint32_t *frames)
{
  const struct guest_mem *mem = n->t.env->mem;
  struct hv_stats *st = n->t.env->stats;
  *frames = 0;
  if (c->writable_bytes != 0)
    return HV_E_VQ_ORDER; /* TX buffers are device-readable only (5.1.6.2) */
  st->net_tx_chains++;
  uint8_t hdr[VIRTIO_NET_HDR_LEN];
  struct net_tx_offload o = {0};
  if (c->readable_bytes >= VIRTIO_NET_HDR_LEN) {
    TRY(vq_chain_read(c, mem, 0, hdr, sizeof hdr));
    o = net_offload_from_hdr(hdr);
  }
  bool gso = o.gso_type != VIRTIO_NET_HDR_GSO_NONE;
  uint64_t max = gso ? NET_OFFLOAD_MAX_FRAME : VIRTIO_NET_MAX_FRAME;
  if (c->readable_bytes < VIRTIO_NET_HDR_LEN || c->readable_bytes - VIRTIO_NET_HDR_LEN > max) {
    st->net_drops++;
    hv_event(n->t.env->vm_name, n->t.name, "tx-frame-dropped", HV_E_NET_FRAME, c->readable_bytes,
             0);
    return HV_OK;
  }
  uint32_t len = (uint32_t)(c->readable_bytes - VIRTIO_NET_HDR_LEN);
  uint8_t *frame = gso ? gso_frame : n->frame;
  TRY(vq_chain_read(c, mem, VIRTIO_NET_HDR_LEN, frame, len));
  uint64_t f = n->t.driver_features;
  struct net_offload_caps caps = {(f & VIRTIO_NET_F_CSUM) != 0, (f & VIRTIO_NET_F_HOST_TSO4) != 0};
  /* A segment is built in n->frame: the request's own frame is in gso_frame then. */
  enum net_offload_err e = net_offload_tx(frame, len, &o, caps, n->frame, emit_to_bridge, n, frames, more);
  if (e != NET_OFFLOAD_OK) {
    st->net_drops++;
    hv_event(n->t.env->vm_name, n->t.name, net_offload_err_name(e), HV_E_NET_OFFLOAD, len,
             o.gso_size);
  }
  return HV_OK;
}

/* TX chains went back to the used ring: their interrupt is deferred (virtio_net.h), unless one
 * is pending already (the guest's handler will find them) or owed since earlier. */
static void owe_tx_irq(struct virtio_net *n)
{
  if (n->tx_irq_owed || (n->t.int_status & VIRTIO_INT_USED_BUFFER))
    return;
  n->tx_irq_owed = true;
  n->tx_irq_due_ns = arch_time_ns() + VIRTIO_NET_TX_IRQ_DEFER_NS;
}

void virtio_net_poll(struct virtio_net *n, uint64_t now_ns)
{
  virtio_net_after_exit(n);
  if (!n->tx_irq_owed || now_ns < n->tx_irq_due_ns)
    return;
  n->tx_irq_owed = false;
  if (virtio_mmio_queue_live(&n->t, VIRTIO_NET_TXQ)) /* not reset or broken meanwhile */
    virtio_mmio_signal_used(&n->t, VIRTIO_NET_TXQ); /* the driver's NO_INTERRUPT still holds */
}

/* Takes TX chains until the queue is empty, the tx callback says stop (tx_throttled), or the
 * device broke meanwhile (a hostile RX ring met while the callback delivered to this device). */
static int tx_drain(struct virtio_net *n)
{
  struct virtio_mmio *t = &n->t;
  struct virtq *q = &t->queues[VIRTIO_NET_TXQ];
  bool pushed = false, more = true;
  int err = HV_OK;
  uint32_t sent = 0;
  for (uint32_t i = 0; i < q->size && more && !t->broken; i++) {
    if (sent >= VIRTIO_NET_TX_BUDGET) {
      /* The rest at the host loop's next bridge_poll (virtio_net.h), if there is a rest. */
      more = !vq_avail_pending(q, t->env->mem);
      break;
    }
    int r = vq_pop(q, t->env->mem, &n->chain);
    if (r <= 0) {
      err = r;
      break;
    }
    /* The tx callback may deliver to this device, and virtio_net_rx reuses n->chain. */
    uint16_t head = n->chain.head;
    uint32_t frames;
    err = tx_one(n, &n->chain, &more, &frames);
    sent += frames;
    if (err < 0)
      break;
    err = vq_push(q, t->env->mem, head, 0);
    if (err < 0)
      break;
    pushed = true;
  }
  if (!more)
    n->tx_throttled = true;
  if (pushed)
    owe_tx_irq(n);
  return err;
}

/* Notifications off or on for the TX queue (virtio_net.h); a ring D0 cannot write breaks the
 * device, as any other access would. */
static int set_kicks_off(struct virtio_net *n, bool off)
{
  struct virtq *q = &n->t.queues[VIRTIO_NET_TXQ];
  TRY(vq_set_no_notify(q, n->t.env->mem, off));
  n->tx_kicks_off = off;
  return HV_OK;
}

static int net_notify(void *dev, struct virtio_mmio *t, uint16_t queue)
{
  struct virtio_net *n = dev;
  if (queue != VIRTIO_NET_TXQ || n->tx_throttled)
    return HV_OK; /* RX buffers are consumed when a frame arrives; throttled TX waits */
  TRY(tx_drain(n));
  /* The guest's next chains are taken at its next exit: no notification needed for them. This
   * exit's own after_exit is not that look (it would find the queue just emptied). */
  n->tx_look_skip = true;
  return n->tx_kicks_off || t->broken ? HV_OK : set_kicks_off(n, true);
}

/* One look at the TX queue while notifications are off (virtio_net.h). */
static int kicks_off_look(struct virtio_net *n)
{
  struct virtq *q = &n->t.queues[VIRTIO_NET_TXQ];
  const struct guest_mem *mem = n->t.env->mem;
  if (vq_avail_pending(q, mem))
    return tx_drain(n);
  TRY(set_kicks_off(n, false));
  /* The driver reads used->flags after publishing avail->idx (a full barrier on its side):
   * the flag's store must be visible before the index is read again. */
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  if (!vq_avail_pending(q, mem))
    return HV_OK;
  TRY(set_kicks_off(n, true));
  return tx_drain(n);
}

void virtio_net_after_exit(struct virtio_net *n)
{
  bool skip = n->tx_look_skip;
  n->tx_look_skip = false;
  if (skip || !n->tx_kicks_off || n->tx_throttled)
    return; /* throttled: virtio_net_tx_resume takes the queue when the limit allows */
  if (!virtio_mmio_queue_live(&n->t, VIRTIO_NET_TXQ)) {
    n->tx_kicks_off = false; /* reset or broken: a new queue starts with notifications on */
    return;
  }
  int err = kicks_off_look(n);
  if (err < 0)
    virtio_mmio_fail(&n->t, err, VIRTIO_NET_TXQ);
}

void virtio_net_tx_resume(struct virtio_net *n)
{
  if (!n->tx_throttled)
    return;
  n->tx_throttled = false;
  if (!virtio_mmio_queue_live(&n->t, VIRTIO_NET_TXQ))
    return;
  int err = tx_drain(n);
  if (err < 0)
    virtio_mmio_fail(&n->t, err, VIRTIO_NET_TXQ);
}

int virtio_net_rx(struct virtio_net *n, const uint8_t *frame, uint32_t len)
{
  struct virtio_mmio *t = &n->t;
  struct hv_stats *st = t->env->stats;
  if (len > VIRTIO_NET_MAX_FRAME) {
    st->net_drops++;
    return HV_E_NET_FRAME;
  }
  if (t->broken) {
    st->net_drops++;
    return HV_E_DEV_BROKEN;
  }
  if (!virtio_mmio_queue_live(t, VIRTIO_NET_RXQ)) {
    st->net_drops++;
    return HV_E_NET_NOBUF;
  }
  struct virtq *q = &t->queues[VIRTIO_NET_RXQ];
  int r = vq_pop(q, t->env->mem, &n->chain);
  if (r < 0) {
    virtio_mmio_fail(t, r, VIRTIO_NET_RXQ);
    st->net_drops++;
    return HV_E_DEV_BROKEN;
  }
  if (r == 0) {
    st->net_drops++;
    return HV_E_NET_NOBUF;
  }
  const struct vq_chain *c = &n->chain;
  if (c->readable_bytes != 0) {
    virtio_mmio_fail(t, HV_E_VQ_RO_WRITE, VIRTIO_NET_RXQ);
    st->net_drops++;
    return HV_E_DEV_BROKEN;
  }
  uint32_t written = 0;
  int err = HV_E_NET_FRAME;
  if (c->writable_bytes >= VIRTIO_NET_HDR_LEN + (uint64_t)len) {
    /* flags, gso_type, hdr_len, gso_size, csum_start, csum_offset = 0; num_buffers = 1 */
    uint8_t hdr[VIRTIO_NET_HDR_LEN] = {0};
    hdr[10] = 1;
    err = vq_chain_write(c, t->env->mem, 0, hdr, sizeof(hdr));
    if (err == HV_OK)
      err = vq_chain_write(c, t->env->mem, VIRTIO_NET_HDR_LEN, frame, len);
    if (err == HV_OK)
      written = VIRTIO_NET_HDR_LEN + len;
  }
  /* A too-small buffer is returned empty so the guest gets it back (and drops it). */
  int perr = vq_push(q, t->env->mem, c->head, written);
  if (perr < 0) {
    virtio_mmio_fail(t, perr, VIRTIO_NET_RXQ);
    return HV_E_DEV_BROKEN;
  }
  virtio_mmio_signal_used(t, VIRTIO_NET_RXQ);
  if (t->int_status & VIRTIO_INT_USED_BUFFER)
    n->tx_irq_owed = false; /* this interrupt tells the guest of its TX completions too */
  if (err < 0) {
    st->net_drops++;
    return err;
  }
  st->net_rx_frames++;
  return HV_OK;
}

/* A reset TX queue starts with notifications on (the driver's new used ring reads 0). */
static void net_reset(void *dev)
{
  struct virtio_net *n = dev;
  n->tx_kicks_off = false;
  n->tx_look_skip = false;
}

static const struct virtio_dev_ops net_ops = {VIRTIO_ID_NET, 2, net_notify, net_reset};

void virtio_net_init(struct virtio_net *n, const struct dev_env *env, const uint8_t mac[6],
                     uint64_t base, uint32_t gsi, virtio_net_tx_fn tx, void *bridge)
{
  memset(n, 0, sizeof(*n));
  memcpy(n->config, mac, 6);
  n->config[6] = VIRTIO_NET_S_LINK_UP;
  n->tx = tx;
  n->bridge = bridge;
  virtio_mmio_init(&n->t, "virtio-net", &net_ops, n, env, base, gsi,
                   VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS | VIRTIO_NET_F_CSUM |
                       VIRTIO_NET_F_HOST_TSO4,
                   n->config, sizeof(n->config));
}
