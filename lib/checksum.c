/* lib/checksum.c - see checksum.h for the contract. */
#include "config.h"
#include "lib/checksum.h"

#include <limits.h>
#include <pthread.h>
#include <string.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "lib/buf.h"

/* ------------------------------------------------------------------ algorithm table */

struct ck_alg_info {
    enum ck_alg alg;
    const char *name;
    const char *header;
    size_t len;
};

static const struct ck_alg_info ck_algs[] = {
    { CK_CRC32, "CRC32", "x-amz-checksum-crc32", 4 },
    { CK_CRC32C, "CRC32C", "x-amz-checksum-crc32c", 4 },
    { CK_SHA1, "SHA1", "x-amz-checksum-sha1", 20 },
    { CK_SHA256, "SHA256", "x-amz-checksum-sha256", 32 },
    { CK_CRC64NVME, "CRC64NVME", "x-amz-checksum-crc64nvme", 8 },
};
#define CK_N_ALGS (sizeof(ck_algs) / sizeof(ck_algs[0]))

static const struct ck_alg_info *ck_info(enum ck_alg a)
{
    for (size_t i = 0; i < CK_N_ALGS; i++)
        if (ck_algs[i].alg == a)
            return &ck_algs[i];
    return NULL;
}

enum ck_alg ck_alg_parse(const char *name, size_t len)
{
    if (name == NULL)
        return CK_NONE;
    for (size_t i = 0; i < CK_N_ALGS; i++) {
        struct s3_str s = { name, len };
        if (s3_str_ieq_c(s, ck_algs[i].name))
            return ck_algs[i].alg;
    }
    return CK_NONE;
}

const char *ck_alg_name(enum ck_alg a)
{
    const struct ck_alg_info *i = ck_info(a);
    return i ? i->name : "";
}

const char *ck_alg_header(enum ck_alg a)
{
    const struct ck_alg_info *i = ck_info(a);
    return i ? i->header : NULL;
}

size_t ck_alg_len(enum ck_alg a)
{
    const struct ck_alg_info *i = ck_info(a);
    return i ? i->len : 0;
}

/* ------------------------------------------------------------------ CRC32 (zlib) */

uint32_t ck_crc32(uint32_t crc, const void *p, size_t n)
{
    const unsigned char *b = p;
    uLong c = crc;

    /* zlib takes uInt lengths: feed huge buffers in pieces. */
    while (n > 0) {
        uInt step = n > UINT_MAX ? UINT_MAX : (uInt)n;
        c = crc32(c, b, step);
        b += step;
        n -= step;
    }
    return (uint32_t)c;
}

uint32_t ck_crc32_combine(uint32_t a, uint32_t b, uint64_t len_b)
{
    return (uint32_t)crc32_combine(a, b, (z_off_t)len_b);
}

/* ------------------------------------------------------------------ CRC32C and CRC64NVME
 *
 * Both are reflected CRCs with init = xorout = all ones, so the same slice-by-8 scheme and the
 * same combine rule (the one zlib uses for CRC32) apply:
 *   crc(A||B) = (x^(8*len(B)) * crc(A)) mod P  xor  crc(B)
 * because the all-ones init of B's run and the final xor cancel out.
 */
#define CRC32C_POLY 0x82F63B78u                 /* Castagnoli, reflected */
#define CRC64NVME_POLY 0x9A6C9329AC4BC9B5ull    /* NVMe, reflected */

static uint32_t crc32c_tab[8][256];
static uint64_t crc64_tab[8][256];
static pthread_once_t crc_tabs_once = PTHREAD_ONCE_INIT;

static void crc_tabs_init(void)
{
    for (unsigned i = 0; i < 256; i++) {
        uint32_t c = i;
        uint64_t d = i;
        for (int k = 0; k < 8; k++) {
            c = (c & 1) ? (c >> 1) ^ CRC32C_POLY : c >> 1;
            d = (d & 1) ? (d >> 1) ^ CRC64NVME_POLY : d >> 1;
        }
        crc32c_tab[0][i] = c;
        crc64_tab[0][i] = d;
    }
    /* tab[k][i]: the effect of byte i followed by k zero bytes (slice-by-8). */
    for (unsigned i = 0; i < 256; i++)
        for (int k = 1; k < 8; k++) {
            uint32_t c = crc32c_tab[k - 1][i];
            uint64_t d = crc64_tab[k - 1][i];
            crc32c_tab[k][i] = (c >> 8) ^ crc32c_tab[0][c & 0xff];
            crc64_tab[k][i] = (d >> 8) ^ crc64_tab[0][d & 0xff];
        }
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint32_t ck_crc32c(uint32_t crc, const void *p, size_t n)
{
    const unsigned char *b = p;
    uint32_t c = ~crc;

    pthread_once(&crc_tabs_once, crc_tabs_init);
    while (n >= 8) {
        uint32_t lo = c ^ le32(b), hi = le32(b + 4);
        c = crc32c_tab[7][lo & 0xff] ^ crc32c_tab[6][(lo >> 8) & 0xff] ^
            crc32c_tab[5][(lo >> 16) & 0xff] ^ crc32c_tab[4][lo >> 24] ^
            crc32c_tab[3][hi & 0xff] ^ crc32c_tab[2][(hi >> 8) & 0xff] ^
            crc32c_tab[1][(hi >> 16) & 0xff] ^ crc32c_tab[0][hi >> 24];
        b += 8;
        n -= 8;
    }
    while (n--)
        c = (c >> 8) ^ crc32c_tab[0][(c ^ *b++) & 0xff];
    return ~c;
}

uint64_t ck_crc64nvme(uint64_t crc, const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t c = ~crc;

    pthread_once(&crc_tabs_once, crc_tabs_init);
    while (n >= 8) {
        uint64_t v = c ^ ((uint64_t)le32(b) | (uint64_t)le32(b + 4) << 32);
        c = crc64_tab[7][v & 0xff] ^ crc64_tab[6][(v >> 8) & 0xff] ^
            crc64_tab[5][(v >> 16) & 0xff] ^ crc64_tab[4][(v >> 24) & 0xff] ^
            crc64_tab[3][(v >> 32) & 0xff] ^ crc64_tab[2][(v >> 40) & 0xff] ^
            crc64_tab[1][(v >> 48) & 0xff] ^ crc64_tab[0][v >> 56];
        b += 8;
        n -= 8;
    }
    while (n--)
        c = (c >> 8) ^ crc64_tab[0][(c ^ *b++) & 0xff];
    return ~c;
}

/* a*b mod P in the reflected representation (x^0 is the top bit). */
static uint32_t mulmod32(uint32_t a, uint32_t b, uint32_t poly)
{
    uint32_t m = 1u << 31, r = 0;

    while (m) {
        if (a & m)
            r ^= b;
        m >>= 1;
        b = (b & 1) ? (b >> 1) ^ poly : b >> 1;
    }
    return r;
}

static uint64_t mulmod64(uint64_t a, uint64_t b, uint64_t poly)
{
    uint64_t m = 1ull << 63, r = 0;

    while (m) {
        if (a & m)
            r ^= b;
        m >>= 1;
        b = (b & 1) ? (b >> 1) ^ poly : b >> 1;
    }
    return r;
}

uint32_t ck_crc32c_combine(uint32_t a, uint32_t b, uint64_t len_b)
{
    uint32_t x = 1u << 31;      /* x^0 */
    uint32_t base = 1u << 23;   /* x^8: one byte of shift */

    for (; len_b; len_b >>= 1) {
        if (len_b & 1)
            x = mulmod32(x, base, CRC32C_POLY);
        base = mulmod32(base, base, CRC32C_POLY);
    }
    return mulmod32(x, a, CRC32C_POLY) ^ b;
}

uint64_t ck_crc64nvme_combine(uint64_t a, uint64_t b, uint64_t len_b)
{
    uint64_t x = 1ull << 63, base = 1ull << 55;

    for (; len_b; len_b >>= 1) {
        if (len_b & 1)
            x = mulmod64(x, base, CRC64NVME_POLY);
        base = mulmod64(base, base, CRC64NVME_POLY);
    }
    return mulmod64(x, a, CRC64NVME_POLY) ^ b;
}

/* ------------------------------------------------------------------ running state */

static EVP_MD_CTX *md_new(const EVP_MD *md)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();

    if (c != NULL && EVP_DigestInit_ex(c, md, NULL) != 1) {
        EVP_MD_CTX_free(c);
        c = NULL;
    }
    return c;
}

s3_err ck_init(struct ck_state *s, int want_md5, int want_sha256, enum ck_alg alg)
{
    memset(s, 0, sizeof(*s));
    s->want_md5 = want_md5;
    s->want_sha256 = want_sha256;
    s->alg = alg;
    if (want_md5 && (s->md5_ctx = md_new(EVP_md5())) == NULL)
        goto fail;
    if (want_sha256 && (s->sha256_ctx = md_new(EVP_sha256())) == NULL)
        goto fail;
    if (alg == CK_SHA1 && (s->alg_ctx = md_new(EVP_sha1())) == NULL)
        goto fail;
    if (alg == CK_SHA256 && (s->alg_ctx = md_new(EVP_sha256())) == NULL)
        goto fail;
    return S3_OK;
fail:
    ck_release(s);
    return S3E_NOMEM;
}

void ck_update(struct ck_state *s, const void *p, size_t n)
{
    if (n == 0)
        return;
    if (s->md5_ctx)
        EVP_DigestUpdate(s->md5_ctx, p, n);
    if (s->sha256_ctx)
        EVP_DigestUpdate(s->sha256_ctx, p, n);
    switch (s->alg) {
    case CK_CRC32:
        s->crc = ck_crc32((uint32_t)s->crc, p, n);
        break;
    case CK_CRC32C:
        s->crc = ck_crc32c((uint32_t)s->crc, p, n);
        break;
    case CK_CRC64NVME:
        s->crc = ck_crc64nvme(s->crc, p, n);
        break;
    case CK_SHA1:
    case CK_SHA256:
        if (s->alg_ctx)
            EVP_DigestUpdate(s->alg_ctx, p, n);
        break;
    case CK_NONE:
        break;
    }
    s->total += n;
}

static void md_final(void *ctx, unsigned char *out)
{
    unsigned int len = 0;

    if (ctx != NULL && out != NULL)
        EVP_DigestFinal_ex(ctx, out, &len);
}

/* S3 transmits CRCs as the big-endian bytes of the value (then base64). */
static void put_be(uint64_t v, size_t n, unsigned char *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (unsigned char)(v >> (8 * (n - 1 - i)));
}

void ck_final(struct ck_state *s, unsigned char *md5, unsigned char *sha256, unsigned char *alg_raw)
{
    md_final(s->md5_ctx, md5);
    md_final(s->sha256_ctx, sha256);
    if (alg_raw == NULL)
        return;
    switch (s->alg) {
    case CK_CRC32:
    case CK_CRC32C:
        put_be(s->crc, 4, alg_raw);
        break;
    case CK_CRC64NVME:
        put_be(s->crc, 8, alg_raw);
        break;
    case CK_SHA1:
    case CK_SHA256:
        md_final(s->alg_ctx, alg_raw);
        break;
    case CK_NONE:
        break;
    }
}

void ck_release(struct ck_state *s)
{
    EVP_MD_CTX_free(s->md5_ctx);
    EVP_MD_CTX_free(s->sha256_ctx);
    EVP_MD_CTX_free(s->alg_ctx);
    s->md5_ctx = s->sha256_ctx = s->alg_ctx = NULL;
}

/* ------------------------------------------------------------------ one-shot helpers */

void ck_md5(const void *p, size_t n, unsigned char out[16])
{
    EVP_Digest(p, n, out, NULL, EVP_md5(), NULL);
}

void ck_sha256(const void *p, size_t n, unsigned char out[32])
{
    EVP_Digest(p, n, out, NULL, EVP_sha256(), NULL);
}

void ck_b64(enum ck_alg alg, const void *p, size_t n, char *out, size_t outlen)
{
    unsigned char raw[32];
    unsigned char enc[48];   /* base64 of 32 bytes is 44 chars + NUL */
    size_t rl = ck_alg_len(alg);

    if (outlen == 0)
        return;
    out[0] = 0;
    switch (alg) {
    case CK_CRC32:
        put_be(ck_crc32(0, p, n), 4, raw);
        break;
    case CK_CRC32C:
        put_be(ck_crc32c(0, p, n), 4, raw);
        break;
    case CK_CRC64NVME:
        put_be(ck_crc64nvme(0, p, n), 8, raw);
        break;
    case CK_SHA1:
        EVP_Digest(p, n, raw, NULL, EVP_sha1(), NULL);
        break;
    case CK_SHA256:
        EVP_Digest(p, n, raw, NULL, EVP_sha256(), NULL);
        break;
    case CK_NONE:
        return;
    }
    int el = EVP_EncodeBlock(enc, raw, (int)rl);
    if (el < 0 || (size_t)el >= outlen)
        return;
    memcpy(out, enc, (size_t)el + 1);
}
