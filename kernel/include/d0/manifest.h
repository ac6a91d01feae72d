/*
 * The decoded D0 manifest and its parser (proto/TLV.md, format version 1).
 *
 * manifest_parse() reads untrusted bytes (the signature is checked separately, before parsing,
 * by ed25519_verify over the exact same bytes) in a single forward pass and reports the FIRST
 * error proto/TLV.md defines, as -TLV_E_<NAME>. The parsed manifest is caller-provided (it is
 * ~44 KiB: do not put it on a UEFI stack). On error the contents of *out are unspecified and
 * must not be used.
 *
 * Strings are copied NUL-terminated; addresses are in network byte order, as on the wire.
 */
#ifndef D0_MANIFEST_H
#define D0_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "d0/tlv_tags.h"

#define D0_NAME_MAX TLV_NAME_MAX_LEN /* name string: [a-z0-9][a-z0-9-]* */
#define D0_PATH_MAX TLV_PATH_MAX_LEN /* path string: [A-Za-z0-9._/-] */
#define D0_URL_MAX TLV_URL_MAX_LEN   /* url string (200): http://host[:port]/path/ */

struct d0_ip4_cidr {
  uint8_t addr[4]; /* network byte order: 10.20.0.1 = {10, 20, 0, 1} */
  uint8_t prefix;  /* 0..32 */
};

struct d0_route {
  struct d0_ip4_cidr dest;
  uint8_t via[4];
};

/* A port of D0's uplink address forwarded to the container. */
struct d0_publish {
  uint8_t proto;           /* TLV_IP_PROTO_TCP or TLV_IP_PROTO_UDP */
  uint16_t uplink_port;    /* 1..65535 */
  uint16_t container_port; /* 1..65535 */
};

/* One rule of the egress allow-list: new flows to dest with proto (and, for TCP/UDP, a
 * destination port in port_lo..port_hi) may leave. */
struct d0_egress_rule {
  struct d0_ip4_cidr dest;
  uint8_t proto;             /* TLV_IP_PROTO_* (ANY, ICMP, TCP, UDP) */
  uint16_t port_lo, port_hi; /* inclusive; 0 and 0 unless TCP/UDP */
};

/* A token bucket; 0 in a dimension = unlimited in it. */
struct d0_rate_limit {
  uint64_t bytes_per_s;   /* 0..12.5e9 */
  uint32_t packets_per_s; /* 0..10M */
  uint32_t burst_bytes;   /* bucket depth for bytes_per_s */
};

/* health and restart hold the TLV_HEALTH_* and TLV_RESTART_* values of d0/tlv_tags.h. */

struct d0_container {
  char name[D0_NAME_MAX + 1];
  uint32_t vcpu;   /* 1..16 */
  uint32_t mem_mb; /* 16..65536 */
  char disk_path[D0_PATH_MAX + 1];
  uint8_t disk_sha256[32];
  uint64_t disk_size; /* 1..64 GiB */
  uint8_t mac[6];     /* unicast */
  struct d0_ip4_cidr ip4;
  bool has_gw;
  uint8_t gw4[4];     /* valid iff has_gw */
  uint32_t n_routes;  /* 0..TLV_MAX_ROUTES */
  struct d0_route routes[TLV_MAX_ROUTES];
  uint32_t boot_order;       /* 0..65535 */
  uint32_t health_timeout_s; /* 1..3600 */
  uint8_t health;            /* TLV_HEALTH_* */
  bool has_restart;
  uint8_t restart; /* TLV_RESTART_*, valid iff has_restart */
  /* published ports, ascending by (proto, uplink_port) */
  uint32_t n_publish; /* 0..TLV_MAX_PUBLISH */
  struct d0_publish publish[TLV_MAX_PUBLISH];
  /* egress policy: when egress_restricted, only new flows egress[] allows may leave (none when
   * n_egress is 0); when not, anything may (subject to egress_nat). Ascending by rule. */
  bool egress_restricted; /* absent = false */
  uint32_t n_egress;      /* 0..TLV_MAX_EGRESS */
  struct d0_egress_rule egress[TLV_MAX_EGRESS];
  /* rate limits of the frames the VM sends (tx) and of those delivered to it (rx) */
  bool has_tx_limit, has_rx_limit;
  struct d0_rate_limit tx_limit, rx_limit; /* valid iff has_tx_limit / has_rx_limit */
};

struct d0_manifest {
  /* header */
  uint32_t version; /* always 1 after a successful parse */
  uint8_t build_uuid[16];
  uint64_t timestamp_ms;
  uint64_t security_epoch;
  bool has_site;
  char site[D0_NAME_MAX + 1];
  /* network */
  struct d0_ip4_cidr bridge_ip4;
  bool egress_nat;
  /* D0's own address on the uplink NIC (optional: absent = no uplink, D0 drives no NIC) */
  bool has_uplink;
  struct d0_ip4_cidr uplink_ip4; /* valid iff has_uplink */
  bool has_uplink_gw;
  uint8_t uplink_gw4[4];         /* valid iff has_uplink_gw (required with uplink_ip4) */
  bool has_uplink_echo;
  bool uplink_echo; /* valid iff has_uplink_echo; absent means on (answer ICMP echo) */
  /* guest kernel */
  char kernel_path[D0_PATH_MAX + 1];
  uint8_t kernel_sha256[32];
  uint64_t kernel_size; /* 1..256 MiB */
  /* containers, ascending by name */
  uint32_t n_containers; /* 1..TLV_MAX_CONTAINERS */
  struct d0_container containers[TLV_MAX_CONTAINERS];
  /* where the host pulls its next build from at reboot (optional: absent = no pull) */
  bool has_update;
  char update_url[D0_URL_MAX + 1]; /* NUL-terminated; valid iff has_update */
  uint32_t update_timeout_s;        /* 1..600; valid iff has_update */
  /* the digest of D0's own EFI image of this build (optional) */
  bool has_loader;
  uint8_t loader_sha256[32]; /* valid iff has_loader */
  uint64_t loader_size;      /* 1..64 MiB; valid iff has_loader */
  /* the syslog collector the host sends its one-way reports to, RFC 5424 over UDP (optional:
   * absent = no reports; present only with has_uplink, SEMANTIC_REPORT_NO_UPLINK) */
  bool has_report;
  uint8_t report_ip4[4]; /* network byte order; valid iff has_report */
  uint16_t report_port;  /* 1..65535; valid iff has_report */
};

/* Where and on what the parse failed, for logs. */
struct manifest_diag {
  /* Byte offset (from the start of buf) of the record header whose check failed; for checks
   * made when a scope ends (MISSING, COUNT) the offset of the record that owns the scope;
   * 0 for OVERSIZE and for an empty input. */
  size_t offset;
  /* The tag of that record as read (critical bit included), or 0 if no tag was read; for
   * MISSING and COUNT the tag of the field that is absent or over its limit; for ORDER and
   * DUPLICATE between repeated entries the repeated field's tag. */
  uint16_t tag;
};

/* 0, or -TLV_E_<NAME> for the first error of proto/TLV.md met in a forward pass. */
int manifest_parse(const uint8_t *buf, size_t len, struct d0_manifest *out);

/* As manifest_parse, and on error fills *diag (if diag is not NULL). */
int manifest_parse_diag(const uint8_t *buf, size_t len, struct d0_manifest *out,
                        struct manifest_diag *diag);

/* The stable error name of proto/TLV.md ("TRUNCATED", ...) for err or -err; "OK" for 0;
 * "UNKNOWN" for a code the spec does not define. */
const char *tlv_strerror(int err);

/*
 * Writes the canonical text dump of proto/TLV.md ("path=value\n" lines in encoding order) into
 * buf, NUL-terminated. Returns the number of bytes written (excluding the NUL), or 0 if the dump
 * and its NUL do not fit in cap bytes (buf then holds a truncated prefix, still NUL-terminated
 * when cap > 0). A 64 KiB manifest dumps to under 1 MiB
 * (an egress rule of ~40 TLV bytes is ~300 bytes of text).
 */
size_t manifest_dump(const struct d0_manifest *m, char *buf, size_t cap);

#endif /* D0_MANIFEST_H */
