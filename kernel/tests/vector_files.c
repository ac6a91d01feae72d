#include "vector_files.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

uint8_t *vector_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  size_t cap = 1 << 16, n = 0;
  uint8_t *buf = malloc(cap);
  for (;;) {
    if (n == cap)
      buf = realloc(buf, cap *= 2);
    size_t got = fread(buf + n, 1, cap - n, f);
    if (got == 0)
      break;
    n += got;
  }
  fclose(f);
  *len = n;
  return buf;
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

unsigned vector_names(const char *dir, char *names[], unsigned cap) {
  DIR *d = opendir(dir);
  if (!d) {
    CHECK_MSG(0, "cannot open %s", dir);
    return 0;
  }
  unsigned n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL && n < cap) {
    size_t l = strlen(e->d_name);
    if (l > 4 && strcmp(e->d_name + l - 4, ".tlv") == 0)
      names[n++] = strndup(e->d_name, l - 4);
  }
  closedir(d);
  qsort(names, n, sizeof names[0], by_name);
  return n;
}
