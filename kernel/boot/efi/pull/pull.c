/* The pull's steps and its log; contract in pull.h, the design in kernel/docs/pull.md. */
#include "pull.h"

#include "arch/arch.h"
#include "d0/ed25519.h"
#include "d0/lib.h"
#include "http.h"
#include "install.h"
#include "log/fmt.h"
#include "log/log.h"
#include "netup.h"
#include "pubkey.h"
#include "target.h"
#include "url.h"

#define TLV_FILE_MAX 65536

static uint8_t own_tlv[TLV_FILE_MAX];
static struct d0_manifest own_m;
static uint8_t pointer[PULL_POINTER_MAX];
static size_t pointer_len;
static struct pull_target target;

/* The running build's manifest, verified: only a signed update.url is followed. 0 when it
 * names an update server. */
static int own_update(const struct pull_env *env) {
  char name[ESP_MANIFEST_NAME_LEN + 1];
  uint8_t sig[ED25519_SIG_LEN + 1];
  size_t tlv_len = 0, sig_len = 0;
  esp_manifest_name(env->own_uuid, ".tlv", name);
  if (esp_read_file(env->own, name, own_tlv, sizeof own_tlv, &tlv_len) != ESP_OK)
    return -1;
  /* Parsed before it is verified (the parser takes any bytes): most builds name no server, and
   * those pay no signature check here. */
  if (manifest_parse(own_tlv, tlv_len, &own_m) != 0 || !own_m.has_update)
    return -1;
  esp_manifest_name(env->own_uuid, ".sig", name);
  if (esp_read_file(env->own, name, sig, sizeof sig, &sig_len) != ESP_OK ||
      sig_len != ED25519_SIG_LEN || ed25519_verify(sig, own_tlv, tlv_len, d0_signing_pubkey) != 0)
    return -1; /* the boot's own check refuses this build a moment later */
  return 0;
}

static int ptr_length(void *ctx, uint64_t n) {
  (void)ctx;
  return n > sizeof pointer ? -1 : 0;
}

static int ptr_data(void *ctx, const uint8_t *p, size_t n) {
  (void)ctx;
  if (n > sizeof pointer - pointer_len)
    return -1;
  memcpy(pointer + pointer_len, p, n);
  pointer_len += n;
  return 0;
}

static struct {
  const char *result; /* installed, none, current, refused, failed */
  const char *reason;
  const char *slot_state; /* untouched, cleared, installed */
  uint32_t http_status;
  uint64_t net_bytes, local_bytes;
} out;

static void log_done(const struct pull_env *env, uint64_t t0) {
  log_begin("pull_done");
  log_str("result", out.result);
  if (out.reason)
    log_str("reason", out.reason);
  if (out.http_status)
    log_u64("http_status", out.http_status);
  if (target.uuid[0])
    log_str("target", target.uuid);
  log_str("running", env->own_uuid);
  log_str("slot", env->dest_letter);
  log_str("slot_state", out.slot_state);
  log_u64("net_bytes", out.net_bytes);
  log_u64("local_bytes", out.local_bytes);
  log_u64("took_ms", (arch_time_ns() - t0) / 1000000);
  log_end();
}

/* Asks for the pointer and decides; 1 to install. */
static int ask(const struct pull_env *env, const char *host, uint64_t deadline) {
  char url[PULL_URL_CAP];
  const char *parts[] = { "hosts/", host, ".d0ptr", 0 };
  struct http_sink sink = { ptr_length, ptr_data, 0 };
  uint64_t got = 0;
  pointer_len = 0;
  if (pull_url_join(url, sizeof url, own_m.update_url, parts) != 0) {
    out.result = "failed";
    out.reason = "url_too_long";
    return 0;
  }
  int err = http_get(url, deadline, &sink, &out.http_status, &got);
  if (err == HTTP_ERR_STATUS && out.http_status == 404) {
    out.result = "none"; /* nothing published for this host */
    return 0;
  }
  if (err != HTTP_OK) {
    out.result = "failed";
    out.reason = err == HTTP_ERR_SINK ? "pointer_too_big" : http_strerror(err);
    return 0;
  }
  const char *why = pull_target_read(pointer, pointer_len, d0_signing_pubkey, &target);
  if (why) {
    target.uuid[0] = '\0';
    out.result = "refused";
    out.reason = why;
    return 0;
  }
  enum pull_decision d = pull_decide(&target, env->own_uuid, env->bad_uuid, env->epoch_floor, &why);
  if (d != PULL_INSTALL) {
    out.result = d == PULL_SKIP ? "current" : "refused";
    out.reason = why;
    return 0;
  }
  if (env->dest_uuid[0] && memcmp(env->dest_uuid, target.uuid, PULL_UUID_LEN) == 0) {
    out.result = "current";
    out.reason = "present"; /* already in the other slot: the A/B choice takes it from there */
    return 0;
  }
  return 1;
}

int pull_at_boot(const struct pull_env *env) {
  if (own_update(env) != 0)
    return 0;
  uint64_t t0 = arch_time_ns();
  uint64_t deadline = t0 + (uint64_t)own_m.update_timeout_s * 1000000000ull;
  memset(&out, 0, sizeof out);
  memset(&target, 0, sizeof target);
  out.slot_state = "untouched";
  log_begin("pull_start");
  log_str("url", own_m.update_url);
  log_u64("timeout_s", own_m.update_timeout_s);
  log_end();

  struct netup net;
  const char *why = netup(env->bs, deadline, &net);
  char host[PULL_HOST_ID_LEN + 1];
  if (!why) {
    pull_host_id(net.mac, host);
    log_begin("pull_net");
    log_str("host", host);
    char ip[FMT_IP4CIDR_LEN];
    fmt_ip4(net.ip, -1, ip);
    log_str("ip", ip);
    log_u64("nics", net.nics);
    log_u64("took_ms", (arch_time_ns() - t0) / 1000000);
    log_end();
    if (http_open(env->bs, net.http_sb) != HTTP_OK)
      why = "http_unavailable";
  }
  if (why) {
    out.result = "failed";
    out.reason = why;
    log_done(env, t0);
    return 0;
  }
  int installed = 0;
  if (ask(env, host, deadline)) {
    struct install in = { 0 };
    in.dest = env->dest;
    in.own = env->own;
    in.own_m = &own_m;
    in.own_uuid = env->own_uuid;
    in.base_url = own_m.update_url;
    in.deadline_ns = deadline;
    in.t = &target;
    if (install_check(&in) == 0) {
      if (install_clear(&in) == 0) {
        out.slot_state = "cleared";
        if (install_files(&in) == 0 && install_commit(&in) == 0) {
          out.slot_state = "installed";
          installed = 1;
        }
      }
    }
    out.result = installed ? "installed" : "failed";
    out.reason = in.why;
    out.http_status = in.http_status;
    out.net_bytes = in.net_bytes;
    out.local_bytes = in.local_bytes;
  }
  http_close();
  log_done(env, t0);
  return installed;
}
