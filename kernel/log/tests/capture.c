#include "log/tests/capture.h"

#include <stdlib.h>
#include <string.h>

#include "log/log.h"

char capture_buf[CAPTURE_BYTES];
size_t capture_len;

void log_sink_write(const char *s, size_t n) {
  if (capture_len + n > sizeof capture_buf)
    abort(); /* a test that writes this much is broken: stop under the sanitizers */
  memcpy(capture_buf + capture_len, s, n);
  capture_len += n;
}

const char *capture_take(void) {
  static char out[CAPTURE_BYTES + 1];
  memcpy(out, capture_buf, capture_len);
  out[capture_len] = '\0';
  capture_len = 0;
  return out;
}
