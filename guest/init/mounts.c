#include "mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static int ensure_dir(const char *path, mode_t mode, char *err, size_t errlen)
{
	struct stat st;
	if (mkdir(path, mode) == 0 || (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode)))
		return 0;
	snprintf(err, errlen, "mkdir %s: %s", path, strerror(errno));
	return -1;
}

static int mount_on(const char *src, const char *target, const char *type, unsigned long flags,
		    const char *data, char *err, size_t errlen)
{
	if (ensure_dir(target, 0755, err, errlen) != 0)
		return -1;
	if (mount(src, target, type, flags, data) == 0)
		return 0;
	snprintf(err, errlen, "mount %s on %s: %s", type, target, strerror(errno));
	return -1;
}

/* True when something is mounted on path (it lives on another device than /). */
static int is_mountpoint(const char *path)
{
	struct stat root, st;
	return stat("/", &root) == 0 && stat(path, &st) == 0 && st.st_dev != root.st_dev;
}

int d0_mount_dev(char *err, size_t errlen)
{
	if (!is_mountpoint("/dev") &&
	    mount_on("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755", err, errlen) != 0)
		return -1;
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) != -1)
			continue;
		int c = open("/dev/console", O_RDWR | O_NOCTTY);
		if (c < 0) {
			snprintf(err, errlen, "open /dev/console: %s", strerror(errno));
			return -1;
		}
		if (c != fd) {
			dup2(c, fd);
			close(c);
		}
	}
	return 0;
}

int d0_mount_rest(char *err, size_t errlen)
{
	const unsigned long nse = MS_NOSUID | MS_NODEV | MS_NOEXEC;
	static const char *const links[][2] = {
		{ "/proc/self/fd", "/dev/fd" },
		{ "/proc/self/fd/0", "/dev/stdin" },
		{ "/proc/self/fd/1", "/dev/stdout" },
		{ "/proc/self/fd/2", "/dev/stderr" },
	};

	if (mount_on("proc", "/proc", "proc", nse, NULL, err, errlen) != 0 ||
	    mount_on("sysfs", "/sys", "sysfs", nse, NULL, err, errlen) != 0 ||
	    mount_on("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "mode=0620,ptmxmode=0666,gid=5",
		     err, errlen) != 0 ||
	    mount_on("shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", err, errlen) != 0 ||
	    mount_on("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", err, errlen) != 0)
		return -1;
	for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
		if (symlink(links[i][0], links[i][1]) != 0 && errno != EEXIST) {
			snprintf(err, errlen, "symlink %s: %s", links[i][1], strerror(errno));
			return -1;
		}
	return 0;
}

void d0_remount_root_ro(void)
{
	mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY, NULL);
}
