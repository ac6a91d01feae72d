/*
 * Host test of the last boot's story (kernel/log/story.c): the decision's lines are kept exactly
 * as logged, every other line is not, a story that no longer fits stays a prefix and ends with a
 * drop line counting what was cut, and story_start begins a new one.
 * Built and run by test/boot/log.test.ts. Prints "story: N checks, 0 failed".
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "log/log.h"
#include "log/story.h"
#include "log/tests/capture.h"

static const char *story(void) {
  static char out[STORY_BYTES + 128];
  const char *text;
  size_t n = story_text(&text);
  memcpy(out, text, n);
  out[n] = '\0';
  return out;
}

int main(void) {
  story_start();
  log_begin("boot_start");
  log_end();
  log_begin("slot_choice");
  log_str("role", "trial");
  log_end();
  log_begin("console");
  log_str("line", "ev=commit forged");
  log_end();
  log_begin("vm_health");
  log_str("vm", "web");
  log_str("verdict", "failed");
  log_str("reason", "exit-nonzero");
  log_end();
  log_begin("rollback");
  log_str("reason", "health:exit-nonzero");
  log_end();
  capture_take();
  CHECK_STR(story(), "D0 seq=1 ev=slot_choice role=trial\n"
                     "D0 seq=3 ev=vm_health vm=web verdict=failed reason=exit-nonzero\n"
                     "D0 seq=4 ev=rollback reason=health:exit-nonzero\n");
  CHECK(story_keeps("commit") && story_keeps("slot_bad") && !story_keeps("console"));
  CHECK(!story_keeps("vm_health_x") && !story_keeps("vm_"));

  /* Lines past STORY_BYTES: the story is the prefix that fits, then the drop line. */
  story_start();
  CHECK_STR(story(), "");
  char name[64];
  int logged = 0;
  for (; logged < 100; logged++) {
    snprintf(name, sizeof name, "vm%02d-with-a-long-enough-name-to-fill-the-story", logged);
    log_begin("vm_health");
    log_str("vm", name);
    log_str("verdict", "healthy");
    log_end();
  }
  log_begin("commit"); /* the decision itself is cut too: the count says a line is missing */
  log_end();
  capture_take();
  const char *s = story();
  const char *drop = strstr(s, "D0 ev=story_dropped lines=");
  CHECK(drop != NULL);
  size_t kept_bytes = (size_t)(drop - s);
  CHECK(kept_bytes <= STORY_BYTES && kept_bytes > STORY_BYTES - 200);
  CHECK(kept_bytes > 0 && s[kept_bytes - 1] == '\n'); /* whole lines only */
  int kept = 0;
  for (const char *p = s; p < drop; p++)
    kept += *p == '\n';
  int dropped = 0;
  CHECK(sscanf(drop, "D0 ev=story_dropped lines=%d\n", &dropped) == 1);
  CHECK_EQ(kept + dropped, logged + 1);
  CHECK(strstr(s, "ev=commit") == NULL);
  CHECK_EQ(strlen(drop), strlen("D0 ev=story_dropped lines=\n") + (dropped >= 10 ? 2 : 1));

  /* A new story forgets the old one, drop count included. */
  story_start();
  log_begin("commit");
  log_str("boot", "u1");
  log_end();
  capture_take();
  CHECK_STR(story(), "D0 seq=106 ev=commit boot=u1\n");
  return check_exit("story");
}
