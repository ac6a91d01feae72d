/* The logfmt parser; the grammar and the error names are in logfmt.h. Host tools and tests use
 * it (D0 itself only writes), so kernel/Makefile leaves it out of BOOTX64.EFI. */
#include "logfmt.h"

static int hex_digit(unsigned char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

static int fail(struct logfmt_result *r, enum logfmt_error e, size_t at) {
  r->error = e;
  r->error_at = at;
  return -1;
}

/* A quoted value starting at s[*i] == '"'; on success *i is just past the closing quote. */
static int quoted_value(const char *s, size_t n, size_t *i, char *out, size_t *out_len,
                        struct logfmt_result *r) {
  size_t open = *i, p = *i + 1, len = 0;
  for (;;) {
    if (p >= n)
      return fail(r, LOGFMT_UNTERMINATED_QUOTE, open);
    unsigned char c = (unsigned char)s[p];
    if (c == '"')
      break;
    if (c == '\\') {
      unsigned char e = p + 1 < n ? (unsigned char)s[p + 1] : 0;
      if (e == '"' || e == '\\') {
        out[len++] = (char)e;
        p += 2;
        continue;
      }
      int hi = e == 'x' && p + 2 < n ? hex_digit((unsigned char)s[p + 2]) : -1;
      int lo = hi >= 0 && p + 3 < n ? hex_digit((unsigned char)s[p + 3]) : -1;
      if (lo < 0)
        return fail(r, LOGFMT_BAD_ESCAPE, p);
      out[len++] = (char)(hi << 4 | lo);
      p += 4;
      continue;
    }
    if (!logfmt_is_quoted_literal(c))
      return fail(r, LOGFMT_BAD_VALUE, p);
    out[len++] = (char)c;
    p++;
  }
  *i = p + 1;
  *out_len = len;
  return 0;
}

int logfmt_parse(const char *s, size_t n, struct logfmt_field *fields, size_t max_fields, char *values,
                 size_t values_cap, struct logfmt_result *r) {
  r->nfields = 0;
  r->error = LOGFMT_OK;
  r->error_at = 0;
  if (values_cap < n)
    return fail(r, LOGFMT_NO_ROOM, 0);
  size_t i = 0, used = 0;
  while (i < n) {
    /* A pair starts here: at 0, or after exactly one space. */
    if (s[i] == ' ')
      return fail(r, LOGFMT_BAD_SEPARATOR, i);
    size_t key = i;
    while (i < n && logfmt_is_plain((unsigned char)s[i]))
      i++;
    if (i == key)
      return fail(r, LOGFMT_BAD_KEY, i);
    if (i == n || s[i] == ' ')
      return fail(r, LOGFMT_MISSING_EQUALS, i);
    if (s[i] != '=')
      return fail(r, LOGFMT_BAD_KEY, i);
    size_t key_len = i - key;
    i++;
    if (i == n || s[i] == ' ')
      return fail(r, LOGFMT_EMPTY_VALUE, i);
    char *value = values + used;
    size_t value_len = 0;
    if (s[i] == '"') {
      if (quoted_value(s, n, &i, value, &value_len, r) != 0)
        return -1;
      if (i < n && s[i] != ' ')
        return fail(r, LOGFMT_BAD_SEPARATOR, i);
    } else {
      while (i < n && logfmt_is_plain((unsigned char)s[i]))
        value[value_len++] = s[i++];
      if (value_len == 0 || (i < n && s[i] != ' '))
        return fail(r, LOGFMT_BAD_VALUE, i);
    }
    if (r->nfields == max_fields)
      return fail(r, LOGFMT_TOO_MANY_FIELDS, key);
    fields[r->nfields++] = (struct logfmt_field){s + key, key_len, value, value_len};
    used += value_len;
    /* The separator: one space, and a pair must follow it. */
    if (i < n) {
      if (i + 1 == n)
        return fail(r, LOGFMT_BAD_SEPARATOR, i);
      i++;
    }
  }
  return 0;
}

const char *logfmt_error_name(enum logfmt_error e) {
  switch (e) {
  case LOGFMT_OK:
    return "OK";
  case LOGFMT_BAD_KEY:
    return "BAD_KEY";
  case LOGFMT_MISSING_EQUALS:
    return "MISSING_EQUALS";
  case LOGFMT_EMPTY_VALUE:
    return "EMPTY_VALUE";
  case LOGFMT_BAD_VALUE:
    return "BAD_VALUE";
  case LOGFMT_BAD_ESCAPE:
    return "BAD_ESCAPE";
  case LOGFMT_UNTERMINATED_QUOTE:
    return "UNTERMINATED_QUOTE";
  case LOGFMT_BAD_SEPARATOR:
    return "BAD_SEPARATOR";
  case LOGFMT_TOO_MANY_FIELDS:
    return "TOO_MANY_FIELDS";
  case LOGFMT_NO_ROOM:
    return "NO_ROOM";
  }
  return "UNKNOWN";
}
