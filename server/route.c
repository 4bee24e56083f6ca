/* server/route.c - see route.h. */
#include "config.h"
#include "server/route.h"

#include "server/ap.h"

#include <stdlib.h>
#include <string.h>

static char *dup_n(const char *p, size_t n)
{
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, p, n);
        s[n] = 0;
    }
    return s;
}

static s3_err decode_dup(struct s3_str in, int plus, char **out, size_t *len_out)
{
    struct s3_buf b;
    s3_err e;
    buf_init(&b, 0);
    if ((e = s3_uri_decode(in, plus, &b)) != S3_OK) {
        buf_release(&b);
        return e;
    }
    *out = buf_detach(&b, len_out);
    return *out ? S3_OK : S3E_NOMEM;
}

static s3_err parse_query(struct s3_req *r)
{
    const char *p = r->raw_query.p, *end = p + r->raw_query.len;
    unsigned cap = 0;

    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(stop - p));
        struct qparam qp = { NULL, NULL, eq != NULL };
        struct s3_str kn = { p, (size_t)((eq ? eq : stop) - p) };
        s3_err e;

        if (kn.len > 0) {
            if ((e = decode_dup(kn, 1, &qp.name, NULL)) != S3_OK)
                return req_fail(r, e, "The query parameter name is not correctly percent-encoded.");
            if (eq) {
                struct s3_str vn = { eq + 1, (size_t)(stop - eq - 1) };
                if ((e = decode_dup(vn, 1, &qp.value, NULL)) != S3_OK) {
                    e = req_fail(r, e, "The value of query parameter '%s' is not correctly percent-encoded.",
                                 qp.name);
                    free(qp.name);
                    return e;
                }
            } else if ((qp.value = strdup("")) == NULL) {
                free(qp.name);
                return S3E_NOMEM;
            }
            if (r->n_q == cap) {
                unsigned nc = cap ? cap * 2 : 8;
                struct qparam *nq = realloc(r->q, nc * sizeof(*nq));
                if (nq == NULL) {
                    free(qp.name);
                    free(qp.value);
                    return S3E_NOMEM;
                }
                r->q = nq;
                cap = nc;
            }
            r->q[r->n_q++] = qp;
        }
        p = stop + 1;
    }
    return S3_OK;
}

/* Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF. */
int route_utf8_valid(const char *p, size_t n)
{
    const unsigned char *s = (const unsigned char *)p;
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t len;
        unsigned cp;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            len = 2;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (i + len > n)
            return 0;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
            return 0;
        i += len;
    }
    return 1;
}

/* Host without port, lower-cased. */
static char *host_of(const char *h)
{
    size_t n;
    char *s;
    if (h == NULL)
        return strdup("");
    if (h[0] == '[') {
        const char *rb = strchr(h, ']');
        n = rb ? (size_t)(rb - h + 1) : strlen(h);
    } else {
        const char *c = strrchr(h, ':');
        n = c ? (size_t)(c - h) : strlen(h);
    }
    if ((s = dup_n(h, n)) == NULL)
        return NULL;
    for (char *q = s; *q; q++)
        if (*q >= 'A' && *q <= 'Z')
            *q = (char)(*q + 32);
    return s;
}

/* If host is LABEL.<domain> for a configured domain, return LABEL's length; else 0. */
static size_t vhost_label(const char *host, const char *domains)
{
    size_t hl = strlen(host);
    const char *d = domains;
    size_t best = 0;

    while (d && *d) {
        const char *comma = strchr(d, ',');
        size_t dl = comma ? (size_t)(comma - d) : strlen(d);
        while (dl && *d == ' ')
            d++, dl--;
        if (dl == hl && strncmp(host, d, dl) == 0)
            return 0;        /* the endpoint itself: path style */
        if (dl && hl > dl + 1 && host[hl - dl - 1] == '.' && strncmp(host + hl - dl, d, dl) == 0) {
            size_t lab = hl - dl - 1;
            if (best == 0 || lab < best)
                best = lab;
        }
        d = comma ? comma + 1 : NULL;
    }
    return best;
}

s3_err route_request(struct s3_req *r)
{
    s3_err e;
    struct s3_str path = r->raw_path;
    const char *ct;

    if ((e = parse_query(r)) != S3_OK)
        return e;
    if ((r->host = host_of(req_header(r, "host"))) == NULL)
        return S3E_NOMEM;

    if (path.len == 16 && memcmp(path.p, "/_s3iam/health", 14) == 0)
        path.len = 14;
    if (path.len == 14 && memcmp(path.p, "/_s3iam/health", 14) == 0) {
        r->svc = SVC_HEALTH;
        return S3_OK;
    }
    if (s3_str_eq(path, S3_LIT("/_s3iam/decisions"))) {
        r->svc = SVC_DECISIONS;
        return S3_OK;
    }
    if (s3_str_has_prefix(path, S3_LIT("/v20180820/"))) {
        r->svc = SVC_S3CONTROL;
        return S3_OK;
    }
    /* Query protocol (IAM, STS): POST / with a form body, or GET /?Action=... */
    ct = req_header(r, "content-type");
    if (path.len == 1 && ((!strcmp(r->method, "POST") && ct &&
                           !strncasecmp(ct, "application/x-www-form-urlencoded", 33)) ||
                          req_query(r, "Action"))) {
        r->svc = SVC_IAM;     /* IAM or STS: decided from the credential scope in http.c */
        return S3_OK;
    }

    r->svc = SVC_S3;
    size_t lab = vhost_label(r->host, r->srv->cfg->domain);
    const char *p = path.p + 1, *end = path.p + path.len;
    if (path.len == 0 || path.p[0] != '/')
        return req_fail(r, S3E_INVALID_REQUEST, "The request path must start with '/'.");
    const char *apdom = strstr(r->host, ".s3-accesspoint.");
    if (apdom) {
        /* NAME-ACCOUNT.s3-accesspoint.REGION.<anything> */
        lab = (size_t)(apdom - r->host);
    }
    if (lab > 0) {
        r->virtual_host = 1;
        if ((r->bucket = dup_n(r->host, lab)) == NULL)
            return S3E_NOMEM;
        if ((e = ap_route(r, r->bucket)) != S3_OK)
            return e;
    } else if (p < end) {
        const char *slash = memchr(p, '/', (size_t)(end - p));
        struct s3_str bs = { p, (size_t)((slash ? slash : end) - p) };
        if ((e = decode_dup(bs, 0, &r->bucket, NULL)) != S3_OK)
            return req_fail(r, e, "The bucket name is not correctly percent-encoded.");
        p = slash ? slash + 1 : end;
        if ((e = ap_route(r, r->bucket)) != S3_OK)
            return e;
    } else {
        p = end;
    }
    if (r->bucket && r->bucket[0] == 0) {
        free(r->bucket);
        r->bucket = NULL;
    }
    /* Everything after the bucket's slash is the key, byte for byte (a key may contain '//',
     * '..', or end in '/'). A path-style bucket with only a trailing slash has no key. */
    if (r->bucket && p < end) {
        struct s3_str ks = { p, (size_t)(end - p) };
        if ((e = decode_dup(ks, 0, &r->key, &r->key_len)) != S3_OK)
            return req_fail(r, e, "The object key is not correctly percent-encoded.");
        if (memchr(r->key, 0, r->key_len))
            return req_fail(r, S3E_INVALID_ARGUMENT, "Object keys may not contain the NUL character.");
        if (!route_utf8_valid(r->key, r->key_len))
            return req_fail(r, S3E_INVALID_ARGUMENT, "Object keys must be valid UTF-8 (after percent-decoding).");
        if (r->key_len > 1024)
            return req_fail(r, S3E_KEY_TOO_LONG, "Your key is too long: %zu bytes (the limit is 1024).",
                            r->key_len);
        if (r->key_len == 0) {
            free(r->key);
            r->key = NULL;
        }
    }
    return S3_OK;
}
