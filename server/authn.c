/* server/authn.c - see authn.h. */
#include "config.h"
#include "server/authn.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "server/ops.h"

static void sigv_in(const struct s3_req *r, struct sigv_input *in, const char *body_sha_hex)
{
    memset(in, 0, sizeof(*in));
    in->method = s3_cstr(r->method);
    in->path = r->raw_path;
    in->query = r->raw_query;
    in->hdrs = r->sigv_hdrs;
    in->n_hdrs = r->n_hdrs;
    in->now = req_now(r);
    in->s3 = (r->svc == SVC_S3 || r->svc == SVC_S3CONTROL);
    in->body_sha256_hex = body_sha_hex;
    if (r->virtual_host && r->bucket)
        in->v2_bucket = s3_cstr(r->bucket);
}

/* The key store: the root credentials of the configured account. */
static s3_err keystore_lookup(struct s3_req *r, const char *akid, struct s3_str *secret, struct principal *who)
{
    const struct s3_config *cfg = r->srv->cfg;
    if (strlen(akid) == strlen(cfg->root_akid) && CRYPTO_memcmp(akid, cfg->root_akid, strlen(akid)) == 0) {
        *secret = s3_cstr(cfg->root_secret);
        who->kind = PRIN_ROOT;
        snprintf(who->account, sizeof(who->account), "%s", cfg->account_id);
        snprintf(who->arn, sizeof(who->arn), "arn:aws:iam::%s:root", cfg->account_id);
        who->name[0] = 0;
        return S3_OK;
    }
    return S3E_INVALID_ACCESS_KEY;
}

static s3_err verify(struct s3_req *r, const char *body_sha_hex)
{
    struct sigv_input in;
    struct s3_str secret;
    s3_err e;

    sigv_in(r, &in, body_sha_hex);
    if ((e = keystore_lookup(r, r->auth.akid, &secret, &r->who)) != S3_OK) {
        if (r->svc == SVC_IAM || r->svc == SVC_STS)
            return req_fail(r, S3E_IAM_INVALID_CLIENT_TOKEN, "The security token included in the request is invalid.");
        return req_fail(r, e, NULL);
    }
    if ((e = sigv_verify(&in, &r->auth, secret)) != S3_OK) {
        memset(&r->who, 0, sizeof(r->who));
        return req_fail(r, e, "%s", r->auth.detail[0] ? r->auth.detail : err_message(e));
    }
    r->auth_verified = 1;
    return S3_OK;
}

s3_err authn_begin(struct s3_req *r)
{
    struct sigv_input in;
    s3_err e;

    sigv_in(r, &in, NULL);
    e = sigv_parse(&in, &r->auth);
    r->auth_parsed = 1;
    if (e != S3_OK)
        return req_fail(r, e, "%s", r->auth.detail[0] ? r->auth.detail : err_message(e));
    if (r->auth.kind == SIGV_ANONYMOUS) {
        r->who.kind = PRIN_ANONYMOUS;
        if (r->svc == SVC_IAM)
            return req_fail(r, S3E_MISSING_SECURITY_HEADER, "Request is missing Authentication Token");
        return S3_OK;
    }
    if (r->svc == SVC_IAM && !strcmp(r->auth.service, "sts"))
        r->svc = SVC_STS;
    /* IAM/STS requests from botocore sign without x-amz-content-sha256: verify once the
     * body's hash is known. */
    if ((r->svc == SVC_IAM || r->svc == SVC_STS) && req_header(r, "x-amz-content-sha256") == NULL &&
        r->auth.kind == SIGV4_HEADER) {
        struct s3_str secret;
        if (keystore_lookup(r, r->auth.akid, &secret, &r->who) != S3_OK)
            return req_fail(r, S3E_IAM_INVALID_CLIENT_TOKEN, "The security token included in the request is invalid.");
        return S3_OK;
    }
    return verify(r, NULL);
}

s3_err authn_finish(struct s3_req *r)
{
    char hex[65];
    static const char hx[] = "0123456789abcdef";

    if (r->auth.kind == SIGV_ANONYMOUS || r->auth_verified || r->svc == SVC_HEALTH)
        return S3_OK;
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = hx[r->body_sha256[i] >> 4];
        hex[2 * i + 1] = hx[r->body_sha256[i] & 15];
    }
    hex[64] = 0;
    return verify(r, hex);
}

s3_err authz_s3(struct s3_req *r)
{
    /* Until IAM users exist, the only signed principal is the account root, which may do
     * everything on the account's buckets; anonymous requests have no grant to use. */
    if (r->who.kind == PRIN_ANONYMOUS)
        return req_fail(r, S3E_ACCESS_DENIED, "Anonymous users cannot invoke %s: sign the request with the "
                                              "account's credentials.", r->op->name);
    return S3_OK;
}
