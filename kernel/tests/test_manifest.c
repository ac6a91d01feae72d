/*
 * The manifest parser against the golden vectors shared with the TypeScript decoder:
 *   test_manifest <dir of NAME.tlv/.expect/.sig> <32-byte public key file>
 * For every NAME.tlv: the dump (or "error=NAME\n") equals NAME.expect byte for byte; a NAME.sig
 * verifies under the key. Then, for the smallest valid vector, every single-bit flip either
 * fails to parse or changes the dump, and always fails the signature. Also: the dump's buffer
 * bound, error offsets, the optional messages (update, loader, report), tlv_strerror, and the
 * cursor.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "vector_files.h"
#include "d0/cursor.h"
#include "d0/ed25519.h"
#include "d0/manifest.h"

#define DUMP_CAP (1024 * 1024) /* a 64 KiB manifest of egress rules dumps to ~500 KiB */

static struct d0_manifest manifest; /* ~44 KiB: not on the stack */
static char dump_buf[DUMP_CAP], dump_buf2[DUMP_CAP];

/* What a decoder prints for buf: the dump, or "error=NAME\n". */
static size_t render(const uint8_t *buf, size_t len, char *out, size_t cap) {
  int err = manifest_parse(buf, len, &manifest);
  if (err < 0)
    return (size_t)snprintf(out, cap, "error=%s\n", tlv_strerror(err));
  return manifest_dump(&manifest, out, cap);
}

static unsigned test_golden(const char *dir, const uint8_t pub[32], unsigned *n_sigs) {
  char *names[512];
  unsigned n = vector_names(dir, names, 512);
  *n_sigs = 0;
  for (unsigned i = 0; i < n; i++) {
    char path[4096];
    size_t tlv_len, expect_len, sig_len;
    snprintf(path, sizeof path, "%s/%s.tlv", dir, names[i]);
    uint8_t *tlv = vector_read_file(path, &tlv_len);
    snprintf(path, sizeof path, "%s/%s.expect", dir, names[i]);
    uint8_t *expect = vector_read_file(path, &expect_len);
    CHECK_MSG(tlv && expect, "%s: .tlv and .expect readable", names[i]);
    if (!tlv || !expect)
      continue;
    size_t got = render(tlv, tlv_len, dump_buf, DUMP_CAP);
    bool same = got == expect_len && memcmp(dump_buf, expect, expect_len) == 0;
    CHECK_MSG(same, "%s: decoder output differs from .expect\n--- got\n%s--- want\n%.*s", names[i],
              dump_buf, (int)expect_len, (const char *)expect);
    bool valid = strncmp(names[i], "valid-", 6) == 0;
    CHECK_MSG(valid == (strncmp((char *)expect, "error=", 6) != 0), "%s: name matches outcome",
              names[i]);
    snprintf(path, sizeof path, "%s/%s.sig", dir, names[i]);
    uint8_t *sig = vector_read_file(path, &sig_len);
    if (sig) {
      (*n_sigs)++;
      CHECK_MSG(sig_len == 64 && ed25519_verify(sig, tlv, tlv_len, pub) == 0,
                "%s: signature verifies", names[i]);
      free(sig);
    } else {
      CHECK_MSG(!valid, "%s: a valid vector has a .sig", names[i]);
    }
    free(tlv);
    free(expect);
    free(names[i]);
  }
  return n;
}

static void test_bit_flips(const char *dir, const uint8_t pub[32]) {
  char path[4096];
  size_t len, sig_len;
  snprintf(path, sizeof path, "%s/valid-minimal.tlv", dir);
  uint8_t *tlv = vector_read_file(path, &len);
  snprintf(path, sizeof path, "%s/valid-minimal.sig", dir);
  uint8_t *sig = vector_read_file(path, &sig_len);
  CHECK_MSG(tlv && sig && sig_len == 64, "valid-minimal.tlv and .sig readable");
  if (!tlv || !sig)
    return;
  size_t base_len = render(tlv, len, dump_buf2, DUMP_CAP);
  CHECK_MSG(base_len > 0 && strncmp(dump_buf2, "error=", 6) != 0, "valid-minimal parses");
  unsigned detected = 0, sig_rejected = 0, total = 0;
  for (size_t bit = 0; bit < len * 8; bit++, total++) {
    tlv[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    size_t n = render(tlv, len, dump_buf, DUMP_CAP);
    detected += strncmp(dump_buf, "error=", 6) == 0 || n != base_len ||
                memcmp(dump_buf, dump_buf2, n) != 0;
    sig_rejected += ed25519_verify(sig, tlv, len, pub) == -1;
    tlv[bit / 8] ^= (uint8_t)(1u << (bit % 8));
  }
  CHECK_MSG(detected == total, "bit flips of valid-minimal: %u of %u fail or change the dump",
            detected, total);
  CHECK_MSG(sig_rejected == total, "bit flips of valid-minimal: %u of %u fail the signature",
            sig_rejected, total);
  printf("bit flips: %u of valid-minimal (%zu bytes)\n", total, len);

  /* The dump's bound: cap = length + 1 fits exactly; one less reports 0, NUL-terminated. */
  CHECK_MSG(manifest_parse(tlv, len, &manifest) == 0, "valid-minimal parses");
  size_t n = manifest_dump(&manifest, dump_buf, DUMP_CAP);
  CHECK_MSG(manifest_dump(&manifest, dump_buf, n + 1) == n, "dump fits in length + 1");
  CHECK_MSG(manifest_dump(&manifest, dump_buf, n) == 0 && strlen(dump_buf) == n - 1,
            "dump in length bytes reports 0 and stays terminated");
  CHECK_MSG(manifest_dump(&manifest, dump_buf, 0) == 0, "dump with cap 0");

  /* Error offsets for logs: trailing bytes are reported where the root record ends. */
  uint8_t *longer = malloc(len + 1);
  memcpy(longer, tlv, len);
  longer[len] = 0;
  struct manifest_diag diag;
  CHECK_MSG(manifest_parse_diag(longer, len + 1, &manifest, &diag) == -TLV_E_TRAILING &&
                diag.offset == len,
            "TRAILING at offset %zu", diag.offset);
  /* A truncated root: TRUNCATED at 0 with the root tag. */
  CHECK_MSG(manifest_parse_diag(tlv, len - 1, &manifest, &diag) == -TLV_E_TRUNCATED &&
                diag.offset == 0 && diag.tag == TLV_MANIFEST_ROOT,
            "TRUNCATED at 0");
  /* The header's version record is at offset 12 (root header 6 + header record header 6):
   * manifest_version 2 is VALUE there. */
  memcpy(longer, tlv, len);
  CHECK_MSG(longer[12] == 0x01 && longer[13] == 0x82, "header.manifest_version at offset 12");
  longer[18] = 2;
  CHECK_MSG(manifest_parse_diag(longer, len, &manifest, &diag) == -TLV_E_VALUE && diag.offset == 12 &&
                diag.tag == TLV_HEADER_MANIFEST_VERSION,
            "VALUE at offset %zu tag %#x", diag.offset, diag.tag);
  free(longer);
  free(tlv);
  free(sig);
}

/* The network fields of valid-container-network as the kernel's glue reads them: containers
 * by name (db, web), entries in canonical order (uplink 8080 before 9000: numeric), ports in
 * host order, absent limits flagged. */
static void test_container_network(const char *dir) {
  char path[4096];
  size_t len;
  snprintf(path, sizeof path, "%s/valid-container-network.tlv", dir);
  uint8_t *tlv = vector_read_file(path, &len);
  CHECK_MSG(tlv != NULL, "valid-container-network.tlv readable");
  if (!tlv)
    return;
  CHECK_MSG(manifest_parse(tlv, len, &manifest) == 0 && manifest.n_containers == 2,
            "valid-container-network parses");
  const struct d0_container *db = &manifest.containers[0], *web = &manifest.containers[1];
  CHECK_MSG(strcmp(db->name, "db") == 0 && strcmp(web->name, "web") == 0, "db, then web");

  CHECK_MSG(db->n_publish == 1 && db->publish[0].proto == TLV_IP_PROTO_TCP &&
                db->publish[0].uplink_port == 5432 && db->publish[0].container_port == 5432,
            "db publishes tcp 5432");
  CHECK_MSG(db->egress_restricted && db->n_egress == 0, "db: deny-all egress");
  CHECK_MSG(db->has_tx_limit && db->tx_limit.bytes_per_s == 12500000000ULL &&
                db->tx_limit.packets_per_s == 10000000 && db->tx_limit.burst_bytes == 1514 &&
                !db->has_rx_limit,
            "db: tx limit at the maxima, no rx limit");

  static const struct d0_publish want_pub[3] = {
      {TLV_IP_PROTO_TCP, 8080, 80}, {TLV_IP_PROTO_TCP, 9000, 9000}, {TLV_IP_PROTO_UDP, 53, 5353}};
  CHECK_MSG(web->n_publish == 3, "web publishes 3 ports, got %u", web->n_publish);
  for (uint32_t i = 0; i < 3 && i < web->n_publish; i++)
    CHECK_MSG(web->publish[i].proto == want_pub[i].proto &&
                  web->publish[i].uplink_port == want_pub[i].uplink_port &&
                  web->publish[i].container_port == want_pub[i].container_port,
              "web.publish[%u]", i);
  CHECK_MSG(web->egress_restricted && web->n_egress == 5, "web: 5 egress rules");
  const struct d0_egress_rule *e0 = &web->egress[0], *e2 = &web->egress[2], *e4 = &web->egress[4];
  CHECK_MSG(e0->dest.prefix == 0 && e0->proto == TLV_IP_PROTO_UDP && e0->port_lo == 53 &&
                e0->port_hi == 53,
            "web.egress[0]: 0.0.0.0/0 udp 53");
  CHECK_MSG(e2->dest.addr[0] == 10 && e2->dest.addr[3] == 2 && e2->dest.prefix == 32 &&
                e2->proto == TLV_IP_PROTO_TCP && e2->port_lo == 8000 && e2->port_hi == 8100,
            "web.egress[2]: 10.0.2.2/32 tcp 8000-8100");
  CHECK_MSG(e4->dest.addr[0] == 198 && e4->proto == TLV_IP_PROTO_ANY && e4->port_lo == 0 &&
                e4->port_hi == 0,
            "web.egress[4]: 198.51.100.0/24 any");
  CHECK_MSG(web->has_tx_limit && web->tx_limit.bytes_per_s == 12500000 &&
                web->has_rx_limit && web->rx_limit.bytes_per_s == 0 &&
                web->rx_limit.packets_per_s == 500,
            "web: both limits");
  free(tlv);

  /* Entries out of order are reported at the entry, with the repeated field's tag. */
  snprintf(path, sizeof path, "%s/invalid-order-publish.tlv", dir);
  tlv = vector_read_file(path, &len);
  struct manifest_diag diag;
  CHECK_MSG(tlv && manifest_parse_diag(tlv, len, &manifest, &diag) == -TLV_E_ORDER &&
                diag.tag == TLV_CONTAINER_PUBLISH && diag.offset > 0 && diag.offset < len,
            "ORDER of publish entries: tag %#x at %zu", diag.tag, diag.offset);
  free(tlv);
}

/* update and loader as D0's pull reads them: absent flags on a manifest without them, the URL
 * NUL-terminated up to its 200-byte maximum, errors inside them reported at their records. */
static void test_update_loader(const char *dir) {
  char path[4096];
  size_t len;
  snprintf(path, sizeof path, "%s/valid-update-loader.tlv", dir);
  uint8_t *tlv = vector_read_file(path, &len);
  CHECK_MSG(tlv && manifest_parse(tlv, len, &manifest) == 0, "valid-update-loader parses");
  CHECK_MSG(manifest.has_update &&
                strcmp(manifest.update_url, "http://updates.example-site.net:8080/d0/site-a/") == 0 &&
                manifest.update_timeout_s == 600,
            "update: url and timeout_s");
  /* sha256("loader") */
  static const uint8_t want_sha[4] = {0xd4, 0x77, 0x12, 0xcc};
  CHECK_MSG(manifest.has_loader && memcmp(manifest.loader_sha256, want_sha, 4) == 0 &&
                manifest.loader_sha256[31] == 0x7c && manifest.loader_size == 64ULL * 1024 * 1024,
            "loader: sha256 and size");
  free(tlv);

  snprintf(path, sizeof path, "%s/valid-minimal.tlv", dir);
  tlv = vector_read_file(path, &len);
  CHECK_MSG(tlv && manifest_parse(tlv, len, &manifest) == 0 && !manifest.has_update &&
                !manifest.has_loader,
            "valid-minimal: no update, no loader");
  free(tlv);

  snprintf(path, sizeof path, "%s/valid-update-url-200.tlv", dir);
  tlv = vector_read_file(path, &len);
  CHECK_MSG(D0_URL_MAX == 200 && sizeof manifest.update_url == D0_URL_MAX + 1, "D0_URL_MAX");
  CHECK_MSG(tlv && manifest_parse(tlv, len, &manifest) == 0 && manifest.has_update &&
                strlen(manifest.update_url) == D0_URL_MAX && !manifest.has_loader,
            "a 200-byte url, no loader");
  free(tlv);

  struct manifest_diag diag;
  snprintf(path, sizeof path, "%s/invalid-value-url-https.tlv", dir);
  tlv = vector_read_file(path, &len);
  CHECK_MSG(tlv && manifest_parse_diag(tlv, len, &manifest, &diag) == -TLV_E_VALUE &&
                diag.tag == TLV_UPDATE_URL && diag.offset > 0 && diag.offset < len,
            "a https url is VALUE at update.url: tag %#x at %zu", diag.tag, diag.offset);
  free(tlv);
  /* MISSING is reported at the record owning the scope: the Update record. */
  snprintf(path, sizeof path, "%s/invalid-missing-update-timeout.tlv", dir);
  tlv = vector_read_file(path, &len);
  CHECK_MSG(tlv && manifest_parse_diag(tlv, len, &manifest, &diag) == -TLV_E_MISSING &&
                diag.tag == TLV_UPDATE_TIMEOUT_S && diag.offset < len &&
                tlv[diag.offset] == (TLV_MANIFEST_UPDATE & 0xff) &&
                tlv[diag.offset + 1] == (TLV_MANIFEST_UPDATE >> 8),
            "MISSING timeout_s at the update record: tag %#x at %zu", diag.tag, diag.offset);
  free(tlv);
}

/* The offset of the value of the first record tag with a len-byte value in buf, or 0. */
static size_t find_value(const uint8_t *buf, size_t n, uint16_t tag, uint8_t len) {
  const uint8_t head[6] = {(uint8_t)(tag & 0xff), (uint8_t)(tag >> 8), len, 0, 0, 0};
  for (size_t i = 0; i + sizeof head + len <= n; i++)
    if (memcmp(buf + i, head, sizeof head) == 0)
      return i + sizeof head;
  return 0;
}

/* report as D0's reporting reads it: absent on a manifest without it; the collector's address
 * in network byte order and a unicast one up to each edge of the refused ranges; the port's
 * lower bound; errors inside the scope reported at their records. */
static void test_report(const char *dir) {
  char path[4096];
  size_t len;
  snprintf(path, sizeof path, "%s/valid-report.tlv", dir);
  uint8_t *tlv = vector_read_file(path, &len);
  static const uint8_t want_ip[4] = {10, 0, 2, 2};
  CHECK_MSG(tlv && manifest_parse(tlv, len, &manifest) == 0, "valid-report parses");
  CHECK_MSG(manifest.has_report && memcmp(manifest.report_ip4, want_ip, 4) == 0 &&
                manifest.report_port == 5514 && manifest.has_uplink,
            "report: 10.0.2.2:5514, with the uplink");
  size_t at = tlv ? find_value(tlv, len, TLV_REPORT_COLLECTOR_IP4, 4) : 0;
  CHECK_MSG(at > 0 && memcmp(tlv + at, want_ip, 4) == 0, "the collector record is found");
  static const struct {
    uint8_t ip[4];
    int want;
  } edges[] = {
      {{0, 0, 0, 1}, 0},
      {{0, 0, 0, 0}, -TLV_E_VALUE},
      {{126, 255, 255, 255}, 0},
      {{127, 0, 0, 0}, -TLV_E_VALUE},
      {{127, 255, 255, 255}, -TLV_E_VALUE},
      {{128, 0, 0, 0}, 0},
      {{223, 255, 255, 255}, 0},
      {{224, 0, 0, 0}, -TLV_E_VALUE},
      {{239, 255, 255, 255}, -TLV_E_VALUE},
      {{240, 0, 0, 0}, 0},
      {{255, 255, 255, 254}, 0},
      {{255, 255, 255, 255}, -TLV_E_VALUE},
  };
  for (size_t i = 0; at > 0 && i < sizeof edges / sizeof edges[0]; i++) {
    memcpy(tlv + at, edges[i].ip, 4);
    struct manifest_diag diag = {0, 0};
    int got = manifest_parse_diag(tlv, len, &manifest, &diag);
    CHECK_MSG(got == edges[i].want, "collector %u.%u.%u.%u: %s, want %s", edges[i].ip[0],
              edges[i].ip[1], edges[i].ip[2], edges[i].ip[3], tlv_strerror(got),
              tlv_strerror(edges[i].want));
    if (got == 0)
      CHECK(memcmp(manifest.report_ip4, edges[i].ip, 4) == 0);
    else
      CHECK(diag.tag == TLV_REPORT_COLLECTOR_IP4 && diag.offset + 6 == at);
  }
  size_t port_at = tlv ? find_value(tlv, len, TLV_REPORT_COLLECTOR_PORT, 2) : 0;
  if (port_at > 0) {
    tlv[port_at] = 1, tlv[port_at + 1] = 0;
    memcpy(tlv + at, want_ip, 4);
  }
  CHECK_MSG(port_at > 0 && manifest_parse(tlv, len, &manifest) == 0 && manifest.report_port == 1,
            "port 1 is the lower bound");
  free(tlv);

  snprintf(path, sizeof path, "%s/valid-minimal.tlv", dir);
  tlv = vector_read_file(path, &len);
  CHECK_MSG(tlv && manifest_parse(tlv, len, &manifest) == 0 && !manifest.has_report,
            "valid-minimal: no report");
  free(tlv);

  /* MISSING is reported at the record owning the scope: the Report record. */
  struct manifest_diag diag;
  snprintf(path, sizeof path, "%s/invalid-missing-report-port.tlv", dir);
  tlv = vector_read_file(path, &len);
  CHECK_MSG(tlv && manifest_parse_diag(tlv, len, &manifest, &diag) == -TLV_E_MISSING &&
                diag.tag == TLV_REPORT_COLLECTOR_PORT && diag.offset < len &&
                tlv[diag.offset] == (TLV_MANIFEST_REPORT & 0xff) &&
                tlv[diag.offset + 1] == (TLV_MANIFEST_REPORT >> 8),
            "MISSING collector_port at the report record: tag %#x at %zu", diag.tag, diag.offset);
  free(tlv);
}

static void test_strerror(void) {
  CHECK_MSG(strcmp(tlv_strerror(0), "OK") == 0, "OK");
  CHECK_MSG(strcmp(tlv_strerror(-TLV_E_TRUNCATED), "TRUNCATED") == 0, "negative code");
  CHECK_MSG(strcmp(tlv_strerror(TLV_E_COUNT), "COUNT") == 0, "positive code");
  CHECK_MSG(strcmp(tlv_strerror(-13), "UNKNOWN") == 0, "out of range");
  CHECK_MSG(strcmp(tlv_strerror(-2147483647 - 1), "UNKNOWN") == 0, "INT_MIN");
  CHECK_MSG(manifest_parse(NULL, 0, &manifest) == -TLV_E_TRUNCATED, "empty input");
  static uint8_t big[TLV_MAX_BYTES + 1];
  CHECK_MSG(manifest_parse(big, sizeof big, &manifest) == -TLV_E_OVERSIZE, "oversize");
}

static void test_cursor(void) {
  const uint8_t bytes[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  struct d0_cursor c = d0_cursor_init(bytes, sizeof bytes), sub;
  uint8_t u8;
  uint16_t u16;
  uint32_t u32;
  uint64_t u64;
  const uint8_t *p;
  CHECK_MSG(d0_cursor_read_u8(&c, &u8) && u8 == 1, "u8");
  CHECK_MSG(d0_cursor_read_u16le(&c, &u16) && u16 == 0x0302, "u16le");
  CHECK_MSG(d0_cursor_read_u32le(&c, &u32) && u32 == 0x07060504, "u32le");
  CHECK_MSG(!d0_cursor_read_u64le(&c, &u64) && d0_cursor_remaining(&c) == 4, "u64 past the end");
  CHECK_MSG(!d0_cursor_sub(&c, 5, &sub) && d0_cursor_remaining(&c) == 4, "sub past the end");
  CHECK_MSG(d0_cursor_sub(&c, 3, &sub) && d0_cursor_remaining(&sub) == 3, "sub");
  CHECK_MSG(!d0_cursor_read_u32le(&sub, &u32) && d0_cursor_take(&sub, 3, &p) && p[0] == 8,
            "a sub-cursor is bounded by its own limit");
  CHECK_MSG(d0_cursor_empty(&sub) && !d0_cursor_read_u8(&sub, &u8), "empty sub");
  CHECK_MSG(!d0_cursor_skip(&c, 2) && d0_cursor_skip(&c, 1) && d0_cursor_empty(&c), "skip");
  struct d0_cursor w = d0_cursor_init(bytes, 8);
  CHECK_MSG(d0_cursor_read_u64le(&w, &u64) && u64 == 0x0807060504030201ULL, "u64le");
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s VECTOR_DIR PUBLIC_KEY_FILE\n", argv[0]);
    return 2;
  }
  size_t pub_len;
  uint8_t *pub = vector_read_file(argv[2], &pub_len);
  if (!pub || pub_len != 32) {
    fprintf(stderr, "%s: not a 32-byte public key\n", argv[2]);
    free(pub);
    return 2;
  }
  unsigned n_sigs;
  unsigned n = test_golden(argv[1], pub, &n_sigs);
  printf("golden vectors: %u (%u signed)\n", n, n_sigs);
  test_bit_flips(argv[1], pub);
  test_container_network(argv[1]);
  test_update_loader(argv[1]);
  test_report(argv[1]);
  test_strerror();
  test_cursor();
  free(pub);
  return check_exit("manifest");
}
