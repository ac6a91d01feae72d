/*
 * A minimal JSON reader for the golden vectors (test/vectors/logfmt/lines.json): objects, arrays,
 * strings, integers, true/false/null. A string is a byte string: "\u00XX" is the byte XX (the
 * vectors write bytes >= 0x80 that way), and any escape above \u00ff is refused. Host tests only;
 * any malformed input aborts with the offset.
 */
#ifndef D0_LOG_TESTS_JSON_H
#define D0_LOG_TESTS_JSON_H

#include <stddef.h>

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json {
  enum json_type type;
  long number;         /* JSON_NUMBER, JSON_BOOL (0/1) */
  char *str;           /* JSON_STRING: the bytes, NUL-terminated for convenience */
  size_t len;          /* JSON_STRING: byte count; JSON_ARRAY/OBJECT: item count */
  struct json **items; /* JSON_ARRAY: the elements; JSON_OBJECT: the values */
  char **keys;         /* JSON_OBJECT: the keys */
};

/* Parses text[0..n) or exits with a message naming what (the file) and the offset. */
struct json *json_parse(const char *text, size_t n, const char *what);

/* The member key of an object, or NULL. */
const struct json *json_get(const struct json *obj, const char *key);

#endif
