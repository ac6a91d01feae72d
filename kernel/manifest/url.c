/*
 * The url string of proto/TLV.md: exactly "http://" + host + optional ":" port + path, 1..200
 * bytes, nothing else (no userinfo, query, fragment or escape; lowercase scheme and host).
 *
 * host: an IPv4 address when its last label is all digits, and then exactly a dotted quad
 * (0..255 each, no leading zero); otherwise a DNS name of labels of [a-z0-9-], 1..63 bytes, not
 * starting or ending with '-', separated by single dots. So no host can be read as an address
 * another way ("10.0.0.01", "0x7f.0.0.1"). port: 1..65535, decimal, no leading zero. path:
 * starts and ends with '/' ("/" alone included), its components follow the path string rules.
 * Length is BAD_LENGTH; everything else VALUE, like the name and path strings.
 */
#include "d0/lib.h"
#include "parse.h"

#define URL_SCHEME "http://"
#define URL_SCHEME_LEN 7
#define DNS_LABEL_MAX 63

static bool is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

/* 1..max decimal digits without a leading zero (a lone "0" included when allow_zero); *out is
 * the value. */
static bool decimal(const uint8_t *b, size_t n, size_t max, bool allow_zero, uint32_t *out) {
  if (n == 0 || n > max || (b[0] == '0' && (n > 1 || !allow_zero)))
    return false;
  uint32_t x = 0;
  for (size_t i = 0; i < n; i++) {
    if (!is_digit(b[i]))
      return false;
    x = x * 10 + (uint32_t)(b[i] - '0');
  }
  *out = x;
  return true;
}

/* a.b.c.d, each 0..255 without a leading zero */
static bool ip4_host(const uint8_t *h, size_t n) {
  unsigned parts = 0;
  size_t start = 0;
  for (size_t i = 0; i <= n; i++) {
    if (i < n && h[i] != '.')
      continue;
    uint32_t x;
    if (++parts > 4 || !decimal(h + start, i - start, 3, true, &x) || x > 255)
      return false;
    start = i + 1;
  }
  return parts == 4;
}

static bool dns_label(const uint8_t *l, size_t n) {
  if (n == 0 || n > DNS_LABEL_MAX || l[0] == '-' || l[n - 1] == '-')
    return false;
  for (size_t i = 0; i < n; i++) {
    uint8_t c = l[i];
    if (!((c >= 'a' && c <= 'z') || is_digit(c) || c == '-'))
      return false;
  }
  return true;
}

static bool host_ok(const uint8_t *h, size_t n) {
  size_t last = n; /* start of the last label */
  while (last > 0 && h[last - 1] != '.')
    last--;
  bool numeric = last < n;
  for (size_t i = last; i < n; i++)
    numeric = numeric && is_digit(h[i]);
  if (numeric)
    return ip4_host(h, n);
  size_t start = 0;
  for (size_t i = 0; i <= n; i++) {
    if (i < n && h[i] != '.')
      continue;
    if (!dns_label(h + start, i - start))
      return false;
    start = i + 1;
  }
  return true;
}

static bool url_ok(const uint8_t *b, size_t n) {
  if (n < URL_SCHEME_LEN || memcmp(b, URL_SCHEME, URL_SCHEME_LEN) != 0)
    return false;
  const uint8_t *auth = b + URL_SCHEME_LEN;
  size_t rest = n - URL_SCHEME_LEN, auth_len = 0;
  while (auth_len < rest && auth[auth_len] != '/')
    auth_len++;
  if (auth_len == rest)
    return false; /* no path */
  size_t host_len = 0;
  while (host_len < auth_len && auth[host_len] != ':')
    host_len++;
  if (!host_ok(auth, host_len))
    return false;
  if (host_len < auth_len) {
    uint32_t port;
    if (!decimal(auth + host_len + 1, auth_len - host_len - 1, 5, false, &port) || port > 65535)
      return false;
  }
  const uint8_t *path = auth + auth_len;
  size_t path_len = rest - auth_len; /* >= 1: path[0] is '/' */
  if (path[path_len - 1] != '/')
    return false;
  return path_len == 1 || tlv_path_components(path + 1, path_len - 2);
}

int tlv_value_url(struct d0_cursor *v, char out[TLV_URL_MAX_LEN + 1]) {
  size_t n = d0_cursor_remaining(v);
  const uint8_t *b;
  if (n < TLV_URL_MIN_LEN || n > TLV_URL_MAX_LEN || !d0_cursor_take(v, n, &b))
    return -TLV_E_BAD_LENGTH;
  if (!url_ok(b, n))
    return -TLV_E_VALUE;
  memcpy(out, b, n);
  out[n] = '\0';
  return 0;
}
