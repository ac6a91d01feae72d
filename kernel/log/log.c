/* The structured boot log; the format contract is in log.h. */
#include "log.h"

static char line[LOG_LINE_MAX + 2];
static size_t line_len;
static int line_truncated;
static uint64_t next_seq;
static char build_uuid[37];
static uint64_t (*clock_ms)(void);

static char ring[LOG_RING_BYTES];
static uint64_t ring_written; /* total bytes ever pushed; ring index = ring_written % size */

static void put_raw(char c) {
  if (line_len < LOG_LINE_MAX)
    line[line_len++] = c;
  else
    line_truncated = 1;
}

static void put_cstr(const char *s) {
  while (*s)
    put_raw(*s++);
}

/* The escaping rule of log.h: values can never contain a separator or a control byte. */
static void put_value_char(char c) {
  unsigned char u = (unsigned char)c;
  put_raw(u > 0x20 && u < 0x7f && c != '=' ? c : '?');
}

static void put_dec(uint64_t v) {
  char digits[20];
  int n = 0;
  do {
    digits[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0)
    put_raw(digits[--n]);
}

static void put_key(const char *key) {
  put_raw(' ');
  put_cstr(key);
  put_raw('=');
}

void log_begin(const char *ev) {
  line_len = 0;
  line_truncated = 0;
  put_cstr("D0 seq=");
  put_dec(next_seq++);
  put_key("ev");
  put_cstr(ev);
}

void log_str(const char *key, const char *val) {
  put_key(key);
  if (val[0] == '\0')
    put_raw('-');
  while (*val)
    put_value_char(*val++);
}

void log_strn(const char *key, const char *val, size_t n) {
  put_key(key);
  if (n == 0)
    put_raw('-');
  for (size_t i = 0; i < n; i++)
    put_value_char(val[i]);
}

void log_u64(const char *key, uint64_t val) {
  put_key(key);
  put_dec(val);
}

void log_hex(const char *key, uint64_t val) {
  static const char hex[] = "0123456789abcdef";
  put_key(key);
  put_cstr("0x");
  int shift = 60;
  while (shift > 0 && ((val >> shift) & 0xf) == 0)
    shift -= 4;
  for (; shift >= 0; shift -= 4)
    put_raw(hex[(val >> shift) & 0xf]);
}

static void ring_push(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    ring[(ring_written + i) % LOG_RING_BYTES] = s[i];
  ring_written += n;
}

void log_end(void) {
  if (clock_ms != NULL)
    log_u64("ms", clock_ms());
  if (build_uuid[0] != '\0')
    log_str("uuid", build_uuid);
  if (line_truncated) {
    /* Make room for the marker so a cut line still says so. */
    line_len = LOG_LINE_MAX - 8;
    line_truncated = 0;
    put_cstr(" trunc=1");
  }
  line[line_len++] = '\n';
  ring_push(line, line_len);
  log_sink_write(line, line_len);
  line_len = 0;
}

void log_set_clock(uint64_t (*clock)(void)) { clock_ms = clock; }

void log_set_uuid(const char *uuid_text) {
  size_t i = 0;
  for (; i < sizeof build_uuid - 1 && uuid_text[i]; i++)
    build_uuid[i] = uuid_text[i];
  build_uuid[i] = '\0';
}

size_t log_ring_copy(char *out, size_t cap) {
  uint64_t avail = ring_written < LOG_RING_BYTES ? ring_written : LOG_RING_BYTES;
  if (avail > cap)
    avail = cap;
  uint64_t start = ring_written - avail;
  for (uint64_t i = 0; i < avail; i++)
    out[i] = ring[(start + i) % LOG_RING_BYTES];
  return (size_t)avail;
}
