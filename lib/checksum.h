/*
 * lib/checksum.h - every digest a request body needs, computed in one pass as bytes arrive.
 *
 * MD5 (ETag, Content-MD5), SHA-256 (SigV4 payload hash), and the S3 flexible checksums CRC32,
 * CRC32C, SHA1, SHA256, CRC64NVME.  SHA/MD5 come from OpenSSL EVP, CRC32 from zlib; CRC32C and
 * CRC64NVME (no Debian library provides them) are table-driven here.
 */
#ifndef S3IAM_LIB_CHECKSUM_H
#define S3IAM_LIB_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

enum ck_alg { CK_NONE = 0, CK_CRC32, CK_CRC32C, CK_SHA1, CK_SHA256, CK_CRC64NVME };

/* "CRC32" -> CK_CRC32 ... (case-insensitive); CK_NONE if unknown. */
enum ck_alg ck_alg_parse(const char *name, size_t len);
/* "CRC32", ... ; "" for CK_NONE. */
const char *ck_alg_name(enum ck_alg a);
/* Header name: "x-amz-checksum-crc32", ... ; NULL for CK_NONE. */
const char *ck_alg_header(enum ck_alg a);
/* Raw digest length in bytes: 4, 4, 20, 32, 8. */
size_t ck_alg_len(enum ck_alg a);

/* Raw CRC primitives (update form: start with 0). */
uint32_t ck_crc32(uint32_t crc, const void *p, size_t n);
uint32_t ck_crc32c(uint32_t crc, const void *p, size_t n);
uint64_t ck_crc64nvme(uint64_t crc, const void *p, size_t n);
/* Combine: crc of A||B from crc(A), crc(B) and len(B) (for full-object multipart checksums). */
uint32_t ck_crc32_combine(uint32_t a, uint32_t b, uint64_t len_b);
uint32_t ck_crc32c_combine(uint32_t a, uint32_t b, uint64_t len_b);
uint64_t ck_crc64nvme_combine(uint64_t a, uint64_t b, uint64_t len_b);

/* A running set of digests.  want_* choose what is computed (MD5 and SHA-256 cost CPU). */
struct ck_state {
    int want_md5, want_sha256;
    enum ck_alg alg;          /* the flexible checksum to compute, or CK_NONE */
    void *md5_ctx, *sha256_ctx, *alg_ctx;  /* EVP_MD_CTX * (opaque here) */
    uint64_t crc;             /* for CRC algorithms */
    uint64_t total;
};
s3_err ck_init(struct ck_state *s, int want_md5, int want_sha256, enum ck_alg alg);
void ck_update(struct ck_state *s, const void *p, size_t n);
/* Finish.  Any out pointer may be NULL.  md5[16], sha256[32], alg_raw[ck_alg_len(alg)]. */
void ck_final(struct ck_state *s, unsigned char *md5, unsigned char *sha256, unsigned char *alg_raw);
/* Free contexts.  Safe after ck_final and on a zeroed struct. */
void ck_release(struct ck_state *s);

/* One-shot helpers. */
void ck_md5(const void *p, size_t n, unsigned char out[16]);
void ck_sha256(const void *p, size_t n, unsigned char out[32]);
/* Compute alg over p and write the base64 value into out (>= 64 bytes). */
void ck_b64(enum ck_alg alg, const void *p, size_t n, char *out, size_t outlen);

#endif
