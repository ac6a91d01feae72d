/* The semantic rules of proto/SEMANTICS.md, in its order; contract in d0/semantic.h. Each check
 * returns at the first broken rule, recording where in *diag. */
#include "d0/semantic.h"

#include "d0/lib.h"

static const char *const NAMES[SEMANTIC_E_LAST + 1] = {
    "OK",
    "SEMANTIC_EPOCH_CEILING",
    "SEMANTIC_BRIDGE_PREFIX",
    "SEMANTIC_RESERVED_ADDRESS",
    "SEMANTIC_UPLINK_INCOMPLETE",
    "SEMANTIC_UPLINK_PREFIX",
    "SEMANTIC_UPLINK_OVERLAP",
    "SEMANTIC_OUTSIDE_SUBNET",
    "SEMANTIC_OWN_ADDRESS",
    "SEMANTIC_RESERVED_PATH",
    "SEMANTIC_RESERVED_MAC",
    "SEMANTIC_HOST_BITS",
    "SEMANTIC_PUBLISH_NO_UPLINK",
    "SEMANTIC_DUPLICATE_PORT",
    "SEMANTIC_EGRESS_UNRESTRICTED",
    "SEMANTIC_EGRESS_PORTS",
    "SEMANTIC_RATE_LIMIT",
    "SEMANTIC_DUPLICATE_MAC",
    "SEMANTIC_DUPLICATE_IP4",
    "SEMANTIC_DUPLICATE_BOOT_ORDER",
    "SEMANTIC_DUPLICATE_DISK_PATH",
    "SEMANTIC_REPORT_NO_UPLINK",
};

const char *semantic_strerror(int err) {
  if (err < 0)
    err = -err;
  return err <= SEMANTIC_E_LAST ? NAMES[err] : "UNKNOWN";
}

/* D0's own MAC on the bridge (core/manifest/container-network.ts D0_BRIDGE_MAC). */
static const uint8_t D0_BRIDGE_MAC[6] = {0x02, 0xd0, 0x00, 0x00, 0x00, 0x01};
/* One full Ethernet frame without FCS: the least a byte bucket must hold. */
#define MIN_BURST_BYTES 1514u

struct check {
  struct semantic_diag *diag;
  int32_t container;
};

static int fail(struct check *c, int err, const char *field) {
  if (c->diag) {
    c->diag->container = c->container;
    c->diag->field = field;
  }
  return -err;
}

static uint32_t u32_of(const uint8_t a[4]) {
  return ((uint32_t)a[0] << 24) | ((uint32_t)a[1] << 16) | ((uint32_t)a[2] << 8) | a[3];
}

static uint32_t mask_of(uint8_t prefix) {
  return prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
}

struct subnet {
  uint32_t addr, mask, net, bcast;
};

static struct subnet subnet_of(const struct d0_ip4_cidr *c) {
  struct subnet s;
  s.addr = u32_of(c->addr);
  s.mask = mask_of(c->prefix);
  s.net = s.addr & s.mask;
  s.bcast = s.net | ~s.mask;
  return s;
}

/* A host address of s: inside, and neither its network nor its broadcast address. */
static int host_in(struct check *c, const struct subnet *s, uint32_t a, const char *field) {
  if ((a & s->mask) != s->net)
    return fail(c, SEMANTIC_E_OUTSIDE_SUBNET, field);
  if (a == s->net || a == s->bcast)
    return fail(c, SEMANTIC_E_RESERVED_ADDRESS, field);
  return 0;
}

static char lower(char ch) {
  return ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
}

/* ASCII case-insensitive: does s start with prefix? */
static bool starts_with_ci(const char *s, const char *prefix) {
  for (; *prefix; s++, prefix++)
    if (lower(*s) != *prefix)
      return false;
  return true;
}

static bool eq_ci(const char *a, const char *b) {
  for (; *a && *b; a++, b++)
    if (lower(*a) != lower(*b))
      return false;
  return *a == *b;
}

/* proto/SEMANTICS.md "Reserved paths": anything under EFI/, a top-level manifest-*.tlv/.sig. */
static bool reserved_path(const char *p) {
  if (starts_with_ci(p, "efi/"))
    return true;
  size_t n = strlen(p);
  for (size_t i = 0; i < n; i++)
    if (p[i] == '/')
      return false;
  return n >= 13 && starts_with_ci(p, "manifest-") &&
         (eq_ci(p + n - 4, ".tlv") || eq_ci(p + n - 4, ".sig"));
}

static int header_network(struct check *c, const struct d0_manifest *m, uint64_t floor) {
  uint64_t ceiling = floor > UINT64_MAX - SEMANTIC_EPOCH_STEP ? UINT64_MAX
                                                               : floor + SEMANTIC_EPOCH_STEP;
  if (m->security_epoch > ceiling)
    return fail(c, SEMANTIC_E_EPOCH_CEILING, "header.security_epoch");
  uint8_t bp = m->bridge_ip4.prefix;
  if (bp < 1 || bp > 30)
    return fail(c, SEMANTIC_E_BRIDGE_PREFIX, "network.bridge_ip4");
  struct subnet br = subnet_of(&m->bridge_ip4);
  if (br.addr == br.net || br.addr == br.bcast)
    return fail(c, SEMANTIC_E_RESERVED_ADDRESS, "network.bridge_ip4");
  if (m->has_uplink != m->has_uplink_gw)
    return fail(c, SEMANTIC_E_UPLINK_INCOMPLETE,
                m->has_uplink ? "network.uplink_gw4" : "network.uplink_ip4");
  if (m->has_uplink_echo && !m->has_uplink)
    return fail(c, SEMANTIC_E_UPLINK_INCOMPLETE, "network.uplink_echo");
  if (!m->has_uplink)
    return 0;
  uint8_t up = m->uplink_ip4.prefix;
  if (up < 1 || up > 30)
    return fail(c, SEMANTIC_E_UPLINK_PREFIX, "network.uplink_ip4");
  struct subnet ul = subnet_of(&m->uplink_ip4);
  if (ul.addr == ul.net || ul.addr == ul.bcast)
    return fail(c, SEMANTIC_E_RESERVED_ADDRESS, "network.uplink_ip4");
  uint32_t shorter = mask_of(up < bp ? up : bp);
  if ((ul.addr & shorter) == (br.addr & shorter))
    return fail(c, SEMANTIC_E_UPLINK_OVERLAP, "network.uplink_ip4");
  uint32_t gw = u32_of(m->uplink_gw4);
  if ((gw & ul.mask) != ul.net)
    return fail(c, SEMANTIC_E_OUTSIDE_SUBNET, "network.uplink_gw4");
  if (gw == ul.addr)
    return fail(c, SEMANTIC_E_OWN_ADDRESS, "network.uplink_gw4");
  if (gw == ul.net || gw == ul.bcast)
    return fail(c, SEMANTIC_E_RESERVED_ADDRESS, "network.uplink_gw4");
  return 0;
}

static int addresses(struct check *c, const struct subnet *br, uint8_t prefix,
                     const struct d0_container *k) {
  uint32_t ip = u32_of(k->ip4.addr);
  if (k->ip4.prefix != prefix)
    return fail(c, SEMANTIC_E_OUTSIDE_SUBNET, "ip4");
  TRY(host_in(c, br, ip, "ip4"));
  if (ip == br->addr)
    return fail(c, SEMANTIC_E_RESERVED_ADDRESS, "ip4");
  if (k->has_gw) {
    uint32_t gw = u32_of(k->gw4);
    TRY(host_in(c, br, gw, "gw4"));
    if (gw == ip)
      return fail(c, SEMANTIC_E_OWN_ADDRESS, "gw4");
  }
  for (uint32_t i = 0; i < k->n_routes; i++) {
    const struct d0_route *r = &k->routes[i];
    if ((u32_of(r->dest.addr) & ~mask_of(r->dest.prefix)) != 0)
      return fail(c, SEMANTIC_E_HOST_BITS, "routes.dest");
    TRY(host_in(c, br, u32_of(r->via), "routes.via"));
  }
  return 0;
}

static bool ported(uint8_t proto) {
  return proto == TLV_IP_PROTO_TCP || proto == TLV_IP_PROTO_UDP;
}

static int publish(struct check *c, const struct d0_manifest *m, uint32_t ci) {
  const struct d0_container *k = &m->containers[ci];
  if (k->n_publish > 0 && !m->has_uplink)
    return fail(c, SEMANTIC_E_PUBLISH_NO_UPLINK, "publish");
  for (uint32_t i = 0; i < k->n_publish; i++) {
    const struct d0_publish *p = &k->publish[i];
    for (uint32_t j = 0; j < i; j++)
      if (k->publish[j].proto == p->proto && k->publish[j].container_port == p->container_port)
        return fail(c, SEMANTIC_E_DUPLICATE_PORT, "publish.container_port");
    for (uint32_t e = 0; e < ci; e++)
      for (uint32_t j = 0; j < m->containers[e].n_publish; j++) {
        const struct d0_publish *q = &m->containers[e].publish[j];
        if (q->proto == p->proto && q->uplink_port == p->uplink_port)
          return fail(c, SEMANTIC_E_DUPLICATE_PORT, "publish.uplink_port");
      }
  }
  return 0;
}

static int egress(struct check *c, const struct d0_container *k) {
  if (k->n_egress > 0 && !k->egress_restricted)
    return fail(c, SEMANTIC_E_EGRESS_UNRESTRICTED, "egress_allow");
  for (uint32_t i = 0; i < k->n_egress; i++) {
    const struct d0_egress_rule *r = &k->egress[i];
    if ((u32_of(r->dest.addr) & ~mask_of(r->dest.prefix)) != 0)
      return fail(c, SEMANTIC_E_HOST_BITS, "egress_allow.dest");
    bool ok = ported(r->proto) ? r->port_lo >= 1 && r->port_lo <= r->port_hi
                               : r->port_lo == 0 && r->port_hi == 0;
    if (!ok)
      return fail(c, SEMANTIC_E_EGRESS_PORTS, "egress_allow.port_lo");
  }
  return 0;
}

static int rate(struct check *c, bool has, const struct d0_rate_limit *r, const char *field) {
  if (!has)
    return 0;
  if (r->bytes_per_s == 0 && r->packets_per_s == 0)
    return fail(c, SEMANTIC_E_RATE_LIMIT, field);
  if (r->bytes_per_s > 0 ? r->burst_bytes < MIN_BURST_BYTES : r->burst_bytes != 0)
    return fail(c, SEMANTIC_E_RATE_LIMIT, field);
  return 0;
}

static int duplicates(struct check *c, const struct d0_manifest *m, uint32_t ci) {
  const struct d0_container *k = &m->containers[ci];
  static const int order[4] = {SEMANTIC_E_DUPLICATE_MAC, SEMANTIC_E_DUPLICATE_IP4,
                               SEMANTIC_E_DUPLICATE_BOOT_ORDER, SEMANTIC_E_DUPLICATE_DISK_PATH};
  static const char *const field[4] = {"mac", "ip4", "boot_order", "disk_path"};
  for (int rule = 0; rule < 4; rule++)
    for (uint32_t e = 0; e < ci; e++) {
      const struct d0_container *o = &m->containers[e];
      bool same = rule == 0   ? memcmp(o->mac, k->mac, 6) == 0
                  : rule == 1 ? memcmp(o->ip4.addr, k->ip4.addr, 4) == 0
                  : rule == 2 ? o->boot_order == k->boot_order
                              : eq_ci(o->disk_path, k->disk_path);
      if (same)
        return fail(c, order[rule], field[rule]);
    }
  return 0;
}

int manifest_semantic_check(const struct d0_manifest *m, uint64_t epoch_floor,
                            struct semantic_diag *diag) {
  struct check c = {diag, -1};
  TRY(header_network(&c, m, epoch_floor));
  if (reserved_path(m->kernel_path))
    return fail(&c, SEMANTIC_E_RESERVED_PATH, "guest_kernel.path");
  struct subnet br = subnet_of(&m->bridge_ip4);
  for (uint32_t i = 0; i < m->n_containers; i++) {
    const struct d0_container *k = &m->containers[i];
    c.container = (int32_t)i;
    if (reserved_path(k->disk_path))
      return fail(&c, SEMANTIC_E_RESERVED_PATH, "disk_path");
    if (memcmp(k->mac, D0_BRIDGE_MAC, 6) == 0)
      return fail(&c, SEMANTIC_E_RESERVED_MAC, "mac");
    TRY(addresses(&c, &br, m->bridge_ip4.prefix, k));
    TRY(publish(&c, m, i));
    TRY(egress(&c, k));
    TRY(rate(&c, k->has_tx_limit, &k->tx_limit, "tx_limit"));
    TRY(rate(&c, k->has_rx_limit, &k->rx_limit, "rx_limit"));
    TRY(duplicates(&c, m, i));
  }
  /* D0 sends its reports through its uplink: without one they would have no way out. */
  c.container = -1;
  if (m->has_report && !m->has_uplink)
    return fail(&c, SEMANTIC_E_REPORT_NO_UPLINK, "report");
  return 0;
}
