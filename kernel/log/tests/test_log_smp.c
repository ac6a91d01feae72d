/*
 * Host test of the boot log's lock (kernel/log/log.c: one line at a time across CPUs): THREADS
 * threads each log LINES events as fast as they can, the way D0's CPUs share COM1. The sink
 * (called under the lock) checks that every line arrives whole, with seq counting up without a
 * gap or repeat, and that each thread's own lines arrive in its order. Run under TSan by
 * test/boot/log.test.ts, which also reports any access to the log's state outside the lock.
 *   cc -fsanitize=thread -pthread -I kernel log/log.c log/tests/test_log_smp.c
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "log/log.h"

#define THREADS 4
#define LINES 5000

static unsigned long long next_seq_seen;
static long next_index[THREADS];
static unsigned long bad_lines, sink_lines;

/* Called with the lock held (log_end): touches its counters without one of its own. */
void log_sink_write(const char *s, size_t n) {
  char buf[LOG_LINE_MAX + 2];
  unsigned long long seq;
  int thread, consumed = 0;
  long index;
  sink_lines++;
  if (n == 0 || n > LOG_LINE_MAX + 1 || s[n - 1] != '\n') {
    bad_lines++;
    return;
  }
  memcpy(buf, s, n);
  buf[n] = '\0';
  if (sscanf(buf, "D0 seq=%llu ev=smp t=%d i=%ld pad=%*[x]\n%n", &seq, &thread, &index,
             &consumed) != 3 ||
      (size_t)consumed != n || seq != next_seq_seen || thread < 0 || thread >= THREADS ||
      index != next_index[thread]) {
    if (bad_lines++ < 5)
      fprintf(stderr, "bad line (want seq %llu): %s", next_seq_seen, buf);
  } else {
    next_index[thread]++;
  }
  next_seq_seen = seq + 1;
}

static void *writer(void *arg) {
  int t = (int)(long)arg;
  for (long i = 0; i < LINES; i++) {
    log_begin("smp");
    log_u64("t", (uint64_t)t);
    log_u64("i", (uint64_t)i);
    log_str("pad", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    log_end();
  }
  return NULL;
}

int main(void) {
  pthread_t th[THREADS];
  for (long t = 0; t < THREADS; t++)
    CHECK(pthread_create(&th[t], NULL, writer, (void *)t) == 0);
  for (int t = 0; t < THREADS; t++)
    CHECK(pthread_join(th[t], NULL) == 0);
  CHECK_MSG(sink_lines == THREADS * LINES, "lines written: %lu of %d", sink_lines, THREADS * LINES);
  CHECK_MSG(bad_lines == 0, "%lu lines torn, out of order or with a seq gap", bad_lines);
  for (int t = 0; t < THREADS; t++)
    CHECK_MSG(next_index[t] == LINES, "thread %d: %ld of %d lines in order", t, next_index[t], LINES);
  return check_exit("log_smp");
}
