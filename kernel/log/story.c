#include "log/story.h"

#include "log/log.h"

/* The events of the decision, in the order a boot logs them. */
static const char *const kept[] = {
    "slot_choice", "ab_state",  "manifest_verified", "boot_failed", "vm_exit",  "vm_health",
    "health_failed", "build_healthy", "slot_bad",   "rollback",     "commit",
};

static char text[STORY_BYTES + 64]; /* + the drop line */
static size_t len;
static unsigned long long dropped;

static int same(const char *a, const char *b) {
  while (*a != '\0' && *a == *b)
    a++, b++;
  return *a == *b;
}

int story_keeps(const char *ev) {
  for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++)
    if (same(kept[i], ev))
      return 1;
  return 0;
}

/* Called by log_end, under the log's lock, with the finished line (its '\n' included). */
static void tap(const char *ev, const char *line, size_t n) {
  if (!story_keeps(ev))
    return;
  if (dropped != 0 || n > STORY_BYTES - len) {
    dropped++; /* later lines too: the story is a prefix, never one with holes */
    return;
  }
  for (size_t i = 0; i < n; i++)
    text[len + i] = line[i];
  len += n;
}

void story_start(void) {
  len = 0;
  dropped = 0;
  log_add_tap(tap);
}

/* n in decimal at out; returns the digits written (at most 20). */
static size_t put_dec(char *out, unsigned long long n) {
  char tmp[20];
  size_t k = 0;
  do
    tmp[k++] = (char)('0' + n % 10);
  while ((n /= 10) != 0);
  for (size_t i = 0; i < k; i++)
    out[i] = tmp[k - 1 - i];
  return k;
}

size_t story_text(const char **buf) {
  size_t n = len;
  if (dropped != 0) {
    static const char head[] = "D0 ev=story_dropped lines=";
    for (size_t i = 0; head[i] != '\0'; i++)
      text[n++] = head[i];
    n += put_dec(text + n, dropped);
    text[n++] = '\n';
  }
  *buf = text;
  return n;
}
