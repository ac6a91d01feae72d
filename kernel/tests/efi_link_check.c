/*
 * Link check for the UEFI target (kernel/host.mk efi-check): an entry point that reaches every
 * public function of kernel/lib, kernel/crypto and kernel/manifest, linked with /nodefaultlib,
 * so a libcall the compiler emits (__chkstk for a big frame, __multi3, ...) fails the link.
 * It is never run. The stack-protector symbols are provided by boot/efi in the real build;
 * the minimal ones here only satisfy the linker.
 */
#include "d0/cursor.h"
#include "d0/ed25519.h"
#include "d0/lib.h"
#include "d0/manifest.h"
#include "d0/sha2.h"
#include "d0/textbuf.h"

uintptr_t __security_cookie = 0x2b992ddfa232;

void __security_check_cookie(uintptr_t cookie) {
  if (cookie != __security_cookie)
    for (;;)
      ;
}

static struct d0_manifest manifest;
static char text[4096];

uint64_t efi_main(void *image, void *system_table) {
  const uint8_t *in = (const uint8_t *)system_table;
  uint8_t digest[64];
  struct sha256_ctx c;
  sha256_init(&c);
  sha256_update(&c, in, 64);
  sha256_final(&c, digest);
  sha512(in, 64, digest);
  struct d0_cursor cur = d0_cursor_init(in, 64);
  uint64_t v = 0;
  (void)d0_cursor_read_u64le(&cur, &v);
  int r = ed25519_verify(in, in + 96, 32, in + 64);
  r += manifest_parse(in, (size_t)v, &manifest);
  r += (int)manifest_dump(&manifest, text, sizeof text);
  r += (int)strlen(tlv_strerror(r));
  r += d0_ct_eq(digest, image, 32);
  return (uint64_t)r;
}
