/*
 * Host test of the boot log's lock (kernel/log/log.c: one line at a time across CPUs): THREADS
 * threads each log LINES events as fast as they can, the way D0's CPUs share COM1. The sink
 * checks that every line arrives whole, with seq counting up without a gap or repeat, and that
 * each thread's own lines arrive in its order. With the argument "deferred" the sink is deferred
 * (log_defer_sink) and one more thread drains it in small budgets meanwhile, as D0's BSP does:
 * the sink then gets the byte stream in pieces and puts the lines back together. Run under TSan
 * by test/boot/log.test.ts, which also reports any access to the log's state outside its locks.
 *   cc -fsanitize=thread -pthread -I kernel log/log.c log/tests/test_log_smp.c [deferred]
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
/* Deferred: a full queue drops whole lines (counted), so seq and each thread's index may skip
 * ahead, never back; the drops are what is missing. */
static int gaps_allowed;

static void check_line(const char *s, size_t n);

/* Called under the log's lock (log_end) or by the one drainer: touches its state without a lock
 * of its own. Direct: one whole line per call; deferred: any piece of the stream. */
static char pending[LOG_LINE_MAX + 2];
static size_t pending_len;
void log_sink_write(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (pending_len < sizeof pending)
      pending[pending_len] = s[i];
    pending_len++;
    if (s[i] == '\n') {
      check_line(pending, pending_len <= sizeof pending ? pending_len : 0);
      pending_len = 0;
    }
  }
}

static void check_line(const char *s, size_t n) {
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
      (size_t)consumed != n || thread < 0 || thread >= THREADS ||
      (gaps_allowed ? seq < next_seq_seen || index < next_index[thread]
                    : seq != next_seq_seen || index != next_index[thread])) {
    if (bad_lines++ < 5)
      fprintf(stderr, "bad line (want seq %llu): %s", next_seq_seen, buf);
  } else {
    next_index[thread] = index + 1;
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

static volatile int writers_done;

static void *drainer(void *arg) {
  (void)arg;
  while (!__atomic_load_n(&writers_done, __ATOMIC_ACQUIRE))
    log_drain(300);
  return NULL;
}

int main(int argc, char **argv) {
  int deferred = argc > 1 && strcmp(argv[1], "deferred") == 0;
  pthread_t th[THREADS], drain;
  if (deferred) {
    gaps_allowed = 1;
    log_defer_sink(1);
    CHECK(pthread_create(&drain, NULL, drainer, NULL) == 0);
  }
  for (long t = 0; t < THREADS; t++)
    CHECK(pthread_create(&th[t], NULL, writer, (void *)t) == 0);
  for (int t = 0; t < THREADS; t++)
    CHECK(pthread_join(th[t], NULL) == 0);
  if (deferred) {
    __atomic_store_n(&writers_done, 1, __ATOMIC_RELEASE);
    CHECK(pthread_join(drain, NULL) == 0);
    log_defer_sink(0); /* the rest */
    CHECK(pending_len == 0);
    printf("deferred: %lu lines through the sink, %llu dropped while the queue was full\n",
           sink_lines, (unsigned long long)log_sink_dropped());
  }
  CHECK_MSG(sink_lines + log_sink_dropped() == THREADS * LINES, "lines written: %lu + %llu dropped of %d",
            sink_lines, (unsigned long long)log_sink_dropped(), THREADS * LINES);
  CHECK_MSG(bad_lines == 0, "%lu lines torn, out of order or with a seq gap", bad_lines);
  for (int t = 0; t < THREADS && !gaps_allowed; t++)
    CHECK_MSG(next_index[t] == LINES, "thread %d: %ld of %d lines in order", t, next_index[t], LINES);
  return check_exit("log_smp");
}
