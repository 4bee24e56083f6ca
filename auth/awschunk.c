/*
 * auth/awschunk.c - streaming decoder for Content-Encoding: aws-chunked bodies.
 *
 * Wire format (S3 API Reference, "Signature Calculation: Transferring Payload in Multiple
 * Chunks" and "Signature calculations for trailing headers"):
 *
 *   <hex size>[;chunk-signature=<64 hex>] CRLF      chunk header (signature only when signed)
 *   <size bytes of data> CRLF
 *   ...
 *   0[;chunk-signature=<64 hex>] CRLF               final, empty chunk
 *   [x-amz-checksum-crc32:<base64> CRLF]            trailers (-TRAILER variants)
 *   [x-amz-trailer-signature:<64 hex> CRLF]         signed-trailer variant only
 *   CRLF
 *
 * Chunk signature = HMAC(signing key, "AWS4-HMAC-SHA256-PAYLOAD" \n amz-date \n scope \n
 *                        previous signature \n sha256("") \n sha256(chunk data)),
 * chained from the seed signature of the Authorization header.  Trailer signature =
 * HMAC(key, "AWS4-HMAC-SHA256-TRAILER" \n amz-date \n scope \n previous signature \n
 *      sha256(trailers as "name:value\n")).
 *
 * The decoder is a byte-driven state machine: pieces may split anywhere (inside a chunk header,
 * between CR and LF).  It holds at most one header/trailer line and the trailers, never a chunk.
 */
#include "config.h"
#include "auth/sigv4.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "auth/sigv4_int.h"

#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

enum ac_state {
    AC_HDR,       /* reading a chunk header line */
    AC_DATA,      /* inside chunk data */
    AC_DATA_CR,   /* expecting the CR after the data */
    AC_DATA_LF,   /* expecting the LF after the data */
    AC_TRAILER,   /* after the final chunk: trailer lines up to a blank line */
    AC_DONE,
};

struct ac_trailer {
    char *name;   /* lower case */
    char *value;  /* trimmed */
};

struct awschunk {
    awschunk_sink sink;
    void *ud;
    int signed_chunks;        /* STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER] */
    int signed_trailer;       /* STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER */
    int want_trailer;         /* any -TRAILER variant */
    enum ac_state st;
    s3_err err;               /* sticky */
    char line[AWSCHUNK_MAX_LINE];
    size_t line_len;
    uint64_t left;            /* data bytes of the current chunk still to come */
    uint64_t size;            /* size of the current chunk */
    uint64_t chunk_no;        /* 1-based number of the current chunk */
    uint64_t decoded;
    char chunk_sig[65];       /* signature announced in the current chunk header */
    char prev_sig[65];        /* seed, then the last verified chunk signature */
    unsigned char key[32];
    char amz_date[17];
    char scope[256];
    EVP_MD_CTX *md;           /* SHA-256 of the current chunk (signed variants) */
    struct ac_trailer trailers[AWSCHUNK_MAX_TRAILERS];
    size_t n_trailers;
    char trailer_sig[65];
    int have_trailer_sig;
    int blank_seen;           /* blank line right after the final chunk, trailers still possible */
    char detail[256];
};

static int lower_c(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

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

static s3_err fail(struct awschunk *c, s3_err e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static s3_err fail(struct awschunk *c, s3_err e, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
    va_end(ap);
    c->err = e;
    return e;
}

s3_err awschunk_new(const struct sigv_auth *a, awschunk_sink sink, void *ud, struct awschunk **out)
{
    struct awschunk *c;

    *out = NULL;
    if (sink == NULL)
        return S3E_INVALID_ARGUMENT;
    switch (a->payload) {
    case SIGV_PAYLOAD_STREAMING_SIGNED:
    case SIGV_PAYLOAD_STREAMING_SIGNED_TRAILER:
        if (a->kind != SIGV4_HEADER || strlen(a->signature) != 64)
            return S3E_INVALID_ARGUMENT;
        break;
    case SIGV_PAYLOAD_STREAMING_UNSIGNED_TRAILER:
        break;
    case SIGV_PAYLOAD_SHA256:
    case SIGV_PAYLOAD_UNSIGNED:
        return S3E_INVALID_ARGUMENT;
    }
    if ((c = calloc(1, sizeof(*c))) == NULL)
        return S3E_NOMEM;
    c->sink = sink;
    c->ud = ud;
    c->signed_chunks = a->payload != SIGV_PAYLOAD_STREAMING_UNSIGNED_TRAILER;
    c->signed_trailer = a->payload == SIGV_PAYLOAD_STREAMING_SIGNED_TRAILER;
    c->want_trailer = a->payload != SIGV_PAYLOAD_STREAMING_SIGNED;
    c->st = AC_HDR;
    if (c->signed_chunks) {
        memcpy(c->key, a->signing_key, sizeof(c->key));
        memcpy(c->prev_sig, a->signature, sizeof(c->prev_sig));
        memcpy(c->amz_date, a->amz_date, sizeof(c->amz_date));
        memcpy(c->scope, a->scope, sizeof(c->scope));
        if ((c->md = EVP_MD_CTX_new()) == NULL) {
            free(c);
            return S3E_NOMEM;
        }
    }
    *out = c;
    return S3_OK;
}

/* Checks one chunk signature against the data hash in c->md, then chains it. */
static s3_err verify_chunk(struct awschunk *c)
{
    unsigned char h[32];
    unsigned int hl = 0;
    char hex[65], sig[65];
    char sts[512];
    int n;

    if (EVP_DigestFinal_ex(c->md, h, &hl) != 1)
        return fail(c, S3E_INTERNAL, "SHA-256 failed");
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", h[i]);
    /* "AWS4-HMAC-SHA256-PAYLOAD" \n amz-date \n scope \n previous signature \n
     * sha256("") \n sha256(chunk data) */
    n = snprintf(sts, sizeof(sts), "AWS4-HMAC-SHA256-PAYLOAD\n%s\n%s\n%s\n%s\n%s", c->amz_date, c->scope,
                 c->prev_sig, EMPTY_SHA256, hex);
    if (n < 0 || (size_t)n >= sizeof(sts))
        return fail(c, S3E_INTERNAL, "chunk string to sign too long");
    sigv4_hmac_hex(c->key, (struct s3_str){ sts, (size_t)n }, sig);
    if (CRYPTO_memcmp(sig, c->chunk_sig, 64) != 0)
        return fail(c, S3E_SIG_MISMATCH,
                    "The chunk signature of chunk %llu (%llu bytes) does not match the data sent.",
                    (unsigned long long)c->chunk_no, (unsigned long long)c->size);
    memcpy(c->prev_sig, sig, sizeof(c->prev_sig));
    return S3_OK;
}

static s3_err header_line(struct awschunk *c, const char *l, size_t n)
{
    uint64_t size = 0;
    size_t i = 0, digits = 0;
    int have_sig = 0;

    c->chunk_no++;
    for (; i < n && hexval((unsigned char)l[i]) >= 0; i++) {
        /* 15 hex digits is 2^60 bytes: far beyond any object, and no overflow. */
        if (++digits > 15)
            return fail(c, S3E_INVALID_CHUNK, "Chunk %llu: the chunk size has too many digits.",
                        (unsigned long long)c->chunk_no);
        size = size * 16 + (uint64_t)hexval((unsigned char)l[i]);
    }
    if (digits == 0)
        return fail(c, S3E_INVALID_CHUNK, "Chunk %llu: the chunk header \"%.40s\" does not start with a hex size.",
                    (unsigned long long)c->chunk_no, l);
    while (i < n && (l[i] == ' ' || l[i] == '\t'))
        i++;
    /* Extensions: ;name[=value] ... -- only chunk-signature matters. */
    while (i < n && l[i] == ';') {
        size_t ks = ++i, ke, vs, ve;
        while (i < n && l[i] != '=' && l[i] != ';')
            i++;
        ke = i;
        vs = ve = i;
        if (i < n && l[i] == '=') {
            vs = ++i;
            while (i < n && l[i] != ';')
                i++;
            ve = i;
        }
        while (ke > ks && (l[ke - 1] == ' ' || l[ke - 1] == '\t'))
            ke--;
        while (ve > vs && (l[ve - 1] == ' ' || l[ve - 1] == '\t'))
            ve--;
        while (ks < ke && (l[ks] == ' ' || l[ks] == '\t'))
            ks++;
        while (vs < ve && (l[vs] == ' ' || l[vs] == '\t'))
            vs++;
        if (ke - ks == 15 && memcmp(l + ks, "chunk-signature", 15) == 0) {
            int ok = ve - vs == 64;
            for (size_t j = 0; ok && j < 64; j++)
                ok = hexval((unsigned char)l[vs + j]) >= 0;
            if (!ok)
                return fail(c, S3E_INVALID_CHUNK, "Chunk %llu: chunk-signature must be 64 hex characters.",
                            (unsigned long long)c->chunk_no);
            for (size_t j = 0; j < 64; j++)
                c->chunk_sig[j] = (char)lower_c((unsigned char)l[vs + j]);
            c->chunk_sig[64] = 0;
            have_sig = 1;
        }
    }
    if (i != n)
        return fail(c, S3E_INVALID_CHUNK, "Chunk %llu: malformed chunk header \"%.40s\".",
                    (unsigned long long)c->chunk_no, l);
    if (c->signed_chunks && !have_sig)
        return fail(c, S3E_INCOMPLETE_SIGNATURE, "Chunk %llu has no chunk-signature.",
                    (unsigned long long)c->chunk_no);
    c->size = c->left = size;
    if (c->signed_chunks && EVP_DigestInit_ex(c->md, EVP_sha256(), NULL) != 1)
        return fail(c, S3E_INTERNAL, "SHA-256 failed");
    if (size > 0) {
        c->st = AC_DATA;
        return S3_OK;
    }
    /* The final chunk: no data and no CRLF of its own; trailers or a blank line follow. */
    if (c->signed_chunks && verify_chunk(c) != S3_OK)
        return c->err;
    c->st = AC_TRAILER;
    return S3_OK;
}

static int trailer_cmp(const void *x, const void *y)
{
    const struct ac_trailer *a = x, *b = y;
    return strcmp(a->name, b->name);
}

static s3_err end_trailers(struct awschunk *c)
{
    if (c->signed_trailer) {
        EVP_MD_CTX *md = c->md;
        unsigned char h[32];
        unsigned int hl = 0;
        char hex[65], sig[65], sts[512];
        int n;

        if (!c->have_trailer_sig)
            return fail(c, S3E_INCOMPLETE_SIGNATURE, "The trailer has no x-amz-trailer-signature.");
        /* Canonical trailers: "name:value\n" each, names lower case and sorted. */
        qsort(c->trailers, c->n_trailers, sizeof(c->trailers[0]), trailer_cmp);
        if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
            return fail(c, S3E_INTERNAL, "SHA-256 failed");
        for (size_t i = 0; i < c->n_trailers; i++)
            if (EVP_DigestUpdate(md, c->trailers[i].name, strlen(c->trailers[i].name)) != 1 ||
                EVP_DigestUpdate(md, ":", 1) != 1 ||
                EVP_DigestUpdate(md, c->trailers[i].value, strlen(c->trailers[i].value)) != 1 ||
                EVP_DigestUpdate(md, "\n", 1) != 1)
                return fail(c, S3E_INTERNAL, "SHA-256 failed");
        if (EVP_DigestFinal_ex(md, h, &hl) != 1)
            return fail(c, S3E_INTERNAL, "SHA-256 failed");
        for (int i = 0; i < 32; i++)
            snprintf(hex + 2 * i, 3, "%02x", h[i]);
        /* "AWS4-HMAC-SHA256-TRAILER" \n amz-date \n scope \n previous signature \n
         * sha256(canonical trailers) */
        n = snprintf(sts, sizeof(sts), "AWS4-HMAC-SHA256-TRAILER\n%s\n%s\n%s\n%s", c->amz_date, c->scope,
                     c->prev_sig, hex);
        if (n < 0 || (size_t)n >= sizeof(sts))
            return fail(c, S3E_INTERNAL, "trailer string to sign too long");
        sigv4_hmac_hex(c->key, (struct s3_str){ sts, (size_t)n }, sig);
        if (CRYPTO_memcmp(sig, c->trailer_sig, 64) != 0)
            return fail(c, S3E_SIG_MISMATCH, "The x-amz-trailer-signature does not match the trailers sent.");
        memcpy(c->prev_sig, sig, sizeof(c->prev_sig));
    }
    c->st = AC_DONE;
    return S3_OK;
}

static s3_err trailer_line(struct awschunk *c, const char *l, size_t n)
{
    if (n == 0) {
        /* A blank line ends the body.  Tolerate one blank line between the final chunk and the
         * trailers (some encoders put the CRLF of the empty chunk's "data" there). */
        if (c->want_trailer && c->n_trailers == 0 && !c->have_trailer_sig && !c->blank_seen) {
            c->blank_seen = 1;
            return S3_OK;
        }
        return end_trailers(c);
    }
    const char *colon = memchr(l, ':', n);
    if (colon == NULL || colon == l)
        return fail(c, S3E_INVALID_CHUNK, "Malformed trailer line \"%.40s\" (expected name:value).", l);
    struct s3_str name = sigv_trim((struct s3_str){ l, (size_t)(colon - l) });
    struct s3_str value = sigv_trim((struct s3_str){ colon + 1, n - (size_t)(colon - l) - 1 });
    if (c->have_trailer_sig)
        return fail(c, S3E_INVALID_CHUNK, "Trailer \"%.40s\" follows x-amz-trailer-signature.", l);
    if (s3_str_ieq_c(name, "x-amz-trailer-signature")) {
        int ok = value.len == 64;
        for (size_t j = 0; ok && j < 64; j++)
            ok = hexval((unsigned char)value.p[j]) >= 0;
        if (!ok)
            return fail(c, S3E_INVALID_CHUNK, "x-amz-trailer-signature must be 64 hex characters.");
        for (size_t j = 0; j < 64; j++)
            c->trailer_sig[j] = (char)lower_c((unsigned char)value.p[j]);
        c->trailer_sig[64] = 0;
        c->have_trailer_sig = 1;
        return S3_OK;
    }
    if (c->n_trailers == AWSCHUNK_MAX_TRAILERS)
        return fail(c, S3E_INVALID_CHUNK, "More than %d trailer headers.", AWSCHUNK_MAX_TRAILERS);
    struct ac_trailer *t = &c->trailers[c->n_trailers];
    if ((t->name = malloc(name.len + 1)) == NULL || (t->value = malloc(value.len + 1)) == NULL) {
        free(t->name);
        t->name = NULL;
        return fail(c, S3E_NOMEM, "out of memory");
    }
    for (size_t j = 0; j < name.len; j++)
        t->name[j] = (char)lower_c((unsigned char)name.p[j]);
    t->name[name.len] = 0;
    if (value.len)
        memcpy(t->value, value.p, value.len);
    t->value[value.len] = 0;
    c->n_trailers++;
    return S3_OK;
}

/* Accumulates a line from p[0..n); returns the bytes consumed and sets *complete when the LF
 * was seen (the CR before it is dropped, a bare LF is accepted). */
static size_t take_line(struct awschunk *c, const char *p, size_t n, int *complete)
{
    const char *lf = memchr(p, '\n', n);
    size_t take = lf ? (size_t)(lf - p) : n;

    *complete = 0;
    if (take > sizeof(c->line) - 1 - c->line_len) {
        fail(c, S3E_INVALID_CHUNK, "A chunk header or trailer line is longer than %d bytes.", AWSCHUNK_MAX_LINE - 1);
        return n;
    }
    memcpy(c->line + c->line_len, p, take);
    c->line_len += take;
    if (lf == NULL)
        return take;
    if (c->line_len && c->line[c->line_len - 1] == '\r')
        c->line_len--;
    c->line[c->line_len] = 0;
    *complete = 1;
    return take + 1;
}

s3_err awschunk_feed(struct awschunk *c, const void *data, size_t n)
{
    const char *p = data;

    while (n > 0 && c->err == S3_OK) {
        size_t used;
        int complete;

        switch (c->st) {
        case AC_HDR:
        case AC_TRAILER:
            used = take_line(c, p, n, &complete);
            if (c->err == S3_OK && complete) {
                size_t len = c->line_len;
                c->line_len = 0;
                if (c->st == AC_HDR)
                    header_line(c, c->line, len);
                else
                    trailer_line(c, c->line, len);
            }
            break;
        case AC_DATA:
            used = c->left < n ? (size_t)c->left : n;
            if (c->signed_chunks && EVP_DigestUpdate(c->md, p, used) != 1) {
                fail(c, S3E_INTERNAL, "SHA-256 failed");
                break;
            }
            {
                s3_err e = c->sink(c->ud, p, used);
                if (e != S3_OK) {
                    fail(c, e, "The body could not be stored.");
                    break;
                }
            }
            c->decoded += used;
            c->left -= used;
            if (c->left == 0) {
                c->st = AC_DATA_CR;
                if (c->signed_chunks)
                    verify_chunk(c);
            }
            break;
        case AC_DATA_CR:
        case AC_DATA_LF:
            used = 1;
            if (*p != (c->st == AC_DATA_CR ? '\r' : '\n')) {
                fail(c, S3E_INVALID_CHUNK, "Chunk %llu: the data is not followed by CRLF (chunk size wrong?).",
                     (unsigned long long)c->chunk_no);
                break;
            }
            c->st = c->st == AC_DATA_CR ? AC_DATA_LF : AC_HDR;
            break;
        case AC_DONE:
        default:
            used = n;
            fail(c, S3E_INVALID_CHUNK, "Data follows the end of the aws-chunked body.");
            break;
        }
        p += used;
        n -= used;
    }
    return c->err;
}

s3_err awschunk_finish(struct awschunk *c)
{
    if (c->err != S3_OK)
        return c->err;
    switch (c->st) {
    case AC_DONE:
        return S3_OK;
    case AC_TRAILER:
        /* Every trailer line arrived whole; only the closing blank line is missing. */
        if (c->line_len == 0)
            return end_trailers(c);
        return fail(c, S3E_INCOMPLETE_BODY, "The body ended inside a trailer line.");
    case AC_HDR:
        if (c->chunk_no == 0 && c->line_len == 0)
            return fail(c, S3E_INCOMPLETE_BODY, "The aws-chunked body is empty (no final zero-length chunk).");
        return fail(c, S3E_INCOMPLETE_BODY, "The body ended before the final zero-length chunk (after %llu chunks).",
                    (unsigned long long)c->chunk_no);
    case AC_DATA:
        return fail(c, S3E_INCOMPLETE_BODY, "The body ended inside chunk %llu: %llu of %llu bytes missing.",
                    (unsigned long long)c->chunk_no, (unsigned long long)c->left, (unsigned long long)c->size);
    case AC_DATA_CR:
    case AC_DATA_LF:
        return fail(c, S3E_INCOMPLETE_BODY, "The body ended before the CRLF after chunk %llu.",
                    (unsigned long long)c->chunk_no);
    }
    return fail(c, S3E_INTERNAL, "bad decoder state");
}

const char *awschunk_trailer(const struct awschunk *c, const char *name)
{
    for (size_t i = 0; i < c->n_trailers; i++)
        if (s3_str_ieq_c(s3_cstr(c->trailers[i].name), name))
            return c->trailers[i].value;
    return NULL;
}

uint64_t awschunk_decoded_len(const struct awschunk *c) { return c->decoded; }

const char *awschunk_detail(const struct awschunk *c) { return c->detail; }

void awschunk_free(struct awschunk *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->n_trailers; i++) {
        free(c->trailers[i].name);
        free(c->trailers[i].value);
    }
    EVP_MD_CTX_free(c->md);
    OPENSSL_cleanse(c->key, sizeof(c->key));
    free(c);
}
