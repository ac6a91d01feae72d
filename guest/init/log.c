#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int plain(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '=' && c != '"' && c != '\\';
}

const char *d0_logfmt_value(const char *v, char *buf, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = strlen(v), i, k = 0;

	for (i = 0; i < n && plain((unsigned char)v[i]); i++)
		;
	if (n > 0 && i == n)
		return v;
	buf[k++] = '"';
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		char e[4];
		size_t m = 0;
		if (c == '"' || c == '\\') {
			e[m++] = '\\';
			e[m++] = (char)c;
		} else if (c >= 0x20 && c < 0x7f) {
			e[m++] = (char)c;
		} else {
			e[m++] = '\\';
			e[m++] = 'x';
			e[m++] = hex[c >> 4];
			e[m++] = hex[c & 15];
		}
		if (k + m + 2 > cap) /* room for the closing quote and the NUL */
			break;
		memcpy(buf + k, e, m);
		k += m;
	}
	buf[k++] = '"';
	buf[k] = '\0';
	return buf;
}

void d0_event(const char *fmt, ...)
{
	static const char prefix[] = "d0-init ";
	char line[1024];
	size_t n = sizeof prefix - 1;
	va_list ap;

	memcpy(line, prefix, n);
	va_start(ap, fmt);
	int w = vsnprintf(line + n, sizeof line - n - 1, fmt, ap);
	va_end(ap);
	if (w < 0)
		w = 0;
	if ((size_t)w > sizeof line - n - 2)
		w = (int)(sizeof line - n - 2);
	for (size_t i = n; i < n + (size_t)w; i++) {
		unsigned char c = (unsigned char)line[i];
		if (c < 0x20 || c == 0x7f)
			line[i] = '?';
	}
	n += (size_t)w;
	line[n++] = '\n';
	while (n > 0) {
		ssize_t k = write(STDOUT_FILENO, line, n);
		if (k <= 0)
			return;
		memmove(line, line + k, n - (size_t)k);
		n -= (size_t)k;
	}
}
