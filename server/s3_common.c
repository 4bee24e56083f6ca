/* server/s3_common.c - helpers shared by the S3 handlers (see ops.h). */
#include "config.h"
#include "server/ops.h"
#include "server/route.h"
#include "server/sse.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

s3_err s3_need_bucket(struct s3_req *r, struct stor_bucket *b)
{
    s3_err e = stor_bucket_get(r->srv->stor, r->bucket, b);
    if (e == S3E_NO_SUCH_BUCKET)
        return req_fail(r, e, "The specified bucket does not exist");
    if (e == S3_OK) {
        r->bucket_versioning = b->versioning;
        snprintf(r->bucket_owner, sizeof(r->bucket_owner), "%s", b->owner_account);
    }
    return e;
}

s3_err s3_check_version_id(struct s3_req *r, const char *vid)
{
    size_t n;
    if (vid == NULL || !strcmp(vid, "null"))
        return S3_OK;
    n = strlen(vid);
    /* s3iam's version ids, like S3's, are 32 URL-safe characters. */
    if (n != 32 || strspn(vid, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != n)
        return req_fail(r, S3E_INVALID_ARGUMENT, "Invalid version id specified");
    return S3_OK;
}

static int ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n > k && memcmp(s + n - k, suffix, k) == 0;
}

/* Bucket naming rules for new buckets (S3 User Guide, "Bucket naming rules"). */
int s3_bucket_name_valid(const char *name, const char **why)
{
    size_t n = strlen(name);
    int digits_and_dots = 1, dots = 0;

    if (n < 3 || n > 63) {
        *why = "Bucket names must be between 3 and 63 characters long.";
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-')) {
            *why = "Bucket names can consist only of lowercase letters, numbers, dots (.), and hyphens (-).";
            return 0;
        }
        if (c == '.')
            dots++;
        else if (!(c >= '0' && c <= '9'))
            digits_and_dots = 0;
        if (c == '.' && i + 1 < n && (name[i + 1] == '.' || name[i + 1] == '-')) {
            *why = "Bucket names must not contain two adjacent periods or a period next to a hyphen.";
            return 0;
        }
        if (c == '-' && i + 1 < n && name[i + 1] == '.') {
            *why = "Bucket names must not contain a hyphen next to a period.";
            return 0;
        }
    }
    if (!((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= '0' && name[0] <= '9')) ||
        !((name[n - 1] >= 'a' && name[n - 1] <= 'z') || (name[n - 1] >= '0' && name[n - 1] <= '9'))) {
        *why = "Bucket names must begin and end with a letter or number.";
        return 0;
    }
    if (digits_and_dots && dots == 3) {
        *why = "Bucket names must not be formatted as an IP address (for example, 192.168.5.4).";
        return 0;
    }
    if (!strncmp(name, "xn--", 4) || !strncmp(name, "sthree-", 7) || !strncmp(name, "amzn-s3-demo-", 13)) {
        *why = "Bucket names must not start with the prefix xn--, sthree- or amzn-s3-demo-.";
        return 0;
    }
    if (ends_with(name, n, "-s3alias") || ends_with(name, n, "--ol-s3") || ends_with(name, n, ".mrap") ||
        ends_with(name, n, "--x-s3")) {
        *why = "Bucket names must not end with the suffix -s3alias, --ol-s3, .mrap or --x-s3.";
        return 0;
    }
    return 1;
}

void s3_md5_etag(const unsigned char md5[16], char out[40])
{
    out[0] = '"';
    s3_hex(md5, 16, out + 1);
    out[33] = '"';
    out[34] = 0;
}

void s3_http_date(int64_t ms, char out[64])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 64, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

int64_t s3_parse_http_date(const char *s)
{
    struct tm tm;
    const char *end;
    static const char *const fmts[] = { "%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT",
                                        "%a %b %d %H:%M:%S %Y", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S" };
    for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
        memset(&tm, 0, sizeof(tm));
        end = strptime(s, fmts[i], &tm);
        if (end && (*end == 0 || *end == '.' || *end == 'Z'))
            return (int64_t)timegm(&tm) * 1000;
    }
    return -1;
}

enum ck_alg s3_ck_from_stor(enum stor_cksum a)
{
    switch (a) {
    case STOR_CK_CRC32: return CK_CRC32;
    case STOR_CK_CRC32C: return CK_CRC32C;
    case STOR_CK_SHA1: return CK_SHA1;
    case STOR_CK_SHA256: return CK_SHA256;
    case STOR_CK_CRC64NVME: return CK_CRC64NVME;
    default: return CK_NONE;
    }
}

enum stor_cksum s3_ck_to_stor(enum ck_alg a)
{
    switch (a) {
    case CK_CRC32: return STOR_CK_CRC32;
    case CK_CRC32C: return STOR_CK_CRC32C;
    case CK_SHA1: return STOR_CK_SHA1;
    case CK_SHA256: return STOR_CK_SHA256;
    case CK_CRC64NVME: return STOR_CK_CRC64NVME;
    default: return STOR_CK_NONE;
    }
}

s3_err s3_parse_tagging_header(struct s3_req *r, const char *v, struct stor_kvs *tags)
{
    const char *p = v;
    while (*p) {
        const char *amp = strchr(p, '&');
        size_t n = amp ? (size_t)(amp - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        struct s3_buf k, val;
        s3_err e;
        buf_init(&k, 1024);
        buf_init(&val, 1024);
        e = s3_uri_decode((struct s3_str){ p, eq ? (size_t)(eq - p) : n }, 1, &k);
        if (e == S3_OK && eq)
            e = s3_uri_decode((struct s3_str){ eq + 1, n - (size_t)(eq - p) - 1 }, 1, &val);
        if (e == S3_OK && (k.len == 0 || k.len > 128 || val.len > 256))
            e = S3E_INVALID_TAG;
        for (size_t i = 0; e == S3_OK && i < tags->n; i++)
            if (!strcmp(tags->v[i].name, k.p))
                e = S3E_INVALID_TAG;
        if (e == S3_OK)
            e = stor_kvs_add(tags, k.p, val.p ? val.p : "");
        buf_release(&k);
        buf_release(&val);
        if (e != S3_OK)
            return req_fail(r, e == S3E_NOMEM ? e : S3E_INVALID_TAG,
                            "The x-amz-tagging header is not a valid tag set (key=value&..., unique keys of 1-128 "
                            "characters, values up to 256).");
        if (tags->n > 10)
            return req_fail(r, S3E_INVALID_TAG, "Object tags cannot be greater than 10");
        p += n;
        if (*p == '&')
            p++;
    }
    return S3_OK;
}

s3_err s3_parse_object_headers(struct s3_req *r, struct stor_object *o)
{
    static const struct {
        const char *hdr;
        size_t off;
    } std[] = {
        { "content-type", offsetof(struct stor_object, content_type) },
        { "content-encoding", offsetof(struct stor_object, content_encoding) },
        { "content-disposition", offsetof(struct stor_object, content_disposition) },
        { "content-language", offsetof(struct stor_object, content_language) },
        { "cache-control", offsetof(struct stor_object, cache_control) },
        { "expires", offsetof(struct stor_object, expires) },
    };
    const char *v;
    s3_err e;
    size_t meta_size = 0;

    for (size_t i = 0; i < sizeof(std) / sizeof(std[0]); i++) {
        v = req_header(r, std[i].hdr);
        if (v) {
            /* aws-chunked is transfer framing, not the object's content encoding. */
            if (!strcmp(std[i].hdr, "content-encoding")) {
                if (!strcasecmp(v, "aws-chunked"))
                    continue;
                if (!strncasecmp(v, "aws-chunked,", 12)) {
                    v += 12;
                    while (*v == ' ')
                        v++;
                }
            }
            char **dst = (char **)(void *)((char *)o + std[i].off);
            free(*dst);
            if ((*dst = strdup(v)) == NULL)
                return S3E_NOMEM;
        }
    }
    for (unsigned i = 0; i < r->n_hdrs; i++) {
        if (strncmp(r->hdrs[i].name, "x-amz-meta-", 11) == 0 && r->hdrs[i].name[11] != 0) {
            meta_size += strlen(r->hdrs[i].name + 11) + strlen(r->hdrs[i].value);
            if ((e = stor_kvs_add(&o->meta, r->hdrs[i].name + 11, r->hdrs[i].value)) != S3_OK)
                return e;
        }
    }
    if (meta_size > 2048)
        return req_fail(r, S3E_INVALID_ARGUMENT /* MetadataTooLarge in AWS */,
                        "Your metadata headers exceed the maximum allowed metadata size (2 KB): %zu bytes.", meta_size);
    v = req_header(r, "x-amz-storage-class");
    if (v) {
        static const char *const classes[] = { "STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA",
                                               "INTELLIGENT_TIERING", "GLACIER", "DEEP_ARCHIVE", "GLACIER_IR",
                                               "OUTPOSTS", "SNOW", "EXPRESS_ONEZONE" };
        int ok = 0;
        for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
            ok |= !strcmp(v, classes[i]);
        if (!ok)
            return req_fail(r, S3E_INVALID_STORAGE_CLASS, "The storage class you specified (%s) is not valid.", v);
    }
    free(o->storage_class);
    o->storage_class = strdup(v ? v : "STANDARD");
    if ((e = sse_for_write(r, o)) != S3_OK)
        return e;
    if ((v = req_header(r, "x-amz-tagging")) != NULL && (e = s3_parse_tagging_header(r, v, &o->tags)) != S3_OK)
        return e;
    v = req_header(r, "x-amz-acl");
    if (v && strcmp(v, "private") != 0 && strcmp(v, "bucket-owner-full-control") != 0)
        return req_fail(r, S3E_ACL_NOT_SUPPORTED, "The bucket does not allow ACLs (Object Ownership is BucketOwnerEnforced).");
    for (unsigned i = 0; i < r->n_hdrs; i++)
        if (!strncmp(r->hdrs[i].name, "x-amz-grant-", 12))
            return req_fail(r, S3E_ACL_NOT_SUPPORTED, "The bucket does not allow ACLs (Object Ownership is BucketOwnerEnforced).");
    return S3_OK;
}

void s3_object_headers(struct s3_req *r, const struct stor_object *o)
{
    char d[64];
    const char *ct = o->content_type ? o->content_type : "binary/octet-stream";

    resp_header(r, "ETag", o->etag ? o->etag : "\"\"");
    s3_http_date(o->mtime_ms, d);
    resp_header(r, "Last-Modified", d);
    resp_header(r, "Content-Type", ct);
    if (o->content_encoding)
        resp_header(r, "Content-Encoding", o->content_encoding);
    if (o->content_disposition)
        resp_header(r, "Content-Disposition", o->content_disposition);
    if (o->content_language)
        resp_header(r, "Content-Language", o->content_language);
    if (o->cache_control)
        resp_header(r, "Cache-Control", o->cache_control);
    if (o->expires)
        resp_header(r, "Expires", o->expires);
    if (o->storage_class && strcmp(o->storage_class, "STANDARD") != 0)
        resp_header(r, "x-amz-storage-class", o->storage_class);
    sse_headers(r, o);
    /* In a bucket that has had versioning, even the null version is named. */
    if (o->version_id && (strcmp(o->version_id, "null") != 0 || r->bucket_versioning))
        resp_header(r, "x-amz-version-id", o->version_id);
    if (o->tags.n)
        resp_headerf(r, "x-amz-tagging-count", "%zu", o->tags.n);
    if (o->parts_count)
        resp_headerf(r, "x-amz-mp-parts-count", "%u", o->parts_count);
    for (size_t i = 0; i < o->meta.n; i++) {
        char name[300];
        if (sse_is_internal(o->meta.v[i].name))
            continue;
        snprintf(name, sizeof(name), "x-amz-meta-%s", o->meta.v[i].name);
        resp_header(r, name, o->meta.v[i].value);
    }
    resp_header(r, "Accept-Ranges", "bytes");
}

s3_err s3_parse_copy_source(struct s3_req *r, char **bucket, char **key, char **version)
{
    const char *src = req_header(r, "x-amz-copy-source");
    struct s3_buf dec;
    s3_err e;
    const char *q;
    size_t n;

    *bucket = *key = *version = NULL;
    q = strstr(src, "?versionId=");
    n = q ? (size_t)(q - src) : strlen(src);
    buf_init(&dec, 4096);
    if ((e = s3_uri_decode((struct s3_str){ src, n }, 0, &dec)) != S3_OK) {
        buf_release(&dec);
        return req_fail(r, S3E_INVALID_ARGUMENT, "x-amz-copy-source is not correctly percent-encoded.");
    }
    const char *p = dec.p;
    if (*p == '/')
        p++;
    const char *slash = strchr(p, '/');
    if (slash == NULL || slash == p || slash[1] == 0) {
        buf_release(&dec);
        return req_fail(r, S3E_INVALID_ARGUMENT, "Copy Source must mention the source bucket and key: sourcebucket/sourcekey");
    }
    if (!route_utf8_valid(slash + 1, strlen(slash + 1))) {
        buf_release(&dec);
        return req_fail(r, S3E_INVALID_ARGUMENT, "The key in x-amz-copy-source must be valid UTF-8.");
    }
    *bucket = strndup(p, (size_t)(slash - p));
    *key = strdup(slash + 1);
    if (q)
        *version = strdup(q + 11);
    buf_release(&dec);
    if (!*bucket || !*key || (q && !*version))
        return S3E_NOMEM;
    return S3_OK;
}

s3_err s3_check_conditions(struct s3_req *r, const struct stor_object *o, const char *prefix)
{
    char name[64];
    const char *im, *inm, *ims, *ius;
    int64_t t;
    int copy = prefix[0] != 0;

#define H(suffix) (snprintf(name, sizeof(name), "%s%s", prefix, suffix), req_header(r, name))
    im = H("if-match");
    inm = H("if-none-match");
    ims = H("if-modified-since");
    ius = H("if-unmodified-since");
#undef H
    /* RFC 7232 §6 order, with S3's documented interplay of If-Match/If-Unmodified-Since and
     * If-None-Match/If-Modified-Since. */
    if (im) {
        const char *et = o->etag ? o->etag : "";
        int hit = !strcmp(im, "*");
        const char *p = im;
        while (!hit && *p) {
            while (*p == ' ' || *p == ',')
                p++;
            const char *c = strchr(p, ',');
            size_t n = c ? (size_t)(c - p) : strlen(p);
            while (n && p[n - 1] == ' ')
                n--;
            size_t el = strlen(et);
            if ((n == el && !strncmp(p, et, n)) || (n + 2 == el && !strncmp(p, et + 1, n)))
                hit = 1;
            p += n;
            if (!c)
                break;
        }
        if (!hit)
            return req_fail(r, S3E_PRECONDITION_FAILED, "At least one of the pre-conditions you specified did not hold: %sIf-Match",
                            copy ? "x-amz-copy-source-" : "");
    } else if (ius && (t = s3_parse_http_date(ius)) >= 0 && o->mtime_ms / 1000 * 1000 > t) {
        return req_fail(r, S3E_PRECONDITION_FAILED, "At least one of the pre-conditions you specified did not hold: %sIf-Unmodified-Since",
                        copy ? "x-amz-copy-source-" : "");
    }
    if (inm) {
        const char *et = o->etag ? o->etag : "";
        int hit = !strcmp(inm, "*") || !strcmp(inm, et) ||
                  (strlen(inm) + 2 == strlen(et) && !strncmp(inm, et + 1, strlen(inm)));
        if (hit) {
            if (copy || (strcmp(r->method, "GET") && strcmp(r->method, "HEAD")))
                return req_fail(r, S3E_PRECONDITION_FAILED, "At least one of the pre-conditions you specified did not hold: %sIf-None-Match",
                                copy ? "x-amz-copy-source-" : "");
            return req_fail(r, S3E_NOT_MODIFIED, NULL);
        }
    } else if (ims && (t = s3_parse_http_date(ims)) >= 0 && o->mtime_ms / 1000 * 1000 <= t) {
        if (copy)
            return req_fail(r, S3E_PRECONDITION_FAILED, "At least one of the pre-conditions you specified did not hold: x-amz-copy-source-If-Modified-Since");
        return req_fail(r, S3E_NOT_MODIFIED, NULL);
    }
    return S3_OK;
}

s3_err s3_copy_range(struct s3_req *r, struct stor_reader *src, uint64_t off, uint64_t len, struct stor_blob **out,
                     unsigned char md5_out[16])
{
    struct stor_blob *b = NULL;
    struct ck_state ck;
    char *buf = malloc(1 << 20);
    s3_err e;

    *out = NULL;
    if (buf == NULL)
        return S3E_NOMEM;
    if ((e = ck_init(&ck, 1, 0, CK_NONE)) != S3_OK) {
        free(buf);
        return e;
    }
    if ((e = stor_blob_new(r->srv->stor, &b)) != S3_OK)
        goto out;
    while (len > 0) {
        size_t want = len < (1 << 20) ? (size_t)len : (1 << 20);
        ssize_t n = stor_reader_pread(src, buf, want, off);
        if (n <= 0) {
            e = S3E_INTERNAL;
            goto out;
        }
        ck_update(&ck, buf, (size_t)n);
        if ((e = stor_blob_write(b, buf, (size_t)n)) != S3_OK)
            goto out;
        off += (uint64_t)n;
        len -= (uint64_t)n;
    }
    ck_final(&ck, md5_out, NULL, NULL);
    *out = b;
    b = NULL;
    e = S3_OK;
out:
    ck_release(&ck);
    stor_blob_abort(b);
    free(buf);
    return e;
}
