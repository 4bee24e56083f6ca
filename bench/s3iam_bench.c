/*
 * bench/s3iam_bench.c - s3iam-bench: an S3 load generator for any endpoint.
 *
 * Built apart from the daemon (`make bench`, pkg-config libcurl libcrypto) so that the main build never
 * needs libcurl.  Requests are signed here with SigV4 (OpenSSL HMAC/SHA-256) rather than with libcurl's
 * CURLOPT_AWS_SIGV4: libcurl 7.88 signs an empty "Expect:" header that it then does not send, so with it a
 * PUT either pays the 100-continue round trip or fails signature checks; signing here also lets the
 * big-object PUT carry a precomputed payload hash or UNSIGNED-PAYLOAD.
 *
 * Commands (see usage()):
 *   launch -- CMD ARGS...   start a server, poll a signed ListBuckets until it answers 200, print the time
 *                           from fork to that answer and the pid, and leave the server running.
 *   run                     the load; prints one "name value" line per figure on stdout, progress on stderr.
 *
 * Small-object tests are time-bounded (--duration): PUT, GET and HEAD of 4 KiB objects at concurrency 1 and
 * 16, driven by one curl multi handle in one thread (the machine has 2 cores; the client must stay cheap).
 * Latency is measured per request, from hand-off to curl to completion.
 */
#include "config.h"

#include <curl/curl.h>
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#define SMALL_SIZE 4096
#define MAX_CONC 64
#define ERR_SHOW 5 /* failed requests printed in full per test */

/* ---------------------------------------------------------------- options */

struct opts {
    const char *endpoint;  /* http://host:port, no trailing slash */
    const char *akid, *secret, *region, *bucket;
    const char *sse;       /* value of x-amz-server-side-encryption on PUT; "" sends none */
    const char *tests;     /* comma list: small,big,list,populate */
    const char *log_path;  /* launch: server stdout/stderr */
    const char *prefix;    /* populate: key prefix */
    double duration;       /* seconds per small-object test */
    long big_mib, list_keys, populate;
    size_t object_size;    /* populate: bytes per object (at most SMALL_SIZE) */
    long pid;              /* server pid for RSS sampling, 0: none */
    int conc_hi;
};

static char host_hdr[256]; /* host[:port] exactly as sent and signed */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("s3iam-bench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        die("out of memory (%zu bytes)", n);
    return p;
}

/* ---------------------------------------------------------------- SigV4 */

struct signer {
    char date8[9];          /* date the key below was derived for */
    unsigned char key[32];  /* kSigning for date8/region/s3 */
};

static void hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;
    for (i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = 0;
}

static void hmac(const void *key, size_t klen, const char *msg, unsigned char out[32])
{
    unsigned int len = 32;
    if (HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, strlen(msg), out, &len) == NULL)
        die("HMAC-SHA256 failed");
}

static void sha256_hex(const void *data, size_t n, char out[65])
{
    unsigned char md[32];
    SHA256(data, n, md);
    hex(md, 32, out);
}

/* Append "%XX"-encoded s to out (RFC 3986 unreserved kept; '/' kept when keep_slash). */
static size_t uri_encode(const char *s, int keep_slash, char *out, size_t cap)
{
    static const char digits[] = "0123456789ABCDEF";
    size_t o = 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        int plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_' || c == '.' || c == '~' || (keep_slash && c == '/');
        if (o + 4 >= cap)
            die("URI too long");
        if (plain)
            out[o++] = (char)c;
        else {
            out[o++] = '%';
            out[o++] = digits[c >> 4];
            out[o++] = digits[c & 15];
        }
    }
    out[o] = 0;
    return o;
}

/*
 * Build the signed headers of one request into a new curl list (caller frees).  path is the canonical
 * (already encoded) URI, query the canonical query string ("" for none), payload the value of
 * x-amz-content-sha256, sse the x-amz-server-side-encryption value or NULL.
 */
static struct curl_slist *sign(struct signer *sg, const struct opts *o, const char *method, const char *path,
                               const char *query, const char *payload, const char *sse)
{
    char amzdate[17], date8[9], creq[12288], sts[512], creq_hash[65], sig_hex[65], line[1024];
    unsigned char sig[32];
    struct curl_slist *h = NULL;
    time_t t = time(NULL);
    struct tm tm;
    const char *signed_hdrs = sse ? "host;x-amz-content-sha256;x-amz-date;x-amz-server-side-encryption"
                                  : "host;x-amz-content-sha256;x-amz-date";
    int n;

    gmtime_r(&t, &tm);
    strftime(amzdate, sizeof(amzdate), "%Y%m%dT%H%M%SZ", &tm);
    memcpy(date8, amzdate, 8);
    date8[8] = 0;
    if (strcmp(date8, sg->date8) != 0) {
        /* kSigning changes once a day: derive it then, not per request. */
        unsigned char k1[32], k2[32], k3[32];
        char first[300];
        snprintf(first, sizeof(first), "AWS4%s", o->secret);
        hmac(first, strlen(first), date8, k1);
        hmac(k1, 32, o->region, k2);
        hmac(k2, 32, "s3", k3);
        hmac(k3, 32, "aws4_request", sg->key);
        memcpy(sg->date8, date8, 9);
    }
    n = snprintf(creq, sizeof(creq), "%s\n%s\n%s\nhost:%s\nx-amz-content-sha256:%s\nx-amz-date:%s\n%s%s%s\n%s\n%s",
                 method, path, query, host_hdr, payload, amzdate, sse ? "x-amz-server-side-encryption:" : "",
                 sse ? sse : "", sse ? "\n" : "", signed_hdrs, payload);
    if (n < 0 || (size_t)n >= sizeof(creq))
        die("canonical request too long");
    sha256_hex(creq, (size_t)n, creq_hash);
    snprintf(sts, sizeof(sts), "AWS4-HMAC-SHA256\n%s\n%s/%s/s3/aws4_request\n%s", amzdate, date8, o->region,
             creq_hash);
    hmac(sg->key, 32, sts, sig);
    hex(sig, 32, sig_hex);

#define ADD(...)                                                                                                  \
    do {                                                                                                          \
        struct curl_slist *nh;                                                                                    \
        snprintf(line, sizeof(line), __VA_ARGS__);                                                                \
        if ((nh = curl_slist_append(h, line)) == NULL)                                                            \
            die("out of memory");                                                                                 \
        h = nh;                                                                                                   \
    } while (0)
    ADD("Host: %s", host_hdr);
    ADD("x-amz-date: %s", amzdate);
    ADD("x-amz-content-sha256: %s", payload);
    if (sse)
        ADD("x-amz-server-side-encryption: %s", sse);
    ADD("Authorization: AWS4-HMAC-SHA256 Credential=%s/%s/%s/s3/aws4_request, SignedHeaders=%s, Signature=%s",
        o->akid, date8, o->region, signed_hdrs, sig_hex);
    /* No 100-continue round trip: the bench measures the server, and every body here is expected. */
    ADD("Expect:");
#undef ADD
    return h;
}

static const char EMPTY_SHA256[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/* ---------------------------------------------------------------- RSS sampling */

static long read_status_kb(long pid, const char *field)
{
    char path[64], line[256];
    size_t flen = strlen(field);
    long kb = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%ld/status", pid);
    if ((f = fopen(path, "r")) == NULL)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (!strncmp(line, field, flen) && line[flen] == ':') {
            kb = strtol(line + flen + 1, NULL, 10);
            break;
        }
    fclose(f);
    return kb;
}

/* CPU seconds (user + system) this process has used so far. */
static double self_cpu_s(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

/* CPU time (user + system, all threads) used so far by pid, in seconds; -1 if unknown. */
static double proc_cpu_s(long pid)
{
    char path[64], line[1024], *p;
    unsigned long long ut = 0, st = 0;
    FILE *f;
    int ok;

    if (pid <= 0)
        return -1;
    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    if ((f = fopen(path, "r")) == NULL)
        return -1;
    ok = fgets(line, sizeof(line), f) != NULL;
    fclose(f);
    /* Fields 14 and 15 (utime, stime), counted after the ")" that ends the command name. */
    if (!ok || (p = strrchr(line, ')')) == NULL ||
        sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

struct sampler {
    long pid;
    atomic_int stop;
    atomic_long max_kb;
    pthread_t thr;
};

static void *sampler_main(void *arg)
{
    struct sampler *s = arg;
    const struct timespec step = { 0, 5 * 1000 * 1000 };
    while (!atomic_load(&s->stop)) {
        long kb = read_status_kb(s->pid, "VmRSS");
        if (kb > atomic_load(&s->max_kb))
            atomic_store(&s->max_kb, kb);
        nanosleep(&step, NULL);
    }
    return NULL;
}

static void sampler_start(struct sampler *s, long pid)
{
    s->pid = pid;
    atomic_init(&s->stop, 0);
    atomic_init(&s->max_kb, -1);
    if (pid > 0 && pthread_create(&s->thr, NULL, sampler_main, s) != 0)
        die("pthread_create failed");
}

/* Stop sampling; returns the largest VmRSS seen, in kB, or -1. */
static long sampler_stop(struct sampler *s)
{
    if (s->pid <= 0)
        return -1;
    atomic_store(&s->stop, 1);
    pthread_join(s->thr, NULL);
    return atomic_load(&s->max_kb);
}

/* ---------------------------------------------------------------- transfers */

enum op { OP_PUT, OP_GET, OP_HEAD };
static const char *const op_names[] = { "put", "get", "head" };

struct growbuf {
    char *p;
    size_t len, cap;
};

struct xfer {
    CURL *h;
    struct curl_slist *hdrs;
    const char *body;         /* upload source */
    size_t body_len, body_off;
    const unsigned char *expect; /* GET: bytes the body must equal, or NULL */
    size_t got;               /* response body bytes received */
    long mismatch;            /* GET: bytes that differed from expect */
    char err[512];            /* first bytes of the response body, for error reports */
    size_t err_len;
    struct growbuf *keep;  /* list: whole body kept here */
    double t0;
};

static size_t on_read(char *dst, size_t size, size_t nmemb, void *arg)
{
    struct xfer *x = arg;
    size_t n = size * nmemb, left = x->body_len - x->body_off;
    if (n > left)
        n = left;
    memcpy(dst, x->body + x->body_off, n);
    x->body_off += n;
    return n;
}

static size_t on_write(char *src, size_t size, size_t nmemb, void *arg)
{
    struct xfer *x = arg;
    size_t n = size * nmemb;

    if (x->expect != NULL) {
        if (memcmp(src, x->expect + x->got, n) != 0)
            x->mismatch++;
    }
    if (x->keep != NULL) {
        if (x->keep->len + n + 1 > x->keep->cap) {
            size_t cap = (x->keep->len + n + 1) * 2;
            char *p = realloc(x->keep->p, cap);
            if (p == NULL)
                return 0;
            x->keep->p = p;
            x->keep->cap = cap;
        }
        memcpy(x->keep->p + x->keep->len, src, n);
        x->keep->len += n;
        x->keep->p[x->keep->len] = 0;
    }
    if (x->err_len < sizeof(x->err) - 1) {
        size_t c = sizeof(x->err) - 1 - x->err_len;
        if (c > n)
            c = n;
        memcpy(x->err + x->err_len, src, c);
        x->err_len += c;
        x->err[x->err_len] = 0;
    }
    x->got += n;
    return n;
}

static void xfer_init(struct xfer *x)
{
    memset(x, 0, sizeof(*x));
    if ((x->h = curl_easy_init()) == NULL)
        die("curl_easy_init failed");
    curl_easy_setopt(x->h, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(x->h, CURLOPT_READDATA, x);
    curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(x->h, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(x->h, CURLOPT_PRIVATE, x);
    curl_easy_setopt(x->h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(x->h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(x->h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(x->h, CURLOPT_TIMEOUT, 120L);
}

static void xfer_free(struct xfer *x)
{
    curl_slist_free_all(x->hdrs);
    x->hdrs = NULL;
    if (x->h)
        curl_easy_cleanup(x->h);
    x->h = NULL;
}

/*
 * Prepare x for one request: method op on /bucket/key (key NULL: the bucket; query "" or canonical query).
 * body/len: PUT source.  payload: the x-amz-content-sha256 value; NULL computes SHA-256 of the body.
 */
static void xfer_setup(struct xfer *x, struct signer *sg, const struct opts *o, enum op op, const char *key,
                       const char *query, const char *body, size_t len, const char *payload)
{
    char path[1024], url[10240], hash[65];
    size_t pl;

    pl = (size_t)snprintf(path, sizeof(path), "/%s", o->bucket);
    if (key != NULL) {
        path[pl++] = '/';
        uri_encode(key, 1, path + pl, sizeof(path) - pl);
    }
    snprintf(url, sizeof(url), "%s%s%s%s", o->endpoint, path, query[0] ? "?" : "", query);
    if (op == OP_PUT && payload == NULL) {
        sha256_hex(body, len, hash);
        payload = hash;
    } else if (payload == NULL)
        payload = EMPTY_SHA256;
    curl_slist_free_all(x->hdrs);
    x->hdrs = sign(sg, o, op == OP_PUT ? "PUT" : op == OP_GET ? "GET" : "HEAD", path, query, payload,
                   op == OP_PUT && o->sse[0] ? o->sse : NULL);
    curl_easy_setopt(x->h, CURLOPT_URL, url);
    curl_easy_setopt(x->h, CURLOPT_HTTPHEADER, x->hdrs);
    x->got = 0;
    x->mismatch = 0;
    x->err_len = 0;
    x->err[0] = 0;
    x->body = body;
    x->body_len = len;
    x->body_off = 0;
    switch (op) {
    case OP_PUT:
        curl_easy_setopt(x->h, CURLOPT_NOBODY, 0L);
        curl_easy_setopt(x->h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(x->h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
        break;
    case OP_GET:
        curl_easy_setopt(x->h, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(x->h, CURLOPT_NOBODY, 0L);
        break;
    case OP_HEAD:
        curl_easy_setopt(x->h, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(x->h, CURLOPT_NOBODY, 1L);
        break;
    }
}

static long xfer_status(struct xfer *x)
{
    long code = 0;
    curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
    return code;
}

/* ---------------------------------------------------------------- small-object tests */

struct lat {
    double *v;
    size_t n, cap;
};

static void lat_add(struct lat *l, double s)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4096;
        double *p = realloc(l->v, cap * sizeof(*p));
        if (p == NULL)
            die("out of memory");
        l->v = p;
        l->cap = cap;
    }
    l->v[l->n++] = s;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of the sorted values, p in (0, 100]. */
static double pct(const struct lat *l, double p)
{
    size_t rank;
    if (l->n == 0)
        return 0;
    rank = (size_t)((p / 100.0) * (double)l->n + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > l->n)
        rank = l->n;
    return l->v[rank - 1];
}

struct small_result {
    long ok, errors;
    double secs;
    double srv_cpu;          /* server CPU seconds during the test, -1 if unknown */
    double cli_cpu;          /* this client's CPU seconds during the test */
    struct lat lat;
};

struct ctx {
    struct opts o;
    struct signer sg;
    CURLM *multi;
    struct xfer slot[MAX_CONC];
    char *small_body;        /* SMALL_SIZE random bytes */
    char small_hash[65];
    long errors_total;
};

static void key_name(char *out, size_t cap, const char *prefix, long i)
{
    snprintf(out, cap, "%s%08ld", prefix, i);
}

static void report_error(struct xfer *x, const char *what, CURLcode cc, long status, long shown)
{
    if (shown >= ERR_SHOW)
        return;
    if (cc != CURLE_OK)
        fprintf(stderr, "s3iam-bench: %s: %s\n", what, curl_easy_strerror(cc));
    else
        fprintf(stderr, "s3iam-bench: %s: HTTP %ld got %zu bytes%s: %.300s\n", what, status, x->got,
                x->mismatch ? " (body mismatch)" : "", x->err);
}

/*
 * Run op with conc requests in flight.  Keys are prefix + index: PUT writes indexes 0, 1, ...; GET and
 * HEAD read indexes modulo nkeys.  Stops issuing after max_secs (if > 0) or after count requests (if > 0).
 * Objects are body_len bytes of the random buffer.
 */
static void run_small(struct ctx *c, enum op op, int conc, double max_secs, long count, const char *prefix,
                      long nkeys, size_t body_len, struct small_result *r)
{
    double start, deadline;
    long next = 0, inflight = 0, shown = 0;
    int i, still;
    char key[256];
    const char *payload = body_len == SMALL_SIZE ? c->small_hash : NULL;

    memset(r, 0, sizeof(*r));
    r->srv_cpu = proc_cpu_s(c->o.pid);
    r->cli_cpu = self_cpu_s();
    start = now_s();
    deadline = max_secs > 0 ? start + max_secs : 1e300;

#define START(x)                                                                                                  \
    do {                                                                                                          \
        key_name(key, sizeof(key), prefix, op == OP_PUT ? next : next % nkeys);                                   \
        xfer_setup((x), &c->sg, &c->o, op, key, "", c->small_body, op == OP_PUT ? body_len : 0,                   \
                   op == OP_PUT ? payload : NULL);                                                                \
        (x)->expect = op == OP_GET ? (const unsigned char *)c->small_body : NULL;                                 \
        (x)->t0 = now_s();                                                                                        \
        if (curl_multi_add_handle(c->multi, (x)->h) != CURLM_OK)                                                  \
            die("curl_multi_add_handle failed");                                                                  \
        next++;                                                                                                   \
        inflight++;                                                                                               \
    } while (0)

    for (i = 0; i < conc && (count <= 0 || next < count); i++)
        START(&c->slot[i]);
    while (inflight > 0) {
        CURLMsg *m;
        int left;
        if (curl_multi_perform(c->multi, &still) != CURLM_OK)
            die("curl_multi_perform failed");
        while ((m = curl_multi_info_read(c->multi, &left)) != NULL) {
            struct xfer *x;
            long status;
            double t;
            if (m->msg != CURLMSG_DONE)
                continue;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
            t = now_s();
            status = xfer_status(x);
            if (m->data.result == CURLE_OK && status >= 200 && status < 300 && x->mismatch == 0 &&
                (op != OP_GET || x->got == body_len)) {
                r->ok++;
                lat_add(&r->lat, t - x->t0);
            } else {
                report_error(x, op_names[op], m->data.result, status, shown++);
                r->errors++;
            }
            curl_multi_remove_handle(c->multi, x->h);
            inflight--;
            if (t < deadline && (count <= 0 || next < count))
                START(x);
        }
        if (inflight > 0 && curl_multi_poll(c->multi, NULL, 0, 100, NULL) != CURLM_OK)
            die("curl_multi_poll failed");
    }
#undef START
    r->secs = now_s() - start;
    r->cli_cpu = self_cpu_s() - r->cli_cpu;
    if (r->srv_cpu >= 0) {
        double end_cpu = proc_cpu_s(c->o.pid);
        r->srv_cpu = end_cpu >= 0 ? end_cpu - r->srv_cpu : -1;
    }
    qsort(r->lat.v, r->lat.n, sizeof(double), cmp_double);
    c->errors_total += r->errors;
}

static void print_small(const char *name, int conc, const struct small_result *r)
{
    printf("%s_c%d_ops %.1f\n", name, conc, r->secs > 0 ? (double)r->ok / r->secs : 0);
    printf("%s_c%d_p50_ms %.3f\n", name, conc, pct(&r->lat, 50) * 1e3);
    printf("%s_c%d_p99_ms %.3f\n", name, conc, pct(&r->lat, 99) * 1e3);
    printf("%s_c%d_errors %ld\n", name, conc, r->errors);
    /* Server CPU per request: unlike ops/s, barely moved by other load on the machine. */
    if (r->srv_cpu >= 0 && r->ok > 0)
        printf("%s_c%d_cpu_us %.1f\n", name, conc, r->srv_cpu / (double)r->ok * 1e6);
    if (r->ok > 0)
        printf("%s_c%d_client_cpu_us %.1f\n", name, conc, r->cli_cpu / (double)r->ok * 1e6);
    fflush(stdout);
    fprintf(stderr,
            "  %-6s c%-2d %8ld ok %4ld err %8.1f ops/s  p50 %7.3f ms  p99 %7.3f ms  CPU us/op: server %6.1f client %5.1f\n",
            name, conc, r->ok, r->errors, r->secs > 0 ? (double)r->ok / r->secs : 0, pct(&r->lat, 50) * 1e3,
            pct(&r->lat, 99) * 1e3, r->srv_cpu >= 0 && r->ok > 0 ? r->srv_cpu / (double)r->ok * 1e6 : -1.0,
            r->ok > 0 ? r->cli_cpu / (double)r->ok * 1e6 : -1.0);
}

/* PUT, GET and HEAD at concurrency 1 and conc_hi; with put_only, just the PUTs. */
static void test_small(struct ctx *c, int put_only)
{
    int concs[2] = { 1, c->o.conc_hi }, k;
    for (k = 0; k < 2; k++) {
        struct small_result put, get, head;
        char prefix[64];
        snprintf(prefix, sizeof(prefix), "small/c%d/", concs[k]);
        run_small(c, OP_PUT, concs[k], c->o.duration, 0, prefix, 0, SMALL_SIZE, &put);
        print_small("put4k", concs[k], &put);
        if (put_only) {
            free(put.lat.v);
            continue;
        }
        if (put.ok == 0)
            die("no PUT succeeded; cannot test GET/HEAD");
        /* PUT keys 0..n-1 were issued in order; failures are rare and show in the error count. */
        run_small(c, OP_GET, concs[k], c->o.duration, 0, prefix, put.ok, SMALL_SIZE, &get);
        print_small("get4k", concs[k], &get);
        run_small(c, OP_HEAD, concs[k], c->o.duration, 0, prefix, put.ok, SMALL_SIZE, &head);
        print_small("head4k", concs[k], &head);
        free(put.lat.v);
        free(get.lat.v);
        free(head.lat.v);
    }
}

/* ---------------------------------------------------------------- big object */

static char *random_bytes(size_t n)
{
    char *p = xmalloc(n);
    uint64_t s = 0x9e3779b97f4a7c15ULL;
    size_t i;
    /* xorshift64*: incompressible and fast; the content is irrelevant, only that it is not all zeros. */
    for (i = 0; i + 8 <= n; i += 8) {
        uint64_t v;
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        v = s * 0x2545f4914f6cdd1dULL;
        memcpy(p + i, &v, 8);
    }
    for (; i < n; i++)
        p[i] = (char)i;
    return p;
}

/*
 * One blocking transfer of the big object; returns MB/s (10^6 bytes).  Sets *rss_kb to the peak VmRSS and
 * *cpu_mbs to MB per second of server CPU (what one free core would give; -1 if unknown).
 */
static double big_one(struct ctx *c, enum op op, const char *key, char *buf, size_t len, const char *payload,
                      long *rss_kb, double *cpu_mbs)
{
    struct xfer x;
    struct sampler smp;
    CURLcode cc;
    double t0, secs, cpu0;
    long status;

    xfer_init(&x);
    curl_easy_setopt(x.h, CURLOPT_UPLOAD_BUFFERSIZE, 1024L * 1024);
    curl_easy_setopt(x.h, CURLOPT_BUFFERSIZE, (long)CURL_MAX_READ_SIZE);
    curl_easy_setopt(x.h, CURLOPT_TIMEOUT, 600L);
    xfer_setup(&x, &c->sg, &c->o, op, key, "", buf, op == OP_PUT ? len : 0, payload);
    x.expect = op == OP_GET ? (const unsigned char *)buf : NULL;
    sampler_start(&smp, c->o.pid);
    cpu0 = proc_cpu_s(c->o.pid);
    t0 = now_s();
    cc = curl_easy_perform(x.h);
    secs = now_s() - t0;
    *rss_kb = sampler_stop(&smp);
    *cpu_mbs = -1;
    if (cpu0 >= 0) {
        double used = proc_cpu_s(c->o.pid) - cpu0;
        if (used > 0)
            *cpu_mbs = (double)len / 1e6 / used;
    }
    status = xfer_status(&x);
    if (cc != CURLE_OK || status != 200 || x.mismatch || (op == OP_GET && x.got != len)) {
        report_error(&x, op == OP_PUT ? "big put" : "big get", cc, status, 0);
        c->errors_total++;
        xfer_free(&x);
        return 0;
    }
    xfer_free(&x);
    return (double)len / 1e6 / secs;
}

static void test_big(struct ctx *c)
{
    size_t len = (size_t)c->o.big_mib << 20;
    char *buf = random_bytes(len), hash[65];
    long rss_put_s, rss_put_u, rss_get, rss_max;
    double put_s, put_u, get, cpu_s, cpu_u, cpu_g;

    sha256_hex(buf, len, hash); /* the client's hashing is not the server's time: done before the clock */
    put_s = big_one(c, OP_PUT, "big/signed", buf, len, hash, &rss_put_s, &cpu_s);
    put_u = big_one(c, OP_PUT, "big/unsigned", buf, len, "UNSIGNED-PAYLOAD", &rss_put_u, &cpu_u);
    get = big_one(c, OP_GET, "big/signed", buf, len, NULL, &rss_get, &cpu_g);
    rss_max = rss_put_s > rss_put_u ? rss_put_s : rss_put_u;
    if (rss_get > rss_max)
        rss_max = rss_get;
    printf("big_put_signed_mbs %.1f\nbig_put_unsigned_mbs %.1f\nbig_get_mbs %.1f\n", put_s, put_u, get);
    if (cpu_s > 0 && cpu_u > 0 && cpu_g > 0)
        printf("big_put_signed_cpu_mbs %.1f\nbig_put_unsigned_cpu_mbs %.1f\nbig_get_cpu_mbs %.1f\n", cpu_s, cpu_u,
               cpu_g);
    if (rss_max >= 0)
        printf("big_rss_max_mb %.1f\n", (double)rss_max / 1024);
    fflush(stdout);
    fprintf(stderr,
            "  big %ld MiB: PUT signed %.1f MB/s, PUT unsigned %.1f MB/s, GET %.1f MB/s, RSS max %.1f MB\n"
            "  per server CPU second: PUT signed %.1f MB, unsigned %.1f MB, GET %.1f MB\n",
            c->o.big_mib, put_s, put_u, get, (double)rss_max / 1024, cpu_s, cpu_u, cpu_g);
    free(buf);
}

/* ---------------------------------------------------------------- listing */

/* Value of the first <tag>...</tag> in body, copied to out; 0 if absent. */
static int xml_value(const char *body, const char *tag, char *out, size_t cap)
{
    char open[64], close[64];
    const char *a, *b;
    snprintf(open, sizeof(open), "<%s>", tag);
    snprintf(close, sizeof(close), "</%s>", tag);
    if ((a = strstr(body, open)) == NULL)
        return 0;
    a += strlen(open);
    if ((b = strstr(a, close)) == NULL || (size_t)(b - a) >= cap)
        return 0;
    memcpy(out, a, (size_t)(b - a));
    out[b - a] = 0;
    return 1;
}

static long count_tag(const char *body, const char *tag)
{
    long n = 0;
    const char *p = body;
    while ((p = strstr(p, tag)) != NULL) {
        n++;
        p += strlen(tag);
    }
    return n;
}

/* One full ListObjectsV2 walk of prefix; returns the number of keys, -1 on error. */
static long list_all(struct ctx *c, const char *prefix, long *pages)
{
    struct xfer x;
    struct growbuf body = { NULL, 0, 0 };
    char token[2048] = "", query[8192], enc_prefix[256], enc_token[4096], more[16];
    long keys = 0;

    uri_encode(prefix, 0, enc_prefix, sizeof(enc_prefix));
    xfer_init(&x);
    *pages = 0;
    for (;;) {
        CURLcode cc;
        long status;
        if (token[0]) {
            uri_encode(token, 0, enc_token, sizeof(enc_token));
            snprintf(query, sizeof(query), "continuation-token=%s&list-type=2&max-keys=1000&prefix=%s", enc_token,
                     enc_prefix);
        } else
            snprintf(query, sizeof(query), "list-type=2&max-keys=1000&prefix=%s", enc_prefix);
        body.len = 0;
        xfer_setup(&x, &c->sg, &c->o, OP_GET, NULL, query, NULL, 0, NULL);
        x.keep = &body;
        cc = curl_easy_perform(x.h);
        status = xfer_status(&x);
        if (cc != CURLE_OK || status != 200 || body.p == NULL) {
            report_error(&x, "list", cc, status, 0);
            keys = -1;
            break;
        }
        (*pages)++;
        keys += count_tag(body.p, "<Key>");
        if (!xml_value(body.p, "IsTruncated", more, sizeof(more)) || strcmp(more, "true") != 0)
            break;
        /* XML escapes in the token would need decoding; the servers measured here emit none. */
        if (!xml_value(body.p, "NextContinuationToken", token, sizeof(token)))
            die("list: truncated page without NextContinuationToken");
    }
    xfer_free(&x);
    free(body.p);
    return keys;
}

static void test_list(struct ctx *c)
{
    struct small_result pop;
    double t0, secs;
    long keys, pages, walks = 0, total = 0;

    run_small(c, OP_PUT, c->o.conc_hi, 0, c->o.list_keys, "list/", 0, 16, &pop);
    free(pop.lat.v);
    if (pop.errors)
        die("list: %ld of %ld PUTs failed while filling the listing", pop.errors, c->o.list_keys);
    fprintf(stderr, "  list: %ld keys written in %.1f s\n", pop.ok, pop.secs);
    t0 = now_s();
    /* Walk until at least 1 s has passed (and at least twice), so one slow page does not decide. */
    do {
        keys = list_all(c, "list/", &pages);
        if (keys != c->o.list_keys) {
            c->errors_total++;
            fprintf(stderr, "s3iam-bench: list: expected %ld keys, got %ld\n", c->o.list_keys, keys);
            printf("list_keys_s 0\n");
            return;
        }
        total += keys;
        walks++;
    } while (walks < 2 || now_s() - t0 < 1.0);
    secs = now_s() - t0;
    printf("list_keys_s %.1f\n", (double)total / secs);
    fflush(stdout);
    fprintf(stderr, "  list: %ld walks of %ld keys (%ld pages each): %.1f keys/s\n", walks, keys, pages,
            (double)total / secs);
}

/* GET and HEAD at concurrency 1 and conc_hi over keys prefix + 0..populate-1 (written by --tests populate
 * with --object-size 4096): reads alone, for profiling. */
static void test_read(struct ctx *c)
{
    int concs[2] = { 1, c->o.conc_hi }, k;
    if (c->o.populate <= 0)
        die("--tests read needs --populate N (the number of keys under --prefix)");
    for (k = 0; k < 2; k++) {
        struct small_result get, head;
        run_small(c, OP_GET, concs[k], c->o.duration, 0, c->o.prefix, c->o.populate, SMALL_SIZE, &get);
        print_small("get4k", concs[k], &get);
        run_small(c, OP_HEAD, concs[k], c->o.duration, 0, c->o.prefix, c->o.populate, SMALL_SIZE, &head);
        print_small("head4k", concs[k], &head);
        free(get.lat.v);
        free(head.lat.v);
    }
}

static void test_populate(struct ctx *c)
{
    struct small_result r;
    run_small(c, OP_PUT, c->o.conc_hi, 0, c->o.populate, c->o.prefix, 0, c->o.object_size, &r);
    free(r.lat.v);
    printf("populate_ops %.1f\npopulate_errors %ld\n", r.secs > 0 ? (double)r.ok / r.secs : 0, r.errors);
    fprintf(stderr, "  populate: %ld objects in %.1f s, %ld errors\n", r.ok, r.secs, r.errors);
}

/* ---------------------------------------------------------------- launch */

/* A signed ListBuckets (GET /); returns the HTTP status or 0 if there was no answer. */
static long probe(struct ctx *c, CURL *h)
{
    char url[1024];
    struct curl_slist *hdrs;
    long status = 0;
    struct xfer sink;

    memset(&sink, 0, sizeof(sink));
    snprintf(url, sizeof(url), "%s/", c->o.endpoint);
    hdrs = sign(&c->sg, &c->o, "GET", "/", "", EMPTY_SHA256, NULL);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 200L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
    if (curl_easy_perform(h) == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hdrs);
    return status;
}

static int cmd_launch(struct ctx *c, char **argv)
{
    double t0, limit = 60;
    pid_t pid;
    CURL *h;
    const struct timespec step = { 0, 500 * 1000 };

    if ((h = curl_easy_init()) == NULL)
        die("curl_easy_init failed");
    t0 = now_s();
    pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        int fd = open(c->o.log_path ? c->o.log_path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        setsid(); /* not in the caller's process group: a ^C to the bench script reaches it via kill */
        execvp(argv[0], argv);
        fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    for (;;) {
        long status = probe(c, h);
        int wst;
        if (status == 200)
            break;
        if (waitpid(pid, &wst, WNOHANG) == pid)
            die("launch: %s exited before answering (see %s)", argv[0], c->o.log_path ? c->o.log_path : "its log");
        if (now_s() - t0 > limit) {
            kill(pid, SIGKILL);
            die("launch: %s did not answer a signed ListBuckets within %.0f s (last status %ld)", argv[0], limit,
                status);
        }
        nanosleep(&step, NULL);
    }
    printf("startup_ms %.1f\npid %ld\n", (now_s() - t0) * 1e3, (long)pid);
    curl_easy_cleanup(h);
    return 0;
}

/* ---------------------------------------------------------------- main */

static void usage(void)
{
    fputs("usage: s3iam-bench [OPTIONS] run\n"
          "       s3iam-bench [OPTIONS] launch -- SERVER-COMMAND [ARGS...]\n"
          "  --endpoint URL       http://HOST:PORT (default http://127.0.0.1:4566)\n"
          "  --access-key ID      (default $AWS_ACCESS_KEY_ID)\n"
          "  --secret-key KEY     (default $AWS_SECRET_ACCESS_KEY)\n"
          "  --region R           signing region (default us-east-1)\n"
          "  --bucket B           existing bucket the run writes to (default s3iam-bench)\n"
          "  --sse VALUE          x-amz-server-side-encryption on every PUT (default AES256; '' for none)\n"
          "  --tests LIST         comma list of small,smallput,big,list,populate,read (default small,big,list)\n"
          "  --duration S         seconds per small-object test (default 3)\n"
          "  --concurrency N      the high concurrency level (default 16)\n"
          "  --big-mib N          big object size (default 256)\n"
          "  --list-keys N        keys written then listed (default 10000)\n"
          "  --populate N         populate: objects to write (with --prefix, default pop/); read: keys to read\n"
          "  --object-size N      populate: bytes per object (default 0, at most 4096)\n"
          "  --pid PID            server pid: RSS is sampled during big transfers, VmHWM printed at the end\n"
          "  --log FILE           launch: server stdout and stderr\n"
          "Output: one 'name value' line per figure on stdout.\n",
          stderr);
}

static int has_test(const char *list, const char *name)
{
    size_t n = strlen(name);
    const char *p = list;
    while ((p = strstr(p, name)) != NULL) {
        if ((p == list || p[-1] == ',') && (p[n] == 0 || p[n] == ','))
            return 1;
        p += n;
    }
    return 0;
}

static long num_arg(const char *s, const char *name)
{
    char *end;
    long v;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || *end || v < 0)
        die("%s: not a number: %s", name, s);
    return v;
}

int main(int argc, char **argv)
{
    static struct ctx c;
    const char *cmd = NULL, *ep;
    int i, rc = 0;

    c.o.endpoint = "http://127.0.0.1:4566";
    c.o.akid = getenv("AWS_ACCESS_KEY_ID");
    c.o.secret = getenv("AWS_SECRET_ACCESS_KEY");
    c.o.region = "us-east-1";
    c.o.bucket = "s3iam-bench";
    c.o.sse = "AES256";
    c.o.tests = "small,big,list";
    c.o.prefix = "pop/";
    c.o.duration = 3;
    c.o.big_mib = 256;
    c.o.list_keys = 10000;
    c.o.conc_hi = 16;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "run") || !strcmp(a, "launch")) {
            cmd = a;
            i++;
            break;
        }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage();
            return 0;
        }
        if (v == NULL)
            die("%s needs a value (--help)", a);
        i++;
        if (!strcmp(a, "--endpoint"))
            c.o.endpoint = v;
        else if (!strcmp(a, "--access-key"))
            c.o.akid = v;
        else if (!strcmp(a, "--secret-key"))
            c.o.secret = v;
        else if (!strcmp(a, "--region"))
            c.o.region = v;
        else if (!strcmp(a, "--bucket"))
            c.o.bucket = v;
        else if (!strcmp(a, "--sse"))
            c.o.sse = v;
        else if (!strcmp(a, "--tests"))
            c.o.tests = v;
        else if (!strcmp(a, "--duration"))
            c.o.duration = strtod(v, NULL);
        else if (!strcmp(a, "--concurrency"))
            c.o.conc_hi = (int)num_arg(v, a);
        else if (!strcmp(a, "--big-mib"))
            c.o.big_mib = num_arg(v, a);
        else if (!strcmp(a, "--list-keys"))
            c.o.list_keys = num_arg(v, a);
        else if (!strcmp(a, "--populate"))
            c.o.populate = num_arg(v, a);
        else if (!strcmp(a, "--object-size")) {
            c.o.object_size = (size_t)num_arg(v, a);
            if (c.o.object_size > SMALL_SIZE)
                die("--object-size is at most %d", SMALL_SIZE);
        } else if (!strcmp(a, "--prefix"))
            c.o.prefix = v;
        else if (!strcmp(a, "--pid"))
            c.o.pid = num_arg(v, a);
        else if (!strcmp(a, "--log"))
            c.o.log_path = v;
        else
            die("unknown option %s (--help)", a);
    }
    if (cmd == NULL) {
        usage();
        return 2;
    }
    if (c.o.akid == NULL || c.o.secret == NULL)
        die("credentials: --access-key/--secret-key or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY");
    if (c.o.conc_hi < 1 || c.o.conc_hi > MAX_CONC)
        die("--concurrency must be 1..%d", MAX_CONC);
    if (strncmp(c.o.endpoint, "http://", 7) != 0)
        die("--endpoint must start with http://");
    ep = c.o.endpoint + 7;
    snprintf(host_hdr, sizeof(host_hdr), "%.*s", (int)strcspn(ep, "/"), ep);
    if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK)
        die("curl_global_init failed");

    if (!strcmp(cmd, "launch")) {
        if (i < argc && !strcmp(argv[i], "--"))
            i++;
        if (i >= argc)
            die("launch: no server command");
        rc = cmd_launch(&c, argv + i);
        curl_global_cleanup();
        return rc;
    }

    if ((c.multi = curl_multi_init()) == NULL)
        die("curl_multi_init failed");
    curl_multi_setopt(c.multi, CURLMOPT_MAXCONNECTS, (long)(2 * MAX_CONC));
    for (i = 0; i < MAX_CONC; i++)
        xfer_init(&c.slot[i]);
    c.small_body = random_bytes(SMALL_SIZE);
    sha256_hex(c.small_body, SMALL_SIZE, c.small_hash);

    if (has_test(c.o.tests, "small") || has_test(c.o.tests, "smallput"))
        test_small(&c, !has_test(c.o.tests, "small"));
    if (has_test(c.o.tests, "list"))
        test_list(&c);
    if (has_test(c.o.tests, "big"))
        test_big(&c);
    if (has_test(c.o.tests, "populate"))
        test_populate(&c);
    if (has_test(c.o.tests, "read"))
        test_read(&c);
    if (c.o.pid > 0) {
        long hwm = read_status_kb(c.o.pid, "VmHWM");
        if (hwm >= 0)
            printf("peak_rss_mb %.1f\n", (double)hwm / 1024);
    }
    printf("errors %ld\n", c.errors_total);

    for (i = 0; i < MAX_CONC; i++)
        xfer_free(&c.slot[i]);
    curl_multi_cleanup(c.multi);
    free(c.small_body);
    curl_global_cleanup();
    return c.errors_total ? 1 : 0;
}
