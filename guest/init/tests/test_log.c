/* The event lines' values (log.c, d0_logfmt_value): plain values as they are, anything else quoted
 * and escaped by the logfmt rule of D0's own log (kernel/log/logfmt.h), a long value cut between
 * escapes with its quote closed. */
#include "../log.h"
#include "check.h"

static char buf[64];

static const char *q(const char *v)
{
	return d0_logfmt_value(v, buf, sizeof buf);
}

int main(void)
{
	const char *plain = "/bin/sh:exec-failed";
	CHECK(q(plain) == plain);
	CHECK_STR(q(""), "\"\"");
	CHECK_STR(q("/.d0/exec: line 3: unknown key 'entrypoint'"), "\"/.d0/exec: line 3: unknown key 'entrypoint'\"");
	CHECK_STR(q("a=b"), "\"a=b\"");
	CHECK_STR(q("say \"hi\" C:\\"), "\"say \\\"hi\\\" C:\\\\\"");
	CHECK_STR(q("two\nlines\t\x7f"), "\"two\\x0alines\\x09\\x7f\"");
	CHECK_STR(q("caf\xc3\xa9"), "\"caf\\xc3\\xa9\"");

	/* Cut to fit: 64 bytes with the quotes and the NUL; never half an escape. */
	char long_value[100];
	memset(long_value, ' ', 99);
	long_value[99] = '\0';
	const char *cut = q(long_value);
	CHECK(strlen(cut) == 63 && cut[0] == '"' && cut[62] == '"');
	memset(long_value, '\x01', 99);
	cut = q(long_value);
	CHECK(strlen(cut) == 2 + 15 * 4 && cut[strlen(cut) - 1] == '"' && strncmp(cut + 57, "\\x01\"", 5) == 0);
	return check_exit("test_log");
}
