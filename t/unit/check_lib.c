/*
 * t/unit/check_lib.c - the base layer: lib/buf.c (slices, growable buffers, encodings) and
 * lib/checksum.c (MD5/SHA, CRC32/CRC32C/CRC64NVME and their combine functions).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "lib/buf.h"
#include "lib/checksum.h"
#include "lib/ckpipe.h"
#include "lib/err.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define SMALL_BODY "small object body for capture\n"

/* ------------------------------------------------------------------ buf: slices */

START_TEST(str_basics)
{
    struct s3_str a = s3_cstr("Hello"), n = s3_cstr(NULL);

    ck_assert_uint_eq(a.len, 5);
    ck_assert_uint_eq(n.len, 0);
    ck_assert_ptr_nonnull(n.p);
    ck_assert(s3_str_eq(a, S3_LIT("Hello")));
    ck_assert(!s3_str_eq(a, S3_LIT("hello")));
    ck_assert(s3_str_eq(S3_STR_NULL, S3_LIT("")));
    ck_assert(s3_str_ieq_c(a, "hELLO"));
    ck_assert(!s3_str_ieq_c(a, "hell"));
    ck_assert(!s3_str_ieq_c(S3_LIT("a\x80"), "A\xa0"));   /* only ASCII letters fold */
    ck_assert(s3_str_has_prefix(a, S3_LIT("He")));
    ck_assert(s3_str_has_prefix(a, S3_LIT("")));
    ck_assert(!s3_str_has_prefix(S3_LIT("He"), a));
    /* Slices may hold NULs. */
    ck_assert(!s3_str_eq((struct s3_str){ "a\0b", 3 }, (struct s3_str){ "a\0c", 3 }));
}
END_TEST

/* ------------------------------------------------------------------ buf: growable buffers */

START_TEST(buf_grow_and_ceiling)
{
    struct s3_buf b;
    char *p;
    size_t len = 99;

    buf_init(&b, 8);
    ck_assert_ptr_null(b.p);
    ck_assert_int_eq(buf_adds(&b, "abc"), S3_OK);
    ck_assert_int_eq(buf_addc(&b, 'd'), S3_OK);
    ck_assert_int_eq(buf_addf(&b, "%d", 42), S3_OK);
    ck_assert_str_eq(b.p, "abcd42");
    ck_assert_uint_eq(b.len, 6);
    /* Past the ceiling: refused, buffer unchanged. */
    ck_assert_int_eq(buf_adds(&b, "xyz"), S3E_TOO_LARGE);
    ck_assert_int_eq(buf_addf(&b, "%s", "xyz"), S3E_TOO_LARGE);
    ck_assert_str_eq(b.p, "abcd42");
    ck_assert_int_eq(buf_adds(&b, "xy"), S3_OK);   /* exactly max */
    ck_assert_uint_eq(b.len, 8);
    ck_assert(s3_str_eq(buf_str(&b), S3_LIT("abcd42xy")));
    /* Binary content with NULs keeps its length; p[len] is still 0. */
    buf_reset(&b);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_str_eq(b.p, "");
    ck_assert_int_eq(buf_add(&b, "a\0b", 3), S3_OK);
    ck_assert_uint_eq(b.len, 3);
    ck_assert_int_eq(b.p[3], 0);
    p = buf_detach(&b, &len);
    ck_assert_uint_eq(len, 3);
    ck_assert_mem_eq(p, "a\0b", 3);
    free(p);
    ck_assert_ptr_null(b.p);
    ck_assert_uint_eq(b.max, 8);
    /* Detaching an empty buffer still gives an allocated "". */
    p = buf_detach(&b, &len);
    ck_assert_ptr_nonnull(p);
    ck_assert_str_eq(p, "");
    ck_assert_uint_eq(len, 0);
    free(p);
    buf_release(&b);
    buf_release(&b);   /* twice is fine */
    ck_assert_str_eq(buf_str(&b).p, "");
}
END_TEST

START_TEST(buf_large_and_unlimited)
{
    struct s3_buf b;
    char chunk[1000];

    memset(chunk, 'q', sizeof(chunk));
    buf_init(&b, 0);   /* 0: no practical limit */
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq(buf_add(&b, chunk, sizeof(chunk)), S3_OK);
    ck_assert_uint_eq(b.len, 1000000);
    ck_assert_int_eq(b.p[999999], 'q');
    ck_assert_int_eq(b.p[1000000], 0);
    buf_release(&b);
}
END_TEST

/* ------------------------------------------------------------------ buf: encodings */

START_TEST(buf_encodings)
{
    static const unsigned char raw[] = { 0x00, 0x01, 0xab, 0xff };
    struct s3_buf b;

    buf_init(&b, 0);
    ck_assert_int_eq(buf_add_hex(&b, raw, sizeof(raw)), S3_OK);
    ck_assert_str_eq(b.p, "0001abff");
    buf_reset(&b);
    ck_assert_int_eq(buf_add_base64(&b, (const unsigned char *)"foobar", 6), S3_OK);
    ck_assert_str_eq(b.p, "Zm9vYmFy");
    buf_reset(&b);
    ck_assert_int_eq(buf_add_base64(&b, (const unsigned char *)"fo", 2), S3_OK);
    ck_assert_str_eq(b.p, "Zm8=");
    buf_reset(&b);
    ck_assert_int_eq(buf_add_base64(&b, raw, 0), S3_OK);
    ck_assert_str_eq(b.p, "");
    buf_release(&b);
}
END_TEST

struct uri_case {
    const char *in;
    int keep_slash;
    const char *out;
};
static const struct uri_case uri_cases[] = {
    { "AZaz09-._~", 0, "AZaz09-._~" },
    { "a b/c+d=e&f", 0, "a%20b%2Fc%2Bd%3De%26f" },
    { "a b/c+d=e&f", 1, "a%20b/c%2Bd%3De%26f" },
    { "caf\xc3\xa9", 0, "caf%C3%A9" },
    { "%", 0, "%25" },
    { "", 0, "" },
};

START_TEST(uri_encode_table)
{
    const struct uri_case *c = &uri_cases[_i];
    struct s3_buf b;

    buf_init(&b, 0);
    ck_assert_int_eq(buf_add_uri_encoded(&b, s3_cstr(c->in), c->keep_slash), S3_OK);
    ck_assert_str_eq(b.p ? b.p : "", c->out);
    buf_release(&b);
}
END_TEST

struct udec_case {
    const char *in;
    int plus_is_space;
    s3_err want;
    const char *out;
};
static const struct udec_case udec_cases[] = {
    { "a%20b%2Fc", 0, S3_OK, "a b/c" },
    { "a+b", 0, S3_OK, "a+b" },
    { "a+b", 1, S3_OK, "a b" },
    { "%e1%88%B4", 0, S3_OK, "\xe1\x88\xb4" },
    { "", 0, S3_OK, "" },
    { "%", 0, S3E_INVALID_ARGUMENT, NULL },
    { "%4", 0, S3E_INVALID_ARGUMENT, NULL },
    { "%zz", 0, S3E_INVALID_ARGUMENT, NULL },
    { "ab%41", 0, S3_OK, "abA" },
};

START_TEST(uri_decode_table)
{
    const struct udec_case *c = &udec_cases[_i];
    struct s3_buf b;

    buf_init(&b, 0);
    ck_assert_int_eq(s3_uri_decode(s3_cstr(c->in), c->plus_is_space, &b), c->want);
    if (c->want == S3_OK) {
        ck_assert_ptr_nonnull(b.p);
        ck_assert_str_eq(b.p, c->out);
    }
    buf_release(&b);
}
END_TEST

struct b64_case {
    const char *in;
    size_t max;
    long want;          /* decoded length or -1 */
    const char *out;
};
static const struct b64_case b64_cases[] = {
    { "Zm9vYmFy", 16, 6, "foobar" },
    { "Zm8=", 16, 2, "fo" },
    { "Zg==", 16, 1, "f" },
    { "", 16, 0, "" },
    { "Zm9vYmFy", 5, -1, NULL },     /* does not fit */
    { "Zm9vYmF", 16, -1, NULL },     /* not a multiple of 4 */
    { "Zm9v!mFy", 16, -1, NULL },    /* bad character */
    { "Z=8=", 16, -1, NULL },        /* padding in the middle */
    { "Zm=v", 16, -1, NULL },
    { "7pAYyw==", 4, 4, "\xee\x90\x18\xcb" },
};

START_TEST(base64_decode_table)
{
    const struct b64_case *c = &b64_cases[_i];
    unsigned char out[32];
    long n = s3_base64_decode(s3_cstr(c->in), out, c->max);

    ck_assert_int_eq(n, c->want);
    if (n > 0)
        ck_assert_mem_eq(out, c->out, (size_t)n);
}
END_TEST

/* ------------------------------------------------------------------ checksum: CRC primitives */

START_TEST(crc_check_values)
{
    /* The standard check values of the three CRCs (input "123456789"). */
    ck_assert_uint_eq(ck_crc32(0, "123456789", 9), 0xCBF43926u);
    ck_assert_uint_eq(ck_crc32c(0, "123456789", 9), 0xE3069283u);
    ck_assert_uint_eq(ck_crc64nvme(0, "123456789", 9), 0xAE8B14860A799888ull);
    ck_assert_uint_eq(ck_crc32(0, "", 0), 0);
    ck_assert_uint_eq(ck_crc32c(0, "", 0), 0);
    ck_assert_uint_eq(ck_crc64nvme(0, "", 0), 0);
    /* RFC 3720 (iSCSI) B.4 CRC32C vectors: 32 zero bytes and 32 0xff bytes. */
    unsigned char z[32], f[32];
    memset(z, 0, sizeof(z));
    memset(f, 0xff, sizeof(f));
    ck_assert_uint_eq(ck_crc32c(0, z, 32), 0x8A9136AAu);
    ck_assert_uint_eq(ck_crc32c(0, f, 32), 0x62A8AB43u);
}
END_TEST

/* Pseudo-random bytes (fixed seed) for split and combine tests. */
static void fill(unsigned char *p, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        p[i] = (unsigned char)(seed >> 16);
    }
}

/* Update form: any split of the input gives the one-shot value (exercises the slice-by-8 body
 * and the byte-wise tail at every alignment). */
START_TEST(crc_split_matches_oneshot)
{
    unsigned char d[203];
    fill(d, sizeof(d), 7);
    for (size_t len = 0; len <= sizeof(d); len += (len < 40 ? 1 : 17)) {
        uint32_t a = ck_crc32(0, d, len), c = ck_crc32c(0, d, len);
        uint64_t n = ck_crc64nvme(0, d, len);
        for (size_t cut = 0; cut <= len; cut += (len < 40 ? 1 : 5)) {
            ck_assert_uint_eq(ck_crc32(ck_crc32(0, d, cut), d + cut, len - cut), a);
            ck_assert_uint_eq(ck_crc32c(ck_crc32c(0, d, cut), d + cut, len - cut), c);
            ck_assert_uint_eq(ck_crc64nvme(ck_crc64nvme(0, d, cut), d + cut, len - cut), n);
            /* Combine: crc(A||B) from crc(A), crc(B), len(B). */
            ck_assert_uint_eq(ck_crc32_combine(ck_crc32(0, d, cut), ck_crc32(0, d + cut, len - cut), len - cut), a);
            ck_assert_uint_eq(ck_crc32c_combine(ck_crc32c(0, d, cut), ck_crc32c(0, d + cut, len - cut), len - cut), c);
            ck_assert_uint_eq(
                ck_crc64nvme_combine(ck_crc64nvme(0, d, cut), ck_crc64nvme(0, d + cut, len - cut), len - cut), n);
        }
    }
}
END_TEST

/* Combine with a large second part (5 MiB, like a multipart part), against the direct value. */
START_TEST(crc_combine_large)
{
    const size_t na = 1000, nb = 5u << 20;
    unsigned char *d = malloc(na + nb);

    ck_assert_ptr_nonnull(d);
    fill(d, na + nb, 99);
    ck_assert_uint_eq(ck_crc32c_combine(ck_crc32c(0, d, na), ck_crc32c(0, d + na, nb), nb), ck_crc32c(0, d, na + nb));
    ck_assert_uint_eq(ck_crc64nvme_combine(ck_crc64nvme(0, d, na), ck_crc64nvme(0, d + na, nb), nb),
                      ck_crc64nvme(0, d, na + nb));
    ck_assert_uint_eq(ck_crc32_combine(ck_crc32(0, d, na), ck_crc32(0, d + na, nb), nb), ck_crc32(0, d, na + nb));
    /* Three parts, combined left to right (full-object multipart checksum). */
    uint64_t acc = ck_crc64nvme(0, d, 7);
    acc = ck_crc64nvme_combine(acc, ck_crc64nvme(0, d + 7, 100), 100);
    acc = ck_crc64nvme_combine(acc, ck_crc64nvme(0, d + 107, na + nb - 107), na + nb - 107);
    ck_assert_uint_eq(acc, ck_crc64nvme(0, d, na + nb));
    free(d);
}
END_TEST

/* ------------------------------------------------------------------ checksum: S3 values */

struct b64v {
    enum ck_alg alg;
    const char *in;
    size_t repeat_a;    /* >0: the input is this many 'a' bytes instead */
    const char *b64;
};
static const struct b64v b64vs[] = {
    { CK_CRC32, SMALL_BODY, 0, "7pAYyw==" },          /* captures README */
    { CK_CRC64NVME, SMALL_BODY, 0, "aY2pr7lZRu4=" },  /* js-v3 capture 008, x-amz-checksum-crc64nvme */
    { CK_CRC32C, NULL, 66560, "sOO8/Q==" },           /* AWS docs, trailing-header chunked example */
    { CK_CRC32, "", 0, "AAAAAA==" },                 /* js-v3 presigned PUT of an empty body */
    { CK_SHA1, "abc", 0, "qZk+NkcGgWq6PiVxeFDCbJzQ2J0=" },
    { CK_SHA256, "abc", 0, "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=" },
    { CK_NONE, "abc", 0, "" },
};

START_TEST(checksum_b64_table)
{
    const struct b64v *v = &b64vs[_i];
    char out[64];
    char *buf = NULL;
    const void *p = v->in;
    size_t n = v->in ? strlen(v->in) : 0;

    if (v->repeat_a) {
        buf = malloc(v->repeat_a);
        ck_assert_ptr_nonnull(buf);
        memset(buf, 'a', v->repeat_a);
        p = buf;
        n = v->repeat_a;
    }
    memset(out, 'x', sizeof(out));
    ck_b64(v->alg, p, n, out, sizeof(out));
    ck_assert_str_eq(out, v->b64);

    /* The streaming state gives the same raw value, fed in uneven pieces. */
    if (v->alg != CK_NONE) {
        struct ck_state s;
        unsigned char raw[32];
        const unsigned char *q = p;
        size_t left = n, step = 1;
        ck_assert_int_eq(ck_init(&s, 0, 0, v->alg), S3_OK);
        while (left) {
            size_t k = step < left ? step : left;
            ck_update(&s, q, k);
            q += k;
            left -= k;
            step = step * 3 + 1;
        }
        ck_assert_uint_eq(s.total, n);
        ck_final(&s, NULL, NULL, raw);
        ck_release(&s);
        size_t rl = ck_alg_len(v->alg);
        struct s3_buf b;
        buf_init(&b, 0);
        ck_assert_int_eq(buf_add_base64(&b, raw, rl), S3_OK);
        ck_assert_str_eq(b.p, v->b64);
        buf_release(&b);
    }
    free(buf);
}
END_TEST

START_TEST(checksum_state_all)
{
    static const char *const md5_empty = "\xd4\x1d\x8c\xd9\x8f\x00\xb2\x04\xe9\x80\x09\x98\xec\xf8\x42\x7e";
    struct ck_state s;
    unsigned char md5[16], sha[32], crc[4], one[32];

    /* MD5 + SHA-256 + CRC32 in one pass over the small capture body. */
    ck_assert_int_eq(ck_init(&s, 1, 1, CK_CRC32), S3_OK);
    ck_update(&s, SMALL_BODY, 10);
    ck_update(&s, SMALL_BODY + 10, 0);
    ck_update(&s, SMALL_BODY + 10, strlen(SMALL_BODY) - 10);
    ck_final(&s, md5, sha, crc);
    ck_release(&s);
    ck_sha256(SMALL_BODY, strlen(SMALL_BODY), one);
    ck_assert_mem_eq(sha, one, 32);
    /* The captures README: SHA-256 77226341...d519, Content-MD5 iDuP5CtHoonVYLGUC+LVVA==. */
    ck_assert_int_eq(sha[0], 0x77);
    ck_assert_int_eq(sha[31], 0x19);
    struct s3_buf b;
    buf_init(&b, 0);
    ck_assert_int_eq(buf_add_base64(&b, md5, 16), S3_OK);
    ck_assert_str_eq(b.p, "iDuP5CtHoonVYLGUC+LVVA==");
    buf_reset(&b);
    ck_assert_int_eq(buf_add_base64(&b, crc, 4), S3_OK);
    ck_assert_str_eq(b.p, "7pAYyw==");
    buf_release(&b);
    ck_md5("", 0, md5);
    ck_assert_mem_eq(md5, md5_empty, 16);

    /* Nothing wanted; NULL outputs; release on a zeroed struct and twice. */
    ck_assert_int_eq(ck_init(&s, 0, 0, CK_NONE), S3_OK);
    ck_update(&s, "abc", 3);
    ck_final(&s, NULL, NULL, NULL);
    ck_assert_uint_eq(s.total, 3);
    ck_release(&s);
    ck_release(&s);
    memset(&s, 0, sizeof(s));
    ck_release(&s);
}
END_TEST

struct alg_case {
    const char *name;
    enum ck_alg alg;
};
static const struct alg_case alg_cases[] = {
    { "CRC32", CK_CRC32 }, { "crc32c", CK_CRC32C }, { "Sha1", CK_SHA1 }, { "SHA256", CK_SHA256 },
    { "crc64nvme", CK_CRC64NVME }, { "CRC64", CK_NONE }, { "", CK_NONE }, { "CRC32CX", CK_NONE },
};

/* Hashing through the helper thread gives exactly what ck_update gives inline, whatever the
 * piece sizes (below, at and across slot boundaries, more than all slots at once). */
static const size_t ckpipe_steps[] = { 1, 4093, CKPIPE_SLOT, CKPIPE_SLOT + 1, 3 * CKPIPE_SLOT - 7,
                                       CKPIPE_SLOTS * CKPIPE_SLOT + 12345 };

START_TEST(ckpipe_matches_inline)
{
    size_t step = ckpipe_steps[_i], total = 3 * CKPIPE_SLOTS * CKPIPE_SLOT + 777;
    unsigned char *data = malloc(total);
    unsigned char md5a[16], md5b[16], sha_a[32], sha_b[32], crc_a[32], crc_b[32];
    struct ck_state inl, piped;
    struct ck_pipe *p;

    ck_assert_ptr_nonnull(data);
    for (size_t i = 0; i < total; i++)
        data[i] = (unsigned char)(i * 2654435761u >> 13);
    /* a single-byte step over the whole buffer would take long: feed 64 KiB that way */
    if (step == 1)
        total = 65536 + 3;
    ck_assert_int_eq(ck_init(&inl, 1, 1, CK_CRC32C), S3_OK);
    ck_assert_int_eq(ck_init(&piped, 1, 1, CK_CRC32C), S3_OK);
    ck_update(&inl, data, total);
    ck_assert_int_eq(ckpipe_start(&piped, &p), S3_OK);
    for (size_t off = 0; off < total; off += step)
        ckpipe_feed(p, data + off, total - off < step ? total - off : step);
    ckpipe_finish(p);
    ck_final(&inl, md5a, sha_a, crc_a);
    ck_final(&piped, md5b, sha_b, crc_b);
    ck_assert_mem_eq(md5a, md5b, 16);
    ck_assert_mem_eq(sha_a, sha_b, 32);
    ck_assert_mem_eq(crc_a, crc_b, 4);
    ck_release(&inl);
    ck_release(&piped);
    free(data);
}
END_TEST

START_TEST(ckpipe_empty)
{
    struct ck_state inl, piped;
    struct ck_pipe *p;
    unsigned char a[16], b[16];

    ck_assert_int_eq(ck_init(&inl, 1, 0, CK_NONE), S3_OK);
    ck_assert_int_eq(ck_init(&piped, 1, 0, CK_NONE), S3_OK);
    ck_assert_int_eq(ckpipe_start(&piped, &p), S3_OK);
    ckpipe_finish(p);
    ckpipe_finish(NULL);
    ck_final(&inl, a, NULL, NULL);
    ck_final(&piped, b, NULL, NULL);
    ck_assert_mem_eq(a, b, 16);
    ck_release(&inl);
    ck_release(&piped);
}
END_TEST

START_TEST(alg_names)
{
    const struct alg_case *c = &alg_cases[_i];

    ck_assert_int_eq(ck_alg_parse(c->name, strlen(c->name)), c->alg);
    if (c->alg != CK_NONE) {
        char lower[32];
        const char *n = ck_alg_name(c->alg);
        ck_assert(s3_str_ieq_c(s3_cstr(c->name), n));
        size_t i;
        for (i = 0; n[i]; i++)
            lower[i] = (char)((n[i] >= 'A' && n[i] <= 'Z') ? n[i] + 32 : n[i]);
        lower[i] = 0;
        char want[64];
        snprintf(want, sizeof(want), "x-amz-checksum-%s", lower);
        ck_assert_str_eq(ck_alg_header(c->alg), want);
    }
}
END_TEST

START_TEST(alg_table)
{
    ck_assert_uint_eq(ck_alg_len(CK_CRC32), 4);
    ck_assert_uint_eq(ck_alg_len(CK_CRC32C), 4);
    ck_assert_uint_eq(ck_alg_len(CK_SHA1), 20);
    ck_assert_uint_eq(ck_alg_len(CK_SHA256), 32);
    ck_assert_uint_eq(ck_alg_len(CK_CRC64NVME), 8);
    ck_assert_uint_eq(ck_alg_len(CK_NONE), 0);
    ck_assert_str_eq(ck_alg_name(CK_NONE), "");
    ck_assert_ptr_null(ck_alg_header(CK_NONE));
    ck_assert_int_eq(ck_alg_parse(NULL, 0), CK_NONE);
}
END_TEST

static Suite *lib_suite(void)
{
    Suite *s = suite_create("lib");
    TCase *tc;

    tc = tcase_create("buf");
    tcase_add_test(tc, str_basics);
    tcase_add_test(tc, buf_grow_and_ceiling);
    tcase_add_test(tc, buf_large_and_unlimited);
    tcase_add_test(tc, buf_encodings);
    tcase_add_loop_test(tc, uri_encode_table, 0, (int)ARRAY_LEN(uri_cases));
    tcase_add_loop_test(tc, uri_decode_table, 0, (int)ARRAY_LEN(udec_cases));
    tcase_add_loop_test(tc, base64_decode_table, 0, (int)ARRAY_LEN(b64_cases));
    suite_add_tcase(s, tc);

    tc = tcase_create("checksum");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, crc_check_values);
    tcase_add_test(tc, crc_split_matches_oneshot);
    tcase_add_test(tc, crc_combine_large);
    tcase_add_loop_test(tc, checksum_b64_table, 0, (int)ARRAY_LEN(b64vs));
    tcase_add_test(tc, checksum_state_all);
    tcase_add_loop_test(tc, ckpipe_matches_inline, 0, (int)ARRAY_LEN(ckpipe_steps));
    tcase_add_test(tc, ckpipe_empty);
    tcase_add_loop_test(tc, alg_names, 0, (int)ARRAY_LEN(alg_cases));
    tcase_add_test(tc, alg_table);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(lib_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
