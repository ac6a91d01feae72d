/*
 * The canonical text dump of proto/TLV.md and test/vectors/README.md: "path=value\n" lines in
 * encoding order; containers by name, routes, published ports and egress rules by index;
 * update, loader and report after the containers; optional fields only when present.
 */
#include "d0/manifest.h"
#include "d0/textbuf.h"

static void key(struct d0_textbuf *tb, const char *scope, const char *field) {
  d0_tb_str(tb, scope);
  d0_tb_char(tb, '.');
  d0_tb_str(tb, field);
  d0_tb_char(tb, '=');
}

static void ip4(struct d0_textbuf *tb, const uint8_t a[4]) {
  for (int i = 0; i < 4; i++) {
    if (i > 0)
      d0_tb_char(tb, '.');
    d0_tb_u64(tb, a[i]);
  }
}

static void ip4cidr(struct d0_textbuf *tb, const struct d0_ip4_cidr *c) {
  ip4(tb, c->addr);
  d0_tb_char(tb, '/');
  d0_tb_u64(tb, c->prefix);
}

/* 8-4-4-4-12 lowercase hex (RFC 9562 §4) */
static void uuid(struct d0_textbuf *tb, const uint8_t u[16]) {
  static const uint8_t groups[5] = {4, 2, 2, 2, 6};
  const uint8_t *p = u;
  for (int g = 0; g < 5; g++) {
    if (g > 0)
      d0_tb_char(tb, '-');
    d0_tb_hex(tb, p, groups[g]);
    p += groups[g];
  }
}

static void mac(struct d0_textbuf *tb, const uint8_t m[6]) {
  for (int i = 0; i < 6; i++) {
    if (i > 0)
      d0_tb_char(tb, ':');
    d0_tb_hex(tb, &m[i], 1);
  }
}

static void end(struct d0_textbuf *tb) { d0_tb_char(tb, '\n'); }

static const char *health_name(uint8_t h) {
  return h == TLV_HEALTH_EXIT_ZERO ? "HEALTH_EXIT_ZERO" : "HEALTH_READY";
}

static const char *ip_proto_name(uint8_t p) {
  switch (p) {
  case TLV_IP_PROTO_ICMP:
    return "IP_PROTO_ICMP";
  case TLV_IP_PROTO_TCP:
    return "IP_PROTO_TCP";
  case TLV_IP_PROTO_UDP:
    return "IP_PROTO_UDP";
  default:
    return "IP_PROTO_ANY";
  }
}

static const char *restart_name(uint8_t r) {
  switch (r) {
  case TLV_RESTART_ON_FAILURE:
    return "RESTART_ON_FAILURE";
  case TLV_RESTART_ALWAYS:
    return "RESTART_ALWAYS";
  default:
    return "RESTART_NEVER";
  }
}

/* "containers[NAME]." */
static void container_prefix(struct d0_textbuf *tb, const struct d0_container *c) {
  d0_tb_str(tb, "containers[");
  d0_tb_str(tb, c->name);
  d0_tb_str(tb, "]");
}

static void container_key(struct d0_textbuf *tb, const struct d0_container *c, const char *f) {
  container_prefix(tb, c);
  d0_tb_char(tb, '.');
  d0_tb_str(tb, f);
  d0_tb_char(tb, '=');
}

/* "containers[NAME].FIELD[i].SUB=" */
static void entry_key(struct d0_textbuf *tb, const struct d0_container *c, const char *field,
                      uint32_t i, const char *sub) {
  container_prefix(tb, c);
  d0_tb_char(tb, '.');
  d0_tb_str(tb, field);
  d0_tb_char(tb, '[');
  d0_tb_u64(tb, i);
  d0_tb_str(tb, "].");
  d0_tb_str(tb, sub);
  d0_tb_char(tb, '=');
}

/* "containers[NAME].FIELD.SUB=" */
static void nested_key(struct d0_textbuf *tb, const struct d0_container *c, const char *field,
                       const char *sub) {
  container_prefix(tb, c);
  d0_tb_char(tb, '.');
  d0_tb_str(tb, field);
  d0_tb_char(tb, '.');
  d0_tb_str(tb, sub);
  d0_tb_char(tb, '=');
}

static void dump_rate_limit(struct d0_textbuf *tb, const struct d0_container *c,
                            const char *field, const struct d0_rate_limit *r) {
  nested_key(tb, c, field, "bytes_per_s");
  d0_tb_u64(tb, r->bytes_per_s);
  end(tb);
  nested_key(tb, c, field, "packets_per_s");
  d0_tb_u64(tb, r->packets_per_s);
  end(tb);
  nested_key(tb, c, field, "burst_bytes");
  d0_tb_u64(tb, r->burst_bytes);
  end(tb);
}

static void dump_container(struct d0_textbuf *tb, const struct d0_container *c) {
  container_key(tb, c, "name");
  d0_tb_str(tb, c->name);
  end(tb);
  container_key(tb, c, "vcpu");
  d0_tb_u64(tb, c->vcpu);
  end(tb);
  container_key(tb, c, "mem_mb");
  d0_tb_u64(tb, c->mem_mb);
  end(tb);
  container_key(tb, c, "disk_path");
  d0_tb_str(tb, c->disk_path);
  end(tb);
  container_key(tb, c, "disk_sha256");
  d0_tb_hex(tb, c->disk_sha256, 32);
  end(tb);
  container_key(tb, c, "disk_size");
  d0_tb_u64(tb, c->disk_size);
  end(tb);
  container_key(tb, c, "mac");
  mac(tb, c->mac);
  end(tb);
  container_key(tb, c, "ip4");
  ip4cidr(tb, &c->ip4);
  end(tb);
  if (c->has_gw) {
    container_key(tb, c, "gw4");
    ip4(tb, c->gw4);
    end(tb);
  }
  for (uint32_t i = 0; i < c->n_routes && i < TLV_MAX_ROUTES; i++) {
    entry_key(tb, c, "routes", i, "dest");
    ip4cidr(tb, &c->routes[i].dest);
    end(tb);
    entry_key(tb, c, "routes", i, "via");
    ip4(tb, c->routes[i].via);
    end(tb);
  }
  container_key(tb, c, "boot_order");
  d0_tb_u64(tb, c->boot_order);
  end(tb);
  container_key(tb, c, "health_timeout_s");
  d0_tb_u64(tb, c->health_timeout_s);
  end(tb);
  container_key(tb, c, "health");
  d0_tb_str(tb, health_name(c->health));
  end(tb);
  if (c->has_restart) {
    container_key(tb, c, "restart");
    d0_tb_str(tb, restart_name(c->restart));
    end(tb);
  }
  for (uint32_t i = 0; i < c->n_publish && i < TLV_MAX_PUBLISH; i++) {
    const struct d0_publish *pub = &c->publish[i];
    entry_key(tb, c, "publish", i, "protocol");
    d0_tb_str(tb, ip_proto_name(pub->proto));
    end(tb);
    entry_key(tb, c, "publish", i, "uplink_port");
    d0_tb_u64(tb, pub->uplink_port);
    end(tb);
    entry_key(tb, c, "publish", i, "container_port");
    d0_tb_u64(tb, pub->container_port);
    end(tb);
  }
  if (c->egress_restricted) {
    container_key(tb, c, "egress_restricted");
    d0_tb_str(tb, "true");
    end(tb);
  }
  for (uint32_t i = 0; i < c->n_egress && i < TLV_MAX_EGRESS; i++) {
    const struct d0_egress_rule *r = &c->egress[i];
    entry_key(tb, c, "egress_allow", i, "dest");
    ip4cidr(tb, &r->dest);
    end(tb);
    entry_key(tb, c, "egress_allow", i, "protocol");
    d0_tb_str(tb, ip_proto_name(r->proto));
    end(tb);
    entry_key(tb, c, "egress_allow", i, "port_lo");
    d0_tb_u64(tb, r->port_lo);
    end(tb);
    entry_key(tb, c, "egress_allow", i, "port_hi");
    d0_tb_u64(tb, r->port_hi);
    end(tb);
  }
  if (c->has_tx_limit)
    dump_rate_limit(tb, c, "tx_limit", &c->tx_limit);
  if (c->has_rx_limit)
    dump_rate_limit(tb, c, "rx_limit", &c->rx_limit);
}

size_t manifest_dump(const struct d0_manifest *m, char *buf, size_t cap) {
  struct d0_textbuf tb;
  d0_tb_init(&tb, buf, cap);
  key(&tb, "header", "manifest_version");
  d0_tb_u64(&tb, m->version);
  end(&tb);
  key(&tb, "header", "build_uuid");
  uuid(&tb, m->build_uuid);
  end(&tb);
  key(&tb, "header", "timestamp_ms");
  d0_tb_u64(&tb, m->timestamp_ms);
  end(&tb);
  key(&tb, "header", "security_epoch");
  d0_tb_u64(&tb, m->security_epoch);
  end(&tb);
  if (m->has_site) {
    key(&tb, "header", "site");
    d0_tb_str(&tb, m->site);
    end(&tb);
  }
  key(&tb, "network", "bridge_ip4");
  ip4cidr(&tb, &m->bridge_ip4);
  end(&tb);
  key(&tb, "network", "egress_nat");
  d0_tb_str(&tb, m->egress_nat ? "true" : "false");
  end(&tb);
  if (m->has_uplink) {
    key(&tb, "network", "uplink_ip4");
    ip4cidr(&tb, &m->uplink_ip4);
    end(&tb);
  }
  if (m->has_uplink_gw) {
    key(&tb, "network", "uplink_gw4");
    ip4(&tb, m->uplink_gw4);
    end(&tb);
  }
  if (m->has_uplink_echo) {
    key(&tb, "network", "uplink_echo");
    d0_tb_str(&tb, m->uplink_echo ? "true" : "false");
    end(&tb);
  }
  key(&tb, "guest_kernel", "path");
  d0_tb_str(&tb, m->kernel_path);
  end(&tb);
  key(&tb, "guest_kernel", "sha256");
  d0_tb_hex(&tb, m->kernel_sha256, 32);
  end(&tb);
  key(&tb, "guest_kernel", "size");
  d0_tb_u64(&tb, m->kernel_size);
  end(&tb);
  for (uint32_t i = 0; i < m->n_containers && i < TLV_MAX_CONTAINERS; i++)
    dump_container(&tb, &m->containers[i]);
  if (m->has_update) {
    key(&tb, "update", "url");
    d0_tb_str(&tb, m->update_url);
    end(&tb);
    key(&tb, "update", "timeout_s");
    d0_tb_u64(&tb, m->update_timeout_s);
    end(&tb);
  }
  if (m->has_loader) {
    key(&tb, "loader", "sha256");
    d0_tb_hex(&tb, m->loader_sha256, 32);
    end(&tb);
    key(&tb, "loader", "size");
    d0_tb_u64(&tb, m->loader_size);
    end(&tb);
  }
  if (m->has_report) {
    key(&tb, "report", "collector_ip4");
    ip4(&tb, m->report_ip4);
    end(&tb);
    key(&tb, "report", "collector_port");
    d0_tb_u64(&tb, m->report_port);
    end(&tb);
  }
  return d0_tb_finish(&tb);
}
