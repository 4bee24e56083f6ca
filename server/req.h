/*
 * server/req.h - the request context that flows through every stage of the server, and the
 * server state shared by all requests.
 *
 * A request enters http.c, which fills the raw parts (method, path, query, headers) and calls
 * route.c to derive service, bucket, key and operation.  authn.c verifies the signature and
 * names the principal; then the operation's handler runs and fills the response.  Every stage
 * returns s3_err; the first error wins and is rendered by errors.c.
 *
 * Memory: strings in struct s3_req are owned by the request (freed by req_free) unless noted.
 */
#ifndef S3IAM_SERVER_REQ_H
#define S3IAM_SERVER_REQ_H

#include <stdint.h>
#include <time.h>

#include "auth/sigv4.h"
#include "conf/conf.h"
#include "lib/buf.h"
#include "lib/checksum.h"
#include "lib/ckpipe.h"
#include "lib/err.h"
#include "storage/storage.h"

struct iam_db;

struct dlog;

struct s3_server {
    const struct s3_config *cfg;
    struct stor *stor;
    struct dlog *dlog;       /* recent authorization decisions (GET /_s3iam/decisions) */
    time_t started;
    /* Test hook: when nonzero, used as "now" for signature checks (S3IAM_FAKE_NOW). */
    time_t fake_now;
    /* Users, groups, roles, policies, keys and sessions (server/iam_glue.c). */
    struct iam_db *iam;
};

enum svc { SVC_S3 = 0, SVC_S3CONTROL, SVC_IAM, SVC_STS, SVC_HEALTH, SVC_DECISIONS };

/* One query parameter, decoded.  has_value is 0 for a bare "?uploads". */
struct qparam {
    char *name;
    char *value;
    int has_value;
};

struct hdr {
    char *name;              /* lower-cased */
    char *value;
};

struct s3_op;

/* A request made through an S3 access point (alias, ARN host or s3-accesspoint host). */
struct ap_req {
    int active;
    char name[128];
    char account[13];          /* the access point's owner */
    char arn[256];             /* arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME */
    char network_origin[16];   /* Internet | VPC */
    char via[16];              /* "alias", "arn-host", "ap-host": how the request named it */
};

enum principal_kind { PRIN_ANONYMOUS = 0, PRIN_ROOT, PRIN_USER, PRIN_ROLE_SESSION };

struct principal {
    enum principal_kind kind;
    char account[13];
    char arn[512];           /* arn:aws:iam::ACCOUNT:root, ...; "" for anonymous */
    char name[256];          /* user name or session name */
};

/* Response being built. */
struct resp {
    int status;
    struct hdr hdrs[48];
    unsigned n_hdrs;
    struct s3_buf body;              /* for small bodies (XML, JSON) */
    struct stor_reader *reader;      /* for object bodies: streamed from storage */
    uint64_t off, len;               /* the range served by reader */
    int head_only;                   /* HEAD: announce len as Content-Length, send nothing */
};

struct s3_req {
    struct s3_server *srv;
    char req_id[17];
    struct timespec t0;
    char peer[64];

    /* raw, as received */
    char *method;
    char *raw_uri;           /* path?query exactly as on the request line */
    struct s3_str raw_path;  /* slices of raw_uri */
    struct s3_str raw_query;
    struct hdr *hdrs;
    unsigned n_hdrs;
    struct sigv_hdr *sigv_hdrs;  /* same headers, original case, for the signature */

    /* routed */
    enum svc svc;
    char *host;              /* Host header without port, lower-cased */
    char *bucket;            /* decoded; NULL for service-level requests */
    char *key;               /* decoded, any bytes but NUL; NULL for bucket-level */
    size_t key_len;
    int virtual_host;        /* bucket came from the Host header */
    struct ap_req ap;        /* set when addressed through an access point */
    int bucket_versioning;   /* of r->bucket, once s3_need_bucket has run: 0 never, 1 on, 2 suspended */
    char bucket_owner[13];   /* likewise */
    struct qparam *q;
    unsigned n_q;
    const struct s3_op *op;

    /* authentication */
    struct sigv_auth auth;
    int auth_parsed;
    int auth_verified;
    struct principal who;

    /* body */
    uint64_t content_length; /* from the header; UINT64_MAX if absent (chunked) */
    int body_expected;       /* the request carries a body */
    int body_mode;           /* see http.c: none, buffer, blob */
    struct s3_buf body_buf;  /* XML / form bodies (capped) */
    struct stor_blob *blob;  /* object bytes being written */
    struct ck_state ck;      /* running digests of the decoded payload */
    int ck_ready;
    struct ck_pipe *ckp;     /* big bodies: ck is updated on a helper thread (lib/ckpipe.h) */
    struct awschunk *chunk;  /* aws-chunked decoder, or NULL */
    uint64_t body_bytes;     /* decoded payload bytes so far */
    unsigned char body_md5[16], body_sha256[32], body_alg[32];
    char body_alg_b64[64];   /* base64 of the flexible checksum, if one was computed */
    enum ck_alg body_ck_alg;

    /* outcome */
    s3_err err;
    char *err_detail;        /* human message, overrides the table's default */
    char *err_resource;
    char *err_region;        /* AuthorizationHeaderMalformed: the region the caller should use */
    struct resp resp;
    uint64_t resp_bytes;     /* body bytes sent (for the access log) */
    int done;                /* response queued */
    int close_conn;          /* answer with Connection: close */
};

/* Header lookup by lower-case name; NULL if absent.  Borrowed. */
const char *req_header(const struct s3_req *r, const char *lname);
/* Query parameter lookup; NULL if absent.  *present (optional) tells bare parameters apart. */
const char *req_query(const struct s3_req *r, const char *name);
int req_has_query(const struct s3_req *r, const char *name);
/* Set the error (first one wins) with an optional printf-style detail. */
s3_err req_fail(struct s3_req *r, s3_err e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Add a response header (copied). */
void resp_header(struct s3_req *r, const char *name, const char *value);
void resp_headerf(struct s3_req *r, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Current time for signature checks (pinned by tests). */
time_t req_now(const struct s3_req *r);

#endif
