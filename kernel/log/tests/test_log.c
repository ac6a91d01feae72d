/*
 * Host test of the boot log (kernel/log): line format, seq numbering, value escaping, the uuid
 * suffix, truncation of long lines, the ring buffer's wrap-around, and the text formatters.
 * Built and run by test/boot/log.test.ts:  cc -I kernel log/log.c log/fmt.c tests/test_log.c
 * Prints "ok N" per check and exits non-zero on the first failure.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "log/fmt.h"
#include "log/log.h"
#include "log/tests/capture.h"

static uint64_t fake_ms;
static uint64_t fake_clock(void) { return fake_ms; }

static void expect_eq(const char *what, const char *got, const char *want) {
  CHECK_MSG(strcmp(got, want) == 0, "%s\n  got:  \"%s\"\n  want: \"%s\"", what, got, want);
}

static void expect_true(const char *what, int cond) { CHECK_MSG(cond, "%s", what); }

int main(void) {
  log_begin("boot_start");
  log_str("stage", "efi");
  log_u64("n", 0);
  log_u64("big", 18446744073709551615ull);
  log_hex("status", 0x800000000000001aull);
  log_hex("zero", 0);
  log_end();
  expect_eq("format, seq 0, decimal and hex values", capture_take(),
            "D0 seq=0 ev=boot_start stage=efi n=0 big=18446744073709551615 status=0x800000000000001a zero=0x0\n");

  log_begin("x");
  log_str("path", "a b=c\nD0 seq=9 ev=forged");
  log_str("empty", "");
  log_strn("cut", "abcdef", 3);
  log_end();
  expect_eq("values cannot forge keys or events (quoted, \\xHH); empty is \"\"", capture_take(),
            "D0 seq=1 ev=x path=\"a b=c\\x0aD0 seq=9 ev=forged\" empty=\"\" cut=abc\n");

  log_set_uuid("01890a5d-ac96-774b-bcce-b302099a8057");
  log_begin("manifest_verified");
  log_u64("containers", 2);
  log_end();
  expect_eq("uuid appended once known", capture_take(),
            "D0 seq=2 ev=manifest_verified containers=2 uuid=01890a5d-ac96-774b-bcce-b302099a8057\n");

  /* With a clock set, every event ends with ms= before uuid=. */
  log_set_clock(fake_clock);
  fake_ms = 1234;
  log_begin("vm_start");
  log_str("vm", "web");
  log_end();
  expect_eq("ms= since D0 started, before the uuid", capture_take(),
            "D0 seq=3 ev=vm_start vm=web ms=1234 uuid=01890a5d-ac96-774b-bcce-b302099a8057\n");
  log_set_clock(NULL);

  char longval[1000];
  memset(longval, 'v', sizeof longval - 1);
  longval[sizeof longval - 1] = '\0';
  log_begin("long");
  log_str("v", longval);
  log_end();
  const char *l = capture_take();
  expect_true("a long line is cut to LOG_LINE_MAX and says so",
              strlen(l) == LOG_LINE_MAX + 1 && strstr(l, " trunc=1\n") == l + LOG_LINE_MAX - 8);

  /* Fill the ring well past its size, then check it holds exactly the newest bytes. */
  for (int i = 0; i < 200; i++) {
    log_begin("fill");
    log_u64("i", (uint64_t)i);
    log_end();
  }
  size_t total = capture_len;
  static char ring[LOG_RING_BYTES + 100];
  size_t n = log_ring_copy(ring, sizeof ring);
  expect_true("the ring holds LOG_RING_BYTES once wrapped", n == LOG_RING_BYTES && total > LOG_RING_BYTES);
  expect_true("the ring's content is the newest bytes, oldest first",
              memcmp(ring, capture_buf + total - LOG_RING_BYTES, LOG_RING_BYTES) == 0);
  char small[10];
  expect_true("log_ring_copy respects a small buffer", log_ring_copy(small, sizeof small) == sizeof small &&
                                                          memcmp(small, capture_buf + total - 10, 10) == 0);
  capture_take();

  /* The deferred sink: queued, then drained in order, partly or whole. */
  log_defer_sink(1);
  log_begin("q1");
  log_end();
  log_begin("q2");
  log_end();
  expect_true("deferred: nothing reaches the sink in log_end", capture_len == 0);
  expect_true("deferred: a drain writes at most its budget", log_drain(10) == 10 && capture_len == 10);
  size_t rest = log_drain(SIZE_MAX);
  const char *two = capture_take();
  expect_true("deferred: the rest, in order, whole lines",
              rest > 0 && strstr(two, " ev=q1") != NULL && strstr(two, " ev=q2") > strstr(two, " ev=q1") &&
                  two[strlen(two) - 1] == '\n');
  expect_true("deferred: an empty queue drains nothing", log_drain(SIZE_MAX) == 0);
  /* A full queue drops whole lines and counts them; what was queued still comes out whole. */
  static const char pad[] = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
  uint64_t dropped = log_sink_dropped();
  int logged = 0;
  while (log_sink_dropped() == dropped && logged < 10000) {
    log_begin("fill");
    log_str("pad", pad);
    log_end();
    logged++;
  }
  expect_true("a full queue drops the line that does not fit", log_sink_dropped() == dropped + 1);
  size_t out = log_drain(SIZE_MAX);
  const char *filled = capture_take();
  size_t lines = 0;
  for (const char *c = filled; *c; c++)
    lines += *c == '\n';
  expect_true("the queued lines all come out, whole, none past the queue's size",
              out <= LOG_SINK_QUEUE_BYTES && out > LOG_SINK_QUEUE_BYTES - 200 && lines == (size_t)logged - 1 &&
                  filled[out - 1] == '\n');
  /* Off: what is queued goes out first, then each line directly again. */
  log_begin("q3");
  log_end();
  log_defer_sink(0);
  const char *flushed = capture_take();
  expect_true("turning deferral off writes the queue", strstr(flushed, " ev=q3") != NULL);
  log_begin("direct");
  log_end();
  expect_true("then log_end writes again", strstr(capture_take(), " ev=direct") != NULL);

  char buf[64];
  const uint8_t uuid[16] = {0x01, 0x89, 0x0a, 0x5d, 0xac, 0x96, 0x77, 0x4b,
                            0xbc, 0xce, 0xb3, 0x02, 0x09, 0x9a, 0x80, 0x57};
  fmt_uuid(uuid, buf);
  expect_eq("fmt_uuid", buf, "01890a5d-ac96-774b-bcce-b302099a8057");
  const uint8_t ip[4] = {10, 20, 0, 255};
  fmt_ip4(ip, 24, buf);
  expect_eq("fmt_ip4 with prefix", buf, "10.20.0.255/24");
  fmt_ip4(ip, -1, buf);
  expect_eq("fmt_ip4 without prefix", buf, "10.20.0.255");
  const uint8_t zero[4] = {0, 0, 0, 0};
  fmt_ip4(zero, 0, buf);
  expect_eq("fmt_ip4 zeros", buf, "0.0.0.0/0");
  fmt_hex((const uint8_t *)"\x00\xff\x10", 3, buf);
  expect_eq("fmt_hex", buf, "00ff10");
  return check_exit("log");
}
