/* GET through EFI_HTTP_PROTOCOL; contract in http.h. */
#include "http.h"

#include "arch/arch.h"
#include "d0/lib.h"
#include "url.h"

#define BODY_CHUNK (256 * 1024)
#define CONNECT_TIMEOUT_MS 5000

static const EFI_GUID http_guid = EFI_HTTP_PROTOCOL_GUID;

/* One client for the whole pull; static, so a token the firmware still holds after an error
 * never points into a dead stack frame. */
static struct {
  EFI_BOOT_SERVICES *bs;
  EFI_SERVICE_BINDING_PROTOCOL *sb;
  EFI_HANDLE child;
  EFI_HTTP_PROTOCOL *http;
  EFI_EVENT ev;
  volatile int done;
  EFI_HTTPv4_ACCESS_POINT ap;
  EFI_HTTP_CONFIG_DATA cfg;
  EFI_HTTP_REQUEST_DATA req;
  EFI_HTTP_RESPONSE_DATA resp;
  EFI_HTTP_HEADER hdr[2];
  EFI_HTTP_MESSAGE msg;
  EFI_HTTP_TOKEN tok;
  CHAR16 url16[PULL_URL_CAP];
  char host[256];
} c;

static uint8_t body[BODY_CHUNK];

/* EFI_HTTP_STATUS_CODE is an index into this list (UEFI 2.10, 29.6.2.4; 308 came last). */
static const uint16_t status_numbers[] = {
  0,   100, 101, 200, 201, 202, 203, 204, 205, 206, 300, 301, 302, 303, 304, 305, 307, 400, 401, 402,
  403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 500, 501, 502, 503, 504,
  505, 308,
};

static void EFIAPI on_done(EFI_EVENT ev, void *ctx) {
  (void)ev;
  *(volatile int *)ctx = 1;
}

static int configure(void) {
  memset(&c.ap, 0, sizeof c.ap);
  c.ap.UseDefaultAddress = 1;
  c.cfg.HttpVersion = HttpVersion11;
  c.cfg.TimeOutMillisec = CONNECT_TIMEOUT_MS;
  c.cfg.LocalAddressIsIPv6 = 0;
  c.cfg.IPv4Node = &c.ap;
  return EFI_ERROR(c.http->Configure(c.http, &c.cfg)) ? -1 : 0;
}

int http_open(EFI_BOOT_SERVICES *bs, EFI_SERVICE_BINDING_PROTOCOL *sb) {
  memset(&c, 0, sizeof c);
  c.bs = bs;
  c.sb = sb;
  if (EFI_ERROR(sb->CreateChild(sb, &c.child)))
    return HTTP_ERR_SETUP;
  if (EFI_ERROR(bs->HandleProtocol(c.child, &http_guid, (void **)&c.http)) || !c.http ||
      EFI_ERROR(bs->CreateEvent(EVT_NOTIFY_SIGNAL, TPL_CALLBACK, on_done, (void *)&c.done,
                                &c.ev)) ||
      configure() != 0) {
    http_close();
    return HTTP_ERR_SETUP;
  }
  return HTTP_OK;
}

void http_close(void) {
  if (c.http)
    c.http->Configure(c.http, 0); /* closes the connection, aborts any token */
  if (c.ev)
    c.bs->CloseEvent(c.ev);
  if (c.child)
    c.sb->DestroyChild(c.sb, c.child);
  c.http = 0;
  c.ev = 0;
  c.child = 0;
}

/* After a failure the instance may hold a half-read response or a pending token: reset it. */
static void reset_instance(void) {
  c.http->Cancel(c.http, 0);
  c.http->Configure(c.http, 0);
  configure();
}

/* Polls until the token completes or the deadline passes. */
static int wait_token(uint64_t deadline_ns) {
  while (!c.done) {
    if (arch_time_ns() >= deadline_ns)
      return HTTP_ERR_TIMEOUT;
    c.http->Poll(c.http);
  }
  return HTTP_OK;
}

static char lower(char ch) {
  return ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
}

static int name_is(const char *a, const char *b) {
  for (; *a && *b; a++, b++)
    if (lower(*a) != *b)
      return 0;
  return *a == '\0' && *b == '\0';
}

/* Content-Length: decimal digits only (no sign, no spaces inside), at most 2^53. */
static int content_length(const EFI_HTTP_HEADER *h, UINTN n, uint64_t *out) {
  for (UINTN i = 0; h && i < n; i++) {
    if (!h[i].FieldName || !h[i].FieldValue || !name_is(h[i].FieldName, "content-length"))
      continue;
    const char *v = h[i].FieldValue;
    while (*v == ' ')
      v++;
    uint64_t x = 0;
    int digits = 0;
    for (; *v >= '0' && *v <= '9'; v++, digits++) {
      if (x > (1ull << 53) / 10)
        return -1;
      x = x * 10 + (uint64_t)(*v - '0');
    }
    while (*v == ' ')
      v++;
    if (digits == 0 || *v != '\0')
      return -1;
    *out = x;
    return 0;
  }
  return -1;
}

static int start(EFI_STATUS (*op)(EFI_HTTP_PROTOCOL *, EFI_HTTP_TOKEN *), uint64_t deadline_ns) {
  c.done = 0;
  c.tok.Event = c.ev;
  c.tok.Status = EFI_NOT_READY;
  c.tok.Message = &c.msg;
  if (EFI_ERROR(op(c.http, &c.tok)))
    return HTTP_ERR_NET;
  int err = wait_token(deadline_ns);
  if (err)
    return err;
  return EFI_ERROR(c.tok.Status) && c.tok.Status != EFI_HTTP_ERROR ? HTTP_ERR_NET : HTTP_OK;
}

static int get(const char *url, uint64_t deadline_ns, const struct http_sink *sink,
               uint32_t *status, uint64_t *got) {
  size_t n = strlen(url);
  if (n >= PULL_URL_CAP || pull_url_authority(url, c.host, sizeof c.host) != 0)
    return HTTP_ERR_SETUP;
  for (size_t i = 0; i <= n; i++)
    c.url16[i] = (CHAR16)(uint8_t)url[i];
  c.req.Method = HttpMethodGet;
  c.req.Url = c.url16;
  c.hdr[0].FieldName = "Host";
  c.hdr[0].FieldValue = c.host;
  c.hdr[1].FieldName = "User-Agent";
  c.hdr[1].FieldValue = "D0";
  memset(&c.msg, 0, sizeof c.msg);
  c.msg.Data = &c.req;
  c.msg.HeaderCount = 2;
  c.msg.Headers = c.hdr;
  int err = start(c.http->Request, deadline_ns);
  if (err)
    return err;

  /* The first Response call returns the status and headers, and maybe some body. The header
   * array is the firmware's pool memory; it is left to it (gone at ExitBootServices). */
  memset(&c.msg, 0, sizeof c.msg);
  c.resp.StatusCode = 0;
  c.msg.Data = &c.resp;
  c.msg.Body = body;
  c.msg.BodyLength = sizeof body;
  err = start(c.http->Response, deadline_ns);
  if (err)
    return err;
  *status = c.resp.StatusCode < D0_ARRAY_SIZE(status_numbers) ? status_numbers[c.resp.StatusCode]
                                                              : 0;
  if (*status != 200)
    return HTTP_ERR_STATUS;
  uint64_t total;
  if (content_length(c.msg.Headers, c.msg.HeaderCount, &total) != 0)
    return HTTP_ERR_NO_LENGTH;
  if (sink->length(sink->ctx, total) != 0)
    return HTTP_ERR_SINK;
  for (;;) {
    size_t len = c.msg.BodyLength;
    if (len > total - *got)
      return HTTP_ERR_NET; /* more than announced: not a response D0 can trust the end of */
    if (len && sink->data(sink->ctx, body, len) != 0)
      return HTTP_ERR_SINK;
    *got += len;
    if (*got == total)
      return HTTP_OK;
    memset(&c.msg, 0, sizeof c.msg);
    c.msg.Data = 0; /* more body of the same response */
    c.msg.Body = body;
    c.msg.BodyLength = total - *got < sizeof body ? (UINTN)(total - *got) : sizeof body;
    err = start(c.http->Response, deadline_ns);
    if (err == HTTP_ERR_NET)
      return HTTP_ERR_SHORT; /* the connection ended (or failed) inside the body */
    if (err)
      return err;
  }
}

int http_get(const char *url, uint64_t deadline_ns, const struct http_sink *sink,
             uint32_t *status, uint64_t *got) {
  *status = 0;
  *got = 0;
  if (!c.http)
    return HTTP_ERR_SETUP;
  int err = get(url, deadline_ns, sink, status, got);
  if (err != HTTP_OK && err != HTTP_ERR_SETUP)
    reset_instance();
  return err;
}

const char *http_strerror(int err) {
  switch (err) {
  case HTTP_OK:
    return "ok";
  case HTTP_ERR_STATUS:
    return "http_status";
  case HTTP_ERR_TIMEOUT:
    return "timeout";
  case HTTP_ERR_NET:
    return "network";
  case HTTP_ERR_NO_LENGTH:
    return "no_content_length";
  case HTTP_ERR_SHORT:
    return "truncated";
  case HTTP_ERR_SINK:
    return "refused";
  case HTTP_ERR_SETUP:
    return "setup";
  }
  return "unknown";
}
