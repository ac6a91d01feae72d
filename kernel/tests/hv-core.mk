# The hypervisor core as the host tests link it (kernel/tests/hv, kernel/tests/platform): the
# generic core, the virtio devices and the bridge, and the network code they call (the bridge's
# guard and rate limits; virtio-net's transmit offloads and the header code they use).
HV_CORE_SRC := $(wildcard $(KERNEL)/hv/*.c) $(wildcard $(KERNEL)/dev/virtio/*.c) \
               $(KERNEL)/net/guard.c $(KERNEL)/net/rate.c $(KERNEL)/net/offload.c $(KERNEL)/net/pkt.c
