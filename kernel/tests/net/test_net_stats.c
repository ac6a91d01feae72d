/*
 * Host test of ev=net_stats (kernel/boot/efi/net_stats.c): every counter under its key, one
 * drop_<reason> per enum net_drop in order, and a line that fits the log's limit with realistic
 * values, the longest container name and the uuid suffix. Built and run by test/boot/log.test.ts
 * with kernel/log and its capture sink. Prints "net_stats: N checks, N failed".
 */
#include <string.h>

#include "boot/efi/net_stats.h"
#include "check.h"
#include "d0/manifest.h"
#include "log/log.h"
#include "log/tests/capture.h"

static const char *drop_keys[NET_DROP_COUNT] = {
    "drop_spoof",     "drop_ethertype", "drop_policy",   "drop_rate",
    "drop_conntrack_full", "drop_malformed", "drop_fragment", "drop_no_route"};

int main(void)
{
  struct net_counters c = {1, 2, 3, 4, {5, 6, 7, 8, 9, 10, 11, 12}};
  net_stats_log("vm", "web", &c);
  const char *line = capture_take();
  CHECK_STR(line,
            "D0 seq=0 ev=net_stats vm=web rx_packets=1 rx_bytes=2 tx_packets=3 tx_bytes=4 "
            "drop_spoof=5 drop_ethertype=6 drop_policy=7 drop_rate=8 drop_conntrack_full=9 "
            "drop_malformed=10 drop_fragment=11 drop_no_route=12\n");
  /* The keys are net_drop_name's, each prefixed: the one home of the names. */
  for (int r = 0; r < NET_DROP_COUNT; r++)
    CHECK(strcmp(drop_keys[r] + 5, net_drop_name((enum net_drop)r)) == 0);

  /* A long-running container: 13-digit counters, the longest name, the uuid: no cut. */
  char name[D0_NAME_MAX + 1];
  memset(name, 'a', D0_NAME_MAX);
  name[D0_NAME_MAX] = '\0';
  struct net_counters big;
  big.rx_packets = big.tx_packets = 9999999999999ull;
  big.rx_bytes = big.tx_bytes = 9999999999999ull;
  for (int r = 0; r < NET_DROP_COUNT; r++)
    big.drop[r] = 9999999999999ull;
  log_set_uuid("01890a5d-ac96-774b-bcce-b302099a8057");
  net_stats_log("vm", name, &big);
  line = capture_take();
  CHECK(strstr(line, "trunc=1") == NULL);
  CHECK_CONTAINS(line, "drop_no_route=9999999999999 uuid=01890a5d-ac96-774b-bcce-b302099a8057\n");
  return check_exit("net_stats");
}
