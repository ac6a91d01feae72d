/* When a CPU may halt instead of polling (contract in idle.h). */
#include "hv/idle.h"

/* now - then >= span, for a `then` that may lie ahead of now (another CPU's clock read). */
static bool at_least_ago(uint64_t now, uint64_t then, uint64_t span)
{
  return then <= now && now - then >= span;
}

bool idle_may_halt(const struct idle_view *v)
{
  if (v->tick_ns == 0)
    return false;
  if (v->last_ran_ns != 0 && !at_least_ago(v->now_ns, v->last_ran_ns, IDLE_ACTIVE_NS))
    return false;
  if (v->last_net_ns != 0 && !at_least_ago(v->now_ns, v->last_net_ns, IDLE_NET_QUIET_NS))
    return false;
  if (v->next_wake_ns == IDLE_NO_DEADLINE)
    return true;
  return v->next_wake_ns > v->now_ns && v->next_wake_ns - v->now_ns >= v->tick_ns;
}
