/* The structured console lines: exactly one line per event, `d0-init ev=<event> key=value ...`. */
#ifndef D0_INIT_LOG_H
#define D0_INIT_LOG_H

/* Writes "d0-init " + the formatted text + "\n" in a single write(2) to stdout (the console).
 * Control characters in the text are replaced by '?', so an event is always one line. */
void d0_event(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
