#include "hv/exit_count.h"

static uint32_t slot_of(uint64_t addr, bool write)
{
  uint64_t h = (addr * 2u + (write ? 1u : 0u)) * 0x9e3779b97f4a7c15ull;
  return (uint32_t)(h >> 32) & (EXIT_COUNT_SLOTS - 1u);
}

static struct exit_count_slot *find(struct exit_counts *c, uint64_t addr, bool write, bool insert)
{
  uint32_t s = slot_of(addr, write);
  for (uint32_t i = 0; i < EXIT_COUNT_SLOTS; i++) {
    struct exit_count_slot *e = &c->slot[(s + i) & (EXIT_COUNT_SLOTS - 1u)];
    if (e->n == 0) {
      if (!insert)
        return NULL;
      e->addr = addr;
      e->write = write;
      return e;
    }
    if (e->addr == addr && e->write == write)
      return e;
  }
  return NULL;
}

void exit_count_add(struct exit_counts *c, uint64_t addr, bool write)
{
  struct exit_count_slot *e = find(c, addr, write, true);
  if (e == NULL)
    c->other++;
  else
    e->n++;
}

uint64_t exit_count_get(const struct exit_counts *c, uint64_t addr, bool write)
{
  const struct exit_count_slot *e = find((struct exit_counts *)c, addr, write, false);
  return e == NULL ? 0 : e->n;
}

/* a ranks before b: larger count, then lower address, then read before write. */
static bool before(const struct exit_count_slot *a, const struct exit_count_slot *b)
{
  if (a->n != b->n)
    return a->n > b->n;
  if (a->addr != b->addr)
    return a->addr < b->addr;
  return !a->write && b->write;
}

/* Appends s[0..n) if it fits with the terminator; false (nothing written) if not. */
static bool put(char *out, size_t cap, size_t *len, const char *s, size_t n)
{
  if (*len + n >= cap)
    return false;
  for (size_t i = 0; i < n; i++)
    out[*len + i] = s[i];
  *len += n;
  return true;
}

static size_t fmt_entry(const struct exit_count_slot *e, bool comma, char *buf)
{
  static const char hex[] = "0123456789abcdef";
  size_t n = 0;
  if (comma)
    buf[n++] = ',';
  buf[n++] = '0';
  buf[n++] = 'x';
  int shift = 60;
  while (shift > 0 && ((e->addr >> shift) & 0xfu) == 0)
    shift -= 4;
  for (; shift >= 0; shift -= 4)
    buf[n++] = hex[(e->addr >> shift) & 0xfu];
  buf[n++] = e->write ? 'w' : 'r';
  buf[n++] = ':';
  char dec[20];
  size_t d = 0;
  uint64_t v = e->n;
  do {
    dec[d++] = (char)('0' + v % 10u);
    v /= 10u;
  } while (v != 0);
  while (d > 0)
    buf[n++] = dec[--d];
  return n;
}

size_t exit_count_top(const struct exit_counts *c, uint32_t top, char *out, size_t cap)
{
  size_t len = 0;
  if (cap == 0)
    return 0;
  out[0] = '\0';
  if (top > EXIT_COUNT_TOP)
    top = EXIT_COUNT_TOP;
  const struct exit_count_slot *prev = NULL;
  for (uint32_t k = 0; k < top; k++) {
    /* The best entry ranking after the previous one picked: O(top * slots), no sorting state. */
    const struct exit_count_slot *best = NULL;
    for (uint32_t i = 0; i < EXIT_COUNT_SLOTS; i++) {
      const struct exit_count_slot *e = &c->slot[i];
      if (e->n == 0 || (prev != NULL && !before(prev, e)))
        continue;
      if (best == NULL || before(e, best))
        best = e;
    }
    if (best == NULL)
      break;
    char buf[48];
    size_t n = fmt_entry(best, k > 0, buf);
    if (!put(out, cap, &len, buf, n))
      break;
    prev = best;
  }
  out[len] = '\0';
  return len;
}
