/*
 * server/authz.c - every request authorised by the policy engine (see authz.h and authn.h).
 *
 * S3: the operation table row gives the IAM action; this file adds what varies with the
 * request (the ...Version actions when a versionId is given, GetObjectAttributes' two actions,
 * CopyObject's read of the source, PutObject's tagging/ACL side actions), the resource ARN and
 * the context keys of doc section 5, and asks the engine with the caller's identity policies
 * and the bucket policy.
 */
#include "config.h"
#include "server/authz.h"

#include "auth/decision_log.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/log.h"
#include "server/ap.h"
#include "server/authn.h"
#include "server/bpol.h"
#include "server/ops.h"
#include "server/s3_ctl.h"
#include "server/sse.h"
#include "server/xml.h"

/* ------------------------------------------------------------------ context construction */

static char *own(struct az *z, const char *s)
{
    char *c, **nv;
    if (s == NULL)
        return NULL;
    if ((c = strdup(s)) == NULL)
        return NULL;
    if ((nv = realloc(z->own, (z->n_own + 1) * sizeof(*nv))) == NULL) {
        free(c);
        return NULL;
    }
    z->own = nv;
    nv[z->n_own++] = c;
    return c;
}

void az_key(struct az *z, const char *name, const char *value)
{
    struct authz_key *k;
    if (value == NULL || z->c.n_keys >= AZ_MAX_KEYS)
        return;
    k = &z->keys[z->c.n_keys];
    memset(k, 0, sizeof(*k));
    if ((k->name = own(z, name)) == NULL || (k->value = own(z, value)) == NULL)
        return;
    k->name_len = strlen(k->name);
    z->c.n_keys++;
}

void az_keyv(struct az *z, const char *name, const char *const *values, size_t n)
{
    struct authz_key *k;
    const char **vs;
    char **nv;
    if (z->c.n_keys >= AZ_MAX_KEYS)
        return;
    if ((vs = calloc(n ? n : 1, sizeof(*vs))) == NULL)
        return;
    /* the array itself is owned too: keep it in the list as a plain block */
    if ((nv = realloc(z->own, (z->n_own + 1) * sizeof(*nv))) == NULL) {
        free(vs);
        return;
    }
    z->own = nv;
    nv[z->n_own++] = (char *)vs;
    for (size_t i = 0; i < n; i++)
        if ((vs[i] = own(z, values[i])) == NULL)
            return;
    k = &z->keys[z->c.n_keys];
    memset(k, 0, sizeof(*k));
    if ((k->name = own(z, name)) == NULL)
        return;
    k->name_len = strlen(k->name);
    k->values = vs;
    k->n_values = n;
    z->c.n_keys++;
}

const char *authz_account(const struct s3_req *r)
{
    return r->who.account[0] ? r->who.account : r->srv->cfg->account_id;
}

s3_err az_begin(struct az *z, struct s3_req *r, const char *region)
{
    char t[32], buf[64];
    time_t now = req_now(r);
    struct tm tm;
    const char *ua = req_header(r, "user-agent"), *ref = req_header(r, "referer");

    memset(z, 0, sizeof(*z));
    z->r = r;
    z->c.keys = z->keys;
    switch (r->who.kind) {
    case PRIN_ANONYMOUS:
        z->c.principal_kind = AUTHZ_ANONYMOUS;
        az_key(z, "aws:PrincipalType", "Anonymous");
        az_key(z, "aws:userid", "anonymous");
        break;
    case PRIN_ROOT:
        if (r->auth.akid[0] && conf_account_by_akid(r->srv->cfg, r->auth.akid) == NULL) {
            /* root with a GetSessionToken session */
            az_key(z, "aws:MultiFactorAuthPresent", "false");
        }
        z->c.principal_kind = AUTHZ_ROOT;
        z->c.principal_arn = own(z, r->who.arn);
        z->c.principal_account = own(z, r->who.account);
        az_key(z, "aws:PrincipalArn", r->who.arn);
        az_key(z, "aws:PrincipalAccount", r->who.account);
        az_key(z, "aws:PrincipalType", "Account");
        az_key(z, "aws:userid", r->who.account);
        break;
    case PRIN_USER:
    case PRIN_ROLE_SESSION:
        if (r->srv->iam == NULL || iam_identity_get(r->srv->iam, r->auth.akid, 0, &z->id) != S3_OK) {
            /* The credential disappeared between authentication and now: nothing is allowed. */
            z->deny_all = 1;
            z->c.principal_kind = r->who.kind == PRIN_USER ? AUTHZ_USER : AUTHZ_ROLE_SESSION;
            z->c.principal_arn = own(z, r->who.arn);
            z->c.principal_account = own(z, r->who.account);
            break;
        }
        z->have_id = 1;
        z->c.principal_kind = z->id.kind;
        z->c.principal_arn = z->id.arn;
        z->c.principal_account = z->id.account;
        az_key(z, "aws:PrincipalAccount", z->id.account);
        az_key(z, "aws:userid", z->id.userid);
        if (z->id.kind == AUTHZ_ROLE_SESSION) {
            z->c.role_arn = z->id.role_arn;
            az_key(z, "aws:PrincipalArn", z->id.role_arn);
            az_key(z, "aws:PrincipalType", "AssumedRole");
        } else {
            az_key(z, "aws:PrincipalArn", z->id.arn);
            az_key(z, "aws:PrincipalType", z->id.kind == AUTHZ_ROOT ? "Account" : "User");
            if (z->id.kind == AUTHZ_USER)
                az_key(z, "aws:username", z->id.name);
        }
        if (z->id.kind == AUTHZ_ROLE_SESSION || z->id.session_token) {
            /* temporary credentials only (doc 5): absent for long-term access keys */
            az_key(z, "aws:MultiFactorAuthPresent", "false");
            iam_time_iso(z->id.token_issued, t);
            az_key(z, "aws:TokenIssueTime", t);
        }
        for (size_t i = 0; i < z->id.tags.n; i++) {
            char name[200];
            snprintf(name, sizeof(name), "aws:PrincipalTag/%s", z->id.tags.v[i].key);
            az_key(z, name, z->id.tags.v[i].value);
        }
        break;
    }
    az_key(z, "aws:SourceIp", r->peer[0] ? r->peer : "127.0.0.1");
    gmtime_r(&now, &tm);
    strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%SZ", &tm);
    az_key(z, "aws:CurrentTime", t);
    snprintf(buf, sizeof(buf), "%lld", (long long)now);
    az_key(z, "aws:EpochTime", buf);
    az_key(z, "aws:SecureTransport", "false");
    az_key(z, "aws:RequestedRegion", region && region[0] ? region : r->srv->cfg->region);
    az_key(z, "aws:ViaAWSService", "false");
    az_key(z, "aws:PrincipalIsAWSService", "false");
    if (ua)
        az_key(z, "aws:UserAgent", ua);
    if (ref)
        az_key(z, "aws:Referer", ref);
    return S3_OK;
}

void az_end(struct az *z)
{
    for (size_t i = 0; i < z->n_own; i++)
        free(z->own[i]);
    free(z->own);
    if (z->have_id)
        iam_identity_release(&z->id);
    memset(z, 0, sizeof(*z));
}

/* ------------------------------------------------------------------ deciding and explaining */

/* "POLICY#Sid (line L)" for one matched statement, appended to b. */
static void describe_match(struct s3_buf *b, const struct authz_match *m)
{
    struct policy_stmt_info si;
    const char *src = policy_source(m->policy);
    if (!policy_statement_info(m->policy, m->stmt, &si)) {
        buf_addf(b, "%s#%zu", src ? src : "policy", m->stmt);
        return;
    }
    if (si.sid && si.sid[0])
        buf_addf(b, "%s#%s (statement %zu, line %d)", src ? src : "policy", si.sid, si.index + 1, si.line);
    else
        buf_addf(b, "%s#%zu (line %d)", src ? src : "policy", si.index + 1, si.line);
}

/* Which statement decided, or which came closest and why it missed: one line of visible
 * ASCII (it goes into a response header and the error message). */
static void decision_text(const struct authz_result *res, struct s3_buf *b)
{
    buf_adds(b, authz_decision_name(res->decision));
    if (res->n_deciding) {
        buf_adds(b, res->decision == AUTHZ_EXPLICIT_DENY ? "; denied-by=" : "; allowed-by=");
        describe_match(b, &res->deciding[0]);
    } else if (res->n_near) {
        const struct authz_match *m = &res->near[0];
        buf_adds(b, "; closest=");
        describe_match(b, m);
        if (m->miss == AUTHZ_MISS_CONDITION && m->cond.op)
            buf_addf(b, "; failed-condition=%s %s (request: %s)", m->cond.op, m->cond.key ? m->cond.key : "",
                     m->cond.req ? (m->cond.req->value ? m->cond.req->value : "[list]") : "absent");
        else if (m->miss == AUTHZ_MISS_RESOURCE)
            buf_adds(b, "; failed=Resource");
        else if (m->miss == AUTHZ_MISS_PRINCIPAL)
            buf_adds(b, "; failed=Principal");
    } else if (res->decision == AUTHZ_IMPLICIT_DENY) {
        buf_adds(b, "; no statement of the caller's policies matches this action and resource");
    }
    for (size_t i = 0; i < b->len; i++)
        if ((unsigned char)b->p[i] < 0x20 || (unsigned char)b->p[i] > 0x7e)
            b->p[i] = '?';
}

/* The teaching header x-s3iam-decision. */
static void decision_header(struct az *z, const struct authz_result *res)
{
    struct s3_buf b;
    buf_init(&b, 1000);
    decision_text(res, &b);
    if (b.p)
        resp_header(z->r, "x-s3iam-decision", b.p);
    buf_release(&b);
}

/* One log line per decision by a non-root caller (the explanation joined on one line). */
static void log_decision(struct az *z, const struct authz_result *res)
{
    struct s3_buf b;
    int deny = res->decision != AUTHZ_ALLOW;

    if (z->c.principal_kind == AUTHZ_ROOT && !deny) {
        log_debug("authz ALLOW principal=%s action=%s resource=%s (root user)", z->c.principal_arn, z->c.action,
                  z->c.resource);
        return;
    }
    buf_init(&b, 16384);
    buf_addf(&b, "authz %s id=%s principal=%s action=%s resource=%s decision=%s", deny ? "DENY" : "ALLOW",
             z->r->req_id, z->c.principal_arn ? z->c.principal_arn : "anonymous", z->c.action, z->c.resource,
             authz_decision_name(res->decision));
    if (res->n_deciding) {
        buf_adds(&b, " by=");
        for (size_t i = 0; i < res->n_deciding && i < AUTHZ_MAX_MATCHES; i++) {
            if (i)
                buf_adds(&b, ", ");
            describe_match(&b, &res->deciding[i]);
        }
    }
    if (deny) {
        struct s3_buf ex;
        buf_init(&ex, 8192);
        authz_explain(res, &z->c, &ex);
        /* one log line: the explanation's lines joined with " | " */
        for (size_t i = 0, start = 0; i < ex.len; i++)
            if (ex.p[i] == '\n') {
                buf_addf(&b, " | %.*s", (int)(i - start), ex.p + start);
                start = i + 1;
            }
        buf_release(&ex);
    }
    log_info("%s", b.p ? b.p : "authz");
    buf_release(&b);
}

/* The client's message (doc 6): the reason only for callers of the resource's own account. */
static char *denied_message(struct az *z, const struct authz_result *res, int s3)
{
    struct s3_buf b;
    buf_init(&b, 4096);
    int same = !(z->c.principal_kind == AUTHZ_ANONYMOUS || !res->same_account || z->c.principal_arn == NULL);
    if (!same)
        buf_adds(&b, "Access Denied");
    else
        authz_denied_message(res, &z->c, s3, &b);
    /* A student must learn which statement decided: named for callers of the resource's own
     * account (whom AWS tells the reason), and for everyone with --explain-denials. */
    if (same || z->r->srv->cfg->explain_denials) {
        buf_adds(&b, " [s3iam: ");
        decision_text(res, &b);
        buf_adds(&b, "]");
    }
    return buf_detach(&b, NULL);
}

/* az_decide with access point policies (requests through an access point, doc 4.5). */
static s3_err az_decide_full(struct az *z, const char *action, const char *resource, const char *resource_account,
                             const struct policy *const *rp, size_t n_rp, const struct policy *const *app,
                             size_t n_app, int s3, int fail_request, struct authz_result *res_out, char **msg_out)
{
    struct authz_policies pols;
    struct authz_result res;

    memset(&pols, 0, sizeof(pols));
    z->c.action = action;
    z->c.resource = resource;
    z->c.resource_account = resource_account;
    if (z->have_id) {
        pols.identity = z->id.pols;
        pols.n_identity = z->id.n_pols;
        pols.session = iam_cpol_policy(z->id.session);
    }
    pols.resource = rp;
    pols.n_resource = n_rp;
    pols.access_point = app;
    pols.n_access_point = n_app;
    authz_evaluate(&pols, &z->c, &res);
    if (z->deny_all && res.decision == AUTHZ_ALLOW) {
        res.decision = AUTHZ_IMPLICIT_DENY;
        res.reason = AUTHZ_R_NO_IDENTITY_ALLOW;
        res.n_deciding = 0;
    }
    log_decision(z, &res);
    {
        struct timespec ts;
        struct dlog_req rq;
        clock_gettime(CLOCK_REALTIME, &ts);
        rq.request_id = z->r->req_id;
        rq.operation = z->r->op ? z->r->op->name : NULL;
        rq.bucket = z->r->bucket;
        rq.key = z->r->key;
        rq.time_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
        dlog_record(z->r->srv->dlog, &rq, &z->c, &res);
    }
    if (res.decision != AUTHZ_ALLOW && z->r->srv->cfg->explain_denials) {
        char *ex = dlog_explain(&z->c, &res);
        for (char *line = ex, *nl; line && *line; line = nl ? nl + 1 : NULL) {
            if ((nl = strchr(line, '\n')) != NULL)
                *nl = 0;
            log_warn("authz explain id=%s: %s", z->r->req_id, line);
            if (nl == NULL)
                break;
        }
        free(ex);
    }
    if (res_out)
        *res_out = res;
    if (res.decision == AUTHZ_ALLOW)
        return S3_OK;
    decision_header(z, &res);
    if (fail_request || msg_out) {
        char *msg = denied_message(z, &res, s3);
        if (fail_request)
            req_fail(z->r, S3E_ACCESS_DENIED, "%s", msg ? msg : "Access Denied");
        if (msg_out)
            *msg_out = msg;
        else
            free(msg);
    }
    return S3E_ACCESS_DENIED;
}

s3_err az_decide(struct az *z, const char *action, const char *resource, const char *resource_account,
                 const struct policy *const *rp, size_t n_rp, int s3, int fail_request,
                 struct authz_result *res_out, char **msg_out)
{
    return az_decide_full(z, action, resource, resource_account, rp, n_rp, NULL, 0, s3, fail_request, res_out,
                          msg_out);
}

/* ------------------------------------------------------------------ S3 */

/* The bucket policy in force (counted reference; NULL when the bucket has none). */
static struct bpol_ref *authz_bucket_policy(struct s3_req *r, const char *bucket)
{
    struct bpol_ref *ref = NULL;
    if (bucket == NULL || bpol_get(r->srv, bucket, &ref) != S3_OK)
        return NULL;
    return ref;
}

/* The access point's policy, compiled (caller frees with policy_free), or NULL. */
static struct bpol_ref *authz_access_point_policy(struct s3_req *r)
{
    struct bpol_ref *ref = NULL;
    if (!r->ap.active || apol_get(r->srv, r->ap.account, r->ap.name, &ref) != S3_OK)
        return NULL;
    return ref;
}

/* Owner of a bucket; 0 if it does not exist. */
static int bucket_owner(struct s3_req *r, const char *bucket, char owner[13])
{
    struct stor_bucket b;
    if (stor_bucket_get(r->srv->stor, bucket, &b) != S3_OK)
        return 0;
    snprintf(owner, 13, "%s", b.owner_account ? b.owner_account : "");
    stor_bucket_release(&b);
    return 1;
}

static char *s3_arn(const char *bucket, const char *key)
{
    struct s3_buf b;
    buf_init(&b, 0);
    buf_addf(&b, "arn:aws:s3:::%s%s%s", bucket ? bucket : "", key ? "/" : "", key ? key : "");
    return buf_detach(&b, NULL);
}

/* Keys on every S3 request (doc 5). */
static void s3_common_keys(struct az *z, const char *resource_account)
{
    struct s3_req *r = z->r;
    const char *sha = req_header(r, "x-amz-content-sha256");
    switch (r->auth.kind) {
    case SIGV4_HEADER:
    case SIGV2_HEADER:
        az_key(z, "s3:authType", "REST-HEADER");
        break;
    case SIGV4_QUERY:
    case SIGV2_QUERY: {
        char age[32];
        az_key(z, "s3:authType", "REST-QUERY-STRING");
        snprintf(age, sizeof(age), "%lld", (long long)(req_now(r) - r->auth.request_time) * 1000);
        az_key(z, "s3:signatureAge", age);
        break;
    }
    default:
        break;
    }
    if (r->auth.kind == SIGV4_HEADER || r->auth.kind == SIGV4_QUERY)
        az_key(z, "s3:signatureversion", "AWS4-HMAC-SHA256");
    else if (r->auth.kind == SIGV2_HEADER || r->auth.kind == SIGV2_QUERY)
        az_key(z, "s3:signatureversion", "AWS");
    if (sha)
        az_key(z, "s3:x-amz-content-sha256", sha);
    if (resource_account)
        az_key(z, "s3:ResourceAccount", resource_account);
    if (r->ap.active) {
        az_key(z, "s3:DataAccessPointArn", r->ap.arn);
        az_key(z, "s3:DataAccessPointAccount", r->ap.account);
        az_key(z, "s3:AccessPointNetworkOrigin", r->ap.network_origin[0] ? r->ap.network_origin : "Internet");
    }
}

/* s3:RequestObjectTag/<k> and s3:RequestObjectTagKeys from x-amz-tagging ("k1=v1&k2=v2"). */
static void tagging_keys(struct az *z, const char *v)
{
    const char *keys[64] = { 0 };
    char *ks[64];
    size_t n = 0;
    const char *p = v, *end = v + strlen(v);
    while (p < end && n < 64) {
        const char *amp = memchr(p, '&', (size_t)(end - p)), *stop = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(stop - p));
        struct s3_buf k, val;
        buf_init(&k, 512);
        buf_init(&val, 1024);
        if (s3_uri_decode((struct s3_str){ p, (size_t)((eq ? eq : stop) - p) }, 1, &k) == S3_OK &&
            (!eq || s3_uri_decode((struct s3_str){ eq + 1, (size_t)(stop - eq - 1) }, 1, &val) == S3_OK) && k.len) {
            char name[700];
            snprintf(name, sizeof(name), "s3:RequestObjectTag/%s", k.p);
            az_key(z, name, val.p ? val.p : "");
            ks[n] = buf_detach(&k, NULL);
            keys[n] = ks[n];
            if (ks[n])
                n++;
        }
        buf_release(&k);
        buf_release(&val);
        p = stop + 1;
    }
    az_keyv(z, "s3:RequestObjectTagKeys", keys, n);
    for (size_t i = 0; i < n; i++)
        free(ks[i]);
}

/* Operation keys from headers (PutObject, CreateMultipartUpload, CopyObject, CreateBucket). */
static void header_keys(struct az *z)
{
    static const char *const hk[] = { "x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id",
                                      "x-amz-acl", "x-amz-storage-class", "x-amz-grant-read", "x-amz-grant-write",
                                      "x-amz-grant-read-acp", "x-amz-grant-write-acp", "x-amz-grant-full-control",
                                      "x-amz-object-lock-mode", "x-amz-object-lock-retain-until-date",
                                      "x-amz-object-lock-legal-hold", "x-amz-copy-source",
                                      "x-amz-metadata-directive", "x-amz-object-ownership" };
    for (size_t i = 0; i < sizeof(hk) / sizeof(hk[0]); i++) {
        const char *v = req_header(z->r, hk[i]);
        if (v) {
            char name[80];
            /* The object lock keys drop the "x-amz-" prefix in their condition key names. */
            if (!strncmp(hk[i], "x-amz-object-lock-", 18))
                snprintf(name, sizeof(name), "s3:object-lock-%s", hk[i] + 18);
            else
                snprintf(name, sizeof(name), "s3:%s", hk[i]);
            az_key(z, name, v);
        }
    }
    if (req_header(z->r, "x-amz-tagging"))
        tagging_keys(z, req_header(z->r, "x-amz-tagging"));
}

/* One (action, resource) the request needs. */
struct need {
    const char *action;
    int source;            /* 1: the copy source (bucket/key below) */
};

static int op_is(const struct s3_req *r, const char *name) { return r->op && !strcmp(r->op->name, name); }

/* The actions the operation needs (doc 5 table).  Returns the count. */
static size_t needs_for(struct s3_req *r, struct need *n, size_t max, const char *src_version)
{
    int ver = req_query(r, "versionId") != NULL;
    size_t k = 0;
    const char *a = r->op->action;

    if (ver) {
        if (op_is(r, "GetObject") || op_is(r, "HeadObject"))
            a = "s3:GetObjectVersion";
        else if (op_is(r, "DeleteObject"))
            a = "s3:DeleteObjectVersion";
        else if (op_is(r, "GetObjectTagging"))
            a = "s3:GetObjectVersionTagging";
        else if (op_is(r, "PutObjectTagging"))
            a = "s3:PutObjectVersionTagging";
        else if (op_is(r, "DeleteObjectTagging"))
            a = "s3:DeleteObjectVersionTagging";
        else if (op_is(r, "GetObjectAcl"))
            a = "s3:GetObjectVersionAcl";
        else if (op_is(r, "PutObjectAcl"))
            a = "s3:PutObjectVersionAcl";
    }
    if (op_is(r, "GetObjectAttributes")) {
        /* both actions (API reference, GetObjectAttributes permissions) */
        n[k++] = (struct need){ ver ? "s3:GetObjectVersion" : "s3:GetObject", 0 };
        a = ver ? "s3:GetObjectVersionAttributes" : "s3:GetObjectAttributes";
    }
    n[k++] = (struct need){ a, 0 };
    if (op_is(r, "PutObject") || op_is(r, "CreateMultipartUpload") || op_is(r, "CopyObject")) {
        const char *td = req_header(r, "x-amz-tagging-directive");
        if (req_header(r, "x-amz-tagging") && (!op_is(r, "CopyObject") || (td && !strcasecmp(td, "REPLACE"))))
            n[k++] = (struct need){ "s3:PutObjectTagging", 0 };
        if (req_header(r, "x-amz-acl") || req_header(r, "x-amz-grant-read") || req_header(r, "x-amz-grant-full-control") ||
            req_header(r, "x-amz-grant-read-acp") || req_header(r, "x-amz-grant-write-acp"))
            n[k++] = (struct need){ "s3:PutObjectAcl", 0 };
    }
    if (op_is(r, "CreateBucket")) {
        if (req_header(r, "x-amz-acl") || req_header(r, "x-amz-grant-full-control") || req_header(r, "x-amz-grant-read") ||
            req_header(r, "x-amz-grant-write") || req_header(r, "x-amz-grant-read-acp") ||
            req_header(r, "x-amz-grant-write-acp"))
            n[k++] = (struct need){ "s3:PutBucketAcl", 0 };
        if (req_header(r, "x-amz-object-ownership"))
            n[k++] = (struct need){ "s3:PutBucketOwnershipControls", 0 };
        if (req_header(r, "x-amz-bucket-object-lock-enabled")) {
            n[k++] = (struct need){ "s3:PutBucketObjectLockConfiguration", 0 };
            n[k++] = (struct need){ "s3:PutBucketVersioning", 0 };
        }
    }
    if ((op_is(r, "CopyObject") || op_is(r, "UploadPartCopy")) && k < max)
        n[k++] = (struct need){ src_version ? "s3:GetObjectVersion" : "s3:GetObject", 1 };
    (void)max;
    return k;
}

/* Decide every need of the request; S3_OK or S3E_ACCESS_DENIED (req_fail done). */
static s3_err s3_decide_all(struct s3_req *r, const char *location)
{
    struct az z;
    struct need needs[8];
    size_t n;
    char owner[13], src_owner[13];
    char *src_bucket = NULL, *src_key = NULL, *src_ver = NULL;
    char *res = NULL, *src_res = NULL, *bres = NULL;
    struct bpol_ref *bp = NULL, *src_bp = NULL;
    struct bpol_ref *app = NULL;
    const char *region = r->auth.region[0] ? r->auth.region : r->srv->cfg->region;
    s3_err e = S3_OK;

    if (op_is(r, "CopyObject") || op_is(r, "UploadPartCopy")) {
        if ((e = s3_parse_copy_source(r, &src_bucket, &src_key, &src_ver)) != S3_OK)
            return e;   /* the handler would refuse it the same way */
    }
    if (r->bucket == NULL) {
        snprintf(owner, sizeof(owner), "%s", authz_account(r));
    } else if (!bucket_owner(r, r->bucket, owner)) {
        if (!op_is(r, "CreateBucket"))
            goto out;   /* the handler answers NoSuchBucket, to anyone (bucket names are global) */
        snprintf(owner, sizeof(owner), "%s", authz_account(r));
    }
    if ((e = az_begin(&z, r, region)) != S3_OK)
        goto out;
    s3_common_keys(&z, owner);
    header_keys(&z);
    /* The parts and the completion of a multipart upload carry the encryption the upload was
     * created with, as S3 evaluates them: a Deny on uploads without x-amz-server-side-encryption
     * must not block the parts of an upload that asked for it. */
    if ((op_is(r, "UploadPart") || op_is(r, "UploadPartCopy") || op_is(r, "CompleteMultipartUpload")) &&
        req_header(r, "x-amz-server-side-encryption") == NULL && r->key && req_query(r, "uploadId")) {
        struct stor_object up;
        memset(&up, 0, sizeof(up));
        if (stor_mpu_get(r->srv->stor, r->bucket, r->key, req_query(r, "uploadId"), &up) == S3_OK) {
            const char *req_sse = sse_attr(&up, SSE_ATTR_REQUESTED);
            if (req_sse)
                az_key(&z, "s3:x-amz-server-side-encryption", req_sse);
        }
        stor_object_release(&up);
    }
    /* Block Public Access: RestrictPublicBuckets of the bucket or the account. */
    if (r->bucket) {
        struct pab pab;
        if (pab_effective(r->srv, r->bucket, owner, &pab) == S3_OK && pab.v[PAB_RESTRICT_PUBLIC_BUCKETS])
            z.c.bpa |= AUTHZ_BPA_RESTRICT_PUBLIC_BUCKETS;
    }
    if (req_query(r, "versionId"))
        az_key(&z, "s3:VersionId", req_query(r, "versionId"));
    if (op_is(r, "ListObjects") || op_is(r, "ListObjectsV2") || op_is(r, "ListObjectVersions")) {
        az_key(&z, "s3:prefix", req_query(r, "prefix"));
        az_key(&z, "s3:delimiter", req_query(r, "delimiter"));
        az_key(&z, "s3:max-keys", req_query(r, "max-keys"));
    }
    if (location)
        az_key(&z, "s3:LocationConstraint", location);

    if (r->bucket == NULL) {
        res = strdup("*");
    } else if (r->ap.active) {
        struct s3_buf b;
        buf_init(&b, 0);
        buf_addf(&b, "%s%s%s", r->ap.arn, r->key ? "/object/" : "", r->key ? r->key : "");
        res = buf_detach(&b, NULL);
        bres = s3_arn(r->bucket, r->key);
        z.c.access_point_arn = r->ap.arn;
        z.c.bucket_resource = bres;
        app = authz_access_point_policy(r);
    } else {
        res = s3_arn(r->bucket, r->key);
    }
    if (res == NULL || (r->ap.active && bres == NULL)) {
        e = S3E_NOMEM;
        goto done;
    }
    bp = authz_bucket_policy(r, r->bucket);
    n = needs_for(r, needs, sizeof(needs) / sizeof(needs[0]), src_ver);
    for (size_t i = 0; i < n && e == S3_OK; i++) {
        const struct policy *rp[1], *ap1[1];
        if (needs[i].source) {
            /* The source is read from its own bucket, never through the access point. */
            if (!bucket_owner(r, src_bucket, src_owner))
                break;   /* NoSuchBucket from the handler */
            free(src_res);
            src_res = s3_arn(src_bucket, src_key);
            src_bp = authz_bucket_policy(r, src_bucket);
            z.c.access_point_arn = NULL;
            z.c.bucket_resource = NULL;
            rp[0] = bpol_policy(src_bp);
            e = az_decide(&z, needs[i].action, src_res ? src_res : "", src_owner, rp, rp[0] ? 1 : 0, 1, 1, NULL,
                          NULL);
            continue;
        }
        rp[0] = bpol_policy(bp);
        ap1[0] = bpol_policy(app);
        e = az_decide_full(&z, needs[i].action, res, owner, rp, rp[0] ? 1 : 0, ap1, app ? 1 : 0, 1, 1, NULL, NULL);
    }
done:
    az_end(&z);
out:
    bpol_release(bp);
    bpol_release(src_bp);
    bpol_release(app);
    free(res);
    free(bres);
    free(src_res);
    free(src_bucket);
    free(src_key);
    free(src_ver);
    return e;
}

/* ------------------------------------------------------------------ S3 entry points (authn.h) */

s3_err authz_s3(struct s3_req *r)
{
    if (r->op == NULL)
        return S3_OK;
    /* CreateBucket's LocationConstraint is in its body (authz_s3_body decides it once the body
     * has arrived); DeleteObjects is decided key by key by its handler (authz_s3_key), which
     * reports each refusal inside its 200 response as S3 does. */
    if (op_is(r, "CreateBucket") || op_is(r, "DeleteObjects"))
        return S3_OK;
    return s3_decide_all(r, NULL);
}

s3_err authz_s3_body(struct s3_req *r)
{
    if (r->svc != SVC_S3 || r->op == NULL)
        return S3_OK;
    if (op_is(r, "CreateBucket")) {
        char *loc = NULL;
        struct xml_doc *d = NULL;
        const char *why;
        s3_err e;
        if (r->body_buf.len && xml_parse(buf_str(&r->body_buf), "CreateBucketConfiguration", &d, &why) == S3_OK)
            loc = xml_child_text(xml_root(d), "LocationConstraint");
        xml_free(d);
        e = s3_decide_all(r, loc && loc[0] ? loc : NULL);
        free(loc);
        return e;
    }
    return S3_OK;
}

/* One action on r->bucket/key (or bucket when key is NULL), quietly: no req_fail. */
static s3_err s3_decide_one(struct s3_req *r, const char *action, const char *key, int fail, char **msg_out)
{
    struct az z;
    char owner[13];
    char *res = NULL, *bres = NULL;
    struct bpol_ref *bp = NULL;
    struct bpol_ref *app = NULL;
    const struct policy *rp[1], *ap1[1];
    const char *region = r->auth.region[0] ? r->auth.region : r->srv->cfg->region;
    s3_err e;

    if (msg_out)
        *msg_out = NULL;
    if (r->bucket == NULL || !bucket_owner(r, r->bucket, owner))
        return S3_OK;
    if ((e = az_begin(&z, r, region)) != S3_OK)
        return e;
    s3_common_keys(&z, owner);
    if (r->ap.active) {
        struct s3_buf b;
        buf_init(&b, 0);
        buf_addf(&b, "%s%s%s", r->ap.arn, key ? "/object/" : "", key ? key : "");
        res = buf_detach(&b, NULL);
        bres = s3_arn(r->bucket, key);
        z.c.access_point_arn = r->ap.arn;
        z.c.bucket_resource = bres;
        app = authz_access_point_policy(r);
    } else {
        res = s3_arn(r->bucket, key);
    }
    if (res == NULL) {
        e = S3E_NOMEM;
        goto out;
    }
    bp = authz_bucket_policy(r, r->bucket);
    rp[0] = bpol_policy(bp);
    ap1[0] = bpol_policy(app);
    e = az_decide_full(&z, action, res, owner, rp, rp[0] ? 1 : 0, ap1, app ? 1 : 0, 1, fail, NULL, msg_out);
out:
    az_end(&z);
    bpol_release(bp);
    bpol_release(app);
    free(res);
    free(bres);
    return e;
}

int authz_may_list(struct s3_req *r) { return s3_decide_one(r, "s3:ListBucket", NULL, 0, NULL) == S3_OK; }

s3_err authz_not_found(struct s3_req *r, s3_err e)
{
    char *msg = NULL;
    if (s3_decide_one(r, "s3:ListBucket", NULL, 0, &msg) == S3_OK)
        return req_fail(r, e, NULL);
    e = req_fail(r, S3E_ACCESS_DENIED, "%s", msg ? msg : "Access Denied");
    free(msg);
    return e;
}

s3_err authz_s3_key(struct s3_req *r, const char *action, const char *key, char **msg_out)
{
    return s3_decide_one(r, action, key, 0, msg_out);
}

s3_err authz_s3_resource(struct s3_req *r, const char *action, const char *resource, const char *resource_account)
{
    struct az z;
    const char *region = r->auth.region[0] ? r->auth.region : r->srv->cfg->region;
    s3_err e;
    if ((e = az_begin(&z, r, region)) != S3_OK)
        return req_fail(r, e, NULL);
    s3_common_keys(&z, resource_account ? resource_account : authz_account(r));
    header_keys(&z);
    e = az_decide(&z, action, resource, resource_account, NULL, 0, 1, 1, NULL, NULL);
    az_end(&z);
    return e;
}

/* ------------------------------------------------------------------ IAM and STS */

/* The Region IAM requests are evaluated in: IAM is a global service homed in us-east-1, and
 * AWS evaluates aws:RequestedRegion as us-east-1 for it whatever the client's region. */
static const char *query_region(const struct s3_req *r)
{
    if (r->svc == SVC_IAM)
        return "us-east-1";
    return r->auth.region[0] ? r->auth.region : r->srv->cfg->region;
}

s3_err authz_query(struct s3_req *r, const char *action, const char *resource, const struct authz_key *extra,
                   size_t n_extra)
{
    struct az z;
    s3_err e;

    if (r->who.kind == PRIN_ROOT) {
        log_debug("authz ALLOW principal=%s action=%s resource=%s (root user)", r->who.arn, action, resource);
        return S3_OK;
    }
    if ((e = az_begin(&z, r, query_region(r))) != S3_OK)
        return req_fail(r, e, NULL);
    for (size_t i = 0; i < n_extra; i++) {
        if (extra[i].value)
            az_key(&z, extra[i].name, extra[i].value);
        else
            az_keyv(&z, extra[i].name, extra[i].values, extra[i].n_values);
    }
    e = az_decide(&z, action, resource, NULL, NULL, 0, 0, 1, NULL, NULL);
    az_end(&z);
    return e;
}

/* {"Action":"*","Resource":"*"}, compiled once: stands in for the caller's side when asking
 * whether a trust policy admits the caller at all. */
static pthread_once_t allow_all_once = PTHREAD_ONCE_INIT;
static struct policy *allow_all;
static void allow_all_init(void)
{
    static const char doc[] = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\","
                              "\"Resource\":\"*\"}]}";
    if (policy_compile(doc, sizeof(doc) - 1, POLICY_IDENTITY, NULL, "(trust admission check)", &allow_all, NULL) !=
        S3_OK)
        allow_all = NULL;
}

s3_err authz_assume_role(struct s3_req *r, const char *role_arn, const struct policy *trust,
                         const struct authz_key *extra, size_t n_extra)
{
    struct az z;
    struct authz_result adm, res;
    struct authz_policies pols;
    const struct policy *rp[1] = { trust };
    const struct policy *all[1];
    char other[13];
    s3_err e;

    if (r->who.kind == PRIN_ROOT)
        return req_fail(r, S3E_ACCESS_DENIED, "Roles may not be assumed by root accounts.");
    if ((e = az_begin(&z, r, query_region(r))) != S3_OK)
        return req_fail(r, e, NULL);
    for (size_t i = 0; i < n_extra; i++) {
        if (extra[i].value)
            az_key(&z, extra[i].name, extra[i].value);
        else
            az_keyv(&z, extra[i].name, extra[i].values, extra[i].n_values);
    }
    /* 1. Does the trust policy name the caller (or its account, or "*")?  Asked as if the role
     *    were in another account, with the caller's side granted, so that an account principal
     *    counts as a match (doc 4.3) and a Deny in the trust policy still denies. */
    pthread_once(&allow_all_once, allow_all_init);
    memset(&pols, 0, sizeof(pols));
    all[0] = allow_all;
    pols.identity = all;
    pols.n_identity = allow_all ? 1 : 0;
    pols.resource = rp;
    pols.n_resource = trust ? 1 : 0;
    snprintf(other, sizeof(other), "%s",
             z.c.principal_account && !strcmp(z.c.principal_account, "000000000000") ? "999999999999" : "000000000000");
    z.c.action = "sts:AssumeRole";
    z.c.resource = role_arn;
    z.c.resource_account = other;
    authz_evaluate(&pols, &z.c, &adm);
    if (adm.decision != AUTHZ_ALLOW || z.deny_all) {
        struct s3_buf b;
        buf_init(&b, 2048);
        buf_addf(&b, "User: %s is not authorized to perform: sts:AssumeRole on resource: %s %s",
                 z.c.principal_arn ? z.c.principal_arn : "anonymous", role_arn,
                 adm.decision == AUTHZ_EXPLICIT_DENY ? "with an explicit deny in a resource-based policy"
                                                     : "because no resource-based policy allows the sts:AssumeRole action");
        log_info("authz DENY id=%s principal=%s action=sts:AssumeRole resource=%s decision=%s | the role's trust "
                 "policy does not admit the caller",
                 r->req_id, z.c.principal_arn ? z.c.principal_arn : "anonymous", role_arn,
                 authz_decision_name(adm.decision));
        resp_headerf(r, "x-s3iam-decision", "%s; the trust policy of %s does not name this caller, its role or its "
                                            "account",
                     authz_decision_name(adm.decision == AUTHZ_EXPLICIT_DENY ? AUTHZ_EXPLICIT_DENY : AUTHZ_IMPLICIT_DENY),
                     role_arn);
        e = req_fail(r, S3E_ACCESS_DENIED, "%s", b.p ? b.p : "Access Denied");
        buf_release(&b);
        az_end(&z);
        return e;
    }
    /* 2. The ordinary same-account decision: the identity policies allow, or the trust policy
     *    names the caller itself (AWS: either suffices within one account). */
    e = az_decide(&z, "sts:AssumeRole", role_arn, NULL, rp, trust ? 1 : 0, 0, 1, &res, NULL);
    az_end(&z);
    return e;
}
