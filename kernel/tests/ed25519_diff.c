/*
 * Differential check of ed25519_verify against cases generated with @noble/ed25519
 * (test/kernel/ed25519-cases.ts):  ed25519_diff CASES_FILE
 * Each line: CLASS NOBLE EXPECT SIG PUB MSG (hex; "-" for an empty message). Fails if any
 * verdict differs from EXPECT; prints per-class totals and every mismatch.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "unhex.h"
#include "d0/ed25519.h"

#define MAX_MSG 4096
#define MAX_CLASSES 32

struct class_stats {
  char name[32];
  unsigned cases, accepted, mismatches;
};

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s CASES_FILE\n", argv[0]);
    return 2;
  }
  FILE *f = fopen(argv[1], "r");
  if (!f) {
    perror(argv[1]);
    return 2;
  }
  static char line[2 * MAX_MSG + 512];
  static char cls[64], sig_hex[200], pub_hex[100], msg_hex[2 * MAX_MSG + 2];
  static struct class_stats stats[MAX_CLASSES];
  unsigned n_classes = 0, total = 0, lineno = 0;
  while (fgets(line, sizeof line, f)) {
    lineno++;
    int noble, expect;
    uint8_t sig[64], pub[32];
    static uint8_t msg[MAX_MSG];
    if (sscanf(line, "%63s %d %d %199s %99s %8193s", cls, &noble, &expect, sig_hex, pub_hex,
               msg_hex) != 6 ||
        unhex(sig, 64, sig_hex) != 64 || unhex(pub, 32, pub_hex) != 32) {
      CHECK_MSG(false, "line %u is malformed", lineno);
      continue;
    }
    size_t msg_len = strcmp(msg_hex, "-") == 0 ? 0 : unhex(msg, MAX_MSG, msg_hex);
    if (msg_len == (size_t)-1) {
      CHECK_MSG(false, "line %u: bad message", lineno);
      continue;
    }
    struct class_stats *st = NULL;
    for (unsigned i = 0; i < n_classes; i++)
      if (strcmp(stats[i].name, cls) == 0)
        st = &stats[i];
    if (!st && n_classes < MAX_CLASSES) {
      st = &stats[n_classes++];
      snprintf(st->name, sizeof st->name, "%s", cls);
    }
    bool accepted = ed25519_verify(sig, msg, msg_len, pub) == 0;
    total++;
    if (st) {
      st->cases++;
      st->accepted += accepted;
      st->mismatches += accepted != (expect == 1);
    }
    CHECK_MSG(accepted == (expect == 1), "line %u (%s): D0 %s, expected %s (@noble strict %s)",
              lineno, cls, accepted ? "accepts" : "rejects", expect ? "accept" : "reject",
              noble ? "accepts" : "rejects");
  }
  fclose(f);
  for (unsigned i = 0; i < n_classes; i++)
    printf("class %s: %u cases, %u accepted, %u mismatches\n", stats[i].name, stats[i].cases,
           stats[i].accepted, stats[i].mismatches);
  printf("cases: %u\n", total);
  return check_exit("ed25519_diff");
}
