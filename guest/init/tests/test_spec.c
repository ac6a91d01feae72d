/* Exec spec parser: valid specs with every key and escape, and one test per class of malformed
 * input, each asserting the error names the line and the problem. */
#include <stdlib.h>

#include "../spec.h"
#include "check.h"

static char err[512];

static int parse(const char *s, struct d0_exec *x)
{
	return d0_exec_parse(s, strlen(s), x, err, sizeof err);
}

/* Parses s expecting failure; returns the message. */
static const char *bad(const char *s)
{
	struct d0_exec x;
	memset(&x, 0x5a, sizeof x);
	int rc = parse(s, &x);
	CHECK(rc == -1);
	if (rc == 0)
		d0_exec_free(&x);
	return err;
}

static void test_full(void)
{
	struct d0_exec x;
	const char *s = "d0-exec 1\n"
			"arg /bin/sh\n"
			"arg -c\n"
			"arg echo \"$A\" \\\\ back\\nline\\x09tab\n"
			"env A=1=2\n"
			"env PATH=/opt/bin\n"
			"cwd /srv/app\n"
			"uid 1000\n"
			"gid 100\n"
			"groups 10 20 4294967294\n"
			"path /bin/busybox\n";
	CHECK(parse(s, &x) == 0);
	CHECK(x.argc == 3);
	CHECK_STR(x.argv[0], "/bin/sh");
	CHECK_STR(x.argv[1], "-c");
	CHECK_STR(x.argv[2], "echo \"$A\" \\ back\nline\ttab");
	CHECK(x.argv[3] == NULL);
	CHECK(x.envc == 2);
	CHECK_STR(x.envp[0], "A=1=2");
	CHECK(x.envp[2] == NULL);
	CHECK_STR(d0_env_get(x.envp, "PATH"), "/opt/bin");
	CHECK(d0_env_get(x.envp, "PAT") == NULL);
	CHECK_STR(x.cwd, "/srv/app");
	CHECK(x.uid == 1000 && x.gid == 100);
	CHECK(x.ngroups == 3 && x.groups[0] == 10 && x.groups[1] == 20 && x.groups[2] == 4294967294u);
	CHECK_STR(x.path, "/bin/busybox");
	d0_exec_free(&x);
}

static void test_defaults(void)
{
	struct d0_exec x;
	/* No trailing newline, no env, no cwd/uid/gid/groups/path. */
	CHECK(parse("d0-exec 1\narg true", &x) == 0);
	CHECK(x.argc == 1);
	CHECK_STR(x.argv[0], "true");
	CHECK(x.envc == 0 && x.envp != NULL && x.envp[0] == NULL);
	CHECK_STR(x.cwd, "/");
	CHECK(x.uid == 0 && x.gid == 0 && x.ngroups == 0);
	CHECK(x.path == NULL);
	d0_exec_free(&x);

	/* An empty argument and an empty groups line are legal; UTF-8 passes through. */
	CHECK(parse("d0-exec 1\narg echo\narg\narg h\xc3\xa9llo \xe2\x82\xac\ngroups\n", &x) == 0);
	CHECK(x.argc == 3);
	CHECK_STR(x.argv[1], "");
	CHECK_STR(x.argv[2], "h\xc3\xa9llo \xe2\x82\xac");
	CHECK(x.ngroups == 0);
	d0_exec_free(&x);
}

static void test_header(void)
{
	CHECK_CONTAINS(bad(""), "line 1: first line must be 'd0-exec 1'");
	CHECK_CONTAINS(bad("arg /bin/sh\n"), "line 1: first line must be");
	CHECK_CONTAINS(bad("d0-exec 2\narg x\n"), "unsupported exec spec version '2'");
	CHECK_CONTAINS(bad("d0-exec 1 \narg x\n"), "line 1:");
	CHECK_CONTAINS(bad("\xef\xbb\xbf" "d0-exec 1\narg x\n"), "line 1:");
}

static void test_structure(void)
{
	CHECK_CONTAINS(bad("d0-exec 1\n"), "no 'arg' line");
	CHECK_CONTAINS(bad("d0-exec 1\nenv A=1\n"), "no 'arg' line");
	CHECK_CONTAINS(bad("d0-exec 1\narg x\nfoo bar\n"), "line 3: unknown key 'foo'");
	CHECK_CONTAINS(bad("d0-exec 1\narg x\nuser 0\n"), "line 3: unknown key 'user'");
	CHECK_CONTAINS(bad("d0-exec 1\narg x\naveryveryverylongkeyname 1\n"), "line 3: unknown key");
	CHECK_CONTAINS(bad("d0-exec 1\narg x\n\narg y\n"), "line 3: empty line");
	CHECK_CONTAINS(bad("d0-exec 1\narg x\n\n"), "line 3: empty line");
	CHECK_CONTAINS(bad("d0-exec 1\nArg x\n"), "line 2: expected 'key value'");
	CHECK_CONTAINS(bad("d0-exec 1\narg\tx\n"), "line 2: expected 'key value'");
	CHECK_CONTAINS(bad("d0-exec 1\r\narg x\n"), "line 1:");
	CHECK_CONTAINS(bad("d0-exec 1\narg x\r\n"), "line 2: arg: raw control byte 0x0d");
	CHECK_CONTAINS(bad("d0-exec 1\narg\n"), "argv[0] is empty");
}

static void test_values(void)
{
	CHECK_CONTAINS(bad("d0-exec 1\narg a\\tb\n"), "line 2: arg: bad escape");
	CHECK_CONTAINS(bad("d0-exec 1\narg ab\\\n"), "line 2: arg: bad escape");
	CHECK_CONTAINS(bad("d0-exec 1\narg a\\x4\n"), "line 2: arg: bad escape");
	CHECK_CONTAINS(bad("d0-exec 1\narg a\\xZZ\n"), "line 2: arg: bad escape");
	CHECK_CONTAINS(bad("d0-exec 1\narg a\\x00b\n"), "line 2: arg: \\x00 is not allowed");
	CHECK_CONTAINS(bad("d0-exec 1\narg a\x01\n"), "raw control byte 0x01");
	CHECK_CONTAINS(bad("d0-exec 1\narg a\x7f\n"), "raw control byte 0x7f");
	CHECK_CONTAINS(bad("d0-exec 1\narg a\xff\n"), "line 2: arg: invalid UTF-8");
	CHECK_CONTAINS(bad("d0-exec 1\narg \xc0\xaf\n"), "invalid UTF-8");         /* overlong '/' */
	CHECK_CONTAINS(bad("d0-exec 1\narg \xed\xa0\x80\n"), "invalid UTF-8");     /* surrogate */
	CHECK_CONTAINS(bad("d0-exec 1\narg \xf4\x90\x80\x80\n"), "invalid UTF-8"); /* > U+10FFFF */
	CHECK_CONTAINS(bad("d0-exec 1\narg \xe2\x82\n"), "invalid UTF-8");         /* truncated */
	{
		static const char nul[] = "d0-exec 1\narg a\0b\n";
		struct d0_exec x;
		CHECK(d0_exec_parse(nul, sizeof nul - 1, &x, err, sizeof err) == -1);
		CHECK_CONTAINS(err, "raw control byte 0x00");
	}
	CHECK_CONTAINS(bad("d0-exec 1\narg x\nenv NOEQUALS\n"), "line 3: env: expected NAME=VALUE");
	CHECK_CONTAINS(bad("d0-exec 1\narg x\nenv =v\n"), "line 3: env: expected NAME=VALUE");
	CHECK_CONTAINS(bad("d0-exec 1\narg x\ncwd srv\n"), "line 3: cwd: 'srv' is not an absolute path");
	CHECK_CONTAINS(bad("d0-exec 1\narg x\ncwd\n"), "cwd: '' is not an absolute path");
	CHECK_CONTAINS(bad("d0-exec 1\narg x\npath\n"), "line 3: path: empty");
	CHECK_CONTAINS(bad("d0-exec 1\narg x\nuid -1\n"), "line 3: uid: '-1' is not an id");
	CHECK_CONTAINS(bad("d0-exec 1\narg x\nuid 4294967295\n"), "uid: '4294967295' is not an id");
	CHECK_CONTAINS(bad("d0-exec 1\narg x\nuid 99999999999\n"), "is not an id");
	CHECK_CONTAINS(bad("d0-exec 1\narg x\ngid 010\n"), "gid: '010' is not an id");
	CHECK_CONTAINS(bad("d0-exec 1\narg x\ngid\n"), "gid: '' is not an id");
	CHECK_CONTAINS(bad("d0-exec 1\narg x\nuid 1 \n"), "uid: '1 ' is not an id");
	CHECK_CONTAINS(bad("d0-exec 1\narg x\ngroups 1  2\n"), "groups: '' is not a group id");
	CHECK_CONTAINS(bad("d0-exec 1\narg x\ngroups 1 2 \n"), "groups: trailing space");
	CHECK_CONTAINS(bad("d0-exec 1\narg x\ngroups 1 x\n"), "groups: 'x' is not a group id");
}

static void test_duplicates(void)
{
	const char *keys[] = { "cwd /a", "uid 1", "gid 1", "groups 1", "path /x" };
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		char s[128], want[64];
		snprintf(s, sizeof s, "d0-exec 1\narg x\n%s\n%s\n", keys[i], keys[i]);
		snprintf(want, sizeof want, "line 4: duplicate key '%.*s'", (int)strcspn(keys[i], " "), keys[i]);
		CHECK_CONTAINS(bad(s), want);
	}
}

static void test_size_limit(void)
{
	size_t n = D0_EXEC_MAX_BYTES + 1;
	char *big = malloc(n);
	struct d0_exec x;
	memset(big, 'a', n);
	memcpy(big, "d0-exec 1\narg ", 14);
	CHECK(d0_exec_parse(big, n, &x, err, sizeof err) == -1);
	CHECK_CONTAINS(err, "limit is 1048576");
	/* Exactly at the limit is accepted. */
	CHECK(d0_exec_parse(big, n - 1, &x, err, sizeof err) == 0);
	CHECK(x.argc == 1 && strlen(x.argv[0]) == n - 1 - 14);
	d0_exec_free(&x);
	free(big);
}

int main(void)
{
	test_full();
	test_defaults();
	test_header();
	test_structure();
	test_values();
	test_duplicates();
	test_size_limit();
	return check_exit("test_spec");
}
