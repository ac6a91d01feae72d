/*
 * Read access to the ESP D0 was loaded from (esp_write.h writes another slot's): the partition
 * behind LoadedImage->DeviceHandle, through the firmware's SimpleFileSystem (FAT) driver.
 *
 * Paths are the manifest's ASCII form, relative to the ESP root with '/' separators
 * ("VM/web-<uuid>.img"); they are converted to UEFI's "\\"-separated UCS-2 here.
 */
#ifndef D0_BOOT_EFI_ESP_H
#define D0_BOOT_EFI_ESP_H

#include <stddef.h>
#include <stdint.h>

#include "efi/efi_protocols.h"

enum esp_err {
  ESP_OK = 0,
  ESP_NOT_FOUND = -1, /* no such file */
  ESP_IO = -2,        /* the firmware reported an error while reading */
  ESP_TOO_BIG = -3,   /* larger than the caller's bound */
  ESP_IS_DIR = -4,    /* a directory where a file was expected */
  ESP_BAD_PATH = -5,  /* empty, too long, or a byte outside [A-Za-z0-9._/-] */
};

struct esp {
  EFI_BOOT_SERVICES *bs;
  EFI_FILE_PROTOCOL *root;
};

#define ESP_UUID_TEXT_LEN 36

/* A build's manifest and signature on its slot: "manifest-<uuid>.tlv" / ".sig" (proto/TLV.md). */
#define ESP_MANIFEST_PREFIX "manifest-"
#define ESP_MANIFEST_NAME_LEN (sizeof ESP_MANIFEST_PREFIX - 1 + ESP_UUID_TEXT_LEN + 4)

/* The manifest file name of build uuid (ESP_UUID_TEXT_LEN characters) with ext ".tlv" or ".sig". */
void esp_manifest_name(const char *uuid, const char *ext, char out[ESP_MANIFEST_NAME_LEN + 1]);

#define ESP_PATH_MAX_CHARS 255

/* An ASCII manifest path -> "\\"-separated UCS-2, NUL-terminated; ESP_BAD_PATH for an empty
 * path, a leading '/', a byte outside [A-Za-z0-9._/-] or more than ESP_PATH_MAX_CHARS. */
int esp_efi_path(const char *path, CHAR16 out[ESP_PATH_MAX_CHARS + 1]);

/* Opens the root directory of the volume the image was loaded from. */
EFI_STATUS esp_open(EFI_HANDLE image, EFI_SYSTEM_TABLE *st, struct esp *out);

/*
 * Counts the files named manifest-<uuid>.tlv (ASCII case-insensitive; uuid = 8-4-4-4-12 hex
 * digits) in the root directory, and copies the lowercase uuid text of the first one found
 * (NUL-terminated) into uuid. Returns the count (>= 0) or ESP_IO.
 */
int esp_find_manifests(struct esp *e, char uuid[ESP_UUID_TEXT_LEN + 1]);

/* The size of a regular file; ESP_NOT_FOUND, ESP_IS_DIR, ESP_BAD_PATH or ESP_IO otherwise. */
int esp_file_size(struct esp *e, const char *path, uint64_t *size);

/* Reads a whole regular file of at most cap bytes into buf; *len is its size. */
int esp_read_file(struct esp *e, const char *path, uint8_t *buf, size_t cap, size_t *len);

/*
 * Streams a regular file through fn(ctx, chunk, n) in chunks of at most ESP_CHUNK bytes, and
 * sets *size to the number of bytes read. Used for digests of files too large to hold.
 */
#define ESP_CHUNK 65536
int esp_stream_file(struct esp *e, const char *path, void (*fn)(void *ctx, const uint8_t *p, size_t n),
                    void *ctx, uint64_t *size);

const char *esp_strerror(int err);

#endif
