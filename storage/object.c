/*
 * storage/object.c - object versions: put, get, delete (markers), tags, and opening a reader.
 *
 * Versioning follows S3 (docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html):
 * a bucket that never had versioning, or has it Suspended, writes the version "null" and so
 * replaces the previous null version; an Enabled bucket adds a version with a new id.  The
 * newest row of a key is its latest version; DeleteObject without a version id adds a delete
 * marker (Enabled: new id, Suspended: "null") or, unversioned, removes the object.
 *
 * Write path: blob_finish before the transaction.  A small blob comes back inline (its
 * encrypted bytes in memory) and is inserted into blob_inline by the same write transaction as
 * the object row, so bytes and metadata commit (or vanish) together.  A big one is a file
 * (temp -> fsync -> rename into blobs/) before the transaction; a failed commit unlinks it and
 * a crash in between leaves an orphan for the sweep.  Blobs of replaced versions: inline ones
 * are deleted inside the transaction, files are unlinked after the commit.
 */
#include "config.h"
#include "storage/stor_int.h"

#include <stdlib.h>
#include <string.h>

#include "lib/log.h"

void stor_object_release(struct stor_object *o)
{
    if (o == NULL)
        return;
    free(o->bucket);
    free(o->key);
    free(o->version_id);
    free(o->etag);
    free(o->content_type);
    free(o->content_encoding);
    free(o->content_disposition);
    free(o->content_language);
    free(o->cache_control);
    free(o->expires);
    free(o->storage_class);
    free(o->sse);
    free(o->cksum_value);
    free(o->cksum_type);
    stor_kvs_release(&o->meta);
    stor_kvs_release(&o->tags);
    free(o->owner_account);
    memset(o, 0, sizeof(*o));
}

/* ------------------------------------------------------------------ row helpers */

/* Append the blobs of object row id to l; with_data: an inline blob with a copy of its bytes
 * (what a reader needs), otherwise ids and sizes only. */
static s3_err collect_segs(struct meta_conn *c, int64_t id, struct blob_refs *l, int with_data)
{
    sqlite3_stmt *s = meta_stmt(c, SQL_SEG_LIST);
    size_t first = l->n;
    s3_err e = S3_OK;
    int rc;

    if (s == NULL)
        return S3E_INTERNAL;
    sqlite3_bind_int64(s, 1, id);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW && e == S3_OK) {
        unsigned char bid[STOR_ID];
        if (meta_col_id(s, 0, bid) != 0) {
            log_error("storage: object row %lld has a malformed blob id", (long long)id);
            e = S3E_INTERNAL;
        } else {
            e = refs_add(l, bid, (uint64_t)sqlite3_column_int64(s, 1));
        }
    }
    if (e == S3_OK && rc != SQLITE_DONE)
        e = meta_fail(c, "list object blobs");
    meta_done(s);
    /* a completed multipart upload's small last part may be inline */
    for (size_t i = first; e == S3_OK && with_data && i < l->n; i++)
        if (meta_inline_get(c, &l->v[i]) < 0)
            e = S3E_INTERNAL;
    return e;
}

/* Run a statement taking one int64 (and optionally a second int) that returns no row. */
static s3_err exec_id(struct meta_conn *c, enum stor_sql id, int64_t a, int has_b, int64_t b, const char *what)
{
    sqlite3_stmt *s = meta_stmt(c, id);
    int rc;
    if (s == NULL)
        return S3E_INTERNAL;
    sqlite3_bind_int64(s, 1, a);
    if (has_b)
        sqlite3_bind_int64(s, 2, b);
    rc = sqlite3_step(s);
    meta_done(s);
    return rc == SQLITE_DONE ? S3_OK : meta_fail(c, what);
}

/* Remove object row id; its blobs go to dead. */
static s3_err delete_row(struct meta_conn *c, int64_t id, struct blob_refs *dead)
{
    sqlite3_stmt *s = meta_stmt(c, SQL_OBJ_BLOB);
    unsigned char bid[STOR_ID];
    int rc, inl = 0;
    uint64_t size = 0;
    s3_err e = S3_OK;

    if (s == NULL)
        return S3E_INTERNAL;
    /* one inline blob named by the row itself, or the list in object_segs */
    sqlite3_bind_int64(s, 1, id);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
        inl = 1;
        size = (uint64_t)sqlite3_column_int64(s, 1);
        if (meta_col_id(s, 0, bid) != 0) {
            log_error("storage: object row %lld has a malformed blob id", (long long)id);
            e = S3E_INTERNAL;
        }
    } else if (rc != SQLITE_ROW) {
        e = meta_fail(c, "read object blob");
    }
    meta_done(s);
    if (e == S3_OK)
        e = inl ? refs_add(dead, bid, size) : collect_segs(c, id, dead, 0);
    if (e == S3_OK && !inl)
        e = exec_id(c, SQL_SEG_DELETE, id, 0, 0, "delete object blobs");
    if (e == S3_OK)
        e = exec_id(c, SQL_OBJ_DELETE, id, 0, 0, "delete object");
    return e;
}

/* Append inline blob bid (size bytes of plaintext) with a copy of its bytes to l. */
static s3_err collect_inline(struct meta_conn *c, const unsigned char *bid, uint64_t size, struct blob_refs *l)
{
    s3_err e = refs_add(l, bid, size);
    int r;

    if (e != S3_OK)
        return e;
    if ((r = meta_inline_get(c, &l->v[l->n - 1])) == 0)
        log_error("storage: an object names an inline blob that does not exist");
    return r == 1 ? S3_OK : S3E_INTERNAL;
}

/* Find a version: the latest when vid is NULL.  *found = 0 if none; otherwise id, is_latest
 * and is_dm are set. */
static s3_err find_version(struct meta_conn *c, int64_t bid, const char *key, const char *vid, int *found,
                           int64_t *id, int *is_latest, int *is_dm)
{
    sqlite3_stmt *s = meta_stmt(c, vid ? SQL_OBJ_VERSION : SQL_OBJ_LATEST);
    int rc;

    *found = 0;
    if (s == NULL)
        return S3E_INTERNAL;
    sqlite3_bind_int64(s, 1, bid);
    meta_bind_key(s, 2, key, strlen(key));
    if (vid)
        meta_bind_text(s, 3, vid);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *found = 1;
        *id = sqlite3_column_int64(s, OC_ID);
        *is_latest = sqlite3_column_int(s, OC_LATEST);
        *is_dm = sqlite3_column_int(s, OC_DM);
    }
    meta_done(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return meta_fail(c, "find version");
    return S3_OK;
}

/* After the latest version of a key went away, the newest remaining one becomes latest. */
static s3_err promote_latest(struct meta_conn *c, int64_t bid, const char *key)
{
    int found, latest, dm;
    int64_t id;
    s3_err e = find_version(c, bid, key, NULL, &found, &id, &latest, &dm);
    if (e != S3_OK || !found || latest)
        return e;
    return exec_id(c, SQL_OBJ_SET_LATEST, id, 1, 1, "promote latest version");
}

s3_err obj_write_version(struct meta_conn *c, int64_t bid, int versioning, const char *key,
                         const struct obj_new *nv, struct blob_refs *dead, int64_t *row_out, char *vid_out)
{
    sqlite3_stmt *s;
    uint64_t size = 0;
    int found, latest, dm, rc;
    int own_inline = nv->nsegs == 1 && nv->segs[0].inl != NULL;
    int64_t id, row;
    s3_err e;

    if (versioning == 1) {
        if ((e = stor_random_id(vid_out, 32)) != S3_OK)
            return e;
    } else {
        memcpy(vid_out, "null", 5);
        if ((e = find_version(c, bid, key, "null", &found, &id, &latest, &dm)) != S3_OK)
            return e;
        if (found && (e = delete_row(c, id, dead)) != S3_OK)
            return e;
    }
    if ((e = find_version(c, bid, key, NULL, &found, &id, &latest, &dm)) != S3_OK)
        return e;
    if (found && latest && (e = exec_id(c, SQL_OBJ_SET_LATEST, id, 1, 0, "demote latest version")) != S3_OK)
        return e;

    for (size_t i = 0; i < nv->nsegs; i++)
        size += nv->segs[i].size;
    if ((s = meta_stmt(c, SQL_OBJ_INSERT)) == NULL)
        return S3E_INTERNAL;
    sqlite3_bind_int64(s, 1, bid);
    meta_bind_key(s, 2, key, strlen(key));
    meta_bind_text(s, 3, vid_out);
    sqlite3_bind_int(s, 4, nv->is_dm ? 1 : 0);
    sqlite3_bind_int64(s, 5, (int64_t)size);
    meta_bind_text(s, 6, nv->etag);
    sqlite3_bind_int64(s, 7, stor_now_ms());
    meta_bind_text(s, 8, nv->cksum_value);
    sqlite3_bind_int(s, 9, (int)nv->parts_count);
    /* A blob just written inline is this version's alone: the row names it, no object_segs */
    if (own_inline)
        meta_bind_id(s, 23, nv->segs[0].id);
    if ((e = meta_bind_attrs(s, 10, nv->attrs)) != S3_OK) {
        meta_done(s);
        return e;
    }
    rc = sqlite3_step(s);
    meta_done(s);
    if (rc != SQLITE_DONE)
        return meta_fail(c, "insert object");
    row = sqlite3_last_insert_rowid(c->db);

    if (!own_inline && nv->nsegs && (s = meta_stmt(c, SQL_SEG_INSERT)) == NULL)
        return S3E_INTERNAL;
    for (size_t i = 0; !own_inline && i < nv->nsegs; i++) {
        sqlite3_bind_int64(s, 1, row);
        sqlite3_bind_int64(s, 2, (int64_t)i);
        meta_bind_id(s, 3, nv->segs[i].id);
        sqlite3_bind_int64(s, 4, (int64_t)nv->segs[i].size);
        rc = sqlite3_step(s);
        meta_done(s);
        if (rc != SQLITE_DONE)
            return meta_fail(c, "insert object blob");
    }
    *row_out = row;
    return S3_OK;
}

s3_err obj_read_row(struct meta_conn *c, int64_t row, const char *bucket, struct stor_object *out)
{
    sqlite3_stmt *s = meta_stmt(c, SQL_OBJ_BY_ID);
    s3_err e;
    int rc;

    memset(out, 0, sizeof(*out));
    if (s == NULL)
        return S3E_INTERNAL;
    sqlite3_bind_int64(s, 1, row);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        e = meta_row_object(s, out, 1);
        if (e == S3_OK && (out->bucket = strdup(bucket)) == NULL)
            e = S3E_NOMEM;
    } else {
        e = meta_fail(c, "read object row");
    }
    meta_done(s);
    if (e != S3_OK)
        stor_object_release(out);
    return e;
}

/* Read the version (latest if vid is NULL) with the S3 error for a missing one or a delete
 * marker; segs (optional) receives its blobs, inline ones with their bytes. */
static s3_err obj_fetch(struct meta_conn *c, const char *bucket, const char *key, const char *vid,
                        struct stor_object *out, struct blob_refs *segs)
{
    sqlite3_stmt *s;
    int64_t bid, id = 0;
    unsigned char inl_id[STOR_ID];
    int has_inl = 0;
    s3_err e;
    int rc;

    if ((e = meta_bucket_lookup(c, bucket, &bid, NULL, NULL)) != S3_OK)
        return e;
    if ((s = meta_stmt(c, vid ? SQL_OBJ_VERSION : SQL_OBJ_LATEST)) == NULL)
        return S3E_INTERNAL;
    sqlite3_bind_int64(s, 1, bid);
    meta_bind_key(s, 2, key, strlen(key));
    if (vid)
        meta_bind_text(s, 3, vid);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        id = sqlite3_column_int64(s, OC_ID);
        e = meta_row_object(s, out, 1);
        if (e == S3_OK && (out->bucket = strdup(bucket)) == NULL)
            e = S3E_NOMEM;
        if (e == S3_OK && sqlite3_column_type(s, OC_BLOB) != SQLITE_NULL) {
            has_inl = 1;
            if (meta_col_id(s, OC_BLOB, inl_id) != 0) {
                log_error("storage: object row %lld has a malformed blob id", (long long)id);
                e = S3E_INTERNAL;
            }
        }
    } else if (rc == SQLITE_DONE) {
        e = vid ? S3E_NO_SUCH_VERSION : S3E_NO_SUCH_KEY;
    } else {
        e = meta_fail(c, "get object");
    }
    meta_done(s);
    if (e != S3_OK) {
        stor_object_release(out);
        return e;
    }
    if (out->is_delete_marker)
        return vid ? S3E_METHOD_NOT_ALLOWED : S3E_NO_SUCH_KEY;
    if (segs)
        e = has_inl ? collect_inline(c, inl_id, out->size, segs) : collect_segs(c, id, segs, 1);
    if (e != S3_OK)
        stor_object_release(out);
    return e;
}

/* ------------------------------------------------------------------ public */

s3_err stor_object_put(struct stor *st, const char *bucket, const char *key, struct stor_blob *blob,
                       const struct stor_object *in, struct stor_object *out)
{
    struct blob_refs dead = { 0 }, mine = { 0 };
    struct blob_ref ref;
    struct obj_new nv;
    struct meta_conn *c;
    char vid[33];
    int64_t bid, row = 0;
    int versioning = 0;
    s3_err e;

    if (out)
        memset(out, 0, sizeof(*out));
    if (blob == NULL || bucket == NULL || key == NULL) {
        stor_blob_abort(blob);
        return S3E_INVALID_ARGUMENT;
    }
    if ((e = blob_finish(blob, &ref)) != S3_OK)
        return e;
    memset(&nv, 0, sizeof(nv));
    nv.attrs = in;
    nv.etag = in ? in->etag : NULL;
    nv.cksum_value = in ? in->cksum_value : NULL;
    nv.parts_count = in ? in->parts_count : 0;
    nv.segs = &ref;
    nv.nsegs = 1;
    if ((c = meta_write_begin(st)) == NULL) {
        e = S3E_INTERNAL;
    } else {
        e = meta_bucket_lookup(c, bucket, &bid, &versioning, NULL);
        if (e == S3_OK)
            e = meta_inline_put(c, &ref);
        if (e == S3_OK)
            e = obj_write_version(c, bid, versioning, key, &nv, &dead, &row, vid);
        if (e == S3_OK)
            e = meta_refs_unreferenced(c, &dead);
        if (e == S3_OK && out)
            e = obj_read_row(c, row, bucket, out);
        e = meta_write_end(st, c, e);
    }
    if (e != S3_OK) {
        if (out)
            stor_object_release(out);
        /* a new blob file is in blobs/ but nothing refers to it (an inline one went with the
         * rollback) */
        if (ref.inl == NULL && !meta_commit_uncertain && refs_add(&mine, ref.id, ref.size) == S3_OK)
            blob_unlink(st, &mine);
        refs_release(&mine);
    } else {
        blob_unlink(st, &dead);
    }
    free(ref.inl);
    refs_release(&dead);
    return e;
}

s3_err stor_object_get(struct stor *st, const char *bucket, const char *key, const char *version_id,
                       struct stor_object *out)
{
    struct meta_conn *c;
    s3_err e;

    memset(out, 0, sizeof(*out));
    if (bucket == NULL || key == NULL)
        return S3E_INVALID_ARGUMENT;
    c = meta_read_get(st);
    e = obj_fetch(c, bucket, key, version_id, out, NULL);
    meta_read_put(st, c);
    return e;
}

s3_err stor_object_delete(struct stor *st, const char *bucket, const char *key, const char *version_id,
                          int *marker_out, char **version_out)
{
    struct blob_refs dead = { 0 };
    struct meta_conn *c;
    char vid[33] = "";
    char *owner = NULL;
    int64_t bid, id, row;
    int versioning = 0, found = 0, latest = 0, dm = 0, marker = 0, report_vid = 0;
    s3_err e;

    if (marker_out)
        *marker_out = 0;
    if (version_out)
        *version_out = NULL;
    if (bucket == NULL || key == NULL)
        return S3E_INVALID_ARGUMENT;
    if ((c = meta_write_begin(st)) == NULL)
        return S3E_INTERNAL;
    e = meta_bucket_lookup(c, bucket, &bid, &versioning, &owner);
    if (e != S3_OK)
        goto out;
    if (version_id == NULL && versioning == 0) {
        /* unversioned: the object (its null version) simply goes */
        e = find_version(c, bid, key, "null", &found, &id, &latest, &dm);
        if (e == S3_OK && found)
            e = delete_row(c, id, &dead);
        if (e == S3_OK && found && latest)
            e = promote_latest(c, bid, key);
    } else if (version_id == NULL) {
        /* versioned: a delete marker becomes the latest version */
        struct stor_object attrs;
        struct obj_new nv;
        memset(&attrs, 0, sizeof(attrs));
        attrs.owner_account = owner;
        memset(&nv, 0, sizeof(nv));
        nv.attrs = &attrs;
        nv.is_dm = 1;
        e = obj_write_version(c, bid, versioning, key, &nv, &dead, &row, vid);
        marker = 1;
        report_vid = 1;
    } else {
        /* one version goes for good; deleting nothing is not an error */
        e = find_version(c, bid, key, version_id, &found, &id, &latest, &dm);
        if (e == S3_OK && found)
            e = delete_row(c, id, &dead);
        if (e == S3_OK && found && latest)
            e = promote_latest(c, bid, key);
        marker = found && dm;
        report_vid = 1;
    }
    if (e == S3_OK)
        e = meta_refs_unreferenced(c, &dead);
out:
    e = meta_write_end(st, c, e);
    free(owner);
    if (e == S3_OK) {
        blob_unlink(st, &dead);
        if (marker_out)
            *marker_out = marker;
        if (version_out && report_vid && (*version_out = strdup(version_id ? version_id : vid)) == NULL)
            log_warn("storage: out of memory reporting a deleted version id");
    }
    refs_release(&dead);
    return e;
}

s3_err stor_object_set_tags(struct stor *st, const char *bucket, const char *key, const char *version_id,
                            const struct stor_kvs *tags)
{
    struct meta_conn *c;
    sqlite3_stmt *s;
    int64_t bid, id = 0;
    int found = 0, latest, dm = 0, rc;
    s3_err e;

    if (bucket == NULL || key == NULL)
        return S3E_INVALID_ARGUMENT;
    if ((c = meta_write_begin(st)) == NULL)
        return S3E_INTERNAL;
    e = meta_bucket_lookup(c, bucket, &bid, NULL, NULL);
    if (e == S3_OK)
        e = find_version(c, bid, key, version_id, &found, &id, &latest, &dm);
    if (e == S3_OK && !found)
        e = version_id ? S3E_NO_SUCH_VERSION : S3E_NO_SUCH_KEY;
    else if (e == S3_OK && dm)
        e = version_id ? S3E_METHOD_NOT_ALLOWED : S3E_NO_SUCH_KEY;
    if (e == S3_OK) {
        if ((s = meta_stmt(c, SQL_OBJ_SET_TAGS)) == NULL) {
            e = S3E_INTERNAL;
        } else {
            sqlite3_bind_int64(s, 1, id);
            e = meta_bind_kvs(s, 2, tags);
            if (e == S3_OK && (rc = sqlite3_step(s)) != SQLITE_DONE)
                e = meta_fail(c, "set tags");
            meta_done(s);
        }
    }
    return meta_write_end(st, c, e);
}

s3_err stor_reader_open(struct stor *st, const char *bucket, const char *key, const char *version_id,
                        struct stor_object *meta_out, struct stor_reader **out)
{
    struct stor_object local;
    struct stor_object *m = meta_out ? meta_out : &local;
    s3_err e = S3E_INTERNAL;

    *out = NULL;
    memset(m, 0, sizeof(*m));
    if (bucket == NULL || key == NULL)
        return S3E_INVALID_ARGUMENT;
    /* A concurrent overwrite may delete the blobs between our snapshot and the moment the
     * reader pins them; blob_reader_new notices and we read the new state again. */
    for (int attempt = 0; attempt < 16; attempt++) {
        struct blob_refs segs = { 0 };
        uint64_t gen = blob_del_gen(st);
        struct meta_conn *c = meta_read_get(st);
        int stale = 0;

        e = meta_read_begin(c);
        if (e == S3_OK)
            e = obj_fetch(c, bucket, key, version_id, m, &segs);
        meta_read_end(c);
        meta_read_put(st, c);
        if (e == S3_OK)
            e = blob_reader_new(st, &segs, gen, out, &stale);
        refs_release(&segs);
        if (e != S3_OK || !stale) {
            if (e != S3_OK && e != S3E_NO_SUCH_KEY && e != S3E_METHOD_NOT_ALLOWED)
                stor_object_release(m);
            if (m == &local)
                stor_object_release(m);
            return e;
        }
        stor_object_release(m);
    }
    log_error("storage: could not open a stable version of %s/%s", bucket, key);
    return S3E_INTERNAL;
}
