/* libFuzzer target: the exec spec and kernel command-line parsers on arbitrary bytes. Both read
 * untrusted input inside the guest; neither may crash, leak or read out of bounds, and a spec
 * that parses must satisfy the invariants PID1 relies on. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../cmdline.h"
#include "../spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	struct d0_exec x;
	struct d0_cmdline c;

	if (d0_exec_parse((const char *)data, size, &x, err, sizeof err) == 0) {
		assert(x.argc >= 1 && x.argv[x.argc] == NULL && x.envp[x.envc] == NULL);
		assert(x.argv[0][0] != '\0' || x.path != NULL);
		assert(x.cwd[0] == '/');
		for (size_t i = 0; i < x.envc; i++)
			assert(strchr(x.envp[i], '=') > x.envp[i]);
		d0_exec_free(&x);
	} else {
		assert(err[0] != '\0');
	}
	if (d0_cmdline_parse((const char *)data, size, &c, err, sizeof err) == 0) {
		assert(c.nroutes <= D0_MAX_ROUTES && strlen(c.name) <= D0_MAX_HOSTNAME);
		assert(!c.has_gw || c.has_ip);
	} else {
		assert(err[0] != '\0');
	}
	return 0;
}
