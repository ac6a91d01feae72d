/*
 * GET over the firmware's EFI_HTTP_PROTOCOL (plain HTTP/1.1), before ExitBootServices. One
 * client instance (a child of the NIC's HTTP service binding) serves every request of a pull;
 * the firmware keeps its TCP connection between requests when the server allows it.
 *
 * Every wait is bounded by the caller's deadline (arch_time_ns()): a server that stalls, a lost
 * connection or a firmware that never completes a token ends in HTTP_ERR_TIMEOUT or
 * HTTP_ERR_NET, and the instance is reset (its connection closed, its tokens aborted) so the
 * next request starts clean. A response must carry Content-Length (a static file server's
 * does); the body goes to the sink as it arrives, never buffered whole, and a body that ends
 * before Content-Length is HTTP_ERR_SHORT.
 */
#ifndef D0_BOOT_EFI_PULL_HTTP_H
#define D0_BOOT_EFI_PULL_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "efi/efi_net.h"

enum http_err {
  HTTP_OK = 0,
  HTTP_ERR_STATUS = -1,    /* answered, but not 200 (*status says what) */
  HTTP_ERR_TIMEOUT = -2,   /* the deadline passed */
  HTTP_ERR_NET = -3,       /* the firmware reported an error (connect, send, receive) */
  HTTP_ERR_NO_LENGTH = -4, /* no usable Content-Length */
  HTTP_ERR_SHORT = -5,     /* the connection ended before Content-Length bytes */
  HTTP_ERR_SINK = -6,      /* the sink refused (its own reason is the caller's) */
  HTTP_ERR_SETUP = -7,     /* no instance, a URL too long, no event */
};

struct http_sink {
  /* Called once, with the Content-Length, before any body byte; nonzero refuses. */
  int (*length)(void *ctx, uint64_t n);
  /* The body in order; nonzero stops the transfer. */
  int (*data)(void *ctx, const uint8_t *p, size_t n);
  void *ctx;
};

int http_open(EFI_BOOT_SERVICES *bs, EFI_SERVICE_BINDING_PROTOCOL *sb);
void http_close(void);

/* *status: the HTTP status number when one was received, else 0; *got: body bytes delivered. */
int http_get(const char *url, uint64_t deadline_ns, const struct http_sink *sink,
             uint32_t *status, uint64_t *got);

const char *http_strerror(int err);

#endif
