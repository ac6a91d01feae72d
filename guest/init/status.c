#include "status.h"

#include <errno.h>
#include <sys/io.h>

static int ports_open;

int d0_status_open(void)
{
	if (ioperm(D0_STATUS_PORT, 2, 1) != 0)
		return -errno;
	ports_open = 1;
	return 0;
}

void d0_status_ready(void)
{
	if (ports_open)
		outb(1, D0_READY_PORT);
}

void d0_status_exit(uint8_t value)
{
	if (ports_open)
		outb(value, D0_STATUS_PORT);
}
