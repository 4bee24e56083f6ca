/*
 * auth/sigv4.c - AWS Signature Version 4: Authorization header and presigned query
 * verification, and the dispatch to SigV2 (auth/sigv2.c).  See sigv4.h for the contract.
 *
 * References: S3 API Reference "Signature Calculations for the Authorization Header",
 * "Authenticating Requests: Using Query Parameters", and the IAM User Guide "Create a signed
 * AWS API request" (canonical request rules for services other than S3).
 */
#include "config.h"
#include "auth/sigv4.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/hmac.h>
#include <openssl/params.h>

#include "auth/sigv4_int.h"
#include "lib/checksum.h"

#define SIGV4_ALGO "AWS4-HMAC-SHA256"
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define PRESIGN_MAX_EXPIRES 604800L   /* one week, the S3 limit */
#define CANON_MAX (64u << 20)         /* ceiling for canonical request buffers */

/* ------------------------------------------------------------------ small helpers */

static int is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int is_blank(unsigned char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

static int lower_c(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

static int str_ieq(struct s3_str a, struct s3_str b)
{
    if (a.len != b.len)
        return 0;
    for (size_t i = 0; i < a.len; i++)
        if (lower_c((unsigned char)a.p[i]) != lower_c((unsigned char)b.p[i]))
            return 0;
    return 1;
}

static int is_hex64(struct s3_str s)
{
    if (s.len != 64)
        return 0;
    for (size_t i = 0; i < 64; i++)
        if (hexval((unsigned char)s.p[i]) < 0)
            return 0;
    return 1;
}

/* Copies s into dst[cap] NUL-terminated; 0 if it does not fit. */
static int copy_str(char *dst, size_t cap, struct s3_str s)
{
    if (s.len >= cap)
        return 0;
    if (s.len)
        memcpy(dst, s.p, s.len);
    dst[s.len] = 0;
    return 1;
}

struct s3_str sigv_trim(struct s3_str s)
{
    while (s.len && is_blank((unsigned char)s.p[0])) {
        s.p++;
        s.len--;
    }
    while (s.len && is_blank((unsigned char)s.p[s.len - 1]))
        s.len--;
    return s;
}

void sigv_set_detail(struct sigv_auth *a, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(a->detail, sizeof(a->detail), fmt, ap);
    va_end(ap);
}

const struct sigv_hdr *sigv_hdr_find(const struct sigv_input *in, const char *name)
{
    for (size_t i = 0; i < in->n_hdrs; i++)
        if (s3_str_ieq_c(in->hdrs[i].name, name))
            return &in->hdrs[i];
    return NULL;
}

int sigv_query_next(struct s3_str *rest, struct s3_str *key, struct s3_str *val, int *has_eq_out)
{
    while (rest->len) {
        const char *amp = memchr(rest->p, '&', rest->len);
        size_t n = amp ? (size_t)(amp - rest->p) : rest->len;
        struct s3_str piece = { rest->p, n };

        rest->p += amp ? n + 1 : n;
        rest->len -= amp ? n + 1 : n;
        if (n == 0)
            continue;
        const char *eq = memchr(piece.p, '=', piece.len);
        if (eq) {
            key->p = piece.p;
            key->len = (size_t)(eq - piece.p);
            val->p = eq + 1;
            val->len = piece.len - key->len - 1;
        } else {
            *key = piece;
            val->p = piece.p + piece.len;
            val->len = 0;
        }
        *has_eq_out = eq != NULL;
        return 1;
    }
    return 0;
}

/* Decodes s into out (cleared first); a malformed escape leaves the raw bytes. */
static s3_err decode_or_raw(struct s3_str s, struct s3_buf *out)
{
    s3_err e;

    buf_reset(out);
    e = s3_uri_decode(s, 0, out);
    if (e == S3E_INVALID_ARGUMENT) {
        buf_reset(out);
        e = buf_add(out, s.p, s.len);
    }
    return e;
}

s3_err sigv_query_get(struct s3_str query, const char *name, int *found_out, struct s3_buf *val)
{
    struct s3_str rest = query, k, v;
    struct s3_buf kd;
    int has_eq;
    s3_err e = S3_OK;

    *found_out = 0;
    buf_init(&kd, 1u << 16);
    while (sigv_query_next(&rest, &k, &v, &has_eq)) {
        if ((e = decode_or_raw(k, &kd)) != S3_OK)
            goto out;
        if (kd.len != strlen(name) || memcmp(kd.p, name, kd.len) != 0)
            continue;
        *found_out = 1;
        if (val != NULL) {
            struct s3_buf vd;
            buf_init(&vd, 1u << 20);
            e = decode_or_raw(v, &vd);
            if (e == S3_OK)
                e = buf_add(val, vd.p, vd.len);
            buf_release(&vd);
        }
        goto out;
    }
out:
    buf_release(&kd);
    return e;
}

/* ------------------------------------------------------------------ dates */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static long days_from_civil(long y, unsigned m, unsigned d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long)doe - 719468;
}

static int digits(const char *p, size_t n, long *out)
{
    long v = 0;

    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return 0;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return 1;
}

static time_t make_time(long y, long mo, long d, long h, long mi, long s)
{
    if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
        return (time_t)-1;
    return (time_t)(days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400L + h * 3600 + mi * 60 + s);
}

time_t sigv_parse_iso8601(struct s3_str s)
{
    long y, mo, d, h, mi, sec;

    if (s.len != 16 || s.p[8] != 'T' || s.p[15] != 'Z')
        return (time_t)-1;
    if (!digits(s.p, 4, &y) || !digits(s.p + 4, 2, &mo) || !digits(s.p + 6, 2, &d) ||
        !digits(s.p + 9, 2, &h) || !digits(s.p + 11, 2, &mi) || !digits(s.p + 13, 2, &sec))
        return (time_t)-1;
    return make_time(y, mo, d, h, mi, sec);
}

time_t sigv_parse_http_date(struct s3_str s)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    const char *p, *end;
    long d, y, h, mi, sec, mo = 0, off = 0;
    size_t n;

    s = sigv_trim(s);
    if (s.len == 0)
        return (time_t)-1;
    p = s.p;
    end = s.p + s.len;
    /* optional "Www, " */
    const char *comma = memchr(p, ',', s.len);
    if (comma)
        p = comma + 1;
    while (p < end && *p == ' ')
        p++;
    /* DD */
    for (n = 0; p + n < end && p[n] >= '0' && p[n] <= '9'; n++)
        ;
    if (n < 1 || n > 2 || !digits(p, n, &d))
        return (time_t)-1;
    p += n;
    if (end - p < 22 || p[0] != ' ' || p[4] != ' ' || p[9] != ' ' || p[12] != ':' || p[15] != ':' ||
        p[18] != ' ')
        return (time_t)-1;
    for (int i = 0; i < 12; i++)
        if (memcmp(p + 1, months + 3 * i, 3) == 0)
            mo = i + 1;
    if (mo == 0 || !digits(p + 5, 4, &y) || !digits(p + 10, 2, &h) || !digits(p + 13, 2, &mi) ||
        !digits(p + 16, 2, &sec))
        return (time_t)-1;
    p += 19;
    struct s3_str zone = { p, (size_t)(end - p) };
    if (s3_str_ieq_c(zone, "GMT") || s3_str_ieq_c(zone, "UTC") || s3_str_ieq_c(zone, "Z")) {
        off = 0;
    } else if (zone.len == 5 && (zone.p[0] == '+' || zone.p[0] == '-')) {
        long hh, mm;
        if (!digits(zone.p + 1, 2, &hh) || !digits(zone.p + 3, 2, &mm))
            return (time_t)-1;
        off = (hh * 3600 + mm * 60) * (zone.p[0] == '-' ? -1 : 1);
    } else {
        return (time_t)-1;
    }
    time_t t = make_time(y, mo, d, h, mi, sec);
    return t == (time_t)-1 ? t : t - off;
}

static void format_iso8601(time_t t, char out[17])
{
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

/* ------------------------------------------------------------------ canonical request */

/* S3: the path is used as sent.  S3 signs the URI-encoded key once, so an escape that is
 * already there is kept (in upper case, and decoded when it stands for an unreserved
 * character), and bytes a client could not have sent raw (space, UTF-8, '$'...) are encoded,
 * as in the S3 docs' "/test$file.text" -> "/test%24file.text" example.  Never normalised. */
static s3_err canon_uri_s3(struct s3_str path, struct s3_buf *out)
{
    static const char hx[] = "0123456789ABCDEF";
    s3_err e = S3_OK;

    if (path.len == 0)
        return buf_addc(out, '/');
    for (size_t i = 0; i < path.len && e == S3_OK; i++) {
        unsigned char c = (unsigned char)path.p[i];
        if (c == '%' && i + 2 < path.len && hexval((unsigned char)path.p[i + 1]) >= 0 &&
            hexval((unsigned char)path.p[i + 2]) >= 0) {
            c = (unsigned char)(hexval((unsigned char)path.p[i + 1]) * 16 + hexval((unsigned char)path.p[i + 2]));
            i += 2;
            if (is_unreserved(c)) {
                e = buf_addc(out, (char)c);
                continue;
            }
        } else if (is_unreserved(c) || c == '/') {
            e = buf_addc(out, (char)c);
            continue;
        }
        char t[3] = { '%', hx[c >> 4], hx[c & 15] };
        e = buf_add(out, t, 3);
    }
    return e;
}

/* Other services (IAM, STS, the generic aws4 suite): remove empty, "." and ".." segments,
 * then URI-encode each segment of the path as sent -- escapes included, which is AWS's
 * "encode twice" rule for everything but S3. */
static s3_err canon_uri_normalized(struct s3_str path, struct s3_buf *out)
{
    size_t base = out->len, i = 0;
    s3_err e = S3_OK;

    while (i < path.len && e == S3_OK) {
        size_t j = i;
        while (j < path.len && path.p[j] != '/')
            j++;
        struct s3_str seg = { path.p + i, j - i };
        i = j + 1;
        if (seg.len == 0 || (seg.len == 1 && seg.p[0] == '.'))
            continue;
        if (seg.len == 2 && seg.p[0] == '.' && seg.p[1] == '.') {
            while (out->len > base && out->p[out->len - 1] != '/')
                out->len--;
            if (out->len > base)
                out->len--;
            out->p[out->len] = 0;
            continue;
        }
        if ((e = buf_addc(out, '/')) == S3_OK)
            e = buf_add_uri_encoded(out, seg, 0);
    }
    if (e != S3_OK)
        return e;
    if (out->len == base || (path.len && path.p[path.len - 1] == '/'))
        e = buf_addc(out, '/');
    return e;
}

struct qpair {
    size_t ko, kl, vo, vl;    /* offsets into the store */
    const char *k, *v;        /* set once the store stops growing */
};

static int qpair_cmp(const void *x, const void *y)
{
    const struct qpair *a = x, *b = y;
    size_t n = a->kl < b->kl ? a->kl : b->kl;
    int c = memcmp(a->k, b->k, n);

    if (c != 0 || a->kl != b->kl)
        return c != 0 ? c : (a->kl < b->kl ? -1 : 1);
    n = a->vl < b->vl ? a->vl : b->vl;
    c = memcmp(a->v, b->v, n);
    if (c != 0 || a->vl == b->vl)
        return c;
    return a->vl < b->vl ? -1 : 1;
}

/* Canonical query: each name and value decoded then RFC 3986-encoded (so "/" is %2F, space
 * %20, "+" %2B), sorted by encoded name then value, "name=" for a bare name, joined by "&". */
static s3_err canon_query(struct s3_str query, int presigned, struct s3_buf *out)
{
    struct s3_str rest = query, k, v;
    struct s3_buf store, tmp;
    struct qpair *pairs = NULL;
    size_t n = 0, cap = 1;
    int has_eq;
    s3_err e = S3E_NOMEM;

    buf_init(&store, CANON_MAX);
    buf_init(&tmp, CANON_MAX);
    for (size_t i = 0; i < query.len; i++)
        cap += query.p[i] == '&';
    /* Allocate the store up front: pairs of empty names and values still point into it. */
    if ((pairs = calloc(cap, sizeof(*pairs))) == NULL || buf_add(&store, "", 0) != S3_OK)
        goto out;
    while (sigv_query_next(&rest, &k, &v, &has_eq)) {
        struct qpair *q = &pairs[n];
        if ((e = decode_or_raw(k, &tmp)) != S3_OK)
            goto out;
        /* The signature cannot sign itself (S3 "Authenticating Requests: Using Query
         * Parameters": all parameters except X-Amz-Signature). */
        if (presigned && tmp.len == 15 && memcmp(tmp.p, "X-Amz-Signature", 15) == 0)
            continue;
        q->ko = store.len;
        if ((e = buf_add_uri_encoded(&store, buf_str(&tmp), 0)) != S3_OK)
            goto out;
        q->kl = store.len - q->ko;
        if ((e = decode_or_raw(v, &tmp)) != S3_OK)
            goto out;
        q->vo = store.len;
        if ((e = buf_add_uri_encoded(&store, buf_str(&tmp), 0)) != S3_OK)
            goto out;
        q->vl = store.len - q->vo;
        n++;
    }
    for (size_t i = 0; i < n; i++) {
        pairs[i].k = store.p + pairs[i].ko;
        pairs[i].v = store.p + pairs[i].vo;
    }
    qsort(pairs, n, sizeof(*pairs), qpair_cmp);
    e = S3_OK;
    for (size_t i = 0; i < n && e == S3_OK; i++) {
        if (i > 0)
            e = buf_addc(out, '&');
        if (e == S3_OK)
            e = buf_add(out, pairs[i].k, pairs[i].kl);
        if (e == S3_OK)
            e = buf_addc(out, '=');
        if (e == S3_OK)
            e = buf_add(out, pairs[i].v, pairs[i].vl);
    }
out:
    free(pairs);
    buf_release(&store);
    buf_release(&tmp);
    return e;
}

/* Header value as SigV4 wants it: blanks trimmed, each run of blanks (including the CRLF of
 * an obsolete line fold) collapsed to one space. */
static s3_err add_trimall(struct s3_buf *out, struct s3_str v)
{
    int pending = 0;
    s3_err e = S3_OK;

    v = sigv_trim(v);
    for (size_t i = 0; i < v.len && e == S3_OK; i++) {
        unsigned char c = (unsigned char)v.p[i];
        if (is_blank(c)) {
            pending = 1;
            continue;
        }
        if (pending)
            e = buf_addc(out, ' ');
        pending = 0;
        if (e == S3_OK)
            e = buf_addc(out, (char)c);
    }
    return e;
}

static s3_err canon_headers(const struct sigv_input *in, struct s3_str signed_headers, struct s3_buf *out)
{
    size_t i = 0;
    s3_err e = S3_OK;

    while (i < signed_headers.len && e == S3_OK) {
        size_t j = i;
        while (j < signed_headers.len && signed_headers.p[j] != ';')
            j++;
        struct s3_str name = { signed_headers.p + i, j - i };
        int first = 1;
        i = j + 1;
        if (name.len == 0)
            continue;
        for (size_t k = 0; k < name.len && e == S3_OK; k++)
            e = buf_addc(out, (char)lower_c((unsigned char)name.p[k]));
        if (e == S3_OK)
            e = buf_addc(out, ':');
        /* Repeated headers: values in the order received, joined by ','. */
        for (size_t h = 0; h < in->n_hdrs && e == S3_OK; h++) {
            if (!str_ieq(sigv_trim(in->hdrs[h].name), name))
                continue;
            if (!first)
                e = buf_addc(out, ',');
            if (e == S3_OK)
                e = add_trimall(out, in->hdrs[h].value);
            first = 0;
        }
        if (e == S3_OK)
            e = buf_addc(out, '\n');
    }
    return e;
}

s3_err sigv4_canonical_request(const struct sigv_input *in, struct s3_str signed_headers,
                               struct s3_str payload_hash, int presigned, struct s3_buf *out)
{
    s3_err e;

    /* HTTPMethod \n CanonicalURI \n CanonicalQueryString \n CanonicalHeaders (each "name:value\n")
     * \n SignedHeaders \n HashedPayload */
    if ((e = buf_add(out, in->method.p, in->method.len)) != S3_OK || (e = buf_addc(out, '\n')) != S3_OK)
        return e;
    e = in->s3 ? canon_uri_s3(in->path, out) : canon_uri_normalized(in->path, out);
    if (e != S3_OK || (e = buf_addc(out, '\n')) != S3_OK)
        return e;
    if ((e = canon_query(in->query, presigned, out)) != S3_OK || (e = buf_addc(out, '\n')) != S3_OK)
        return e;
    if ((e = canon_headers(in, signed_headers, out)) != S3_OK || (e = buf_addc(out, '\n')) != S3_OK)
        return e;
    if ((e = buf_add(out, signed_headers.p, signed_headers.len)) != S3_OK || (e = buf_addc(out, '\n')) != S3_OK)
        return e;
    return buf_add(out, payload_hash.p, payload_hash.len);
}

/* ------------------------------------------------------------------ keys and HMAC */

/* OpenSSL 3's one-shot HMAC() fetches the HMAC and SHA-256 implementations again on every call
 * (EVP_Q_mac); a template context with the digest already set is made once and duplicated per
 * MAC instead. */
static EVP_MAC_CTX *hmac_template;
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;

static void hmac_template_init(void)
{
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    OSSL_PARAM params[2];

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();
    if (mac && (hmac_template = EVP_MAC_CTX_new(mac)) != NULL && !EVP_MAC_CTX_set_params(hmac_template, params)) {
        EVP_MAC_CTX_free(hmac_template);
        hmac_template = NULL;
    }
    EVP_MAC_free(mac);   /* the context keeps its own reference */
}

static void hmac256(const void *key, size_t klen, const void *msg, size_t mlen, unsigned char out[32])
{
    unsigned int olen = 32;
    EVP_MAC_CTX *c;
    size_t n = 0;

    pthread_once(&hmac_once, hmac_template_init);
    if (hmac_template && (c = EVP_MAC_CTX_dup(hmac_template)) != NULL) {
        int ok = EVP_MAC_init(c, key, klen, NULL) && EVP_MAC_update(c, msg, mlen) && EVP_MAC_final(c, out, &n, 32) &&
                 n == 32;
        EVP_MAC_CTX_free(c);
        if (ok)
            return;
    }
    if (HMAC(EVP_sha256(), key, (int)klen, msg, mlen, out, &olen) == NULL)
        memset(out, 0, 32);
}

static void derive_signing_key(struct s3_str secret, const char *date, const char *region, const char *service,
                               unsigned char out[32])
{
    unsigned char k[32];
    char stack[256];
    char *kk = stack;

    /* kSecret = "AWS4" + secret; kDate = HMAC(kSecret, date); kRegion; kService;
     * kSigning = HMAC(kService, "aws4_request") */
    if (secret.len + 4 > sizeof(stack) && (kk = malloc(secret.len + 4)) == NULL) {
        memset(out, 0, 32);
        return;
    }
    memcpy(kk, "AWS4", 4);
    if (secret.len)
        memcpy(kk + 4, secret.p, secret.len);
    hmac256(kk, secret.len + 4, date, strlen(date), k);
    OPENSSL_cleanse(kk, secret.len + 4);
    if (kk != stack)
        free(kk);
    hmac256(k, 32, region, strlen(region), k);
    hmac256(k, 32, service, strlen(service), k);
    hmac256(k, 32, "aws4_request", 12, out);
    OPENSSL_cleanse(k, sizeof(k));
}

/* The signing key changes once a day per (secret, region, service), but deriving it costs four
 * HMACs per request, so each thread keeps the last few it derived.  An entry matches only on the
 * exact secret (compared in constant time), date, region and service; secrets longer than the
 * slot are not cached. */
#define SK_CACHE_SLOTS 4
#define SK_SECRET_MAX 128
#define SK_SCOPE_MAX 96
struct sk_slot {
    size_t secret_len;             /* 0: empty slot */
    unsigned char secret[SK_SECRET_MAX];
    char scope[SK_SCOPE_MAX];      /* date NUL region NUL service NUL */
    size_t scope_len;
    unsigned char key[32];
};
static _Thread_local struct sk_slot sk_cache[SK_CACHE_SLOTS];
static _Thread_local unsigned sk_next;

void sigv4_signing_key(struct s3_str secret, const char *date, const char *region, const char *service,
                       unsigned char out[32])
{
    size_t ld = strlen(date), lr = strlen(region), ls = strlen(service), n = ld + lr + ls + 3;
    char scope[SK_SCOPE_MAX];
    struct sk_slot *sl;

    if (secret.len == 0 || secret.len > SK_SECRET_MAX || n > sizeof(scope)) {
        derive_signing_key(secret, date, region, service, out);
        return;
    }
    memcpy(scope, date, ld + 1);
    memcpy(scope + ld + 1, region, lr + 1);
    memcpy(scope + ld + lr + 2, service, ls + 1);
    for (unsigned i = 0; i < SK_CACHE_SLOTS; i++) {
        sl = &sk_cache[i];
        if (sl->secret_len == secret.len && sl->scope_len == n && !memcmp(sl->scope, scope, n) &&
            !CRYPTO_memcmp(sl->secret, secret.p, secret.len)) {
            memcpy(out, sl->key, 32);
            return;
        }
    }
    derive_signing_key(secret, date, region, service, out);
    sl = &sk_cache[sk_next++ % SK_CACHE_SLOTS];
    sl->secret_len = secret.len;
    memcpy(sl->secret, secret.p, secret.len);
    memcpy(sl->scope, scope, n);
    sl->scope_len = n;
    memcpy(sl->key, out, 32);
}

void sigv4_hmac_hex(const unsigned char key[32], struct s3_str msg, char out[65])
{
    unsigned char mac[32];

    hmac256(key, 32, msg.p, msg.len, mac);
    s3_hex(mac, 32, out);
}

/* ------------------------------------------------------------------ parsing */

/* AKID/YYYYMMDD/region/service/aws4_request; region may be empty (IAM). */
static s3_err parse_credential(struct s3_str cred, struct sigv_auth *a, s3_err bad)
{
    const char *slash[4];
    int found = 0;

    for (size_t i = cred.len; i > 0 && found < 4; i--)
        if (cred.p[i - 1] == '/')
            slash[found++] = cred.p + i - 1;
    if (found < 4) {
        sigv_set_detail(a, "Credential must have the form <key id>/<date>/<region>/<service>/aws4_request.");
        return bad;
    }
    struct s3_str akid = { cred.p, (size_t)(slash[3] - cred.p) };
    struct s3_str date = { slash[3] + 1, (size_t)(slash[2] - slash[3] - 1) };
    struct s3_str region = { slash[2] + 1, (size_t)(slash[1] - slash[2] - 1) };
    struct s3_str service = { slash[1] + 1, (size_t)(slash[0] - slash[1] - 1) };
    struct s3_str term = { slash[0] + 1, (size_t)(cred.p + cred.len - slash[0] - 1) };
    long dummy;

    if (!s3_str_eq(term, S3_LIT("aws4_request"))) {
        sigv_set_detail(a, "Credential should be scoped with a valid terminator: 'aws4_request', not '%.*s'.",
                        (int)(term.len > 64 ? 64 : term.len), term.p);
        return bad;
    }
    if (date.len != 8 || !digits(date.p, 8, &dummy)) {
        sigv_set_detail(a, "Credential should be scoped to a valid date (YYYYMMDD).");
        return bad;
    }
    if (akid.len == 0 || !copy_str(a->akid, sizeof(a->akid), akid)) {
        sigv_set_detail(a, "Credential has an empty or over-long access key id.");
        return bad;
    }
    if (service.len == 0 || !copy_str(a->service, sizeof(a->service), service) ||
        !copy_str(a->region, sizeof(a->region), region)) {
        sigv_set_detail(a, "Credential has an empty service or an over-long region / service.");
        return bad;
    }
    copy_str(a->date, sizeof(a->date), date);
    snprintf(a->scope, sizeof(a->scope), "%s/%s/%s/aws4_request", a->date, a->region, a->service);
    return S3_OK;
}

static s3_err parse_signature_hex(struct s3_str sig, struct sigv_auth *a, s3_err bad)
{
    if (!is_hex64(sig)) {
        sigv_set_detail(a, "The signature must be 64 hexadecimal characters.");
        return bad;
    }
    for (size_t i = 0; i < 64; i++)
        a->signature[i] = (char)lower_c((unsigned char)sig.p[i]);
    a->signature[64] = 0;
    return S3_OK;
}

static s3_err parse_signed_headers(struct s3_str sh, struct sigv_auth *a, s3_err bad)
{
    int has_host = 0;
    size_t i = 0;

    if (sh.len == 0 || !copy_str(a->signed_headers, sizeof(a->signed_headers), sh)) {
        sigv_set_detail(a, "SignedHeaders is empty or longer than %zu bytes.", sizeof(a->signed_headers) - 1);
        return bad;
    }
    while (i < sh.len) {
        size_t j = i;
        while (j < sh.len && sh.p[j] != ';')
            j++;
        struct s3_str name = { sh.p + i, j - i };
        if (s3_str_ieq_c(name, "host"))
            has_host = 1;
        i = j + 1;
    }
    /* AWS requires the Host header to be signed (it binds the signature to the endpoint). */
    if (!has_host) {
        sigv_set_detail(a, "SignedHeaders must include 'host'.");
        return bad;
    }
    return S3_OK;
}

/* Classifies an x-amz-content-sha256 value. */
static s3_err parse_payload(struct s3_str v, struct sigv_auth *a)
{
    static const struct {
        const char *lit;
        enum sigv_payload p;
    } lits[] = {
        { "UNSIGNED-PAYLOAD", SIGV_PAYLOAD_UNSIGNED },
        { "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", SIGV_PAYLOAD_STREAMING_SIGNED },
        { "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", SIGV_PAYLOAD_STREAMING_SIGNED_TRAILER },
        { "STREAMING-UNSIGNED-PAYLOAD-TRAILER", SIGV_PAYLOAD_STREAMING_UNSIGNED_TRAILER },
    };

    v = sigv_trim(v);
    for (size_t i = 0; i < sizeof(lits) / sizeof(lits[0]); i++)
        if (s3_str_eq(v, s3_cstr(lits[i].lit))) {
            a->payload = lits[i].p;
            return S3_OK;
        }
    if (is_hex64(v)) {
        a->payload = SIGV_PAYLOAD_SHA256;
        for (size_t i = 0; i < 64; i++)
            a->payload_sha256[i] = (char)lower_c((unsigned char)v.p[i]);
        a->payload_sha256[64] = 0;
        return S3_OK;
    }
    sigv_set_detail(a, "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
                       "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER "
                       "or a valid sha256 value.");
    return S3E_INVALID_ARGUMENT;
}

static void use_body_hash(const struct sigv_input *in, struct sigv_auth *a)
{
    a->need_body_sha256 = 1;
    a->payload = SIGV_PAYLOAD_SHA256;
    if (in->body_sha256_hex != NULL && strlen(in->body_sha256_hex) == 64)
        for (size_t i = 0; i < 65; i++)
            a->payload_sha256[i] = (char)lower_c((unsigned char)in->body_sha256_hex[i]);
}

static s3_err set_token(struct sigv_auth *a, struct s3_str tok)
{
    if (!copy_str(a->security_token, sizeof(a->security_token), tok)) {
        sigv_set_detail(a, "The security token is longer than %zu bytes.", sizeof(a->security_token) - 1);
        return S3E_INVALID_TOKEN;
    }
    return S3_OK;
}

static s3_err parse_v4_header(const struct sigv_input *in, struct s3_str authz, struct sigv_auth *a)
{
    struct s3_str rest = { authz.p + strlen(SIGV4_ALGO), authz.len - strlen(SIGV4_ALGO) };
    struct s3_str cred = S3_STR_NULL, sh = S3_STR_NULL, sig = S3_STR_NULL;
    int have_cred = 0, have_sh = 0, have_sig = 0;
    const struct sigv_hdr *h;
    s3_err e;

    /* "Credential=AKID/scope, SignedHeaders=a;b, Signature=hex": any order, ',' and blanks
     * between the parts. */
    while (rest.len) {
        while (rest.len && (is_blank((unsigned char)rest.p[0]) || rest.p[0] == ',')) {
            rest.p++;
            rest.len--;
        }
        if (rest.len == 0)
            break;
        const char *comma = memchr(rest.p, ',', rest.len);
        struct s3_str part = { rest.p, comma ? (size_t)(comma - rest.p) : rest.len };
        rest.p += part.len;
        rest.len -= part.len;
        const char *eq = memchr(part.p, '=', part.len);
        if (eq == NULL) {
            sigv_set_detail(a, "Authorization header component '%.*s' is not of the form key=value.",
                            (int)(part.len > 64 ? 64 : part.len), part.p);
            return S3E_AUTH_MALFORMED;
        }
        struct s3_str key = sigv_trim((struct s3_str){ part.p, (size_t)(eq - part.p) });
        struct s3_str val = sigv_trim((struct s3_str){ eq + 1, part.len - (size_t)(eq - part.p) - 1 });
        if (s3_str_eq(key, S3_LIT("Credential"))) {
            cred = val;
            have_cred = 1;
        } else if (s3_str_eq(key, S3_LIT("SignedHeaders"))) {
            sh = val;
            have_sh = 1;
        } else if (s3_str_eq(key, S3_LIT("Signature"))) {
            sig = val;
            have_sig = 1;
        }
    }
    if (!have_cred || !have_sh || !have_sig) {
        sigv_set_detail(a, "Authorization header requires '%s' parameter.",
                        !have_cred ? "Credential" : !have_sh ? "SignedHeaders" : "Signature");
        return S3E_INCOMPLETE_SIGNATURE;
    }
    if ((e = parse_credential(cred, a, S3E_AUTH_MALFORMED)) != S3_OK ||
        (e = parse_signed_headers(sh, a, S3E_AUTH_MALFORMED)) != S3_OK ||
        (e = parse_signature_hex(sig, a, S3E_AUTH_MALFORMED)) != S3_OK)
        return e;

    /* The request time: X-Amz-Date, or the Date header when there is none. */
    if ((h = sigv_hdr_find(in, "x-amz-date")) != NULL) {
        a->request_time = sigv_parse_iso8601(sigv_trim(h->value));
    } else if ((h = sigv_hdr_find(in, "date")) != NULL) {
        a->request_time = sigv_parse_http_date(h->value);
    } else {
        a->request_time = (time_t)-1;
    }
    if (a->request_time == (time_t)-1) {
        sigv_set_detail(a, "AWS authentication requires a valid Date or x-amz-date header.");
        return S3E_ACCESS_DENIED;
    }
    format_iso8601(a->request_time, a->amz_date);
    if (memcmp(a->amz_date, a->date, 8) != 0) {
        sigv_set_detail(a, "Invalid credential date \"%s\". This date is not the same as X-Amz-Date: \"%.8s\".",
                        a->date, a->amz_date);
        return S3E_AUTH_MALFORMED;
    }
    if ((h = sigv_hdr_find(in, "x-amz-content-sha256")) != NULL) {
        if ((e = parse_payload(h->value, a)) != S3_OK)
            return e;
    } else {
        use_body_hash(in, a);
    }
    if ((h = sigv_hdr_find(in, "x-amz-security-token")) != NULL &&
        (e = set_token(a, sigv_trim(h->value))) != S3_OK)
        return e;
    a->kind = SIGV4_HEADER;
    return S3_OK;
}

static s3_err parse_v4_query(const struct sigv_input *in, struct sigv_auth *a)
{
    static const char *const names[] = { "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date",
                                         "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature" };
    struct s3_buf v[6];
    struct s3_buf tmp;
    int found;
    long exp;
    s3_err e = S3_OK;

    buf_init(&tmp, 1u << 16);
    for (int i = 0; i < 6; i++)
        buf_init(&v[i], 1u << 16);
    for (int i = 0; i < 6; i++) {
        if ((e = sigv_query_get(in->query, names[i], &found, &v[i])) != S3_OK)
            goto out;
        if (!found) {
            sigv_set_detail(a, "Query-string authentication version 4 requires the X-Amz-Algorithm, "
                               "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, "
                               "and X-Amz-Expires parameters.");
            e = S3E_AUTH_QUERY_MALFORMED;
            goto out;
        }
    }
    e = S3E_AUTH_QUERY_MALFORMED;
    if (!s3_str_eq(buf_str(&v[0]), S3_LIT(SIGV4_ALGO))) {
        sigv_set_detail(a, "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\".");
        goto out;
    }
    if ((e = parse_credential(buf_str(&v[1]), a, S3E_AUTH_QUERY_MALFORMED)) != S3_OK)
        goto out;
    e = S3E_AUTH_QUERY_MALFORMED;
    if ((a->request_time = sigv_parse_iso8601(buf_str(&v[2]))) == (time_t)-1) {
        sigv_set_detail(a, "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\".");
        goto out;
    }
    copy_str(a->amz_date, sizeof(a->amz_date), buf_str(&v[2]));
    if (memcmp(a->amz_date, a->date, 8) != 0) {
        sigv_set_detail(a, "Invalid credential date \"%s\". This date is not the same as X-Amz-Date: \"%.8s\".",
                        a->date, a->amz_date);
        goto out;
    }
    if (v[3].len == 0 || v[3].len > 9 || !digits(v[3].p, v[3].len, &exp)) {
        sigv_set_detail(a, "X-Amz-Expires should be a number.");
        goto out;
    }
    if (exp < 1 || exp > PRESIGN_MAX_EXPIRES) {
        sigv_set_detail(a, exp < 1 ? "X-Amz-Expires must be positive."
                                   : "X-Amz-Expires must be less than a week (in seconds) that is 604800.");
        goto out;
    }
    a->expires_s = exp;
    if ((e = parse_signed_headers(buf_str(&v[4]), a, S3E_AUTH_QUERY_MALFORMED)) != S3_OK ||
        (e = parse_signature_hex(buf_str(&v[5]), a, S3E_AUTH_QUERY_MALFORMED)) != S3_OK)
        goto out;
    /* Payload: X-Amz-Content-Sha256 when the signer put one in the query; otherwise S3 signs
     * UNSIGNED-PAYLOAD (the body is not known when a URL is presigned) and other services the
     * body's hash. */
    if ((e = sigv_query_get(in->query, "X-Amz-Content-Sha256", &found, &tmp)) != S3_OK)
        goto out;
    if (found) {
        if ((e = parse_payload(buf_str(&tmp), a)) != S3_OK)
            goto out;
    } else if (strcmp(a->service, "s3") == 0) {
        a->payload = SIGV_PAYLOAD_UNSIGNED;
    } else {
        use_body_hash(in, a);
    }
    buf_reset(&tmp);
    if ((e = sigv_query_get(in->query, "X-Amz-Security-Token", &found, &tmp)) != S3_OK)
        goto out;
    if (found && (e = set_token(a, buf_str(&tmp))) != S3_OK)
        goto out;
    a->kind = SIGV4_QUERY;
    e = S3_OK;
out:
    for (int i = 0; i < 6; i++)
        buf_release(&v[i]);
    buf_release(&tmp);
    return e;
}

s3_err sigv_parse(const struct sigv_input *in, struct sigv_auth *a)
{
    const struct sigv_hdr *h = sigv_hdr_find(in, "authorization");
    int q4 = 0, q2 = 0, f;
    s3_err e;

    memset(a, 0, sizeof(*a));
    a->request_time = (time_t)-1;
    /* Any X-Amz-Algorithm / X-Amz-Credential / X-Amz-Signature means SigV4 query auth; the
     * SigV2 query form is AWSAccessKeyId + Signature + Expires. */
    static const char *const v4q[] = { "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature" };
    for (int i = 0; i < 3 && !q4; i++) {
        if ((e = sigv_query_get(in->query, v4q[i], &f, NULL)) != S3_OK)
            return e;
        q4 = f;
    }
    if (!q4) {
        if ((e = sigv_query_get(in->query, "AWSAccessKeyId", &f, NULL)) != S3_OK)
            return e;
        q2 = f;
        if (!q2 && (e = sigv_query_get(in->query, "Signature", &f, NULL)) != S3_OK)
            return e;
        q2 = q2 || f;
    }
    if (h != NULL) {
        struct s3_str v = sigv_trim(h->value);
        if (q4 || q2) {
            sigv_set_detail(a, "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "
                               "Signature query string parameter or the Authorization header should be specified.");
            return S3E_INVALID_ARGUMENT;
        }
        if (v.len > strlen(SIGV4_ALGO) && memcmp(v.p, SIGV4_ALGO, strlen(SIGV4_ALGO)) == 0 &&
            is_blank((unsigned char)v.p[strlen(SIGV4_ALGO)]))
            return parse_v4_header(in, v, a);
        if (v.len > 4 && memcmp(v.p, "AWS ", 4) == 0)
            return sigv2_parse(in, SIGV2_HEADER, v, a);
        sigv_set_detail(a, "Unsupported Authorization Type.");
        return S3E_INVALID_ARGUMENT;
    }
    if (q4)
        return parse_v4_query(in, a);
    if (q2)
        return sigv2_parse(in, SIGV2_QUERY, S3_STR_NULL, a);
    a->kind = SIGV_ANONYMOUS;
    a->payload = SIGV_PAYLOAD_UNSIGNED;
    return S3_OK;
}

/* ------------------------------------------------------------------ verification */

static s3_err check_v4_time(const struct sigv_input *in, struct sigv_auth *a)
{
    char now_s[17];

    format_iso8601(in->now, now_s);
    if (a->kind == SIGV4_HEADER) {
        if (a->request_time > in->now + SIGV_MAX_SKEW_S || a->request_time < in->now - SIGV_MAX_SKEW_S) {
            sigv_set_detail(a, "The difference between the request time (%s) and the server time (%s) is "
                               "too large.", a->amz_date, now_s);
            return S3E_TIME_SKEWED;
        }
        return S3_OK;
    }
    if (a->request_time > in->now + SIGV_MAX_SKEW_S) {
        sigv_set_detail(a, "Request is not valid yet: X-Amz-Date %s is later than the server time %s.",
                        a->amz_date, now_s);
        return S3E_ACCESS_DENIED;
    }
    if (in->now > a->request_time + a->expires_s) {
        sigv_set_detail(a, "Request has expired: signed at %s for %ld seconds, server time %s.", a->amz_date,
                        a->expires_s, now_s);
        return S3E_EXPIRED;
    }
    return S3_OK;
}

static s3_err verify_v4(const struct sigv_input *in, struct sigv_auth *a, struct s3_str secret)
{
    struct s3_buf cr, sts, tmp;
    struct s3_str payload;
    const struct sigv_hdr *h;
    unsigned char digest[32];
    char sig[65];
    int found = 0;
    s3_err e;

    buf_init(&cr, CANON_MAX);
    buf_init(&sts, 4096);
    buf_init(&tmp, 1u << 16);
    if (a->need_body_sha256) {
        if (in->body_sha256_hex == NULL || !is_hex64(s3_cstr(in->body_sha256_hex))) {
            sigv_set_detail(a, "Missing required header for this request: x-amz-content-sha256.");
            e = S3E_INVALID_REQUEST;
            goto out;
        }
        use_body_hash(in, a);
    }
    /* The payload hash exactly as the client put it in its canonical request. */
    if (a->kind == SIGV4_QUERY && (e = sigv_query_get(in->query, "X-Amz-Content-Sha256", &found, &tmp)) != S3_OK)
        goto out;
    if (a->kind == SIGV4_HEADER && (h = sigv_hdr_find(in, "x-amz-content-sha256")) != NULL) {
        payload = sigv_trim(h->value);
    } else if (found) {
        payload = buf_str(&tmp);
    } else if (a->need_body_sha256) {
        payload = s3_cstr(in->body_sha256_hex);
    } else {
        payload = S3_LIT("UNSIGNED-PAYLOAD");
    }
    if ((e = sigv4_canonical_request(in, s3_cstr(a->signed_headers), payload, a->kind == SIGV4_QUERY, &cr)) !=
        S3_OK)
        goto out;
    ck_sha256(cr.p, cr.len, digest);
    /* "AWS4-HMAC-SHA256" \n amz-date \n scope \n hex(SHA256(canonical request)) */
    if ((e = buf_addf(&sts, "%s\n%s\n%s\n", SIGV4_ALGO, a->amz_date, a->scope)) != S3_OK ||
        (e = buf_add_hex(&sts, digest, 32)) != S3_OK)
        goto out;
    if ((a->canonical_request = buf_detach(&cr, NULL)) == NULL ||
        (a->string_to_sign = buf_detach(&sts, NULL)) == NULL) {
        e = S3E_NOMEM;
        goto out;
    }
    sigv4_signing_key(secret, a->date, a->region, a->service, a->signing_key);
    if ((e = check_v4_time(in, a)) != S3_OK)
        goto out;
    sigv4_hmac_hex(a->signing_key, s3_cstr(a->string_to_sign), sig);
    if (CRYPTO_memcmp(sig, a->signature, 64) != 0) {
        sigv_set_detail(a, "The request signature we calculated does not match the signature you provided. "
                           "Check your key and signing method.");
        e = S3E_SIG_MISMATCH;
        goto out;
    }
    e = S3_OK;
out:
    OPENSSL_cleanse(sig, sizeof(sig));
    buf_release(&cr);
    buf_release(&sts);
    buf_release(&tmp);
    return e;
}

s3_err sigv_verify(const struct sigv_input *in, struct sigv_auth *a, struct s3_str secret)
{
    free(a->canonical_request);
    free(a->string_to_sign);
    a->canonical_request = a->string_to_sign = NULL;
    switch (a->kind) {
    case SIGV4_HEADER:
    case SIGV4_QUERY:
        return verify_v4(in, a, secret);
    case SIGV2_HEADER:
    case SIGV2_QUERY:
        return sigv2_verify(in, a, secret);
    case SIGV_ANONYMOUS:
        break;
    }
    sigv_set_detail(a, "The request is not signed.");
    return S3E_ACCESS_DENIED;
}

void sigv_auth_release(struct sigv_auth *a)
{
    if (a == NULL)
        return;
    free(a->canonical_request);
    free(a->string_to_sign);
    a->canonical_request = a->string_to_sign = NULL;
    OPENSSL_cleanse(a->signing_key, sizeof(a->signing_key));
}
