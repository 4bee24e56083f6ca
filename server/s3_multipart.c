/* server/s3_multipart.c - multipart uploads. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/ops.h"
#include "server/sse.h"
#include "server/xml.h"

static s3_err part_number(struct s3_req *r, unsigned *out)
{
    const char *v = req_query(r, "partNumber");
    char *end;
    long n;
    if (v == NULL)
        return req_fail(r, S3E_INVALID_ARGUMENT, "partNumber is required.");
    errno = 0;
    n = strtol(v, &end, 10);
    if (end == v || *end || errno || n < 1 || n > 10000)
        return req_fail(r, S3E_INVALID_ARGUMENT, "Part number must be an integer between 1 and 10000, inclusive");
    *out = (unsigned)n;
    return S3_OK;
}

s3_err op_create_mpu(struct s3_req *r)
{
    struct stor_bucket b;
    struct stor_object in;
    char *id = NULL;
    struct xml_w w;
    const char *alg = req_header(r, "x-amz-checksum-algorithm");
    const char *type = req_header(r, "x-amz-checksum-type");
    s3_err e;

    memset(&in, 0, sizeof(in));
    if ((e = s3_need_bucket(r, &b)) != S3_OK)
        return e;
    stor_bucket_release(&b);
    if ((e = s3_parse_object_headers(r, &in)) != S3_OK)
        goto out;
    if (alg) {
        enum ck_alg a = ck_alg_parse(alg, strlen(alg));
        if (a == CK_NONE) {
            e = req_fail(r, S3E_INVALID_REQUEST, "Checksum algorithm '%s' is not supported (CRC32, CRC32C, SHA1, SHA256, CRC64NVME).", alg);
            goto out;
        }
        in.cksum_alg = s3_ck_to_stor(a);
        if (type && strcmp(type, "FULL_OBJECT") && strcmp(type, "COMPOSITE")) {
            e = req_fail(r, S3E_INVALID_REQUEST, "x-amz-checksum-type must be FULL_OBJECT or COMPOSITE.");
            goto out;
        }
        /* CRC64NVME exists only as a full-object checksum; SHA only as composite. */
        const char *t = type ? type : (a == CK_CRC64NVME ? "FULL_OBJECT" : "COMPOSITE");
        if ((a == CK_SHA1 || a == CK_SHA256) && !strcmp(t, "FULL_OBJECT")) {
            e = req_fail(r, S3E_INVALID_REQUEST, "The FULL_OBJECT checksum type is not supported with %s.", alg);
            goto out;
        }
        if (a == CK_CRC64NVME && !strcmp(t, "COMPOSITE")) {
            e = req_fail(r, S3E_INVALID_REQUEST, "The COMPOSITE checksum type is not supported with CRC64NVME.");
            goto out;
        }
        in.cksum_type = strdup(t);
    }
    if ((e = stor_mpu_create(r->srv->stor, r->bucket, r->key, &in, &id)) != S3_OK)
        goto out;
    if (alg) {
        resp_header(r, "x-amz-checksum-algorithm", ck_alg_name(s3_ck_from_stor(in.cksum_alg)));
        resp_header(r, "x-amz-checksum-type", in.cksum_type);
    }
    sse_headers(r, &in);
    xw_begin(&w, &r->resp.body, "InitiateMultipartUploadResult", S3_XMLNS);
    xw_elem(&w, "Bucket", r->bucket);
    xw_elem_n(&w, "Key", r->key, r->key_len);
    xw_elem(&w, "UploadId", id);
    xw_end(&w);
    resp_header(r, "Content-Type", "application/xml");
out:
    free(id);
    stor_object_release(&in);
    return e;
}

static s3_err store_part(struct s3_req *r, struct stor_blob *blob, const unsigned char md5[16], const char *ck_b64)
{
    struct stor_object up;
    unsigned pn = 0;
    char etag[40];
    s3_err e;

    memset(&up, 0, sizeof(up));
    if ((e = part_number(r, &pn)) != S3_OK) {
        stor_blob_abort(blob);
        return e;
    }
    if ((e = stor_mpu_get(r->srv->stor, r->bucket, r->key, req_query(r, "uploadId"), &up)) != S3_OK) {
        stor_blob_abort(blob);
        stor_object_release(&up);
        return e;
    }
    s3_md5_etag(md5, etag);
    e = stor_part_put(r->srv->stor, r->bucket, r->key, req_query(r, "uploadId"), pn, blob, etag, up.cksum_alg, ck_b64);
    if (e == S3_OK) {
        resp_header(r, "ETag", etag);
        resp_header(r, "x-amz-server-side-encryption", "AES256");
        if (ck_b64 && up.cksum_alg != STOR_CK_NONE)
            resp_header(r, ck_alg_header(s3_ck_from_stor(up.cksum_alg)), ck_b64);
    }
    stor_object_release(&up);
    return e;
}

s3_err op_upload_part(struct s3_req *r)
{
    struct stor_object up;
    struct stor_blob *blob = r->blob;
    const char *ck = NULL;
    s3_err e;

    r->blob = NULL;
    memset(&up, 0, sizeof(up));
    /* The part's checksum: what the client sent (verified while the body arrived) when it is
     * the upload's algorithm. */
    if ((e = stor_mpu_get(r->srv->stor, r->bucket, r->key, req_query(r, "uploadId"), &up)) != S3_OK) {
        stor_blob_abort(blob);
        stor_object_release(&up);
        return e;
    }
    if (up.cksum_alg != STOR_CK_NONE && r->body_ck_alg != CK_NONE && s3_ck_to_stor(r->body_ck_alg) == up.cksum_alg)
        ck = r->body_alg_b64;
    else if (up.cksum_alg != STOR_CK_NONE && r->body_ck_alg != CK_NONE) {
        stor_object_release(&up);
        stor_blob_abort(blob);
        return req_fail(r, S3E_INVALID_REQUEST, "Checksum Type mismatch occurred, expected checksum Type: %s, actual "
                        "checksum Type: %s", ck_alg_name(s3_ck_from_stor(up.cksum_alg)), ck_alg_name(r->body_ck_alg));
    }
    stor_object_release(&up);
    return store_part(r, blob, r->body_md5, ck);
}

s3_err op_upload_part_copy(struct s3_req *r)
{
    struct stor_object src;
    struct stor_reader *rd = NULL;
    struct stor_blob *blob = NULL;
    char *sb = NULL, *sk = NULL, *sv = NULL;
    unsigned char md5[16];
    uint64_t off = 0, len;
    const char *range = req_header(r, "x-amz-copy-source-range");
    struct xml_w w;
    s3_err e;

    memset(&src, 0, sizeof(src));
    if ((e = s3_parse_copy_source(r, &sb, &sk, &sv)) != S3_OK)
        goto out;
    if ((e = stor_reader_open(r->srv->stor, sb, sk, sv, &src, &rd)) != S3_OK) {
        if (e == S3E_METHOD_NOT_ALLOWED)
            e = S3E_NO_SUCH_KEY;
        goto out;
    }
    if ((e = sse_check_read(r, &src, "x-amz-copy-source-")) != S3_OK)
        goto out;
    if ((e = s3_check_conditions(r, &src, "x-amz-copy-source-")) != S3_OK)
        goto out;
    len = src.size;
    if (range) {
        unsigned long long a, b;
        char tail;
        if (sscanf(range, "bytes=%llu-%llu%c", &a, &b, &tail) != 2 || b < a) {
            e = req_fail(r, S3E_INVALID_ARGUMENT, "The x-amz-copy-source-range value must be of the form bytes=first-last "
                                                  "where first and last are the zero-based offsets of the first and last bytes to copy");
            goto out;
        }
        if (b >= src.size) {
            e = req_fail(r, S3E_INVALID_RANGE, "The requested range %s is not satisfiable for a source of %llu bytes.", range,
                         (unsigned long long)src.size);
            goto out;
        }
        off = a;
        len = b - a + 1;
    }
    if ((e = s3_copy_range(r, rd, off, len, &blob, md5)) != S3_OK)
        goto out;
    e = store_part(r, blob, md5, NULL);
    blob = NULL;
    if (e != S3_OK)
        goto out;
    xw_begin(&w, &r->resp.body, "CopyPartResult", S3_XMLNS);
    xw_elem_time(&w, "LastModified", src.mtime_ms);
    for (unsigned i = 0; i < r->resp.n_hdrs; i++)
        if (!strcasecmp(r->resp.hdrs[i].name, "ETag"))
            xw_elem(&w, "ETag", r->resp.hdrs[i].value);
    xw_end(&w);
    resp_header(r, "Content-Type", "application/xml");
out:
    stor_blob_abort(blob);
    stor_reader_close(rd);
    stor_object_release(&src);
    free(sb);
    free(sk);
    free(sv);
    return e;
}

/* The final checksum of a completed upload: COMPOSITE = alg(concat(raw part checksums))-N,
 * FULL_OBJECT = CRC combined over the parts.  NULL when any part lacks a checksum. */
static char *final_checksum(struct s3_req *r, const struct stor_object *up, const struct stor_complete_part *cp, size_t n)
{
    struct stor_parts parts;
    enum ck_alg a = s3_ck_from_stor(up->cksum_alg);
    size_t rl = ck_alg_len(a);
    unsigned char *cat = NULL, raw[64];
    uint64_t crc = 0;
    char *res = NULL;
    int full = up->cksum_type && !strcmp(up->cksum_type, "FULL_OBJECT");

    if (a == CK_NONE)
        return NULL;
    memset(&parts, 0, sizeof(parts));
    if (stor_part_list(r->srv->stor, r->bucket, r->key, req_query(r, "uploadId"), 0, 10000, &parts) != S3_OK)
        return NULL;
    if ((cat = malloc(rl * n + 1)) == NULL)
        goto out;
    for (size_t i = 0; i < n; i++) {
        const struct stor_part *p = NULL;
        for (size_t j = 0; j < parts.n; j++)
            if (parts.v[j].number == cp[i].number)
                p = &parts.v[j];
        if (p == NULL || p->cksum_value == NULL || s3_base64_decode(s3_cstr(p->cksum_value), raw, sizeof(raw)) != (long)rl)
            goto out;
        if (full) {
            uint64_t v = 0;
            for (size_t k = 0; k < rl; k++)
                v = (v << 8) | raw[k];
            if (i == 0)
                crc = v;
            else if (a == CK_CRC32)
                crc = ck_crc32_combine((uint32_t)crc, (uint32_t)v, p->size);
            else if (a == CK_CRC32C)
                crc = ck_crc32c_combine((uint32_t)crc, (uint32_t)v, p->size);
            else if (a == CK_CRC64NVME)
                crc = ck_crc64nvme_combine(crc, v, p->size);
        } else {
            memcpy(cat + i * rl, raw, rl);
        }
    }
    {
        struct s3_buf b;
        buf_init(&b, 0);
        if (full) {
            for (size_t k = 0; k < rl; k++)
                raw[k] = (unsigned char)(crc >> (8 * (rl - 1 - k)));
            buf_add_base64(&b, raw, rl);
        } else {
            char tmp[128];
            ck_b64(a, cat, rl * n, tmp, sizeof(tmp));
            buf_addf(&b, "%s-%zu", tmp, n);
        }
        res = buf_detach(&b, NULL);
    }
out:
    free(cat);
    stor_parts_release(&parts);
    return res;
}

s3_err op_complete_mpu(struct s3_req *r)
{
    struct xml_doc *d = NULL;
    struct stor_complete_part *cp = NULL;
    char **texts = NULL;
    struct stor_object up, out;
    const char *why;
    struct xml_w w;
    unsigned n, i = 0;
    char *fin = NULL;
    s3_err e;

    memset(&up, 0, sizeof(up));
    memset(&out, 0, sizeof(out));
    if ((e = stor_mpu_get(r->srv->stor, r->bucket, r->key, req_query(r, "uploadId"), &up)) != S3_OK)
        goto out;
    if ((e = xml_parse(buf_str(&r->body_buf), "CompleteMultipartUpload", &d, &why)) != S3_OK) {
        e = req_fail(r, e, "%s", why);
        goto out;
    }
    n = xml_count(xml_root(d), "Part");
    if (n == 0 || n > 10000) {
        e = req_fail(r, S3E_MALFORMED_XML, "You must specify at least one part (and at most 10000).");
        goto out;
    }
    cp = calloc(n, sizeof(*cp));
    texts = calloc(n * 3, sizeof(*texts));
    if (!cp || !texts) {
        e = S3E_NOMEM;
        goto out;
    }
    for (const struct xml_node *p = xml_child(xml_root(d), "Part"); p; p = xml_next(p, "Part"), i++) {
        char *num = xml_child_text(p, "PartNumber"), *end = NULL;
        long v = num ? strtol(num, &end, 10) : 0;
        int ok = num && end != num && *end == 0 && v >= 1 && v <= 10000;
        free(num);
        texts[3 * i] = xml_child_text(p, "ETag");
        if (!ok || texts[3 * i] == NULL) {
            e = req_fail(r, S3E_MALFORMED_XML, "Each Part needs a PartNumber (1-10000) and an ETag.");
            goto out;
        }
        cp[i].number = (unsigned)v;
        cp[i].etag = texts[3 * i];
        if (up.cksum_alg != STOR_CK_NONE) {
            char name[32];
            snprintf(name, sizeof(name), "Checksum%s", ck_alg_name(s3_ck_from_stor(up.cksum_alg)));
            texts[3 * i + 1] = xml_child_text(p, name);
            cp[i].cksum_value = texts[3 * i + 1];
        }
    }
    fin = final_checksum(r, &up, cp, n);
    if ((e = stor_mpu_complete(r->srv->stor, r->bucket, r->key, req_query(r, "uploadId"), cp, n, fin, &out)) != S3_OK)
        goto out;
    if (out.version_id && strcmp(out.version_id, "null"))
        resp_header(r, "x-amz-version-id", out.version_id);
    sse_headers(r, &out);
    xw_begin(&w, &r->resp.body, "CompleteMultipartUploadResult", S3_XMLNS);
    {
        struct s3_buf loc;
        buf_init(&loc, 0);
        buf_addf(&loc, "http://%s/%s/", req_header(r, "host") ? req_header(r, "host") : "localhost", r->bucket);
        buf_add_uri_encoded(&loc, (struct s3_str){ r->key, r->key_len }, 1);
        xw_elem(&w, "Location", loc.p);
        buf_release(&loc);
    }
    xw_elem(&w, "Bucket", r->bucket);
    xw_elem_n(&w, "Key", r->key, r->key_len);
    xw_elem(&w, "ETag", out.etag);
    if (fin) {
        char name[32];
        snprintf(name, sizeof(name), "Checksum%s", ck_alg_name(s3_ck_from_stor(up.cksum_alg)));
        xw_elem(&w, name, fin);
        xw_elem(&w, "ChecksumType", up.cksum_type ? up.cksum_type : "COMPOSITE");
    }
    xw_end(&w);
    resp_header(r, "Content-Type", "application/xml");
out:
    if (texts)
        for (unsigned k = 0; k < n * 3; k++)
            free(texts[k]);
    free(texts);
    free(cp);
    free(fin);
    xml_free(d);
    stor_object_release(&up);
    stor_object_release(&out);
    return e;
}

s3_err op_abort_mpu(struct s3_req *r)
{
    s3_err e = stor_mpu_abort(r->srv->stor, r->bucket, r->key, req_query(r, "uploadId"));
    if (e == S3_OK)
        r->resp.status = 204;
    return e;
}

s3_err op_list_parts(struct s3_req *r)
{
    struct stor_object up;
    struct stor_parts parts;
    struct xml_w w;
    const char *m = req_query(r, "part-number-marker"), *mx = req_query(r, "max-parts");
    unsigned marker = m ? (unsigned)strtoul(m, NULL, 10) : 0, max = mx ? (unsigned)strtoul(mx, NULL, 10) : 1000;
    s3_err e;

    memset(&up, 0, sizeof(up));
    memset(&parts, 0, sizeof(parts));
    if (max > 1000)
        max = 1000;
    if ((e = stor_mpu_get(r->srv->stor, r->bucket, r->key, req_query(r, "uploadId"), &up)) != S3_OK)
        goto out;
    if ((e = stor_part_list(r->srv->stor, r->bucket, r->key, req_query(r, "uploadId"), marker, max, &parts)) != S3_OK)
        goto out;
    xw_begin(&w, &r->resp.body, "ListPartsResult", S3_XMLNS);
    xw_elem(&w, "Bucket", r->bucket);
    xw_elem_n(&w, "Key", r->key, r->key_len);
    xw_elem(&w, "UploadId", req_query(r, "uploadId"));
    xw_elem_u64(&w, "PartNumberMarker", marker);
    if (parts.n)
        xw_elem_u64(&w, "NextPartNumberMarker", parts.next_marker ? parts.next_marker : parts.v[parts.n - 1].number);
    xw_elem_u64(&w, "MaxParts", max);
    xw_elem_bool(&w, "IsTruncated", parts.is_truncated);
    xw_open(&w, "Initiator");
    xw_elem(&w, "ID", r->who.arn);
    xw_close(&w);
    xw_open(&w, "Owner");
    xw_elem(&w, "ID", r->who.account);
    xw_close(&w);
    xw_elem(&w, "StorageClass", up.storage_class ? up.storage_class : "STANDARD");
    if (up.cksum_alg != STOR_CK_NONE) {
        xw_elem(&w, "ChecksumAlgorithm", ck_alg_name(s3_ck_from_stor(up.cksum_alg)));
        if (up.cksum_type)
            xw_elem(&w, "ChecksumType", up.cksum_type);
    }
    for (size_t i = 0; i < parts.n; i++) {
        xw_open(&w, "Part");
        xw_elem_u64(&w, "PartNumber", parts.v[i].number);
        xw_elem_time(&w, "LastModified", parts.v[i].mtime_ms);
        xw_elem(&w, "ETag", parts.v[i].etag);
        xw_elem_u64(&w, "Size", parts.v[i].size);
        if (parts.v[i].cksum_value && up.cksum_alg != STOR_CK_NONE) {
            char name[32];
            snprintf(name, sizeof(name), "Checksum%s", ck_alg_name(s3_ck_from_stor(up.cksum_alg)));
            xw_elem(&w, name, parts.v[i].cksum_value);
        }
        xw_close(&w);
    }
    xw_end(&w);
    resp_header(r, "Content-Type", "application/xml");
out:
    stor_object_release(&up);
    stor_parts_release(&parts);
    return e;
}

s3_err op_list_mpus(struct s3_req *r)
{
    struct stor_bucket b;
    struct stor_uploads u;
    struct xml_w w;
    const char *mx = req_query(r, "max-uploads");
    unsigned max = mx ? (unsigned)strtoul(mx, NULL, 10) : 1000;
    s3_err e;

    memset(&u, 0, sizeof(u));
    if ((e = s3_need_bucket(r, &b)) != S3_OK)
        return e;
    stor_bucket_release(&b);
    if (max > 1000)
        max = 1000;
    if ((e = stor_mpu_list(r->srv->stor, r->bucket, req_query(r, "prefix"), req_query(r, "delimiter"),
                           req_query(r, "key-marker"), req_query(r, "upload-id-marker"), max, &u)) != S3_OK)
        return e;
    xw_begin(&w, &r->resp.body, "ListMultipartUploadsResult", S3_XMLNS);
    xw_elem(&w, "Bucket", r->bucket);
    xw_elem(&w, "KeyMarker", req_query(r, "key-marker") ? req_query(r, "key-marker") : "");
    xw_elem(&w, "UploadIdMarker", req_query(r, "upload-id-marker") ? req_query(r, "upload-id-marker") : "");
    if (u.next_key_marker)
        xw_elem(&w, "NextKeyMarker", u.next_key_marker);
    if (u.next_upload_id_marker)
        xw_elem(&w, "NextUploadIdMarker", u.next_upload_id_marker);
    if (req_query(r, "prefix"))
        xw_elem(&w, "Prefix", req_query(r, "prefix"));
    if (req_query(r, "delimiter"))
        xw_elem(&w, "Delimiter", req_query(r, "delimiter"));
    xw_elem_u64(&w, "MaxUploads", max);
    xw_elem_bool(&w, "IsTruncated", u.is_truncated);
    for (size_t i = 0; i < u.n; i++) {
        xw_open(&w, "Upload");
        xw_elem(&w, "Key", u.v[i].key);
        xw_elem(&w, "UploadId", u.v[i].upload_id);
        xw_open(&w, "Initiator");
        xw_elem(&w, "ID", r->who.arn);
        xw_close(&w);
        xw_open(&w, "Owner");
        xw_elem(&w, "ID", r->who.account);
        xw_close(&w);
        xw_elem(&w, "StorageClass", u.v[i].storage_class ? u.v[i].storage_class : "STANDARD");
        xw_elem_time(&w, "Initiated", u.v[i].initiated_ms);
        xw_close(&w);
    }
    for (size_t i = 0; i < u.n_prefixes; i++) {
        xw_open(&w, "CommonPrefixes");
        xw_elem(&w, "Prefix", u.prefixes[i]);
        xw_close(&w);
    }
    xw_end(&w);
    resp_header(r, "Content-Type", "application/xml");
    stor_uploads_release(&u);
    return S3_OK;
}
