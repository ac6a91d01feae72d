/*
 * The guest status device, the paravirtual end of the guest contract (guest/README.md):
 *
 *   port 0x501  write: the workload's exit status (the value written, masked to the access size;
 *               QEMU's isa-debug-exit at the same port gives plain-QEMU runs the same contract).
 *               The VM is then EXITED and never runs again.
 *   port 0x502  write 1: readiness (PID1 has exec'd the workload). Other values are logged and
 *               ignored. Repeated readiness keeps the first time.
 *   reads of either port return 0.
 */
#ifndef HV_STATUS_PORT_H
#define HV_STATUS_PORT_H

#include "hv/vm.h"

#define STATUS_PORT_EXIT 0x501
#define STATUS_PORT_READY 0x502

int status_port_attach(struct vm *vm);

#endif /* HV_STATUS_PORT_H */
