/*
 * auth/sigv4.h - request authentication: AWS Signature Version 4 (header and presigned query),
 * its streaming variants (aws-chunked with per-chunk signatures and trailers), and Signature
 * Version 2 (header and query), which botocore still uses to presign by default.
 *
 * No HTTP library here: the server hands over the request as raw slices.  Verification is two
 * steps so the server can look the secret up by access key id in between:
 *
 *   sigv_parse(in, &a)            which scheme, access key id, scope, dates, payload mode
 *   (server: secret = keystore(a.akid), or InvalidAccessKeyId)
 *   sigv_verify(in, &a, secret)   recompute and compare; on mismatch a.canonical_request and
 *                                 a.string_to_sign hold what the server computed (AWS returns
 *                                 them in SignatureDoesNotMatch)
 *
 * When a.need_body_sha256 is set after sigv_parse (SigV4 without x-amz-content-sha256, as
 * botocore signs IAM/STS), the payload hash is the body's own SHA-256: read the body first and
 * pass its hex digest in in->body_sha256_hex to sigv_verify.
 *
 * Body integrity is the server's job once the body has arrived: compare the SHA-256 it computed
 * with a.payload_sha256 when a.payload == SIGV_PAYLOAD_SHA256 (XAmzContentSHA256Mismatch).
 * For aws-chunked bodies it feeds the body through struct awschunk (below).
 *
 * Errors: S3E_AUTH_MALFORMED (Authorization header), S3E_AUTH_QUERY_MALFORMED (X-Amz-* query),
 * S3E_INCOMPLETE_SIGNATURE, S3E_ACCESS_DENIED, S3E_EXPIRED (presign past X-Amz-Expires/Expires),
 * S3E_TIME_SKEWED (more than 15 min from now), S3E_SIG_MISMATCH, S3E_INVALID_ARGUMENT,
 * S3E_INVALID_REQUEST (body hash needed but not given), S3E_INVALID_TOKEN, S3E_INVALID_CHUNK,
 * S3E_INCOMPLETE_BODY, S3E_NOMEM.  Each fills a.detail with a sentence a person can act on.
 */
#ifndef S3IAM_AUTH_SIGV4_H
#define S3IAM_AUTH_SIGV4_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/err.h"

struct sigv_hdr {
    struct s3_str name;       /* as received, any case */
    struct s3_str value;      /* as received (leading/trailing blanks allowed) */
};

struct sigv_input {
    struct s3_str method;     /* "GET" */
    struct s3_str path;       /* raw request path as on the wire, still percent-encoded */
    struct s3_str query;      /* raw query string without '?' (may be empty) */
    const struct sigv_hdr *hdrs;
    size_t n_hdrs;
    time_t now;               /* pinned in tests that replay captures */
    int s3;                   /* 1: S3 rules (path never normalised; escapes kept as sent,
                                    only bytes that cannot appear raw in a URL get encoded);
                                 0: other services (IAM/STS: normalise and encode each segment) */
    /* SigV4 payload hash for requests without x-amz-content-sha256 (IAM/STS from botocore):
     * the hex SHA-256 of the body, which the server computes before verifying.  NULL if the
     * header is present or unknown yet. */
    const char *body_sha256_hex;
    /* SigV2 only: the bucket the server took from the Host header of a virtual-hosted-style
     * request (the canonical resource is then /bucket/path); empty for path style. */
    struct s3_str v2_bucket;
};

enum sigv_kind {
    SIGV_ANONYMOUS = 0,       /* no Authorization header and no signature in the query */
    SIGV4_HEADER,
    SIGV4_QUERY,              /* presigned */
    SIGV2_HEADER,
    SIGV2_QUERY,
};

enum sigv_payload {
    SIGV_PAYLOAD_SHA256 = 0,  /* x-amz-content-sha256 is a hex digest (or body hash for IAM) */
    SIGV_PAYLOAD_UNSIGNED,    /* UNSIGNED-PAYLOAD (also every presigned / SigV2 request) */
    SIGV_PAYLOAD_STREAMING_SIGNED,           /* STREAMING-AWS4-HMAC-SHA256-PAYLOAD */
    SIGV_PAYLOAD_STREAMING_SIGNED_TRAILER,   /* STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER */
    SIGV_PAYLOAD_STREAMING_UNSIGNED_TRAILER, /* STREAMING-UNSIGNED-PAYLOAD-TRAILER */
};

struct sigv_auth {
    enum sigv_kind kind;
    char akid[129];
    char date[9];             /* YYYYMMDD from the credential scope */
    char region[64];          /* may be "" (IAM accepts an empty region) */
    char service[64];
    char amz_date[17];        /* YYYYMMDDTHHMMSSZ (SigV4) */
    time_t request_time;      /* parsed amz_date, or SigV2 Date/Expires */
    long expires_s;           /* presigned: X-Amz-Expires; SigV2 query: Expires - now */
    char signature[65];       /* as sent (hex for v4, lower-cased; base64 for v2) */
    char security_token[2048];/* x-amz-security-token / X-Amz-Security-Token, "" if none */
    enum sigv_payload payload;
    char payload_sha256[65];  /* hex, when payload == SIGV_PAYLOAD_SHA256 */
    unsigned char signing_key[32]; /* set by sigv_verify for SigV4: chunk signatures use it */
    char scope[256];          /* date/region/service/aws4_request */
    /* Set by sigv_parse when the SigV4 payload hash is the body's own SHA-256 (no
     * x-amz-content-sha256 header, or a presigned request to a service other than s3): the
     * server must read the body and pass in->body_sha256_hex to sigv_verify. */
    int need_body_sha256;
    char signed_headers[1024];/* SigV4 SignedHeaders, e.g. "host;x-amz-date" */
    /* Filled by sigv_verify on S3E_SIG_MISMATCH (and always for SigV4): malloc'd, freed by
     * sigv_auth_release. */
    char *canonical_request;
    char *string_to_sign;
    char detail[512];         /* human message for the error, "" if none */
};

/* Fills *a from the request (a is zeroed first: release a previous result before reuse).
 * S3_OK with a->kind == SIGV_ANONYMOUS when unsigned.  Only syntax is checked here; dates,
 * expiry and the signature are checked by sigv_verify.  Errors: S3E_AUTH_MALFORMED,
 * S3E_AUTH_QUERY_MALFORMED, S3E_INCOMPLETE_SIGNATURE, S3E_INVALID_ARGUMENT (unsupported
 * algorithm or x-amz-content-sha256 value, or both header and query signatures),
 * S3E_ACCESS_DENIED (no usable date; SigV2 query parameters missing), S3E_INVALID_TOKEN, S3E_NOMEM; a->detail says why. */
s3_err sigv_parse(const struct sigv_input *in, struct sigv_auth *a);
/* Verifies a parsed request with the secret key of a->akid: rebuilds the canonical request and
 * string to sign (kept in a, see above), checks the clock (S3E_TIME_SKEWED for header auth more
 * than 15 minutes off; presigned: S3E_EXPIRED past X-Amz-Expires / Expires, S3E_ACCESS_DENIED
 * "Request is not valid yet" when dated more than 15 minutes ahead), then compares the
 * signature in constant time (S3E_SIG_MISMATCH).  S3E_ACCESS_DENIED for SIGV_ANONYMOUS.
 * For SigV4 a->signing_key is set on return so awschunk can verify chunk signatures. */
s3_err sigv_verify(const struct sigv_input *in, struct sigv_auth *a, struct s3_str secret);
/* Frees canonical_request / string_to_sign.  Safe on a zeroed struct and twice. */
void sigv_auth_release(struct sigv_auth *a);

/* Pure building blocks, exposed for the unit tests and for the benchmark client. */
/* Canonical request for SigV4 (signed_headers like "host;x-amz-date"). out is appended to. */
s3_err sigv4_canonical_request(const struct sigv_input *in, struct s3_str signed_headers,
                               struct s3_str payload_hash, int presigned, struct s3_buf *out);
void sigv4_signing_key(struct s3_str secret, const char *date, const char *region, const char *service,
                       unsigned char out[32]);
/* hex(HMAC-SHA256(key, msg)) into out[65]. */
void sigv4_hmac_hex(const unsigned char key[32], struct s3_str msg, char out[65]);
/* SigV2 StringToSign (HMAC-SHA1 input) for a SIGV2_HEADER (query == 0) or SIGV2_QUERY request.
 * out is appended to.  Errors: S3E_NOMEM / S3E_TOO_LARGE. */
s3_err sigv2_string_to_sign(const struct sigv_input *in, int query, struct s3_buf *out);

/*
 * aws-chunked decoder.  Feed the (HTTP-dechunked) body in arbitrary pieces; decoded payload
 * bytes go to the sink.  For the signed variants every chunk signature (and the trailer
 * signature) is verified with the signing key from sigv_verify, chained from the seed signature.
 * Trailers (e.g. x-amz-checksum-crc32) are collected and available after awschunk_finish.
 */
/* Longest chunk-header or trailer line accepted (S3E_INVALID_CHUNK beyond), and the most
 * trailer headers kept: together they bound the decoder's memory. */
#define AWSCHUNK_MAX_LINE 4096
#define AWSCHUNK_MAX_TRAILERS 16
struct awschunk;
/* Receives decoded payload bytes.  For signed variants the bytes of a chunk are delivered
 * before that chunk's signature can be checked (the decoder never holds a whole chunk), so
 * the sink must treat everything as provisional until awschunk_finish returns S3_OK. */
typedef s3_err (*awschunk_sink)(void *ud, const void *data, size_t n);
/* a->payload must be one of the STREAMING_* values (S3E_INVALID_ARGUMENT otherwise); for the
 * signed ones a must have passed sigv_verify.  The decoder copies what it needs from a.
 * *out is freed with awschunk_free.  Errors: S3E_INVALID_ARGUMENT, S3E_NOMEM. */
s3_err awschunk_new(const struct sigv_auth *a, awschunk_sink sink, void *ud, struct awschunk **out);
/* Decodes one piece.  Errors (sticky: every later call returns the same): S3E_INVALID_CHUNK
 * (bad framing, line too long), S3E_SIG_MISMATCH (chunk or trailer signature),
 * S3E_INCOMPLETE_SIGNATURE (signature missing), or the sink's own error. */
s3_err awschunk_feed(struct awschunk *c, const void *data, size_t n);
/* Call at end of body: S3E_INCOMPLETE_BODY if the framing did not end cleanly. */
s3_err awschunk_finish(struct awschunk *c);
/* Trailer value by (case-insensitive) name, e.g. "x-amz-checksum-crc32"; NULL if absent.
 * Borrowed until awschunk_free. */
const char *awschunk_trailer(const struct awschunk *c, const char *name);
uint64_t awschunk_decoded_len(const struct awschunk *c);
const char *awschunk_detail(const struct awschunk *c);
void awschunk_free(struct awschunk *c);

#endif
