/*
 * t/fuzz/fuzz_query.c - libFuzzer target for the request-target decoder: server/route.c
 * (route_request: query string, path-style and virtual-host bucket, key) and the
 * percent-decoding it is built on (lib/buf.c s3_uri_decode, buf_add_uri_encoded).
 *
 * Input layout:
 *   byte 0   bits 0-2 method (GET, PUT, POST, DELETE, HEAD, and three odd ones); bit 3 send a
 *            Host header; bit 4 send Content-Type application/x-www-form-urlencoded
 *   then lines separated by '\n':
 *     line 0   request target as on the request line ("/bucket/key?a=b&c")
 *     line 1   Host header value (when bit 3)
 *     line 2   configured domain list (empty: the default "localhost,s3.localhost,...")
 *
 * route_request needs only a small part of a request, so the harness builds a fake s3_req
 * and provides the few server functions route.c calls (req_header, req_query, req_fail and
 * ap_route; the access point lookup is storage work, outside this target: the stub accepts
 * every label but one shape, so both paths after it are reached).
 *
 * Invariants (abort() on violation): a routed key is 1..1024 bytes without NUL; a bucket is
 * never empty; every query parameter has a name and a value; decoding what
 * buf_add_uri_encoded produced gives the input back.
 *
 * Build and run: make fuzz-rel, or make fuzz (every target); see Makefile.am.
 */
#include "config.h"
#include "server/route.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/ap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ------------------------------------------------------------------ what route.c needs */

const char *req_header(const struct s3_req *r, const char *lname)
{
    for (unsigned i = 0; i < r->n_hdrs; i++)
        if (strcmp(r->hdrs[i].name, lname) == 0)
            return r->hdrs[i].value;
    return NULL;
}

const char *req_query(const struct s3_req *r, const char *name)
{
    for (unsigned i = 0; i < r->n_q; i++)
        if (strcmp(r->q[i].name, name) == 0)
            return r->q[i].value;
    return NULL;
}

s3_err req_fail(struct s3_req *r, s3_err e, const char *fmt, ...)
{
    if (r->err != S3_OK || e == S3_OK)
        return e;
    r->err = e;
    if (fmt) {
        struct s3_buf b;
        va_list ap;
        buf_init(&b, 4096);
        va_start(ap, fmt);
        buf_vaddf(&b, fmt, ap);
        va_end(ap);
        free(r->err_detail);
        r->err_detail = buf_detach(&b, NULL);
    }
    return e;
}

s3_err ap_route(struct s3_req *r, const char *label)
{
    size_t n = label ? strlen(label) : 0;
    if (n > 8 && strcmp(label + n - 8, "-s3alias") == 0)
        return req_fail(r, S3E_NO_SUCH_BUCKET, "No access point has the alias '%s'.", label);
    return S3_OK;
}

/* ------------------------------------------------------------------ harness */

static char *dup_n(const uint8_t *p, size_t n)
{
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, p, n);
        s[n] = 0;
    }
    return s;
}

static void free_req(struct s3_req *r)
{
    for (unsigned i = 0; i < r->n_hdrs; i++) {
        free(r->hdrs[i].name);
        free(r->hdrs[i].value);
    }
    free(r->hdrs);
    free(r->host);
    free(r->bucket);
    free(r->key);
    for (unsigned i = 0; i < r->n_q; i++) {
        free(r->q[i].name);
        free(r->q[i].value);
    }
    free(r->q);
    free(r->err_detail);
    free(r->raw_uri);
}

static void add_hdr(struct s3_req *r, const char *name, const uint8_t *v, size_t n)
{
    struct hdr *h = realloc(r->hdrs, (r->n_hdrs + 1) * sizeof(*h));
    if (h == NULL)
        return;
    r->hdrs = h;
    h[r->n_hdrs].name = strdup(name);
    h[r->n_hdrs].value = dup_n(v, n);
    if (h[r->n_hdrs].name && h[r->n_hdrs].value)
        r->n_hdrs++;
    else {
        free(h[r->n_hdrs].name);
        free(h[r->n_hdrs].value);
    }
}

/* Percent-encoding round trip on arbitrary bytes. */
static void uri_roundtrip(const uint8_t *p, size_t n)
{
    struct s3_buf enc, dec;
    buf_init(&enc, 0);
    buf_init(&dec, 0);
    for (int slash = 0; slash < 2; slash++) {
        buf_reset(&enc);
        buf_reset(&dec);
        if (buf_add_uri_encoded(&enc, (struct s3_str){ (const char *)p, n }, slash) != S3_OK)
            continue;
        if (s3_uri_decode(buf_str(&enc), 0, &dec) != S3_OK || dec.len != n || (n && memcmp(dec.p, p, n) != 0))
            abort();
    }
    buf_release(&enc);
    buf_release(&dec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const methods[] = { "GET", "PUT", "POST", "DELETE", "HEAD", "OPTIONS", "get", "" };
    struct s3_config cfg;
    struct s3_server srv;
    struct s3_req r;
    const uint8_t *line[3] = { NULL, NULL, NULL };
    size_t len[3] = { 0, 0, 0 };
    const uint8_t *p, *end;
    char *domains = NULL, *qm;
    char method[16];
    int n = 0;

    if (size < 1)
        return 0;
    p = data + 1;
    end = data + size;
    while (n < 3 && p <= end) {
        const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
        line[n] = p;
        len[n] = (size_t)((nl ? nl : end) - p);
        n++;
        if (nl == NULL)
            break;
        p = nl + 1;
    }
    if (line[0] == NULL)
        return 0;
    uri_roundtrip(line[0], len[0]);

    memset(&cfg, 0, sizeof(cfg));
    memset(&srv, 0, sizeof(srv));
    memset(&r, 0, sizeof(r));
    domains = line[2] && len[2] ? dup_n(line[2], len[2]) : strdup("localhost,s3.localhost,127.0.0.1,s3.amazonaws.com");
    cfg.domain = domains;
    cfg.account_id = "000000000000";
    srv.cfg = &cfg;
    r.srv = &srv;
    snprintf(method, sizeof(method), "%s", methods[data[0] & 7]);
    r.method = method;

    /* what http.c's req_new does with the request target (a C string: it stops at a NUL) */
    if ((r.raw_uri = dup_n(line[0], len[0])) == NULL)
        goto out;
    qm = strchr(r.raw_uri, '?');
    r.raw_path.p = r.raw_uri;
    r.raw_path.len = qm ? (size_t)(qm - r.raw_uri) : strlen(r.raw_uri);
    r.raw_query.p = qm ? qm + 1 : r.raw_uri + r.raw_path.len;
    r.raw_query.len = qm ? strlen(qm + 1) : 0;
    if ((data[0] & 8) && line[1])
        add_hdr(&r, "host", line[1], len[1]);
    if (data[0] & 16)
        add_hdr(&r, "content-type", (const uint8_t *)"application/x-www-form-urlencoded", 33);

    if (route_request(&r) == S3_OK && r.err == S3_OK) {
        if (r.key && (r.key_len == 0 || r.key_len > 1024 || memchr(r.key, 0, r.key_len)))
            abort();
        if (r.bucket && r.bucket[0] == 0)
            abort();
    }
    for (unsigned i = 0; i < r.n_q; i++)
        if (r.q[i].name == NULL || r.q[i].value == NULL)
            abort();
    (void)req_query(&r, "uploadId");
out:
    free_req(&r);
    free(domains);
    return 0;
}
