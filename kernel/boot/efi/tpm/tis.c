/* The TIS/FIFO TPM interface, locality 0; contract in tis.h. */
#include "tis.h"

#define HEADER 10 /* tag, size, code */

const char *tis_error_name(enum tis_error e) {
  switch (e) {
  case TIS_OK:
    return "ok";
  case TIS_E_LOCALITY:
    return "locality";
  case TIS_E_NOT_READY:
    return "not_ready";
  case TIS_E_BURST:
    return "burst_count";
  case TIS_E_STS_VALID:
    return "sts_valid";
  case TIS_E_EXPECT:
    return "expect";
  case TIS_E_NO_RESPONSE:
    return "no_response";
  case TIS_E_RSP_SHORT:
    return "response_short";
  case TIS_E_RSP_TOO_BIG:
    return "response_too_big";
  case TIS_E_RSP_EXTRA:
    return "response_extra";
  case TIS_E_CMD_SIZE:
    return "command_size";
  }
  return "unknown";
}

const char *tis_iface_name(enum tis_iface i) {
  switch (i) {
  case TIS_IFACE_FIFO:
    return "fifo";
  case TIS_IFACE_CRB:
    return "crb";
  case TIS_IFACE_OTHER:
    return "other";
  default:
    return "none";
  }
}

static uint32_t sts(const struct tis_io *io) {
  return io->read32(io->ctx, TIS_STS);
}

static int timed_out(const struct tis_io *io, uint64_t start, uint32_t limit_us) {
  return io->now_us(io->ctx) - start > limit_us;
}

/* Polls STS until (sts & mask) == want; 0, or -1 after limit_us. *out: the last value read. */
static int wait_sts(const struct tis_io *io, uint32_t mask, uint32_t want, uint32_t limit_us,
                    uint32_t *out) {
  uint64_t start = io->now_us(io->ctx);
  for (;;) {
    uint32_t v = sts(io);
    if (out)
      *out = v;
    if ((v & mask) == want)
      return 0;
    if (timed_out(io, start, limit_us))
      return -1;
  }
}

static enum tis_error request_locality(const struct tis_io *io) {
  const uint8_t both = TIS_ACCESS_VALID | TIS_ACCESS_ACTIVE;
  if ((io->read8(io->ctx, TIS_ACCESS) & both) == both)
    return TIS_OK; /* already ours (the firmware's last command left it active) */
  io->write8(io->ctx, TIS_ACCESS, TIS_ACCESS_REQUEST);
  uint64_t start = io->now_us(io->ctx);
  for (;;) {
    if ((io->read8(io->ctx, TIS_ACCESS) & both) == both)
      return TIS_OK;
    if (timed_out(io, start, TIS_TIMEOUT_A))
      return TIS_E_LOCALITY;
  }
}

/* Ready state. From Completion one write may only reach Idle (PTP 5.5.2.2): write again on
 * every poll, which a TPM already in Ready ignores. */
static enum tis_error make_ready(const struct tis_io *io) {
  uint64_t start = io->now_us(io->ctx);
  for (;;) {
    io->write8(io->ctx, TIS_STS, TIS_STS_READY);
    if (sts(io) & TIS_STS_READY)
      return TIS_OK;
    if (timed_out(io, start, TIS_TIMEOUT_B))
      return TIS_E_NOT_READY;
  }
}

/* A non-zero burstCount (bytes the FIFO takes or holds now), polled for up to TIMEOUT_D. */
static enum tis_error burst(const struct tis_io *io, uint32_t *n) {
  uint64_t start = io->now_us(io->ctx);
  for (;;) {
    *n = TIS_STS_BURST(sts(io));
    if (*n != 0)
      return TIS_OK;
    if (timed_out(io, start, TIS_TIMEOUT_D))
      return TIS_E_BURST;
  }
}

static enum tis_error send(const struct tis_io *io, const uint8_t *cmd, size_t len) {
  size_t i = 0;
  uint32_t n, v;
  while (i < len - 1) {
    if (burst(io, &n) != TIS_OK)
      return TIS_E_BURST;
    for (; n > 0 && i < len - 1; n--)
      io->write8(io->ctx, TIS_DATA_FIFO, cmd[i++]);
  }
  /* All but the last byte are in: the TPM must still expect data, then none after the last. */
  if (wait_sts(io, TIS_STS_VALID, TIS_STS_VALID, TIS_TIMEOUT_C, &v) != 0)
    return TIS_E_STS_VALID;
  if (!(v & TIS_STS_EXPECT))
    return TIS_E_EXPECT;
  if (burst(io, &n) != TIS_OK)
    return TIS_E_BURST;
  io->write8(io->ctx, TIS_DATA_FIFO, cmd[len - 1]);
  if (wait_sts(io, TIS_STS_VALID, TIS_STS_VALID, TIS_TIMEOUT_C, &v) != 0)
    return TIS_E_STS_VALID;
  if (v & TIS_STS_EXPECT)
    return TIS_E_EXPECT;
  return TIS_OK;
}

/* Reads exactly want bytes; the FIFO running dry (dataAvail clear) first is a short response. */
static enum tis_error read_fifo(const struct tis_io *io, uint8_t *out, size_t want) {
  size_t got = 0;
  uint64_t start = io->now_us(io->ctx);
  while (got < want) {
    uint32_t v = sts(io);
    if ((v & (TIS_STS_VALID | TIS_STS_AVAIL)) == TIS_STS_VALID)
      return TIS_E_RSP_SHORT;
    uint32_t n = TIS_STS_BURST(v);
    if (n == 0 || !(v & TIS_STS_VALID)) {
      if (timed_out(io, start, TIS_TIMEOUT_D))
        return TIS_E_BURST;
      continue;
    }
    for (; n > 0 && got < want; n--)
      out[got++] = io->read8(io->ctx, TIS_DATA_FIFO);
    start = io->now_us(io->ctx); /* progress: TIMEOUT_D is per wait, not per response */
  }
  return TIS_OK;
}

static enum tis_error receive(const struct tis_io *io, uint8_t *rsp, size_t cap,
                              size_t *rsp_len) {
  uint32_t v;
  const uint32_t avail = TIS_STS_VALID | TIS_STS_AVAIL;
  if (wait_sts(io, avail, avail, TIS_TIMEOUT_EXEC, 0) != 0)
    return TIS_E_NO_RESPONSE;
  if (cap < HEADER)
    return TIS_E_RSP_TOO_BIG;
  enum tis_error e = read_fifo(io, rsp, HEADER);
  if (e != TIS_OK)
    return e;
  uint32_t size = (uint32_t)rsp[2] << 24 | (uint32_t)rsp[3] << 16 | (uint32_t)rsp[4] << 8 | rsp[5];
  if (size < HEADER)
    return TIS_E_RSP_SHORT;
  if (size > cap)
    return TIS_E_RSP_TOO_BIG;
  e = read_fifo(io, rsp + HEADER, size - HEADER);
  if (e != TIS_OK)
    return e;
  if (wait_sts(io, TIS_STS_VALID, TIS_STS_VALID, TIS_TIMEOUT_C, &v) != 0)
    return TIS_E_STS_VALID;
  if (v & TIS_STS_AVAIL)
    return TIS_E_RSP_EXTRA;
  *rsp_len = size;
  return TIS_OK;
}

enum tis_error tis_submit(const struct tis_io *io, const uint8_t *cmd, size_t cmd_len,
                          uint8_t *rsp, size_t rsp_cap, size_t *rsp_len) {
  *rsp_len = 0;
  if (cmd_len < HEADER)
    return TIS_E_CMD_SIZE;
  enum tis_error e = request_locality(io);
  if (e != TIS_OK)
    return e;
  e = make_ready(io);
  if (e == TIS_OK)
    e = send(io, cmd, cmd_len);
  if (e == TIS_OK) {
    io->write8(io->ctx, TIS_STS, TIS_STS_GO);
    e = receive(io, rsp, rsp_cap, rsp_len);
  }
  if (e != TIS_OK)
    *rsp_len = 0;
  /* Back to Idle (after an error this also aborts the command and empties the FIFO), then
   * give locality 0 back, as the firmware finds it at the next boot anyway. */
  io->write8(io->ctx, TIS_STS, TIS_STS_READY);
  io->write8(io->ctx, TIS_ACCESS, TIS_ACCESS_ACTIVE);
  return e;
}

enum tis_iface tis_probe(const struct tis_io *io, uint32_t *did_vid) {
  /* INTERFACE_ID first: a CRB TPM has no TIS registers (nothing at DID_VID), its ID is the
   * upper half of TPM_CRB_INTF_ID. A TIS 1.3 TPM has no INTERFACE_ID: it reads all ones (0xF). */
  uint32_t iface = io->read32(io->ctx, TIS_INTERFACE_ID) & 0xFu;
  if (iface == 0x1) {
    *did_vid = io->read32(io->ctx, TIS_INTERFACE_ID + 4);
    return TIS_IFACE_CRB;
  }
  uint32_t id = io->read32(io->ctx, TIS_DID_VID);
  *did_vid = id;
  if (id == 0xFFFFFFFFu || id == 0)
    return TIS_IFACE_NONE;
  return iface == 0x0 || iface == 0xF ? TIS_IFACE_FIFO : TIS_IFACE_OTHER;
}
