/*
 * storage/multipart.c - multipart uploads: create, parts, complete, abort.
 *
 * A part is a blob plus a row in parts.  A small part (the last one, or a lone one) is an inline
 * blob, inserted by the transaction that adds its parts row.  Completion validates the client's
 * list, then in one transaction adds the object version whose segments are the chosen parts'
 * blobs, in order (no byte is copied: an inline part's blob_inline row simply becomes the
 * object's), and drops the upload.  Blobs of parts left out (and of a replaced part, and of every
 * part on abort) go in that transaction when inline, or are unlinked after the commit when files.
 *
 * ETag of the result (what S3 returns, not a documented contract but relied upon by clients):
 * "\"" hex(MD5(md5(part 1) || md5(part 2) || ...)) "-N\"", with each md5 the 16 binary bytes of
 * the part's ETag.
 */
#include "config.h"
#include "storage/stor_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "lib/log.h"

#define UPLOAD_ID_LEN 48
#define MAX_PART_NUMBER 10000

/* Find upload upload_id of (bucket, key) inside the current transaction.  attrs (optional)
 * receives its stored object settings; bid/versioning those of the bucket. */
static s3_err upload_find(struct meta_conn *c, const char *bucket, const char *key, const char *upload_id,
                          int64_t *uprow, struct stor_object *attrs, int64_t *bid_out, int *versioning_out)
{
    sqlite3_stmt *s;
    int64_t bid;
    s3_err e;
    int rc;

    if ((e = meta_bucket_lookup(c, bucket, &bid, versioning_out, NULL)) != S3_OK)
        return e;
    if (bid_out)
        *bid_out = bid;
    if (upload_id == NULL)
        return S3E_NO_SUCH_UPLOAD;
    if ((s = meta_stmt(c, SQL_UP_GET)) == NULL)
        return S3E_INTERNAL;
    meta_bind_text(s, 1, upload_id);
    sqlite3_bind_int64(s, 2, bid);
    meta_bind_key(s, 3, key, strlen(key));
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *uprow = sqlite3_column_int64(s, UC_ID);
        e = S3_OK;
        if (attrs) {
            int oom = 0;
            attrs->mtime_ms = sqlite3_column_int64(s, UC_INITIATED);
            attrs->key = meta_col_dup(s, UC_KEY, &oom);
            e = oom ? S3E_NOMEM : meta_row_attrs(s, UC_ATTRS, attrs, 1);
        }
    } else if (rc == SQLITE_DONE) {
        e = S3E_NO_SUCH_UPLOAD;
    } else {
        e = meta_fail(c, "find upload");
    }
    meta_done(s);
    return e;
}

/* Append every part blob of upload row uprow to l. */
static s3_err part_blobs(struct meta_conn *c, int64_t uprow, struct blob_refs *l)
{
    sqlite3_stmt *s = meta_stmt(c, SQL_PART_BLOBS);
    s3_err e = S3_OK;
    int rc;

    if (s == NULL)
        return S3E_INTERNAL;
    sqlite3_bind_int64(s, 1, uprow);
    while (e == S3_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        unsigned char id[STOR_ID];
        if (meta_col_id(s, 0, id) == 0)
            e = refs_add(l, id, (uint64_t)sqlite3_column_int64(s, 1));
    }
    if (e == S3_OK && rc != SQLITE_DONE)
        e = meta_fail(c, "list part blobs");
    meta_done(s);
    return e;
}

/* Remove the upload row and its parts. */
static s3_err upload_drop(struct meta_conn *c, int64_t uprow)
{
    for (int i = 0; i < 2; i++) {
        sqlite3_stmt *s = meta_stmt(c, i == 0 ? SQL_PART_DELETE_ALL : SQL_UP_DELETE);
        int rc;
        if (s == NULL)
            return S3E_INTERNAL;
        sqlite3_bind_int64(s, 1, uprow);
        rc = sqlite3_step(s);
        meta_done(s);
        if (rc != SQLITE_DONE)
            return meta_fail(c, "drop upload");
    }
    return S3_OK;
}

s3_err stor_mpu_create(struct stor *st, const char *bucket, const char *key, const struct stor_object *in,
                       char **upload_id_out)
{
    char uid[UPLOAD_ID_LEN + 1];
    struct meta_conn *c;
    sqlite3_stmt *s;
    int64_t bid;
    s3_err e;

    *upload_id_out = NULL;
    if (bucket == NULL || key == NULL)
        return S3E_INVALID_ARGUMENT;
    if ((e = stor_random_id(uid, UPLOAD_ID_LEN)) != S3_OK)
        return e;
    if ((c = meta_write_begin(st)) == NULL)
        return S3E_INTERNAL;
    e = meta_bucket_lookup(c, bucket, &bid, NULL, NULL);
    if (e == S3_OK) {
        if ((s = meta_stmt(c, SQL_UP_INSERT)) == NULL) {
            e = S3E_INTERNAL;
        } else {
            meta_bind_text(s, 1, uid);
            sqlite3_bind_int64(s, 2, bid);
            meta_bind_key(s, 3, key, strlen(key));
            sqlite3_bind_int64(s, 4, stor_now_ms());
            e = meta_bind_attrs(s, 5, in);
            if (e == S3_OK && sqlite3_step(s) != SQLITE_DONE)
                e = meta_fail(c, "create upload");
            meta_done(s);
        }
    }
    e = meta_write_end(st, c, e);
    if (e == S3_OK && (*upload_id_out = strdup(uid)) == NULL)
        e = S3E_NOMEM;
    return e;
}

s3_err stor_mpu_get(struct stor *st, const char *bucket, const char *key, const char *upload_id,
                    struct stor_object *out)
{
    struct meta_conn *c;
    int64_t uprow;
    s3_err e;

    memset(out, 0, sizeof(*out));
    if (bucket == NULL || key == NULL)
        return S3E_INVALID_ARGUMENT;
    c = meta_read_get(st);
    e = upload_find(c, bucket, key, upload_id, &uprow, out, NULL, NULL);
    meta_read_put(st, c);
    if (e == S3_OK && (out->bucket = strdup(bucket)) == NULL)
        e = S3E_NOMEM;
    if (e != S3_OK)
        stor_object_release(out);
    return e;
}

s3_err stor_part_put(struct stor *st, const char *bucket, const char *key, const char *upload_id,
                     unsigned part_number, struct stor_blob *blob, const char *etag,
                     enum stor_cksum alg, const char *cksum_value)
{
    struct blob_refs dead = { 0 }, mine = { 0 };
    struct blob_ref ref;
    struct meta_conn *c;
    sqlite3_stmt *s;
    char *qetag = NULL;
    int64_t uprow;
    s3_err e;
    int rc;

    if (blob == NULL || bucket == NULL || key == NULL || part_number < 1 || part_number > MAX_PART_NUMBER) {
        stor_blob_abort(blob);
        return S3E_INVALID_ARGUMENT;
    }
    /* part ETags are kept quoted, as S3 reports them */
    if (etag && etag[0] != '"') {
        size_t n = strlen(etag) + 3;
        if ((qetag = malloc(n)) == NULL) {
            stor_blob_abort(blob);
            return S3E_NOMEM;
        }
        snprintf(qetag, n, "\"%s\"", etag);
        etag = qetag;
    }
    if ((e = blob_finish(blob, &ref)) != S3_OK) {
        free(qetag);
        return e;
    }
    if ((c = meta_write_begin(st)) == NULL) {
        e = S3E_INTERNAL;
        goto out;
    }
    e = upload_find(c, bucket, key, upload_id, &uprow, NULL, NULL, NULL);
    if (e == S3_OK)
        e = meta_inline_put(c, &ref);
    if (e == S3_OK) {
        /* the part it replaces, if any */
        if ((s = meta_stmt(c, SQL_PART_GET)) == NULL) {
            e = S3E_INTERNAL;
        } else {
            unsigned char id[STOR_ID];
            sqlite3_bind_int64(s, 1, uprow);
            sqlite3_bind_int(s, 2, (int)part_number);
            rc = sqlite3_step(s);
            if (rc == SQLITE_ROW && meta_col_id(s, 0, id) == 0)
                e = refs_add(&dead, id, (uint64_t)sqlite3_column_int64(s, 1));
            else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
                e = meta_fail(c, "find part");
            meta_done(s);
        }
    }
    if (e == S3_OK) {
        if ((s = meta_stmt(c, SQL_PART_UPSERT)) == NULL) {
            e = S3E_INTERNAL;
        } else {
            sqlite3_bind_int64(s, 1, uprow);
            sqlite3_bind_int(s, 2, (int)part_number);
            meta_bind_id(s, 3, ref.id);
            sqlite3_bind_int64(s, 4, (int64_t)ref.size);
            meta_bind_text(s, 5, etag ? etag : "\"\"");
            sqlite3_bind_int64(s, 6, stor_now_ms());
            sqlite3_bind_int(s, 7, (int)alg);
            meta_bind_text(s, 8, cksum_value);
            if (sqlite3_step(s) != SQLITE_DONE)
                e = meta_fail(c, "store part");
            meta_done(s);
        }
    }
    if (e == S3_OK)
        e = meta_refs_unreferenced(c, &dead);
    e = meta_write_end(st, c, e);
out:
    if (e != S3_OK) {
        /* a new blob file nothing refers to (an inline one went with the rollback) */
        if (ref.inl == NULL && !meta_commit_uncertain && refs_add(&mine, ref.id, ref.size) == S3_OK)
            blob_unlink(st, &mine);
        refs_release(&mine);
    } else {
        blob_unlink(st, &dead);
    }
    free(ref.inl);
    refs_release(&dead);
    free(qetag);
    return e;
}

void stor_parts_release(struct stor_parts *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->n; i++) {
        free(p->v[i].etag);
        free(p->v[i].cksum_value);
    }
    free(p->v);
    memset(p, 0, sizeof(*p));
}

s3_err stor_part_list(struct stor *st, const char *bucket, const char *key, const char *upload_id,
                      unsigned marker, unsigned max, struct stor_parts *out)
{
    struct meta_conn *c;
    sqlite3_stmt *s;
    int64_t uprow;
    s3_err e;
    int rc, oom = 0;

    memset(out, 0, sizeof(*out));
    if (bucket == NULL || key == NULL)
        return S3E_INVALID_ARGUMENT;
    c = meta_read_get(st);
    if ((e = meta_read_begin(c)) != S3_OK)
        goto done;
    e = upload_find(c, bucket, key, upload_id, &uprow, NULL, NULL, NULL);
    if (e == S3_OK && (s = meta_stmt(c, SQL_PART_LIST)) == NULL)
        e = S3E_INTERNAL;
    if (e == S3_OK) {
        size_t alloc = max < 1000 ? (size_t)max + 1 : 1001;
        sqlite3_bind_int64(s, 1, uprow);
        sqlite3_bind_int64(s, 2, marker);
        sqlite3_bind_int64(s, 3, (int64_t)max + 1);   /* one more tells whether it is truncated */
        if ((out->v = calloc(alloc, sizeof(*out->v))) == NULL)
            e = S3E_NOMEM;
        while (e == S3_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
            struct stor_part *p;
            if (out->n == max) {
                out->is_truncated = 1;
                break;
            }
            if (out->n == alloc) {
                struct stor_part *nv = realloc(out->v, alloc * 2 * sizeof(*nv));
                if (nv == NULL) {
                    e = S3E_NOMEM;
                    break;
                }
                out->v = nv;
                alloc *= 2;
            }
            p = &out->v[out->n++];
            memset(p, 0, sizeof(*p));
            p->number = (unsigned)sqlite3_column_int(s, 0);
            p->size = (uint64_t)sqlite3_column_int64(s, 1);
            p->etag = meta_col_dup(s, 2, &oom);
            p->mtime_ms = sqlite3_column_int64(s, 3);
            p->cksum_value = meta_col_dup(s, 4, &oom);
            if (oom)
                e = S3E_NOMEM;
        }
        if (e == S3_OK && !out->is_truncated && rc != SQLITE_DONE)
            e = meta_fail(c, "list parts");
        meta_done(s);
        if (out->n)
            out->next_marker = out->v[out->n - 1].number;
    }
    meta_read_end(c);
done:
    meta_read_put(st, c);
    if (e != S3_OK)
        stor_parts_release(out);
    return e;
}

/* s without surrounding quotes, as a slice. */
static struct s3_str unquote(const char *s)
{
    struct s3_str r = s3_cstr(s);
    if (r.len >= 2 && r.p[0] == '"' && r.p[r.len - 1] == '"') {
        r.p++;
        r.len -= 2;
    }
    return r;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The 16 bytes of an MD5 ETag; -1 if it is not 32 hex digits. */
static int etag_md5(const char *etag, unsigned char out[16])
{
    struct s3_str h = unquote(etag);
    if (h.len != 32)
        return -1;
    for (int i = 0; i < 16; i++) {
        int a = hexval((unsigned char)h.p[2 * i]), b = hexval((unsigned char)h.p[2 * i + 1]);
        if (a < 0 || b < 0)
            return -1;
        out[i] = (unsigned char)(a << 4 | b);
    }
    return 0;
}

/* A stored part as completion needs it. */
struct cpart {
    struct blob_ref ref;
    unsigned char md5[16];
};

static s3_err complete_check(struct meta_conn *c, int64_t uprow, const struct stor_complete_part *parts, size_t n,
                             struct cpart *cp)
{
    sqlite3_stmt *s = meta_stmt(c, SQL_PART_GET);
    s3_err e = S3_OK;

    if (s == NULL)
        return S3E_INTERNAL;
    for (size_t i = 0; i < n && e == S3_OK; i++) {
        int rc;
        sqlite3_bind_int64(s, 1, uprow);
        sqlite3_bind_int64(s, 2, parts[i].number);
        rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) {
            const char *etag = (const char *)sqlite3_column_text(s, 2);
            const char *ck = (const char *)sqlite3_column_text(s, 3);
            struct s3_str a = unquote(etag), b = unquote(parts[i].etag);
            if (parts[i].etag == NULL || a.len != b.len || (a.len && strncasecmp(a.p, b.p, a.len) != 0))
                e = S3E_INVALID_PART;
            else if (parts[i].cksum_value && ck && strcmp(parts[i].cksum_value, ck) != 0)
                e = S3E_INVALID_PART;
            else if (meta_col_id(s, 0, cp[i].ref.id) != 0 || etag_md5(etag, cp[i].md5) != 0) {
                log_warn("storage: part %u of an upload has no MD5 ETag", parts[i].number);
                e = S3E_INVALID_PART;
            } else {
                cp[i].ref.size = (uint64_t)sqlite3_column_int64(s, 1);
            }
        } else if (rc == SQLITE_DONE) {
            e = S3E_INVALID_PART;
        } else {
            e = meta_fail(c, "find part");
        }
        meta_done(s);
    }
    /* size rule last: an unknown part is reported before a small one */
    for (size_t i = 0; e == S3_OK && i + 1 < n; i++)
        if (cp[i].ref.size < STOR_MIN_PART)
            e = S3E_ENTITY_TOO_SMALL;
    return e;
}

/* "\"<hex md5 of the concatenated binary part MD5s>-N\"" into out[48]. */
static s3_err multipart_etag(const struct cpart *cp, size_t n, char *out, size_t outlen)
{
    static const char hx[] = "0123456789abcdef";
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char d[16];
    char hex[33];
    unsigned dl = 0;
    int ok = md && EVP_DigestInit_ex(md, EVP_md5(), NULL) == 1;

    for (size_t i = 0; ok && i < n; i++)
        ok = EVP_DigestUpdate(md, cp[i].md5, 16) == 1;
    ok = ok && EVP_DigestFinal_ex(md, d, &dl) == 1 && dl == 16;
    EVP_MD_CTX_free(md);
    if (!ok) {
        log_error("storage: MD5 failed");
        return S3E_INTERNAL;
    }
    for (int i = 0; i < 16; i++) {
        hex[2 * i] = hx[d[i] >> 4];
        hex[2 * i + 1] = hx[d[i] & 15];
    }
    hex[32] = 0;
    snprintf(out, outlen, "\"%s-%zu\"", hex, n);
    return S3_OK;
}

s3_err stor_mpu_complete(struct stor *st, const char *bucket, const char *key, const char *upload_id,
                         const struct stor_complete_part *parts, size_t n, const char *final_cksum,
                         struct stor_object *out)
{
    struct blob_refs dead = { 0 }, all = { 0 };
    struct stor_object attrs;
    struct blob_ref *segs = NULL;
    struct cpart *cp = NULL;
    struct meta_conn *c = NULL;
    struct obj_new nv;
    char etag[64], vid[33];
    int64_t uprow, bid, row;
    int versioning = 0;
    s3_err e;

    memset(&attrs, 0, sizeof(attrs));
    if (out)
        memset(out, 0, sizeof(*out));
    if (bucket == NULL || key == NULL)
        return S3E_INVALID_ARGUMENT;
    if (parts == NULL || n == 0)
        return S3E_MALFORMED_XML;   /* S3: a CompleteMultipartUpload without parts */
    if (n > MAX_PART_NUMBER)
        return S3E_INVALID_PART;
    for (size_t i = 1; i < n; i++)
        if (parts[i].number <= parts[i - 1].number)
            return S3E_INVALID_PART_ORDER;
    if ((cp = calloc(n, sizeof(*cp))) == NULL || (segs = calloc(n, sizeof(*segs))) == NULL) {
        e = S3E_NOMEM;
        goto out;
    }
    if ((c = meta_write_begin(st)) == NULL) {
        e = S3E_INTERNAL;
        goto out;
    }
    e = upload_find(c, bucket, key, upload_id, &uprow, &attrs, &bid, &versioning);
    if (e == S3_OK)
        e = complete_check(c, uprow, parts, n, cp);
    if (e == S3_OK)
        e = multipart_etag(cp, n, etag, sizeof(etag));
    if (e == S3_OK) {
        for (size_t i = 0; i < n; i++)
            segs[i] = cp[i].ref;
        memset(&nv, 0, sizeof(nv));
        nv.attrs = &attrs;
        nv.etag = etag;
        nv.cksum_value = final_cksum;
        nv.parts_count = (unsigned)n;
        nv.segs = segs;
        nv.nsegs = n;
        e = obj_write_version(c, bid, versioning, key, &nv, &dead, &row, vid);
    }
    /* parts left out of the list: their blobs go (the used ones are now referenced by the
     * new version, so meta_refs_unreferenced keeps them) */
    if (e == S3_OK)
        e = part_blobs(c, uprow, &all);
    for (size_t i = 0; e == S3_OK && i < all.n; i++)
        e = refs_add(&dead, all.v[i].id, all.v[i].size);
    if (e == S3_OK)
        e = upload_drop(c, uprow);
    if (e == S3_OK)
        e = meta_refs_unreferenced(c, &dead);
    if (e == S3_OK && out)
        e = obj_read_row(c, row, bucket, out);
    e = meta_write_end(st, c, e);
    if (e == S3_OK)
        blob_unlink(st, &dead);
    else if (out)
        stor_object_release(out);
out:
    stor_object_release(&attrs);
    refs_release(&dead);
    refs_release(&all);
    free(cp);
    free(segs);
    return e;
}

s3_err stor_mpu_abort(struct stor *st, const char *bucket, const char *key, const char *upload_id)
{
    struct blob_refs dead = { 0 };
    struct meta_conn *c;
    int64_t uprow;
    s3_err e;

    if (bucket == NULL || key == NULL)
        return S3E_INVALID_ARGUMENT;
    if ((c = meta_write_begin(st)) == NULL)
        return S3E_INTERNAL;
    e = upload_find(c, bucket, key, upload_id, &uprow, NULL, NULL, NULL);
    if (e == S3_OK)
        e = part_blobs(c, uprow, &dead);
    if (e == S3_OK)
        e = upload_drop(c, uprow);
    if (e == S3_OK)
        e = meta_refs_unreferenced(c, &dead);
    e = meta_write_end(st, c, e);
    if (e == S3_OK)
        blob_unlink(st, &dead);
    refs_release(&dead);
    return e;
}
