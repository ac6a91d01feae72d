/* The epoch floor in a TPM NV index; contract in floor.h. */
#include "floor.h"

#include "nv.h"

static int fail(struct tpm_floor_error *err, const char *op, const char *kind, uint64_t code) {
  err->op = op;
  err->kind = kind;
  err->code = code;
  return -1;
}

/* One exchange; -1 with err set when the transport failed. */
static int exchange(const struct tpm_link *t, const char *op, const uint8_t *cmd, size_t n,
                    uint8_t *rsp, size_t *rsp_len, struct tpm_floor_error *err) {
  *rsp_len = 0;
  if (n == 0)
    return fail(err, op, "malformed", 0); /* cannot happen: every command fits TPM_CMD_MAX */
  uint64_t s = t->submit(t->ctx, cmd, n, rsp, TPM_RSP_MAX, rsp_len);
  if (s != 0)
    return fail(err, op, "transport", s);
  if (*rsp_len > TPM_RSP_MAX)
    return fail(err, op, "malformed", 0);
  return 0;
}

/* Maps a parse result: 0 on OK, else -1 with err set. */
static int parsed(enum tpm_nv_parse p, uint32_t rc, const char *op, struct tpm_floor_error *err) {
  if (p == TPM_NV_OK)
    return 0;
  if (p == TPM_NV_RC)
    return fail(err, op, "rc", rc);
  return fail(err, op, "malformed", 0);
}

static int ours(const struct tpm_nv_public *p) {
  return p->index == TPM_FLOOR_INDEX && p->data_size == TPM_FLOOR_SIZE &&
         (p->attributes & TPMA_NV_TPM_NT_MASK) == 0 &&
         (p->attributes & ~TPMA_NV_WRITTEN) == TPM_FLOOR_ATTRS && p->policy_len == 0;
}

enum tpm_floor_status tpm_floor_read(const struct tpm_link *t, uint64_t *value,
                                     struct tpm_floor_error *err) {
  uint8_t cmd[TPM_CMD_MAX], rsp[TPM_RSP_MAX], data[TPM_FLOOR_SIZE];
  size_t n, rn;
  uint32_t rc;
  struct tpm_nv_public pub;
  *value = 0;

  n = tpm_nv_read_public_cmd(cmd, sizeof cmd, TPM_FLOOR_INDEX);
  if (exchange(t, "nv_read_public", cmd, n, rsp, &rn, err) != 0)
    return TPM_FLOOR_ERROR;
  enum tpm_nv_parse p = tpm_nv_read_public_rsp(rsp, rn, &rc, &pub);
  if (p == TPM_NV_RC && tpm_rc_is(rc, TPM_RC_HANDLE))
    return TPM_FLOOR_ABSENT;
  if (parsed(p, rc, "nv_read_public", err) != 0)
    return TPM_FLOOR_ERROR;
  if (!ours(&pub)) {
    fail(err, "nv_read_public", "foreign_index", pub.attributes);
    return TPM_FLOOR_ERROR;
  }

  n = tpm_nv_read_cmd(cmd, sizeof cmd, TPM_FLOOR_INDEX, TPM_FLOOR_SIZE);
  if (exchange(t, "nv_read", cmd, n, rsp, &rn, err) != 0)
    return TPM_FLOOR_ERROR;
  p = tpm_nv_read_rsp(rsp, rn, &rc, data, TPM_FLOOR_SIZE);
  if (p == TPM_NV_RC && tpm_rc_is(rc, TPM_RC_NV_UNINITIALIZED))
    return TPM_FLOOR_OK; /* defined, never written: 0 */
  if (parsed(p, rc, "nv_read", err) != 0)
    return TPM_FLOOR_ERROR;
  uint64_t v = 0;
  for (int i = 0; i < TPM_FLOOR_SIZE; i++)
    v = (v << 8) | data[i];
  *value = v;
  return TPM_FLOOR_OK;
}

int tpm_floor_raise(const struct tpm_link *t, int absent, uint64_t want,
                    struct tpm_floor_error *err) {
  uint8_t cmd[TPM_CMD_MAX], rsp[TPM_RSP_MAX], data[TPM_FLOOR_SIZE];
  size_t n, rn;
  uint32_t rc;

  if (absent) {
    n = tpm_nv_define_cmd(cmd, sizeof cmd, TPM_FLOOR_INDEX, TPM_FLOOR_ATTRS, TPM_FLOOR_SIZE);
    if (exchange(t, "nv_define", cmd, n, rsp, &rn, err) != 0)
      return -1;
    /* Any failure, TPM_RC_NV_DEFINED included (an index that appeared since the read may not be
     * D0's), stops here: nothing is written. */
    if (parsed(tpm_nv_empty_rsp(rsp, rn, &rc), rc, "nv_define", err) != 0)
      return -1;
  }
  for (int i = 0; i < TPM_FLOOR_SIZE; i++)
    data[i] = (uint8_t)(want >> (8 * (TPM_FLOOR_SIZE - 1 - i)));
  n = tpm_nv_write_cmd(cmd, sizeof cmd, TPM_FLOOR_INDEX, data, TPM_FLOOR_SIZE);
  if (exchange(t, "nv_write", cmd, n, rsp, &rn, err) != 0)
    return -1;
  return parsed(tpm_nv_empty_rsp(rsp, rn, &rc), rc, "nv_write", err);
}
