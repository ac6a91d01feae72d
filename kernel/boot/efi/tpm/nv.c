/* TPM 2.0 NV command marshalling; contract in nv.h. */
#include "nv.h"

/* ---- writing ---------------------------------------------------------------------------------- */

struct out {
  uint8_t *p;
  size_t cap, n;
  int overflow;
};

static void put(struct out *o, uint64_t v, int bytes) {
  if (o->overflow || o->cap - o->n < (size_t)bytes) {
    o->overflow = 1;
    return;
  }
  for (int i = bytes - 1; i >= 0; i--)
    o->p[o->n++] = (uint8_t)(v >> (8 * i));
}

static void put_bytes(struct out *o, const uint8_t *b, size_t n) {
  for (size_t i = 0; i < n; i++)
    put(o, b[i], 1);
}

/* The header with a placeholder size, patched by finish(). */
static void header(struct out *o, uint16_t tag, uint32_t cc) {
  put(o, tag, 2);
  put(o, 0, 4);
  put(o, cc, 4);
}

/* One password session with an empty password (Part 1, 19.6.9 / Part 2, TPMS_AUTH_COMMAND):
 * authorizationSize, sessionHandle, nonceCaller (empty), sessionAttributes (none), hmac (empty). */
static void password_session(struct out *o) {
  put(o, 4 + 2 + 1 + 2, 4);
  put(o, TPM_RS_PW, 4);
  put(o, 0, 2);
  put(o, 0, 1);
  put(o, 0, 2);
}

static size_t finish(struct out *o) {
  if (o->overflow)
    return 0;
  for (int i = 0; i < 4; i++)
    o->p[2 + i] = (uint8_t)(o->n >> (8 * (3 - i)));
  return o->n;
}

size_t tpm_nv_read_public_cmd(uint8_t *buf, size_t cap, uint32_t index) {
  struct out o = { buf, cap, 0, 0 };
  header(&o, TPM_ST_NO_SESSIONS, TPM_CC_NV_READ_PUBLIC);
  put(&o, index, 4);
  return finish(&o);
}

size_t tpm_nv_define_cmd(uint8_t *buf, size_t cap, uint32_t index, uint32_t attributes,
                         uint16_t data_size) {
  struct out o = { buf, cap, 0, 0 };
  header(&o, TPM_ST_SESSIONS, TPM_CC_NV_DEFINE_SPACE);
  put(&o, TPM_RH_OWNER, 4); /* @authHandle */
  password_session(&o);
  put(&o, 0, 2); /* auth: TPM2B_AUTH, empty */
  /* publicInfo: TPM2B_NV_PUBLIC = size, then TPMS_NV_PUBLIC */
  put(&o, 4 + 2 + 4 + 2 + 2, 2);
  put(&o, index, 4);
  put(&o, TPM_ALG_SHA256, 2);
  put(&o, attributes, 4);
  put(&o, 0, 2); /* authPolicy: empty */
  put(&o, data_size, 2);
  return finish(&o);
}

size_t tpm_nv_write_cmd(uint8_t *buf, size_t cap, uint32_t index, const uint8_t *data,
                        uint16_t n) {
  struct out o = { buf, cap, 0, 0 };
  header(&o, TPM_ST_SESSIONS, TPM_CC_NV_WRITE);
  put(&o, TPM_RH_OWNER, 4); /* @authHandle */
  put(&o, index, 4);        /* nvIndex */
  password_session(&o);
  put(&o, n, 2); /* data: TPM2B_MAX_NV_BUFFER */
  put_bytes(&o, data, n);
  put(&o, 0, 2); /* offset */
  return finish(&o);
}

size_t tpm_nv_read_cmd(uint8_t *buf, size_t cap, uint32_t index, uint16_t n) {
  struct out o = { buf, cap, 0, 0 };
  header(&o, TPM_ST_SESSIONS, TPM_CC_NV_READ);
  put(&o, index, 4); /* @authHandle: the index itself (TPMA_NV_AUTHREAD) */
  put(&o, index, 4); /* nvIndex */
  password_session(&o);
  put(&o, n, 2); /* size */
  put(&o, 0, 2); /* offset */
  return finish(&o);
}

/* ---- reading ---------------------------------------------------------------------------------- */

struct in {
  const uint8_t *p;
  size_t len, at;
  int bad;
};

static uint64_t get(struct in *c, int bytes) {
  if (c->bad || c->len - c->at < (size_t)bytes) {
    c->bad = 1;
    return 0;
  }
  uint64_t v = 0;
  for (int i = 0; i < bytes; i++)
    v = (v << 8) | c->p[c->at++];
  return v;
}

static void skip(struct in *c, size_t n) {
  if (c->bad || c->len - c->at < n) {
    c->bad = 1;
    return;
  }
  c->at += n;
}

int tpm_rc_is(uint32_t rc, uint32_t want) {
  if (rc & 0x080u) /* format one: error number in bits 0-5, plus bit 7 */
    return (rc & 0x0BFu) == want;
  return rc == want;
}

/* The header: the size field must equal len. Returns TPM_NV_OK (then c is past the header and
 * *tag is the response's tag), TPM_NV_RC or TPM_NV_MALFORMED. */
static enum tpm_nv_parse open_rsp(struct in *c, uint32_t *rc, uint16_t *tag) {
  *rc = 0;
  *tag = (uint16_t)get(c, 2);
  uint32_t size = (uint32_t)get(c, 4);
  uint32_t code = (uint32_t)get(c, 4);
  if (c->bad || size != c->len)
    return TPM_NV_MALFORMED;
  if (*tag != TPM_ST_NO_SESSIONS && *tag != TPM_ST_SESSIONS)
    return TPM_NV_MALFORMED;
  if (code != TPM_RC_SUCCESS) {
    *rc = code;
    return TPM_NV_RC;
  }
  return TPM_NV_OK;
}

/* After the parameters of a command sent with one session: the session's response (nonceTPM,
 * sessionAttributes, hmac), then nothing. params_end is where parameterSize said they end. */
static enum tpm_nv_parse close_session_rsp(struct in *c, size_t params_end) {
  if (c->bad || c->at != params_end)
    return TPM_NV_MALFORMED;
  skip(c, get(c, 2)); /* nonceTPM */
  get(c, 1);          /* sessionAttributes */
  skip(c, get(c, 2)); /* hmac */
  return c->bad || c->at != c->len ? TPM_NV_MALFORMED : TPM_NV_OK;
}

/* The parameterSize field of a response with sessions; returns where the parameters end. */
static size_t params_end(struct in *c) {
  uint32_t n = (uint32_t)get(c, 4);
  if (c->bad || n > c->len - c->at) {
    c->bad = 1;
    return 0;
  }
  return c->at + n;
}

enum tpm_nv_parse tpm_nv_read_public_rsp(const uint8_t *rsp, size_t len, uint32_t *rc,
                                         struct tpm_nv_public *pub) {
  struct in c = { rsp, len, 0, 0 };
  uint16_t tag;
  enum tpm_nv_parse r = open_rsp(&c, rc, &tag);
  if (r != TPM_NV_OK)
    return r;
  if (tag != TPM_ST_NO_SESSIONS)
    return TPM_NV_MALFORMED;
  size_t pub_len = (size_t)get(&c, 2);
  size_t pub_start = c.at;
  pub->index = (uint32_t)get(&c, 4);
  pub->name_alg = (uint16_t)get(&c, 2);
  pub->attributes = (uint32_t)get(&c, 4);
  pub->policy_len = (uint16_t)get(&c, 2);
  skip(&c, pub->policy_len);
  pub->data_size = (uint16_t)get(&c, 2);
  if (c.bad || c.at - pub_start != pub_len)
    return TPM_NV_MALFORMED;
  skip(&c, get(&c, 2)); /* nvName */
  return c.bad || c.at != c.len ? TPM_NV_MALFORMED : TPM_NV_OK;
}

/* The header of a response to a command with an authorization session: TPM_ST_SESSIONS and its
 * parameterSize; *end is where the parameters end (close_session_rsp checks the session after). */
static enum tpm_nv_parse open_session_rsp(struct in *c, uint32_t *rc, size_t *end) {
  uint16_t tag;
  enum tpm_nv_parse r = open_rsp(c, rc, &tag);
  if (r != TPM_NV_OK)
    return r;
  if (tag != TPM_ST_SESSIONS)
    return TPM_NV_MALFORMED;
  *end = params_end(c);
  return TPM_NV_OK;
}

enum tpm_nv_parse tpm_nv_empty_rsp(const uint8_t *rsp, size_t len, uint32_t *rc) {
  struct in c = { rsp, len, 0, 0 };
  size_t end;
  enum tpm_nv_parse r = open_session_rsp(&c, rc, &end);
  return r != TPM_NV_OK ? r : close_session_rsp(&c, end);
}

enum tpm_nv_parse tpm_nv_read_rsp(const uint8_t *rsp, size_t len, uint32_t *rc, uint8_t *out,
                                  uint16_t n) {
  struct in c = { rsp, len, 0, 0 };
  size_t end;
  enum tpm_nv_parse r = open_session_rsp(&c, rc, &end);
  if (r != TPM_NV_OK)
    return r;
  if (get(&c, 2) != n || c.bad || c.len - c.at < n)
    return TPM_NV_MALFORMED;
  for (uint16_t i = 0; i < n; i++)
    out[i] = c.p[c.at + i];
  c.at += n;
  return close_session_rsp(&c, end);
}
