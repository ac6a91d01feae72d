/* SPDX-License-Identifier: Apache-2.0 */
/*
 * D0 manifest TLV: tags, limits, value ranges, enum values and error codes.
 * generated from proto/manifest.proto by scripts/gen-tlv-header.ts; do not edit.
 * The format is specified in proto/TLV.md.
 */
#ifndef D0_TLV_TAGS_H
#define D0_TLV_TAGS_H

/* Record framing: tag u16le | len u32le | value[len]. */
#define TLV_RECORD_HEADER_LEN                    6
#define TLV_CRITICAL                             0x8000          /* tag bit 15 */
#define TLV_TAG_ID_MASK                          0x7FFF
#define TLV_MANIFEST_ROOT                        0x8001          /* the one root record */

/* Limits. */
#define TLV_MAX_BYTES                            65536           /* whole file */
#define TLV_NAME_MIN_LEN                         1
#define TLV_NAME_MAX_LEN                         32              /* [a-z0-9][a-z0-9-]* */
#define TLV_PATH_MIN_LEN                         1
#define TLV_PATH_MAX_LEN                         128             /* [A-Za-z0-9._/-], no leading /, no "", ".", ".." part */
#define TLV_URL_MIN_LEN                          1
#define TLV_URL_MAX_LEN                          200             /* http://host[:port]/path/, proto/TLV.md "url string" */
#define TLV_MANIFEST_VERSION                     1

/* Fixed value lengths by kind. */
#define TLV_LEN_U8ENUM                           1
#define TLV_LEN_U16                              2
#define TLV_LEN_U32                              4
#define TLV_LEN_U64                              8
#define TLV_LEN_BOOL                             1
#define TLV_LEN_FLAG                             1
#define TLV_LEN_IP4                              4
#define TLV_LEN_IP4CIDR                          5
#define TLV_LEN_SHA256                           32
#define TLV_LEN_UUID7                            16
#define TLV_LEN_MAC                              6

/* Manifest (scope 0x0001). */
#define TLV_SCOPE_MANIFEST                       0x0001
#define TLV_MANIFEST_HEADER                      0x8101          /* nested Header */
#define TLV_MANIFEST_NETWORK                     0x8102          /* nested Network */
#define TLV_MANIFEST_GUEST_KERNEL                0x8103          /* nested GuestKernel */
#define TLV_MANIFEST_CONTAINERS                  0x8104          /* nested Container, repeated */
#define TLV_MANIFEST_CONTAINERS_MIN_COUNT        1
#define TLV_MANIFEST_CONTAINERS_MAX_COUNT        64
#define TLV_MANIFEST_UPDATE                      0x8105          /* nested Update, optional */
#define TLV_MANIFEST_LOADER                      0x8106          /* nested Loader, optional */
#define TLV_MANIFEST_REPORT                      0x8107          /* nested Report, optional */

/* Header (scope 0x0002). */
#define TLV_SCOPE_HEADER                         0x0002
#define TLV_HEADER_MANIFEST_VERSION              0x8201          /* u32 */
#define TLV_HEADER_MANIFEST_VERSION_MIN          1U
#define TLV_HEADER_MANIFEST_VERSION_MAX          1U
#define TLV_HEADER_BUILD_UUID                    0x8202          /* uuid7 */
#define TLV_HEADER_TIMESTAMP_MS                  0x8203          /* u64 */
#define TLV_HEADER_TIMESTAMP_MS_MIN              0ULL
#define TLV_HEADER_TIMESTAMP_MS_MAX              18446744073709551615ULL
#define TLV_HEADER_SECURITY_EPOCH                0x8204          /* u64 */
#define TLV_HEADER_SECURITY_EPOCH_MIN            0ULL
#define TLV_HEADER_SECURITY_EPOCH_MAX            18446744073709551615ULL
#define TLV_HEADER_SITE                          0x0205          /* name, optional */

/* Network (scope 0x0003). */
#define TLV_SCOPE_NETWORK                        0x0003
#define TLV_NETWORK_BRIDGE_IP4                   0x8301          /* ip4cidr */
#define TLV_NETWORK_EGRESS_NAT                   0x8302          /* bool */
#define TLV_NETWORK_UPLINK_IP4                   0x8303          /* ip4cidr, optional */
#define TLV_NETWORK_UPLINK_GW4                   0x8304          /* ip4, optional */
#define TLV_NETWORK_UPLINK_ECHO                  0x8305          /* bool, optional */

/* GuestKernel (scope 0x0004). */
#define TLV_SCOPE_GUEST_KERNEL                   0x0004
#define TLV_GUEST_KERNEL_PATH                    0x8401          /* path */
#define TLV_GUEST_KERNEL_SHA256                  0x8402          /* sha256 */
#define TLV_GUEST_KERNEL_SIZE                    0x8403          /* u64 */
#define TLV_GUEST_KERNEL_SIZE_MIN                1ULL
#define TLV_GUEST_KERNEL_SIZE_MAX                268435456ULL

/* Route (scope 0x0006). */
#define TLV_SCOPE_ROUTE                          0x0006
#define TLV_ROUTE_DEST                           0x8601          /* ip4cidr */
#define TLV_ROUTE_VIA                            0x8602          /* ip4 */

/* Container (scope 0x0005). */
#define TLV_SCOPE_CONTAINER                      0x0005
#define TLV_CONTAINER_NAME                       0x8501          /* name */
#define TLV_CONTAINER_VCPU                       0x8502          /* u32 */
#define TLV_CONTAINER_VCPU_MIN                   1U
#define TLV_CONTAINER_VCPU_MAX                   16U
#define TLV_CONTAINER_MEM_MB                     0x8503          /* u32 */
#define TLV_CONTAINER_MEM_MB_MIN                 16U
#define TLV_CONTAINER_MEM_MB_MAX                 65536U
#define TLV_CONTAINER_DISK_PATH                  0x8504          /* path */
#define TLV_CONTAINER_DISK_SHA256                0x8505          /* sha256 */
#define TLV_CONTAINER_DISK_SIZE                  0x8506          /* u64 */
#define TLV_CONTAINER_DISK_SIZE_MIN              1ULL
#define TLV_CONTAINER_DISK_SIZE_MAX              68719476736ULL
#define TLV_CONTAINER_MAC                        0x8507          /* mac */
#define TLV_CONTAINER_IP4                        0x8508          /* ip4cidr */
#define TLV_CONTAINER_GW4                        0x8509          /* ip4, optional */
#define TLV_CONTAINER_ROUTES                     0x850A          /* nested Route, repeated */
#define TLV_CONTAINER_ROUTES_MIN_COUNT           0
#define TLV_CONTAINER_ROUTES_MAX_COUNT           16
#define TLV_CONTAINER_BOOT_ORDER                 0x850B          /* u32 */
#define TLV_CONTAINER_BOOT_ORDER_MIN             0U
#define TLV_CONTAINER_BOOT_ORDER_MAX             65535U
#define TLV_CONTAINER_HEALTH_TIMEOUT_S           0x850C          /* u32 */
#define TLV_CONTAINER_HEALTH_TIMEOUT_S_MIN       1U
#define TLV_CONTAINER_HEALTH_TIMEOUT_S_MAX       3600U
#define TLV_CONTAINER_HEALTH                     0x850D          /* enum HealthKind */
#define TLV_CONTAINER_RESTART                    0x050E          /* enum RestartPolicy, optional */
#define TLV_CONTAINER_PUBLISH                    0x850F          /* nested Publish, repeated */
#define TLV_CONTAINER_PUBLISH_MIN_COUNT          0
#define TLV_CONTAINER_PUBLISH_MAX_COUNT          16
#define TLV_CONTAINER_EGRESS_RESTRICTED          0x8510          /* flag, optional */
#define TLV_CONTAINER_EGRESS_ALLOW               0x8511          /* nested EgressRule, repeated */
#define TLV_CONTAINER_EGRESS_ALLOW_MIN_COUNT     0
#define TLV_CONTAINER_EGRESS_ALLOW_MAX_COUNT     16
#define TLV_CONTAINER_TX_LIMIT                   0x8512          /* nested RateLimit, optional */
#define TLV_CONTAINER_RX_LIMIT                   0x8513          /* nested RateLimit, optional */

/* Publish (scope 0x0007). */
#define TLV_SCOPE_PUBLISH                        0x0007
#define TLV_PUBLISH_PROTOCOL                     0x8701          /* enum IpProtocol: IP_PROTO_TCP | IP_PROTO_UDP */
#define TLV_PUBLISH_UPLINK_PORT                  0x8702          /* u16 */
#define TLV_PUBLISH_UPLINK_PORT_MIN              1U
#define TLV_PUBLISH_UPLINK_PORT_MAX              65535U
#define TLV_PUBLISH_CONTAINER_PORT               0x8703          /* u16 */
#define TLV_PUBLISH_CONTAINER_PORT_MIN           1U
#define TLV_PUBLISH_CONTAINER_PORT_MAX           65535U

/* EgressRule (scope 0x0008). */
#define TLV_SCOPE_EGRESS_RULE                    0x0008
#define TLV_EGRESS_RULE_DEST                     0x8801          /* ip4cidr */
#define TLV_EGRESS_RULE_PROTOCOL                 0x8802          /* enum IpProtocol */
#define TLV_EGRESS_RULE_PORT_LO                  0x8803          /* u16 */
#define TLV_EGRESS_RULE_PORT_LO_MIN              0U
#define TLV_EGRESS_RULE_PORT_LO_MAX              65535U
#define TLV_EGRESS_RULE_PORT_HI                  0x8804          /* u16 */
#define TLV_EGRESS_RULE_PORT_HI_MIN              0U
#define TLV_EGRESS_RULE_PORT_HI_MAX              65535U

/* RateLimit (scope 0x0009). */
#define TLV_SCOPE_RATE_LIMIT                     0x0009
#define TLV_RATE_LIMIT_BYTES_PER_S               0x8901          /* u64 */
#define TLV_RATE_LIMIT_BYTES_PER_S_MIN           0ULL
#define TLV_RATE_LIMIT_BYTES_PER_S_MAX           12500000000ULL
#define TLV_RATE_LIMIT_PACKETS_PER_S             0x8902          /* u32 */
#define TLV_RATE_LIMIT_PACKETS_PER_S_MIN         0U
#define TLV_RATE_LIMIT_PACKETS_PER_S_MAX         10000000U
#define TLV_RATE_LIMIT_BURST_BYTES               0x8903          /* u32 */
#define TLV_RATE_LIMIT_BURST_BYTES_MIN           0U
#define TLV_RATE_LIMIT_BURST_BYTES_MAX           4294967295U

/* Update (scope 0x000A). */
#define TLV_SCOPE_UPDATE                         0x000A
#define TLV_UPDATE_URL                           0x8A01          /* url */
#define TLV_UPDATE_TIMEOUT_S                     0x8A02          /* u32 */
#define TLV_UPDATE_TIMEOUT_S_MIN                 1U
#define TLV_UPDATE_TIMEOUT_S_MAX                 600U

/* Loader (scope 0x000B). */
#define TLV_SCOPE_LOADER                         0x000B
#define TLV_LOADER_SHA256                        0x8B01          /* sha256 */
#define TLV_LOADER_SIZE                          0x8B02          /* u64 */
#define TLV_LOADER_SIZE_MIN                      1ULL
#define TLV_LOADER_SIZE_MAX                      67108864ULL

/* Report (scope 0x000C). */
#define TLV_SCOPE_REPORT                         0x000C
#define TLV_REPORT_COLLECTOR_IP4                 0x8C01          /* ip4 unicast */
#define TLV_REPORT_COLLECTOR_PORT                0x8C02          /* u16 */
#define TLV_REPORT_COLLECTOR_PORT_MIN            1U
#define TLV_REPORT_COLLECTOR_PORT_MAX            65535U

#define TLV_MAX_CONTAINERS                       64
#define TLV_MAX_ROUTES                           16
#define TLV_MAX_PUBLISH                          16
#define TLV_MAX_EGRESS                           16

/* enum HealthKind (u8 in the TLV). */
#define TLV_HEALTH_READY                         0
#define TLV_HEALTH_EXIT_ZERO                     1
#define TLV_HEALTH_KIND_MAX                      1

/* enum RestartPolicy (u8 in the TLV). */
#define TLV_RESTART_NEVER                        0
#define TLV_RESTART_ON_FAILURE                   1
#define TLV_RESTART_ALWAYS                       2
#define TLV_RESTART_POLICY_MAX                   2

/* enum IpProtocol (u8 in the TLV). */
#define TLV_IP_PROTO_ANY                         0
#define TLV_IP_PROTO_ICMP                        1
#define TLV_IP_PROTO_TCP                         6
#define TLV_IP_PROTO_UDP                         17
#define TLV_IP_PROTOCOL_MAX                      17

/* Decoder errors (proto/TLV.md, "Errors"); the names are the golden vectors' error=NAME. */
enum tlv_error {
	TLV_OK = 0,
	TLV_E_OVERSIZE = 1,
	TLV_E_TRUNCATED = 2,
	TLV_E_OVERFLOW = 3,
	TLV_E_TRAILING = 4,
	TLV_E_BAD_ROOT = 5,
	TLV_E_UNKNOWN_CRITICAL = 6,
	TLV_E_DUPLICATE = 7,
	TLV_E_ORDER = 8,
	TLV_E_MISSING = 9,
	TLV_E_BAD_LENGTH = 10,
	TLV_E_VALUE = 11,
	TLV_E_COUNT = 12,
};
#define TLV_E_LAST                               12
/* Initializer for a name table indexed by enum tlv_error. */
#define TLV_ERROR_NAMES_INIT                     { "OK", "OVERSIZE", "TRUNCATED", "OVERFLOW", "TRAILING", "BAD_ROOT", "UNKNOWN_CRITICAL", "DUPLICATE", "ORDER", "MISSING", "BAD_LENGTH", "VALUE", "COUNT" }

#endif /* D0_TLV_TAGS_H */
