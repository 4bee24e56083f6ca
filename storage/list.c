/*
 * storage/list.c - ListObjects(V2), ListObjectVersions and ListMultipartUploads.
 *
 * One walker serves all three.  It steps an index scan "key >= bound ORDER BY key" and stops at
 * the first key outside the prefix.  With a delimiter, a key whose rest (after the prefix)
 * holds the delimiter rolls up into the common prefix P = key up to and including the first
 * delimiter; after emitting P the walker re-seeks to the first key that does not start with P
 * (the byte-order successor of P), so a folder of a million keys costs one seek, not a million
 * rows.  Entries and common prefixes count together toward max_keys, and is_truncated is set
 * only when one more item exists after the last one returned (S3 semantics).
 *
 * A start_after equal to a common prefix (S3 hands it back as NextMarker) skips that whole
 * prefix, so paging never repeats it.
 */
#include "config.h"
#include "storage/stor_int.h"

#include <stdlib.h>
#include <string.h>

#include "lib/log.h"

struct walk {
    struct meta_conn *c;
    sqlite3_stmt *s;
    int64_t bid;
    struct s3_str prefix, delim, marker;   /* marker: key-marker / start-after */
    unsigned max, count;
    int truncated;
    struct s3_buf bound;                   /* current inclusive lower bound on key */
    char **prefixes;
    size_t n_prefixes, a_prefixes;
    int last_is_prefix;
    char *last;                            /* last key or prefix returned */
    /* per listing: 1 to drop a row (versions or uploads before the id marker) */
    int (*skip)(void *ud, sqlite3_stmt *s, const unsigned char *key, size_t klen);
    s3_err (*emit)(void *ud, sqlite3_stmt *s);
    void *ud;
};

static int bytes_cmp(const void *a, size_t an, const void *b, size_t bn)
{
    size_t n = an < bn ? an : bn;
    int r = n ? memcmp(a, b, n) : 0;
    if (r)
        return r;
    return an < bn ? -1 : an > bn;
}

/* Set the bound to the smallest key that does not start with p; 0 if there is none (p is all
 * 0xFF bytes). */
static int bound_after_prefix(struct walk *w, const unsigned char *p, size_t n)
{
    while (n > 0 && p[n - 1] == 0xFF)
        n--;
    if (n == 0)
        return 0;
    buf_reset(&w->bound);
    if (buf_add(&w->bound, p, n) != S3_OK)
        return -1;
    w->bound.p[n - 1] = (char)((unsigned char)w->bound.p[n - 1] + 1);
    return 1;
}

static s3_err set_last(struct walk *w, const void *p, size_t n, int is_prefix)
{
    char *c = malloc(n + 1);
    if (c == NULL)
        return S3E_NOMEM;
    memcpy(c, p, n);
    c[n] = 0;
    free(w->last);
    w->last = c;
    w->last_is_prefix = is_prefix;
    return S3_OK;
}

static s3_err add_prefix(struct walk *w, const unsigned char *p, size_t n)
{
    char *c;
    if (w->n_prefixes == w->a_prefixes) {
        size_t na = w->a_prefixes ? w->a_prefixes * 2 : 8;
        char **nv = realloc(w->prefixes, na * sizeof(*nv));
        if (nv == NULL)
            return S3E_NOMEM;
        w->prefixes = nv;
        w->a_prefixes = na;
    }
    if ((c = malloc(n + 1)) == NULL)
        return S3E_NOMEM;
    memcpy(c, p, n);
    c[n] = 0;
    w->prefixes[w->n_prefixes++] = c;
    return set_last(w, p, n, 1);
}

static void rebind(struct walk *w)
{
    sqlite3_reset(w->s);
    sqlite3_bind_int64(w->s, 1, w->bid);
    meta_bind_key(w->s, 2, w->bound.p, w->bound.len);
}

/* The scan.  w->bound holds the first key to look at; the key is column 1 of every listing
 * statement. */
static s3_err walk_run(struct walk *w)
{
    s3_err e = S3_OK;
    int rc;

    rebind(w);
    while ((rc = sqlite3_step(w->s)) == SQLITE_ROW) {
        const unsigned char *key = sqlite3_column_blob(w->s, 1);
        size_t klen = (size_t)sqlite3_column_bytes(w->s, 1);
        const unsigned char *d;

        if (key == NULL)
            key = (const unsigned char *)"";
        if (klen < w->prefix.len || (w->prefix.len && memcmp(key, w->prefix.p, w->prefix.len) != 0))
            break;   /* keys are sorted: past the prefix, nothing more can match */
        if (w->skip && w->skip(w->ud, w->s, key, klen))
            continue;
        d = NULL;
        if (w->delim.len && klen - w->prefix.len >= w->delim.len)
            d = memmem(key + w->prefix.len, klen - w->prefix.len, w->delim.p, w->delim.len);
        if (d) {
            size_t cplen = (size_t)(d - key) + w->delim.len;
            int more;
            if (!(cplen == w->marker.len && memcmp(key, w->marker.p, cplen) == 0)) {
                if (w->count == w->max) {
                    w->truncated = 1;
                    break;
                }
                if ((e = add_prefix(w, key, cplen)) != S3_OK)
                    break;
                w->count++;
            }
            if ((more = bound_after_prefix(w, key, cplen)) <= 0) {
                e = more < 0 ? S3E_NOMEM : S3_OK;
                rc = SQLITE_DONE;
                break;
            }
            rebind(w);
            continue;
        }
        if (w->count == w->max) {
            w->truncated = 1;
            break;
        }
        if ((e = w->emit(w->ud, w->s)) != S3_OK || (e = set_last(w, key, klen, 0)) != S3_OK)
            break;
        w->count++;
    }
    if (e == S3_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
        e = meta_fail(w->c, "list");
    meta_done(w->s);
    return e;
}

/* Common set-up: bucket lookup, prefix/delimiter/marker, first bound = max(prefix, after). */
static s3_err walk_init(struct walk *w, struct meta_conn *c, enum stor_sql id, const char *bucket,
                        const char *prefix, const char *delim, const char *marker, unsigned max)
{
    s3_err e;

    memset(w, 0, sizeof(*w));
    buf_init(&w->bound, 0);
    w->c = c;
    w->prefix = s3_cstr(prefix);
    w->delim = s3_cstr(delim);
    w->marker = s3_cstr(marker);
    w->max = max;
    if ((e = meta_bucket_lookup(c, bucket, &w->bid, NULL, NULL)) != S3_OK)
        return e;
    if ((w->s = meta_stmt(c, id)) == NULL)
        return S3E_INTERNAL;
    return buf_add(&w->bound, w->prefix.p, w->prefix.len);
}

/* Raise the bound to the marker: inclusive, or just after it (marker + NUL is the smallest key
 * greater than the marker, since keys hold no NUL). */
static s3_err walk_after(struct walk *w, int inclusive)
{
    size_t n = w->marker.len + (inclusive ? 0 : 1);

    if (w->marker.len == 0)
        return S3_OK;
    /* w->marker.p is a C string, so p[len] is its NUL */
    if (bytes_cmp(w->marker.p, n, w->bound.p ? w->bound.p : "", w->bound.len) <= 0)
        return S3_OK;
    buf_reset(&w->bound);
    return buf_add(&w->bound, w->marker.p, n);
}

static void walk_release(struct walk *w)
{
    for (size_t i = 0; i < w->n_prefixes; i++)
        free(w->prefixes[i]);
    free(w->prefixes);
    free(w->last);
    buf_release(&w->bound);
}

/* ------------------------------------------------------------------ objects and versions */

struct obj_list {
    struct stor_list_res *res;
    size_t alloc;
    /* versions: skip rows of the marker key not older than the version-id-marker row */
    int64_t vmark_id;
    int has_vmark;
    struct s3_str key_marker;
};

static s3_err emit_object(void *ud, sqlite3_stmt *s)
{
    struct obj_list *l = ud;
    struct stor_list_res *r = l->res;
    s3_err e;

    if (r->n_entries == l->alloc) {
        size_t na = l->alloc ? l->alloc * 2 : 32;
        struct stor_list_entry *nv = realloc(r->entries, na * sizeof(*nv));
        if (nv == NULL)
            return S3E_NOMEM;
        r->entries = nv;
        l->alloc = na;
    }
    memset(&r->entries[r->n_entries], 0, sizeof(r->entries[0]));
    e = meta_row_object(s, &r->entries[r->n_entries].obj, 0);
    /* counted even on failure so that release frees what was filled */
    r->n_entries++;
    return e;
}

static int skip_version(void *ud, sqlite3_stmt *s, const unsigned char *key, size_t klen)
{
    struct obj_list *l = ud;
    return l->has_vmark && klen == l->key_marker.len && memcmp(key, l->key_marker.p, klen) == 0 &&
           sqlite3_column_int64(s, OC_ID) >= l->vmark_id;
}

void stor_list_res_release(struct stor_list_res *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n_entries; i++)
        stor_object_release(&r->entries[i].obj);
    free(r->entries);
    for (size_t i = 0; i < r->n_prefixes; i++)
        free(r->prefixes[i]);
    free(r->prefixes);
    free(r->next_marker);
    free(r->next_version_marker);
    memset(r, 0, sizeof(*r));
}

/* Look up the row id of version vid of key (for the version-id-marker). */
static s3_err version_row(struct meta_conn *c, int64_t bid, struct s3_str key, const char *vid, int64_t *id,
                          int *found)
{
    sqlite3_stmt *s = meta_stmt(c, SQL_OBJ_VERSION);
    int rc;
    *found = 0;
    if (s == NULL)
        return S3E_INTERNAL;
    sqlite3_bind_int64(s, 1, bid);
    meta_bind_key(s, 2, key.p, key.len);
    meta_bind_text(s, 3, vid);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(s, OC_ID);
        *found = 1;
    }
    meta_done(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? S3_OK : meta_fail(c, "version marker");
}

static s3_err list_common(struct stor *st, const char *bucket, const struct stor_list_req *q, int versions,
                          struct stor_list_res *out)
{
    struct meta_conn *c = meta_read_get(st);
    struct obj_list l;
    struct walk w;
    int inclusive = 0;
    s3_err e;

    memset(out, 0, sizeof(*out));
    memset(&l, 0, sizeof(l));
    l.res = out;
    if ((e = meta_read_begin(c)) != S3_OK)
        goto done;
    e = walk_init(&w, c, versions ? SQL_LIST_VERSIONS : SQL_LIST_CURRENT, bucket, q->prefix, q->delimiter,
                  q->start_after, q->max_keys);
    if (e == S3_OK && versions && w.marker.len && q->version_id_marker && q->version_id_marker[0]) {
        /* key-marker + version-id-marker: continue inside the marker key, after that version */
        e = version_row(c, w.bid, w.marker, q->version_id_marker, &l.vmark_id, &l.has_vmark);
        inclusive = l.has_vmark;
        l.key_marker = w.marker;
    }
    if (e == S3_OK)
        e = walk_after(&w, inclusive);
    if (e == S3_OK) {
        w.emit = emit_object;
        w.skip = versions ? skip_version : NULL;
        w.ud = &l;
        e = walk_run(&w);
    }
    if (e == S3_OK) {
        out->prefixes = w.prefixes;
        out->n_prefixes = w.n_prefixes;
        w.prefixes = NULL;
        w.n_prefixes = 0;
        out->is_truncated = w.truncated;
        out->next_marker = w.last;
        w.last = NULL;
        if (versions && out->next_marker && !w.last_is_prefix && out->n_entries) {
            const char *v = out->entries[out->n_entries - 1].obj.version_id;
            if (v && (out->next_version_marker = strdup(v)) == NULL)
                e = S3E_NOMEM;
        }
    }
    walk_release(&w);
    meta_read_end(c);
done:
    meta_read_put(st, c);
    if (e != S3_OK)
        stor_list_res_release(out);
    return e;
}

s3_err stor_list_objects(struct stor *st, const char *bucket, const struct stor_list_req *q,
                         struct stor_list_res *out)
{
    return list_common(st, bucket, q, 0, out);
}

s3_err stor_list_versions(struct stor *st, const char *bucket, const struct stor_list_req *q,
                          struct stor_list_res *out)
{
    return list_common(st, bucket, q, 1, out);
}

/* ------------------------------------------------------------------ multipart uploads */

struct up_list {
    struct stor_uploads *res;
    size_t alloc;
    int64_t umark_id;
    int has_umark;
    struct s3_str key_marker;
};

static s3_err emit_upload(void *ud, sqlite3_stmt *s)
{
    struct up_list *l = ud;
    struct stor_uploads *r = l->res;
    struct stor_upload *u;
    int oom = 0;

    if (r->n == l->alloc) {
        size_t na = l->alloc ? l->alloc * 2 : 32;
        struct stor_upload *nv = realloc(r->v, na * sizeof(*nv));
        if (nv == NULL)
            return S3E_NOMEM;
        r->v = nv;
        l->alloc = na;
    }
    u = &r->v[r->n++];
    memset(u, 0, sizeof(*u));
    u->key = meta_col_dup(s, UC_KEY, &oom);
    u->upload_id = meta_col_dup(s, UC_UPLOAD_ID, &oom);
    u->initiated_ms = sqlite3_column_int64(s, UC_INITIATED);
    u->storage_class = meta_col_dup(s, UC_ATTRS + 1, &oom);
    return oom ? S3E_NOMEM : S3_OK;
}

static int skip_upload(void *ud, sqlite3_stmt *s, const unsigned char *key, size_t klen)
{
    struct up_list *l = ud;
    return l->has_umark && klen == l->key_marker.len && memcmp(key, l->key_marker.p, klen) == 0 &&
           sqlite3_column_int64(s, UC_ID) <= l->umark_id;
}

void stor_uploads_release(struct stor_uploads *u)
{
    if (u == NULL)
        return;
    for (size_t i = 0; i < u->n; i++) {
        free(u->v[i].key);
        free(u->v[i].upload_id);
        free(u->v[i].storage_class);
    }
    free(u->v);
    for (size_t i = 0; i < u->n_prefixes; i++)
        free(u->prefixes[i]);
    free(u->prefixes);
    free(u->next_key_marker);
    free(u->next_upload_id_marker);
    memset(u, 0, sizeof(*u));
}

s3_err stor_mpu_list(struct stor *st, const char *bucket, const char *prefix, const char *delimiter,
                     const char *key_marker, const char *upload_id_marker, unsigned max,
                     struct stor_uploads *out)
{
    struct meta_conn *c = meta_read_get(st);
    struct up_list l;
    struct walk w;
    int inclusive = 0;
    s3_err e;

    memset(out, 0, sizeof(*out));
    memset(&l, 0, sizeof(l));
    l.res = out;
    if ((e = meta_read_begin(c)) != S3_OK)
        goto done;
    e = walk_init(&w, c, SQL_LIST_UPLOADS, bucket, prefix, delimiter, key_marker, max);
    if (e == S3_OK && w.marker.len && upload_id_marker && upload_id_marker[0]) {
        /* S3 ignores upload-id-marker without key-marker; with it, uploads of the marker key
         * initiated after the marker upload follow */
        sqlite3_stmt *s = meta_stmt(c, SQL_UP_BY_ID);
        if (s == NULL) {
            e = S3E_INTERNAL;
        } else {
            int rc;
            meta_bind_text(s, 1, upload_id_marker);
            rc = sqlite3_step(s);
            if (rc == SQLITE_ROW) {
                l.umark_id = sqlite3_column_int64(s, 0);
                l.has_umark = 1;
            } else if (rc != SQLITE_DONE) {
                e = meta_fail(c, "upload id marker");
            }
            meta_done(s);
        }
        inclusive = l.has_umark;
        l.key_marker = w.marker;
    }
    if (e == S3_OK)
        e = walk_after(&w, inclusive);
    if (e == S3_OK) {
        w.emit = emit_upload;
        w.skip = skip_upload;
        w.ud = &l;
        e = walk_run(&w);
    }
    if (e == S3_OK) {
        out->prefixes = w.prefixes;
        out->n_prefixes = w.n_prefixes;
        w.prefixes = NULL;
        w.n_prefixes = 0;
        out->is_truncated = w.truncated;
        out->next_key_marker = w.last;
        w.last = NULL;
        if (out->next_key_marker && !w.last_is_prefix && out->n &&
            (out->next_upload_id_marker = strdup(out->v[out->n - 1].upload_id)) == NULL)
            e = S3E_NOMEM;
    }
    walk_release(&w);
    meta_read_end(c);
done:
    meta_read_put(st, c);
    if (e != S3_OK)
        stor_uploads_release(out);
    return e;
}
