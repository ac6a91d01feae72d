/*
 * The events of measured boot (measure.h), as pure code: which 32-byte digest D0 measures at each
 * index and the event-log text that names it. No firmware calls, so the host test
 * (kernel/tests/test_measure.c) checks them against the golden vector the TypeScript prediction
 * (core/measure.ts) is checked against too.
 */
#ifndef D0_BOOT_EFI_MEASURE_EVENTS_H
#define D0_BOOT_EFI_MEASURE_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "d0/manifest.h"

#define MEASURE_TEXT_MAX 160 /* event-log text beyond this is cut */

/* The number of events for m: the manifest, the guest kernel, each container's disk. */
uint32_t measure_event_count(const struct d0_manifest *m);

/* Event i (0-based, < measure_event_count): *digest gets D, text the event's description
 * (NUL-terminated). tlv is the manifest's exact signed bytes (event 0 hashes them). */
void measure_event(const struct d0_manifest *m, const uint8_t *tlv, size_t tlv_len, uint32_t i,
                   uint8_t digest[32], char text[MEASURE_TEXT_MAX + 1]);

#endif
