/*
 * server/http.c - libmicrohttpd glue and the request pipeline.
 *
 *   uri_log_cb      allocates the request and keeps the raw request target (MHD would
 *                   otherwise hand us only an unescaped path; SigV4 needs the bytes as sent)
 *   access_cb #1    headers known: route -> authenticate -> operation -> authorise; prepare
 *                   the body sink the operation needs.  An error here is answered at once,
 *                   before "100 Continue", so a denied upload never sends its body.
 *   access_cb #2..  body pieces: aws-chunked decoding, digests, into a blob or a buffer
 *   access_cb last  finish digests, check them, run the handler, queue the response
 *   completed_cb    access log line; free everything (also when the client went away)
 */
#include "config.h"
#include "server/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "auth/decision_log.h"
#include "lib/log.h"
#include "server/ap.h"
#include "server/authn.h"
#include "server/errors.h"
#include "server/iam_api.h"
#include "server/ops.h"
#include "server/route.h"

/* Memory per connection (libmicrohttpd's pool: request head, headers and query arguments, read
 * buffer).  It bounds the request head (a larger head gets 431), and libmicrohttpd 0.9.76 clears
 * the whole pool after every request on a keep-alive connection, so its size is paid on every
 * small request and stays resident per connection: 512 KiB cost 15-21% of a small GET's CPU and
 * 8 MB at 16 connections.  128 KiB still takes 16 KB headers and a request with 1,000 query
 * parameters (64 KiB did not); big bodies are unaffected (bench/README.md). */
#define HTTP_CONN_POOL (128 * 1024)

/* Bodies from this size on are hashed on a helper thread (a thread start costs ~30 us). */
#define CKPIPE_MIN_BODY (4u << 20)

enum body_mode { BODY_NONE = 0, BODY_BUFFER, BODY_BLOB };

struct http {
    struct MHD_Daemon *d[2];
    unsigned n;
};

/* ------------------------------------------------------------------ request helpers */

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

int req_has_query(const struct s3_req *r, const char *name) { return req_query(r, name) != NULL; }

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

void resp_header(struct s3_req *r, const char *name, const char *value)
{
    struct resp *rs = &r->resp;
    for (unsigned i = 0; i < rs->n_hdrs; i++)
        if (strcasecmp(rs->hdrs[i].name, name) == 0) {
            char *nv = strdup(value);
            if (nv) {
                free(rs->hdrs[i].value);
                rs->hdrs[i].value = nv;
            }
            return;
        }
    if (rs->n_hdrs >= sizeof(rs->hdrs) / sizeof(rs->hdrs[0]))
        return;
    rs->hdrs[rs->n_hdrs].name = strdup(name);
    rs->hdrs[rs->n_hdrs].value = strdup(value);
    if (rs->hdrs[rs->n_hdrs].name && rs->hdrs[rs->n_hdrs].value)
        rs->n_hdrs++;
    else {
        free(rs->hdrs[rs->n_hdrs].name);
        free(rs->hdrs[rs->n_hdrs].value);
    }
}

void resp_headerf(struct s3_req *r, const char *name, const char *fmt, ...)
{
    char v[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v, sizeof(v), fmt, ap);
    va_end(ap);
    resp_header(r, name, v);
}

time_t req_now(const struct s3_req *r) { return r->srv->fake_now ? r->srv->fake_now : time(NULL); }

static uint64_t req_id_seed_value;

static void req_id_seed(void)
{
    if (RAND_bytes((unsigned char *)&req_id_seed_value, sizeof(req_id_seed_value)) != 1)
        req_id_seed_value = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
}

/* Request ids only need to be unique and unguessable enough to not look sequential, so instead
 * of a DRBG call per request (RAND_bytes locks and fetches: a few % of a small request's CPU)
 * they are a per-process random seed plus an atomic counter, mixed by splitmix64's finaliser
 * (a bijection, so two requests of one process never share an id). */
static void req_id_make(char out[17])
{
    static _Atomic uint64_t counter;
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    static const char hx[] = "0123456789ABCDEF";
    uint64_t z;

    pthread_once(&once, req_id_seed);
    z = req_id_seed_value + 0x9E3779B97F4A7C15ULL * atomic_fetch_add_explicit(&counter, 1, memory_order_relaxed);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    for (int i = 15; i >= 0; i--, z >>= 4)
        out[i] = hx[z & 15];
    out[16] = 0;
}

static struct s3_req *req_new(struct s3_server *srv, const char *uri)
{
    struct s3_req *r = calloc(1, sizeof(*r));
    const char *qm;

    if (r == NULL)
        return NULL;
    r->srv = srv;
    clock_gettime(CLOCK_MONOTONIC, &r->t0);
    req_id_make(r->req_id);
    if ((r->raw_uri = strdup(uri ? uri : "/")) == NULL) {
        free(r);
        return NULL;
    }
    qm = strchr(r->raw_uri, '?');
    r->raw_path.p = r->raw_uri;
    r->raw_path.len = qm ? (size_t)(qm - r->raw_uri) : strlen(r->raw_uri);
    r->raw_query.p = qm ? qm + 1 : r->raw_uri + r->raw_path.len;
    r->raw_query.len = qm ? strlen(qm + 1) : 0;
    r->content_length = UINT64_MAX;
    buf_init(&r->resp.body, 0);
    buf_init(&r->body_buf, (size_t)srv->cfg->max_xml_body);
    return r;
}

static void req_free(struct s3_req *r)
{
    if (r == NULL)
        return;
    free(r->method);
    free(r->raw_uri);
    for (unsigned i = 0; i < r->n_hdrs; i++) {
        free(r->hdrs[i].name);
        free(r->hdrs[i].value);
    }
    free(r->hdrs);
    free(r->sigv_hdrs);
    free(r->host);
    free(r->bucket);
    free(r->key);
    for (unsigned i = 0; i < r->n_q; i++) {
        free(r->q[i].name);
        free(r->q[i].value);
    }
    free(r->q);
    sigv_auth_release(&r->auth);
    buf_release(&r->body_buf);
    stor_blob_abort(r->blob);
    ckpipe_finish(r->ckp);   /* before ck_release: the helper may still be hashing into ck */
    if (r->ck_ready)
        ck_release(&r->ck);
    awschunk_free(r->chunk);
    free(r->err_detail);
    free(r->err_resource);
    free(r->err_region);
    for (unsigned i = 0; i < r->resp.n_hdrs; i++) {
        free(r->resp.hdrs[i].name);
        free(r->resp.hdrs[i].value);
    }
    buf_release(&r->resp.body);
    stor_reader_close(r->resp.reader);
    free(r);
}

/* ------------------------------------------------------------------ headers */

struct hdr_collect {
    struct s3_req *r;
    unsigned cap;
    s3_err err;
};

static enum MHD_Result collect_hdr(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    struct hdr_collect *hc = cls;
    struct s3_req *r = hc->r;
    (void)kind;
    if (r->n_hdrs == hc->cap) {
        unsigned nc = hc->cap ? hc->cap * 2 : 32;
        struct hdr *nh = realloc(r->hdrs, nc * sizeof(*nh));
        if (nh == NULL) {
            hc->err = S3E_NOMEM;
            return MHD_NO;
        }
        r->hdrs = nh;
        hc->cap = nc;
    }
    char *n = strdup(key), *v = strdup(value ? value : "");
    if (n == NULL || v == NULL) {
        free(n);
        free(v);
        hc->err = S3E_NOMEM;
        return MHD_NO;
    }
    for (char *p = n; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p + 32);
    r->hdrs[r->n_hdrs].name = n;
    r->hdrs[r->n_hdrs].value = v;
    r->n_hdrs++;
    return MHD_YES;
}

static s3_err collect_headers(struct MHD_Connection *c, struct s3_req *r)
{
    struct hdr_collect hc = { r, 0, S3_OK };
    MHD_get_connection_values(c, MHD_HEADER_KIND, collect_hdr, &hc);
    if (hc.err != S3_OK)
        return hc.err;
    /* SigV4 needs the names too; lower-cased names are fine since it lower-cases them. */
    if (r->n_hdrs && (r->sigv_hdrs = calloc(r->n_hdrs, sizeof(*r->sigv_hdrs))) == NULL)
        return S3E_NOMEM;
    for (unsigned i = 0; i < r->n_hdrs; i++) {
        r->sigv_hdrs[i].name = s3_cstr(r->hdrs[i].name);
        r->sigv_hdrs[i].value = s3_cstr(r->hdrs[i].value);
    }
    const char *cl = req_header(r, "content-length");
    if (cl && req_header(r, "transfer-encoding")) {
        /* RFC 9112 6.1: such a message may be an attempt at request smuggling; refuse it and
         * close the connection so nothing after it is read as another request. */
        r->close_conn = 1;
        return req_fail(r, S3E_BAD_REQUEST, "A request must not carry both Transfer-Encoding and Content-Length.");
    }
    if (cl) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(cl, &end, 10);
        if (end == cl || *end || errno)
            return req_fail(r, S3E_INVALID_ARGUMENT, "Content-Length is not a number.");
        r->content_length = v;
    }
    const struct sockaddr *sa = (const struct sockaddr *)MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS)
                                    ->client_addr;
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, r->peer, sizeof(r->peer));
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, r->peer, sizeof(r->peer));
    return S3_OK;
}

/* ------------------------------------------------------------------ body */

static s3_err body_sink(void *ud, const void *p, size_t n)
{
    struct s3_req *r = ud;
    s3_err e;

    if (n == 0)
        return S3_OK;
    r->body_bytes += n;
    if (r->ckp)
        ckpipe_feed(r->ckp, p, n);
    else if (r->ck_ready)
        ck_update(&r->ck, p, n);
    switch (r->body_mode) {
    case BODY_BLOB:
        if (r->body_bytes > (uint64_t)r->srv->cfg->max_object)
            return req_fail(r, S3E_ENTITY_TOO_LARGE, "Your proposed upload exceeds the maximum allowed size (%lld bytes).",
                            r->srv->cfg->max_object);
        return stor_blob_write(r->blob, p, n);
    case BODY_BUFFER:
        if ((e = buf_add(&r->body_buf, p, n)) == S3E_TOO_LARGE)
            return req_fail(r, S3E_XML_TOO_LARGE, "The request body exceeds the maximum of %lld bytes.",
                            r->srv->cfg->max_xml_body);
        return e;
    default:
        return S3_OK;
    }
}

static enum ck_alg requested_checksum(struct s3_req *r)
{
    const char *t = req_header(r, "x-amz-trailer");
    const char *a = req_header(r, "x-amz-sdk-checksum-algorithm");
    static const enum ck_alg algs[] = { CK_CRC32, CK_CRC32C, CK_SHA1, CK_SHA256, CK_CRC64NVME };

    if (t && !strncasecmp(t, "x-amz-checksum-", 15))
        return ck_alg_parse(t + 15, strlen(t + 15));
    for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
        if (req_header(r, ck_alg_header(algs[i])))
            return algs[i];
    if (a)
        return ck_alg_parse(a, strlen(a));
    return CK_NONE;
}

/* Decide what happens to the body of this operation and set up the sink. */
static s3_err body_begin(struct s3_req *r)
{
    const char *te = req_header(r, "transfer-encoding");
    unsigned flags = r->op ? r->op->flags : 0;
    int iam = (r->svc == SVC_IAM || r->svc == SVC_STS);
    int streaming = r->auth.payload != SIGV_PAYLOAD_SHA256 && r->auth.payload != SIGV_PAYLOAD_UNSIGNED;
    s3_err e;

    r->body_expected = (r->content_length != UINT64_MAX && r->content_length > 0) || (te != NULL);
    if (iam || (flags & OP_BODY_XML) || r->svc == SVC_S3CONTROL)
        r->body_mode = BODY_BUFFER;
    else if (flags & OP_BODY_BLOB)
        r->body_mode = BODY_BLOB;
    else
        r->body_mode = BODY_NONE;

    if (r->body_mode == BODY_BLOB) {
        if (r->content_length == UINT64_MAX && !streaming && te == NULL)
            return req_fail(r, S3E_MISSING_CONTENT_LENGTH, NULL);
        if (r->content_length != UINT64_MAX && !streaming && r->content_length > (uint64_t)r->srv->cfg->max_object)
            return req_fail(r, S3E_ENTITY_TOO_LARGE, "Your proposed upload (%llu bytes) exceeds the maximum allowed size (%lld bytes).",
                            (unsigned long long)r->content_length, r->srv->cfg->max_object);
        if ((e = stor_blob_new(r->srv->stor, &r->blob)) != S3_OK)
            return req_fail(r, e, NULL);
    }
    if (r->body_mode == BODY_BUFFER && r->content_length != UINT64_MAX &&
        r->content_length > (uint64_t)r->srv->cfg->max_xml_body)
        return req_fail(r, S3E_XML_TOO_LARGE, "The request body (%llu bytes) exceeds the maximum of %lld bytes.",
                        (unsigned long long)r->content_length, r->srv->cfg->max_xml_body);

    r->body_ck_alg = requested_checksum(r);
    if ((e = ck_init(&r->ck, r->body_mode == BODY_BLOB || req_header(r, "content-md5") != NULL,
                     !streaming && (r->auth.payload == SIGV_PAYLOAD_SHA256 || iam), r->body_ck_alg)) != S3_OK)
        return req_fail(r, e, NULL);
    r->ck_ready = 1;
    /* A big object body is hashed on a helper thread while this one encrypts and writes it
     * (MD5 alone runs at about 715 MB/s here, the encryption and the write about as fast again). */
    if (r->body_mode == BODY_BLOB && r->content_length != UINT64_MAX && r->content_length >= CKPIPE_MIN_BODY &&
        ckpipe_start(&r->ck, &r->ckp) != S3_OK)
        r->ckp = NULL;   /* hashed inline instead */
    if (streaming) {
        if ((e = awschunk_new(&r->auth, body_sink, r, &r->chunk)) != S3_OK)
            return req_fail(r, e, NULL);
    }
    return S3_OK;
}

static s3_err body_feed(struct s3_req *r, const char *p, size_t n)
{
    s3_err e;
    if (r->chunk) {
        if ((e = awschunk_feed(r->chunk, p, n)) != S3_OK)
            return req_fail(r, e, "%s", awschunk_detail(r->chunk));
        return r->err;
    }
    if ((e = body_sink(r, p, n)) != S3_OK)
        return req_fail(r, e, NULL);
    return r->err;
}

/* Compare a base64 digest sent by the client with the one computed. */
static s3_err check_b64(struct s3_req *r, const char *sent, const unsigned char *raw, size_t n, s3_err bad,
                        const char *what)
{
    unsigned char dec[64];
    long dl = s3_base64_decode(s3_cstr(sent), dec, sizeof(dec));
    if (dl != (long)n) {
        if (bad == S3E_BAD_DIGEST)
            return req_fail(r, S3E_INVALID_DIGEST, "The Content-MD5 you specified is not a valid base64 MD5.");
        return req_fail(r, S3E_INVALID_REQUEST, "Value for %s header is invalid.", what);
    }
    if (CRYPTO_memcmp(dec, raw, n) != 0) {
        if (bad == S3E_BAD_DIGEST)
            return req_fail(r, bad, NULL);
        return req_fail(r, bad, "The %s you specified did not match the calculated checksum.", what);
    }
    return S3_OK;
}

static s3_err body_finish(struct s3_req *r)
{
    s3_err e;
    const char *v;

    if (r->chunk) {
        const char *dcl = req_header(r, "x-amz-decoded-content-length");
        if ((e = awschunk_finish(r->chunk)) != S3_OK)
            return req_fail(r, e, "%s", awschunk_detail(r->chunk));
        if (dcl && strtoull(dcl, NULL, 10) != awschunk_decoded_len(r->chunk))
            return req_fail(r, S3E_INCOMPLETE_BODY, "x-amz-decoded-content-length says %s bytes but the chunks held %llu.",
                            dcl, (unsigned long long)awschunk_decoded_len(r->chunk));
    } else if (r->content_length != UINT64_MAX && r->body_bytes != r->content_length && r->body_mode != BODY_NONE) {
        return req_fail(r, S3E_INCOMPLETE_BODY, NULL);
    }
    if (!r->ck_ready)
        return S3_OK;
    ckpipe_finish(r->ckp);
    r->ckp = NULL;
    ck_final(&r->ck, r->body_md5, r->body_sha256, r->body_alg);
    if (r->auth.payload == SIGV_PAYLOAD_SHA256 && r->auth.payload_sha256[0] && !r->chunk) {
        char hex[65];
        s3_hex(r->body_sha256, 32, hex);
        if (strcasecmp(hex, r->auth.payload_sha256) != 0)
            return req_fail(r, S3E_CONTENT_SHA_MISMATCH,
                            "The provided 'x-amz-content-sha256' header (%s) does not match what was computed (%s).",
                            r->auth.payload_sha256, hex);
    }
    if ((v = req_header(r, "content-md5")) != NULL && (e = check_b64(r, v, r->body_md5, 16, S3E_BAD_DIGEST, "Content-MD5")) != S3_OK)
        return e;
    if (r->body_ck_alg != CK_NONE) {
        const char *hn = ck_alg_header(r->body_ck_alg);
        const char *sent = req_header(r, hn);
        size_t rl = ck_alg_len(r->body_ck_alg);
        struct s3_buf b64;
        if (sent == NULL && r->chunk)
            sent = awschunk_trailer(r->chunk, hn);
        if (sent && (e = check_b64(r, sent, r->body_alg, rl, S3E_CHECKSUM_MISMATCH, ck_alg_name(r->body_ck_alg))) != S3_OK)
            return e;
        buf_init(&b64, 128);
        buf_add_base64(&b64, r->body_alg, rl);
        snprintf(r->body_alg_b64, sizeof(r->body_alg_b64), "%s", b64.p ? b64.p : "");
        buf_release(&b64);
    }
    return S3_OK;
}

/* ------------------------------------------------------------------ responses */

struct stream_ctx {
    struct stor_reader *reader;
    uint64_t off;
};

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct stream_ctx *sc = cls;
    ssize_t n = stor_reader_pread(sc->reader, buf, max, sc->off + pos);
    if (n < 0)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    if (n == 0)
        return MHD_CONTENT_READER_END_OF_STREAM;
    return n;
}

static void stream_free(void *cls)
{
    struct stream_ctx *sc = cls;
    stor_reader_close(sc->reader);
    free(sc);
}

/* HEAD responses announce the object's length; MHD never asks for the bytes. */
static ssize_t no_body(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)cls;
    (void)pos;
    (void)buf;
    (void)max;
    return MHD_CONTENT_READER_END_OF_STREAM;
}

static enum MHD_Result queue_response(struct MHD_Connection *c, struct s3_req *r)
{
    struct MHD_Response *resp = NULL;
    enum MHD_Result ret;

    if (r->err != S3_OK) {
        stor_reader_close(r->resp.reader);
        r->resp.reader = NULL;
        errors_render(r);
    }
    if (r->resp.status == 0)
        r->resp.status = 200;
    r->resp_bytes = r->resp.head_only || !strcmp(r->method, "HEAD") ? 0 : r->resp.reader ? r->resp.len : r->resp.body.len;
    if (r->resp.head_only && r->err == S3_OK) {
        resp = MHD_create_response_from_callback(r->resp.len, 4096, no_body, NULL, NULL);
    } else if (r->resp.reader) {
        struct stream_ctx *sc = malloc(sizeof(*sc));
        if (sc) {
            sc->reader = r->resp.reader;
            sc->off = r->resp.off;
            /* MHD allocates (and clears) a block of this size per response: a 4 KiB object
             * needs no 256 KiB block. */
            size_t blk = r->resp.len < 4096 ? 4096 : r->resp.len < 256 * 1024 ? (size_t)r->resp.len : 256 * 1024;
            resp = MHD_create_response_from_callback(r->resp.len, blk, stream_read, sc, stream_free);
            if (resp)
                r->resp.reader = NULL;   /* owned by the response now */
            else
                free(sc);
        }
    } else {
        size_t len = 0;
        char *body = buf_detach(&r->resp.body, &len);
        if (body)
            resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
        if (resp == NULL)
            free(body);
    }
    if (resp == NULL)
        return MHD_NO;
    for (unsigned i = 0; i < r->resp.n_hdrs; i++)
        MHD_add_response_header(resp, r->resp.hdrs[i].name, r->resp.hdrs[i].value);
    if (r->close_conn)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    MHD_add_response_header(resp, "x-amz-request-id", r->req_id);
    MHD_add_response_header(resp, "x-amz-id-2", r->req_id);
    MHD_add_response_header(resp, "Server", "s3iam");
    ret = MHD_queue_response(c, (unsigned)r->resp.status, resp);
    MHD_destroy_response(resp);
    r->done = 1;
    return ret;
}

/* GET /_s3iam/decisions: the recent authorization decisions, newest first, for the account's
 * root user (signed), or for unsigned loopback callers when decisions-open is set. */
static s3_err serve_decisions(struct s3_req *r)
{
    struct dlog_filter f;
    const char *v;
    char *json;
    int loopback = !strcmp(r->peer, "127.0.0.1") || !strcmp(r->peer, "::1");

    if (strcmp(r->method, "GET") != 0)
        return req_fail(r, S3E_METHOD_NOT_ALLOWED, "Only GET is allowed on /_s3iam/decisions.");
    if (r->who.kind != PRIN_ROOT && !(r->who.kind == PRIN_ANONYMOUS && loopback && r->srv->cfg->decisions_open))
        return req_fail(r, S3E_ACCESS_DENIED, "Only the account root user may read /_s3iam/decisions (sign the "
                                              "request, or start s3iamd with --decisions-open to allow unsigned "
                                              "requests from loopback).");
    memset(&f, 0, sizeof(f));
    f.principal = req_query(r, "principal");
    f.decision = req_query(r, "decision");
    f.bucket = req_query(r, "bucket");
    f.action = req_query(r, "action");
    f.request_id = req_query(r, "request_id");
    if (f.decision && strcasecmp(f.decision, "Allow") && strcasecmp(f.decision, "ExplicitDeny") &&
        strcasecmp(f.decision, "ImplicitDeny") && strcasecmp(f.decision, "deny"))
        return req_fail(r, S3E_INVALID_ARGUMENT, "decision must be Allow, ExplicitDeny, ImplicitDeny or deny.");
    if ((v = req_query(r, "limit")) != NULL) {
        char *end;
        long n = strtol(v, &end, 10);
        if (*end || n < 1 || n > 100000)
            return req_fail(r, S3E_INVALID_ARGUMENT, "limit must be a number from 1 to 100000.");
        f.limit = (size_t)n;
    }
    if ((v = req_query(r, "since")) != NULL) {
        char *end;
        long long n = strtoll(v, &end, 10);
        if (*end || n < 0)
            return req_fail(r, S3E_INVALID_ARGUMENT, "since must be milliseconds since the epoch.");
        f.since_ms = n;
    }
    if ((json = dlog_query_json(r->srv->dlog, &f)) == NULL)
        return S3E_NOMEM;
    buf_adds(&r->resp.body, json);
    buf_addc(&r->resp.body, '\n');
    free(json);
    resp_header(r, "Content-Type", "application/json");
    return S3_OK;
}

static s3_err serve_health(struct s3_req *r)
{
    buf_addf(&r->resp.body, "{\"status\":\"ok\",\"service\":\"s3iam\",\"version\":\"%s\",\"uptime_s\":%lld}\n",
             PACKAGE_VERSION, (long long)(time(NULL) - r->srv->started));
    resp_header(r, "Content-Type", "application/json");
    return S3_OK;
}

/* ------------------------------------------------------------------ MHD callbacks */

/*
 * libmicrohttpd allocates nothing for us, but uri_log_cb runs before it has accepted the
 * request: when it then refuses it (431 for oversized headers...), neither access_cb nor
 * completed_cb ever sees the request.  Each connection therefore remembers the request it is
 * working on, and frees a leftover one when the next request starts or the connection closes.
 */
struct conn_ctx {
    struct s3_req *pending;
};

static struct conn_ctx *conn_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static void *uri_log_cb(void *cls, const char *uri, struct MHD_Connection *c)
{
    struct conn_ctx *cc = conn_of(c);
    struct s3_req *r = req_new(cls, uri);
    if (cc) {
        req_free(cc->pending);   /* a request libmicrohttpd refused on its own */
        cc->pending = r;
    }
    return r;
}

static void conn_cb(void *cls, struct MHD_Connection *c, void **socket_context, enum MHD_ConnectionNotificationCode toe)
{
    (void)cls;
    (void)c;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        *socket_context = calloc(1, sizeof(struct conn_ctx));
    } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        struct conn_ctx *cc = *socket_context;
        if (cc) {
            req_free(cc->pending);
            free(cc);
        }
        *socket_context = NULL;
    }
}

/*
 * The credential scope must name this service and, for a bucket, the bucket's region, as S3
 * insists: "the region 'eu-west-1' is wrong; expecting 'us-east-1'".  The answer carries
 * x-amz-bucket-region, from which the SDKs re-sign for the right region on their own.
 * CreateBucket may be signed for the server's region or for the new bucket's.  Service-level
 * requests (ListBuckets) are accepted from any region, as on AWS.
 */
static s3_err check_scope(struct s3_req *r)
{
    int v4 = r->auth.kind == SIGV4_HEADER || r->auth.kind == SIGV4_QUERY;
    s3_err malformed = r->auth.kind == SIGV4_QUERY ? S3E_AUTH_QUERY_MALFORMED : S3E_AUTH_MALFORMED;
    struct stor_bucket b;

    if (!v4)
        return S3_OK;
    if (strcmp(r->auth.service, "s3") != 0)
        return req_fail(r, malformed, "The authorization header is malformed; the service '%s' is wrong; expecting 's3'.",
                        r->auth.service);
    if (r->bucket == NULL || (r->op && !strcmp(r->op->name, "CreateBucket")))
        return S3_OK;
    if (stor_bucket_get(r->srv->stor, r->bucket, &b) != S3_OK)
        return S3_OK;            /* NoSuchBucket comes later, from the handler */
    if (strcmp(b.region, r->auth.region) != 0) {
        resp_header(r, "x-amz-bucket-region", b.region);
        free(r->err_region);
        r->err_region = strdup(b.region);
        req_fail(r, malformed, "The authorization header is malformed; the region '%s' is wrong; expecting '%s'",
                 r->auth.region, b.region);
        stor_bucket_release(&b);
        return malformed;
    }
    stor_bucket_release(&b);
    return S3_OK;
}

/* First call: everything that can be decided from the headers. */
static s3_err begin_request(struct MHD_Connection *c, struct s3_req *r, const char *method)
{
    s3_err e;

    if ((r->method = strdup(method)) == NULL)
        return S3E_NOMEM;
    if ((e = collect_headers(c, r)) != S3_OK)
        return req_fail(r, e, NULL);
    if ((e = route_request(r)) != S3_OK)
        return req_fail(r, e, NULL);
    if (r->svc == SVC_HEALTH)
        return S3_OK;
    if ((e = authn_begin(r)) != S3_OK)
        return req_fail(r, e, NULL);
    switch (r->svc) {
    case SVC_S3:
        if ((e = ops_s3_route(r)) != S3_OK)
            return req_fail(r, e, NULL);
        if ((e = check_scope(r)) != S3_OK)
            return e;
        if ((e = authz_s3(r)) != S3_OK)
            return req_fail(r, e, NULL);
        break;
    case SVC_S3CONTROL:
        if (r->who.kind == PRIN_ANONYMOUS)
            return req_fail(r, S3E_ACCESS_DENIED, "S3 Control requests must be signed.");
        break;
    default:
        break;
    }
    return body_begin(r);
}

static s3_err run_request(struct s3_req *r)
{
    s3_err e;
    if ((e = body_finish(r)) != S3_OK)
        return e;
    if ((e = authn_finish(r)) != S3_OK)
        return req_fail(r, e, NULL);
    switch (r->svc) {
    case SVC_HEALTH:
        return serve_health(r);
    case SVC_DECISIONS:
        return req_fail(r, serve_decisions(r), NULL);
    case SVC_IAM:
    case SVC_STS:
        return req_fail(r, query_api_dispatch(r), NULL);
    case SVC_S3:
        return req_fail(r, r->op->handler(r), NULL);
    case SVC_S3CONTROL:
        return req_fail(r, s3control_dispatch(r), NULL);
    default:
        return req_fail(r, S3E_NOT_IMPLEMENTED, NULL);
    }
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                 const char *version, const char *upload_data, size_t *upload_data_size,
                                 void **req_cls)
{
    struct s3_req *r = *req_cls;
    (void)cls;
    (void)url;
    (void)version;

    if (r == NULL)
        return MHD_NO;
    if (r->method == NULL) {
        if (begin_request(c, r, method) != S3_OK)
            return queue_response(c, r);   /* answered before the body (and before 100-continue) */
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (r->err == S3_OK && !r->done)
            body_feed(r, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (r->done)
        return MHD_YES;
    if (r->err == S3_OK)
        run_request(r);
    return queue_response(c, r);
}

static void completed_cb(void *cls, struct MHD_Connection *c, void **req_cls, enum MHD_RequestTerminationCode toe)
{
    struct s3_req *r = *req_cls;
    struct s3_server *srv = cls;
    struct conn_ctx *cc = conn_of(c);
    if (r == NULL)
        return;
    if (cc && cc->pending == r)
        cc->pending = NULL;      /* freed below */
    if (srv->cfg->access_log && r->method) {
        struct timespec t1;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double ms = (double)(t1.tv_sec - r->t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - r->t0.tv_nsec) / 1e6;
        log_info("%s %.*s %d in=%llu out=%llu %.2fms %s op=%s id=%s%s%s%s", r->method,
                 (int)(r->raw_path.len > 200 ? 200 : r->raw_path.len), r->raw_path.p, r->resp.status ? r->resp.status : 0,
                 (unsigned long long)r->body_bytes, (unsigned long long)r->resp_bytes, ms,
                 r->who.arn[0] ? r->who.arn : "anonymous", r->op ? r->op->name : (r->svc == SVC_HEALTH ? "Health" : "-"),
                 r->req_id, r->err ? " err=" : "", r->err ? err_code(r->err) : "",
                 toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (connection closed early)");
    }
    req_free(r);
    *req_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    (void)cls;
    vsnprintf(line, sizeof(line), fmt, ap);
    size_t n = strlen(line);
    while (n && line[n - 1] == '\n')
        line[--n] = 0;
    log_warn("http: %s", line);
}

/* Worker threads of one listener; 0 means a thread per connection.  "auto" (-1) picks a pool of
 * threads that each poll(2) their connections: handlers never wait on the network, but they do block on the disk (blob files, SQLite
 * commits, and with --fsync on every sync), so the pool is larger than the core count: twice the
 * cores, at least 4; with --fsync, enough threads for 16 commits to queue behind one WAL sync.
 * Measured in bench/README.md ("Design choices"). */
static unsigned pool_size(const struct s3_config *cfg)
{
    long n, cores;

    if (cfg->threads >= 0)
        return (unsigned)cfg->threads;
    cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < 1)
        cores = 1;
    n = cfg->fsync ? 8 * cores : 2 * cores;
    if (n < (cfg->fsync ? 16 : 4))
        n = cfg->fsync ? 16 : 4;
    return n > 64 ? 64 : (unsigned)n;
}

static struct MHD_Daemon *start_one(struct s3_server *srv, const struct sockaddr *sa, int v6, char *err, size_t errlen)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    struct MHD_Daemon *d;
    uint16_t port = v6 ? ntohs(((const struct sockaddr_in6 *)(const void *)sa)->sin6_port)
                       : ntohs(((const struct sockaddr_in *)(const void *)sa)->sin_port);

    unsigned threads = pool_size(srv->cfg);

    if (v6)
        flags |= MHD_USE_IPv6;
    /* poll, not epoll: libmicrohttpd 0.9.76's epoll mode leaves a connection it refused with 431
     * (request head too big) open and silent until the timeout instead of answering and closing. */
    if (threads > 0)
        flags |= MHD_USE_POLL;
    else
        flags |= MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL;
    d = MHD_start_daemon(flags, port, NULL, NULL, access_cb, srv,
                         MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
                         MHD_OPTION_SOCK_ADDR, sa,
                         MHD_OPTION_URI_LOG_CALLBACK, uri_log_cb, srv,
                         MHD_OPTION_NOTIFY_COMPLETED, completed_cb, srv,
                         MHD_OPTION_NOTIFY_CONNECTION, conn_cb, srv,
                         MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONN_POOL,
                         MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)300,
                         threads > 0 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, threads, MHD_OPTION_END);
    if (d == NULL)
        snprintf(err, errlen, "cannot listen on %s port %u: %s", v6 ? "IPv6" : "IPv4", port,
                 errno ? strerror(errno) : "unknown error");
    return d;
}

s3_err http_start(struct s3_server *srv, struct http **out, char *err, size_t errlen)
{
    struct http *h = calloc(1, sizeof(*h));
    char host[256];
    const char *listen = srv->cfg->listen, *colon = strrchr(listen, ':');
    long port;
    char *end;

    *out = NULL;
    if (h == NULL)
        return S3E_NOMEM;
    port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535 || (size_t)(colon - listen) >= sizeof(host)) {
        snprintf(err, errlen, "bad listen address '%s' (want ADDR:PORT)", listen);
        free(h);
        return S3E_INVALID_ARGUMENT;
    }
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = 0;
    if (host[0] == '[') {
        memmove(host, host + 1, strlen(host));
        host[strcspn(host, "]")] = 0;
    }

    struct sockaddr_in s4 = { 0 };
    struct sockaddr_in6 s6 = { 0 };
    s4.sin_family = AF_INET;
    s4.sin_port = htons((uint16_t)port);
    s6.sin6_family = AF_INET6;
    s6.sin6_port = htons((uint16_t)port);
    int want4 = 0, want6 = 0;
    if (!strcmp(host, "localhost") || host[0] == 0) {
        inet_pton(AF_INET, "127.0.0.1", &s4.sin_addr);
        s6.sin6_addr = in6addr_loopback;
        want4 = want6 = 1;
    } else if (inet_pton(AF_INET, host, &s4.sin_addr) == 1) {
        want4 = 1;
    } else if (inet_pton(AF_INET6, host, &s6.sin6_addr) == 1) {
        want6 = 1;
    } else {
        snprintf(err, errlen, "listen address '%s' must be localhost, an IPv4 or an IPv6 address", host);
        free(h);
        return S3E_INVALID_ARGUMENT;
    }
    if (want4 && (h->d[h->n] = start_one(srv, (const struct sockaddr *)&s4, 0, err, errlen)) != NULL)
        h->n++;
    else if (want4) {
        http_stop(h);
        return S3E_INTERNAL;
    }
    if (want6) {
        /* With port 0 the IPv6 socket takes the port the IPv4 one got. */
        if (want4 && port == 0) {
            const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->d[0], MHD_DAEMON_INFO_BIND_PORT);
            if (di)
                s6.sin6_port = htons(di->port);
        }
        if ((h->d[h->n] = start_one(srv, (const struct sockaddr *)&s6, 1, err, errlen)) != NULL)
            h->n++;
        else if (!want4 || strcmp(host, "localhost") != 0) {
            http_stop(h);
            return S3E_INTERNAL;
        } else {
            log_warn("IPv6 loopback unavailable (%s); serving 127.0.0.1 only", err);
        }
    }
    *out = h;
    return S3_OK;
}

unsigned http_port(const struct http *h)
{
    const union MHD_DaemonInfo *di;
    if (h == NULL || h->n == 0)
        return 0;
    di = MHD_get_daemon_info(h->d[0], MHD_DAEMON_INFO_BIND_PORT);
    return di ? di->port : 0;
}

void http_stop(struct http *h)
{
    if (h == NULL)
        return;
    for (unsigned i = 0; i < h->n; i++)
        MHD_stop_daemon(h->d[i]);
    free(h);
}
