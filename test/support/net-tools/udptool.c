/*
 * udptool: the UDP sender and counter of the network abuse tests, run inside busybox containers
 * (busybox's nc has no UDP). Linked static, so it needs nothing from the container's root.
 *
 *   udptool send DST_IP PORT PAYLOAD_BYTES SECONDS [SRC_IP]
 *       sends datagrams to DST_IP:PORT as fast as the socket takes them (a blocking socket: when
 *       the NIC's queue is full, sendto waits) for SECONDS, from SRC_IP if given (an address the
 *       guest holds, e.g. one added for a spoofing test); prints one line at the end:
 *       "udp-sent packets=N bytes=B errors=E"
 *   udptool count PORT SECONDS
 *       receives on PORT for SECONDS, printing one line per whole second since start:
 *       "udp-rx second=S packets=N bytes=B" (payload bytes), then "udp-rx total packets=N bytes=B".
 *
 * Every run is bounded by SECONDS (at most 600). Exit status 2 on bad arguments or setup errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_SECONDS 600
#define MAX_PAYLOAD 1472 /* one Ethernet frame of IPv4 + UDP */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long arg_num(const char *s, long lo, long hi, const char *what)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "udptool: %s: %s is not a number in %ld..%ld\n", what, s, lo, hi);
		exit(2);
	}
	return v;
}

static void addr_of(struct sockaddr_in *a, const char *ip, long port, const char *what)
{
	memset(a, 0, sizeof *a);
	a->sin_family = AF_INET;
	a->sin_port = htons((unsigned short)port);
	if (inet_pton(AF_INET, ip, &a->sin_addr) != 1) {
		fprintf(stderr, "udptool: %s: %s is not an IPv4 address\n", what, ip);
		exit(2);
	}
}

static int do_send(int argc, char **argv)
{
	if (argc != 6 && argc != 7) {
		fprintf(stderr, "usage: udptool send DST_IP PORT PAYLOAD_BYTES SECONDS [SRC_IP]\n");
		return 2;
	}
	struct sockaddr_in dst;
	addr_of(&dst, argv[2], arg_num(argv[3], 1, 65535, "port"), "destination");
	long size = arg_num(argv[4], 1, MAX_PAYLOAD, "payload bytes");
	long secs = arg_num(argv[5], 1, MAX_SECONDS, "seconds");
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("udptool: socket");
		return 2;
	}
	if (argc == 7) {
		struct sockaddr_in src;
		addr_of(&src, argv[6], 0, "source");
		if (bind(fd, (struct sockaddr *)&src, sizeof src) != 0) {
			fprintf(stderr, "udptool: bind %s: %s\n", argv[6], strerror(errno));
			return 2;
		}
	}
	/* sendto must not block past the deadline if the NIC never drains. */
	struct timeval tv = { .tv_sec = 1, .tv_usec = 0 };
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	static char buf[MAX_PAYLOAD];
	memset(buf, 'f', sizeof buf);
	unsigned long packets = 0, bytes = 0, errors = 0;
	double end = now_s() + (double)secs;
	while (now_s() < end) {
		if (sendto(fd, buf, (size_t)size, 0, (struct sockaddr *)&dst, sizeof dst) == size) {
			packets++;
			bytes += (unsigned long)size;
		} else {
			errors++; /* ENOBUFS, EAGAIN after the timeout, ECONNREFUSED from an ICMP error */
		}
	}
	printf("udp-sent packets=%lu bytes=%lu errors=%lu\n", packets, bytes, errors);
	fflush(stdout);
	close(fd);
	return 0;
}

static int do_count(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: udptool count PORT SECONDS\n");
		return 2;
	}
	struct sockaddr_in any;
	addr_of(&any, "0.0.0.0", arg_num(argv[2], 1, 65535, "port"), "listen");
	long secs = arg_num(argv[3], 1, MAX_SECONDS, "seconds");
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&any, sizeof any) != 0) {
		fprintf(stderr, "udptool: listen on %s: %s\n", argv[2], strerror(errno));
		return 2;
	}
	int rcvbuf = 1 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
	struct timeval tv = { .tv_sec = 0, .tv_usec = 100000 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	printf("udp-rx listening port=%s\n", argv[2]);
	fflush(stdout);
	static char buf[65536];
	unsigned long packets = 0, bytes = 0, tot_packets = 0, tot_bytes = 0;
	double start = now_s();
	long second = 0;
	for (;;) {
		double t = now_s() - start;
		while (second < secs && t >= (double)(second + 1)) {
			printf("udp-rx second=%ld packets=%lu bytes=%lu\n", second, packets, bytes);
			fflush(stdout);
			packets = bytes = 0;
			second++;
		}
		if (second >= secs)
			break;
		ssize_t n = recv(fd, buf, sizeof buf, 0);
		if (n >= 0) {
			packets++;
			bytes += (unsigned long)n;
			tot_packets++;
			tot_bytes += (unsigned long)n;
		}
	}
	printf("udp-rx total packets=%lu bytes=%lu\n", tot_packets, tot_bytes);
	fflush(stdout);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "send") == 0)
		return do_send(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "count") == 0)
		return do_count(argc, argv);
	fprintf(stderr, "usage: udptool send|count ...\n");
	return 2;
}
