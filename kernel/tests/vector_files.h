/* The golden vector files of test/vectors/ as the C host tests read them (kernel/tests). */
#ifndef D0_TESTS_VECTOR_FILES_H
#define D0_TESTS_VECTOR_FILES_H

#include <stddef.h>
#include <stdint.h>

/* A whole file, malloc'ed (the caller frees it); NULL when it cannot be opened. */
uint8_t *vector_read_file(const char *path, size_t *len);

/* The names (file name without ".tlv") of the vectors in dir, sorted, at most cap, each
 * malloc'ed; returns how many. A directory that cannot be opened is a failed check and 0. */
unsigned vector_names(const char *dir, char *names[], unsigned cap);

#endif
