/*
 * The TPM 2.0 NV marshalling (kernel/boot/efi/tpm/nv.c) and the epoch-floor policy over it
 * (tpm/floor.c), on the host under ASan/UBSan:
 *   - each command D0 builds, byte for byte, as assembled by hand from TPM 2.0 Part 3;
 *     every buffer too small to hold it gives 0, never a partial command;
 *   - each response parser on well-formed responses, on every truncation, on a size field that
 *     disagrees with the bytes, wrong tags, trailing bytes, inconsistent inner sizes, error codes,
 *     and on random mutations (no out-of-bounds read, never OK for bytes it did not validate);
 *   - the floor policy against a simulated TPM that checks the commands it gets: first use
 *     (define + write), an unwritten index, a foreign index, TPM error codes, transport failures,
 *     malformed and oversized responses.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "unhex.h"
#include "tpm/floor.h"
#include "tpm/nv.h"

static size_t must_unhex(uint8_t *out, size_t cap, const char *hex) {
  size_t n = unhex(out, cap, hex);
  if (n == (size_t)-1) {
    fprintf(stderr, "bad test vector %s\n", hex);
    exit(2);
  }
  return n;
}

/* ---- commands ---------------------------------------------------------------------------------- */

static void expect_cmd(const char *what, const uint8_t *got, size_t n, const char *hex) {
  uint8_t want[TPM_CMD_MAX];
  size_t wn = must_unhex(want, sizeof want, hex);
  CHECK_MSG(n == wn && memcmp(got, want, wn) == 0, "%s: %zu bytes, want %zu", what, n, wn);
}

#define SESSION_PW "00000009" "40000009" "0000" "00" "0000"
static const char READ_PUBLIC[] = "8001" "0000000e" "00000169" "0180d0e0";
static const char DEFINE[] = "8002" "0000002d" "0000012a" "40000001" SESSION_PW "0000"
                             "000e" "0180d0e0" "000b" "02060002" "0000" "0008";
static const char WRITE[] = "8002" "0000002b" "00000137" "40000001" "0180d0e0" SESSION_PW
                            "0008" "0102030405060708" "0000";
static const char READ[] = "8002" "00000023" "0000014e" "0180d0e0" "0180d0e0" SESSION_PW "0008"
                           "0000";

static void test_commands(void) {
  uint8_t b[TPM_CMD_MAX];
  const uint8_t data[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
  CHECK_MSG(TPM_FLOOR_ATTRS == 0x02060002u, "attributes %08x", TPM_FLOOR_ATTRS);
  expect_cmd("NV_ReadPublic", b, tpm_nv_read_public_cmd(b, sizeof b, TPM_FLOOR_INDEX), READ_PUBLIC);
  expect_cmd("NV_DefineSpace", b,
             tpm_nv_define_cmd(b, sizeof b, TPM_FLOOR_INDEX, TPM_FLOOR_ATTRS, 8), DEFINE);
  expect_cmd("NV_Write", b, tpm_nv_write_cmd(b, sizeof b, TPM_FLOOR_INDEX, data, 8), WRITE);
  expect_cmd("NV_Read", b, tpm_nv_read_cmd(b, sizeof b, TPM_FLOOR_INDEX, 8), READ);
  /* Too small a buffer: 0, and nothing written past the cap. */
  for (size_t cap = 0; cap < 45; cap++) {
    uint8_t small[64];
    memset(small, 0xee, sizeof small);
    size_t n1 = tpm_nv_read_public_cmd(small, cap, TPM_FLOOR_INDEX);
    size_t n2 = tpm_nv_define_cmd(small, cap, TPM_FLOOR_INDEX, TPM_FLOOR_ATTRS, 8);
    size_t n3 = tpm_nv_write_cmd(small, cap, TPM_FLOOR_INDEX, data, 8);
    size_t n4 = tpm_nv_read_cmd(small, cap, TPM_FLOOR_INDEX, 8);
    CHECK_MSG(n1 == (cap >= 14 ? 14u : 0u), "read_public cap %zu gave %zu", cap, n1);
    CHECK_MSG(n2 == 0 || cap >= 45, "define cap %zu gave %zu", cap, n2);
    CHECK_MSG(n3 == (cap >= 43 ? 43u : 0u), "write cap %zu gave %zu", cap, n3);
    CHECK_MSG(n4 == (cap >= 35 ? 35u : 0u), "read cap %zu gave %zu", cap, n4);
    int untouched = 1;
    for (size_t i = cap; i < sizeof small; i++)
      untouched &= small[i] == 0xee;
    CHECK_MSG(untouched, "cap %zu: bytes written past the cap", cap);
  }
}

/* ---- responses --------------------------------------------------------------------------------- */

/* NV_ReadPublic of D0's index (written), with a SHA-256 name. */
static const char RP_OK[] = "8001" "0000003e" "00000000" "000e" "0180d0e0" "000b" "22060002"
                            "0000" "0008" "0022" "000b"
                            "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
static const char EMPTY_OK[] = "8002" "00000013" "00000000" "00000000" "0000" "01" "0000";
static const char READ_OK[] = "8002" "0000001d" "00000000" "0000000a" "0008" "0000000000000105"
                              "0000" "01" "0000";

static enum tpm_nv_parse parse_any(int which, const uint8_t *r, size_t n, uint32_t *rc) {
  struct tpm_nv_public pub;
  uint8_t out[8];
  if (which == 0)
    return tpm_nv_read_public_rsp(r, n, rc, &pub);
  if (which == 1)
    return tpm_nv_empty_rsp(r, n, rc);
  return tpm_nv_read_rsp(r, n, rc, out, 8);
}

static void test_responses(void) {
  const char *ok[3] = { RP_OK, EMPTY_OK, READ_OK };
  uint8_t r[TPM_RSP_MAX];
  uint32_t rc;

  struct tpm_nv_public pub;
  size_t n = must_unhex(r, sizeof r, RP_OK);
  CHECK_MSG(tpm_nv_read_public_rsp(r, n, &rc, &pub) == TPM_NV_OK, "read_public ok");
  CHECK_MSG(pub.index == TPM_FLOOR_INDEX && pub.name_alg == 0x000b && pub.attributes == 0x22060002u &&
            pub.policy_len == 0 && pub.data_size == 8,
        "read_public fields %08x %04x %08x %u %u", pub.index, pub.name_alg, pub.attributes,
        pub.policy_len, pub.data_size);
  n = must_unhex(r, sizeof r, READ_OK);
  uint8_t out[8];
  CHECK_MSG(tpm_nv_read_rsp(r, n, &rc, out, 8) == TPM_NV_OK && out[6] == 1 && out[7] == 5, "read ok");
  CHECK_MSG(tpm_nv_read_rsp(r, n, &rc, out, 4) == TPM_NV_MALFORMED, "read: other size than asked");
  n = must_unhex(r, sizeof r, EMPTY_OK);
  CHECK_MSG(tpm_nv_empty_rsp(r, n, &rc) == TPM_NV_OK, "empty ok");

  for (int w = 0; w < 3; w++) {
    size_t full = must_unhex(r, sizeof r, ok[w]);
    /* Every truncation, with the size field left as is or patched to the shorter length. */
    for (size_t len = 0; len < full; len++) {
      CHECK_MSG(parse_any(w, r, len, &rc) == TPM_NV_MALFORMED, "%d: truncated to %zu", w, len);
      uint8_t t[TPM_RSP_MAX];
      memcpy(t, r, full);
      if (len >= 6) {
        t[2] = (uint8_t)(len >> 24), t[3] = (uint8_t)(len >> 16), t[4] = (uint8_t)(len >> 8),
        t[5] = (uint8_t)len;
        CHECK_MSG(parse_any(w, t, len, &rc) == TPM_NV_MALFORMED, "%d: cut to %zu, size patched", w, len);
      }
    }
    /* A trailing byte, counted by the size field or not. */
    uint8_t t[TPM_RSP_MAX];
    memcpy(t, r, full);
    t[full] = 0;
    CHECK_MSG(parse_any(w, t, full + 1, &rc) == TPM_NV_MALFORMED, "%d: trailing byte", w);
    t[5]++;
    CHECK_MSG(parse_any(w, t, full + 1, &rc) == TPM_NV_MALFORMED, "%d: trailing byte, counted", w);
    /* Wrong tags. */
    memcpy(t, r, full);
    t[1] = 0x03;
    CHECK_MSG(parse_any(w, t, full, &rc) == TPM_NV_MALFORMED, "%d: unknown tag", w);
    t[1] = w == 0 ? 0x02 : 0x01;
    CHECK_MSG(parse_any(w, t, full, &rc) == TPM_NV_MALFORMED, "%d: the other tag", w);
    /* An error response: header only, the code comes back. */
    size_t en = must_unhex(t, sizeof t, "8001" "0000000a" "0000018b");
    rc = 0;
    CHECK_MSG(parse_any(w, t, en, &rc) == TPM_NV_RC && rc == 0x18b, "%d: error rc %x", w, rc);
    CHECK_MSG(tpm_rc_is(rc, TPM_RC_HANDLE), "0x18b is TPM_RC_HANDLE (handle 1)");
  }
  CHECK_MSG(tpm_rc_is(0x08b, TPM_RC_HANDLE) && tpm_rc_is(0x98b, TPM_RC_HANDLE), "handle numbers");
  CHECK_MSG(!tpm_rc_is(0x14a, TPM_RC_HANDLE) && tpm_rc_is(0x14a, TPM_RC_NV_UNINITIALIZED) &&
            !tpm_rc_is(0x94a, TPM_RC_NV_UNINITIALIZED),
        "format-zero codes compare whole");

  /* Inner sizes that disagree. */
  const char *inner[] = {
    /* nvPublic size 15 for a 14-byte area */
    "8001" "0000003e" "00000000" "000f" "0180d0e0" "000b" "22060002" "0000" "0008" "0022" "000b"
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
    /* authPolicy length running past the end */
    "8001" "00000016" "00000000" "000e" "0180d0e0" "000b" "22060002" "ffff" "0008",
    /* nvName longer than what is left */
    "8001" "00000018" "00000000" "000e" "0180d0e0" "000b" "22060002" "0000" "0008" "0022" "000b",
  };
  for (size_t i = 0; i < sizeof inner / sizeof inner[0]; i++) {
    n = must_unhex(r, sizeof r, inner[i]);
    CHECK_MSG(tpm_nv_read_public_rsp(r, n, &rc, &pub) == TPM_NV_MALFORMED, "inner size %zu", i);
  }
  const char *rd[] = {
    /* parameterSize past the end */
    "8002" "0000001d" "00000000" "000000ff" "0008" "0000000000000105" "0000" "01" "0000",
    /* parameterSize shorter than the parameters */
    "8002" "0000001d" "00000000" "00000009" "0008" "0000000000000105" "0000" "01" "0000",
    /* data size 9 */
    "8002" "0000001e" "00000000" "0000000b" "0009" "000000000000010500" "0000" "01" "0000",
    /* session nonce running past the end */
    "8002" "0000001d" "00000000" "0000000a" "0008" "0000000000000105" "0010" "01" "0000",
  };
  for (size_t i = 0; i < sizeof rd / sizeof rd[0]; i++) {
    n = must_unhex(r, sizeof r, rd[i]);
    CHECK_MSG(tpm_nv_read_rsp(r, n, &rc, out, 8) == TPM_NV_MALFORMED, "read inner %zu", i);
  }
  /* parameters in a response that has none */
  n = must_unhex(r, sizeof r, "8002" "00000015" "00000000" "00000002" "abcd" "0000" "01" "0000");
  CHECK_MSG(tpm_nv_empty_rsp(r, n, &rc) == TPM_NV_MALFORMED, "empty with parameters");

  /* Random mutations of each valid response, in a buffer exactly as long as the response so
   * ASan catches any read past it. A mutation that changes a validated byte is never OK. */
  srand(22);
  for (int w = 0; w < 3; w++) {
    uint8_t base[TPM_RSP_MAX];
    size_t full = must_unhex(base, sizeof base, ok[w]);
    for (int iter = 0; iter < 20000; iter++) {
      uint8_t *m = malloc(full);
      memcpy(m, base, full);
      int flips = 1 + rand() % 3;
      for (int k = 0; k < flips; k++)
        m[rand() % full] ^= (uint8_t)(1 + rand() % 255);
      size_t len = rand() % 4 == 0 ? (size_t)(rand() % (int)full) : full;
      enum tpm_nv_parse p = parse_any(w, m, len, &rc);
      int header_changed = memcmp(m, base, 6) != 0 || len != full;
      CHECK_MSG(!(header_changed && p == TPM_NV_OK), "%d: mutated header parsed OK", w);
      free(m);
    }
  }
}

/* ---- the floor policy against a simulated TPM --------------------------------------------------- */

struct sim {
  int defined, written;
  uint32_t attrs;
  uint16_t size;
  uint8_t value[16];
  uint32_t fail_cc, fail_rc; /* answer fail_cc with fail_rc */
  uint32_t transport_cc;     /* fail the exchange of this command */
  uint32_t garble_cc;        /* answer this command with a truncated response */
  uint32_t oversize_cc;      /* claim a response size over the buffer */
  int commands, defines, writes;
  int bad_command; /* a command the simulation found malformed */
};

static size_t rsp_put(uint8_t *r, const char *hex) {
  return must_unhex(r, TPM_RSP_MAX, hex);
}

static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t sim_submit(void *ctx, const uint8_t *cmd, size_t n, uint8_t *rsp, size_t cap,
                           size_t *rsp_len) {
  struct sim *s = ctx;
  s->commands++;
  if (n < 10 || be32(cmd + 2) != n || cap < TPM_RSP_MAX) {
    s->bad_command = 1;
    return 0x8000000000000002ull;
  }
  uint32_t cc = be32(cmd + 6);
  if (cc == s->transport_cc)
    return 0x8000000000000007ull; /* EFI_DEVICE_ERROR */
  char hex[2 * TPM_RSP_MAX + 1];
  if (cc == s->fail_cc) {
    snprintf(hex, sizeof hex, "8001" "0000000a" "%08x", s->fail_rc);
    *rsp_len = rsp_put(rsp, hex);
    return 0;
  }
  if (cc == s->garble_cc) {
    *rsp_len = rsp_put(rsp, "8001" "0000000a" "0000"); /* 8 bytes of a 10-byte header */
    return 0;
  }
  if (cc == s->oversize_cc) {
    *rsp_len = TPM_RSP_MAX + 1;
    return 0;
  }
  switch (cc) {
  case TPM_CC_NV_READ_PUBLIC:
    if (n != 14 || be32(cmd + 10) != TPM_FLOOR_INDEX)
      s->bad_command = 1;
    if (!s->defined) {
      *rsp_len = rsp_put(rsp, "8001" "0000000a" "0000018b");
      return 0;
    }
    snprintf(hex, sizeof hex,
             "8001" "0000003e" "00000000" "000e" "0180d0e0" "000b" "%08x" "0000" "%04x" "0022"
             "000b" "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
             s->attrs | (s->written ? TPMA_NV_WRITTEN : 0), s->size);
    *rsp_len = rsp_put(rsp, hex);
    return 0;
  case TPM_CC_NV_DEFINE_SPACE:
    s->defines++;
    if (s->defined) {
      *rsp_len = rsp_put(rsp, "8001" "0000000a" "0000014c");
      return 0;
    }
    if (n != 45 || be32(cmd + 10) != TPM_RH_OWNER || be32(cmd + 31) != TPM_FLOOR_INDEX)
      s->bad_command = 1;
    s->defined = 1;
    s->attrs = be32(cmd + 37);
    s->size = (uint16_t)(cmd[43] << 8 | cmd[44]);
    *rsp_len = rsp_put(rsp, EMPTY_OK);
    return 0;
  case TPM_CC_NV_WRITE:
    s->writes++;
    if (n != 43 || be32(cmd + 10) != TPM_RH_OWNER || be32(cmd + 14) != TPM_FLOOR_INDEX ||
        !s->defined)
      s->bad_command = 1;
    memcpy(s->value, cmd + 33, 8);
    s->written = 1;
    *rsp_len = rsp_put(rsp, EMPTY_OK);
    return 0;
  case TPM_CC_NV_READ:
    if (n != 35 || be32(cmd + 10) != TPM_FLOOR_INDEX || be32(cmd + 14) != TPM_FLOOR_INDEX)
      s->bad_command = 1;
    if (!s->written) {
      *rsp_len = rsp_put(rsp, "8001" "0000000a" "0000014a");
      return 0;
    }
    snprintf(hex, sizeof hex,
             "8002" "0000001d" "00000000" "0000000a" "0008"
             "%02x%02x%02x%02x%02x%02x%02x%02x" "0000" "01" "0000",
             s->value[0], s->value[1], s->value[2], s->value[3], s->value[4], s->value[5],
             s->value[6], s->value[7]);
    *rsp_len = rsp_put(rsp, hex);
    return 0;
  default:
    s->bad_command = 1;
    return 0x8000000000000003ull;
  }
}

static void test_floor(void) {
  struct tpm_floor_error e;
  uint64_t v = 99;

  /* First use: absent, then defined and written; read back. */
  struct sim s = { 0 };
  struct tpm_link t = { sim_submit, &s };
  CHECK_MSG(tpm_floor_read(&t, &v, &e) == TPM_FLOOR_ABSENT && v == 0, "absent");
  CHECK_MSG(tpm_floor_raise(&t, 1, 0x0102030405060708ull, &e) == 0, "define + write");
  CHECK_MSG(s.defines == 1 && s.writes == 1 && s.attrs == TPM_FLOOR_ATTRS && s.size == 8, "defined");
  CHECK_MSG(tpm_floor_read(&t, &v, &e) == TPM_FLOOR_OK && v == 0x0102030405060708ull,
        "read back %llx", (unsigned long long)v);
  CHECK_MSG(tpm_floor_raise(&t, 0, 7, &e) == 0 && s.defines == 1 && s.writes == 2, "raise: no define");
  CHECK_MSG(tpm_floor_read(&t, &v, &e) == TPM_FLOOR_OK && v == 7, "raised to 7");
  CHECK_MSG(!s.bad_command, "every command was well formed");

  /* Defined, never written (a define whose write was cut): 0. */
  struct sim u = { .defined = 1, .attrs = TPM_FLOOR_ATTRS, .size = 8 };
  t.ctx = &u;
  CHECK_MSG(tpm_floor_read(&t, &v, &e) == TPM_FLOOR_OK && v == 0, "unwritten reads 0");

  /* Foreign indices: other size, type, authorisation. Never read further. */
  const struct { uint32_t attrs; uint16_t size; } foreign[] = {
    { TPM_FLOOR_ATTRS, 16 },
    { TPM_FLOOR_ATTRS, 4 },
    { TPM_FLOOR_ATTRS | 0x10u, 8 },               /* a counter */
    { TPM_FLOOR_ATTRS | TPMA_NV_AUTHWRITE, 8 },   /* writable with the index's auth */
    { TPM_FLOOR_ATTRS & ~TPMA_NV_AUTHREAD, 8 },
  };
  for (size_t i = 0; i < sizeof foreign / sizeof foreign[0]; i++) {
    struct sim f = { .defined = 1, .written = 1, .attrs = foreign[i].attrs, .size = foreign[i].size };
    t.ctx = &f;
    CHECK_MSG(tpm_floor_read(&t, &v, &e) == TPM_FLOOR_ERROR && strcmp(e.kind, "foreign_index") == 0 &&
              strcmp(e.op, "nv_read_public") == 0 && f.commands == 1,
          "foreign %zu", i);
  }

  /* TPM error codes, transport failures, garbled and oversized responses, per command. */
  const uint32_t ccs[] = { TPM_CC_NV_READ_PUBLIC, TPM_CC_NV_READ };
  const char *ops[] = { "nv_read_public", "nv_read" };
  for (int i = 0; i < 2; i++) {
    struct sim a = { .defined = 1, .written = 1, .attrs = TPM_FLOOR_ATTRS, .size = 8,
                     .fail_cc = ccs[i], .fail_rc = 0x921 /* TPM_RC_LOCKOUT */ };
    t.ctx = &a;
    CHECK_MSG(tpm_floor_read(&t, &v, &e) == TPM_FLOOR_ERROR && strcmp(e.kind, "rc") == 0 &&
              e.code == 0x921 && strcmp(e.op, ops[i]) == 0 && v == 0,
          "rc on %s", ops[i]);
    struct sim b = { .defined = 1, .written = 1, .attrs = TPM_FLOOR_ATTRS, .size = 8,
                     .transport_cc = ccs[i] };
    t.ctx = &b;
    CHECK_MSG(tpm_floor_read(&t, &v, &e) == TPM_FLOOR_ERROR && strcmp(e.kind, "transport") == 0 &&
              e.code == 0x8000000000000007ull && strcmp(e.op, ops[i]) == 0,
          "transport on %s", ops[i]);
    struct sim c = { .defined = 1, .written = 1, .attrs = TPM_FLOOR_ATTRS, .size = 8,
                     .garble_cc = ccs[i] };
    t.ctx = &c;
    CHECK_MSG(tpm_floor_read(&t, &v, &e) == TPM_FLOOR_ERROR && strcmp(e.kind, "malformed") == 0 &&
              strcmp(e.op, ops[i]) == 0,
          "garbled %s", ops[i]);
    struct sim d = { .defined = 1, .written = 1, .attrs = TPM_FLOOR_ATTRS, .size = 8,
                     .oversize_cc = ccs[i] };
    t.ctx = &d;
    CHECK_MSG(tpm_floor_read(&t, &v, &e) == TPM_FLOOR_ERROR && strcmp(e.kind, "malformed") == 0,
          "oversized %s", ops[i]);
  }
  /* A define that fails writes nothing; a write that fails is reported. */
  struct sim g = { .fail_cc = TPM_CC_NV_DEFINE_SPACE, .fail_rc = 0x98e /* AUTH_FAIL */ };
  t.ctx = &g;
  CHECK_MSG(tpm_floor_raise(&t, 1, 5, &e) == -1 && strcmp(e.op, "nv_define") == 0 && e.code == 0x98e &&
            g.writes == 0,
        "define refused");
  struct sim h = { .defined = 1, .written = 1, .attrs = TPM_FLOOR_ATTRS, .size = 8,
                   .fail_cc = TPM_CC_NV_WRITE, .fail_rc = 0x148 /* NV_LOCKED */ };
  t.ctx = &h;
  CHECK_MSG(tpm_floor_raise(&t, 0, 5, &e) == -1 && strcmp(e.op, "nv_write") == 0 && e.code == 0x148,
        "write refused");
  /* An index that appeared between the read and the define is not written. */
  struct sim k = { .defined = 1, .attrs = TPM_FLOOR_ATTRS, .size = 8 };
  t.ctx = &k;
  CHECK_MSG(tpm_floor_raise(&t, 1, 5, &e) == -1 && e.code == 0x14c && k.writes == 0, "defined meanwhile");
}

int main(void) {
  test_commands();
  test_responses();
  test_floor();
  return check_exit("tpm_nv");
}
