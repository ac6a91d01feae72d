/* Text forms of wire values for log lines, matching the canonical dump of proto/TLV.md. */
#ifndef D0_LOG_FMT_H
#define D0_LOG_FMT_H

#include <stddef.h>
#include <stdint.h>

#define FMT_UUID_LEN 37    /* 36 characters + NUL */
#define FMT_IP4CIDR_LEN 19 /* "255.255.255.255/32" + NUL */

/* Canonical lowercase 8-4-4-4-12 text. */
void fmt_uuid(const uint8_t uuid[16], char out[FMT_UUID_LEN]);
/* "a.b.c.d" when prefix < 0, else "a.b.c.d/prefix". */
void fmt_ip4(const uint8_t addr[4], int prefix, char out[FMT_IP4CIDR_LEN]);
/* Lowercase hex of n bytes; out holds 2n + 1 characters. */
void fmt_hex(const uint8_t *bytes, size_t n, char *out);

#endif
