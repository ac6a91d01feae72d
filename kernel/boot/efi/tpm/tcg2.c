/* EFI_TCG2_PROTOCOL as a tpm_link; contract in tcg2.h. */
#include "tcg2.h"

/* {607f766c-7455-42be-930b-e4d76db2720f} */
#define EFI_TCG2_PROTOCOL_GUID                                                                 \
  { 0x607f766c, 0x7455, 0x42be, { 0x93, 0x0b, 0xe4, 0xd7, 0x6d, 0xb2, 0x72, 0x0f } }

typedef struct EFI_TCG2_PROTOCOL EFI_TCG2_PROTOCOL;
/* Only SubmitCommand is typed; the members before it keep the layout. */
struct EFI_TCG2_PROTOCOL {
  void *GetCapability;
  void *GetEventLog;
  void *HashLogExtendEvent;
  EFI_STATUS(EFIAPI *SubmitCommand)(EFI_TCG2_PROTOCOL *This, UINT32 InputSize,
                                    const UINT8 *Input, UINT32 OutputSize, UINT8 *Output);
};
_Static_assert(offsetof(EFI_TCG2_PROTOCOL, SubmitCommand) == 24, "TCG2.SubmitCommand");

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
