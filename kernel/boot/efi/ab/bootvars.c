/* Boot####, BootNext and BootOrder; contract in bootvars.h. */
#include "bootvars.h"

#include "d0/lib.h"

static const EFI_GUID global = EFI_GLOBAL_VARIABLE_GUID;

#define DESC_CHARS 10 /* "D0 slot A" + NUL */
#define FILE_PREFIX "\\EFI\\BOOT\\BOOTX64-"
#define FILE_SUFFIX ".EFI"
#define FILE_CHARS (sizeof FILE_PREFIX - 1 + ESP_UUID_TEXT_LEN + sizeof FILE_SUFFIX - 1 + 1)
#define FILE_NODE_LEN (DP_HEADER_LEN + 2 * FILE_CHARS)
#define OPTION_MAX (4 + 2 + 2 * DESC_CHARS + AB_DP_MAX + FILE_NODE_LEN + DP_HEADER_LEN)
#define ORDER_MAX 128

static uint8_t option[OPTION_MAX];
static uint8_t current[OPTION_MAX];
static uint16_t order[ORDER_MAX];
static uint16_t new_order[ORDER_MAX];

uint16_t ab_boot_entry(const struct ab_slot *s) {
  return (uint16_t)(AB_BOOT_ENTRY_BASE + (s->part & 0xff));
}

static void entry_name(uint16_t entry, CHAR16 out[9]) {
  static const char hex[] = "0123456789ABCDEF";
  const char *p = "Boot";
  for (int i = 0; i < 4; i++)
    out[i] = (CHAR16)p[i];
  for (int i = 0; i < 4; i++)
    out[4 + i] = (CHAR16)hex[(entry >> (12 - 4 * i)) & 0xf];
  out[8] = 0;
}

static void put16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}

static size_t put_ascii16(uint8_t *p, const char *s) {
  size_t n = 0;
  for (; s[n]; n++)
    put16(p + 2 * n, (uint8_t)s[n]);
  return 2 * n;
}

EFI_STATUS ab_bootvar_set(EFI_RUNTIME_SERVICES *rt, const struct ab_slot *s) {
  if (!s->has_uuid)
    return EFI_INVALID_PARAMETER;
  size_t off = 0;
  memset(option, 0, sizeof option);
  option[0] = LOAD_OPTION_ACTIVE; /* Attributes (UINT32, LE) */
  off = 6;                        /* FilePathListLength (UINT16) is filled in below */
  off += put_ascii16(option + off, "D0 slot ");
  off += put_ascii16(option + off, ab_slot_letter(s->part));
  off += 2; /* NUL */
  size_t paths = off;
  memcpy(option + off, s->dp, s->dp_len);
  off += s->dp_len;
  option[off] = DP_TYPE_MEDIA;
  option[off + 1] = DP_SUBTYPE_FILE_PATH;
  put16(option + off + 2, (uint16_t)FILE_NODE_LEN);
  size_t f = off + DP_HEADER_LEN;
  f += put_ascii16(option + f, FILE_PREFIX);
  f += put_ascii16(option + f, s->uuid);
  f += put_ascii16(option + f, FILE_SUFFIX);
  off += FILE_NODE_LEN; /* includes the NUL */
  option[off] = DP_TYPE_END;
  option[off + 1] = DP_SUBTYPE_END_ENTIRE;
  put16(option + off + 2, DP_HEADER_LEN);
  off += DP_HEADER_LEN;
  put16(option + 4, (uint16_t)(off - paths));

  CHAR16 name[9];
  entry_name(ab_boot_entry(s), name);
  UINTN size = sizeof current;
  if (rt->GetVariable(name, &global, 0, &size, current) == EFI_SUCCESS && size == off &&
      memcmp(current, option, off) == 0)
    return EFI_SUCCESS; /* unchanged: no NV write */
  return rt->SetVariable(name, &global, AB_VAR_ATTRS, off, option);
}

EFI_STATUS ab_bootnext_set(EFI_RUNTIME_SERVICES *rt, uint16_t entry) {
  uint8_t v[2];
  put16(v, entry);
  return rt->SetVariable(u"BootNext", &global, AB_VAR_ATTRS, sizeof v, v);
}

EFI_STATUS ab_bootorder_set(EFI_RUNTIME_SERVICES *rt, uint16_t first, uint16_t second) {
  UINTN size = sizeof order;
  size_t n = 0, m = 0;
  EFI_STATUS s = rt->GetVariable(u"BootOrder", &global, 0, &size, order);
  if (s == EFI_SUCCESS)
    n = size / 2;
  else if (s != EFI_NOT_FOUND)
    return s;
  new_order[m++] = first;
  if (second != AB_NO_ENTRY && second != first)
    new_order[m++] = second;
  for (size_t i = 0; i < n && m < ORDER_MAX; i++)
    if ((order[i] & 0xff00u) != AB_BOOT_ENTRY_BASE)
      new_order[m++] = order[i];
  if (m == n && memcmp(order, new_order, m * 2) == 0)
    return EFI_SUCCESS; /* unchanged: no NV write */
  return rt->SetVariable(u"BootOrder", &global, AB_VAR_ATTRS, m * 2, new_order);
}
