/* Status values PID1 writes to the status port (0x501) and what they mean; see guest/README.md.
 * 0..255 is the workload's own exit status, 128+N means killed by signal N; these values are
 * PID1's own failures, chosen high so that ordinary programs rarely collide with them. */
#ifndef D0_INIT_CODES_H
#define D0_INIT_CODES_H

enum d0_status {
	D0_ST_BAD_SPEC = 0xE0,     /* /.d0/exec missing, unreadable, too large or malformed */
	D0_ST_NOT_FOUND = 0xE1,    /* the executable does not exist (ENOENT/ENOTDIR on every candidate) */
	D0_ST_EXEC_FAILED = 0xE2,  /* execve refused it: permission, bad format, ... */
	D0_ST_SETUP = 0xE3,        /* mounts, hostname, network, status port */
	D0_ST_BAD_CMDLINE = 0xE4,  /* a d0.* kernel command-line key is malformed or unknown */
	D0_ST_IDENTITY = 0xE5,     /* setgroups/setgid/setuid or chdir(cwd) failed */
	D0_ST_INTERNAL = 0xE6,     /* fork, pipe or another resource failure inside PID1 */
};

#endif
