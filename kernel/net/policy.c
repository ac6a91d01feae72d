/* The egress allow-list match (contract in policy.h). */
#include "net/policy.h"

#include "net/pkt.h"

static bool rule_matches(const struct policy_rule *r, const uint8_t dst[4], uint8_t proto,
                         uint16_t dport)
{
  if (!pkt_ip4_in_net(dst, r->net, r->prefix))
    return false;
  if (r->proto == POLICY_PROTO_ANY)
    return true;
  if (r->proto != proto)
    return false;
  if (proto != IP_PROTO_TCP && proto != IP_PROTO_UDP)
    return true;
  if (r->port_lo == 0 && r->port_hi == 0)
    return true;
  return dport >= r->port_lo && dport <= r->port_hi;
}

bool policy_allows(const struct policy *p, const uint8_t dst[4], uint8_t proto, uint16_t dport)
{
  if (!p->restricted)
    return true;
  uint32_t n = p->n_rules < POLICY_MAX_RULES ? p->n_rules : POLICY_MAX_RULES;
  for (uint32_t i = 0; i < n; i++)
    if (rule_matches(&p->rules[i], dst, proto, dport))
      return true;
  return false;
}
