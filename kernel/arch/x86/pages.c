#include "arch/x86/pages.h"

#include "d0/lib.h"

static uint8_t *pool;
static size_t pool_pages, pool_used;

void x86_pages_init(void *base, size_t npages)
{
  pool = base;
  pool_pages = npages;
  pool_used = 0;
}

void *x86_pages_alloc(size_t n)
{
  if (pool == NULL || n == 0 || n > pool_pages - pool_used)
    return NULL;
  void *p = pool + pool_used * X86_PAGE;
  pool_used += n;
  memset(p, 0, n * X86_PAGE);
  return p;
}

size_t x86_pages_free_count(void) { return pool_pages - pool_used; }
