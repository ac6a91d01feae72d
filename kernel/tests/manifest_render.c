/*
 * Prints what the C decoder makes of each input, for the TypeScript/C differential test
 * (test/kernel/manifest-diff.test.ts):  manifest_render FILE
 * FILE holds one input per line in hex ("-" for an empty input). For each, the output is the
 * canonical dump, or "error=NAME@OFFSET\n", followed by a line holding only ".".
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "unhex.h"
#include "d0/manifest.h"

static struct d0_manifest manifest;
static char dump[1024 * 1024]; /* as test_manifest.c DUMP_CAP */
static uint8_t input[TLV_MAX_BYTES + 1024];
static char line[2 * sizeof input + 16];

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s FILE\n", argv[0]);
    return 2;
  }
  FILE *f = fopen(argv[1], "r");
  if (!f) {
    perror(argv[1]);
    return 2;
  }
  unsigned n = 0;
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = '\0';
    size_t len = strcmp(line, "-") == 0 ? 0 : unhex(input, sizeof input, line);
    if (len == (size_t)-1) {
      fprintf(stderr, "input %u: bad hex\n", n);
      return 2;
    }
    struct manifest_diag diag;
    int err = manifest_parse_diag(input, len, &manifest, &diag);
    if (err < 0) {
      printf("error=%s@%zu\n", tlv_strerror(err), diag.offset);
    } else if (manifest_dump(&manifest, dump, sizeof dump) == 0) {
      printf("dump did not fit\n");
    } else {
      fputs(dump, stdout);
    }
    puts(".");
    n++;
  }
  fclose(f);
  return 0;
}
