/*
 * libFuzzer target: manifest_parse + manifest_dump + manifest_semantic_check + ed25519_verify on
 * arbitrary bytes.
 * Besides the sanitizers' checks it aborts when an invariant of a successful parse breaks:
 * counts within their limits, containers ascending by name, an update URL and a loader size
 * within their kinds, a report's collector a unicast address with a port, a dump that fits and
 * is exactly its reported length, a second parse of the same bytes giving the same dump, and a
 * semantic verdict that is a known code with its place (the same at any floor, but for the
 * ceiling).
 * Seeds: test/vectors/manifest and test/vectors/semantic (golden vectors) and kernel/tests/corpus
 * (signature layouts).
 */
#include <stdlib.h>
#include <string.h>

#include "d0/ed25519.h"
#include "d0/manifest.h"
#include "d0/semantic.h"

/* RFC 8032 TEST 1 public key (test/vectors/keys/rfc8032-test1.pub). */
static const uint8_t TEST1_PUB[32] = {
    0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07, 0x3a,
    0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a};

static struct d0_manifest m1, m2;
static char dump1[1024 * 1024], dump2[1024 * 1024]; /* a 64 KiB input dumps to < 1 MiB */

#define REQUIRE(cond)                                                                    \
  do {                                                                                   \
    if (!(cond))                                                                         \
      abort();                                                                           \
  } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct manifest_diag diag = {0, 0};
  int err = manifest_parse_diag(data, size, &m1, &diag);
  REQUIRE(err <= 0 && err >= -TLV_E_LAST);
  REQUIRE(strcmp(tlv_strerror(err), "UNKNOWN") != 0);
  if (err < 0) {
    REQUIRE(diag.offset <= size);
  } else {
    REQUIRE(m1.version == 1);
    REQUIRE(m1.n_containers >= 1 && m1.n_containers <= TLV_MAX_CONTAINERS);
    for (uint32_t i = 0; i < m1.n_containers; i++) {
      REQUIRE(m1.containers[i].n_routes <= TLV_MAX_ROUTES);
      REQUIRE(strlen(m1.containers[i].name) >= 1);
      if (i > 0)
        REQUIRE(strcmp(m1.containers[i - 1].name, m1.containers[i].name) < 0);
    }
    if (m1.has_update) {
      size_t url_len = strlen(m1.update_url);
      REQUIRE(url_len >= 8 && url_len <= D0_URL_MAX && memcmp(m1.update_url, "http://", 7) == 0);
      REQUIRE(m1.update_url[url_len - 1] == '/');
      REQUIRE(m1.update_timeout_s >= 1 && m1.update_timeout_s <= 600);
    }
    if (m1.has_loader)
      REQUIRE(m1.loader_size >= 1 && m1.loader_size <= 64ull * 1024 * 1024);
    if (m1.has_report) {
      const uint8_t *a = m1.report_ip4;
      REQUIRE(m1.report_port >= 1);
      REQUIRE(a[0] != 127 && !(a[0] >= 224 && a[0] <= 239) && (a[0] | a[1] | a[2] | a[3]) != 0 &&
              (a[0] & a[1] & a[2] & a[3]) != 0xff);
    }
    size_t n = manifest_dump(&m1, dump1, sizeof dump1);
    REQUIRE(n > 0 && strlen(dump1) == n && dump1[n - 1] == '\n');
    REQUIRE(manifest_parse(data, size, &m2) == 0);
    REQUIRE(manifest_dump(&m2, dump2, sizeof dump2) == n && memcmp(dump1, dump2, n) == 0);
    /* A cut-down buffer must report 0, never overrun. */
    REQUIRE(manifest_dump(&m1, dump2, n) == 0);
    struct semantic_diag sd = {-2, NULL};
    int serr = manifest_semantic_check(&m1, 0, &sd);
    REQUIRE(serr <= 0 && serr >= -SEMANTIC_E_LAST);
    if (serr < 0) {
      REQUIRE(sd.field != NULL && sd.container >= -1 && sd.container < (int32_t)m1.n_containers);
      /* With the highest floor no epoch is past the ceiling; every other verdict stays. */
      int top = manifest_semantic_check(&m1, UINT64_MAX, NULL);
      REQUIRE(serr == -SEMANTIC_E_EPOCH_CEILING ? top != serr : top == serr);
    }
  }

  /* As a signed file: the first 64 bytes a signature over the rest, under the test key. */
  if (size >= 64)
    (void)ed25519_verify(data, data + 64, size - 64, TEST1_PUB);
  /* As sig | pub | msg: exercises point decoding of arbitrary A. */
  if (size >= 96) {
    int v = ed25519_verify(data, data + 96, size - 96, data + 64);
    REQUIRE(v == 0 || v == -1);
  }
  return 0;
}
