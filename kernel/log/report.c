/* One-way reports: the queue and the RFC 5424 form; contract in report.h. */
#include "log/report.h"

#include "log/log.h"

#define FACILITY_LOCAL0 16
#define SEV_ERROR 3
#define SEV_WARNING 4
#define SEV_NOTICE 5
#define SEV_INFO 6
#define EV_MAX 32

struct kept {
  const char *ev;
  int severity;
};

static const struct kept kept[] = {
    {"boot_start", SEV_INFO},     {"ab_state", SEV_INFO},        {"slot_choice", SEV_INFO},
    {"pull_done", SEV_INFO},      {"manifest_verified", SEV_INFO}, {"boot_failed", SEV_ERROR},
    {"uplink_up", SEV_INFO},      {"uplink_down", SEV_WARNING},  {"vm_start", SEV_INFO},
    {"vm_ready", SEV_INFO},       {"vm_exit", SEV_INFO},         {"vm_health", SEV_INFO},
    {"health_failed", SEV_ERROR}, {"build_healthy", SEV_NOTICE}, {"slot_bad", SEV_WARNING},
    {"rollback", SEV_WARNING},    {"commit", SEV_NOTICE},        {"vm_stopped", SEV_INFO},
    {"vm_stats", SEV_INFO},       {"net_stats", SEV_INFO},       {"halt", SEV_INFO},
};

/* Queued lines, each stored as: severity (1 byte), event length (1), event, line length (2,
 * little-endian), line. A ring would let a long boot's late lines push out its first ones; the
 * queue instead keeps the oldest and counts what it drops. */
static uint8_t q[REPORT_QUEUE_BYTES];
static size_t head, tail; /* bytes [head, tail) are queued; reset to 0 when empty */
static uint64_t dropped;
static char host[REPORT_HOST_MAX + 1] = "-";

static int same(const char *a, const char *b) {
  while (*a != '\0' && *a == *b)
    a++, b++;
  return *a == *b;
}

static const struct kept *find(const char *ev) {
  for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++)
    if (same(kept[i].ev, ev))
      return &kept[i];
  return 0;
}

int report_keeps(const char *ev) { return find(ev) != 0; }

static size_t slen(const char *s) {
  size_t n = 0;
  while (s[n] != '\0')
    n++;
  return n;
}

/* Called by log_end under the log's lock with the finished line ("D0 ...\n"). */
static void tap(const char *ev, const char *line, size_t n) {
  const struct kept *k = find(ev);
  if (k == 0)
    return;
  size_t ev_len = slen(ev);
  if (ev_len > EV_MAX)
    ev_len = EV_MAX;
  /* The record holds the logfmt record alone: "D0 " and the newline are the console's. */
  if (n >= 3 && line[0] == 'D' && line[1] == '0' && line[2] == ' ')
    line += 3, n -= 3;
  if (n > 0 && line[n - 1] == '\n')
    n--;
  if (n > REPORT_MSG_MAX)
    n = REPORT_MSG_MAX;
  size_t need = 1 + 1 + ev_len + 2 + n;
  if (need > sizeof q - tail) {
    dropped++;
    return;
  }
  uint8_t *p = q + tail;
  p[0] = (uint8_t)k->severity;
  p[1] = (uint8_t)ev_len;
  for (size_t i = 0; i < ev_len; i++)
    p[2 + i] = (uint8_t)ev[i];
  p[2 + ev_len] = (uint8_t)n;
  p[3 + ev_len] = (uint8_t)(n >> 8);
  for (size_t i = 0; i < n; i++)
    p[4 + ev_len + i] = (uint8_t)line[i];
  tail += need;
}

void report_start(void) {
  head = tail = 0;
  dropped = 0;
  log_add_tap(tap);
}

void report_set_host(const char *h) {
  size_t i = 0;
  for (; h[i] != '\0' && i < REPORT_HOST_MAX; i++)
    host[i] = h[i] > ' ' && h[i] < 0x7f ? h[i] : '_'; /* RFC 5424 HOSTNAME: PRINTUSASCII */
  host[i] = '\0';
  if (i == 0)
    host[0] = '-', host[1] = '\0';
}

static size_t put(char *out, size_t o, size_t cap, const char *s, size_t n) {
  for (size_t i = 0; i < n && o < cap; i++)
    out[o++] = s[i];
  return o;
}

size_t report_peek(char *out, size_t cap) {
  if (head == tail)
    return 0;
  const uint8_t *p = q + head;
  size_t ev_len = p[1];
  const char *ev = (const char *)p + 2;
  size_t n = (size_t)p[2 + ev_len] | ((size_t)p[3 + ev_len] << 8);
  const char *line = (const char *)p + 4 + ev_len;
  char pri[8];
  unsigned v = FACILITY_LOCAL0 * 8 + p[0];
  size_t pl = 0;
  pri[pl++] = '<';
  if (v >= 100)
    pri[pl++] = (char)('0' + v / 100);
  pri[pl++] = (char)('0' + v / 10 % 10);
  pri[pl++] = (char)('0' + v % 10);
  pri[pl++] = '>';
  size_t o = put(out, 0, cap, pri, pl);
  o = put(out, o, cap, "1 - ", 4);
  o = put(out, o, cap, host, slen(host));
  o = put(out, o, cap, " d0 - ", 6);
  o = put(out, o, cap, ev, ev_len);
  o = put(out, o, cap, " - ", 3);
  return put(out, o, cap, line, n);
}

void report_pop(void) {
  if (head == tail)
    return;
  const uint8_t *p = q + head;
  size_t ev_len = p[1];
  size_t n = (size_t)p[2 + ev_len] | ((size_t)p[3 + ev_len] << 8);
  head += 4 + ev_len + n;
  if (head >= tail)
    head = tail = 0;
}

uint64_t report_dropped(void) { return dropped; }
