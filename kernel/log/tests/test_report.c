/*
 * Host test of the one-way reports (kernel/log/report.c): the reported events' lines are queued
 * exactly as logged (without "D0 " and the newline), every other line is not (a guest's console
 * line that spells an event is still a console line), each comes out as an RFC 5424 message with
 * the event's severity, the host name and the event as MSGID, in order; a full queue keeps the
 * oldest lines and counts the rest; the story and the reports tap the log side by side.
 * Built and run by test/boot/log.test.ts. Prints "report: N checks, 0 failed".
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "log/log.h"
#include "log/report.h"
#include "log/story.h"
#include "log/tests/capture.h"

static char msg[REPORT_MSG_MAX + 128];

/* The next message, taken off the queue; NULL when none. */
static const char *next(void) {
  size_t n = report_peek(msg, sizeof msg - 1);
  msg[n] = '\0';
  if (n)
    report_pop();
  return n ? msg : NULL;
}

/* CHECK_STR evaluates its argument twice: take the message once. */
#define EXPECT_NEXT(want)                                                                    \
  do {                                                                                       \
    const char *m_ = next();                                                                 \
    CHECK_MSG(m_ != NULL && strcmp(m_, want) == 0, "got %s", m_ ? m_ : "(none)");            \
  } while (0)

int main(void) {
  report_start();
  story_start(); /* both taps at once */
  CHECK(report_peek(msg, sizeof msg) == 0);
  log_begin("boot_start");
  log_end();
  log_begin("console");
  log_str("vm", "web");
  log_str("line", "ev=commit boot=forged");
  log_end();
  log_begin("commit");
  log_str("boot", "0190a000-0000-7000-8000-000000000001");
  log_end();
  log_begin("rollback");
  log_str("reason", "health:exit-nonzero");
  log_end();
  log_begin("boot_failed");
  log_str("reason", "bad signature \"x\"");
  log_end();

  /* Before a host name is known: RFC 5424's NILVALUE. */
  EXPECT_NEXT("<134>1 - - d0 - boot_start - seq=0 ev=boot_start");
  report_set_host("52-54-00-12-34-56");
  EXPECT_NEXT("<133>1 - 52-54-00-12-34-56 d0 - commit - seq=2 ev=commit "
                    "boot=0190a000-0000-7000-8000-000000000001");
  EXPECT_NEXT("<132>1 - 52-54-00-12-34-56 d0 - rollback - seq=3 ev=rollback "
                    "reason=health:exit-nonzero");
  /* Quoted values stay as logged: the collector reads the same logfmt the console shows. */
  EXPECT_NEXT("<131>1 - 52-54-00-12-34-56 d0 - boot_failed - seq=4 ev=boot_failed "
                    "reason=\"bad signature \\\"x\\\"\"");
  CHECK(next() == NULL);
  /* The story kept its own lines meanwhile. */
  const char *story;
  size_t sn = story_text(&story);
  CHECK(sn > 0 && memmem(story, sn, "ev=rollback", 11) != NULL);

  /* A host name with a space or a control byte cannot break the message's fields. */
  report_set_host("a b\x01");
  log_begin("halt");
  log_end();
  EXPECT_NEXT("<134>1 - a_b_ d0 - halt - seq=5 ev=halt");
  report_set_host("52-54-00-12-34-56");

  CHECK(report_keeps("commit") && report_keeps("vm_health") && report_keeps("pull_done"));
  CHECK(!report_keeps("console") && !report_keeps("file_ok") && !report_keeps("commit2"));

  /* Full: the oldest lines stay, later ones are dropped and counted, whole. */
  unsigned logged = 0;
  while (report_dropped() == 0 && logged < 10000) {
    log_begin("vm_health");
    log_str("vm", "web");
    log_u64("n", logged);
    log_end();
    logged++;
  }
  CHECK(report_dropped() == 1);
  CHECK(logged > 200 && logged < 10000);
  unsigned out = 0, in_order = 1;
  for (const char *m; (m = next()) != NULL; out++) {
    char want[32];
    snprintf(want, sizeof want, " n=%u", out);
    if (strstr(m, want) == NULL)
      in_order = 0;
  }
  CHECK_EQ(out, logged - 1);
  CHECK(in_order);
  /* Emptied, the queue takes lines again. */
  log_begin("commit");
  log_end();
  CHECK(next() != NULL);
  return check_exit("report");
}
