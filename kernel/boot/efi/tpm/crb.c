/* The CRB TPM interface, locality 0; contract in crb.h. */
#include "crb.h"

#define HEADER 10

const char *crb_error_name(enum crb_error e) {
  switch (e) {
  case CRB_OK:
    return "ok";
  case CRB_E_LOCALITY:
    return "locality";
  case CRB_E_NOT_READY:
    return "not_ready";
  case CRB_E_BUFFER:
    return "buffer";
  case CRB_E_NO_RESPONSE:
    return "no_response";
  case CRB_E_TPM_ERROR:
    return "tpm_error_state";
  case CRB_E_RSP_SHORT:
    return "response_short";
  case CRB_E_RSP_TOO_BIG:
    return "response_too_big";
  case CRB_E_CMD_SIZE:
    return "command_size";
  }
  return "unknown";
}

static uint32_t rd(const struct tis_io *io, uint32_t off) {
  return io->read32(io->ctx, off);
}

/* Polls the register at off until (v & mask) == want; 0, or -1 after limit_us. */
static int wait_reg(const struct tis_io *io, uint32_t off, uint32_t mask, uint32_t want,
                    uint32_t limit_us) {
  uint64_t start = io->now_us(io->ctx);
  for (;;) {
    if ((rd(io, off) & mask) == want)
      return 0;
    if (io->now_us(io->ctx) - start > limit_us)
      return -1;
  }
}

/* The buffer [addr, addr + size) as an offset into the register page, or -1 when outside. */
static long in_page(uint64_t base, uint64_t addr, uint64_t size) {
  if (addr < base || size > TIS_SIZE || addr - base > TIS_SIZE - size)
    return -1;
  return (long)(addr - base);
}

static enum crb_error exchange(const struct tis_io *io, uint64_t base, const uint8_t *cmd,
                               size_t cmd_len, uint8_t *rsp, size_t cap, size_t *rsp_len) {
  if (wait_reg(io, CRB_CTRL_REQ, CRB_CTRL_REQ_READY | CRB_CTRL_REQ_IDLE, 0, TIS_TIMEOUT_C) != 0)
    return CRB_E_NOT_READY;
  io->write32(io->ctx, CRB_CTRL_REQ, CRB_CTRL_REQ_READY);
  if (wait_reg(io, CRB_CTRL_REQ, CRB_CTRL_REQ_READY, 0, TIS_TIMEOUT_C) != 0)
    return CRB_E_NOT_READY;
  if (rd(io, CRB_CTRL_STS) & CRB_CTRL_STS_ERROR)
    return CRB_E_TPM_ERROR;

  uint64_t cmd_addr = (uint64_t)rd(io, CRB_CMD_HADDR) << 32 | rd(io, CRB_CMD_LADDR);
  uint32_t cmd_size = rd(io, CRB_CMD_SIZE);
  uint64_t rsp_addr = (uint64_t)rd(io, CRB_RSP_ADDR + 4) << 32 | rd(io, CRB_RSP_ADDR);
  uint32_t rsp_size = rd(io, CRB_RSP_SIZE);
  long c = in_page(base, cmd_addr, cmd_size), r = in_page(base, rsp_addr, rsp_size);
  if (c < 0 || r < 0 || cmd_len > cmd_size || rsp_size < HEADER)
    return CRB_E_BUFFER;
  for (size_t i = 0; i < cmd_len; i++)
    io->write8(io->ctx, (uint32_t)c + (uint32_t)i, cmd[i]);

  io->write32(io->ctx, CRB_CTRL_CANCEL, 0); /* a cancel left set would cancel this command */
  io->write32(io->ctx, CRB_CTRL_START, CRB_START);
  if (wait_reg(io, CRB_CTRL_START, CRB_START, 0, TIS_TIMEOUT_EXEC) != 0) {
    io->write32(io->ctx, CRB_CTRL_CANCEL, 1);
    return CRB_E_NO_RESPONSE;
  }
  if (rd(io, CRB_CTRL_STS) & CRB_CTRL_STS_ERROR)
    return CRB_E_TPM_ERROR;

  for (uint32_t i = 0; i < 6; i++)
    rsp[i] = io->read8(io->ctx, (uint32_t)r + i);
  uint32_t size = (uint32_t)rsp[2] << 24 | (uint32_t)rsp[3] << 16 | (uint32_t)rsp[4] << 8 | rsp[5];
  if (size < HEADER)
    return CRB_E_RSP_SHORT;
  if (size > cap || size > rsp_size)
    return CRB_E_RSP_TOO_BIG;
  for (uint32_t i = 6; i < size; i++)
    rsp[i] = io->read8(io->ctx, (uint32_t)r + i);
  *rsp_len = size;
  return CRB_OK;
}

enum crb_error crb_submit(const struct tis_io *io, uint64_t base, const uint8_t *cmd,
                          size_t cmd_len, uint8_t *rsp, size_t rsp_cap, size_t *rsp_len) {
  *rsp_len = 0;
  if (cmd_len < HEADER)
    return CRB_E_CMD_SIZE;
  if (rsp_cap < HEADER)
    return CRB_E_RSP_TOO_BIG;
  const uint32_t want = CRB_LOC_STATE_VALID | CRB_LOC_STATE_ASSIGNED | CRB_LOC_STATE_ACTIVE_MASK;
  const uint32_t ours = CRB_LOC_STATE_VALID | CRB_LOC_STATE_ASSIGNED; /* activeLocality 0 */
  if ((rd(io, CRB_LOC_STATE) & want) != ours) {
    io->write32(io->ctx, CRB_LOC_CTRL, CRB_LOC_CTRL_REQUEST);
    if (wait_reg(io, CRB_LOC_STATE, want, ours, TIS_TIMEOUT_A) != 0) {
      io->write32(io->ctx, CRB_LOC_CTRL, CRB_LOC_CTRL_RELINQUISH);
      return CRB_E_LOCALITY;
    }
  }
  enum crb_error e = exchange(io, base, cmd, cmd_len, rsp, rsp_cap, rsp_len);
  if (e != CRB_OK)
    *rsp_len = 0;
  /* Idle again (the TPM may power down its buffers), and locality 0 given back. */
  io->write32(io->ctx, CRB_CTRL_REQ, CRB_CTRL_REQ_IDLE);
  io->write32(io->ctx, CRB_LOC_CTRL, CRB_LOC_CTRL_RELINQUISH);
  return e;
}
