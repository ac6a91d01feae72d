/* The structured console lines: exactly one line per event, `d0-init ` and a logfmt record
 * (kernel/log/logfmt.h: the same format as D0's own log), `d0-init ev=<event> key=value ...`. */
#ifndef D0_INIT_LOG_H
#define D0_INIT_LOG_H

#include <stddef.h>

/* Writes "d0-init " + the formatted text + "\n" in a single write(2) to stdout (the console).
 * Control characters in the text are replaced by '?', so an event is always one line. */
void d0_event(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A value for an event line: v itself when every byte is printable ASCII other than space, '=',
 * '"' and '\', else v quoted into buf: "..." with \" and \\ escapes and every other byte as \xHH
 * (lowercase); an empty v is "". A value too long for buf (cap >= 3) is cut between two encoded
 * bytes and its quote closed, so the line still parses. Returns v or buf. */
const char *d0_logfmt_value(const char *v, char *buf, size_t cap);

#endif
