/*
 * The PC's leftover system ports that a Linux guest touches, and the guest's reset request.
 *
 *   0x60       i8042 data: reads all ones (no controller), writes logged
 *   0x61       system control port B: forwarded to the PIT (gate 2, speaker, OUT2, refresh)
 *   0x62-0x63  nothing on a PC/AT: reads all ones, writes dropped, logged
 *   0x64       i8042 status: reads all ones, as an empty ISA bus does, so Linux's i8042 driver
 *              finds no controller after 16 reads ("No controller found") instead of polling a
 *              silent one for ~1 s; command: 0xFE still pulses the CPU reset line -> reset
 *              request; other commands logged and ignored
 *   0x80       POST code / Linux's I/O delay port: writes stored (nothing is done with them)
 *   0x87       8237 DMA page register (channel 0): read/write storage
 *   0x92       system control port A: bit 1 A20 (always on, reads 0x02), a 0->1 write of bit 0
 *              is a fast reset -> reset request
 *
 * A reset request calls reset(ctx) once per request; the VM layer stops the VM with reason
 * "reset" (D0 never re-runs a VM in place: a guest reboot ends the VM like a triple fault).
 */
#ifndef DEV_PLATFORM_SYSPORTS_H
#define DEV_PLATFORM_SYSPORTS_H

#include <stdbool.h>
#include <stdint.h>

#include "dev/platform/dev_log.h"
#include "dev/platform/pit.h"
#include "hv/bus.h"

#define SYS_KBC_PORT 0x60
#define SYS_KBC_PORTS 5 /* 0x60..0x64 */
#define SYS_POST_PORT 0x80
#define SYS_DMA_PAGE_PORT 0x87
#define SYS_PORT_A 0x92

#define SYS_KBC_STATUS 0xffu /* no controller */
#define SYS_KBC_DATA 0xffu
#define SYS_KBC_CMD_RESET 0xfeu
#define SYS_PORT_A_RESET 0x01u
#define SYS_PORT_A_A20 0x02u

struct sysports {
  struct pit *pit;
  uint8_t post, dma_page, port_a;
  uint64_t resets;
  void (*reset)(void *ctx);
  void *reset_ctx;
  struct dev_log log;
};

void sysports_init(struct sysports *s, const struct dev_env *env, struct pit *pit,
                   void (*reset)(void *ctx), void *reset_ctx);

extern const struct bus_ops sys_kbc_ops, sys_post_ops, sys_dma_page_ops, sys_port_a_ops;

#endif /* DEV_PLATFORM_SYSPORTS_H */
