/*
 * server/s3_bucket_ctl.c - bucket controls: bucket policy, Block Public Access, default
 * encryption.  Each is kept by storage as one text attribute of the bucket:
 *   "policy"     the policy JSON exactly as the client sent it
 *   "pab"        four 0/1 digits: BlockPublicAcls IgnorePublicAcls BlockPublicPolicy
 *                RestrictPublicBuckets ("1111" for new buckets, as AWS does since April 2023)
 *   "encryption" "<SSEAlgorithm>\n<KMSMasterKeyID>\n<BucketKeyEnabled>" (absent = SSE-S3 default)
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/iam_db.h"
#include "auth/policy.h"
#include "server/bpol.h"
#include "server/ops.h"
#include "server/s3_ctl.h"
#include "server/xml.h"

/* ------------------------------------------------------------------ Block Public Access */

static const char *const pab_names[4] = { "BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy",
                                          "RestrictPublicBuckets" };

s3_err pab_bucket_get(struct s3_server *srv, const char *bucket, struct pab *out)
{
    char *v = NULL;
    s3_err e = stor_bucket_attr_get(srv->stor, bucket, "pab", &v);
    memset(out, 0, sizeof(*out));
    if (e == S3E_NO_SUCH_KEY)
        return S3_OK;     /* deleted: everything off */
    if (e != S3_OK)
        return e;
    out->present = 1;
    for (int i = 0; i < 4 && v[i]; i++)
        out->v[i] = v[i] == '1';
    free(v);
    return S3_OK;
}

static s3_err pab_bucket_set(struct s3_server *srv, const char *bucket, const struct pab *p)
{
    char v[5];
    for (int i = 0; i < 4; i++)
        v[i] = p->v[i] ? '1' : '0';
    v[4] = 0;
    return stor_bucket_attr_set(srv->stor, bucket, "pab", v);
}

s3_err pab_bucket_init(struct s3_server *srv, const char *bucket)
{
    struct pab p = { 1, { 1, 1, 1, 1 } };
    return pab_bucket_set(srv, bucket, &p);
}

s3_err pab_parse_xml(struct s3_req *r, struct pab *out)
{
    struct xml_doc *d = NULL;
    const char *why;
    s3_err e;

    memset(out, 0, sizeof(*out));
    out->present = 1;
    if ((e = xml_parse(buf_str(&r->body_buf), "PublicAccessBlockConfiguration", &d, &why)) != S3_OK)
        return req_fail(r, e, "%s", why);
    for (int i = 0; i < 4; i++) {
        char *t = xml_child_text(xml_root(d), pab_names[i]);
        if (t && strcmp(t, "true") && strcmp(t, "false")) {
            e = req_fail(r, S3E_MALFORMED_XML, "%s must be true or false, not '%s'.", pab_names[i], t);
            free(t);
            break;
        }
        out->v[i] = t && !strcmp(t, "true");
        free(t);
    }
    xml_free(d);
    return e;
}

void pab_write_xml(struct s3_req *r, const struct pab *p)
{
    struct xml_w w;
    xw_begin(&w, &r->resp.body, "PublicAccessBlockConfiguration", S3_XMLNS);
    for (int i = 0; i < 4; i++)
        xw_elem_bool(&w, pab_names[i], p->v[i]);
    xw_end(&w);
    resp_header(r, "Content-Type", "application/xml");
}

s3_err op_get_public_access_block(struct s3_req *r)
{
    struct stor_bucket b;
    struct pab p;
    s3_err e;
    if ((e = s3_need_bucket(r, &b)) != S3_OK)
        return e;
    stor_bucket_release(&b);
    if ((e = pab_bucket_get(r->srv, r->bucket, &p)) != S3_OK)
        return e;
    if (!p.present)
        return req_fail(r, S3E_NO_SUCH_PAB, "The public access block configuration was not found");
    pab_write_xml(r, &p);
    return S3_OK;
}

s3_err op_put_public_access_block(struct s3_req *r)
{
    struct stor_bucket b;
    struct pab p;
    s3_err e;
    if ((e = s3_need_bucket(r, &b)) != S3_OK)
        return e;
    stor_bucket_release(&b);
    if ((e = pab_parse_xml(r, &p)) != S3_OK)
        return e;
    return pab_bucket_set(r->srv, r->bucket, &p);
}

s3_err op_delete_public_access_block(struct s3_req *r)
{
    struct stor_bucket b;
    s3_err e;
    if ((e = s3_need_bucket(r, &b)) != S3_OK)
        return e;
    stor_bucket_release(&b);
    if ((e = stor_bucket_attr_set(r->srv->stor, r->bucket, "pab", NULL)) != S3_OK)
        return e;
    r->resp.status = 204;
    return S3_OK;
}

/* ------------------------------------------------------------------ bucket policy */

/* Get/Put/DeleteBucketPolicy: even with the permission, only the bucket owner's account may
 * call them; others get 405 MethodNotAllowed (API reference, Permissions of PutBucketPolicy). */
static s3_err owner_only(struct s3_req *r, struct stor_bucket *b)
{
    s3_err e = S3_OK;
    if (strcmp(b->owner_account, r->who.account) != 0)
        e = req_fail(r, S3E_METHOD_NOT_ALLOWED, "The bucket policy can only be read or changed by the bucket "
                                                "owner's account (%s).", b->owner_account);
    stor_bucket_release(b);
    return e;
}

s3_err op_get_bucket_policy(struct s3_req *r)
{
    struct stor_bucket b;
    char *text = NULL;
    s3_err e;
    if ((e = s3_need_bucket(r, &b)) != S3_OK || (e = owner_only(r, &b)) != S3_OK)
        return e;
    e = stor_bucket_attr_get(r->srv->stor, r->bucket, "policy", &text);
    if (e == S3E_NO_SUCH_KEY)
        return req_fail(r, S3E_NO_SUCH_BUCKET_POLICY, "The bucket policy does not exist");
    if (e != S3_OK)
        return e;
    buf_adds(&r->resp.body, text);
    free(text);
    resp_header(r, "Content-Type", "application/json");
    return S3_OK;
}

/* PutBucketPolicy's "Invalid principal in policy": an account id must have 12 digits, and a
 * user or role of an account this server hosts must exist. */
static int bucket_principal_exists(void *ud, const char *p)
{
    struct s3_server *srv = ud;
    char acct[13];
    const char *rest;
    int ok = 1;

    if (strspn(p, "0123456789") == strlen(p))
        return strlen(p) == 12;
    if (strncmp(p, "arn:aws:iam::", 13) && strncmp(p, "arn:aws:sts::", 13))
        return 1;
    rest = p + 13;
    if (strspn(rest, "0123456789") != 12 || rest[12] != ':')
        return 0;
    memcpy(acct, rest, 12);
    acct[12] = 0;
    rest += 13;
    if (srv->iam && conf_account_by_id(srv->cfg, acct) && !strncmp(p, "arn:aws:iam::", 13) &&
        (!strncmp(rest, "user/", 5) || !strncmp(rest, "role/", 5))) {
        const struct iam_account *a = iam_read_begin(srv->iam, acct);
        ok = a && (!strncmp(rest, "user/", 5) ? iam_user_by_arn(a, p) != NULL : iam_role_by_arn(a, p) != NULL);
        if (a)
            iam_read_end(srv->iam);
    }
    return ok;
}

s3_err op_put_bucket_policy(struct s3_req *r)
{
    struct stor_bucket b;
    struct policy *p = NULL;
    struct policy_diag diag;
    struct policy_validate_opts o;
    struct pab pab;
    char source[320];
    s3_err e;

    if ((e = s3_need_bucket(r, &b)) != S3_OK || (e = owner_only(r, &b)) != S3_OK)
        return e;
    memset(&o, 0, sizeof(o));
    o.bucket = r->bucket;
    o.principal_exists = bucket_principal_exists;
    o.principal_exists_ud = r->srv;
    snprintf(source, sizeof(source), "bucket policy of %s", r->bucket);
    if (policy_compile(r->body_buf.p ? r->body_buf.p : "", r->body_buf.len, POLICY_RESOURCE_BUCKET, &o, source, &p,
                       &diag) != S3_OK) {
        const struct policy_error *pe = &diag.errors[0];
        if (diag.n_errors == 0)
            return req_fail(r, S3E_MALFORMED_POLICY, "This policy contains invalid Json");
        if (pe->line > 0)
            return req_fail(r, S3E_MALFORMED_POLICY, "%s (line %d, column %d)%s%s", pe->message, pe->line, pe->column,
                            pe->detail[0] ? ": " : "", pe->detail);
        return req_fail(r, S3E_MALFORMED_POLICY, "%s%s%s", pe->message, pe->detail[0] ? ": " : "", pe->detail);
    }
    /* BlockPublicPolicy refuses a public policy with 403 (bucket or account level). */
    if ((e = pab_effective(r->srv, r->bucket, r->who.account, &pab)) != S3_OK) {
        policy_free(p);
        return e;
    }
    if (pab.v[PAB_BLOCK_PUBLIC_POLICY] && policy_is_public(p, POLICY_RESOURCE_BUCKET)) {
        policy_free(p);
        return req_fail(r, S3E_ACCESS_DENIED, "Access Denied: this policy grants public access (a Principal of \"*\" "
                                              "without a restricting condition) and BlockPublicPolicy is on for this "
                                              "bucket or account.");
    }
    if ((e = stor_bucket_attr_set(r->srv->stor, r->bucket, "policy", r->body_buf.p ? r->body_buf.p : "")) != S3_OK) {
        policy_free(p);
        return e;
    }
    bpol_set(r->srv, r->bucket, p);
    r->resp.status = 204;
    return S3_OK;
}

s3_err op_delete_bucket_policy(struct s3_req *r)
{
    struct stor_bucket b;
    s3_err e;
    if ((e = s3_need_bucket(r, &b)) != S3_OK || (e = owner_only(r, &b)) != S3_OK)
        return e;
    if ((e = stor_bucket_attr_set(r->srv->stor, r->bucket, "policy", NULL)) != S3_OK)
        return e;
    bpol_set(r->srv, r->bucket, NULL);
    r->resp.status = 204;
    return S3_OK;
}

s3_err op_get_bucket_policy_status(struct s3_req *r)
{
    struct stor_bucket b;
    struct bpol_ref *ref = NULL;
    struct xml_w w;
    s3_err e;
    if ((e = s3_need_bucket(r, &b)) != S3_OK)
        return e;
    stor_bucket_release(&b);
    if ((e = bpol_get(r->srv, r->bucket, &ref)) != S3_OK)
        return e;
    if (ref == NULL)
        return req_fail(r, S3E_NO_SUCH_BUCKET_POLICY, "The bucket policy does not exist");
    xw_begin(&w, &r->resp.body, "PolicyStatus", S3_XMLNS);
    xw_elem_bool(&w, "IsPublic", policy_is_public(bpol_policy(ref), POLICY_RESOURCE_BUCKET));
    xw_end(&w);
    bpol_release(ref);
    resp_header(r, "Content-Type", "application/xml");
    return S3_OK;
}

/* ------------------------------------------------------------------ default encryption */

s3_err sse_bucket_default_full(struct s3_server *srv, const char *bucket, char alg[32], char *kms, size_t kmslen,
                               int *bucket_key)
{
    char *v = NULL, *nl1, *nl2;
    s3_err e = stor_bucket_attr_get(srv->stor, bucket, "encryption", &v);
    snprintf(alg, 32, "AES256");
    if (kms && kmslen)
        kms[0] = 0;
    if (bucket_key)
        *bucket_key = 0;
    if (e == S3E_NO_SUCH_KEY)
        return S3_OK;
    if (e != S3_OK)
        return e;
    snprintf(alg, 32, "%.*s", (int)strcspn(v, "\n"), v);
    if ((nl1 = strchr(v, '\n')) != NULL) {
        nl2 = strchr(nl1 + 1, '\n');
        if (kms && kmslen)
            snprintf(kms, kmslen, "%.*s", (int)(nl2 ? nl2 - nl1 - 1 : (long)strlen(nl1 + 1)), nl1 + 1);
        if (bucket_key && nl2)
            *bucket_key = !strcmp(nl2 + 1, "true");
    }
    free(v);
    return S3_OK;
}

s3_err sse_bucket_default(struct s3_server *srv, const char *bucket, char alg[32])
{
    return sse_bucket_default_full(srv, bucket, alg, NULL, 0, NULL);
}

s3_err op_get_bucket_encryption(struct s3_req *r)
{
    struct stor_bucket b;
    struct xml_w w;
    char *v = NULL;
    s3_err e;
    const char *alg = "AES256", *kms = "", *bke = "false";

    if ((e = s3_need_bucket(r, &b)) != S3_OK)
        return e;
    stor_bucket_release(&b);
    e = stor_bucket_attr_get(r->srv->stor, r->bucket, "encryption", &v);
    if (e != S3_OK && e != S3E_NO_SUCH_KEY)
        return e;
    if (v) {
        char *nl1 = strchr(v, '\n'), *nl2 = nl1 ? strchr(nl1 + 1, '\n') : NULL;
        alg = v;
        if (nl1) {
            *nl1 = 0;
            kms = nl1 + 1;
        }
        if (nl2) {
            *nl2 = 0;
            bke = nl2 + 1;
        }
    }
    xw_begin(&w, &r->resp.body, "ServerSideEncryptionConfiguration", S3_XMLNS);
    xw_open(&w, "Rule");
    xw_open(&w, "ApplyServerSideEncryptionByDefault");
    xw_elem(&w, "SSEAlgorithm", alg);
    if (kms[0])
        xw_elem(&w, "KMSMasterKeyID", kms);
    xw_close(&w);
    xw_elem(&w, "BucketKeyEnabled", bke);
    xw_end(&w);
    free(v);
    resp_header(r, "Content-Type", "application/xml");
    return S3_OK;
}

s3_err op_put_bucket_encryption(struct s3_req *r)
{
    struct stor_bucket b;
    struct xml_doc *d = NULL;
    const char *why;
    char *alg = NULL, *kms = NULL, *bke = NULL;
    struct s3_buf v;
    s3_err e;

    if ((e = s3_need_bucket(r, &b)) != S3_OK)
        return e;
    stor_bucket_release(&b);
    if ((e = xml_parse(buf_str(&r->body_buf), "ServerSideEncryptionConfiguration", &d, &why)) != S3_OK)
        return req_fail(r, e, "%s", why);
    if (xml_count(xml_root(d), "Rule") != 1) {
        xml_free(d);
        return req_fail(r, S3E_MALFORMED_XML, "The encryption configuration must have exactly one Rule.");
    }
    const struct xml_node *rule = xml_child(xml_root(d), "Rule");
    const struct xml_node *def = xml_child(rule, "ApplyServerSideEncryptionByDefault");
    alg = def ? xml_child_text(def, "SSEAlgorithm") : NULL;
    kms = def ? xml_child_text(def, "KMSMasterKeyID") : NULL;
    bke = rule ? xml_child_text(rule, "BucketKeyEnabled") : NULL;
    xml_free(d);
    if (alg == NULL)
        e = req_fail(r, S3E_MALFORMED_XML, "The encryption configuration needs Rule/ApplyServerSideEncryptionByDefault/SSEAlgorithm.");
    else if (strcmp(alg, "AES256") && strcmp(alg, "aws:kms") && strcmp(alg, "aws:kms:dsse"))
        e = req_fail(r, S3E_MALFORMED_XML, "SSEAlgorithm must be AES256, aws:kms or aws:kms:dsse, not '%s'.", alg);
    else if (kms && kms[0] && !strcmp(alg, "AES256"))
        e = req_fail(r, S3E_INVALID_ARGUMENT, "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse");
    if (e == S3_OK) {
        buf_init(&v, 4096);
        buf_addf(&v, "%s\n%s\n%s", alg, kms ? kms : "", bke && !strcmp(bke, "true") ? "true" : "false");
        e = stor_bucket_attr_set(r->srv->stor, r->bucket, "encryption", v.p);
        buf_release(&v);
    }
    free(alg);
    free(kms);
    free(bke);
    return e;
}

s3_err op_delete_bucket_encryption(struct s3_req *r)
{
    struct stor_bucket b;
    s3_err e;
    if ((e = s3_need_bucket(r, &b)) != S3_OK)
        return e;
    stor_bucket_release(&b);
    if ((e = stor_bucket_attr_set(r->srv->stor, r->bucket, "encryption", NULL)) != S3_OK)
        return e;
    r->resp.status = 204;
    return S3_OK;
}

/* ------------------------------------------------------------------ account-level BPA */

s3_err pab_account_get(struct s3_server *srv, const char *account, struct pab *out)
{
    char *v = NULL;
    s3_err e = stor_account_attr_get(srv->stor, account, "pab", &v);
    memset(out, 0, sizeof(*out));
    if (e == S3E_NO_SUCH_KEY)
        return S3_OK;
    if (e != S3_OK)
        return e;
    out->present = 1;
    for (int i = 0; i < 4 && v[i]; i++)
        out->v[i] = v[i] == '1';
    free(v);
    return S3_OK;
}

s3_err pab_account_set(struct s3_server *srv, const char *account, const struct pab *p)
{
    char v[5];
    if (p == NULL)
        return stor_account_attr_set(srv->stor, account, "pab", NULL);
    for (int i = 0; i < 4; i++)
        v[i] = p->v[i] ? '1' : '0';
    v[4] = 0;
    return stor_account_attr_set(srv->stor, account, "pab", v);
}

s3_err pab_effective(struct s3_server *srv, const char *bucket, const char *account, struct pab *out)
{
    struct pab a;
    s3_err e;
    if ((e = pab_bucket_get(srv, bucket, out)) != S3_OK)
        return e;
    if (account && (e = pab_account_get(srv, account, &a)) == S3_OK)
        for (int i = 0; i < 4; i++)
            out->v[i] |= a.v[i];
    return e;
}
