/* server/s3_list.c - ListObjects (v1), ListObjectsV2 and ListObjectVersions. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "server/ops.h"
#include "server/xml.h"

/* Keys and prefixes are written URL-encoded when the client asked for encoding-type=url. */
static void key_elem(struct xml_w *w, const char *name, const char *v, int url)
{
    if (url) {
        struct s3_buf b;
        buf_init(&b, 0);
        buf_add_uri_encoded(&b, s3_cstr(v), 1);
        xw_elem(w, name, b.p ? b.p : "");
        buf_release(&b);
    } else {
        xw_elem(w, name, v);
    }
}

static s3_err parse_max_keys(struct s3_req *r, const char *param, unsigned *out)
{
    const char *v = req_query(r, param);
    char *end;
    long n;
    *out = 1000;
    if (v == NULL)
        return S3_OK;
    errno = 0;
    n = strtol(v, &end, 10);
    if (end == v || *end || errno || n < 0)
        return req_fail(r, S3E_INVALID_ARGUMENT, "Provided %s not an integer or within integer range", param);
    *out = n > 1000 ? 1000 : (unsigned)n;
    return S3_OK;
}

static s3_err check_encoding(struct s3_req *r, int *url)
{
    const char *et = req_query(r, "encoding-type");
    *url = 0;
    if (et == NULL)
        return S3_OK;
    if (strcmp(et, "url") != 0)
        return req_fail(r, S3E_INVALID_ARGUMENT, "Invalid Encoding Method specified in Request");
    *url = 1;
    return S3_OK;
}

/* With ACLs disabled (BucketOwnerEnforced) the bucket owner owns every object. */
static void write_owner(struct xml_w *w, const char *acct)
{
    xw_open(w, "Owner");
    xw_elem(w, "ID", acct ? acct : "");
    xw_elem(w, "DisplayName", acct ? acct : "");
    xw_close(w);
}

static void write_contents(struct xml_w *w, const struct stor_object *o, int url, const char *owner)
{
    xw_open(w, "Contents");
    key_elem(w, "Key", o->key, url);
    xw_elem_time(w, "LastModified", o->mtime_ms);
    xw_elem(w, "ETag", o->etag);
    if (o->cksum_alg != STOR_CK_NONE) {
        xw_elem(w, "ChecksumAlgorithm", ck_alg_name(s3_ck_from_stor(o->cksum_alg)));
        if (o->cksum_type)
            xw_elem(w, "ChecksumType", o->cksum_type);
    }
    xw_elem_u64(w, "Size", o->size);
    if (owner)
        write_owner(w, o->owner_account && o->owner_account[0] ? o->owner_account : owner);
    xw_elem(w, "StorageClass", o->storage_class ? o->storage_class : "STANDARD");
    xw_close(w);
}

static s3_err list_common(struct s3_req *r, int v2)
{
    struct stor_bucket b;
    struct stor_list_req q;
    struct stor_list_res res;
    struct xml_w w;
    unsigned max;
    int url;
    s3_err e;
    const char *token = NULL, *start_after = NULL, *marker = NULL;
    char *decoded_token = NULL;

    memset(&res, 0, sizeof(res));
    if ((e = s3_need_bucket(r, &b)) != S3_OK)
        return e;
    stor_bucket_release(&b);
    if ((e = parse_max_keys(r, "max-keys", &max)) != S3_OK || (e = check_encoding(r, &url)) != S3_OK)
        return e;
    memset(&q, 0, sizeof(q));
    q.prefix = req_query(r, "prefix");
    q.delimiter = req_query(r, "delimiter");
    q.max_keys = max;
    if (v2) {
        const char *lt = req_query(r, "list-type");
        if (strcmp(lt, "2") != 0)
            return req_fail(r, S3E_INVALID_ARGUMENT, "Invalid list-type '%s' (only 2 exists).", lt);
        token = req_query(r, "continuation-token");
        start_after = req_query(r, "start-after");
        if (token) {
            /* The token is the base64 of the last key returned. */
            size_t tl = strlen(token);
            unsigned char *dec = malloc(tl + 1);
            long dl = dec ? s3_base64_decode(s3_cstr(token), dec, tl) : -1;
            if (dl < 0 || tl == 0) {
                free(dec);
                return req_fail(r, S3E_INVALID_ARGUMENT, "The continuation token provided is incorrect");
            }
            dec[dl] = 0;
            decoded_token = (char *)dec;
            q.start_after = decoded_token;
        } else if (start_after) {
            q.start_after = start_after;
        }
    } else {
        marker = req_query(r, "marker");
        q.start_after = marker;
    }
    if ((e = stor_list_objects(r->srv->stor, r->bucket, &q, &res)) != S3_OK) {
        free(decoded_token);
        return e;
    }

    xw_begin(&w, &r->resp.body, "ListBucketResult", S3_XMLNS);
    xw_elem(&w, "Name", r->bucket);
    key_elem(&w, "Prefix", q.prefix ? q.prefix : "", url);
    if (v2) {
        if (token)
            xw_elem(&w, "ContinuationToken", token);
        if (start_after)
            key_elem(&w, "StartAfter", start_after, url);
        xw_elem_u64(&w, "KeyCount", res.n_entries + res.n_prefixes);
    } else {
        key_elem(&w, "Marker", marker ? marker : "", url);
    }
    xw_elem_u64(&w, "MaxKeys", max);
    if (q.delimiter)
        key_elem(&w, "Delimiter", q.delimiter, url);
    if (url)
        xw_elem(&w, "EncodingType", "url");
    xw_elem_bool(&w, "IsTruncated", res.is_truncated);
    if (res.is_truncated && res.next_marker) {
        if (v2) {
            struct s3_buf t;
            buf_init(&t, 0);
            buf_add_base64(&t, (const unsigned char *)res.next_marker, strlen(res.next_marker));
            xw_elem(&w, "NextContinuationToken", t.p ? t.p : "");
            buf_release(&t);
        } else if (q.delimiter) {
            /* v1 gives NextMarker only when a delimiter was used. */
            key_elem(&w, "NextMarker", res.next_marker, url);
        }
    }
    int owner = !v2 || (req_query(r, "fetch-owner") && !strcmp(req_query(r, "fetch-owner"), "true"));
    for (size_t i = 0; i < res.n_entries; i++)
        write_contents(&w, &res.entries[i].obj, url, owner ? r->bucket_owner : NULL);
    for (size_t i = 0; i < res.n_prefixes; i++) {
        xw_open(&w, "CommonPrefixes");
        key_elem(&w, "Prefix", res.prefixes[i], url);
        xw_close(&w);
    }
    xw_end(&w);
    resp_header(r, "Content-Type", "application/xml");
    stor_list_res_release(&res);
    free(decoded_token);
    return S3_OK;
}

s3_err op_list_objects(struct s3_req *r) { return list_common(r, 0); }
s3_err op_list_objects_v2(struct s3_req *r) { return list_common(r, 1); }

s3_err op_list_object_versions(struct s3_req *r)
{
    struct stor_bucket b;
    struct stor_list_req q;
    struct stor_list_res res;
    struct xml_w w;
    unsigned max;
    int url;
    s3_err e;

    memset(&res, 0, sizeof(res));
    if ((e = s3_need_bucket(r, &b)) != S3_OK)
        return e;
    stor_bucket_release(&b);
    if ((e = parse_max_keys(r, "max-keys", &max)) != S3_OK || (e = check_encoding(r, &url)) != S3_OK)
        return e;
    memset(&q, 0, sizeof(q));
    q.prefix = req_query(r, "prefix");
    q.delimiter = req_query(r, "delimiter");
    q.start_after = req_query(r, "key-marker");
    q.version_id_marker = req_query(r, "version-id-marker");
    q.max_keys = max;
    if (q.version_id_marker && !q.start_after)
        return req_fail(r, S3E_INVALID_ARGUMENT, "A version-id marker cannot be specified without a key marker.");
    if ((e = stor_list_versions(r->srv->stor, r->bucket, &q, &res)) != S3_OK)
        return e;
    xw_begin(&w, &r->resp.body, "ListVersionsResult", S3_XMLNS);
    xw_elem(&w, "Name", r->bucket);
    key_elem(&w, "Prefix", q.prefix ? q.prefix : "", url);
    key_elem(&w, "KeyMarker", q.start_after ? q.start_after : "", url);
    xw_elem(&w, "VersionIdMarker", q.version_id_marker ? q.version_id_marker : "");
    xw_elem_u64(&w, "MaxKeys", max);
    if (q.delimiter)
        key_elem(&w, "Delimiter", q.delimiter, url);
    if (url)
        xw_elem(&w, "EncodingType", "url");
    xw_elem_bool(&w, "IsTruncated", res.is_truncated);
    if (res.is_truncated) {
        if (res.next_marker)
            key_elem(&w, "NextKeyMarker", res.next_marker, url);
        if (res.next_version_marker)
            xw_elem(&w, "NextVersionIdMarker", res.next_version_marker);
    }
    for (size_t i = 0; i < res.n_entries; i++) {
        const struct stor_object *o = &res.entries[i].obj;
        xw_open(&w, o->is_delete_marker ? "DeleteMarker" : "Version");
        key_elem(&w, "Key", o->key, url);
        xw_elem(&w, "VersionId", o->version_id ? o->version_id : "null");
        xw_elem_bool(&w, "IsLatest", o->is_latest);
        xw_elem_time(&w, "LastModified", o->mtime_ms);
        if (!o->is_delete_marker) {
            xw_elem(&w, "ETag", o->etag);
            xw_elem_u64(&w, "Size", o->size);
            xw_elem(&w, "StorageClass", o->storage_class ? o->storage_class : "STANDARD");
        }
        write_owner(&w, o->owner_account && o->owner_account[0] ? o->owner_account : r->bucket_owner);
        xw_close(&w);
    }
    for (size_t i = 0; i < res.n_prefixes; i++) {
        xw_open(&w, "CommonPrefixes");
        key_elem(&w, "Prefix", res.prefixes[i], url);
        xw_close(&w);
    }
    xw_end(&w);
    resp_header(r, "Content-Type", "application/xml");
    stor_list_res_release(&res);
    return S3_OK;
}
