/*
 * D0's CRB TPM driver (kernel/boot/efi/tpm/crb.c) on the host under ASan/UBSan, against a
 * simulated CRB register page (registers + command/response buffer, laid out as QEMU's tpm-crb)
 * with a simulated clock (every register access takes TICK_US):
 *   - a well-behaved TPM: the command lands in the buffer byte for byte, the response comes back
 *     whole, the TPM is sent to idle and locality 0 given back; the floor policy over the driver;
 *   - faults, each ending in its error within its timeout: locality never assigned, cmdReady
 *     never taken, Start never cleared (then Cancel is written), the tpmSts error bit, buffers
 *     outside the register page or too small for the command, response header sizes below 10
 *     or beyond the caller's or the TPM's buffer, a command shorter than a header;
 *   - random register contents: every call returns within the sum of its timeouts.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "unhex.h"
#include "tpm/crb.h"
#include "tpm/floor.h"

#define TICK_US 50u
#define BASE 0xFED40000ull
#define BUF_OFF 0x80u
#define BUF_SIZE 0xF80u

struct sim {
  uint8_t page[TIS_SIZE];
  uint32_t loc_state, ctrl_req, ctrl_sts, start, cancel_writes, cancel;
  uint64_t cmd_addr, rsp_addr;
  uint32_t cmd_size, rsp_size;
  uint64_t clock;
  int no_locality, stuck_ready, never_done, error_bit, relinquished, idled;
  const char *const *replies;
  size_t n_replies, next_reply;
  unsigned commands;
  uint8_t last_cmd[BUF_SIZE];
  size_t last_cmd_n;
  int random;
  uint32_t seed;
};

static uint32_t rnd(uint32_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 17;
  *s ^= *s << 5;
  return *s;
}

static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void run_tpm(struct sim *s) {
  uint8_t *buf = s->page + (s->cmd_addr - BASE);
  size_t n = be32(buf + 2);
  s->last_cmd_n = n < BUF_SIZE ? n : BUF_SIZE;
  memcpy(s->last_cmd, buf, s->last_cmd_n);
  s->commands++;
  /* Past the scripted replies: TPM_RC_FAILURE. */
  const char *hex =
      s->next_reply < s->n_replies ? s->replies[s->next_reply++] : "80010000000a00000101";
  if (unhex(s->page + (s->rsp_addr - BASE), TIS_SIZE - (s->rsp_addr - BASE), hex) ==
      (size_t)-1) {
    fprintf(stderr, "bad reply %s\n", hex);
    exit(2);
  }
}

static uint8_t sim_read8(void *ctx, uint32_t off) {
  struct sim *s = ctx;
  s->clock += TICK_US;
  if (s->random)
    return (uint8_t)rnd(&s->seed);
  return off < TIS_SIZE ? s->page[off] : 0xFF;
}

static uint32_t sim_read32(void *ctx, uint32_t off) {
  struct sim *s = ctx;
  s->clock += TICK_US;
  if (s->random)
    return rnd(&s->seed);
  switch (off) {
  case CRB_LOC_STATE:
    return s->loc_state;
  case CRB_CTRL_REQ:
    return s->ctrl_req;
  case CRB_CTRL_STS:
    return s->ctrl_sts | (s->error_bit ? CRB_CTRL_STS_ERROR : 0);
  case CRB_CTRL_START:
    return s->start;
  case CRB_CMD_SIZE:
    return s->cmd_size;
  case CRB_CMD_LADDR:
    return (uint32_t)s->cmd_addr;
  case CRB_CMD_HADDR:
    return (uint32_t)(s->cmd_addr >> 32);
  case CRB_RSP_SIZE:
    return s->rsp_size;
  case CRB_RSP_ADDR:
    return (uint32_t)s->rsp_addr;
  case CRB_RSP_ADDR + 4:
    return (uint32_t)(s->rsp_addr >> 32);
  }
  return 0xFFFFFFFFu;
}

static void sim_write8(void *ctx, uint32_t off, uint8_t v) {
  struct sim *s = ctx;
  s->clock += TICK_US;
  if (s->random)
    return;
  CHECK_MSG(off >= BUF_OFF && off < TIS_SIZE, "a byte write at register offset %#x", off);
  if (off >= BUF_OFF && off < TIS_SIZE)
    s->page[off] = v;
}

static void sim_write32(void *ctx, uint32_t off, uint32_t v) {
  struct sim *s = ctx;
  s->clock += TICK_US;
  if (s->random)
    return;
  if (off == CRB_LOC_CTRL) {
    if (v == CRB_LOC_CTRL_REQUEST && !s->no_locality)
      s->loc_state = CRB_LOC_STATE_VALID | CRB_LOC_STATE_ASSIGNED;
    if (v == CRB_LOC_CTRL_RELINQUISH) {
      s->loc_state = CRB_LOC_STATE_VALID;
      s->relinquished++;
    }
  } else if (off == CRB_CTRL_REQ) {
    if (s->stuck_ready)
      s->ctrl_req = v;
    else if (v == CRB_CTRL_REQ_READY)
      s->ctrl_sts &= ~2u; /* tpmIdle */
    else if (v == CRB_CTRL_REQ_IDLE) {
      s->ctrl_sts |= 2u;
      s->idled++;
    }
  } else if (off == CRB_CTRL_CANCEL) {
    s->cancel = v;
    if (v == 1)
      s->cancel_writes++;
  } else if (off == CRB_CTRL_START && v == CRB_START &&
             (s->loc_state & CRB_LOC_STATE_ASSIGNED)) {
    if (s->never_done) {
      s->start = 1;
    } else {
      CHECK_MSG(s->cancel == 0, "Start with Cancel still set");
      run_tpm(s);
      s->start = 0;
    }
  }
}

static uint64_t sim_now(void *ctx) {
  return ((struct sim *)ctx)->clock;
}

static struct tis_io io_of(struct sim *s) {
  struct tis_io io = { sim_read8, sim_read32, sim_write8, sim_write32, sim_now, s };
  return io;
}

static void sim_init(struct sim *s) {
  memset(s, 0, sizeof *s);
  s->loc_state = CRB_LOC_STATE_VALID;
  s->ctrl_sts = 2u;
  s->cmd_addr = s->rsp_addr = BASE + BUF_OFF;
  s->cmd_size = s->rsp_size = BUF_SIZE;
  s->clock = 1000000;
}

static const char CMD[] = "80010000000e000001690180d0e0"; /* NV_ReadPublic of D0's index */
static const char RSP_HANDLE[] = "80010000000a0000018b";

struct result {
  enum crb_error e;
  size_t len;
  uint64_t elapsed;
  uint8_t rsp[TPM_RSP_MAX];
};

static struct result submit(struct sim *s, const char *hex, size_t cap) {
  uint8_t cmd[BUF_SIZE + 16];
  size_t n = unhex(cmd, sizeof cmd, hex);
  struct tis_io io = io_of(s);
  struct result r;
  memset(&r, 0, sizeof r);
  uint64_t t0 = s->clock;
  r.e = crb_submit(&io, BASE, cmd, n, r.rsp, cap, &r.len);
  r.elapsed = s->clock - t0;
  return r;
}

static void test_good(void) {
  struct sim s;
  sim_init(&s);
  const char *replies[] = { RSP_HANDLE };
  s.replies = replies;
  s.n_replies = 1;
  struct result r = submit(&s, CMD, TPM_RSP_MAX);
  uint8_t want_cmd[32], want_rsp[32];
  size_t wc = unhex(want_cmd, sizeof want_cmd, CMD);
  size_t wr = unhex(want_rsp, sizeof want_rsp, RSP_HANDLE);
  CHECK_MSG(r.e == CRB_OK, "good: %s", crb_error_name(r.e));
  CHECK_MSG(s.commands == 1 && s.last_cmd_n == wc && memcmp(s.last_cmd, want_cmd, wc) == 0,
        "the TPM got %zu bytes", s.last_cmd_n);
  CHECK_MSG(r.len == wr && memcmp(r.rsp, want_rsp, wr) == 0, "%zu response bytes", r.len);
  CHECK_MSG(s.idled == 1 && s.relinquished == 1 && !(s.loc_state & CRB_LOC_STATE_ASSIGNED),
        "idle %d, relinquished %d", s.idled, s.relinquished);
  CHECK_MSG(r.elapsed < 100000, "%llu us", (unsigned long long)r.elapsed);

  /* Separate command and response buffers, both in the page. */
  sim_init(&s);
  s.replies = replies;
  s.n_replies = 1;
  s.rsp_addr = BASE + 0x800;
  s.rsp_size = 0x800;
  s.cmd_size = 0x780;
  r = submit(&s, CMD, TPM_RSP_MAX);
  CHECK_MSG(r.e == CRB_OK && r.len == wr && memcmp(r.rsp, want_rsp, wr) == 0 &&
            s.last_cmd_n == wc && memcmp(s.last_cmd, want_cmd, wc) == 0,
        "split buffers: %s, %zu bytes", crb_error_name(r.e), r.len);
}

static uint64_t link_submit(void *ctx, const uint8_t *cmd, size_t n, uint8_t *rsp, size_t cap,
                            size_t *len) {
  struct tis_io io = io_of(ctx);
  return crb_submit(&io, BASE, cmd, n, rsp, cap, len);
}

static void test_floor_over_crb(void) {
  static const char EMPTY_OK[] = "8002" "00000013" "00000000" "00000000" "0000" "01" "0000";
  const char *replies[] = { RSP_HANDLE, EMPTY_OK, EMPTY_OK };
  struct sim s;
  sim_init(&s);
  s.replies = replies;
  s.n_replies = 3;
  struct tpm_link t = { link_submit, &s };
  struct tpm_floor_error err = { 0, 0, 0 };
  uint64_t v = 99;
  CHECK_MSG(tpm_floor_read(&t, &v, &err) == TPM_FLOOR_ABSENT && v == 0, "absent over CRB");
  CHECK_MSG(tpm_floor_raise(&t, 1, 9, &err) == 0, "raise over CRB: %s %s", err.op ? err.op : "",
        err.kind ? err.kind : "");
  CHECK_MSG(s.commands == 3 && be32(s.last_cmd + 6) == 0x137 && s.last_cmd[s.last_cmd_n - 3] == 9,
        "the last command is NV_Write of 9 (%u commands)", s.commands);
}

struct fault_case {
  const char *name;
  void (*setup)(struct sim *);
  enum crb_error want;
  uint64_t limit_us;
  size_t cap;
};

static void f_locality(struct sim *s) { s->no_locality = 1; }
static void f_ready(struct sim *s) { s->stuck_ready = 1; s->ctrl_req = CRB_CTRL_REQ_READY; }
static void f_done(struct sim *s) { s->never_done = 1; }
static void f_error(struct sim *s) { s->error_bit = 1; }
static void f_cmd_outside(struct sim *s) { s->cmd_addr = BASE + 0x1000; }
static void f_cmd_below(struct sim *s) { s->cmd_addr = BASE - 0x80; }
static void f_cmd_high(struct sim *s) { s->cmd_addr = (1ull << 32) | (BASE + BUF_OFF); }
static void f_rsp_straddles(struct sim *s) { s->rsp_addr = BASE + 0xF00; }
static void f_cmd_small(struct sim *s) { s->cmd_size = 13; }
static void f_rsp_small(struct sim *s) { s->rsp_size = 9; }
static const char *const twelve[] = { "80010000000c000000000102" };
static void f_rsp_beyond_tpm(struct sim *s) {
  s->rsp_size = 11; /* the TPM's header claims 12 */
  s->replies = twelve;
}
static void f_none(struct sim *s) { (void)s; }

static void test_faults(void) {
  static const struct fault_case cases[] = {
    { "locality never assigned", f_locality, CRB_E_LOCALITY, TIS_TIMEOUT_A, TPM_RSP_MAX },
    { "cmdReady never taken", f_ready, CRB_E_NOT_READY, TIS_TIMEOUT_C, TPM_RSP_MAX },
    { "Start never cleared", f_done, CRB_E_NO_RESPONSE, TIS_TIMEOUT_EXEC, TPM_RSP_MAX },
    { "tpmSts error", f_error, CRB_E_TPM_ERROR, 0, TPM_RSP_MAX },
    { "command buffer after the page", f_cmd_outside, CRB_E_BUFFER, 0, TPM_RSP_MAX },
    { "command buffer before the page", f_cmd_below, CRB_E_BUFFER, 0, TPM_RSP_MAX },
    { "command buffer above 4 GiB", f_cmd_high, CRB_E_BUFFER, 0, TPM_RSP_MAX },
    { "response buffer past the page's end", f_rsp_straddles, CRB_E_BUFFER, 0, TPM_RSP_MAX },
    { "command buffer smaller than the command", f_cmd_small, CRB_E_BUFFER, 0, TPM_RSP_MAX },
    { "response buffer below a header", f_rsp_small, CRB_E_BUFFER, 0, TPM_RSP_MAX },
    { "response beyond the TPM's buffer", f_rsp_beyond_tpm, CRB_E_RSP_TOO_BIG, 0, TPM_RSP_MAX },
    { "caller's buffer below a header", f_none, CRB_E_RSP_TOO_BIG, 0, 9 },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const struct fault_case *c = &cases[i];
    struct sim s;
    sim_init(&s);
    const char *replies[] = { RSP_HANDLE };
    s.replies = replies;
    s.n_replies = 1;
    c->setup(&s);
    struct result r = submit(&s, CMD, c->cap);
    CHECK_MSG(r.e == c->want, "%s: %s, want %s", c->name, crb_error_name(r.e), crb_error_name(c->want));
    CHECK_MSG(r.len == 0, "%s: %zu response bytes reported", c->name, r.len);
    uint64_t hi = c->limit_us + 200000;
    CHECK_MSG(r.elapsed >= c->limit_us && r.elapsed <= hi, "%s: %llu us, want %llu..%llu", c->name,
          (unsigned long long)r.elapsed, (unsigned long long)c->limit_us,
          (unsigned long long)hi);
    CHECK_MSG(!(s.loc_state & CRB_LOC_STATE_ASSIGNED), "%s: locality 0 still assigned", c->name);
    if (c->want == CRB_E_NO_RESPONSE)
      CHECK_MSG(s.cancel_writes == 1, "%s: %u cancels", c->name, s.cancel_writes);
  }

  struct {
    const char *name, *reply;
    size_t cap;
    enum crb_error want;
    size_t len;
  } sizes[] = {
    { "a response of 257 bytes into 256", "80010000010100000000", TPM_RSP_MAX, CRB_E_RSP_TOO_BIG,
      0 },
    { "a header size of 8", "80010000000800000000", TPM_RSP_MAX, CRB_E_RSP_SHORT, 0 },
    { "12 bytes into exactly 12", "80010000000c000000000102", 12, CRB_OK, 12 },
    { "12 bytes into 11", "80010000000c000000000102", 11, CRB_E_RSP_TOO_BIG, 0 },
  };
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    struct sim s;
    sim_init(&s);
    const char *replies[] = { sizes[i].reply };
    s.replies = replies;
    s.n_replies = 1;
    struct result r = submit(&s, CMD, sizes[i].cap);
    CHECK_MSG(r.e == sizes[i].want && r.len == sizes[i].len, "%s: %s, %zu bytes", sizes[i].name,
          crb_error_name(r.e), r.len);
  }

  struct sim s;
  sim_init(&s);
  struct result r = submit(&s, "8001000000", TPM_RSP_MAX);
  CHECK_MSG(r.e == CRB_E_CMD_SIZE && s.commands == 0 && r.elapsed == 0, "a 5-byte command: %s",
        crb_error_name(r.e));
}

static void test_random(void) {
  const uint64_t bound = TIS_TIMEOUT_A + 2 * TIS_TIMEOUT_C + TIS_TIMEOUT_EXEC + 1000000;
  for (uint32_t seed = 1; seed <= 3000; seed++) {
    struct sim s;
    sim_init(&s);
    s.random = 1;
    s.seed = seed * 2654435761u;
    struct result r = submit(&s, CMD, TPM_RSP_MAX);
    CHECK_MSG(r.elapsed <= bound, "seed %u: %llu us", seed, (unsigned long long)r.elapsed);
    CHECK_MSG(r.e == CRB_OK ? r.len >= 10 && r.len <= TPM_RSP_MAX : r.len == 0, "seed %u: %s, %zu",
          seed, crb_error_name(r.e), r.len);
  }
}

int main(void) {
  test_good();
  test_floor_over_crb();
  test_faults();
  test_random();
  return check_exit("tpm_crb");
}
