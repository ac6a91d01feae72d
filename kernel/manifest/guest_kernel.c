/* The GuestKernel scope (0x04): the guest Linux image every micro-VM boots, and its digest. */
#include "parse.h"

static const struct tlv_field GUEST_KERNEL_FIELDS[] = {
    {TLV_GUEST_KERNEL_PATH, 1, 1, false},
    {TLV_GUEST_KERNEL_SHA256, 1, 1, false},
    {TLV_GUEST_KERNEL_SIZE, 1, 1, false},
};

static int guest_kernel_field(struct tlv_parser *p, void *obj, size_t index, uint32_t nth,
                              struct d0_cursor *v, size_t rec_offset) {
  (void)p, (void)nth, (void)rec_offset;
  struct d0_manifest *m = obj;
  switch (GUEST_KERNEL_FIELDS[index].tag) {
  case TLV_GUEST_KERNEL_PATH:
    return tlv_value_path(v, m->kernel_path);
  case TLV_GUEST_KERNEL_SHA256:
    return tlv_value_sha256(v, m->kernel_sha256);
  case TLV_GUEST_KERNEL_SIZE:
    return tlv_value_u64(v, TLV_GUEST_KERNEL_SIZE_MIN, TLV_GUEST_KERNEL_SIZE_MAX,
                         &m->kernel_size);
  }
  return -TLV_E_UNKNOWN_CRITICAL; /* unreachable */
}

static const struct tlv_scope GUEST_KERNEL_SCOPE = {
    GUEST_KERNEL_FIELDS, sizeof GUEST_KERNEL_FIELDS / sizeof GUEST_KERNEL_FIELDS[0],
    guest_kernel_field};

int guest_kernel_parse(struct tlv_parser *p, struct d0_manifest *m, struct d0_cursor value,
                       size_t rec_offset) {
  return tlv_parse_scope(p, &GUEST_KERNEL_SCOPE, m, value, rec_offset);
}
