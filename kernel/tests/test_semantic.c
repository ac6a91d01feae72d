/*
 * The semantic rules (kernel/manifest/semantic.c) against the golden vectors shared with
 * core/manifest/semantic.ts:
 *   test_semantic <dir of NAME.tlv/.sig/.expect> <32-byte public key file>
 * For every NAME.tlv: the signature verifies, the manifest parses, and the first broken rule at
 * epoch floor 0 ("error=SEMANTIC_<NAME> at=<where>\n", or "ok\n") equals NAME.expect. Then the
 * epoch ceiling's arithmetic (floors near 2^64 must not wrap) and the names table.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "vector_files.h"
#include "d0/ed25519.h"
#include "d0/manifest.h"
#include "d0/semantic.h"

static struct d0_manifest manifest; /* not on the stack */

/* What D0 decides for a parsed manifest, as a vector's .expect line. */
static void render(uint64_t floor, char *out, size_t cap) {
  struct semantic_diag d = {-2, NULL};
  int err = manifest_semantic_check(&manifest, floor, &d);
  if (err == 0) {
    snprintf(out, cap, "ok\n");
  } else if (d.container >= 0) {
    snprintf(out, cap, "error=%s at=containers[%s].%s\n", semantic_strerror(err),
             manifest.containers[d.container].name, d.field);
  } else {
    snprintf(out, cap, "error=%s at=%s\n", semantic_strerror(err), d.field);
  }
}

static unsigned test_golden(const char *dir, const uint8_t pub[32], unsigned *n_refused) {
  char *names[512];
  unsigned n = vector_names(dir, names, 512);
  *n_refused = 0;
  for (unsigned i = 0; i < n; i++) {
    char path[4096], got[512];
    size_t tlv_len = 0, sig_len = 0, expect_len = 0;
    snprintf(path, sizeof path, "%s/%s.tlv", dir, names[i]);
    uint8_t *tlv = vector_read_file(path, &tlv_len);
    snprintf(path, sizeof path, "%s/%s.sig", dir, names[i]);
    uint8_t *sig = vector_read_file(path, &sig_len);
    snprintf(path, sizeof path, "%s/%s.expect", dir, names[i]);
    uint8_t *expect = vector_read_file(path, &expect_len);
    CHECK_MSG(tlv && sig && expect, "%s: .tlv, .sig and .expect readable", names[i]);
    if (tlv && sig && expect) {
      /* D0's order: the signature, the decode, then the semantic rules. */
      CHECK_MSG(sig_len == 64 && ed25519_verify(sig, tlv, tlv_len, pub) == 0,
                "%s: signature verifies", names[i]);
      int perr = manifest_parse(tlv, tlv_len, &manifest);
      CHECK_MSG(perr == 0, "%s: decodes (%s)", names[i], tlv_strerror(perr));
      if (perr == 0) {
        render(0, got, sizeof got);
        bool same = strlen(got) == expect_len && memcmp(got, expect, expect_len) == 0;
        CHECK_MSG(same, "%s: semantic check differs from .expect\n--- got\n%s--- want\n%.*s",
                  names[i], got, (int)expect_len, (const char *)expect);
        bool valid = strncmp(names[i], "valid-", 6) == 0;
        CHECK_MSG(valid == (strcmp(got, "ok\n") == 0), "%s: name matches outcome", names[i]);
        *n_refused += strncmp(got, "error=", 6) == 0;
      }
    }
    free(tlv);
    free(sig);
    free(expect);
    free(names[i]);
  }
  return n;
}

/* The ceiling is floor + 2^16 without wrapping; a floor near 2^64 accepts up to 2^64-1. */
static void test_ceiling(const char *dir) {
  char path[4096];
  size_t len = 0;
  snprintf(path, sizeof path, "%s/valid-minimal.tlv", dir);
  uint8_t *tlv = vector_read_file(path, &len);
  CHECK_MSG(tlv && manifest_parse(tlv, len, &manifest) == 0, "valid-minimal parses");
  free(tlv);
  struct semantic_diag d;
  static const struct {
    uint64_t floor, epoch;
    int want;
  } cases[] = {
      {0, 65536, 0},
      {0, 65537, -SEMANTIC_E_EPOCH_CEILING},
      {100, 65636, 0},
      {100, 65637, -SEMANTIC_E_EPOCH_CEILING},
      {UINT64_MAX - 65536, UINT64_MAX, 0},
      {UINT64_MAX - 65537, UINT64_MAX, -SEMANTIC_E_EPOCH_CEILING},
      {UINT64_MAX - 10, UINT64_MAX, 0},
      {UINT64_MAX, UINT64_MAX, 0},
      {5, 0, 0}, /* below the floor is ab_epoch_ok's rule (epoch_below), not this one */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    manifest.security_epoch = cases[i].epoch;
    d.container = 7;
    int got = manifest_semantic_check(&manifest, cases[i].floor, &d);
    CHECK_MSG(got == cases[i].want, "floor %llu epoch %llu: %d, want %d",
              (unsigned long long)cases[i].floor, (unsigned long long)cases[i].epoch, got,
              cases[i].want);
    if (got != 0)
      CHECK(d.container == -1 && strcmp(d.field, "header.security_epoch") == 0);
  }
  CHECK(manifest_semantic_check(&manifest, 0, NULL) == 0); /* diag may be NULL */
  manifest.security_epoch = UINT64_MAX;
  CHECK(manifest_semantic_check(&manifest, 0, NULL) == -SEMANTIC_E_EPOCH_CEILING);
}

static void test_names(void) {
  CHECK_STR(semantic_strerror(0), "OK");
  CHECK_STR(semantic_strerror(-SEMANTIC_E_DUPLICATE_IP4), "SEMANTIC_DUPLICATE_IP4");
  CHECK_STR(semantic_strerror(SEMANTIC_E_EPOCH_CEILING), "SEMANTIC_EPOCH_CEILING");
  CHECK_STR(semantic_strerror(SEMANTIC_E_LAST + 1), "UNKNOWN");
  for (int e = 1; e <= SEMANTIC_E_LAST; e++)
    CHECK(strncmp(semantic_strerror(e), "SEMANTIC_", 9) == 0);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s VECTOR_DIR PUBLIC_KEY_FILE\n", argv[0]);
    return 2;
  }
  size_t pub_len = 0;
  uint8_t *pub = vector_read_file(argv[2], &pub_len);
  if (!pub || pub_len != 32) {
    fprintf(stderr, "%s: not a 32-byte public key\n", argv[2]);
    free(pub);
    return 2;
  }
  unsigned refused = 0;
  unsigned n = test_golden(argv[1], pub, &refused);
  CHECK_MSG(n > 0, "no vector in %s", argv[1]);
  printf("semantic vectors: %u (%u refused)\n", n, refused);
  test_ceiling(argv[1]);
  test_names();
  free(pub);
  return check_exit("semantic");
}
