/*
 * Host test of D0's logfmt: the writer (log/log.c) and the parser (log/logfmt_parse.c) against
 * the golden lines of test/vectors/logfmt/lines.json, which core/logfmt.ts is tested against too.
 *
 *   - every valid record parses into exactly its fields (keys, value bytes, order);
 *   - every "writer" vector, written field by field through log_begin/log_strn/log_end, comes out
 *     as "D0 " + its record + "\n" byte for byte, and parses back into the same fields;
 *   - every invalid record fails with its error name at its offset;
 *   - C only: a line cut at LOG_LINE_MAX still parses, at every alignment of a \xHH escape; the
 *     field and value-buffer limits.
 *
 * Built and run by test/boot/log.test.ts:
 *   cc -I kernel log/log.c log/logfmt_parse.c log/tests/json.c log/tests/test_logfmt.c
 *   ./test_logfmt test/vectors/logfmt/lines.json
 * Counts checks with test/support/check.h: every failure is named, the exit status says if any.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "log/log.h"
#include "log/logfmt.h"
#include "log/tests/capture.h"
#include "log/tests/json.h"

#define MAX_FIELDS 64


static void check(int ok, const char *what, const char *name) { CHECK_MSG(ok, "%s: %s", what, name); }

static struct logfmt_field fields[MAX_FIELDS];
static char values[1 << 12];

/* Parses rec[0..n) and compares with want (an array of [key, value] pairs). */
static int same_fields(const char *rec, size_t n, const struct json *want) {
  struct logfmt_result r;
  if (logfmt_parse(rec, n, fields, MAX_FIELDS, values, sizeof values, &r) != 0) {
    fprintf(stderr, "  parse error %s at %zu in: %.*s\n", logfmt_error_name(r.error), r.error_at, (int)n, rec);
    return 0;
  }
  if (r.nfields != want->len) {
    fprintf(stderr, "  %zu fields, want %zu\n", r.nfields, want->len);
    return 0;
  }
  for (size_t i = 0; i < r.nfields; i++) {
    const struct json *k = want->items[i]->items[0], *v = want->items[i]->items[1];
    if (fields[i].key_len != k->len || memcmp(fields[i].key, k->str, k->len) != 0 ||
        fields[i].value_len != v->len || memcmp(fields[i].value, v->str, v->len) != 0) {
      fprintf(stderr, "  field %zu: %.*s=<%.*s>, want %s=<%s>\n", i, (int)fields[i].key_len, fields[i].key,
              (int)fields[i].value_len, fields[i].value, k->str, v->str);
      return 0;
    }
  }
  return 1;
}

static void valid_vector(const struct json *v, uint64_t *writer_seq) {
  const char *name = json_get(v, "name")->str;
  const struct json *rec = json_get(v, "record"), *want = json_get(v, "fields");
  check(same_fields(rec->str, rec->len, want), "parses into its fields", name);
  if (!json_get(v, "writer")->number)
    return;

  /* D0's writer: seq is its own counter and ev comes from log_begin; the rest as strings. */
  char seq[24];
  snprintf(seq, sizeof seq, "%llu", (unsigned long long)(*writer_seq)++);
  check(want->len >= 2 && strcmp(want->items[0]->items[0]->str, "seq") == 0 &&
            strcmp(want->items[0]->items[1]->str, seq) == 0 &&
            strcmp(want->items[1]->items[0]->str, "ev") == 0,
        "a writer vector starts with the next seq and ev", name);
  log_begin(want->items[1]->items[1]->str);
  for (size_t i = 2; i < want->len; i++)
    log_strn(want->items[i]->items[0]->str, want->items[i]->items[1]->str, want->items[i]->items[1]->len);
  log_end();
  int same = capture_len == rec->len + 4 && memcmp(capture_buf, "D0 ", 3) == 0 &&
             memcmp(capture_buf + 3, rec->str, rec->len) == 0 && capture_buf[capture_len - 1] == '\n';
  if (!same)
    fprintf(stderr, "  wrote: %.*s  want:  D0 %s\n", (int)capture_len, capture_buf, rec->str);
  check(same, "D0's writer writes it byte for byte", name);
  check(same_fields(capture_buf + 3, capture_len - 4, want), "what D0 wrote parses back", name);
  capture_len = 0;
}

static void invalid_vector(const struct json *v) {
  const char *name = json_get(v, "name")->str;
  const struct json *rec = json_get(v, "record");
  struct logfmt_result r;
  int rc = logfmt_parse(rec->str, rec->len, fields, MAX_FIELDS, values, sizeof values, &r);
  int ok = rc == -1 && strcmp(logfmt_error_name(r.error), json_get(v, "error")->str) == 0 &&
           r.error_at == (size_t)json_get(v, "at")->number;
  if (!ok)
    fprintf(stderr, "  got rc=%d %s at %zu, want %s at %ld\n", rc, logfmt_error_name(r.error), r.error_at,
            json_get(v, "error")->str, json_get(v, "at")->number);
  check(ok, "fails with its error at its offset", name);
}

/* A console line too long for LOG_LINE_MAX, cut at every alignment of its escapes: the cut line
 * ends with trunc=1, fits, and parses, its value a prefix of what was written. */
static void cut_lines(void) {
  char text[600];
  for (size_t i = 0; i < sizeof text; i++)
    text[i] = i % 3 == 0 ? '\x01' : i % 3 == 1 ? ' ' : 'a';
  for (size_t shift = 0; shift < 8; shift++) {
    log_begin("console");
    log_str("vm", "web");
    log_strn("line", text + shift, sizeof text - shift);
    log_end();
    struct logfmt_result r;
    int parsed = logfmt_parse(capture_buf + 3, capture_len - 4, fields, MAX_FIELDS, values, sizeof values, &r) == 0;
    const struct logfmt_field *line = parsed && r.nfields == 5 ? &fields[3] : NULL;
    check(capture_len <= LOG_LINE_MAX + 1 && capture_len > LOG_LINE_MAX - 12 && parsed && line != NULL &&
              strncmp(fields[4].key, "trunc", 5) == 0 && fields[4].value_len == 1 && fields[4].value[0] == '1' &&
              line->value_len > 100 && memcmp(line->value, text + shift, line->value_len) == 0,
          "a cut line closes its quote, ends with trunc=1 and parses", "each escape alignment");
    capture_len = 0;
  }
}

static void limits(void) {
  struct logfmt_result r;
  const char *rec = "a=1 b=2 c=3";
  check(logfmt_parse(rec, strlen(rec), fields, 2, values, sizeof values, &r) == -1 &&
            r.error == LOGFMT_TOO_MANY_FIELDS && r.error_at == 8 && r.nfields == 2,
        "more pairs than room", "TOO_MANY_FIELDS at the third key");
  check(logfmt_parse(rec, strlen(rec), fields, MAX_FIELDS, values, 3, &r) == -1 && r.error == LOGFMT_NO_ROOM,
        "a value buffer shorter than the record", "NO_ROOM");
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s test/vectors/logfmt/lines.json\n", argv[0]);
    return 2;
  }
  FILE *f = fopen(argv[1], "rb");
  if (f == NULL) {
    perror(argv[1]);
    return 2;
  }
  static char text[1 << 20];
  size_t n = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[n] = '\0';
  static struct json *doc; /* static: reachable until exit, so LeakSanitizer stays quiet */
  doc = json_parse(text, n, argv[1]);
  const struct json *valid = json_get(doc, "valid"), *invalid = json_get(doc, "invalid");
  if (valid == NULL || invalid == NULL || valid->len == 0 || invalid->len == 0) {
    fprintf(stderr, "%s: no \"valid\" or \"invalid\" vectors\n", argv[1]);
    return 2;
  }
  uint64_t writer_seq = 0;
  for (size_t i = 0; i < valid->len; i++)
    valid_vector(valid->items[i], &writer_seq);
  for (size_t i = 0; i < invalid->len; i++)
    invalid_vector(invalid->items[i]);
  cut_lines();
  limits();
  printf("vectors: %zu valid (%llu written by D0), %zu invalid\n", valid->len, (unsigned long long)writer_seq,
         invalid->len);
  return check_exit("logfmt");
}
