/* server/s3_bucket.c - bucket-level S3 operations. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "server/bpol.h"
#include "server/ops.h"
#include "server/s3_ctl.h"
#include "server/xml.h"

s3_err op_list_buckets(struct s3_req *r)
{
    struct stor_bucket *bs = NULL;
    size_t n = 0;
    struct xml_w w;
    s3_err e;

    if ((e = stor_bucket_list(r->srv->stor, r->who.account, &bs, &n)) != S3_OK)
        return e;
    xw_begin(&w, &r->resp.body, "ListAllMyBucketsResult", S3_XMLNS);
    xw_open(&w, "Owner");
    xw_elem(&w, "ID", r->who.account);
    xw_elem(&w, "DisplayName", r->who.account);
    xw_close(&w);
    xw_open(&w, "Buckets");
    for (size_t i = 0; i < n; i++) {
        xw_open(&w, "Bucket");
        xw_elem(&w, "Name", bs[i].name);
        xw_elem_time(&w, "CreationDate", bs[i].created_ms);
        xw_elem(&w, "BucketRegion", bs[i].region);
        xw_close(&w);
        stor_bucket_release(&bs[i]);
    }
    free(bs);
    xw_end(&w);
    resp_header(r, "Content-Type", "application/xml");
    return S3_OK;
}

s3_err op_create_bucket(struct s3_req *r)
{
    const char *why = NULL;
    char *loc = NULL;
    s3_err e;
    const char *region = r->srv->cfg->region;

    if (!s3_bucket_name_valid(r->bucket, &why))
        return req_fail(r, S3E_INVALID_BUCKET_NAME, "The specified bucket is not valid: %s", why);
    if (r->body_buf.len > 0) {
        struct xml_doc *d = NULL;
        if ((e = xml_parse(buf_str(&r->body_buf), "CreateBucketConfiguration", &d, &why)) != S3_OK)
            return req_fail(r, e, "%s", why);
        loc = xml_child_text(xml_root(d), "LocationConstraint");
        xml_free(d);
        if (loc && loc[0] == 0) {
            free(loc);
            loc = NULL;
        }
    }
    if (loc) {
        /* us-east-1 is expressed by sending no LocationConstraint; AWS rejects it explicitly. */
        if (!strcmp(loc, "us-east-1") || strspn(loc, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(loc)) {
            e = req_fail(r, S3E_INVALID_LOCATION, "The specified location-constraint is not valid: %s", loc);
            free(loc);
            return e;
        }
        region = loc;
    }
    {
        const char *acl = req_header(r, "x-amz-acl");
        if (acl && strcmp(acl, "private") != 0 && strcmp(acl, "bucket-owner-full-control") != 0) {
            free(loc);
            return req_fail(r, S3E_BUCKET_ACL_OWNERSHIP, NULL);
        }
    }
    e = stor_bucket_create(r->srv->stor, r->bucket, r->who.account, region);
    free(loc);
    if (e == S3E_BUCKET_OWNED)
        return req_fail(r, e, "Your previous request to create the named bucket succeeded and you already own it.");
    if (e != S3_OK)
        return e;
    if ((e = pab_bucket_init(r->srv, r->bucket)) != S3_OK)
        return e;
    resp_headerf(r, "Location", "/%s", r->bucket);
    return S3_OK;
}

s3_err op_delete_bucket(struct s3_req *r)
{
    struct stor_bucket b;
    s3_err e;
    if ((e = s3_need_bucket(r, &b)) != S3_OK)
        return e;
    stor_bucket_release(&b);
    if ((e = stor_bucket_delete(r->srv->stor, r->bucket)) != S3_OK)
        return e;
    /* Its settings went with it; a bucket created later under the same name starts afresh. */
    bpol_forget(r->srv, r->bucket);
    r->resp.status = 204;
    return S3_OK;
}

s3_err op_head_bucket(struct s3_req *r)
{
    struct stor_bucket b;
    s3_err e;
    if ((e = s3_need_bucket(r, &b)) != S3_OK)
        return e;
    resp_header(r, "x-amz-bucket-region", b.region);
    resp_header(r, "x-amz-access-point-alias", "false");
    stor_bucket_release(&b);
    return S3_OK;
}

s3_err op_get_bucket_location(struct s3_req *r)
{
    struct stor_bucket b;
    struct xml_w w;
    s3_err e;
    if ((e = s3_need_bucket(r, &b)) != S3_OK)
        return e;
    buf_adds(&r->resp.body, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    /* us-east-1 buckets answer an empty LocationConstraint. */
    if (!strcmp(b.region, "us-east-1"))
        buf_adds(&r->resp.body, "<LocationConstraint xmlns=\"" S3_XMLNS "\"/>");
    else {
        buf_adds(&r->resp.body, "<LocationConstraint xmlns=\"" S3_XMLNS "\">");
        w.out = &r->resp.body;
        xml_escape(w.out, b.region, strlen(b.region));
        buf_adds(&r->resp.body, "</LocationConstraint>");
    }
    stor_bucket_release(&b);
    resp_header(r, "Content-Type", "application/xml");
    return S3_OK;
}

s3_err op_get_bucket_versioning(struct s3_req *r)
{
    struct stor_bucket b;
    struct xml_w w;
    s3_err e;
    if ((e = s3_need_bucket(r, &b)) != S3_OK)
        return e;
    xw_begin(&w, &r->resp.body, "VersioningConfiguration", S3_XMLNS);
    if (b.versioning == 1)
        xw_elem(&w, "Status", "Enabled");
    else if (b.versioning == 2)
        xw_elem(&w, "Status", "Suspended");
    xw_end(&w);
    stor_bucket_release(&b);
    resp_header(r, "Content-Type", "application/xml");
    return S3_OK;
}

s3_err op_put_bucket_versioning(struct s3_req *r)
{
    struct stor_bucket b;
    struct xml_doc *d = NULL;
    const char *why;
    char *status = NULL, *mfa = NULL;
    s3_err e;

    if ((e = s3_need_bucket(r, &b)) != S3_OK)
        return e;
    stor_bucket_release(&b);
    if ((e = xml_parse(buf_str(&r->body_buf), "VersioningConfiguration", &d, &why)) != S3_OK)
        return req_fail(r, e, "%s", why);
    status = xml_child_text(xml_root(d), "Status");
    mfa = xml_child_text(xml_root(d), "MfaDelete");
    xml_free(d);
    if (mfa && !strcmp(mfa, "Enabled"))
        e = req_fail(r, S3E_INVALID_REQUEST, "MFA Delete is not supported by s3iam.");
    else if (status == NULL)
        e = req_fail(r, S3E_ILLEGAL_VERSIONING, "The Versioning element must be specified (Status Enabled or Suspended).");
    else if (!strcmp(status, "Enabled"))
        e = stor_bucket_set_versioning(r->srv->stor, r->bucket, 1);
    else if (!strcmp(status, "Suspended"))
        e = stor_bucket_set_versioning(r->srv->stor, r->bucket, 2);
    else
        e = req_fail(r, S3E_MALFORMED_XML, "Status must be Enabled or Suspended, not '%s'.", status);
    free(status);
    free(mfa);
    return e;
}

static void owner_acl(struct s3_req *r, const char *owner)
{
    struct xml_w w;
    xw_begin(&w, &r->resp.body, "AccessControlPolicy", S3_XMLNS);
    xw_open(&w, "Owner");
    xw_elem(&w, "ID", owner);
    xw_close(&w);
    xw_open(&w, "AccessControlList");
    buf_adds(&r->resp.body, "<Grant><Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
                            "xsi:type=\"CanonicalUser\">");
    xw_elem(&w, "ID", owner);
    buf_adds(&r->resp.body, "</Grantee><Permission>FULL_CONTROL</Permission></Grant>");
    xw_end(&w);
    resp_header(r, "Content-Type", "application/xml");
}

s3_err op_get_bucket_acl(struct s3_req *r)
{
    struct stor_bucket b;
    s3_err e;
    if ((e = s3_need_bucket(r, &b)) != S3_OK)
        return e;
    owner_acl(r, b.owner_account);
    stor_bucket_release(&b);
    return S3_OK;
}

s3_err op_get_object_acl(struct s3_req *r)
{
    struct stor_bucket b;
    struct stor_object o;
    s3_err e;
    if ((e = s3_need_bucket(r, &b)) != S3_OK)
        return e;
    memset(&o, 0, sizeof(o));
    e = stor_object_get(r->srv->stor, r->bucket, r->key, req_query(r, "versionId"), &o);
    if (e == S3_OK)
        owner_acl(r, b.owner_account);
    stor_object_release(&o);
    stor_bucket_release(&b);
    return e;
}

s3_err op_get_bucket_ownership(struct s3_req *r)
{
    struct stor_bucket b;
    struct xml_w w;
    s3_err e;
    if ((e = s3_need_bucket(r, &b)) != S3_OK)
        return e;
    stor_bucket_release(&b);
    xw_begin(&w, &r->resp.body, "OwnershipControls", S3_XMLNS);
    xw_open(&w, "Rule");
    xw_elem(&w, "ObjectOwnership", "BucketOwnerEnforced");
    xw_end(&w);
    resp_header(r, "Content-Type", "application/xml");
    return S3_OK;
}

/* With ACLs disabled (BucketOwnerEnforced) only ACLs that grant the owner alone are accepted,
 * and they change nothing. */
static s3_err put_acl(struct s3_req *r, int object)
{
    struct stor_bucket b;
    const char *acl = req_header(r, "x-amz-acl");
    s3_err e;
    if ((e = s3_need_bucket(r, &b)) != S3_OK)
        return e;
    stor_bucket_release(&b);
    if (object) {
        struct stor_object o;
        memset(&o, 0, sizeof(o));
        e = stor_object_get(r->srv->stor, r->bucket, r->key, req_query(r, "versionId"), &o);
        stor_object_release(&o);
        if (e != S3_OK)
            return e;
    }
    for (unsigned i = 0; i < r->n_hdrs; i++)
        if (!strncmp(r->hdrs[i].name, "x-amz-grant-", 12))
            return req_fail(r, S3E_ACL_NOT_SUPPORTED, "The bucket does not allow ACLs (Object Ownership is BucketOwnerEnforced).");
    if ((acl && strcmp(acl, "private") && strcmp(acl, "bucket-owner-full-control")) ||
        (!acl && r->body_buf.len && strstr(r->body_buf.p, "AllUsers")))
        return req_fail(r, S3E_ACL_NOT_SUPPORTED, "The bucket does not allow ACLs (Object Ownership is BucketOwnerEnforced).");
    return S3_OK;
}

s3_err op_put_bucket_acl(struct s3_req *r) { return put_acl(r, 0); }
s3_err op_put_object_acl(struct s3_req *r) { return put_acl(r, 1); }
