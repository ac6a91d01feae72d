/*
 * Internals of the manifest parser (proto/TLV.md), shared by the per-scope files.
 *
 * tlv_parse_scope() walks the records of one scope in a single forward pass and checks, per
 * record: framing (OVERFLOW), tag (UNKNOWN_CRITICAL, or skip when unknown and non-critical),
 * order and singleton duplicates (ORDER, DUPLICATE); then hands the value to the scope's field
 * handler (BAD_LENGTH, VALUE, nested scopes). When the scope ends it checks each field in tag
 * order: MISSING (fewer than min_count), then COUNT (more than max_count).
 *
 * The first failure is recorded in the parser (tlv_fail) and every caller returns its negative
 * code unchanged, so the reported error is always the first one met.
 */
#ifndef D0_MANIFEST_PARSE_H
#define D0_MANIFEST_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "d0/cursor.h"
#include "d0/manifest.h"

struct tlv_parser {
  const uint8_t *base; /* start of the input: offsets in diag are relative to it */
  bool failed;
  struct manifest_diag diag;
};

/* Records err (a positive TLV_E_* code) at offset/tag unless an earlier failure was recorded;
 * returns -err. */
int tlv_fail(struct tlv_parser *p, int err, size_t offset, uint16_t tag);

struct tlv_field {
  uint16_t tag;      /* the full 16-bit tag; a record is this field only if all bits match */
  uint8_t min_count; /* 1: required; 0: optional (or a repeated field that may be empty) */
  uint8_t max_count; /* 1 for a singleton */
  bool repeated;
};

struct tlv_scope;

/*
 * Decodes the value of the nth (0-based) record of fields[index] into obj. rec_offset is where
 * the record starts (for errors found after the value is parsed, like a repeated entry's key).
 * Returns 0 or a negative TLV_E_* code; BAD_LENGTH / VALUE may be returned without tlv_fail,
 * the walker records them at the record.
 */
typedef int (*tlv_field_fn)(struct tlv_parser *p, void *obj, size_t index, uint32_t nth,
                            struct d0_cursor *value, size_t rec_offset);

struct tlv_scope {
  const struct tlv_field *fields; /* ascending by tag id */
  size_t n_fields;                /* <= TLV_SCOPE_MAX_FIELDS */
  tlv_field_fn field;
};

#define TLV_SCOPE_MAX_FIELDS 24

/* Walks value as a sequence of records of scope. owner_offset is where the record owning the
 * scope starts (where MISSING and COUNT are reported). */
int tlv_parse_scope(struct tlv_parser *p, const struct tlv_scope *scope, void *obj,
                    struct d0_cursor value, size_t owner_offset);

/* Offset of the cursor's next byte in the input. */
static inline size_t tlv_offset(const struct tlv_parser *p, const struct d0_cursor *c) {
  return (size_t)(c->next - p->base);
}

/* Value decoders (proto/TLV.md "Value encodings"): 0, -TLV_E_BAD_LENGTH or -TLV_E_VALUE. */
int tlv_value_u8enum(struct d0_cursor *v, uint8_t max, uint8_t *out);
int tlv_value_u16(struct d0_cursor *v, uint16_t min, uint16_t max, uint16_t *out);
int tlv_value_u32(struct d0_cursor *v, uint32_t min, uint32_t max, uint32_t *out);
int tlv_value_u64(struct d0_cursor *v, uint64_t min, uint64_t max, uint64_t *out);
int tlv_value_bool(struct d0_cursor *v, bool *out);
/* A flag: present means true (its byte must be 1); false is the field left out. */
int tlv_value_flag(struct d0_cursor *v, bool *out);
/* enum IpProtocol: TCP or UDP when ported_only, else also ANY and ICMP. */
int tlv_value_ip_proto(struct d0_cursor *v, bool ported_only, uint8_t *out);
int tlv_value_ip4(struct d0_cursor *v, uint8_t out[4]);
/* ip4 unicast: also none of 0.0.0.0, 255.255.255.255, 127/8 and 224/4 (VALUE). */
int tlv_value_ip4_unicast(struct d0_cursor *v, uint8_t out[4]);
int tlv_value_ip4cidr(struct d0_cursor *v, struct d0_ip4_cidr *out);
int tlv_value_sha256(struct d0_cursor *v, uint8_t out[32]);
int tlv_value_uuid7(struct d0_cursor *v, uint8_t out[16]);
int tlv_value_mac(struct d0_cursor *v, uint8_t out[6]);
/* Strings are copied NUL-terminated; out has room for the maximum length + 1. */
int tlv_value_name(struct d0_cursor *v, char out[TLV_NAME_MAX_LEN + 1]);
int tlv_value_path(struct d0_cursor *v, char out[TLV_PATH_MAX_LEN + 1]);
/* url string (url.c): http://host[:port]/path/, 1..TLV_URL_MAX_LEN bytes. */
int tlv_value_url(struct d0_cursor *v, char out[TLV_URL_MAX_LEN + 1]);

/* true iff the n bytes are '/'-separated components of [A-Za-z0-9._-], none empty, "." or
 * "..": a path string's rule, and a url string's path between its first and last '/'. */
bool tlv_path_components(const uint8_t *b, size_t n);

/* The scopes below the manifest (one file each). */
int header_parse(struct tlv_parser *p, struct d0_manifest *m, struct d0_cursor value,
                 size_t rec_offset);
int network_parse(struct tlv_parser *p, struct d0_manifest *m, struct d0_cursor value,
                  size_t rec_offset);
int guest_kernel_parse(struct tlv_parser *p, struct d0_manifest *m, struct d0_cursor value,
                       size_t rec_offset);
int container_parse(struct tlv_parser *p, struct d0_container *c, struct d0_cursor value,
                    size_t rec_offset);
int route_parse(struct tlv_parser *p, struct d0_route *r, struct d0_cursor value,
                size_t rec_offset);
int publish_parse(struct tlv_parser *p, struct d0_publish *pub, struct d0_cursor value,
                  size_t rec_offset);
int egress_rule_parse(struct tlv_parser *p, struct d0_egress_rule *r, struct d0_cursor value,
                      size_t rec_offset);
int rate_limit_parse(struct tlv_parser *p, struct d0_rate_limit *r, struct d0_cursor value,
                     size_t rec_offset);
int update_parse(struct tlv_parser *p, struct d0_manifest *m, struct d0_cursor value,
                 size_t rec_offset);
int loader_parse(struct tlv_parser *p, struct d0_manifest *m, struct d0_cursor value,
                 size_t rec_offset);
int report_parse(struct tlv_parser *p, struct d0_manifest *m, struct d0_cursor value,
                 size_t rec_offset);

#endif /* D0_MANIFEST_PARSE_H */
