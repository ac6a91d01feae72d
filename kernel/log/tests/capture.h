/*
 * The log's sink for host tests: log_sink_write() (what D0 sends to COM1) appends to a buffer
 * the test reads back. One definition, linked by each log test (capture.c).
 */
#ifndef D0_LOG_TESTS_CAPTURE_H
#define D0_LOG_TESTS_CAPTURE_H

#include <stddef.h>

#define CAPTURE_BYTES (1 << 16)

extern char capture_buf[CAPTURE_BYTES];
extern size_t capture_len;

/* The text written since the last call, NUL-terminated; empties the buffer. */
const char *capture_take(void);

#endif
