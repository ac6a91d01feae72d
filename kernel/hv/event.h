/*
 * Events of the hypervisor core: a VM or a device stopped, a guest misbehaved, an access hit
 * nothing. Generic code fills a record; the platform decides where it goes (boot/efi: the
 * structured boot log on the UART; arch/fake: an in-memory list the host tests inspect).
 * Strings in the record are only valid during the call: a sink that keeps them must copy.
 */
#ifndef HV_EVENT_H
#define HV_EVENT_H

#include <stdint.h>

struct hv_event {
  const char *vm;   /* VM name */
  const char *dev;  /* device or subsystem: "virtio-blk", "pio", "vm", ... */
  const char *what; /* stable event name: "device-broken", "unclaimed-read", "vm-stopped" */
  int err;          /* enum hv_err, 0 when the event is not an error */
  uint64_t a, b;    /* event-specific values (address, size, index), documented where raised */
};

/* Provided by the platform. Must not call back into the hypervisor core. */
void hv_event_sink(const struct hv_event *ev);

static inline void hv_event(const char *vm, const char *dev, const char *what, int err,
                            uint64_t a, uint64_t b)
{
  struct hv_event ev = {vm, dev, what, err, a, b};
  hv_event_sink(&ev);
}

#endif /* HV_EVENT_H */
