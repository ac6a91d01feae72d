/*
 * Writing a slot's FAT volume through the firmware's SimpleFileSystem, before ExitBootServices:
 * what a pull needs to lay a build into the inactive slot (pull/install.c has the order that
 * makes it power-safe). Paths as in esp.h ('/'-separated ASCII, [A-Za-z0-9._/-]).
 */
#ifndef D0_BOOT_EFI_ESP_WRITE_H
#define D0_BOOT_EFI_ESP_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "esp.h"

/* Deletes every file and directory of the volume: first every file of the root directory (so
 * the build's manifest-<uuid>.tlv goes first and the volume stops naming a build), flushed, then
 * the directories with everything under them. ESP_OK or ESP_IO. */
int esp_clear(struct esp *e);

/* Creates path as an empty file (a file already there is deleted first), creating its parent
 * directories; *f is open for writing. */
int esp_create(struct esp *e, const char *path, EFI_FILE_PROTOCOL **f);

/* Writes all n bytes at the file's position. */
int esp_write_all(EFI_FILE_PROTOCOL *f, const uint8_t *p, size_t n);

/* Flushes and closes; the close happens whatever the flush returned. */
int esp_finish(EFI_FILE_PROTOCOL *f);

/* Renames the file at path to new_name in the same directory (new_name without '/'), and
 * flushes the directory. */
int esp_rename(struct esp *e, const char *path, const char *new_name);

/* The volume's size and free bytes. */
int esp_space(struct esp *e, uint64_t *size, uint64_t *free_bytes);

#endif
