/* EFI_TCG2_PROTOCOL as a tpm_link; contract in tcg2.h. */
#include "tcg2.h"

/* {607f766c-7455-42be-930b-e4d76db2720f} */
#define EFI_TCG2_PROTOCOL_GUID                                                                 \
  { 0x607f766c, 0x7455, 0x42be, { 0x93, 0x0b, 0xe4, 0xd7, 0x6d, 0xb2, 0x72, 0x0f } }

typedef struct EFI_TCG2_PROTOCOL EFI_TCG2_PROTOCOL;
/* EFI_TCG2_EVENT (TCG EFI Protocol Specification, 6.6.5): packed, Event[] follows the header. */
#pragma pack(push, 1)
struct tcg2_event {
  UINT32 Size; /* the whole structure, Event[] included */
  UINT32 HeaderSize; /* EFI_TCG2_EVENT_HEADER: 14 */
  UINT16 HeaderVersion; /* 1 */
  UINT32 PCRIndex;
  UINT32 EventType;
  UINT8 Event[TCG2_EVENT_TEXT_MAX];
};
#pragma pack(pop)
_Static_assert(offsetof(struct tcg2_event, Event) == 18, "EFI_TCG2_EVENT header");

/* Only the members D0 calls are typed; the others keep the layout. */
struct EFI_TCG2_PROTOCOL {
  void *GetCapability;
  void *GetEventLog;
  EFI_STATUS(EFIAPI *HashLogExtendEvent)(EFI_TCG2_PROTOCOL *This, UINT64 Flags,
                                         UINT64 DataToHash, UINT64 DataToHashLen,
                                         struct tcg2_event *Event);
  EFI_STATUS(EFIAPI *SubmitCommand)(EFI_TCG2_PROTOCOL *This, UINT32 InputSize,
                                    const UINT8 *Input, UINT32 OutputSize, UINT8 *Output);
};
_Static_assert(offsetof(EFI_TCG2_PROTOCOL, SubmitCommand) == 24, "TCG2.SubmitCommand");
_Static_assert(offsetof(EFI_TCG2_PROTOCOL, HashLogExtendEvent) == 16, "TCG2.HashLogExtendEvent");

static uint64_t submit(void *ctx, const uint8_t *cmd, size_t cmd_len, uint8_t *rsp,
                       size_t rsp_cap, size_t *rsp_len) {
  EFI_TCG2_PROTOCOL *p = ctx;
  *rsp_len = 0;
  for (size_t i = 0; i < rsp_cap; i++)
    rsp[i] = 0;
  EFI_STATUS s = p->SubmitCommand(p, (UINT32)cmd_len, cmd, (UINT32)rsp_cap, rsp);
  if (EFI_ERROR(s))
    return s;
  /* SubmitCommand does not say how many bytes it wrote: the response header's size field does
   * (the buffer was zeroed, so a short response reads as malformed, never as stale bytes). A size
   * beyond the buffer is refused by the caller (floor.c). */
  *rsp_len = (uint32_t)rsp[2] << 24 | (uint32_t)rsp[3] << 16 | (uint32_t)rsp[4] << 8 | rsp[5];
  return 0;
}

int tcg2_link(EFI_SYSTEM_TABLE *st, struct tpm_link *t) {
  static const EFI_GUID guid = EFI_TCG2_PROTOCOL_GUID;
  EFI_TCG2_PROTOCOL *p = 0;
  if (EFI_ERROR(st->BootServices->LocateProtocol(&guid, 0, (void **)&p)) || p == 0)
    return -1;
  t->submit = submit;
  t->ctx = p;
  return 0;
}

uint64_t tcg2_hash_log_extend(const struct tpm_link *t, uint32_t pcr, uint32_t event_type,
                              const uint8_t *data, size_t data_len, const char *text) {
  static struct tcg2_event ev; /* not on the small UEFI stack */
  EFI_TCG2_PROTOCOL *p = t->ctx;
  size_t n = 0;
  while (text[n] != '\0' && n < TCG2_EVENT_TEXT_MAX)
    n++;
  for (size_t i = 0; i < n; i++)
    ev.Event[i] = (UINT8)text[i];
  ev.Size = (UINT32)(offsetof(struct tcg2_event, Event) + n);
  ev.HeaderSize = 14;
  ev.HeaderVersion = 1;
  ev.PCRIndex = pcr;
  ev.EventType = event_type;
  return p->HashLogExtendEvent(p, 0, (UINT64)(uintptr_t)data, data_len, &ev);
}
