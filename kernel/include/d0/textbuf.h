/*
 * A bounded text builder for log lines and the manifest dump: appends never write past cap-1
 * and the text stays NUL-terminated; once something did not fit, the builder is marked
 * overflowed and d0_tb_finish() reports 0.
 */
#ifndef D0_TEXTBUF_H
#define D0_TEXTBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct d0_textbuf {
  char *buf;
  size_t cap;
  size_t len;
  bool overflow;
};

void d0_tb_init(struct d0_textbuf *tb, char *buf, size_t cap);
void d0_tb_char(struct d0_textbuf *tb, char c);
void d0_tb_str(struct d0_textbuf *tb, const char *s);
/* Decimal. */
void d0_tb_u64(struct d0_textbuf *tb, uint64_t v);
/* Lowercase hex, two digits per byte, no separators. */
void d0_tb_hex(struct d0_textbuf *tb, const uint8_t *bytes, size_t n);
/* The length of the text, or 0 if anything was cut off. */
size_t d0_tb_finish(const struct d0_textbuf *tb);

#endif /* D0_TEXTBUF_H */
