/* Update-server URLs; contract in url.h. */
#include "url.h"

#include "d0/lib.h"

void pull_host_id(const uint8_t mac[6], char out[PULL_HOST_ID_LEN + 1]) {
  static const char hex[] = "0123456789abcdef";
  for (int i = 0; i < 6; i++) {
    out[i * 3] = hex[mac[i] >> 4];
    out[i * 3 + 1] = hex[mac[i] & 15];
    if (i < 5)
      out[i * 3 + 2] = '-';
  }
  out[PULL_HOST_ID_LEN] = '\0';
}

int pull_url_join(char *out, size_t cap, const char *base, const char *const *parts) {
  size_t n = 0;
  for (const char *s = base; s; s = *parts ? *parts++ : 0) {
    size_t len = strlen(s);
    if (len >= cap - n)
      return -1;
    memcpy(out + n, s, len);
    n += len;
  }
  out[n] = '\0';
  return 0;
}

int pull_url_authority(const char *url, char *out, size_t cap) {
  static const char scheme[] = "http://";
  size_t sl = sizeof scheme - 1;
  if (strlen(url) < sl || memcmp(url, scheme, sl) != 0)
    return -1;
  const char *a = url + sl;
  size_t n = 0;
  while (a[n] && a[n] != '/')
    n++;
  if (n == 0 || n >= cap)
    return -1;
  memcpy(out, a, n);
  out[n] = '\0';
  return 0;
}
