#include "fmt.h"

static const char hex_digits[] = "0123456789abcdef";

void fmt_hex(const uint8_t *bytes, size_t n, char *out) {
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = hex_digits[bytes[i] >> 4];
    out[2 * i + 1] = hex_digits[bytes[i] & 0xf];
  }
  out[2 * n] = '\0';
}

void fmt_uuid(const uint8_t uuid[16], char out[FMT_UUID_LEN]) {
  size_t o = 0;
  for (size_t i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10)
      out[o++] = '-';
    out[o++] = hex_digits[uuid[i] >> 4];
    out[o++] = hex_digits[uuid[i] & 0xf];
  }
  out[o] = '\0';
}

static size_t put_dec(char *out, unsigned v) {
  char d[3];
  size_t n = 0, o = 0;
  do {
    d[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0 && n < sizeof d);
  while (n > 0)
    out[o++] = d[--n];
  return o;
}

void fmt_ip4(const uint8_t addr[4], int prefix, char out[FMT_IP4CIDR_LEN]) {
  size_t o = 0;
  for (int i = 0; i < 4; i++) {
    if (i > 0)
      out[o++] = '.';
    o += put_dec(out + o, addr[i]);
  }
  if (prefix >= 0 && prefix <= 32) {
    out[o++] = '/';
    o += put_dec(out + o, (unsigned)prefix);
  }
  out[o] = '\0';
}
