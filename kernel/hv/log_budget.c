#include "hv/log_budget.h"

#define NS_PER_S 1000000000ull

void log_budget_init(struct log_budget *b, uint32_t rate_per_s, uint32_t burst, uint64_t now_ns)
{
  b->rate_per_s = rate_per_s;
  b->burst = burst;
  b->level = (uint64_t)burst * NS_PER_S;
  b->last_ns = now_ns;
  b->passed = b->dropped = 0;
}

bool log_budget_take(struct log_budget *b, uint64_t now_ns)
{
  uint64_t cap = (uint64_t)b->burst * NS_PER_S;
  if (now_ns > b->last_ns) {
    uint64_t elapsed = now_ns - b->last_ns;
    /* Past the time a refill from empty takes, the bucket is full: this also keeps
     * elapsed * rate far from overflowing. */
    if (b->rate_per_s == 0 || elapsed >= cap / b->rate_per_s + 1)
      b->level = b->rate_per_s == 0 ? b->level : cap;
    else
      b->level += elapsed * b->rate_per_s;
    if (b->level > cap)
      b->level = cap;
    b->last_ns = now_ns;
  }
  if (b->level < NS_PER_S) {
    b->dropped++;
    return false;
  }
  b->level -= NS_PER_S;
  b->passed++;
  return true;
}
