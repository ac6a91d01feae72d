/* The paravirtual status ports. 0x501 has the contract of QEMU's isa-debug-exit: a byte written
 * there ends the VM, and plain QEMU exits with (value << 1) | 1. 0x502 takes a 1 once the
 * workload has been exec'd (readiness); plain QEMU ignores it as long as isa-debug-exit is
 * configured with iosize=1. */
#ifndef D0_INIT_STATUS_H
#define D0_INIT_STATUS_H

#include <stdint.h>

#define D0_STATUS_PORT 0x501
#define D0_READY_PORT 0x502

/* ioperm() for both ports; needs root and CONFIG_X86_IOPL_IOPERM. Returns 0 or -errno. */
int d0_status_open(void);
void d0_status_ready(void);
void d0_status_exit(uint8_t value);

#endif
