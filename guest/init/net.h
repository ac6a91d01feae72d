/* Static network setup with classic ioctls: lo 127.0.0.1/8, eth0 from d0.ip, routes from d0.gw
 * and d0.route. eth0 stays down when there is no d0.ip. */
#ifndef D0_INIT_NET_H
#define D0_INIT_NET_H

#include <stddef.h>
#include "cmdline.h"

int d0_net_setup(const struct d0_cmdline *c, char *err, size_t errlen);

#endif
