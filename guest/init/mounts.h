/* The file systems PID1 provides before the workload starts. */
#ifndef D0_INIT_MOUNTS_H
#define D0_INIT_MOUNTS_H

#include <stddef.h>

/* devtmpfs on /dev (unless the kernel already mounted it, CONFIG_DEVTMPFS_MOUNT), then makes sure
 * fds 0, 1 and 2 are open on /dev/console. Returns 0, or -1 with a message. */
int d0_mount_dev(char *err, size_t errlen);

/* /proc, /sys, /dev/pts, /dev/shm, /tmp and the /dev/fd, /dev/std* links. Returns 0 or -1. */
int d0_mount_rest(char *err, size_t errlen);

/* Remounts / read-only so the ext4 journal is clean when the VM ends. Best effort. */
void d0_remount_root_ro(void);

#endif
