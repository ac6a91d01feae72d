/* The minimal JSON reader of json.h. Memory is never freed: a test reads one small file. */
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct reader {
  const char *s;
  size_t n, i;
  const char *what;
};

static void die(const struct reader *r, const char *why) {
  fprintf(stderr, "%s: offset %zu: %s\n", r->what, r->i, why);
  exit(2);
}

static void skip_ws(struct reader *r) {
  while (r->i < r->n && (r->s[r->i] == ' ' || r->s[r->i] == '\n' || r->s[r->i] == '\r' || r->s[r->i] == '\t'))
    r->i++;
}

static int peek(struct reader *r) {
  skip_ws(r);
  return r->i < r->n ? (unsigned char)r->s[r->i] : -1;
}

static void expect(struct reader *r, char c) {
  if (peek(r) != (unsigned char)c)
    die(r, "unexpected byte");
  r->i++;
}

static struct json *node(enum json_type t) {
  struct json *j = calloc(1, sizeof *j);
  if (j == NULL)
    abort();
  j->type = t;
  return j;
}

static int hex4(struct reader *r) {
  if (r->i + 4 > r->n)
    die(r, "short \\u escape");
  int v = 0;
  for (int k = 0; k < 4; k++) {
    char c = r->s[r->i++];
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (d < 0)
      die(r, "bad \\u escape");
    v = v * 16 + d;
  }
  return v;
}

static char *string(struct reader *r, size_t *len) {
  expect(r, '"');
  char *out = malloc(r->n - r->i + 1); /* decoded is never longer than the rest of the text */
  size_t k = 0;
  for (;;) {
    if (r->i >= r->n)
      die(r, "unterminated string");
    char c = r->s[r->i++];
    if (c == '"')
      break;
    if (c != '\\') {
      out[k++] = c;
      continue;
    }
    if (r->i >= r->n)
      die(r, "unterminated escape");
    char e = r->s[r->i++];
    const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
    const char *at = strchr(from, e);
    if (e == 'u') {
      int v = hex4(r);
      if (v > 0xff)
        die(r, "\\u escape above 0xff: the vectors are byte strings");
      out[k++] = (char)v;
    } else if (e != '\0' && at != NULL) {
      out[k++] = to[at - from];
    } else {
      die(r, "bad escape");
    }
  }
  out[k] = '\0';
  *len = k;
  return out;
}

static struct json *value(struct reader *r);

static void push(struct json *j, struct json *item, char *key) {
  j->items = realloc(j->items, (j->len + 1) * sizeof *j->items);
  j->keys = realloc(j->keys, (j->len + 1) * sizeof *j->keys);
  j->items[j->len] = item;
  j->keys[j->len] = key;
  j->len++;
}

static struct json *container(struct reader *r, char open, char close, enum json_type t) {
  struct json *j = node(t);
  expect(r, open);
  if (peek(r) == (unsigned char)close) {
    r->i++;
    return j;
  }
  for (;;) {
    char *key = NULL;
    if (t == JSON_OBJECT) {
      size_t klen;
      key = string(r, &klen);
      expect(r, ':');
    }
    push(j, value(r), key);
    int c = peek(r);
    r->i++;
    if (c == (unsigned char)close)
      return j;
    if (c != ',')
      die(r, "expected ',' or the end of a list");
  }
}

static int word(struct reader *r, const char *w) {
  size_t n = strlen(w);
  if (r->i + n <= r->n && memcmp(r->s + r->i, w, n) == 0) {
    r->i += n;
    return 1;
  }
  return 0;
}

static struct json *value(struct reader *r) {
  int c = peek(r);
  if (c == '{')
    return container(r, '{', '}', JSON_OBJECT);
  if (c == '[')
    return container(r, '[', ']', JSON_ARRAY);
  if (c == '"') {
    struct json *j = node(JSON_STRING);
    j->str = string(r, &j->len);
    return j;
  }
  if (word(r, "true") || word(r, "false")) {
    struct json *j = node(JSON_BOOL);
    j->number = r->s[r->i - 1] == 'e' && r->s[r->i - 2] == 'u';
    return j;
  }
  if (word(r, "null"))
    return node(JSON_NULL);
  if (c == '-' || (c >= '0' && c <= '9')) {
    struct json *j = node(JSON_NUMBER);
    char *end;
    j->number = strtol(r->s + r->i, &end, 10);
    r->i = (size_t)(end - r->s);
    return j;
  }
  die(r, "expected a value");
  return NULL;
}

struct json *json_parse(const char *text, size_t n, const char *what) {
  struct reader r = {text, n, 0, what};
  struct json *j = value(&r);
  if (peek(&r) != -1)
    die(&r, "text after the value");
  return j;
}

const struct json *json_get(const struct json *obj, const char *key) {
  if (obj == NULL || obj->type != JSON_OBJECT)
    return NULL;
  for (size_t i = 0; i < obj->len; i++)
    if (strcmp(obj->keys[i], key) == 0)
      return obj->items[i];
  return NULL;
}
