/* The NV state variable; contract in state.h. */
#include "state.h"

#include "log/story.h"

#include "d0/lib.h"

static const EFI_GUID vendor = D0_VENDOR_GUID;
static const CHAR16 name[] = u"D0AbState";

static void clear(struct ab_state *s) {
  memset(s, 0, sizeof *s);
  s->magic = AB_STATE_MAGIC;
  s->version = AB_STATE_VERSION;
}

static int uuid_field_ok(const char u[AB_UUID_LEN]) {
  if (ab_uuid_empty(u))
    return 1;
  for (size_t i = 0; i < AB_UUID_LEN; i++) {
    char c = u[i];
    int dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return 0;
  }
  return 1;
}

enum ab_state_load ab_state_load(EFI_RUNTIME_SERVICES *rt, struct ab_state *s) {
  struct ab_state tmp;
  UINTN size = sizeof tmp;
  UINT32 attrs = 0;
  clear(s);
  EFI_STATUS st = rt->GetVariable(name, &vendor, &attrs, &size, &tmp);
  if (st == EFI_NOT_FOUND)
    return AB_STATE_ABSENT;
  if (st == EFI_BUFFER_TOO_SMALL)
    return AB_STATE_INVALID;
  if (EFI_ERROR(st))
    return AB_STATE_READ_ERROR;
  /* The variable is firmware-stored data anyone with runtime access could have written: check
   * every field before trusting it. */
  if (size != sizeof tmp || tmp.magic != AB_STATE_MAGIC || tmp.version != AB_STATE_VERSION ||
      !uuid_field_ok(tmp.last_good) || !uuid_field_ok(tmp.trial) || !uuid_field_ok(tmp.bad))
    return AB_STATE_INVALID;
  memcpy(s, &tmp, sizeof tmp);
  return AB_STATE_FOUND;
}

EFI_STATUS ab_state_save(EFI_RUNTIME_SERVICES *rt, const struct ab_state *s) {
  return rt->SetVariable(name, &vendor, AB_VAR_ATTRS, sizeof *s, s);
}

EFI_STATUS ab_story_save(EFI_RUNTIME_SERVICES *rt) {
  static const CHAR16 story_name[] = u"D0LastBoot";
  const char *text;
  size_t n = story_text(&text);
  return rt->SetVariable(story_name, &vendor, AB_VAR_ATTRS, n, (void *)text);
}

int ab_uuid_empty(const char u[AB_UUID_LEN]) {
  for (size_t i = 0; i < AB_UUID_LEN; i++)
    if (u[i])
      return 0;
  return 1;
}

int ab_uuid_eq(const char a[AB_UUID_LEN], const char *b) {
  return !ab_uuid_empty(a) && b && b[0] && memcmp(a, b, AB_UUID_LEN) == 0;
}

void ab_uuid_set(char dst[AB_UUID_LEN], const char *src) {
  if (src)
    memcpy(dst, src, AB_UUID_LEN);
  else
    memset(dst, 0, AB_UUID_LEN);
}

const char *ab_uuid_text(const char u[AB_UUID_LEN], char out[AB_UUID_LEN + 1]) {
  if (ab_uuid_empty(u))
    return "none";
  memcpy(out, u, AB_UUID_LEN);
  out[AB_UUID_LEN] = '\0';
  return out;
}
