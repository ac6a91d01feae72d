/* The structured boot log; the format contract is in log.h. */
#include "log.h"
#include "logfmt.h"

/* One line at a time across CPUs: log_begin takes this spinlock and log_end releases it, so the
 * line buffer, seq, the ring and the sink (COM1) are only ever touched by the CPU holding it.
 * Not re-entrant: a CPU must not log from inside its own log_begin..log_end (nothing does; an
 * exception there would spin, and the CPU halts anyway). */
static volatile char line_lock;

static char line[LOG_LINE_MAX + 2];
static size_t line_len;
static int line_truncated;
static uint64_t next_seq;
static char build_uuid[37];
static uint64_t (*clock_ms)(void);
static const char *line_ev; /* the event of the line being written, for the tap */
static log_tap_fn *line_taps[LOG_TAPS_MAX];

/* Where the line ends if it turns out too long: the last point (between fields, or between two
 * encoded bytes of a value) after which a closing quote (when inside one) and TRUNC_MARK still
 * fit. A cut line therefore still parses (logfmt.h) and ends with TRUNC_MARK. */
#define TRUNC_MARK " trunc=1"
#define TRUNC_MARK_LEN (sizeof TRUNC_MARK - 1)
static size_t cut_len;
static int cut_in_quotes;

/* The deferred sink's queue (log_defer_sink): bytes [sink_head, sink_tail) of the stream of
 * queued lines, index % LOG_SINK_QUEUE_BYTES. The tail moves under line_lock; the head too, by
 * the one drainer (drain_lock), which writes to the sink outside line_lock. */
static char sink_queue[LOG_SINK_QUEUE_BYTES];
static uint64_t sink_head, sink_tail, sink_dropped;
static int sink_deferred;
static volatile char drain_lock;

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

static void mark_cut(int in_quotes) {
  if (!line_truncated && line_len + (in_quotes ? 1 : 0) + TRUNC_MARK_LEN <= LOG_LINE_MAX) {
    cut_len = line_len;
    cut_in_quotes = in_quotes;
  }
}

/* A value by the rule of logfmt.h: as is when every byte is plain, else quoted and escaped. */
static void put_value(const char *val, size_t n) {
  static const char hex[] = "0123456789abcdef";
  int quote = n == 0;
  for (size_t i = 0; i < n && !quote; i++)
    quote = !logfmt_is_plain((unsigned char)val[i]);
  if (!quote) {
    for (size_t i = 0; i < n; i++) {
      put_raw(val[i]);
      mark_cut(0);
    }
    return;
  }
  put_raw('"');
  mark_cut(1);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)val[i];
    if (logfmt_is_quoted_literal(c)) {
      put_raw((char)c);
    } else if (c == '"' || c == '\\') {
      put_raw('\\');
      put_raw((char)c);
    } else {
      put_raw('\\');
      put_raw('x');
      put_raw(hex[c >> 4]);
      put_raw(hex[c & 15]);
    }
    mark_cut(1);
  }
  put_raw('"');
  mark_cut(0);
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

static void line_lock_take(void);

void log_begin(const char *ev) {
  line_lock_take();
  line_len = 0;
  line_truncated = 0;
  cut_len = 0;
  cut_in_quotes = 0;
  put_cstr("D0 seq=");
  put_dec(next_seq++);
  put_key("ev");
  put_cstr(ev);
  line_ev = ev;
  mark_cut(0);
}

void log_str(const char *key, const char *val) {
  size_t n = 0;
  while (val[n])
    n++;
  log_strn(key, val, n);
}

void log_strn(const char *key, const char *val, size_t n) {
  put_key(key);
  put_value(val, n);
}

void log_u64(const char *key, uint64_t val) {
  put_key(key);
  put_dec(val);
  mark_cut(0);
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
  mark_cut(0);
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
    /* Back to the last cut point, close the value it is in, and say so. */
    line_len = cut_len;
    line_truncated = 0;
    if (cut_in_quotes)
      put_raw('"');
    put_cstr(TRUNC_MARK);
  }
  line[line_len++] = '\n';
  ring_push(line, line_len);
  if (!sink_deferred)
    log_sink_write(line, line_len);
  else if (sink_tail - sink_head + line_len > LOG_SINK_QUEUE_BYTES)
    sink_dropped++;
  else
    for (size_t i = 0; i < line_len; i++)
      sink_queue[(sink_tail++) % LOG_SINK_QUEUE_BYTES] = line[i];
  for (size_t i = 0; i < LOG_TAPS_MAX; i++)
    if (line_taps[i] != NULL)
      line_taps[i](line_ev, line, line_len);
  line_len = 0;
  __atomic_clear(&line_lock, __ATOMIC_RELEASE);
}

static void line_lock_take(void) {
  while (__atomic_test_and_set(&line_lock, __ATOMIC_ACQUIRE))
    while (__atomic_load_n(&line_lock, __ATOMIC_RELAXED))
      __builtin_ia32_pause();
}

/* Moves up to cap queued bytes, oldest first, into out (line_lock held); returns how many. The
 * space is free for new lines once copied out. */
static size_t queue_take(char *out, size_t cap) {
  size_t n = 0;
  while (n < cap && sink_head < sink_tail)
    out[n++] = sink_queue[(sink_head++) % LOG_SINK_QUEUE_BYTES];
  return n;
}

size_t log_drain(size_t max_bytes) {
  if (__atomic_test_and_set(&drain_lock, __ATOMIC_ACQUIRE))
    return 0;
  size_t done = 0;
  char chunk[256];
  while (done < max_bytes) {
    line_lock_take();
    size_t n = queue_take(chunk, max_bytes - done < sizeof chunk ? max_bytes - done : sizeof chunk);
    __atomic_clear(&line_lock, __ATOMIC_RELEASE);
    if (n == 0)
      break;
    log_sink_write(chunk, n);
    done += n;
  }
  __atomic_clear(&drain_lock, __ATOMIC_RELEASE);
  return done;
}

void log_defer_sink(int on) {
  /* Both locks: no drainer is between copying bytes out and writing them, and no line is
   * queued meanwhile, so what is queued goes out first and in order. */
  while (__atomic_test_and_set(&drain_lock, __ATOMIC_ACQUIRE))
    __builtin_ia32_pause();
  line_lock_take();
  char chunk[256];
  for (size_t n; (n = queue_take(chunk, sizeof chunk)) != 0;)
    log_sink_write(chunk, n);
  sink_deferred = on;
  __atomic_clear(&line_lock, __ATOMIC_RELEASE);
  __atomic_clear(&drain_lock, __ATOMIC_RELEASE);
}

uint64_t log_sink_dropped(void) { return sink_dropped; }

void log_set_clock(uint64_t (*clock)(void)) { clock_ms = clock; }

int log_add_tap(log_tap_fn *tap) {
  for (size_t i = 0; i < LOG_TAPS_MAX; i++)
    if (line_taps[i] == tap)
      return 0;
  for (size_t i = 0; i < LOG_TAPS_MAX; i++)
    if (line_taps[i] == NULL) {
      line_taps[i] = tap;
      return 0;
    }
  return -1;
}

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
