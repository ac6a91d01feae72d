/* D0's uplink: PCI discovery, driver start, gateway resolution, ARP/ICMP (contract in uplink.h). */
#include "uplink.h"

#include "arch/arch.h"
#include "arch/x86/paging.h"
#include "d0/lib.h"
#include "dev/net/e1000.h"
#include "dev/net/own_addr.h"
#include "dev/pci/pci.h"
#include "efi_mem.h"
#include "log/log.h"
#include "log/report.h"
#include "net/ack_thin.h"
#include "net.h"
#include "net_stats.h"

#define LINK_WAIT_NS 3000000000ull /* link must be up this long after start */
#define ARP_RETRY_NS 1000000000ull
#define ARP_TRIES 5u
#define LINK_CHECK_NS 100000000ull /* link state read at most every 100 ms */
#define REPORT_BUDGET 8u           /* reports sent per tick at most */
#define SYSLOG_PORT 514            /* RFC 5426: the source port of a sender */

/* WAIT_LINK -> RESOLVING -> UP; WAIT_LINK -> NO_LINK (logged) -> RESOLVING once a cable appears;
 * RESOLVING -> DOWN_POLLING (gateway silent; D0's address still answers). */
enum state { OFF, WAIT_LINK, NO_LINK, RESOLVING, UP, DOWN_POLLING };

static struct {
  enum state state;
  struct uplink nic;
  struct pci_dev pci;
  struct own_addr addr;
  uint64_t since_ns, last_arp_ns, link_checked_ns;
  uint32_t arp_sent;
  bool link, started;
  uint8_t reply[ETH_MAX_FRAME];
  struct net_counters counters; /* the router's drops of uplink frames; rx/tx: the driver's */
  struct ackthin thin;          /* redundant ACKs of one receive batch (net/ack_thin.h) */
  /* Reports (log/report.h): the collector, and when it is on the subnet its ARP resolution. */
  bool report;
  uint8_t collector[4];
  uint16_t collector_port;
  uint64_t peer_arp_ns;
  uint16_t ip_id;
  uint8_t msg[REPORT_MSG_MAX + 64];
  uint8_t out[ETH_MAX_FRAME];
} U;

static void down(const char *reason, enum state next)
{
  log_begin("uplink_down");
  log_str("reason", reason);
  if (U.nic.ops != NULL)
    log_str("nic", U.nic.ops->name);
  log_end();
  U.state = next;
}

static void fmt_mac(char out[18], const uint8_t m[6])
{
  static const char hex[] = "0123456789abcdef";
  for (int i = 0; i < 6; i++) {
    out[3 * i] = hex[m[i] >> 4];
    out[3 * i + 1] = hex[m[i] & 15];
    out[3 * i + 2] = i == 5 ? '\0' : ':';
  }
}

/* "a.b.c.d" or "a.b.c.d/p" into out (at least 19 bytes). */
static void fmt_ip(char *out, const uint8_t ip[4], int prefix)
{
  char *p = out;
  for (int i = 0; i < 4; i++) {
    uint8_t v = ip[i];
    if (v >= 100)
      *p++ = (char)('0' + v / 100);
    if (v >= 10)
      *p++ = (char)('0' + v / 10 % 10);
    *p++ = (char)('0' + v % 10);
    *p++ = i == 3 ? '\0' : '.';
  }
  if (prefix >= 0) {
    p[-1] = '/';
    if (prefix >= 10)
      *p++ = (char)('0' + prefix / 10);
    *p++ = (char)('0' + prefix % 10);
    *p = '\0';
  }
}

void uplink_prepare(EFI_BOOT_SERVICES *bs, const struct d0_manifest *m)
{
  U.state = OFF;
  if (!m->has_uplink)
    return;
  struct own_addr_cfg cfg = {.prefix = m->uplink_ip4.prefix,
                             .echo = !m->has_uplink_echo || m->uplink_echo};
  memcpy(cfg.ip, m->uplink_ip4.addr, 4);
  memcpy(cfg.gw, m->uplink_gw4, 4);
  if (m->has_report) {
    U.report = true;
    memcpy(U.collector, m->report_ip4, 4);
    U.collector_port = m->report_port;
  }
  own_addr_init(&U.addr, &cfg); /* the MAC is filled in once the driver has read it */
  /* A collector on the subnet (other than the gateway) is resolved by ARP like the gateway;
   * any other is reached through the gateway. */
  if (U.report && own_addr_on_link(&U.addr, U.collector) && memcmp(U.collector, cfg.gw, 4) != 0) {
    U.addr.cfg.has_peer = true;
    memcpy(U.addr.cfg.peer, U.collector, 4);
  }
  if (!pci_find(E1000_VENDOR, E1000_DEVICE_82540EM, &U.pci)) {
    down("no_nic", OFF);
    return;
  }
  U.nic.ops = &E1000_OPS;
  log_begin("uplink_nic");
  log_str("nic", U.nic.ops->name);
  log_u64("bus", U.pci.bus);
  log_u64("dev", U.pci.dev);
  log_u64("fn", U.pci.fn);
  log_hex("bar0", U.pci.bar0);
  log_hex("bar0_bytes", U.pci.bar0_bytes);
  log_end();
  U.nic.mem.base = efi_alloc_pages(bs, E1000_MEM_BYTES);
  if (U.nic.mem.base == NULL) {
    down("no_memory", OFF);
    return;
  }
  U.nic.mem.bytes = E1000_MEM_BYTES;
  U.nic.mmio = (volatile uint8_t *)(uintptr_t)U.pci.bar0;
  U.nic.mmio_bytes = U.pci.bar0_bytes;
  pci_enable_mmio_dma(&U.pci);
  U.state = WAIT_LINK;
}

void uplink_takeover(void)
{
  if (U.state != WAIT_LINK)
    return;
  if (x86_paging_map_mmio(U.pci.bar0, U.pci.bar0_bytes) != 0) {
    down("mmio_map", OFF);
    return;
  }
  /* What the tables now say about the registers' first and last page (uncached, NX, no X). */
  log_begin("uplink_mmio");
  log_hex("bar0", U.pci.bar0);
  log_hex("pte_first", x86_paging_leaf(U.pci.bar0));
  log_hex("pte_last", x86_paging_leaf(U.pci.bar0 + U.pci.bar0_bytes - 1));
  log_end();
  if (U.nic.ops->start(&U.nic) != 0) {
    down("nic_start", OFF);
    return;
  }
  memcpy(U.addr.cfg.mac, U.nic.mac, 6);
  char host[18];
  fmt_mac(host, U.nic.mac);
  for (int i = 2; i < 17; i += 3)
    host[i] = '-'; /* the host's name: as an update server names its pointer */
  report_set_host(host);
  U.started = true;
  U.since_ns = arch_time_ns();
}

void uplink_report(void)
{
  if (!U.started)
    return;
  const struct uplink_stats *n = &U.nic.stats;
  const struct own_addr_stats *a = &U.addr.stats;
  log_begin("uplink_stats");
  log_str("nic", U.nic.ops->name);
  log_u64("rx_frames", n->rx_frames);
  log_u64("rx_bytes", n->rx_bytes);
  log_u64("rx_errors", n->rx_errors);
  log_u64("tx_frames", n->tx_frames);
  log_u64("tx_bytes", n->tx_bytes);
  log_u64("tx_full", n->tx_full);
  log_u64("arp_replies", a->arp_replies);
  log_u64("echo_replies", a->echo_replies);
  log_u64("malformed", a->malformed);
  log_u64("ignored", a->ignored);
  log_u64("not_for_d0", a->passed);
  log_u64("acks_thinned", U.thin.thinned);
  log_end();
  U.counters.rx_packets = n->rx_frames;
  U.counters.rx_bytes = n->rx_bytes;
  U.counters.tx_packets = n->tx_frames;
  U.counters.tx_bytes = n->tx_bytes;
  net_stats_log("nic", U.nic.ops->name, &U.counters);
}

struct net_counters *uplink_counters(void) { return &U.counters; }

uint64_t uplink_frames(void) { return U.started ? U.nic.stats.rx_frames + U.nic.stats.tx_frames : 0; }

void uplink_send(const uint8_t *frame, uint32_t len)
{
  if (U.started && U.state == UP && U.nic.ops->tx(&U.nic, frame, len) != 0)
    net_count_drop(&U.counters, NET_DROP_NO_ROUTE); /* ring full: counted by the driver too */
}

static void send_gw_request(uint64_t now)
{
  uint8_t f[ETH_MIN_FRAME];
  U.nic.ops->tx(&U.nic, f, own_addr_gw_request(&U.addr, f));
  U.arp_sent++;
  U.last_arp_ns = now;
}

static void to_router(void *ctx, const uint8_t *frame, uint32_t len)
{
  (void)ctx;
  net_from_uplink(frame, len, arch_time_ns());
}

static void on_frame(void *ctx, const uint8_t *frame, uint32_t len)
{
  (void)ctx;
  uint32_t n = 0;
  /* PASS: not D0's own: the router's (replies of NAT flows, published ports), or dropped. */
  switch (own_addr_input(&U.addr, frame, len, U.reply, &n)) {
  case OWN_ADDR_REPLY:
    U.nic.ops->tx(&U.nic, U.reply, n);
    break;
  case OWN_ADDR_PASS:
    ackthin_offer(&U.thin, frame, len, to_router, NULL);
    break;
  case OWN_ADDR_CONSUMED:
  case OWN_ADDR_MALFORMED:
    break;
  }
}

static void log_up(void)
{
  char mac[18], gw_mac[18], ip[20], gw[20];
  fmt_mac(mac, U.nic.mac);
  fmt_mac(gw_mac, U.addr.gw_mac);
  fmt_ip(ip, U.addr.cfg.ip, U.addr.cfg.prefix);
  fmt_ip(gw, U.addr.cfg.gw, -1);
  log_begin("uplink_up");
  log_str("nic", U.nic.ops->name);
  log_str("mac", mac);
  log_str("ip", ip);
  log_str("gw", gw);
  log_str("gw_mac", gw_mac);
  log_str("echo", U.addr.cfg.echo ? "on" : "off");
  log_end();
}

/* Reads the link at most every LINK_CHECK_NS; logs ev=uplink_link state=up|down on a change
 * once the first state has been reported (uplink_up or uplink_down reason=no_link). */
static void watch_link(uint64_t now)
{
  if (now - U.link_checked_ns < LINK_CHECK_NS)
    return;
  U.link_checked_ns = now;
  bool l = U.nic.ops->link_up(&U.nic);
  if (l == U.link)
    return;
  U.link = l;
  log_begin("uplink_link");
  log_str("nic", U.nic.ops->name);
  log_str("state", l ? "up" : "down");
  log_end();
}

/* The collector's MAC: the gateway's, or the peer's once ARP answered (asked once a second). */
static const uint8_t *collector_mac(uint64_t now)
{
  if (!U.addr.cfg.has_peer)
    return U.addr.gw_known ? U.addr.gw_mac : NULL;
  if (U.addr.peer_known)
    return U.addr.peer_mac;
  if (U.peer_arp_ns == 0 || now - U.peer_arp_ns >= ARP_RETRY_NS) {
    uint8_t f[ETH_MIN_FRAME];
    U.nic.ops->tx(&U.nic, f, own_addr_peer_request(&U.addr, f));
    U.peer_arp_ns = now;
  }
  return NULL;
}

/* Sends queued reports, at most budget; the number sent. A frame the ring cannot take now stays
 * queued for the next call. */
static uint32_t send_reports(uint64_t now, uint32_t budget)
{
  if (!U.report || U.state != UP)
    return 0;
  const uint8_t *mac = collector_mac(now);
  if (mac == NULL)
    return 0;
  uint32_t sent = 0;
  while (sent < budget) {
    size_t n = report_peek((char *)U.msg, sizeof U.msg);
    if (n == 0)
      break;
    uint32_t len = own_addr_udp(&U.addr, mac, U.collector, SYSLOG_PORT, U.collector_port, U.msg,
                                (uint32_t)n, U.ip_id, U.out);
    if (len != 0 && U.nic.ops->tx(&U.nic, U.out, len) != 0)
      break; /* the ring is full: later */
    U.ip_id++;
    report_pop(); /* sent, or (cannot happen for D0's lines) too long for a frame: dropped */
    sent++;
  }
  return sent;
}

void uplink_flush_reports(uint64_t max_ns)
{
  if (!U.started || !U.report)
    return;
  uint64_t start = arch_time_ns();
  char probe[1];
  while (arch_time_ns() - start < max_ns) {
    /* The uplink's own steps go on meanwhile: its link, the gateway's (or collector's) ARP. */
    uplink_tick(arch_time_ns());
    if (U.state == OFF || U.state == NO_LINK || U.state == DOWN_POLLING)
      return; /* no way out: nothing to wait for */
    if (U.state == UP && report_peek(probe, sizeof probe) == 0 && U.nic.ops->tx_done(&U.nic))
      return;
  }
}

void uplink_tick(uint64_t now)
{
  switch (U.state) {
  case OFF:
    return;
  case WAIT_LINK:
    if (U.nic.ops->link_up(&U.nic)) {
      U.link = true;
      U.state = RESOLVING;
      send_gw_request(now);
    } else if (now - U.since_ns >= LINK_WAIT_NS) {
      U.link = false;
      U.link_checked_ns = now;
      down("no_link", NO_LINK);
    }
    return;
  case NO_LINK:
    watch_link(now);
    if (U.link) {
      U.state = RESOLVING;
      U.arp_sent = 0;
      send_gw_request(now);
    }
    return;
  case RESOLVING:
  case UP:
  case DOWN_POLLING:
    watch_link(now);
    U.nic.ops->poll_rx(&U.nic, UPLINK_RX_BUDGET, on_frame, NULL);
    ackthin_flush(&U.thin, to_router, NULL); /* an ACK waits for its batch's end, no longer */
    break;
  }
  if (U.state == UP)
    send_reports(now, REPORT_BUDGET);
  if (U.state != RESOLVING)
    return;
  if (U.addr.gw_known) {
    U.state = UP;
    log_up();
    net_uplink_up(U.nic.mac, U.addr.gw_mac); /* egress NAT and published ports start */
  } else if (now - U.last_arp_ns >= ARP_RETRY_NS) {
    if (U.arp_sent >= ARP_TRIES)
      down("gw_no_answer", DOWN_POLLING); /* D0's own address still answers */
    else
      send_gw_request(now);
  }
}
