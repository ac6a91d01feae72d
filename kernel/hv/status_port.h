/*
 * The guest status device, the paravirtual end of the guest contract (guest/README.md):
 *
 *   port 0x501  write: the workload's exit status (the value written, masked to the access size;
 *               QEMU's isa-debug-exit at the same port gives plain-QEMU runs the same contract).
 *               The VM is then EXITED and never runs again.
 *   port 0x502  write 1: readiness (PID1 has exec'd the workload). Other values are logged and
 *               ignored. Repeated readiness keeps the first time.
 *   reads return 0. The device claims 0x501..0x505 so that a 2- or 4-byte OUT at 0x501 or 0x502
 *   (PID1 may use outb, outw or outl) reaches it whole; writes at 0x503..0x505 are logged only.
 */
#ifndef HV_STATUS_PORT_H
#define HV_STATUS_PORT_H

#include "hv/vm.h"

#define STATUS_PORT_EXIT 0x501
#define STATUS_PORT_READY 0x502
#define STATUS_PORT_SPAN 5

int status_port_attach(struct vm *vm);

#endif /* HV_STATUS_PORT_H */
