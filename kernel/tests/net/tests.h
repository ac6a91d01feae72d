/* The groups of the router's host-test program (router_tests), one per file. */
#ifndef D0_TESTS_NET_TESTS_H
#define D0_TESTS_NET_TESTS_H

void run_pkt_tests(void);
void run_offload_tests(void);
void run_ack_thin_tests(void);
void run_conntrack_tests(void);
void run_router_tests(void);

#endif
