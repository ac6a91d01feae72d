/* The router tests' rig (contract in router_rig.h). */
#include "router_rig.h"

#include <stdlib.h>
#include <string.h>

struct out out;
struct router r;
struct net_counters cnt[2], up_cnt;

static void to_port(void *ctx, uint32_t port, const uint8_t *f, uint32_t len)
{
  CHECK(ctx == &out);
  out.n++, out.uplink = false, out.port = port, out.len = len;
  memcpy(out.f, f, len);
}

static void to_uplink(void *ctx, const uint8_t *f, uint32_t len)
{
  CHECK(ctx == &out);
  out.n++, out.uplink = true, out.len = len;
  memcpy(out.f, f, len);
}

/* The configuration of most tests, in a static (it is large): fresh each call. */
static struct router_cfg cfg;
struct router_cfg *base_cfg(void)
{
  cfg = (struct router_cfg){.bridge_mac = D0_BRIDGE_MAC, .bridge_ip = {10, 20, 0, 1}, .bridge_prefix = 24,
                         .egress_nat = true, .uplink = true, .n_containers = 2, .seed = 77,
                         .to_port = to_port, .to_uplink = to_uplink, .ctx = &out,
                         .uplink_counters = &up_cnt};
  struct router_cfg *c = &cfg;
  memcpy(c->uplink_mac, UP_MAC, 6);
  memcpy(c->uplink_ip, UP_IP, 4);
  struct router_container *c0 = &c->containers[0], *c1 = &c->containers[1];
  c0->port = 0, c1->port = 1;
  memcpy(c0->mac, C0_MAC, 6), memcpy(c1->mac, C1_MAC, 6);
  memcpy(c0->ip, C0_IP, 4), memcpy(c1->ip, C1_IP, 4);
  c0->counters = &cnt[0], c1->counters = &cnt[1];
  c0->n_publish = 2;
  c0->publish[0] = (struct router_publish){IP_PROTO_TCP, 8080, 80};
  c0->publish[1] = (struct router_publish){IP_PROTO_UDP, 5353, 53};
  /* c1 may reach 198.51.100.0/24 on TCP 443, anything by ICMP, DNS at 203.0.113.53. */
  c1->egress.restricted = true;
  c1->egress.n_rules = 3;
  c1->egress.rules[0] = (struct policy_rule){{198, 51, 100, 0}, 24, IP_PROTO_TCP, 443, 443};
  c1->egress.rules[1] = (struct policy_rule){{0, 0, 0, 0}, 0, IP_PROTO_ICMP, 0, 0};
  c1->egress.rules[2] = (struct policy_rule){{203, 0, 113, 53}, 32, IP_PROTO_UDP, 53, 53};
  return c;
}

void setup_cfg(const struct router_cfg *c)
{
  memset(&out, 0, sizeof out);
  memset(cnt, 0, sizeof cnt);
  memset(&up_cnt, 0, sizeof up_cnt);
  CHECK(router_init(&r, c) == NULL);
  router_set_gw_mac(&r, GW_MAC);
}

void setup(void)
{
  struct router_cfg *c = base_cfg();
  setup_cfg(c);
}

/* The inputs on a heap copy of exactly len bytes (ASan: nothing read beyond). */
void from_bridge(uint32_t port, const uint8_t *f, uint32_t len, uint64_t now)
{
  uint8_t *c = malloc(len ? len : 1);
  memcpy(c, f, len);
  router_from_bridge(&r, port, c, len, now);
  CHECK(memcmp(c, f, len) == 0); /* the input is not modified */
  free(c);
}

void from_uplink(const uint8_t *f, uint32_t len, uint64_t now)
{
  uint8_t *c = malloc(len ? len : 1);
  memcpy(c, f, len);
  router_from_uplink(&r, c, len, now);
  CHECK(memcmp(c, f, len) == 0);
  free(c);
}

uint64_t drops(const struct net_counters *c)
{
  uint64_t n = 0;
  for (int i = 0; i < NET_DROP_COUNT; i++)
    n += c->drop[i];
  return n;
}

uint16_t out_sport(void) { return tf_be16(out.f + 14 + (out.f[14] & 0xf) * 4); }
uint16_t out_icmp_id(void) { return tf_be16(out.f + 14 + (out.f[14] & 0xf) * 4 + 4); }

/* A frame from container c (0/1) to D0's MAC; from the remote to D0's uplink. */
struct tf_spec from_c(int c, const uint8_t *dst, uint8_t proto, uint16_t sport, uint16_t dport)
{
  struct tf_spec s = {.dmac = BRIDGE_MAC, .smac = c ? C1_MAC : C0_MAC, .src = c ? C1_IP : C0_IP,
                      .dst = dst, .proto = proto, .sport = sport, .dport = dport,
                      .icmp_type = ICMP_ECHO_REQUEST};
  return s;
}
struct tf_spec from_remote(const uint8_t *src, uint8_t proto, uint16_t sport, uint16_t dport)
{
  struct tf_spec s = {.dmac = UP_MAC, .smac = GW_MAC, .src = src, .dst = UP_IP, .proto = proto,
                      .sport = sport, .dport = dport, .icmp_type = ICMP_ECHO_REPLY};
  return s;
}
