/*
 * TPM 2.0 NV commands as bytes: builders for the four commands D0 sends and parsers for their
 * responses (TCG TPM 2.0 Library, Part 3 "Commands" sections 31.3 NV_DefineSpace, 31.6
 * NV_ReadPublic, 31.7 NV_Write, 31.13 NV_Read; Part 2 for the structures). Everything on the
 * wire is big-endian. Pure code: no firmware calls, so the host tests (kernel/tests/test_tpm_nv.c)
 * run it under ASan/UBSan against well-formed, malformed and truncated responses.
 *
 * Authorisation is always one password session (TPM_RS_PW) with an empty password: the owner
 * hierarchy's default, and the index's own (empty) authValue.
 *
 * Builders return the command length, or 0 when cap is too small. Parsers take the response as
 * the TPM returned it (len = the bytes received) and return TPM_NV_OK, TPM_NV_RC (the TPM answered
 * with a non-zero response code, in *rc) or TPM_NV_MALFORMED (the bytes are not a valid response
 * to that command: short, a size field that disagrees with len, a wrong tag, trailing bytes).
 */
#ifndef D0_BOOT_EFI_TPM_NV_H
#define D0_BOOT_EFI_TPM_NV_H

#include <stddef.h>
#include <stdint.h>

#define TPM_ST_NO_SESSIONS 0x8001u
#define TPM_ST_SESSIONS 0x8002u
#define TPM_CC_NV_DEFINE_SPACE 0x0000012Au
#define TPM_CC_NV_WRITE 0x00000137u
#define TPM_CC_NV_READ 0x0000014Eu
#define TPM_CC_NV_READ_PUBLIC 0x00000169u
#define TPM_RH_OWNER 0x40000001u
#define TPM_RS_PW 0x40000009u
#define TPM_ALG_SHA256 0x000Bu

/* TPMA_NV (Part 2, 13.4): the bits D0 sets or checks. */
#define TPMA_NV_OWNERWRITE 0x00000002u
#define TPMA_NV_AUTHWRITE 0x00000004u
#define TPMA_NV_POLICYWRITE 0x00000008u
#define TPMA_NV_TPM_NT_MASK 0x000000F0u /* 0 = an ordinary index */
#define TPMA_NV_OWNERREAD 0x00020000u
#define TPMA_NV_AUTHREAD 0x00040000u
#define TPMA_NV_NO_DA 0x02000000u
#define TPMA_NV_WRITTEN 0x20000000u

/* Response codes D0 tells apart (Part 2, 6.6). Format-one codes carry a handle/parameter number
 * in bits 8-11 and bit 6: compare with tpm_rc_is(). */
#define TPM_RC_SUCCESS 0x000u
#define TPM_RC_HANDLE 0x08Bu           /* format one: no such index */
#define TPM_RC_NV_UNINITIALIZED 0x14Au /* defined, never written */
#define TPM_RC_NV_DEFINED 0x14Cu

#define TPM_HEADER_LEN 10
#define TPM_CMD_MAX 128 /* every command D0 builds fits */

enum tpm_nv_parse { TPM_NV_OK = 0, TPM_NV_RC = 1, TPM_NV_MALFORMED = 2 };

/* The public area of an index (TPMS_NV_PUBLIC), as far as D0 checks it. */
struct tpm_nv_public {
  uint32_t index;
  uint16_t name_alg;
  uint32_t attributes;
  uint16_t policy_len;
  uint16_t data_size;
};

/* 1 when rc is the response code want, ignoring the handle/parameter number of format-one codes. */
int tpm_rc_is(uint32_t rc, uint32_t want);

size_t tpm_nv_read_public_cmd(uint8_t *buf, size_t cap, uint32_t index);
enum tpm_nv_parse tpm_nv_read_public_rsp(const uint8_t *rsp, size_t len, uint32_t *rc,
                                         struct tpm_nv_public *pub);

/* An ordinary index of data_size bytes with an empty authValue and no policy, defined under the
 * owner hierarchy (authorised by the owner's password, empty). */
size_t tpm_nv_define_cmd(uint8_t *buf, size_t cap, uint32_t index, uint32_t attributes,
                         uint16_t data_size);
/* Writes n bytes at offset 0, authorised by the owner. */
size_t tpm_nv_write_cmd(uint8_t *buf, size_t cap, uint32_t index, const uint8_t *data,
                        uint16_t n);
/* Reads n bytes from offset 0, authorised by the index's own authValue. */
size_t tpm_nv_read_cmd(uint8_t *buf, size_t cap, uint32_t index, uint16_t n);

/* Responses without parameters (NV_DefineSpace, NV_Write). */
enum tpm_nv_parse tpm_nv_empty_rsp(const uint8_t *rsp, size_t len, uint32_t *rc);
/* NV_Read: exactly n data bytes into out. */
enum tpm_nv_parse tpm_nv_read_rsp(const uint8_t *rsp, size_t len, uint32_t *rc, uint8_t *out,
                                  uint16_t n);

#endif
