/* A minimal test harness for the host unit tests: CHECK() records a failure with its line and
 * keeps going; main() ends with check_summary(), whose exit status mocha asserts on. */
#ifndef D0_INIT_TEST_CHECK_H
#define D0_INIT_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures, check_count;

#define CHECK(cond)                                                                 \
	do {                                                                        \
		check_count++;                                                      \
		if (!(cond)) {                                                      \
			check_failures++;                                           \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                   \
	} while (0)

#define CHECK_STR(a, b) CHECK((a) != NULL && strcmp((a), (b)) == 0)
#define CHECK_CONTAINS(hay, needle) CHECK(strstr((hay), (needle)) != NULL)

static int check_summary(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, check_count, check_failures);
	return check_failures ? 1 : 0;
}

#endif
