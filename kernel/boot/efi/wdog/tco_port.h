/* The platform's own register access for the TCO (wdog/tco.h): PCI 00:1f.0, ports, MMIO. */
#ifndef D0_BOOT_EFI_WDOG_TCO_PORT_H
#define D0_BOOT_EFI_WDOG_TCO_PORT_H

#include "wdog/tco.h"

extern const struct tco_io tco_port_io;

#endif
