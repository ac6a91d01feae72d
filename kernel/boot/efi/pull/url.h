/*
 * The URLs D0 asks the update server for, built from the manifest's update.url (an http:// URL
 * ending in '/', checked by the TLV decoder: proto/TLV.md "url string"). Pure code, host-tested.
 *
 *   <url>hosts/<host>.d0ptr            the host's pointer
 *   <url>builds/<uuid>/<path>          a file of a build, at its path in the slot tree
 *
 * <host> is the MAC address of the NIC the pull goes through, lowercase, '-'-separated
 * ("52-54-00-12-34-56"), as `d0 publish --host` names it.
 */
#ifndef D0_BOOT_EFI_PULL_URL_H
#define D0_BOOT_EFI_PULL_URL_H

#include <stddef.h>
#include <stdint.h>

#define PULL_HOST_ID_LEN 17
#define PULL_URL_CAP 512 /* update.url (<= 200) + "builds/" + uuid + '/' + a path (<= 128) */

void pull_host_id(const uint8_t mac[6], char out[PULL_HOST_ID_LEN + 1]);

/* out = base + the parts (NUL-terminated strings, NULL-terminated list); -1 if over cap. */
int pull_url_join(char *out, size_t cap, const char *base, const char *const *parts);

/* The authority of an http:// URL ("10.0.2.100:8080"), for the Host header; -1 if none. */
int pull_url_authority(const char *url, char *out, size_t cap);

#endif
