/* The root record and the Manifest scope (0x01); manifest_parse and tlv_strerror. */
#include "d0/lib.h"
#include "parse.h"

static const struct tlv_field MANIFEST_FIELDS[] = {
    {TLV_MANIFEST_HEADER, 1, 1, false},
    {TLV_MANIFEST_NETWORK, 1, 1, false},
    {TLV_MANIFEST_GUEST_KERNEL, 1, 1, false},
    {TLV_MANIFEST_CONTAINERS, TLV_MANIFEST_CONTAINERS_MIN_COUNT,
     TLV_MANIFEST_CONTAINERS_MAX_COUNT, true},
    {TLV_MANIFEST_UPDATE, 0, 1, false},
    {TLV_MANIFEST_LOADER, 0, 1, false},
    {TLV_MANIFEST_REPORT, 0, 1, false},
};

struct manifest_ctx {
  struct d0_manifest *m;
  /* Containers past TLV_MAX_CONTAINERS are still parsed (COUNT is only known when the scope
   * ends, and an error inside one of them comes first) but land here. */
  struct d0_container overflow_container;
  char prev_name[TLV_NAME_MAX_LEN + 1];
};

/* Bytewise, a proper prefix first: names hold no NUL, so this is strcmp on unsigned bytes. */
static int compare_names(const char *a, const char *b) {
  size_t i = 0;
  while (a[i] != '\0' && a[i] == b[i])
    i++;
  return (int)(uint8_t)a[i] - (int)(uint8_t)b[i];
}

/* Containers ascend strictly by name: ORDER if one sorts before the previous, DUPLICATE if
 * equal. */
static int container_entry(struct tlv_parser *p, struct manifest_ctx *ctx, uint32_t nth,
                           struct d0_cursor *v, size_t rec_offset) {
  struct d0_container *c =
      nth < TLV_MAX_CONTAINERS ? &ctx->m->containers[nth] : &ctx->overflow_container;
  memset(c, 0, sizeof *c);
  TRY(container_parse(p, c, *v, rec_offset));
  if (nth > 0) {
    int cmp = compare_names(ctx->prev_name, c->name);
    if (cmp == 0)
      return tlv_fail(p, TLV_E_DUPLICATE, rec_offset, TLV_MANIFEST_CONTAINERS);
    if (cmp > 0)
      return tlv_fail(p, TLV_E_ORDER, rec_offset, TLV_MANIFEST_CONTAINERS);
  }
  memcpy(ctx->prev_name, c->name, sizeof ctx->prev_name);
  if (nth < TLV_MAX_CONTAINERS)
    ctx->m->n_containers = nth + 1;
  return 0;
}

static int manifest_field(struct tlv_parser *p, void *obj, size_t index, uint32_t nth,
                          struct d0_cursor *v, size_t rec_offset) {
  struct manifest_ctx *ctx = obj;
  switch (MANIFEST_FIELDS[index].tag) {
  case TLV_MANIFEST_HEADER:
    return header_parse(p, ctx->m, *v, rec_offset);
  case TLV_MANIFEST_NETWORK:
    return network_parse(p, ctx->m, *v, rec_offset);
  case TLV_MANIFEST_GUEST_KERNEL:
    return guest_kernel_parse(p, ctx->m, *v, rec_offset);
  case TLV_MANIFEST_CONTAINERS:
    return container_entry(p, ctx, nth, v, rec_offset);
  case TLV_MANIFEST_UPDATE:
    ctx->m->has_update = true;
    return update_parse(p, ctx->m, *v, rec_offset);
  case TLV_MANIFEST_LOADER:
    ctx->m->has_loader = true;
    return loader_parse(p, ctx->m, *v, rec_offset);
  case TLV_MANIFEST_REPORT:
    ctx->m->has_report = true;
    return report_parse(p, ctx->m, *v, rec_offset);
  }
  return -TLV_E_UNKNOWN_CRITICAL; /* unreachable */
}

static const struct tlv_scope MANIFEST_SCOPE = {
    MANIFEST_FIELDS, sizeof MANIFEST_FIELDS / sizeof MANIFEST_FIELDS[0], manifest_field};

/* The root level: OVERSIZE before anything is read, then the root record's framing
 * (TRUNCATED), its tag (BAD_ROOT), its value, and only then TRAILING. */
int manifest_parse_diag(const uint8_t *buf, size_t len, struct d0_manifest *out,
                        struct manifest_diag *diag) {
  struct tlv_parser p = {buf, false, {0, 0}};
  struct manifest_ctx ctx;
  memset(out, 0, sizeof *out);
  memset(&ctx, 0, sizeof ctx);
  ctx.m = out;

  int err = 0;
  struct d0_cursor in = d0_cursor_init(buf, len);
  uint16_t tag = 0;
  uint32_t value_len = 0;
  struct d0_cursor value;
  if (len > TLV_MAX_BYTES) {
    err = tlv_fail(&p, TLV_E_OVERSIZE, 0, 0);
  } else if (!d0_cursor_read_u16le(&in, &tag)) {
    err = tlv_fail(&p, TLV_E_TRUNCATED, 0, 0);
  } else if (!d0_cursor_read_u32le(&in, &value_len) || !d0_cursor_sub(&in, value_len, &value)) {
    err = tlv_fail(&p, TLV_E_TRUNCATED, 0, tag);
  } else if (tag != TLV_MANIFEST_ROOT) {
    err = tlv_fail(&p, TLV_E_BAD_ROOT, 0, tag);
  } else {
    err = tlv_parse_scope(&p, &MANIFEST_SCOPE, &ctx, value, 0);
    if (err == 0 && !d0_cursor_empty(&in))
      err = tlv_fail(&p, TLV_E_TRAILING, tlv_offset(&p, &in), 0);
  }
  if (err < 0 && diag != NULL)
    *diag = p.diag;
  return err;
}

int manifest_parse(const uint8_t *buf, size_t len, struct d0_manifest *out) {
  return manifest_parse_diag(buf, len, out, NULL);
}

const char *tlv_strerror(int err) {
  static const char *const NAMES[] = TLV_ERROR_NAMES_INIT;
  if (err < -TLV_E_LAST || err > TLV_E_LAST)
    return "UNKNOWN";
  if (err < 0)
    err = -err;
  return NAMES[err];
}
