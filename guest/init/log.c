#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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
