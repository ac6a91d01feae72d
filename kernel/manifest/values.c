/* Value decoders, proto/TLV.md "Value encodings" (parse.h). Length is checked before domain. */
#include "d0/lib.h"
#include "parse.h"

/* Takes exactly n bytes: the value's whole length must be n. */
static int take_exact(struct d0_cursor *v, size_t n, const uint8_t **bytes) {
  if (d0_cursor_remaining(v) != n || !d0_cursor_take(v, n, bytes))
    return -TLV_E_BAD_LENGTH;
  return 0;
}

int tlv_value_u8enum(struct d0_cursor *v, uint8_t max, uint8_t *out) {
  const uint8_t *b;
  TRY(take_exact(v, TLV_LEN_U8ENUM, &b));
  if (b[0] > max)
    return -TLV_E_VALUE;
  *out = b[0];
  return 0;
}

int tlv_value_u16(struct d0_cursor *v, uint16_t min, uint16_t max, uint16_t *out) {
  uint16_t x;
  if (d0_cursor_remaining(v) != TLV_LEN_U16 || !d0_cursor_read_u16le(v, &x))
    return -TLV_E_BAD_LENGTH;
  if (x < min || x > max)
    return -TLV_E_VALUE;
  *out = x;
  return 0;
}

int tlv_value_u32(struct d0_cursor *v, uint32_t min, uint32_t max, uint32_t *out) {
  uint32_t x;
  if (d0_cursor_remaining(v) != TLV_LEN_U32 || !d0_cursor_read_u32le(v, &x))
    return -TLV_E_BAD_LENGTH;
  if (x < min || x > max)
    return -TLV_E_VALUE;
  *out = x;
  return 0;
}

int tlv_value_u64(struct d0_cursor *v, uint64_t min, uint64_t max, uint64_t *out) {
  uint64_t x;
  if (d0_cursor_remaining(v) != TLV_LEN_U64 || !d0_cursor_read_u64le(v, &x))
    return -TLV_E_BAD_LENGTH;
  if (x < min || x > max)
    return -TLV_E_VALUE;
  *out = x;
  return 0;
}

int tlv_value_bool(struct d0_cursor *v, bool *out) {
  const uint8_t *b;
  TRY(take_exact(v, TLV_LEN_BOOL, &b));
  if (b[0] > 1)
    return -TLV_E_VALUE;
  *out = b[0] == 1;
  return 0;
}

int tlv_value_flag(struct d0_cursor *v, bool *out) {
  const uint8_t *b;
  TRY(take_exact(v, TLV_LEN_FLAG, &b));
  if (b[0] != 1)
    return -TLV_E_VALUE;
  *out = true;
  return 0;
}

int tlv_value_ip_proto(struct d0_cursor *v, bool ported_only, uint8_t *out) {
  const uint8_t *b;
  TRY(take_exact(v, TLV_LEN_U8ENUM, &b));
  bool ported = b[0] == TLV_IP_PROTO_TCP || b[0] == TLV_IP_PROTO_UDP;
  bool other = b[0] == TLV_IP_PROTO_ANY || b[0] == TLV_IP_PROTO_ICMP;
  if (!ported && (ported_only || !other))
    return -TLV_E_VALUE;
  *out = b[0];
  return 0;
}

int tlv_value_ip4(struct d0_cursor *v, uint8_t out[4]) {
  const uint8_t *b;
  TRY(take_exact(v, TLV_LEN_IP4, &b));
  memcpy(out, b, 4);
  return 0;
}

/* A unicast address a host can send to: not the unspecified (0.0.0.0) or limited broadcast
 * (255.255.255.255) address, not loopback (127/8), not multicast (224/4). A rule of the 4 bytes
 * alone, so the decoder's, like a MAC's unicast bit. */
int tlv_value_ip4_unicast(struct d0_cursor *v, uint8_t out[4]) {
  const uint8_t *b;
  TRY(take_exact(v, TLV_LEN_IP4, &b));
  bool zero = (b[0] | b[1] | b[2] | b[3]) == 0;
  bool ones = (b[0] & b[1] & b[2] & b[3]) == 0xff;
  if (zero || ones || b[0] == 127 || (b[0] >= 224 && b[0] <= 239))
    return -TLV_E_VALUE;
  memcpy(out, b, 4);
  return 0;
}

int tlv_value_ip4cidr(struct d0_cursor *v, struct d0_ip4_cidr *out) {
  const uint8_t *b;
  TRY(take_exact(v, TLV_LEN_IP4CIDR, &b));
  if (b[4] > 32)
    return -TLV_E_VALUE;
  memcpy(out->addr, b, 4);
  out->prefix = b[4];
  return 0;
}

int tlv_value_sha256(struct d0_cursor *v, uint8_t out[32]) {
  const uint8_t *b;
  TRY(take_exact(v, TLV_LEN_SHA256, &b));
  memcpy(out, b, 32);
  return 0;
}

/* RFC 9562: version 7 in the high nibble of byte 6, variant 0b10 in the top bits of byte 8. */
int tlv_value_uuid7(struct d0_cursor *v, uint8_t out[16]) {
  const uint8_t *b;
  TRY(take_exact(v, TLV_LEN_UUID7, &b));
  if ((b[6] >> 4) != 7 || (b[8] & 0xc0) != 0x80)
    return -TLV_E_VALUE;
  memcpy(out, b, 16);
  return 0;
}

/* Unicast: the I/G bit (bit 0 of the first byte) is clear. */
int tlv_value_mac(struct d0_cursor *v, uint8_t out[6]) {
  const uint8_t *b;
  TRY(take_exact(v, TLV_LEN_MAC, &b));
  if (b[0] & 1)
    return -TLV_E_VALUE;
  memcpy(out, b, 6);
  return 0;
}

static bool is_lower_or_digit(uint8_t c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

/* [a-z0-9][a-z0-9-]*, 1..TLV_NAME_MAX_LEN bytes */
int tlv_value_name(struct d0_cursor *v, char out[TLV_NAME_MAX_LEN + 1]) {
  size_t n = d0_cursor_remaining(v);
  const uint8_t *b;
  if (n < TLV_NAME_MIN_LEN || n > TLV_NAME_MAX_LEN || !d0_cursor_take(v, n, &b))
    return -TLV_E_BAD_LENGTH;
  for (size_t i = 0; i < n; i++) {
    if (!is_lower_or_digit(b[i]) && !(i > 0 && b[i] == '-'))
      return -TLV_E_VALUE;
  }
  memcpy(out, b, n);
  out[n] = '\0';
  return 0;
}

static bool is_path_char(uint8_t c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '.' || c == '_' || c == '/' || c == '-';
}

bool tlv_path_components(const uint8_t *b, size_t n) {
  size_t start = 0;
  for (size_t i = 0; i <= n; i++) {
    if (i < n && !is_path_char(b[i]))
      return false;
    if (i == n || b[i] == '/') {
      size_t len = i - start;
      bool dots = (len == 1 && b[start] == '.') ||
                  (len == 2 && b[start] == '.' && b[start + 1] == '.');
      if (len == 0 || dots)
        return false;
      start = i + 1;
    }
  }
  return true;
}

/* [A-Za-z0-9._/-], 1..TLV_PATH_MAX_LEN bytes, no leading '/', no empty, "." or ".." component
 * (so no trailing or doubled '/' either). */
int tlv_value_path(struct d0_cursor *v, char out[TLV_PATH_MAX_LEN + 1]) {
  size_t n = d0_cursor_remaining(v);
  const uint8_t *b;
  if (n < TLV_PATH_MIN_LEN || n > TLV_PATH_MAX_LEN || !d0_cursor_take(v, n, &b))
    return -TLV_E_BAD_LENGTH;
  if (!tlv_path_components(b, n))
    return -TLV_E_VALUE;
  memcpy(out, b, n);
  out[n] = '\0';
  return 0;
}
