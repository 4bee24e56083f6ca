/* server/errors.c - see errors.h. */
#include "config.h"
#include "server/errors.h"

#include <string.h>

#include "server/xml.h"

static void render_s3(struct s3_req *r)
{
    struct xml_w w;
    const char *msg = r->err_detail ? r->err_detail : err_message(r->err);

    xw_begin(&w, &r->resp.body, "Error", NULL);
    xw_elem(&w, "Code", err_code(r->err));
    xw_elem(&w, "Message", msg);
    if (r->err == S3E_NO_SUCH_BUCKET || r->err == S3E_BUCKET_NOT_EMPTY || r->err == S3E_BUCKET_OWNED ||
        r->err == S3E_BUCKET_EXISTS || r->err == S3E_INVALID_BUCKET_NAME)
        xw_elem(&w, "BucketName", r->bucket ? r->bucket : "");
    if ((r->err == S3E_NO_SUCH_KEY) && r->key)
        xw_elem_n(&w, "Key", r->key, r->key_len);
    if (r->err == S3E_NO_SUCH_UPLOAD && req_query(r, "uploadId"))
        xw_elem(&w, "UploadId", req_query(r, "uploadId"));
    if (r->err == S3E_SIG_MISMATCH && r->auth.string_to_sign) {
        struct s3_buf hex;
        xw_elem(&w, "AWSAccessKeyId", r->auth.akid);
        xw_elem(&w, "StringToSign", r->auth.string_to_sign);
        xw_elem(&w, "SignatureProvided", r->auth.signature);
        buf_init(&hex, 0);
        for (const char *p = r->auth.string_to_sign; *p; p++)
            buf_addf(&hex, p[1] ? "%02x " : "%02x", (unsigned char)*p);
        xw_elem(&w, "StringToSignBytes", hex.p ? hex.p : "");
        buf_release(&hex);
        if (r->auth.canonical_request)
            xw_elem(&w, "CanonicalRequest", r->auth.canonical_request);
    }
    if (r->err_region)
        xw_elem(&w, "Region", r->err_region);
    if (r->err == S3E_INVALID_ACCESS_KEY)
        xw_elem(&w, "AWSAccessKeyId", r->auth.akid);
    if (r->err == S3E_TIME_SKEWED) {
        char t[64];
        struct tm tm;
        time_t now = req_now(r);
        gmtime_r(&now, &tm);
        strftime(t, sizeof(t), "%Y%m%dT%H%M%SZ", &tm);
        xw_elem(&w, "RequestTime", r->auth.amz_date);
        xw_elem(&w, "ServerTime", t);
        xw_elem(&w, "MaxAllowedSkewMilliseconds", "900000");
    }
    if (r->err == S3E_METHOD_NOT_ALLOWED) {
        xw_elem(&w, "Method", r->method);
        xw_elem(&w, "ResourceType", r->key ? "OBJECT" : r->bucket ? "BUCKET" : "SERVICE");
    }
    if (r->err_resource)
        xw_elem(&w, "Resource", r->err_resource);
    else {
        struct s3_buf res;
        buf_init(&res, 0);
        buf_add(&res, r->raw_path.p, r->raw_path.len);
        xw_elem(&w, "Resource", res.p ? res.p : "/");
        buf_release(&res);
    }
    xw_elem(&w, "RequestId", r->req_id);
    xw_elem(&w, "HostId", r->req_id);
    xw_end(&w);
    resp_header(r, "Content-Type", "application/xml");
}

static void render_query(struct s3_req *r)
{
    struct xml_w w;
    const char *ns = r->svc == SVC_STS ? "https://sts.amazonaws.com/doc/2011-06-15/"
                                       : "https://iam.amazonaws.com/doc/2010-05-08/";
    int status = err_status(r->err);

    xw_begin(&w, &r->resp.body, "ErrorResponse", ns);
    xw_open(&w, "Error");
    xw_elem(&w, "Type", status >= 500 ? "Receiver" : "Sender");
    xw_elem(&w, "Code", err_code(r->err));
    xw_elem(&w, "Message", r->err_detail ? r->err_detail : err_message(r->err));
    xw_close(&w);
    xw_elem(&w, "RequestId", r->req_id);
    xw_end(&w);
    resp_header(r, "Content-Type", "text/xml");
}

void errors_render(struct s3_req *r)
{
    if (r->err == S3_OK)
        r->err = S3E_INTERNAL;
    /* Keep headers a handler set that matter for errors (x-amz-delete-marker, version id). */
    buf_reset(&r->resp.body);
    r->resp.status = err_status(r->err);
    if (r->err == S3E_NOT_MODIFIED)
        return;              /* 304 has no body */
    if (r->svc == SVC_IAM || r->svc == SVC_STS)
        render_query(r);
    else
        render_s3(r);
}
