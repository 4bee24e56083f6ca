/*
 * storage/bucket.c - buckets, their versioning state, and the bucket / account settings kept
 * as opaque text documents.
 */
#include "config.h"
#include "storage/stor_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"

void stor_bucket_release(struct stor_bucket *b)
{
    if (b == NULL)
        return;
    free(b->name);
    free(b->owner_account);
    free(b->region);
    memset(b, 0, sizeof(*b));
}

/* Fill b from a row of name, owner, region, created_ms, versioning. */
static s3_err row_bucket(sqlite3_stmt *s, struct stor_bucket *b)
{
    int oom = 0;
    b->name = meta_col_dup(s, 0, &oom);
    b->owner_account = meta_col_dup(s, 1, &oom);
    b->region = meta_col_dup(s, 2, &oom);
    b->created_ms = sqlite3_column_int64(s, 3);
    b->versioning = sqlite3_column_int(s, 4);
    if (oom) {
        stor_bucket_release(b);
        return S3E_NOMEM;
    }
    return S3_OK;
}

/* ------------------------------------------------------------------ bucket cache
 *
 * Nearly every S3 request starts with the bucket's row (owner, region, versioning), and a
 * SQLite read for it cost 7-9% of a small GET.  Rows are cached in a small direct-mapped table.
 * Every change to the buckets table bumps st->bkt_gen after its commit, which makes every slot
 * stale.  A reader that misses takes the generation BEFORE its SQLite read and files the row under
 * that generation: if a change committed in between, the row is already stale, never served. */
static pthread_mutex_t bkt_cache_mu = PTHREAD_MUTEX_INITIALIZER;

static unsigned bkt_slot(const char *name)
{
    uint32_t h = 2166136261u;   /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h % STOR_BKT_CACHE;
}

static uint64_t bkt_gen_now(struct stor *st)
{
    uint64_t g;
    pthread_mutex_lock(&bkt_cache_mu);
    g = st->bkt_gen;
    pthread_mutex_unlock(&bkt_cache_mu);
    return g;
}

static void bkt_changed(struct stor *st)
{
    pthread_mutex_lock(&bkt_cache_mu);
    st->bkt_gen++;
    pthread_mutex_unlock(&bkt_cache_mu);
}

/* 1 and *out filled (malloc'd copies) on a fresh hit, 0 on a miss; -1 out of memory. */
static int bkt_cache_get(struct stor *st, const char *name, struct stor_bucket *out)
{
    struct stor_bkt_slot *sl = &st->bkt_cache[bkt_slot(name)];
    int hit;

    pthread_mutex_lock(&bkt_cache_mu);
    hit = sl->used && sl->gen == st->bkt_gen && strcmp(sl->name, name) == 0;
    if (hit) {
        out->name = strdup(sl->name);
        out->owner_account = strdup(sl->owner);
        out->region = strdup(sl->region);
        out->created_ms = sl->created_ms;
        out->versioning = sl->versioning;
    }
    pthread_mutex_unlock(&bkt_cache_mu);
    if (hit && (!out->name || !out->owner_account || !out->region)) {
        stor_bucket_release(out);
        return -1;
    }
    return hit;
}

static void bkt_cache_put(struct stor *st, uint64_t gen, const struct stor_bucket *b)
{
    struct stor_bkt_slot *sl = &st->bkt_cache[bkt_slot(b->name)];

    if (strlen(b->name) >= sizeof(sl->name) || strlen(b->owner_account) >= sizeof(sl->owner) ||
        strlen(b->region) >= sizeof(sl->region))
        return;
    pthread_mutex_lock(&bkt_cache_mu);
    if (gen == st->bkt_gen) {
        sl->gen = gen;
        sl->used = 1;
        sl->versioning = b->versioning;
        sl->created_ms = b->created_ms;
        memcpy(sl->name, b->name, strlen(b->name) + 1);
        memcpy(sl->owner, b->owner_account, strlen(b->owner_account) + 1);
        memcpy(sl->region, b->region, strlen(b->region) + 1);
    }
    pthread_mutex_unlock(&bkt_cache_mu);
}

s3_err stor_bucket_create(struct stor *st, const char *name, const char *owner_account, const char *region)
{
    struct meta_conn *c;
    sqlite3_stmt *s;
    char *owner = NULL;
    int64_t bid;
    s3_err e;
    int rc;

    if (name == NULL || owner_account == NULL)
        return S3E_INVALID_ARGUMENT;
    if ((c = meta_write_begin(st)) == NULL)
        return S3E_INTERNAL;
    e = meta_bucket_lookup(c, name, &bid, NULL, &owner);
    if (e == S3_OK) {
        e = strcmp(owner ? owner : "", owner_account) == 0 ? S3E_BUCKET_OWNED : S3E_BUCKET_EXISTS;
    } else if (e == S3E_NO_SUCH_BUCKET) {
        if ((s = meta_stmt(c, SQL_BKT_INSERT)) == NULL) {
            e = S3E_INTERNAL;
        } else {
            meta_bind_text(s, 1, name);
            meta_bind_text(s, 2, owner_account);
            meta_bind_text(s, 3, region && region[0] ? region : "us-east-1");
            sqlite3_bind_int64(s, 4, stor_now_ms());
            rc = sqlite3_step(s);
            meta_done(s);
            e = rc == SQLITE_DONE ? S3_OK : meta_fail(c, "create bucket");
        }
    }
    free(owner);
    e = meta_write_end(st, c, e);
    bkt_changed(st);
    return e;
}

s3_err stor_bucket_get(struct stor *st, const char *name, struct stor_bucket *out)
{
    struct meta_conn *c;
    sqlite3_stmt *s;
    s3_err e = S3E_INTERNAL;
    uint64_t gen;
    int rc;

    memset(out, 0, sizeof(*out));
    if (name == NULL)
        return S3E_NO_SUCH_BUCKET;
    switch (bkt_cache_get(st, name, out)) {
    case 1:
        return S3_OK;
    case -1:
        return S3E_NOMEM;
    }
    gen = bkt_gen_now(st);
    c = meta_read_get(st);
    if ((s = meta_stmt(c, SQL_BKT_GET)) != NULL) {
        meta_bind_text(s, 1, name);
        rc = sqlite3_step(s);
        if (rc == SQLITE_ROW)
            e = row_bucket(s, out);
        else if (rc == SQLITE_DONE)
            e = S3E_NO_SUCH_BUCKET;
        else
            e = meta_fail(c, "get bucket");
        meta_done(s);
    }
    meta_read_put(st, c);
    if (e == S3_OK)
        bkt_cache_put(st, gen, out);
    return e;
}

/* 1 if statement id (bound to the bucket id) returns a row, 0 if not, -1 on error. */
static int bucket_has(struct meta_conn *c, enum stor_sql id, int64_t bid)
{
    sqlite3_stmt *s = meta_stmt(c, id);
    int rc;
    if (s == NULL)
        return -1;
    sqlite3_bind_int64(s, 1, bid);
    rc = sqlite3_step(s);
    meta_done(s);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    meta_fail(c, "bucket emptiness check");
    return -1;
}

s3_err stor_bucket_delete(struct stor *st, const char *name)
{
    struct meta_conn *c;
    int64_t bid;
    s3_err e;
    int has;

    if (name == NULL)
        return S3E_NO_SUCH_BUCKET;
    if ((c = meta_write_begin(st)) == NULL)
        return S3E_INTERNAL;
    e = meta_bucket_lookup(c, name, &bid, NULL, NULL);
    if (e != S3_OK)
        goto out;
    /* any version or delete marker, then any multipart upload, keeps the bucket */
    if ((has = bucket_has(c, SQL_BKT_HAS_OBJ, bid)) == 0)
        has = bucket_has(c, SQL_BKT_HAS_UPLOAD, bid);
    if (has != 0) {
        e = has > 0 ? S3E_BUCKET_NOT_EMPTY : S3E_INTERNAL;
        goto out;
    }
    for (int i = 0; i < 2 && e == S3_OK; i++) {
        sqlite3_stmt *s = meta_stmt(c, i == 0 ? SQL_BKT_ATTRS_DELETE : SQL_BKT_DELETE);
        if (s == NULL) {
            e = S3E_INTERNAL;
            break;
        }
        sqlite3_bind_int64(s, 1, bid);
        if (sqlite3_step(s) != SQLITE_DONE)
            e = meta_fail(c, "delete bucket");
        meta_done(s);
    }
out:
    e = meta_write_end(st, c, e);
    bkt_changed(st);
    return e;
}

s3_err stor_bucket_list(struct stor *st, const char *owner_account, struct stor_bucket **out, size_t *n)
{
    struct stor_bucket *v = NULL;
    size_t cnt = 0, alloc = 0;
    struct meta_conn *c;
    sqlite3_stmt *s;
    s3_err e = S3_OK;
    int rc;

    *out = NULL;
    *n = 0;
    c = meta_read_get(st);
    if ((s = meta_stmt(c, owner_account ? SQL_BKT_LIST_OWNER : SQL_BKT_LIST)) == NULL) {
        meta_read_put(st, c);
        return S3E_INTERNAL;
    }
    if (owner_account)
        meta_bind_text(s, 1, owner_account);
    while (e == S3_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (cnt == alloc) {
            size_t na = alloc ? alloc * 2 : 16;
            struct stor_bucket *nv = realloc(v, na * sizeof(*nv));
            if (nv == NULL) {
                e = S3E_NOMEM;
                break;
            }
            v = nv;
            alloc = na;
        }
        memset(&v[cnt], 0, sizeof(v[cnt]));
        if ((e = row_bucket(s, &v[cnt])) == S3_OK)
            cnt++;
    }
    if (e == S3_OK && rc != SQLITE_DONE)
        e = meta_fail(c, "list buckets");
    meta_done(s);
    meta_read_put(st, c);
    if (e != S3_OK) {
        for (size_t i = 0; i < cnt; i++)
            stor_bucket_release(&v[i]);
        free(v);
        return e;
    }
    *out = v;
    *n = cnt;
    return S3_OK;
}

s3_err stor_bucket_set_versioning(struct stor *st, const char *name, int versioning)
{
    struct meta_conn *c;
    sqlite3_stmt *s;
    int64_t bid;
    s3_err e;

    if (versioning != 1 && versioning != 2)
        return S3E_INVALID_ARGUMENT;
    if (name == NULL)
        return S3E_NO_SUCH_BUCKET;
    if ((c = meta_write_begin(st)) == NULL)
        return S3E_INTERNAL;
    e = meta_bucket_lookup(c, name, &bid, NULL, NULL);
    if (e == S3_OK) {
        if ((s = meta_stmt(c, SQL_BKT_SET_VERSIONING)) == NULL) {
            e = S3E_INTERNAL;
        } else {
            sqlite3_bind_int64(s, 1, bid);
            sqlite3_bind_int(s, 2, versioning);
            if (sqlite3_step(s) != SQLITE_DONE)
                e = meta_fail(c, "set versioning");
            meta_done(s);
        }
    }
    e = meta_write_end(st, c, e);
    bkt_changed(st);
    return e;
}

/* ------------------------------------------------------------------ settings */

/* Read one setting: scope is bound as ?1 (bucket row id or account text), attr as ?2. */
static s3_err attr_get(struct meta_conn *c, enum stor_sql id, int64_t bid, const char *account,
                       const char *attr, char **value_out)
{
    sqlite3_stmt *s = meta_stmt(c, id);
    s3_err e;
    int rc, oom = 0;

    if (s == NULL)
        return S3E_INTERNAL;
    if (account)
        meta_bind_text(s, 1, account);
    else
        sqlite3_bind_int64(s, 1, bid);
    meta_bind_text(s, 2, attr);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *value_out = meta_col_dup(s, 0, &oom);
        e = oom ? S3E_NOMEM : *value_out ? S3_OK : S3E_NO_SUCH_KEY;
    } else if (rc == SQLITE_DONE) {
        e = S3E_NO_SUCH_KEY;
    } else {
        e = meta_fail(c, "get setting");
    }
    meta_done(s);
    return e;
}

/* Write (value non-NULL) or delete one setting. */
static s3_err attr_set(struct meta_conn *c, enum stor_sql set, enum stor_sql del, int64_t bid,
                       const char *account, const char *attr, const char *value)
{
    sqlite3_stmt *s = meta_stmt(c, value ? set : del);
    s3_err e = S3_OK;

    if (s == NULL)
        return S3E_INTERNAL;
    if (account)
        meta_bind_text(s, 1, account);
    else
        sqlite3_bind_int64(s, 1, bid);
    meta_bind_text(s, 2, attr);
    if (value)
        meta_bind_text(s, 3, value);
    if (sqlite3_step(s) != SQLITE_DONE)
        e = meta_fail(c, "set setting");
    meta_done(s);
    return e;
}

s3_err stor_bucket_attr_get(struct stor *st, const char *bucket, const char *attr, char **value_out)
{
    struct meta_conn *c;
    int64_t bid;
    s3_err e;

    *value_out = NULL;
    if (bucket == NULL || attr == NULL)
        return S3E_INVALID_ARGUMENT;
    c = meta_read_get(st);
    e = meta_bucket_lookup(c, bucket, &bid, NULL, NULL);
    if (e == S3_OK)
        e = attr_get(c, SQL_BATTR_GET, bid, NULL, attr, value_out);
    meta_read_put(st, c);
    return e;
}

s3_err stor_bucket_attr_set(struct stor *st, const char *bucket, const char *attr, const char *value)
{
    struct meta_conn *c;
    int64_t bid;
    s3_err e;

    if (bucket == NULL || attr == NULL)
        return S3E_INVALID_ARGUMENT;
    if ((c = meta_write_begin(st)) == NULL)
        return S3E_INTERNAL;
    e = meta_bucket_lookup(c, bucket, &bid, NULL, NULL);
    if (e == S3_OK)
        e = attr_set(c, SQL_BATTR_SET, SQL_BATTR_DEL, bid, NULL, attr, value);
    return meta_write_end(st, c, e);
}

s3_err stor_account_attr_get(struct stor *st, const char *account, const char *attr, char **value_out)
{
    struct meta_conn *c;
    s3_err e;

    *value_out = NULL;
    if (account == NULL || attr == NULL)
        return S3E_INVALID_ARGUMENT;
    c = meta_read_get(st);
    e = attr_get(c, SQL_AATTR_GET, 0, account, attr, value_out);
    meta_read_put(st, c);
    return e;
}

s3_err stor_account_attr_set(struct stor *st, const char *account, const char *attr, const char *value)
{
    struct meta_conn *c;
    s3_err e;

    if (account == NULL || attr == NULL)
        return S3E_INVALID_ARGUMENT;
    if ((c = meta_write_begin(st)) == NULL)
        return S3E_INTERNAL;
    e = attr_set(c, SQL_AATTR_SET, SQL_AATTR_DEL, 0, account, attr, value);
    return meta_write_end(st, c, e);
}
