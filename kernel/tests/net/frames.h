/*
 * Test frames for the router's host tests and fuzz target: Ethernet/IPv4 frames built field by
 * field with every checksum computed here, and a checker that recomputes a frame's checksums from
 * scratch with its own RFC 1071 sum (independent of kernel/net/pkt.c, which it tests).
 */
#ifndef D0_TESTS_NET_FRAMES_H
#define D0_TESTS_NET_FRAMES_H

#include <stdbool.h>
#include <stdint.h>

struct tf_spec {
  const uint8_t *dmac, *smac, *src, *dst;
  uint8_t proto;      /* 1 ICMP, 6 TCP, 17 UDP, or anything (payload only) */
  uint8_t ttl;        /* 0 = 64 */
  uint32_t opt_words; /* IPv4 options (NOPs), 0..10 words */
  uint16_t frag;      /* flags + fragment offset word (0x2000 = MF) */
  uint16_t sport, dport;    /* TCP/UDP ports; ICMP: sport is the echo id */
  uint8_t tcp_flags;
  uint8_t icmp_type;        /* ICMP: 8 echo request, 0 echo reply, ... */
  uint32_t payload_len;     /* pattern bytes after the L4 header */
  bool udp_no_csum;         /* UDP checksum 0 (none) */
};

/* Builds the frame into f (1514 bytes); its length (padded with zeros to 60). */
uint32_t tf_build(uint8_t *f, const struct tf_spec *s);

/* An ICMP error (type, code) frame per s (addresses, TTL) quoting quote[0..qlen) (an IPv4
 * packet as sent); its length. */
uint32_t tf_icmp_error(uint8_t *f, const struct tf_spec *s, uint8_t type, uint8_t code,
                       const uint8_t *quote, uint32_t qlen);

/* The reference RFC 1071 checksum, one byte at a time. */
uint16_t tf_csum(const uint8_t *p, uint32_t n);

/* True when the IPv4 frame's header checksum and (unfragmented) TCP/UDP/ICMP checksum are what a
 * computation from scratch gives (UDP: 0 allowed as "none"; a computed 0 must be stored 0xffff). */
bool tf_checksums_ok(const uint8_t *f, uint32_t len);

uint16_t tf_be16(const uint8_t *p);
void tf_put16(uint8_t *p, uint16_t v);

#endif
