/*
 * A bounded cursor over untrusted bytes (manifest TLV, and later virtqueue buffers).
 *
 * The cursor is the pair {next, limit}: the bytes not yet consumed are [next, limit). Every
 * operation checks the remaining length first and returns false WITHOUT moving the cursor or
 * writing its output when the bytes are not there, so a caller can never read past limit.
 * Multi-byte integers are little-endian, read byte by byte (no unaligned loads).
 */
#ifndef D0_CURSOR_H
#define D0_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct d0_cursor {
  const uint8_t *next;
  const uint8_t *limit;
};

/* A cursor over buf[0..len). */
struct d0_cursor d0_cursor_init(const void *buf, size_t len);

/* Bytes left between next and limit. */
size_t d0_cursor_remaining(const struct d0_cursor *c);
bool d0_cursor_empty(const struct d0_cursor *c);

bool d0_cursor_read_u8(struct d0_cursor *c, uint8_t *out);
bool d0_cursor_read_u16le(struct d0_cursor *c, uint16_t *out);
bool d0_cursor_read_u32le(struct d0_cursor *c, uint32_t *out);
bool d0_cursor_read_u64le(struct d0_cursor *c, uint64_t *out);

/* Consumes n bytes and points *out at them (they stay in the caller's buffer). */
bool d0_cursor_take(struct d0_cursor *c, size_t n, const uint8_t **out);

/* Consumes n bytes and makes *sub a cursor over exactly those bytes. */
bool d0_cursor_sub(struct d0_cursor *c, size_t n, struct d0_cursor *sub);

/* Consumes n bytes without looking at them. */
bool d0_cursor_skip(struct d0_cursor *c, size_t n);

#endif /* D0_CURSOR_H */
