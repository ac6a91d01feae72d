/* The bounded cursor over untrusted bytes (d0/cursor.h). */
#include "d0/cursor.h"

struct d0_cursor d0_cursor_init(const void *buf, size_t len) {
  const uint8_t *b = buf;
  /* NULL is accepted for an empty input (NULL + 0 is not valid C, hence the test). */
  struct d0_cursor c = {b, b != NULL ? b + len : b};
  return c;
}

size_t d0_cursor_remaining(const struct d0_cursor *c) { return (size_t)(c->limit - c->next); }

bool d0_cursor_empty(const struct d0_cursor *c) { return c->next == c->limit; }

/* Reads an n-byte little-endian integer, n <= 8. */
static bool read_le(struct d0_cursor *c, size_t n, uint64_t *out) {
  if (d0_cursor_remaining(c) < n)
    return false;
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++)
    v |= (uint64_t)c->next[i] << (8 * i);
  c->next += n;
  *out = v;
  return true;
}

bool d0_cursor_read_u8(struct d0_cursor *c, uint8_t *out) {
  uint64_t v;
  if (!read_le(c, 1, &v))
    return false;
  *out = (uint8_t)v;
  return true;
}

bool d0_cursor_read_u16le(struct d0_cursor *c, uint16_t *out) {
  uint64_t v;
  if (!read_le(c, 2, &v))
    return false;
  *out = (uint16_t)v;
  return true;
}

bool d0_cursor_read_u32le(struct d0_cursor *c, uint32_t *out) {
  uint64_t v;
  if (!read_le(c, 4, &v))
    return false;
  *out = (uint32_t)v;
  return true;
}

bool d0_cursor_read_u64le(struct d0_cursor *c, uint64_t *out) { return read_le(c, 8, out); }

bool d0_cursor_take(struct d0_cursor *c, size_t n, const uint8_t **out) {
  if (d0_cursor_remaining(c) < n)
    return false;
  *out = c->next;
  c->next += n;
  return true;
}

bool d0_cursor_sub(struct d0_cursor *c, size_t n, struct d0_cursor *sub) {
  if (d0_cursor_remaining(c) < n)
    return false;
  sub->next = c->next;
  sub->limit = c->next + n;
  c->next += n;
  return true;
}

bool d0_cursor_skip(struct d0_cursor *c, size_t n) {
  if (d0_cursor_remaining(c) < n)
    return false;
  c->next += n;
  return true;
}
