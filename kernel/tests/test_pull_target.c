/*
 * kernel/boot/efi/pull/target.c and url.c on the host: what D0 accepts from an update server's
 * pointer (hosts/<host>.d0ptr = signature || manifest) and the URLs it asks for. The pointer is
 * untrusted bytes: a bad signature, a short file, a manifest that does not decode (signed or
 * not) is refused with its reason; a verified target is installed only when it is newer than the
 * running build, not the build last refused, not below the epoch floor, carries the loader digest
 * and passes the semantic rules. test/vectors/manifest/valid-update-loader is the target.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "d0/manifest.h"
#include "pull/target.h"
#include "pull/url.h"
#include "vector_files.h"

#define VEC "test/vectors/manifest/"

/* RFC 8032 section 7.1 TEST 1: the key every valid vector is signed with (public test data). */
static const uint8_t test1_seed[32] = {
  0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4,
  0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60,
};
static uint8_t pub[32], sec[64];

static uint8_t ptr[PULL_POINTER_MAX + 64];
static struct pull_target t;

/* signature || tlv, the signature made here with the TEST 1 key. */
static size_t pointer_of(const uint8_t *tlv, size_t len) {
  crypto_sign_detached(ptr, NULL, tlv, len, sec);
  memcpy(ptr + 64, tlv, len);
  return 64 + len;
}

static void reading(void) {
  check_current = "pull_target_read";
  size_t tlv_len = 0, sig_len = 0;
  uint8_t *tlv = vector_read_file(VEC "valid-update-loader.tlv", &tlv_len);
  uint8_t *sig = vector_read_file(VEC "valid-update-loader.sig", &sig_len);
  CHECK(tlv && sig && sig_len == 64);
  if (!tlv || !sig)
    return;
  /* The vector's own signature, as `d0 publish` writes the pointer. */
  memcpy(ptr, sig, 64);
  memcpy(ptr + 64, tlv, tlv_len);
  CHECK(pull_target_read(ptr, 64 + tlv_len, pub, &t) == NULL);
  CHECK_STR(t.uuid, "017f22e2-79b0-7cc3-98c4-dc0c0c07398f");
  CHECK(t.m.has_update && t.m.has_loader);
  CHECK_STR(t.m.update_url, "http://updates.example-site.net:8080/d0/site-a/");
  CHECK_EQ(t.m.update_timeout_s, 600);
  CHECK_EQ(t.m.loader_size, 67108864);
  CHECK(t.tlv == ptr + 64 && t.tlv_len == tlv_len && t.sig == ptr);

  /* Every signature byte and a sample of manifest bytes: a flipped bit is refused. */
  for (size_t i = 0; i < 64 + tlv_len; i += i < 64 ? 1 : 7) {
    ptr[i] ^= 0x10;
    CHECK_STR(pull_target_read(ptr, 64 + tlv_len, pub, &t), "bad_signature");
    ptr[i] ^= 0x10;
  }
  /* Another key's signature over the same manifest. */
  uint8_t other_pub[32], other_sec[64], other_seed[32];
  memset(other_seed, 7, sizeof other_seed);
  crypto_sign_seed_keypair(other_pub, other_sec, other_seed);
  crypto_sign_detached(ptr, NULL, tlv, tlv_len, other_sec);
  CHECK_STR(pull_target_read(ptr, 64 + tlv_len, pub, &t), "bad_signature");
  CHECK(pull_target_read(ptr, 64 + tlv_len, other_pub, &t) == NULL);
  /* Cut anywhere: short or unsigned. */
  for (size_t n = 0; n <= 64; n++)
    CHECK_STR(pull_target_read(ptr, n, pub, &t), "pointer_short");
  memcpy(ptr, sig, 64);
  for (size_t n = 65; n < 64 + tlv_len; n += 13)
    CHECK_STR(pull_target_read(ptr, n, pub, &t), "bad_signature");
  /* Signed with the right key, but not a manifest: the decoder's reason. */
  static const uint8_t junk[] = { 0x01, 0x80, 0x02, 0x00, 0x00, 0x00, 0xff };
  CHECK_STR(pull_target_read(ptr, pointer_of(junk, sizeof junk), pub, &t), "tlv:TRUNCATED");
  size_t invalid_len = 0;
  uint8_t *invalid = vector_read_file(VEC "invalid-value-update-timeout-0.tlv", &invalid_len);
  CHECK(invalid != NULL);
  if (invalid) {
    const char *why = pull_target_read(ptr, pointer_of(invalid, invalid_len), pub, &t);
    CHECK_MSG(why && strncmp(why, "tlv:", 4) == 0, "got %s", why ? why : "(null)");
  }
  free(invalid);
  free(tlv);
  free(sig);
}

static void deciding(void) {
  check_current = "pull_decide";
  size_t tlv_len = 0;
  uint8_t *tlv = vector_read_file(VEC "valid-update-loader.tlv", &tlv_len);
  CHECK(tlv != NULL);
  if (!tlv || pull_target_read(ptr, pointer_of(tlv, tlv_len), pub, &t) != NULL) {
    free(tlv);
    CHECK(0);
    return;
  }
  const char *why = 0;
  const char *older = "017f22e2-79b0-7cc3-98c4-dc0c0c07398e"; /* one less in the last digit */
  const char *newer = "017f22e2-79b0-7cc3-98c4-dc0c0c073990";
  CHECK_EQ(pull_decide(&t, older, "", 3, &why), PULL_INSTALL);
  CHECK(why == NULL);
  CHECK_EQ(pull_decide(&t, older, "", 0, &why), PULL_INSTALL);
  CHECK_EQ(pull_decide(&t, t.uuid, "", 3, &why), PULL_SKIP);
  CHECK_STR(why, "current");
  CHECK_EQ(pull_decide(&t, newer, "", 3, &why), PULL_REFUSE);
  CHECK_STR(why, "older");
  CHECK_EQ(pull_decide(&t, older, t.uuid, 3, &why), PULL_REFUSE);
  CHECK_STR(why, "known_bad");
  CHECK_EQ(pull_decide(&t, older, newer, 3, &why), PULL_INSTALL);
  CHECK_EQ(pull_decide(&t, older, "", 4, &why), PULL_REFUSE);
  CHECK_STR(why, "epoch_below");
  /* Older wins over every other reason: a server cannot learn more by replaying old builds. */
  CHECK_EQ(pull_decide(&t, newer, t.uuid, 99, &why), PULL_REFUSE);
  CHECK_STR(why, "older");
  t.m.has_loader = false;
  CHECK_EQ(pull_decide(&t, older, "", 3, &why), PULL_REFUSE);
  CHECK_STR(why, "loader_unsigned");
  t.m.has_loader = true;
  /* A semantic rule: the epoch ceiling (proto/SEMANTICS.md), counted from the floor. */
  t.m.security_epoch = 3 + 70000;
  CHECK_EQ(pull_decide(&t, older, "", 3, &why), PULL_REFUSE);
  CHECK_MSG(why && strncmp(why, "SEMANTIC_", 9) == 0, "got %s", why ? why : "(null)");
  free(tlv);
}

static void urls(void) {
  check_current = "url";
  char id[PULL_HOST_ID_LEN + 1];
  static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };
  pull_host_id(mac, id);
  CHECK_STR(id, "52-54-00-ab-cd-ef");
  char url[PULL_URL_CAP];
  const char *parts[] = { "hosts/", id, ".d0ptr", 0 };
  CHECK(pull_url_join(url, sizeof url, "http://10.0.2.100/site/", parts) == 0);
  CHECK_STR(url, "http://10.0.2.100/site/hosts/52-54-00-ab-cd-ef.d0ptr");
  const char *none[] = { 0 };
  CHECK(pull_url_join(url, sizeof url, "http://h/", none) == 0);
  CHECK_STR(url, "http://h/");
  /* Exactly at the bound and one over: never a cut URL. */
  char small[10];
  const char *fits[] = { "abc", 0 };
  CHECK(pull_url_join(small, sizeof small, "http://", fits) != 0); /* 10 bytes + NUL */
  const char *fits2[] = { "ab", 0 };
  CHECK(pull_url_join(small, sizeof small, "http://", fits2) == 0);
  CHECK_STR(small, "http://ab");
  char auth[64];
  CHECK(pull_url_authority("http://10.0.2.100:8080/d0/", auth, sizeof auth) == 0);
  CHECK_STR(auth, "10.0.2.100:8080");
  CHECK(pull_url_authority("http://updates.example.net/", auth, sizeof auth) == 0);
  CHECK_STR(auth, "updates.example.net");
  CHECK(pull_url_authority("https://h/", auth, sizeof auth) != 0);
  CHECK(pull_url_authority("http:///x/", auth, sizeof auth) != 0);
  CHECK(pull_url_authority("http://abcdefgh/", auth, 8) != 0);
}

int main(void) {
  if (sodium_init() < 0)
    return 2;
  crypto_sign_seed_keypair(pub, sec, test1_seed);
  reading();
  deciding();
  urls();
  return check_exit("pull_target");
}
