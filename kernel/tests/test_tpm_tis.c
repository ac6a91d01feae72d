/*
 * D0's TIS/FIFO TPM driver (kernel/boot/efi/tpm/tis.c) on the host under ASan/UBSan, against a
 * simulated register file with a simulated clock (every register access takes TICK_US):
 *   - a well-behaved TPM at several burstCounts: the command arrives byte for byte, the response
 *     comes back whole, the TPM ends in Idle with locality 0 given back;
 *   - the epoch-floor policy (tpm/floor.c) over the driver: absent index, define + write;
 *   - faults, each ending in its error within the spec's timeout (never a hang): locality never
 *     granted, commandReady never set, burstCount 0 forever (sending and receiving), stsValid
 *     never set (at all, or once the command is in), Expect wrong either way, no dataAvail
 *     after tpmGo, a response larger than the buffer, a header size below 10, data that runs
 *     out before the header's size, data left over after it, a command shorter than a header;
 *   - the probe: FIFO, TIS 1.3, CRB and nothing at the address;
 *   - random register contents: every call returns within the sum of its timeouts, no
 *     out-of-bounds access, and OK only with a response of a valid size.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "unhex.h"
#include "tpm/floor.h"
#include "tpm/tis.h"

#define TICK_US 50u
#define SIM_BUF 1024

enum sim_state { IDLE, READY, RECEPTION, EXECUTION, COMPLETION };

struct sim {
  enum sim_state state;
  int active;
  uint8_t cmd[SIM_BUF];
  size_t cmd_n;
  uint8_t rsp[SIM_BUF];
  size_t rsp_n, rsp_off, rsp_avail; /* rsp_avail: bytes dataAvail covers (faults shorten it) */
  uint64_t clock;
  unsigned exec_polls;
  unsigned burst; /* burstCount the FIFO reports (0: stuck) */
  /* faults */
  int no_locality, no_ready, no_valid, no_complete, burst_zero_after_go;
  int invalid_in_reception; /* stsValid clear while a command is coming in */
  int expect_mode; /* 0 honest, 1 never set, 2 always set */
  long truncate_to; /* >= 0: dataAvail drops after this many response bytes */
  size_t extra; /* bytes beyond the header's size that stay available */
  /* the TPM behind the FIFO */
  const char *const *replies; /* hex, one per command, in order */
  size_t n_replies, next_reply;
  uint8_t last_cmd[SIM_BUF];
  size_t last_cmd_n;
  unsigned commands;
  /* random mode: registers read random bytes */
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

static int cmd_complete(const struct sim *s) {
  return s->cmd_n >= 6 && s->cmd_n >= be32(s->cmd + 2);
}

static void run_tpm(struct sim *s) {
  memcpy(s->last_cmd, s->cmd, s->cmd_n);
  s->last_cmd_n = s->cmd_n;
  s->commands++;
  /* Past the scripted replies: TPM_RC_FAILURE. */
  const char *hex =
      s->next_reply < s->n_replies ? s->replies[s->next_reply++] : "80010000000a00000101";
  size_t n = unhex(s->rsp, SIM_BUF, hex);
  if (n == (size_t)-1) {
    fprintf(stderr, "bad reply %s\n", hex);
    exit(2);
  }
  for (size_t i = 0; i < s->extra && n < SIM_BUF; i++)
    s->rsp[n++] = 0xEE;
  s->rsp_n = n;
  s->rsp_off = 0;
  s->rsp_avail = s->truncate_to >= 0 && (size_t)s->truncate_to < n ? (size_t)s->truncate_to : n;
  s->exec_polls = 5;
}

static uint8_t sim_read8(void *ctx, uint32_t off) {
  struct sim *s = ctx;
  s->clock += TICK_US;
  if (s->random)
    return (uint8_t)rnd(&s->seed);
  if (off == TIS_ACCESS)
    return TIS_ACCESS_VALID | (s->active ? TIS_ACCESS_ACTIVE : 0);
  if (off == TIS_DATA_FIFO && s->state == COMPLETION && s->rsp_off < s->rsp_avail)
    return s->rsp[s->rsp_off++];
  return 0xFF;
}

static uint32_t sim_read32(void *ctx, uint32_t off) {
  struct sim *s = ctx;
  s->clock += TICK_US;
  if (s->random)
    return rnd(&s->seed);
  if (off != TIS_STS)
    return 0xFFFFFFFFu;
  if (s->no_valid)
    return 0;
  uint32_t v = TIS_STS_VALID, burst = s->burst;
  switch (s->state) {
  case IDLE:
    break;
  case READY:
  case RECEPTION:
    if (s->state == READY)
      v |= TIS_STS_READY;
    if (s->expect_mode == 2 || (s->expect_mode == 0 && s->state == RECEPTION && !cmd_complete(s)))
      v |= TIS_STS_EXPECT;
    v |= burst << 8;
    if (s->invalid_in_reception && s->state == RECEPTION)
      v &= ~TIS_STS_VALID;
    break;
  case EXECUTION:
    if (!s->no_complete && --s->exec_polls == 0)
      s->state = COMPLETION;
    break;
  case COMPLETION:
    break;
  }
  if (s->state == COMPLETION && s->rsp_off < s->rsp_avail) {
    size_t left = s->rsp_avail - s->rsp_off;
    if (s->burst_zero_after_go)
      burst = 0;
    v |= TIS_STS_AVAIL | (uint32_t)(left < burst ? left : burst) << 8;
  }
  return v;
}

static void sim_write8(void *ctx, uint32_t off, uint8_t v) {
  struct sim *s = ctx;
  s->clock += TICK_US;
  if (s->random)
    return;
  if (off == TIS_ACCESS) {
    if ((v & TIS_ACCESS_REQUEST) && !s->no_locality)
      s->active = 1;
    if (v & TIS_ACCESS_ACTIVE)
      s->active = 0;
  } else if (off == TIS_STS && s->active) {
    if (v & TIS_STS_READY) {
      /* From Completion the first write reaches Idle only (PTP 5.5.2.2). */
      s->state = s->no_ready ? IDLE : (s->state == COMPLETION ? IDLE : READY);
      s->cmd_n = 0;
      s->rsp_off = s->rsp_avail = 0;
    } else if ((v & TIS_STS_GO) && s->state == RECEPTION && cmd_complete(s)) {
      s->state = EXECUTION;
      run_tpm(s);
    }
  } else if (off == TIS_DATA_FIFO && s->active && (s->state == READY || s->state == RECEPTION)) {
    s->state = RECEPTION;
    if (s->cmd_n < SIM_BUF)
      s->cmd[s->cmd_n++] = v;
  }
}

static void sim_write32(void *ctx, uint32_t off, uint32_t v) {
  sim_write8(ctx, off, (uint8_t)v);
}

static uint64_t sim_now(void *ctx) {
  return ((struct sim *)ctx)->clock;
}

static struct tis_io io_of(struct sim *s) {
  struct tis_io io = { sim_read8, sim_read32, sim_write8, sim_write32, sim_now, s };
  return io;
}

static void sim_init(struct sim *s, unsigned burst) {
  memset(s, 0, sizeof *s);
  s->burst = burst;
  s->truncate_to = -1;
  s->clock = 1000000; /* not 0: elapsed times are differences */
}

static const char CMD[] = "80010000000e000001690180d0e0"; /* NV_ReadPublic of D0's index */
static const char RSP_HANDLE[] = "80010000000a0000018b";  /* TPM_RC_HANDLE, handle 1 */

struct result {
  enum tis_error e;
  size_t len;
  uint64_t elapsed;
  uint8_t rsp[TPM_RSP_MAX];
};

static struct result submit(struct sim *s, const char *cmd_hex, size_t cap) {
  uint8_t cmd[SIM_BUF];
  size_t n = unhex(cmd, sizeof cmd, cmd_hex);
  struct tis_io io = io_of(s);
  struct result r;
  memset(&r, 0, sizeof r);
  uint64_t t0 = s->clock;
  r.e = tis_submit(&io, cmd, n, r.rsp, cap, &r.len);
  r.elapsed = s->clock - t0;
  return r;
}

static void test_good(void) {
  static const unsigned bursts[] = { 1, 3, 10, 64, 0xFFFF };
  for (size_t b = 0; b < sizeof bursts / sizeof bursts[0]; b++) {
    struct sim s;
    sim_init(&s, bursts[b]);
    const char *replies[] = { RSP_HANDLE };
    s.replies = replies;
    s.n_replies = 1;
    struct result r = submit(&s, CMD, TPM_RSP_MAX);
    uint8_t want_cmd[32], want_rsp[32];
    size_t wc = unhex(want_cmd, sizeof want_cmd, CMD);
    size_t wr = unhex(want_rsp, sizeof want_rsp, RSP_HANDLE);
    CHECK_MSG(r.e == TIS_OK, "burst %u: %s", bursts[b], tis_error_name(r.e));
    CHECK_MSG(s.commands == 1 && s.last_cmd_n == wc && memcmp(s.last_cmd, want_cmd, wc) == 0,
          "burst %u: the TPM got %zu bytes", bursts[b], s.last_cmd_n);
    CHECK_MSG(r.len == wr && memcmp(r.rsp, want_rsp, wr) == 0, "burst %u: %zu response bytes",
          bursts[b], r.len);
    CHECK_MSG(s.state == IDLE && !s.active, "burst %u: left in state %d, active %d", bursts[b],
          s.state, s.active);
    CHECK_MSG(r.elapsed < 100000, "burst %u: %llu us", bursts[b], (unsigned long long)r.elapsed);
  }
  /* The TPM starts in Completion (the firmware read its last response and stopped): commandReady
   * takes two writes. And locality 0 already active is used as is. */
  struct sim s;
  sim_init(&s, 8);
  s.state = COMPLETION;
  s.active = 1;
  const char *replies[] = { RSP_HANDLE };
  s.replies = replies;
  s.n_replies = 1;
  struct result r = submit(&s, CMD, TPM_RSP_MAX);
  CHECK_MSG(r.e == TIS_OK && r.len == 10, "from completion: %s", tis_error_name(r.e));
}

/* Floor policy over the driver: the index is absent; raising defines it and writes 7. */
static uint64_t link_submit(void *ctx, const uint8_t *cmd, size_t n, uint8_t *rsp, size_t cap,
                            size_t *len) {
  struct tis_io io = io_of(ctx);
  return tis_submit(&io, cmd, n, rsp, cap, len);
}

static void test_floor_over_tis(void) {
  static const char EMPTY_OK[] = "8002" "00000013" "00000000" "00000000" "0000" "01" "0000";
  const char *replies[] = { RSP_HANDLE, EMPTY_OK, EMPTY_OK };
  struct sim s;
  sim_init(&s, 16);
  s.replies = replies;
  s.n_replies = 3;
  struct tpm_link t = { link_submit, &s };
  struct tpm_floor_error err = { 0, 0, 0 };
  uint64_t v = 99;
  CHECK_MSG(tpm_floor_read(&t, &v, &err) == TPM_FLOOR_ABSENT && v == 0, "absent over TIS: %llu",
        (unsigned long long)v);
  CHECK_MSG(tpm_floor_raise(&t, 1, 7, &err) == 0, "raise over TIS: %s %s", err.op ? err.op : "",
        err.kind ? err.kind : "");
  CHECK_MSG(s.commands == 3 && be32(s.last_cmd + 6) == 0x137 && s.last_cmd[s.last_cmd_n - 3] == 7,
        "the last command is NV_Write of 7 (data, then offset 0) (%u commands)", s.commands);

  /* A transport failure reaches floor.c as kind=transport with the TIS code. */
  sim_init(&s, 16);
  s.no_complete = 1;
  t.ctx = &s;
  CHECK_MSG(tpm_floor_read(&t, &v, &err) == TPM_FLOOR_ERROR && strcmp(err.kind, "transport") == 0 &&
            err.code == TIS_E_NO_RESPONSE,
        "no response: %s %llu", err.kind, (unsigned long long)err.code);
}

struct fault_case {
  const char *name;
  void (*setup)(struct sim *);
  enum tis_error want;
  uint64_t limit_us; /* the timeout that must end it (0: no wait expected) */
  size_t cap;
};

static void f_locality(struct sim *s) { s->no_locality = 1; }
static void f_ready(struct sim *s) { s->no_ready = 1; }
static void f_burst_send(struct sim *s) { s->burst = 0; }
static void f_burst_recv(struct sim *s) { s->burst_zero_after_go = 1; }
static void f_valid(struct sim *s) { s->no_valid = 1; s->active = 1; }
static void f_valid_sending(struct sim *s) { s->invalid_in_reception = 1; }
static void f_expect_never(struct sim *s) { s->expect_mode = 1; }
static void f_expect_always(struct sim *s) { s->expect_mode = 2; }
static void f_no_response(struct sim *s) { s->no_complete = 1; }
static void f_truncated(struct sim *s) { s->truncate_to = 6; }
static void f_extra(struct sim *s) { s->extra = 3; }
static void f_none(struct sim *s) { (void)s; }

static const char *big_reply[] = { "80010000010100000000" }; /* size 257 > 256 */
static const char *tiny_reply[] = { "800100000008" "00000000" };  /* size 8 < 10 */
static const char *long_body[] = { "80010000000c000000000102" };  /* fine at cap 12 */

static void test_faults(void) {
  static const struct fault_case cases[] = {
    { "locality never granted", f_locality, TIS_E_LOCALITY, TIS_TIMEOUT_A, TPM_RSP_MAX },
    { "commandReady never set", f_ready, TIS_E_NOT_READY, TIS_TIMEOUT_B, TPM_RSP_MAX },
    { "burstCount 0 while sending", f_burst_send, TIS_E_BURST, TIS_TIMEOUT_D, TPM_RSP_MAX },
    { "burstCount 0 while receiving", f_burst_recv, TIS_E_BURST, TIS_TIMEOUT_D, TPM_RSP_MAX },
    { "stsValid never set", f_valid, TIS_E_NOT_READY, TIS_TIMEOUT_B, TPM_RSP_MAX },
    { "stsValid clear after the command's bytes", f_valid_sending, TIS_E_STS_VALID,
      TIS_TIMEOUT_C, TPM_RSP_MAX },
    { "Expect never set", f_expect_never, TIS_E_EXPECT, 0, TPM_RSP_MAX },
    { "Expect still set after the last byte", f_expect_always, TIS_E_EXPECT, 0, TPM_RSP_MAX },
    { "no dataAvail after tpmGo", f_no_response, TIS_E_NO_RESPONSE, TIS_TIMEOUT_EXEC,
      TPM_RSP_MAX },
    { "data runs out inside the header", f_truncated, TIS_E_RSP_SHORT, 0, TPM_RSP_MAX },
    { "data left after the header's size", f_extra, TIS_E_RSP_EXTRA, 0, TPM_RSP_MAX },
    { "a buffer below a header", f_none, TIS_E_RSP_TOO_BIG, 0, 9 },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const struct fault_case *c = &cases[i];
    struct sim s;
    sim_init(&s, 16);
    const char *replies[] = { RSP_HANDLE };
    s.replies = replies;
    s.n_replies = 1;
    c->setup(&s);
    struct result r = submit(&s, CMD, c->cap);
    CHECK_MSG(r.e == c->want, "%s: %s, want %s", c->name, tis_error_name(r.e),
          tis_error_name(c->want));
    CHECK_MSG(r.len == 0, "%s: %zu response bytes reported", c->name, r.len);
    /* Ends by its timeout, not long after: the waits before it took microseconds. */
    uint64_t hi = c->limit_us + 200000;
    CHECK_MSG(r.elapsed >= c->limit_us && r.elapsed <= hi, "%s: %llu us, want %llu..%llu", c->name,
          (unsigned long long)r.elapsed, (unsigned long long)c->limit_us,
          (unsigned long long)hi);
    CHECK_MSG(!s.active, "%s: locality 0 still held", c->name);
    CHECK_MSG(s.no_ready || s.no_valid || s.state == IDLE || s.state == READY,
          "%s: left in state %d (not aborted)", c->name, s.state);
  }

  struct {
    const char *name;
    const char **reply;
    size_t cap;
    enum tis_error want;
    size_t len;
  } sizes[] = {
    { "a response of 257 bytes into 256", big_reply, TPM_RSP_MAX, TIS_E_RSP_TOO_BIG, 0 },
    { "a header size of 8", tiny_reply, TPM_RSP_MAX, TIS_E_RSP_SHORT, 0 },
    { "12 bytes into exactly 12", long_body, 12, TIS_OK, 12 },
    { "12 bytes into 11", long_body, 11, TIS_E_RSP_TOO_BIG, 0 },
  };
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    struct sim s;
    sim_init(&s, 4);
    s.replies = sizes[i].reply;
    s.n_replies = 1;
    struct result r = submit(&s, CMD, sizes[i].cap);
    CHECK_MSG(r.e == sizes[i].want && r.len == sizes[i].len, "%s: %s, %zu bytes", sizes[i].name,
          tis_error_name(r.e), r.len);
  }

  struct sim s;
  sim_init(&s, 4);
  struct result r = submit(&s, "8001000000", TPM_RSP_MAX);
  CHECK_MSG(r.e == TIS_E_CMD_SIZE && s.commands == 0 && r.elapsed == 0, "a 5-byte command: %s",
        tis_error_name(r.e));
}

/* The probe reads DID_VID and INTERFACE_ID only. */
struct probe_regs {
  uint32_t did_vid, iface, crb_id;
};
static uint32_t probe_read32(void *ctx, uint32_t off) {
  struct probe_regs *p = ctx;
  return off == TIS_DID_VID ? p->did_vid
         : off == TIS_INTERFACE_ID ? p->iface
         : off == TIS_INTERFACE_ID + 4 ? p->crb_id
                                       : 0xFFFFFFFFu;
}

static void test_probe(void) {
  struct {
    uint32_t did_vid, iface, crb_id;
    enum tis_iface want;
    uint32_t want_id;
  } cases[] = {
    { 0x00011014, 0xFFFFFFF0, 0, TIS_IFACE_FIFO, 0x00011014 },  /* QEMU tpm-tis, TPM 2.0 */
    { 0x00011014, 0xFFFFFFFF, 0, TIS_IFACE_FIFO, 0x00011014 },  /* TIS 1.3: no INTERFACE_ID */
    { 0x00000000, 0x00004011, 0x10141014, TIS_IFACE_CRB, 0x10141014 }, /* CRB: no DID_VID */
    { 0x00011014, 0x00000005, 0, TIS_IFACE_OTHER, 0x00011014 },
    { 0xFFFFFFFF, 0xFFFFFFFF, 0, TIS_IFACE_NONE, 0xFFFFFFFF }, /* nothing at the address */
    { 0, 0, 0, TIS_IFACE_NONE, 0 },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct probe_regs p = { cases[i].did_vid, cases[i].iface, cases[i].crb_id };
    struct tis_io io = { 0, probe_read32, 0, 0, 0, &p };
    uint32_t id = 0;
    enum tis_iface got = tis_probe(&io, &id);
    CHECK_MSG(got == cases[i].want && id == cases[i].want_id, "probe %08x/%08x: %s %08x",
          cases[i].did_vid, cases[i].iface, tis_iface_name(got), id);
  }
}

/* Random register contents: always returns, within the sum of every wait's timeout. */
static void test_random(void) {
  const uint64_t cmd_len = 14, rsp_max = TPM_RSP_MAX;
  const uint64_t bound = TIS_TIMEOUT_A + TIS_TIMEOUT_B + (cmd_len + 1) * TIS_TIMEOUT_D +
                         2 * TIS_TIMEOUT_C + TIS_TIMEOUT_EXEC + rsp_max * TIS_TIMEOUT_D +
                         TIS_TIMEOUT_C + 1000000;
  unsigned ok = 0;
  for (uint32_t seed = 1; seed <= 3000; seed++) {
    struct sim s;
    sim_init(&s, 0);
    s.random = 1;
    s.seed = seed * 2654435761u;
    struct result r = submit(&s, CMD, TPM_RSP_MAX);
    CHECK_MSG(r.elapsed <= bound, "seed %u: %llu us", seed, (unsigned long long)r.elapsed);
    if (r.e == TIS_OK) {
      ok++;
      CHECK_MSG(r.len >= 10 && r.len <= TPM_RSP_MAX && be32(r.rsp + 2) == r.len,
            "seed %u: OK with %zu bytes", seed, r.len);
    } else {
      CHECK_MSG(r.len == 0, "seed %u: error with %zu bytes", seed, r.len);
    }
  }
  printf("random registers: 3000 runs, %u accepted a response\n", ok);
}

int main(void) {
  test_good();
  test_floor_over_tis();
  test_faults();
  test_probe();
  test_random();
  return check_exit("tpm_tis");
}
