/*
 * logfmt: the record format of D0's log lines, shared by the writer (log.c) and the parser
 * (logfmt_parse.c). core/logfmt.ts is the same grammar in TypeScript; the golden lines of
 * test/vectors/logfmt/ pin both down.
 *
 *   record = "" | pair *(" " pair)          exactly one space between pairs, none at the ends
 *   pair   = key "=" value
 *   key    = 1*plain
 *   value  = 1*plain | '"' *qchar '"'
 *   plain  = any byte 0x21..0x7e except '=', '"' and '\'
 *   qchar  = any byte 0x20..0x7e except '"' and '\'  |  '\"'  |  '\\'  |  '\x' 2(0-9 a-f)
 *
 * Values are byte strings. A writer quotes a value exactly when it is empty or holds a byte that
 * is not plain (a space, '=', '"', '\', a control byte or a byte >= 0x80), and inside quotes
 * writes '"' as \" , '\' as \\ and every byte outside 0x20..0x7e as \xHH (lowercase hex). So a
 * record is printable ASCII, never holds a raw newline, and no value can forge a key or a second
 * event. The parser accepts only this grammar (\xHH may also encode a printable byte).
 */
#ifndef D0_LOGFMT_H
#define D0_LOGFMT_H

#include <stddef.h>

/* A byte that a value or key may hold without quotes. */
static inline int logfmt_is_plain(unsigned char c) {
  return c > 0x20 && c < 0x7f && c != '=' && c != '"' && c != '\\';
}

/* A byte written as itself inside quotes. */
static inline int logfmt_is_quoted_literal(unsigned char c) {
  return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* Why a record does not parse. The names (logfmt_error_name) are the ones in the golden vectors
 * and in core/logfmt.ts. */
enum logfmt_error {
  LOGFMT_OK = 0,
  LOGFMT_BAD_KEY,            /* a pair does not start with a key byte, or the key holds a non-plain byte */
  LOGFMT_MISSING_EQUALS,     /* a key followed by a space or the end */
  LOGFMT_EMPTY_VALUE,        /* "key=" followed by a space or the end (an empty value is written "") */
  LOGFMT_BAD_VALUE,          /* a byte no value may hold there ('=' or '"' inside an unquoted value, a control byte) */
  LOGFMT_BAD_ESCAPE,         /* a backslash not followed by ", \ or x and two lowercase hex digits */
  LOGFMT_UNTERMINATED_QUOTE, /* the record ends inside a quoted value (at: its opening quote) */
  LOGFMT_BAD_SEPARATOR,      /* not exactly one space between pairs, a space at either end, or a byte right after a closing quote */
  LOGFMT_TOO_MANY_FIELDS,    /* more pairs than the caller has room for (C only) */
  LOGFMT_NO_ROOM,            /* the value buffer is smaller than the record (C only) */
};

struct logfmt_field {
  const char *key; /* into the record */
  size_t key_len;
  const char *value; /* decoded, into the caller's value buffer */
  size_t value_len;
};

struct logfmt_result {
  size_t nfields;
  enum logfmt_error error;
  size_t error_at; /* byte offset in the record */
};

/*
 * Parses the record s[0..n) (no line terminator) into at most max_fields pairs, in order. Decoded
 * values go to values[0..values_cap); values_cap >= n always suffices. Returns 0 and fills r with
 * the pair count, or returns -1 with r's error and offset (fields then holds the pairs before it).
 */
int logfmt_parse(const char *s, size_t n, struct logfmt_field *fields, size_t max_fields, char *values,
                 size_t values_cap, struct logfmt_result *r);

/* "BAD_KEY", ...: the stable name of an error ("OK" for LOGFMT_OK). */
const char *logfmt_error_name(enum logfmt_error e);

#endif
