/*
 * D0's structured boot log. One event per line, plain ASCII, parseable by the test harness
 * (test/support/events.ts) and by whoever reads the host's serial console:
 *
 *   D0 seq=<n> ev=<name> key=value key=value ... [ms=<since D0 started>] [uuid=<build uuid>]
 *
 * After "D0 " a line is one logfmt record (logfmt.h). seq counts events from 0 and has no gaps,
 * so a lost line is visible. Once log_set_uuid() has been called, every later event ends with
 * uuid=<UUIDv7 of the verified build>. A value is written as is when every byte is plain
 * (printable ASCII other than space, '=', '"' and '\'), and otherwise quoted: "..." with \" and
 * \\ escapes, and every byte outside printable ASCII as \xHH. An empty value is "". So a line is
 * printable ASCII, one event per line, and a manifest-, disk- or guest-supplied string can never
 * forge a key or a second event; core/logfmt.ts and logfmt_parse.c read it back exactly.
 *
 * Each finished line goes to the platform sink (log_sink_write, provided by boot/efi: the COM1
 * UART) and to an in-memory ring of the last LOG_RING_BYTES bytes, which a later stage can hand to
 * the health/rollback logic or dump after a failure.
 *
 * Usage: log_begin("ev"); log_str("k", v); log_u64("n", 3); log_end();
 * Lines longer than LOG_LINE_MAX are cut and end with "trunc=1": at a field boundary or between
 * two encoded bytes of a value, whose quote is then closed, so a cut line still parses.
 */
#ifndef D0_LOG_H
#define D0_LOG_H

#include <stddef.h>
#include <stdint.h>

#define LOG_LINE_MAX 480
#define LOG_RING_BYTES 8192
#define LOG_SINK_QUEUE_BYTES 65536

void log_begin(const char *ev);
void log_str(const char *key, const char *val);
void log_strn(const char *key, const char *val, size_t n);
void log_u64(const char *key, uint64_t val);
void log_hex(const char *key, uint64_t val);
void log_end(void);

/* Once set, every later event ends with ms=<clock()> (before uuid=): milliseconds since D0
 * started, from the platform's calibrated clock (boot/efi/clock.c). */
void log_set_clock(uint64_t (*clock_ms)(void));

/* Once added, log_end also hands every finished line (its '\n' included) and its event name to
 * the tap, under the log's lock: a tap must not log. Taps: the boot's story (log/story.h) and
 * its reports (log/report.h). Adding one twice is a no-op; -1 when LOG_TAPS_MAX are taken. */
#define LOG_TAPS_MAX 2
typedef void log_tap_fn(const char *ev, const char *line, size_t n);
int log_add_tap(log_tap_fn *tap);

/* uuid_text is the canonical 36-character text; copied. */
void log_set_uuid(const char *uuid_text);

/* Copies the ring's contents, oldest byte first, into out; returns the number of bytes copied. */
size_t log_ring_copy(char *out, size_t cap);

/*
 * Deferred sink. While on, log_end only queues a finished line for the sink (up to
 * LOG_SINK_QUEUE_BYTES; a line that does not fit is dropped whole and counted, its seq missing)
 * and log_drain writes queued bytes to it later, outside the log's lock and whatever lock the
 * caller held while logging: D0's CPUs run with the log lock held only for a copy, and the
 * UART's pace (a 115200-baud line takes ~13 ms) is paid by the one CPU that drains
 * (boot/efi/run_vms.c: the BSP, between rounds, outside d0_lock, while VMs run on more than one
 * CPU). Turning it off writes everything
 * queued first; then each line goes out in log_end again. Off at start.
 */
void log_defer_sink(int on);

/* Writes queued bytes, oldest first, at most max_bytes (whole lines and parts of one: the byte
 * stream stays in order); returns how many. One drainer at a time: 0 while another CPU drains. */
size_t log_drain(size_t max_bytes);

/* Lines dropped because the queue was full (0 while the drainer keeps up). */
uint64_t log_sink_dropped(void);

/* Provided by the platform (boot/efi/uart.c): writes n bytes to the console. Must not log. */
void log_sink_write(const char *s, size_t n);

#endif
