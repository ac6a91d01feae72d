/*
 * Redundant TCP ACKs from the uplink, thinned within one poll of the NIC: of the pure ACKs of
 * one connection found in the same receive batch, only the newest is passed on when it says
 * everything the older ones said (the idea of CAKE's ACK filter, Linux sch_cake.c, applied to
 * one batch instead of a queue). A download through D0 receives about one ACK per segment it
 * sends (QEMU's user network acknowledges nearly every one); each costs D0's router and the
 * guest's network stack a frame, and the guest nothing it does not learn from the next one.
 *
 * Held: a frame that is a pure ACK: Ethernet II + IPv4 without options, not a fragment, valid IP
 * and TCP checksums, no payload, TCP flags exactly ACK (no SYN, FIN, RST, PSH, URG, ECE, CWR),
 * IP ECN field not CE, TCP options only NOP, EOL and one timestamp (no SACK: a SACK block
 * reports a loss and is always passed on).
 * Superseded: a held ACK is replaced by a newer pure ACK of the same connection (same addresses
 * and ports, same direction) with the same sequence number, a strictly larger acknowledgement
 * number (RFC 1982 order), a window at least as large, and, when either carries a timestamp,
 * both carrying one with TSval and TSecr not older. Anything else (a duplicate ACK: equal
 * acknowledgement number; a smaller window) sends the held one first, so duplicate ACKs, which
 * drive fast retransmit, all arrive.
 * Order: a frame of a connection with a held ACK that is not held itself (data, FIN, RST, a SACK)
 * sends the held ACK first; connections are independent of each other. ackthin_flush, at the
 * end of each batch, sends every held ACK (in the order they were first held), so an ACK waits
 * at most for the rest of its batch, never for a timer.
 * Bounds: ACKTHIN_SLOTS connections held at once (a further one sends the oldest held first);
 * frames over ACKTHIN_MAX_FRAME bytes are never held. Pure code: used by boot/efi/uplink.c,
 * host-tested and fuzzed in kernel/tests/net.
 */
#ifndef D0_NET_ACK_THIN_H
#define D0_NET_ACK_THIN_H

#include <stdbool.h>
#include <stdint.h>

#define ACKTHIN_SLOTS 8u
/* Ethernet + IPv4 (20) + TCP with the largest options (60), and Ethernet's minimum padding. */
#define ACKTHIN_MAX_FRAME 96u

/* The fields of a pure ACK that decide whether a newer one supersedes it. */
struct ackthin_ack {
  uint32_t seq, ack, tsval, tsecr;
  uint16_t win;
  bool ts;
};

struct ackthin_slot {
  bool used;
  uint32_t len, order; /* order: when it was first held (flush order) */
  uint8_t key[12];      /* its connection: addresses and ports, as received */
  struct ackthin_ack a;
  uint8_t frame[ACKTHIN_MAX_FRAME];
};

struct ackthin {
  struct ackthin_slot slot[ACKTHIN_SLOTS];
  uint32_t next_order;
  uint64_t thinned; /* ACKs superseded and never passed on */
};

/* Where frames go on: called with the frame, valid only during the call. */
typedef void (*ackthin_out_fn)(void *ctx, const uint8_t *frame, uint32_t len);

/* One received frame: held, or passed to out (after any held ACK of its connection). */
void ackthin_offer(struct ackthin *t, const uint8_t *frame, uint32_t len, ackthin_out_fn out,
                   void *ctx);

/* The end of a batch: every held ACK to out. */
void ackthin_flush(struct ackthin *t, ackthin_out_fn out, void *ctx);

#endif /* D0_NET_ACK_THIN_H */
