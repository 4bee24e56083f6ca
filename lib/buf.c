/* lib/buf.c - see buf.h for the contract. */
#include "config.h"
#include "lib/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

struct s3_str s3_cstr(const char *s)
{
    struct s3_str r = { s ? s : "", s ? strlen(s) : 0 };
    return r;
}

int s3_str_eq(struct s3_str a, struct s3_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

static int lower(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

int s3_str_ieq_c(struct s3_str a, const char *c)
{
    size_t n = strlen(c);
    if (a.len != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)a.p[i]) != lower((unsigned char)c[i]))
            return 0;
    return 1;
}

int s3_str_has_prefix(struct s3_str s, struct s3_str prefix)
{
    return s.len >= prefix.len && (prefix.len == 0 || memcmp(s.p, prefix.p, prefix.len) == 0);
}

void buf_init(struct s3_buf *b, size_t max)
{
    b->p = NULL;
    b->len = 0;
    b->alloc = 0;
    b->max = max ? max : SIZE_MAX / 2;
}

static s3_err buf_grow(struct s3_buf *b, size_t extra)
{
    size_t need;
    char *np;

    if (b->max == 0)
        b->max = SIZE_MAX / 2;
    if (extra > b->max - b->len)
        return S3E_TOO_LARGE;
    need = b->len + extra + 1;
    if (need <= b->alloc)
        return S3_OK;
    size_t na = b->alloc ? b->alloc : 64;
    while (na < need)
        na *= 2;
    if ((np = realloc(b->p, na)) == NULL)
        return S3E_NOMEM;
    b->p = np;
    b->alloc = na;
    return S3_OK;
}

s3_err buf_add(struct s3_buf *b, const void *data, size_t n)
{
    s3_err e = buf_grow(b, n);
    if (e != S3_OK)
        return e;
    if (n)
        memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = 0;
    return S3_OK;
}

s3_err buf_adds(struct s3_buf *b, const char *s) { return buf_add(b, s, strlen(s)); }
s3_err buf_addc(struct s3_buf *b, char c) { return buf_add(b, &c, 1); }

s3_err buf_vaddf(struct s3_buf *b, const char *fmt, va_list ap)
{
    va_list cp;
    int n;
    s3_err e;

    va_copy(cp, ap);
    n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0)
        return S3E_INTERNAL;
    if ((e = buf_grow(b, (size_t)n)) != S3_OK)
        return e;
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return S3_OK;
}

s3_err buf_addf(struct s3_buf *b, const char *fmt, ...)
{
    va_list ap;
    s3_err e;
    va_start(ap, fmt);
    e = buf_vaddf(b, fmt, ap);
    va_end(ap);
    return e;
}

void buf_reset(struct s3_buf *b)
{
    b->len = 0;
    if (b->p)
        b->p[0] = 0;
}

char *buf_detach(struct s3_buf *b, size_t *len_out)
{
    char *p = b->p;
    if (p == NULL && (p = calloc(1, 1)) == NULL)
        return NULL;
    if (len_out)
        *len_out = b->len;
    buf_init(b, b->max);
    return p;
}

void buf_release(struct s3_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->alloc = 0;
}

struct s3_str buf_str(const struct s3_buf *b)
{
    struct s3_str s = { b->p ? b->p : "", b->len };
    return s;
}

void s3_hex(const unsigned char *p, size_t n, char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[p[i] >> 4];
        out[2 * i + 1] = hx[p[i] & 15];
    }
    out[2 * n] = 0;
}

s3_err buf_add_hex(struct s3_buf *out, const unsigned char *p, size_t n)
{
    s3_err e = buf_grow(out, n * 2);
    if (e != S3_OK)
        return e;
    s3_hex(p, n, out->p + out->len);   /* buf_grow left room for the NUL */
    out->len += n * 2;
    return S3_OK;
}

s3_err buf_add_base64(struct s3_buf *out, const unsigned char *p, size_t n)
{
    size_t need = 4 * ((n + 2) / 3);
    s3_err e = buf_grow(out, need);
    if (e != S3_OK)
        return e;
    /* EVP_EncodeBlock writes a NUL after the output, which buf_grow left room for. */
    int w = EVP_EncodeBlock((unsigned char *)out->p + out->len, p, (int)n);
    out->len += (size_t)w;
    return S3_OK;
}

s3_err buf_add_uri_encoded(struct s3_buf *out, struct s3_str s, int keep_slash)
{
    static const char hx[] = "0123456789ABCDEF";
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.p[i];
        s3_err e;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
            c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
            e = buf_addc(out, (char)c);
        } else {
            char t[3] = { '%', hx[c >> 4], hx[c & 15] };
            e = buf_add(out, t, 3);
        }
        if (e != S3_OK)
            return e;
    }
    return S3_OK;
}

long s3_base64_decode(struct s3_str in, unsigned char *out, size_t max)
{
    unsigned char tmp[4096];
    unsigned char *dst = tmp;
    int n;
    size_t pad = 0;

    if (in.len == 0)
        return 0;
    if (in.len % 4 != 0 || in.len > (size_t)1 << 30)
        return -1;
    for (size_t i = 0; i < in.len; i++) {
        char c = in.p[i];
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
                 c == '/' || (c == '=' && i >= in.len - 2);
        if (!ok)
            return -1;
    }
    if (in.p[in.len - 1] == '=')
        pad++;
    if (in.p[in.len - 2] == '=')
        pad++;
    if (pad == 1 && in.p[in.len - 2] == '=')
        return -1;
    size_t raw = in.len / 4 * 3;
    if (raw > sizeof(tmp) && (dst = malloc(raw)) == NULL)
        return -1;
    n = EVP_DecodeBlock(dst, (const unsigned char *)in.p, (int)in.len);
    long r = -1;
    if (n >= 0 && (size_t)n >= pad && (size_t)n - pad <= max) {
        r = (long)((size_t)n - pad);
        memcpy(out, dst, (size_t)r);
    }
    if (dst != tmp)
        free(dst);
    return r;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

s3_err s3_uri_decode(struct s3_str in, int plus_is_space, struct s3_buf *out)
{
    for (size_t i = 0; i < in.len; i++) {
        char c = in.p[i];
        s3_err e;
        if (c == '%') {
            int h, l;
            if (i + 2 >= in.len)
                return S3E_INVALID_ARGUMENT;
            h = hexval((unsigned char)in.p[i + 1]);
            l = hexval((unsigned char)in.p[i + 2]);
            if (h < 0 || l < 0)
                return S3E_INVALID_ARGUMENT;
            e = buf_addc(out, (char)(h * 16 + l));
            i += 2;
        } else if (c == '+' && plus_is_space) {
            e = buf_addc(out, ' ');
        } else {
            e = buf_addc(out, c);
        }
        if (e != S3_OK)
            return e;
    }
    if (out->p == NULL)
        return buf_add(out, "", 0);
    return S3_OK;
}
