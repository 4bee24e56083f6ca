/* server/authn.c - see authn.h. */
#include "config.h"
#include "server/authn.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "auth/iam_db.h"
#include "lib/log.h"
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

static int query_svc(const struct s3_req *r) { return r->svc == SVC_IAM || r->svc == SVC_STS; }

/* The credential is unknown, inactive or lacks its session token. */
static s3_err bad_key(struct s3_req *r)
{
    if (query_svc(r))
        return req_fail(r, S3E_IAM_INVALID_CLIENT_TOKEN, "The security token included in the request is invalid.");
    return req_fail(r, S3E_INVALID_ACCESS_KEY, NULL);
}

/* What a verification needs: the secret, and who it belongs to. */
struct keyinfo {
    struct iam_cred cred;
    const char *secret;
};

/*
 * The key store: the account root's configured credentials, then IAM users' access keys and
 * STS sessions.  Fills r->who.  The error is set on r (per service: S3 and IAM/STS name the
 * same problems differently).
 */
static s3_err key_lookup(struct s3_req *r, struct keyinfo *k)
{
    const struct s3_config *cfg = r->srv->cfg;
    const char *akid = r->auth.akid;
    const char *tok = r->auth.security_token;

    memset(k, 0, sizeof(*k));
    memset(&r->who, 0, sizeof(r->who));
    const struct conf_account *acct = conf_account_by_akid(cfg, akid);
    if (acct != NULL) {
        k->secret = acct->secret;
        r->who.kind = PRIN_ROOT;
        snprintf(r->who.account, sizeof(r->who.account), "%s", acct->id);
        snprintf(r->who.arn, sizeof(r->who.arn), "arn:aws:iam::%s:root", acct->id);
        return S3_OK;
    }
    if (r->srv->iam == NULL || iam_key_lookup(r->srv->iam, akid, &k->cred) != S3_OK)
        return bad_key(r);
    if (k->cred.kind == IAM_CRED_USER_KEY) {
        if (!k->cred.active) {
            log_info("authn: access key %s of %s is Inactive", akid, k->cred.arn);
            return bad_key(r);
        }
    } else {
        size_t tl = strlen(tok), sl = strlen(k->cred.token);
        if (tl == 0) {
            log_info("authn: temporary access key %s used without its session token (X-Amz-Security-Token)", akid);
            return bad_key(r);
        }
        if (tl != sl || CRYPTO_memcmp(tok, k->cred.token, sl) != 0) {
            if (query_svc(r))
                return req_fail(r, S3E_IAM_INVALID_CLIENT_TOKEN, "The security token included in the request is invalid.");
            return req_fail(r, S3E_INVALID_TOKEN, NULL);
        }
        if ((int64_t)req_now(r) >= k->cred.expires) {
            if (query_svc(r))
                return req_fail(r, S3E_EXPIRED_TOKEN, "The security token included in the request is expired");
            return req_fail(r, S3E_EXPIRED_TOKEN, "The provided token has expired.");
        }
        /* GetSessionToken credentials cannot call IAM without MFA, which s3iam does not have. */
        if (k->cred.session_kind == IAM_SESS_USER && r->svc == SVC_IAM) {
            log_info("authn: GetSessionToken credentials %s cannot call IAM (AWS requires MFA for that)", akid);
            return bad_key(r);
        }
    }
    k->secret = k->cred.secret;
    snprintf(r->who.account, sizeof(r->who.account), "%s", k->cred.account);
    snprintf(r->who.arn, sizeof(r->who.arn), "%s", k->cred.arn);
    snprintf(r->who.name, sizeof(r->who.name), "%s", k->cred.name);
    if (k->cred.kind == IAM_CRED_SESSION && k->cred.session_kind == IAM_SESS_ROLE)
        r->who.kind = PRIN_ROLE_SESSION;
    else if (k->cred.kind == IAM_CRED_SESSION && k->cred.name[0] == 0)
        r->who.kind = PRIN_ROOT;   /* the root user's GetSessionToken session */
    else
        r->who.kind = PRIN_USER;
    return S3_OK;
}

static s3_err verify(struct s3_req *r, const char *body_sha_hex)
{
    struct sigv_input in;
    struct keyinfo k;
    s3_err e;

    sigv_in(r, &in, body_sha_hex);
    if ((e = key_lookup(r, &k)) != S3_OK)
        return e;
    e = sigv_verify(&in, &r->auth, s3_cstr(k.secret));
    OPENSSL_cleanse(&k, sizeof(k));
    if (e != S3_OK) {
        memset(&r->who, 0, sizeof(r->who));
        if (query_svc(r) && e == S3E_SIG_MISMATCH)
            return req_fail(r, e, "The request signature we calculated does not match the signature you provided. "
                                  "Check your AWS Secret Access Key and signing method. Consult the service "
                                  "documentation for details.");
        return req_fail(r, e, "%s", r->auth.detail[0] ? r->auth.detail : err_message(e));
    }
    r->auth_verified = 1;
    if (r->who.kind != PRIN_ROOT || conf_account_by_akid(r->srv->cfg, r->auth.akid) == NULL)
        iam_key_touch(r->srv->iam, r->auth.akid, r->auth.service, r->auth.region);
    return S3_OK;
}

s3_err authn_begin(struct s3_req *r)
{
    struct sigv_input in;
    struct keyinfo k;
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
     * body's hash is known; refuse an unknown key at once. */
    if (query_svc(r) && req_header(r, "x-amz-content-sha256") == NULL && r->auth.kind == SIGV4_HEADER) {
        e = key_lookup(r, &k);
        OPENSSL_cleanse(&k, sizeof(k));
        return e;
    }
    return verify(r, NULL);
}

s3_err authn_finish(struct s3_req *r)
{
    char hex[65];
    s3_err e;

    if (r->svc == SVC_HEALTH)
        return S3_OK;
    if (r->auth.kind != SIGV_ANONYMOUS && !r->auth_verified) {
        s3_hex(r->body_sha256, 32, hex);
        if ((e = verify(r, hex)) != S3_OK)
            return e;
    }
    return authz_s3_body(r);
}
