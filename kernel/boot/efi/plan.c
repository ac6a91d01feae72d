#include "plan.h"

#include <stddef.h>

#include "log/fmt.h"
#include "log/log.h"

/* Insertion sort of container indices by (boot_order, index): n <= TLV_MAX_CONTAINERS. */
void launch_order(const struct d0_manifest *m, uint32_t order[TLV_MAX_CONTAINERS]) {
  for (uint32_t i = 0; i < m->n_containers; i++) {
    uint32_t j = i;
    while (j > 0 && m->containers[order[j - 1]].boot_order > m->containers[i].boot_order) {
      order[j] = order[j - 1];
      j--;
    }
    order[j] = i;
  }
}

void plan_log(const struct d0_manifest *m) {
  uint32_t order[TLV_MAX_CONTAINERS];
  char ip[FMT_IP4CIDR_LEN];
  launch_order(m, order);
  for (uint32_t k = 0; k < m->n_containers; k++) {
    const struct d0_container *c = &m->containers[order[k]];
    log_begin("launch_plan");
    log_str("name", c->name);
    log_u64("vcpu", c->vcpu);
    log_u64("mem_mb", c->mem_mb);
    fmt_ip4(c->ip4.addr, c->ip4.prefix, ip);
    log_str("ip", ip);
    log_str("disk", c->disk_path);
    log_u64("boot_order", c->boot_order);
    log_end();
  }
  log_begin("ready_to_launch");
  log_u64("containers", m->n_containers);
  log_end();
}

const struct d0_container *plan_vcpu_refused(const struct d0_manifest *m, uint32_t max) {
  uint32_t order[TLV_MAX_CONTAINERS];
  launch_order(m, order);
  for (uint32_t k = 0; k < m->n_containers; k++) {
    const struct d0_container *c = &m->containers[order[k]];
    if (c->vcpu <= max)
      continue;
    log_begin("vcpu_plan");
    log_str("container", c->name);
    log_u64("vcpu", c->vcpu);
    log_u64("max", max);
    log_end();
    return c;
  }
  return NULL;
}
