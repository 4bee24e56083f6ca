/* server/s3_object.c - object-level S3 operations. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/authn.h"
#include "server/ops.h"
#include "server/sse.h"
#include "server/xml.h"

/* The flexible checksum computed over the body, if the client asked for one. */
static void set_body_checksum(struct s3_req *r, struct stor_object *o)
{
    if (r->body_ck_alg == CK_NONE || r->body_alg_b64[0] == 0)
        return;
    o->cksum_alg = s3_ck_to_stor(r->body_ck_alg);
    free(o->cksum_value);
    o->cksum_value = strdup(r->body_alg_b64);
    free(o->cksum_type);
    o->cksum_type = strdup("FULL_OBJECT");
}

static void checksum_header(struct s3_req *r, const struct stor_object *o)
{
    enum ck_alg a = s3_ck_from_stor(o->cksum_alg);
    if (a != CK_NONE && o->cksum_value) {
        resp_header(r, ck_alg_header(a), o->cksum_value);
        if (o->cksum_type)
            resp_header(r, "x-amz-checksum-type", o->cksum_type);
    }
}

s3_err op_put_object(struct s3_req *r)
{
    struct stor_bucket b;
    struct stor_object in, out;
    char etag[40];
    s3_err e;

    memset(&in, 0, sizeof(in));
    memset(&out, 0, sizeof(out));
    if ((e = s3_need_bucket(r, &b)) != S3_OK)
        return e;
    stor_bucket_release(&b);
    if ((e = s3_parse_object_headers(r, &in)) != S3_OK)
        goto out;
    s3_md5_etag(r->body_md5, etag);
    in.etag = strdup(etag);
    set_body_checksum(r, &in);
    e = stor_object_put(r->srv->stor, r->bucket, r->key, r->blob, &in, &out);
    r->blob = NULL;    /* consumed */
    if (e != S3_OK)
        goto out;
    resp_header(r, "ETag", out.etag);
    sse_headers(r, &out);
    if (out.version_id && (strcmp(out.version_id, "null") != 0 || r->bucket_versioning))
        resp_header(r, "x-amz-version-id", out.version_id);
    checksum_header(r, &out);
out:
    stor_object_release(&in);
    stor_object_release(&out);
    return e;
}

int s3_parse_range(const char *h, uint64_t size, uint64_t *off, uint64_t *len)
{
    const char *p;
    char *end;
    unsigned long long a, b;

    if (h == NULL || strncmp(h, "bytes=", 6) != 0)
        return 0;
    p = h + 6;
    if (strchr(p, ','))
        return 0;   /* S3 ignores multi-range requests and serves the whole object */
    if (*p == '-') {
        errno = 0;
        b = strtoull(p + 1, &end, 10);
        if (end == p + 1 || *end || errno)
            return 0;
        if (b == 0)
            return -1;
        if (size == 0)
            return -1;
        if (b > size)
            b = size;
        *off = size - b;
        *len = b;
        return 1;
    }
    errno = 0;
    a = strtoull(p, &end, 10);
    if (end == p || *end != '-' || errno)
        return 0;
    p = end + 1;
    if (*p == 0) {
        if (a >= size)
            return -1;
        *off = a;
        *len = size - a;
        return 1;
    }
    b = strtoull(p, &end, 10);
    if (*end || errno || b < a)
        return 0;
    if (a >= size)
        return -1;
    if (b >= size)
        b = size - 1;
    *off = a;
    *len = b - a + 1;
    return 1;
}

static s3_err get_or_head(struct s3_req *r, int head)
{
    struct stor_bucket b;
    struct stor_object o;
    struct stor_reader *rd = NULL;
    const char *vid = req_query(r, "versionId");
    uint64_t off = 0, len;
    int rg;
    s3_err e;
    static const struct {
        const char *q, *h;
    } overrides[] = {
        { "response-content-type", "Content-Type" },         { "response-content-language", "Content-Language" },
        { "response-expires", "Expires" },                   { "response-cache-control", "Cache-Control" },
        { "response-content-disposition", "Content-Disposition" },
        { "response-content-encoding", "Content-Encoding" },
    };

    memset(&o, 0, sizeof(o));
    if ((e = s3_need_bucket(r, &b)) != S3_OK)
        return e;
    stor_bucket_release(&b);
    if (vid && vid[0] == 0)
        return req_fail(r, S3E_INVALID_ARGUMENT, "Version id cannot be the empty string");
    if ((e = s3_check_version_id(r, vid)) != S3_OK)
        return e;
    if (head)
        e = stor_object_get(r->srv->stor, r->bucket, r->key, vid, &o);
    else
        e = stor_reader_open(r->srv->stor, r->bucket, r->key, vid, &o, &rd);
    if (e != S3_OK) {
        if (o.is_delete_marker) {
            resp_header(r, "x-amz-delete-marker", "true");
            if (o.version_id)
                resp_header(r, "x-amz-version-id", o.version_id);
        }
        if (e == S3E_NO_SUCH_VERSION || (e == S3E_NO_SUCH_KEY && vid && !o.is_delete_marker))
            e = vid && strcmp(vid, "null") ? S3E_NO_SUCH_VERSION : S3E_NO_SUCH_KEY;
        /* 404 only for callers who may list the bucket; others learn nothing (403). */
        if (e == S3E_NO_SUCH_KEY || e == S3E_NO_SUCH_VERSION)
            e = authz_not_found(r, e);
        stor_object_release(&o);
        return e;
    }
    if ((e = sse_check_read(r, &o, "x-amz-")) != S3_OK)
        goto out;
    if ((e = s3_check_conditions(r, &o, "")) != S3_OK) {
        if (e == S3E_NOT_MODIFIED) {
            resp_header(r, "ETag", o.etag);
            char d[64];
            s3_http_date(o.mtime_ms, d);
            resp_header(r, "Last-Modified", d);
        }
        goto out;
    }
    {
        const char *pn = req_query(r, "partNumber");
        if (pn && strcmp(pn, "1") != 0 && o.parts_count == 0) {
            e = req_fail(r, S3E_INVALID_PART, "The requested partnumber is not satisfiable");
            goto out;
        }
    }
    s3_object_headers(r, &o);
    len = o.size;
    rg = s3_parse_range(req_header(r, "range"), o.size, &off, &len);
    if (rg < 0) {
        resp_headerf(r, "Content-Range", "bytes */%llu", (unsigned long long)o.size);
        e = req_fail(r, S3E_INVALID_RANGE, "The requested range (%s) is not satisfiable for an object of %llu bytes.",
                     req_header(r, "range"), (unsigned long long)o.size);
        goto out;
    }
    if (rg > 0) {
        r->resp.status = 206;
        resp_headerf(r, "Content-Range", "bytes %llu-%llu/%llu", (unsigned long long)off,
                     (unsigned long long)(off + len - 1), (unsigned long long)o.size);
    }
    if (req_header(r, "x-amz-checksum-mode") && !strcasecmp(req_header(r, "x-amz-checksum-mode"), "ENABLED") &&
        rg == 0)
        checksum_header(r, &o);
    for (size_t i = 0; i < sizeof(overrides) / sizeof(overrides[0]); i++) {
        const char *v = req_query(r, overrides[i].q);
        if (v)
            resp_header(r, overrides[i].h, v);
    }
    if (head) {
        /* The body length is announced but never sent. */
        r->resp.head_only = 1;
        r->resp.off = off;
        r->resp.len = len;
    } else {
        /* Read the first byte now: a blob that cannot be read (I/O error, damaged file) must
         * answer 500 before any 200 goes out, not drop the connection mid-body. */
        char probe;
        if (len > 0 && stor_reader_pread(rd, &probe, 1, off) != 1) {
            e = req_fail(r, S3E_INTERNAL, "The object's data could not be read (see the server log).");
            goto out;
        }
        r->resp.reader = rd;
        r->resp.off = off;
        r->resp.len = len;
        rd = NULL;
    }
out:
    stor_reader_close(rd);
    stor_object_release(&o);
    return e;
}

s3_err op_get_object(struct s3_req *r) { return get_or_head(r, 0); }
s3_err op_head_object(struct s3_req *r) { return get_or_head(r, 1); }

s3_err op_delete_object(struct s3_req *r)
{
    struct stor_bucket b;
    int marker = 0;
    char *vid_out = NULL;
    const char *vid = req_query(r, "versionId");
    s3_err e;

    if ((e = s3_need_bucket(r, &b)) != S3_OK)
        return e;
    stor_bucket_release(&b);
    if (vid && vid[0] == 0)
        return req_fail(r, S3E_INVALID_ARGUMENT, "Version id cannot be the empty string");
    if ((e = s3_check_version_id(r, vid)) != S3_OK)
        return e;
    e = stor_object_delete(r->srv->stor, r->bucket, r->key, vid, &marker, &vid_out);
    if (e == S3E_NO_SUCH_KEY || e == S3E_NO_SUCH_VERSION)
        e = S3_OK;    /* deleting what is not there succeeds */
    if (e == S3_OK) {
        r->resp.status = 204;
        if (marker)
            resp_header(r, "x-amz-delete-marker", "true");
        if (vid_out && strcmp(vid_out, "null") != 0)
            resp_header(r, "x-amz-version-id", vid_out);
        else if (vid && strcmp(vid, "null") != 0)
            resp_header(r, "x-amz-version-id", vid);
    }
    free(vid_out);
    return e;
}

s3_err op_delete_objects(struct s3_req *r)
{
    struct stor_bucket b;
    struct xml_doc *d = NULL;
    const char *why;
    struct xml_w w;
    s3_err e;
    int quiet = 0;
    unsigned n;

    if ((e = s3_need_bucket(r, &b)) != S3_OK)
        return e;
    stor_bucket_release(&b);
    if ((e = xml_parse(buf_str(&r->body_buf), "Delete", &d, &why)) != S3_OK)
        return req_fail(r, e, "%s", why);
    {
        char *q = xml_child_text(xml_root(d), "Quiet");
        quiet = q && !strcasecmp(q, "true");
        free(q);
    }
    n = xml_count(xml_root(d), "Object");
    if (n == 0 || n > 1000) {
        xml_free(d);
        return req_fail(r, S3E_MALFORMED_XML, "A Delete request must name between 1 and 1000 objects (it named %u).", n);
    }
    xw_begin(&w, &r->resp.body, "DeleteResult", S3_XMLNS);
    for (const struct xml_node *o = xml_child(xml_root(d), "Object"); o; o = xml_next(o, "Object")) {
        char *key = xml_child_text(o, "Key"), *vid = xml_child_text(o, "VersionId"), *vout = NULL;
        int marker = 0;
        s3_err de;
        char *deny_msg = NULL;
        if (key == NULL || key[0] == 0 || strlen(key) > 1024) {
            de = S3E_INVALID_ARGUMENT;
        } else if (authz_s3_key(r, vid ? "s3:DeleteObjectVersion" : "s3:DeleteObject", key, &deny_msg) != S3_OK) {
            de = S3E_ACCESS_DENIED;   /* reported for this key; the others go on */
        } else {
            de = stor_object_delete(r->srv->stor, r->bucket, key, vid, &marker, &vout);
            if (de == S3E_NO_SUCH_KEY || de == S3E_NO_SUCH_VERSION)
                de = S3_OK;
        }
        if (de == S3_OK && !quiet) {
            xw_open(&w, "Deleted");
            xw_elem(&w, "Key", key);
            if (vid)
                xw_elem(&w, "VersionId", vid);
            if (marker) {
                xw_elem(&w, "DeleteMarker", "true");
                if (vout)
                    xw_elem(&w, "DeleteMarkerVersionId", vout);
            }
            xw_close(&w);
        } else if (de != S3_OK) {
            xw_open(&w, "Error");
            xw_elem(&w, "Key", key ? key : "");
            if (vid)
                xw_elem(&w, "VersionId", vid);
            xw_elem(&w, "Code", err_code(de));
            xw_elem(&w, "Message", deny_msg ? deny_msg : err_message(de));
            xw_close(&w);
        }
        free(deny_msg);
        free(key);
        free(vid);
        free(vout);
    }
    xw_end(&w);
    xml_free(d);
    resp_header(r, "Content-Type", "application/xml");
    return S3_OK;
}

s3_err op_copy_object(struct s3_req *r)
{
    struct stor_bucket b;
    struct stor_object src, in, out;
    struct stor_reader *rd = NULL;
    struct stor_blob *blob = NULL;
    char *sb = NULL, *sk = NULL, *sv = NULL;
    const char *dir = req_header(r, "x-amz-metadata-directive");
    const char *tdir = req_header(r, "x-amz-tagging-directive");
    unsigned char md5[16];
    char etag[40];
    struct xml_w w;
    s3_err e;

    memset(&src, 0, sizeof(src));
    memset(&in, 0, sizeof(in));
    memset(&out, 0, sizeof(out));
    if ((e = s3_need_bucket(r, &b)) != S3_OK)
        return e;
    stor_bucket_release(&b);
    if (dir && strcmp(dir, "COPY") && strcmp(dir, "REPLACE"))
        return req_fail(r, S3E_INVALID_ARGUMENT, "Unknown metadata directive '%s' (use COPY or REPLACE).", dir);
    if (tdir && strcmp(tdir, "COPY") && strcmp(tdir, "REPLACE"))
        return req_fail(r, S3E_INVALID_ARGUMENT, "Unknown tagging directive '%s' (use COPY or REPLACE).", tdir);
    if ((e = s3_parse_copy_source(r, &sb, &sk, &sv)) != S3_OK)
        goto out;
    if ((e = stor_reader_open(r->srv->stor, sb, sk, sv, &src, &rd)) != S3_OK) {
        if (e == S3E_NO_SUCH_BUCKET)
            e = req_fail(r, e, "The source bucket '%s' does not exist", sb);
        else if (e == S3E_NO_SUCH_KEY || e == S3E_METHOD_NOT_ALLOWED)
            e = req_fail(r, S3E_NO_SUCH_KEY, "The source key does not exist.");
        goto out;
    }
    if ((e = sse_check_read(r, &src, "x-amz-copy-source-")) != S3_OK)
        goto out;
    if ((e = s3_check_conditions(r, &src, "x-amz-copy-source-")) != S3_OK)
        goto out;
    int replace = dir && !strcmp(dir, "REPLACE");
    if (!strcmp(sb, r->bucket) && !strcmp(sk, r->key) && !sv && !replace &&
        !req_header(r, "x-amz-storage-class") && !req_header(r, "x-amz-server-side-encryption")) {
        e = req_fail(r, S3E_INVALID_REQUEST,
                     "This copy request is illegal because it is trying to copy an object to itself without changing "
                     "the object's metadata, storage class, website redirect location or encryption attributes.");
        goto out;
    }
    if (replace) {
        if ((e = s3_parse_object_headers(r, &in)) != S3_OK)
            goto out;
    } else {
        /* COPY: metadata from the source; storage class and SSE may still be given. */
        in.content_type = src.content_type ? strdup(src.content_type) : NULL;
        in.content_encoding = src.content_encoding ? strdup(src.content_encoding) : NULL;
        in.content_disposition = src.content_disposition ? strdup(src.content_disposition) : NULL;
        in.content_language = src.content_language ? strdup(src.content_language) : NULL;
        in.cache_control = src.cache_control ? strdup(src.cache_control) : NULL;
        in.expires = src.expires ? strdup(src.expires) : NULL;
        for (size_t i = 0; i < src.meta.n; i++)
            if (!sse_is_internal(src.meta.v[i].name))
                stor_kvs_add(&in.meta, src.meta.v[i].name, src.meta.v[i].value);
        const char *sc = req_header(r, "x-amz-storage-class");
        in.storage_class = strdup(sc ? sc : "STANDARD");
        /* The copy is encrypted as the request says (or by the bucket default), not as the source. */
        if ((e = sse_for_write(r, &in)) != S3_OK)
            goto out;
    }
    /* Tags: copied unless the tagging directive says REPLACE. */
    if (tdir && !strcmp(tdir, "REPLACE")) {
        stor_kvs_release(&in.tags);
        const char *tv = req_header(r, "x-amz-tagging");
        if (tv && (e = s3_parse_tagging_header(r, tv, &in.tags)) != S3_OK)
            goto out;
    } else {
        stor_kvs_release(&in.tags);
        for (size_t i = 0; i < src.tags.n; i++)
            stor_kvs_add(&in.tags, src.tags.v[i].name, src.tags.v[i].value);
    }
    if ((e = s3_copy_range(r, rd, 0, src.size, &blob, md5)) != S3_OK)
        goto out;
    s3_md5_etag(md5, etag);
    /* A multipart source keeps no md5-of-md5s meaning once copied as one piece. */
    in.etag = strdup(etag);
    if (src.cksum_alg != STOR_CK_NONE && src.cksum_type && !strcmp(src.cksum_type, "FULL_OBJECT")) {
        in.cksum_alg = src.cksum_alg;
        in.cksum_value = src.cksum_value ? strdup(src.cksum_value) : NULL;
        in.cksum_type = strdup("FULL_OBJECT");
    }
    e = stor_object_put(r->srv->stor, r->bucket, r->key, blob, &in, &out);
    blob = NULL;
    if (e != S3_OK)
        goto out;
    if (src.version_id && strcmp(src.version_id, "null") != 0)
        resp_header(r, "x-amz-copy-source-version-id", src.version_id);
    if (out.version_id && strcmp(out.version_id, "null") != 0)
        resp_header(r, "x-amz-version-id", out.version_id);
    sse_headers(r, &out);
    xw_begin(&w, &r->resp.body, "CopyObjectResult", S3_XMLNS);
    xw_elem_time(&w, "LastModified", out.mtime_ms);
    xw_elem(&w, "ETag", out.etag);
    xw_end(&w);
    resp_header(r, "Content-Type", "application/xml");
out:
    stor_blob_abort(blob);
    stor_reader_close(rd);
    stor_object_release(&src);
    stor_object_release(&in);
    stor_object_release(&out);
    free(sb);
    free(sk);
    free(sv);
    return e;
}

s3_err op_get_object_attributes(struct s3_req *r)
{
    struct stor_bucket b;
    struct stor_object o;
    const char *attrs = req_header(r, "x-amz-object-attributes");
    struct xml_w w;
    s3_err e;

    memset(&o, 0, sizeof(o));
    if ((e = s3_need_bucket(r, &b)) != S3_OK)
        return e;
    stor_bucket_release(&b);
    if (attrs == NULL || attrs[0] == 0)
        return req_fail(r, S3E_INVALID_ARGUMENT, "The x-amz-object-attributes header specifying the attributes to be "
                                                 "retrieved is either missing or empty");
    if ((e = stor_object_get(r->srv->stor, r->bucket, r->key, req_query(r, "versionId"), &o)) != S3_OK) {
        if (o.is_delete_marker)
            resp_header(r, "x-amz-delete-marker", "true");
        stor_object_release(&o);
        return e == S3E_NO_SUCH_KEY || e == S3E_NO_SUCH_VERSION ? authz_not_found(r, e) : e;
    }
    char d[64];
    s3_http_date(o.mtime_ms, d);
    resp_header(r, "Last-Modified", d);
    if (o.version_id && strcmp(o.version_id, "null"))
        resp_header(r, "x-amz-version-id", o.version_id);
    xw_begin(&w, &r->resp.body, "GetObjectAttributesResponse", S3_XMLNS);
    if (strstr(attrs, "ETag")) {
        /* ETag here is without quotes. */
        size_t n = strlen(o.etag);
        xw_elem_n(&w, "ETag", o.etag + (o.etag[0] == '"'), n - (o.etag[0] == '"') - (n > 1 && o.etag[n - 1] == '"'));
    }
    if (strstr(attrs, "Checksum") && o.cksum_alg != STOR_CK_NONE && o.cksum_value) {
        char name[32];
        snprintf(name, sizeof(name), "Checksum%s", ck_alg_name(s3_ck_from_stor(o.cksum_alg)));
        xw_open(&w, "Checksum");
        xw_elem(&w, name, o.cksum_value);
        if (o.cksum_type)
            xw_elem(&w, "ChecksumType", o.cksum_type);
        xw_close(&w);
    }
    if (strstr(attrs, "ObjectParts") && o.parts_count) {
        xw_open(&w, "ObjectParts");
        xw_elem_u64(&w, "TotalPartsCount", o.parts_count);
        xw_elem_u64(&w, "PartsCount", o.parts_count);
        xw_close(&w);
    }
    if (strstr(attrs, "StorageClass"))
        xw_elem(&w, "StorageClass", o.storage_class ? o.storage_class : "STANDARD");
    if (strstr(attrs, "ObjectSize"))
        xw_elem_u64(&w, "ObjectSize", o.size);
    xw_end(&w);
    resp_header(r, "Content-Type", "application/xml");
    stor_object_release(&o);
    return S3_OK;
}

/* ------------------------------------------------------------------ tagging */

s3_err op_get_object_tagging(struct s3_req *r)
{
    struct stor_bucket b;
    struct stor_object o;
    struct xml_w w;
    s3_err e;

    memset(&o, 0, sizeof(o));
    if ((e = s3_need_bucket(r, &b)) != S3_OK)
        return e;
    stor_bucket_release(&b);
    if ((e = stor_object_get(r->srv->stor, r->bucket, r->key, req_query(r, "versionId"), &o)) != S3_OK) {
        stor_object_release(&o);
        return e;
    }
    if (o.version_id && strcmp(o.version_id, "null"))
        resp_header(r, "x-amz-version-id", o.version_id);
    xw_begin(&w, &r->resp.body, "Tagging", S3_XMLNS);
    xw_open(&w, "TagSet");
    for (size_t i = 0; i < o.tags.n; i++) {
        xw_open(&w, "Tag");
        xw_elem(&w, "Key", o.tags.v[i].name);
        xw_elem(&w, "Value", o.tags.v[i].value);
        xw_close(&w);
    }
    xw_end(&w);
    resp_header(r, "Content-Type", "application/xml");
    stor_object_release(&o);
    return S3_OK;
}

static s3_err set_tags(struct s3_req *r, const struct stor_kvs *tags)
{
    struct stor_object o;
    const char *vid = req_query(r, "versionId");
    s3_err e;
    memset(&o, 0, sizeof(o));
    if ((e = stor_object_get(r->srv->stor, r->bucket, r->key, vid, &o)) == S3_OK)
        e = stor_object_set_tags(r->srv->stor, r->bucket, r->key, o.version_id, tags);
    if (e == S3_OK && o.version_id && strcmp(o.version_id, "null"))
        resp_header(r, "x-amz-version-id", o.version_id);
    stor_object_release(&o);
    return e;
}

s3_err op_put_object_tagging(struct s3_req *r)
{
    struct stor_bucket b;
    struct xml_doc *d = NULL;
    struct stor_kvs tags = { NULL, 0 };
    const char *why;
    s3_err e;

    if ((e = s3_need_bucket(r, &b)) != S3_OK)
        return e;
    stor_bucket_release(&b);
    if ((e = xml_parse(buf_str(&r->body_buf), "Tagging", &d, &why)) != S3_OK)
        return req_fail(r, e, "%s", why);
    const struct xml_node *ts = xml_child(xml_root(d), "TagSet");
    if (ts == NULL) {
        xml_free(d);
        return req_fail(r, S3E_MALFORMED_XML, "The Tagging document must contain a TagSet.");
    }
    for (const struct xml_node *t = xml_child(ts, "Tag"); t; t = xml_next(t, "Tag")) {
        char *k = xml_child_text(t, "Key"), *v = xml_child_text(t, "Value");
        if (k == NULL || v == NULL) {
            e = req_fail(r, S3E_MALFORMED_XML, "Each Tag needs a Key and a Value.");
        } else if (k[0] == 0 || strlen(k) > 128 || strlen(v) > 256) {
            e = req_fail(r, S3E_INVALID_TAG, "The TagKey you have provided is invalid (1-128 characters; values up to 256).");
        } else {
            for (size_t i = 0; i < tags.n; i++)
                if (!strcmp(tags.v[i].name, k))
                    e = req_fail(r, S3E_INVALID_TAG, "Cannot provide multiple Tags with the same key");
            if (e == S3_OK)
                e = stor_kvs_add(&tags, k, v);
        }
        free(k);
        free(v);
        if (e != S3_OK)
            break;
    }
    if (e == S3_OK && tags.n > 10)
        e = req_fail(r, S3E_INVALID_TAG, "Object tags cannot be greater than 10");
    xml_free(d);
    if (e == S3_OK)
        e = set_tags(r, &tags);
    stor_kvs_release(&tags);
    return e;
}

s3_err op_delete_object_tagging(struct s3_req *r)
{
    struct stor_bucket b;
    struct stor_kvs none = { NULL, 0 };
    s3_err e;
    if ((e = s3_need_bucket(r, &b)) != S3_OK)
        return e;
    stor_bucket_release(&b);
    if ((e = set_tags(r, &none)) == S3_OK)
        r->resp.status = 204;
    return e;
}
