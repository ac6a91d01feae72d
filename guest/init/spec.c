#include "spec.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parser {
	char *err;
	size_t errlen;
	size_t line;
};

static int fail(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(p->err, p->errlen, "line %zu: ", p->line);
	if (n < 0 || (size_t)n >= p->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlongs, no surrogates,
 * at most U+10FFFF), or 0 if there is none. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	unsigned lo = 0x80, hi = 0xBF;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		if (c == 0xE0)
			lo = 0xA0;
		if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		if (c == 0xF0)
			lo = 0x90;
		if (c == 0xF4)
			hi = 0x8F;
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return len;
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes an escaped value into a fresh NUL-terminated string; a decoded NUL byte is refused
 * because it cannot cross execve(). */
static char *decode(struct parser *p, const char *key, const unsigned char *s, size_t n)
{
	char *out = malloc(n + 1);
	size_t o = 0;

	if (!out) {
		fail(p, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		if (c == '\\') {
			if (i + 1 >= n)
				goto bad_escape;
			if (s[i + 1] == '\\') {
				out[o++] = '\\';
				i += 2;
			} else if (s[i + 1] == 'n') {
				out[o++] = '\n';
				i += 2;
			} else if (s[i + 1] == 'x' && i + 3 < n && hexval(s[i + 2]) >= 0 && hexval(s[i + 3]) >= 0) {
				int v = hexval(s[i + 2]) * 16 + hexval(s[i + 3]);
				if (v == 0) {
					fail(p, "%s: \\x00 is not allowed (NUL cannot be passed to a process)", key);
					goto err;
				}
				out[o++] = (char)v;
				i += 4;
			} else
				goto bad_escape;
		} else if (c < 0x20 || c == 0x7f) {
			fail(p, "%s: raw control byte 0x%02x must be escaped as \\x%02x", key, c, c);
			goto err;
		} else {
			size_t l = utf8_len(s + i, n - i);
			if (l == 0) {
				fail(p, "%s: invalid UTF-8 at byte %zu of the value", key, i);
				goto err;
			}
			memcpy(out + o, s + i, l);
			o += l;
			i += l;
		}
		continue;
bad_escape:
		fail(p, "%s: bad escape at byte %zu of the value (allowed: \\\\ \\n \\xHH)", key, i);
		goto err;
	}
	out[o] = '\0';
	return out;
err:
	free(out);
	return NULL;
}

/* Decimal 0..4294967294 without sign or leading zeros (4294967295 is the kernel's "no id"). */
static int parse_id(const char *s, size_t n, uint32_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 10 || (n > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v >= 0xFFFFFFFFu)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int push(struct parser *p, char ***arr, size_t *n, char *s)
{
	char **grown = realloc(*arr, (*n + 2) * sizeof **arr);
	if (!grown) {
		free(s);
		return fail(p, "out of memory");
	}
	grown[(*n)++] = s;
	grown[*n] = NULL;
	*arr = grown;
	return 0;
}

static int parse_groups(struct parser *p, struct d0_exec *e, const char *v)
{
	size_t len = strlen(v);
	size_t i = 0;

	while (i < len) {
		size_t j = i;
		while (j < len && v[j] != ' ')
			j++;
		uint32_t g;
		if (parse_id(v + i, j - i, &g) != 0)
			return fail(p, "groups: '%.*s' is not a group id (decimal 0..4294967294, single spaces)",
				    (int)(j - i), v + i);
		if (e->ngroups >= D0_EXEC_MAX_GROUPS)
			return fail(p, "groups: more than %u groups", D0_EXEC_MAX_GROUPS);
		uint32_t *grown = realloc(e->groups, (e->ngroups + 1) * sizeof *grown);
		if (!grown)
			return fail(p, "out of memory");
		e->groups = grown;
		e->groups[e->ngroups++] = g;
		if (j == len)
			break;
		i = j + 1;
		if (i == len)
			return fail(p, "groups: trailing space");
	}
	return 0;
}

enum { SEEN_CWD = 1, SEEN_UID = 2, SEEN_GID = 4, SEEN_GROUPS = 8, SEEN_PATH = 16 };

static int once(struct parser *p, unsigned *seen, unsigned bit, const char *key)
{
	if (*seen & bit)
		return fail(p, "duplicate key '%s'", key);
	*seen |= bit;
	return 0;
}

static int apply(struct parser *p, struct d0_exec *e, unsigned *seen, const char *key, char *v)
{
	if (strcmp(key, "arg") == 0)
		return push(p, &e->argv, &e->argc, v);
	if (strcmp(key, "env") == 0) {
		const char *eq = strchr(v, '=');
		if (!eq || eq == v) {
			free(v);
			return fail(p, "env: expected NAME=VALUE with a non-empty NAME");
		}
		return push(p, &e->envp, &e->envc, v);
	}
	int rc = 0;
	if (strcmp(key, "cwd") == 0) {
		if ((rc = once(p, seen, SEEN_CWD, key)) == 0) {
			if (v[0] != '/')
				rc = fail(p, "cwd: '%s' is not an absolute path", v);
			else {
				e->cwd = v;
				return 0;
			}
		}
	} else if (strcmp(key, "path") == 0) {
		if ((rc = once(p, seen, SEEN_PATH, key)) == 0) {
			if (v[0] == '\0')
				rc = fail(p, "path: empty");
			else {
				e->path = v;
				return 0;
			}
		}
	} else if (strcmp(key, "uid") == 0 || strcmp(key, "gid") == 0) {
		int is_uid = key[0] == 'u';
		if ((rc = once(p, seen, is_uid ? SEEN_UID : SEEN_GID, key)) == 0 &&
		    parse_id(v, strlen(v), is_uid ? &e->uid : &e->gid) != 0)
			rc = fail(p, "%s: '%s' is not an id (decimal 0..4294967294)", key, v);
	} else if (strcmp(key, "groups") == 0) {
		if ((rc = once(p, seen, SEEN_GROUPS, key)) == 0)
			rc = parse_groups(p, e, v);
	} else
		rc = fail(p, "unknown key '%s'", key);
	free(v);
	return rc;
}

static const char HEADER[] = "d0-exec 1";

int d0_exec_parse(const char *buf, size_t len, struct d0_exec *out, char *err, size_t errlen)
{
	struct parser p = { err, errlen, 1 };
	struct d0_exec e = { 0 };
	unsigned seen = 0;
	const unsigned char *s = (const unsigned char *)buf;
	size_t pos = 0;

	if (errlen > 0)
		err[0] = '\0';
	if (len > D0_EXEC_MAX_BYTES) {
		snprintf(err, errlen, "exec spec is %zu bytes, the limit is %u", len, D0_EXEC_MAX_BYTES);
		return -1;
	}
	for (; pos < len || p.line == 1; p.line++) {
		const unsigned char *nl = memchr(s + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - s) : len;
		size_t n = end - pos;
		const char *l = (const char *)s + pos;
		pos = nl ? end + 1 : len;

		if (p.line == 1) {
			if (n != sizeof HEADER - 1 || memcmp(l, HEADER, n) != 0) {
				if (n > 8 && memcmp(l, "d0-exec ", 8) == 0)
					fail(&p, "unsupported exec spec version '%.*s' (this init reads 1)",
					     (int)(n - 8 > 16 ? 16 : n - 8), l + 8);
				else
					fail(&p, "first line must be '%s'", HEADER);
				goto err;
			}
			continue;
		}
		size_t k = 0;
		while (k < n && l[k] >= 'a' && l[k] <= 'z')
			k++;
		if (k == 0 || (k < n && l[k] != ' ')) {
			fail(&p, n == 0 ? "empty line" : "expected 'key value' with a lowercase key");
			goto err;
		}
		char key[16];
		if (k >= sizeof key) {
			fail(&p, "unknown key '%.*s'", (int)(k > 32 ? 32 : k), l);
			goto err;
		}
		memcpy(key, l, k);
		key[k] = '\0';
		size_t vstart = k < n ? k + 1 : n;
		char *v = decode(&p, key, (const unsigned char *)l + vstart, n - vstart);
		if (!v || apply(&p, &e, &seen, key, v) != 0)
			goto err;
	}
	if (e.argc == 0) {
		snprintf(err, errlen, "no 'arg' line: at least argv[0] is required");
		goto err;
	}
	if (e.argv[0][0] == '\0' && !e.path) {
		snprintf(err, errlen, "argv[0] is empty and there is no 'path'");
		goto err;
	}
	if (!e.envp && !(e.envp = calloc(1, sizeof *e.envp))) {
		snprintf(err, errlen, "out of memory");
		goto err;
	}
	if (!e.cwd && !(e.cwd = strdup("/"))) {
		snprintf(err, errlen, "out of memory");
		goto err;
	}
	*out = e;
	return 0;
err:
	d0_exec_free(&e);
	return -1;
}

void d0_exec_free(struct d0_exec *e)
{
	for (size_t i = 0; i < e->argc; i++)
		free(e->argv[i]);
	for (size_t i = 0; i < e->envc; i++)
		free(e->envp[i]);
	free(e->argv);
	free(e->envp);
	free(e->cwd);
	free(e->path);
	free(e->groups);
	memset(e, 0, sizeof *e);
}

const char *d0_env_get(char *const *envp, const char *name)
{
	size_t n = strlen(name);
	for (; envp && *envp; envp++)
		if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}
