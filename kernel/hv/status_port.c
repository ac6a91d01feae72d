#include "hv/status_port.h"

#include "hv/bus.h"
#include "hv/event.h"

static uint64_t status_read(void *ctx, uint64_t off, uint8_t size)
{
  (void)ctx, (void)off, (void)size;
  return 0;
}

static void status_write(void *ctx, uint64_t off, uint8_t size, uint64_t value)
{
  struct vm *vm = ctx;
  value &= bus_ones(size);
  if (off == 0) {
    vm_report_exit(vm, (uint32_t)value);
  } else if (off != 1) {
    hv_event(vm->name, "status-port", "write-unused-port", 0, STATUS_PORT_EXIT + off, value);
  } else if (value == 1) {
    vm_report_ready(vm);
  } else {
    hv_event(vm->name, "status-port", "bad-readiness-value", 0, value, 0);
  }
}

static const struct bus_ops status_ops = {status_read, status_write};

int status_port_attach(struct vm *vm)
{
  return bus_register(&vm->pio, STATUS_PORT_EXIT, STATUS_PORT_SPAN, "status-port", &status_ops, vm);
}
