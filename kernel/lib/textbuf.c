/* Bounded text builder (d0/textbuf.h). */
#include "d0/textbuf.h"

void d0_tb_init(struct d0_textbuf *tb, char *buf, size_t cap) {
  tb->buf = buf;
  tb->cap = cap;
  tb->len = 0;
  tb->overflow = cap == 0;
  if (cap > 0)
    buf[0] = '\0';
}

void d0_tb_char(struct d0_textbuf *tb, char c) {
  if (tb->overflow || tb->len + 1 >= tb->cap) {
    tb->overflow = true;
    return;
  }
  tb->buf[tb->len++] = c;
  tb->buf[tb->len] = '\0';
}

void d0_tb_str(struct d0_textbuf *tb, const char *s) {
  while (*s != '\0')
    d0_tb_char(tb, *s++);
}

void d0_tb_u64(struct d0_textbuf *tb, uint64_t v) {
  char digits[20];
  int n = 0;
  do {
    digits[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0)
    d0_tb_char(tb, digits[--n]);
}

void d0_tb_hex(struct d0_textbuf *tb, const uint8_t *bytes, size_t n) {
  static const char HEX[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    d0_tb_char(tb, HEX[bytes[i] >> 4]);
    d0_tb_char(tb, HEX[bytes[i] & 15]);
  }
}

size_t d0_tb_finish(const struct d0_textbuf *tb) { return tb->overflow ? 0 : tb->len; }
