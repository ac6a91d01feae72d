#include "load.h"

#include "d0/lib.h"
#include "d0/sha2.h"
#include "efi_mem.h"
#include "launch_fail.h"

EFI_STATUS load_verified(EFI_BOOT_SERVICES *bs, struct esp *esp, const char *path, uint64_t size,
                         const uint8_t digest[32], uint8_t *held, uint8_t **out)
{
  if (held != NULL) { /* hashed in these very pages before the manifest was declared verified */
    *out = held;
    return EFI_SUCCESS;
  }
  uint8_t got[SHA256_DIGEST_LEN];
  size_t len = 0;
  uint8_t *buf = efi_alloc_pages(bs, size);
  if (buf == NULL)
    return launch_fail("out_of_memory", path, EFI_OUT_OF_RESOURCES);
  if (esp_read_file(esp, path, buf, size, &len) != ESP_OK || len != size)
    return launch_fail("size_mismatch", path, EFI_COMPROMISED_DATA);
  sha256(buf, len, got);
  if (!d0_ct_eq(got, digest, SHA256_DIGEST_LEN))
    return launch_fail("digest_mismatch", path, EFI_COMPROMISED_DATA);
  *out = buf;
  return EFI_SUCCESS;
}
