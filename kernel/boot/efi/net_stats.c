/* ev=net_stats (contract in net_stats.h). */
#include "net_stats.h"

#include "log/log.h"

/* "drop_" + the reason's name: the longest, conntrack_full, fits with room to spare. */
#define DROP_KEY_MAX 32

void net_stats_log(const char *key, const char *name, const struct net_counters *c)
{
  log_begin("net_stats");
  log_str(key, name);
  log_u64("rx_packets", c->rx_packets);
  log_u64("rx_bytes", c->rx_bytes);
  log_u64("tx_packets", c->tx_packets);
  log_u64("tx_bytes", c->tx_bytes);
  for (uint32_t r = 0; r < NET_DROP_COUNT; r++) {
    char drop_key[DROP_KEY_MAX] = "drop_";
    uint32_t k = 5;
    for (const char *s = net_drop_name((enum net_drop)r); *s != '\0' && k + 1 < DROP_KEY_MAX; s++)
      drop_key[k++] = *s;
    drop_key[k] = '\0';
    log_u64(drop_key, c->drop[r]);
  }
  log_end();
}
