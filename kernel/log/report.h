/*
 * One-way reports: the events a site's collector needs to follow a host (which build it chose
 * and why, the pull, the verification, each VM's start, health and exit, the commit or the
 * rollback with its reason, the counters at a halt), sent as RFC 5424 syslog messages over UDP
 * (RFC 5426) to the collector the manifest names (report.collector_ip4/port). D0 never listens
 * for anything in return: a report is a datagram, nothing more (docs/fleet.md "Reports").
 *
 * The lines are captured as they are logged (a tap on log_end, like the story's) into a bounded
 * queue, from the start of the boot; the uplink sends them once it is up (boot/efi/uplink.c), so
 * the events of stage 1 go out after the take-over, in order. A line that no longer fits is
 * dropped and counted (the queue keeps the oldest: the choice and the verification come first).
 * Pure code: host-tested by kernel/log/tests/test_report.c.
 *
 * A message: <PRI>1 - HOST d0 - EVENT - MSG
 *   PRI   facility local0 (16) * 8 + severity: 3 error (boot_failed, health_failed), 4 warning
 *         (rollback, slot_bad, uplink_down), 5 notice (commit, build_healthy), 6 info (the rest)
 *   -     no timestamp: D0 has no trusted clock (the collector stamps the arrival)
 *   HOST  the host's name: its uplink NIC's MAC, lowercase, '-'-separated (as update servers
 *         name its pointer)
 *   EVENT the event name (MSGID, at most 32 printable characters)
 *   MSG   the log line as logged, without "D0 " and its newline: one logfmt record (log.h)
 */
#ifndef D0_LOG_REPORT_H
#define D0_LOG_REPORT_H

#include <stddef.h>
#include <stdint.h>

#define REPORT_QUEUE_BYTES 16384
/* RFC 5426: a receiver must take 480 octets and should take 2048; D0's lines are <= 480. */
#define REPORT_MSG_MAX 1024
#define REPORT_HOST_MAX 17

/* Starts capturing (an empty queue; the tap is added to the log). */
void report_start(void);

/* Whether lines of event `ev` are reported. */
int report_keeps(const char *ev);

/* The HOSTNAME of later messages (copied; at most REPORT_HOST_MAX printable characters). */
void report_set_host(const char *host);

/* The oldest queued line as a message in out (at most cap bytes); its length, 0 when the queue
 * is empty. The line stays queued until report_pop(). */
size_t report_peek(char *out, size_t cap);
void report_pop(void);

/* Lines dropped because the queue was full. */
uint64_t report_dropped(void);

#endif
