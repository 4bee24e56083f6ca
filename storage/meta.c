/*
 * storage/meta.c - the SQLite side of storage: opening the store, the schema and its
 * migrations, the connection pool, cached statements, transactions and row <-> struct helpers.
 *
 * One writer connection (behind st->wmu) and st->nreaders read connections (a free list behind
 * pool_mu/pool_cv).  In WAL mode readers see a committed snapshot and never block the writer.
 * Every statement is prepared once per connection (SQLITE_PREPARE_PERSISTENT) on first use and
 * reused: no request parses SQL.
 */
#include "config.h"
#include "storage/stor_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "lib/log.h"

static const char *const stor_sql_text[SQL__COUNT] = {
#define STOR_SQL_TEXT_(sym, text) text,
    STOR_SQL(STOR_SQL_TEXT_)
#undef STOR_SQL_TEXT_
};

/* ------------------------------------------------------------------ schema */

/* Migration i takes the schema from version i to i + 1.  Append only; never edit a shipped
 * step.  Keys are BLOBs: SQLite compares BLOBs with memcmp, which is S3's byte order, and no
 * collation or UTF-8 check can get in the way of odd keys. */
static const char *const stor_migrations[] = {
    /* 0 -> 1 */
    "CREATE TABLE buckets("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  owner TEXT NOT NULL,"
    "  region TEXT NOT NULL,"
    "  created_ms INTEGER NOT NULL,"
    "  versioning INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX buckets_owner ON buckets(owner, name);"
    "CREATE TABLE bucket_attrs("
    "  bucket_id INTEGER NOT NULL REFERENCES buckets(id) ON DELETE CASCADE,"
    "  attr TEXT NOT NULL,"
    "  value TEXT NOT NULL,"
    "  PRIMARY KEY(bucket_id, attr)) WITHOUT ROWID;"
    "CREATE TABLE account_attrs("
    "  account TEXT NOT NULL,"
    "  attr TEXT NOT NULL,"
    "  value TEXT NOT NULL,"
    "  PRIMARY KEY(account, attr)) WITHOUT ROWID;"
    /* One row per version or delete marker.  id only grows (a new rowid is max + 1), so the
     * highest id of a key is its latest version; is_latest is kept in step for listings. */
    "CREATE TABLE objects("
    "  id INTEGER PRIMARY KEY,"
    "  bucket_id INTEGER NOT NULL REFERENCES buckets(id),"
    "  key BLOB NOT NULL,"
    "  version_id TEXT NOT NULL,"
    "  is_latest INTEGER NOT NULL,"
    "  is_dm INTEGER NOT NULL,"
    "  size INTEGER NOT NULL,"
    "  etag TEXT,"
    "  mtime_ms INTEGER NOT NULL,"
    "  cksum_value TEXT,"
    "  parts_count INTEGER NOT NULL DEFAULT 0,"
    "  owner TEXT, storage_class TEXT, cksum_alg INTEGER NOT NULL DEFAULT 0, cksum_type TEXT,"
    "  content_type TEXT, content_encoding TEXT, content_disposition TEXT, content_language TEXT,"
    "  cache_control TEXT, expires TEXT, sse TEXT, meta BLOB, tags BLOB);"
    "CREATE UNIQUE INDEX objects_version ON objects(bucket_id, key, version_id);"
    "CREATE INDEX objects_key ON objects(bucket_id, key, id DESC);"
    /* The bytes of a version: its blobs in order (one for a PUT, one per part after a
     * multipart completion). */
    "CREATE TABLE object_segs("
    "  obj_id INTEGER NOT NULL REFERENCES objects(id) ON DELETE CASCADE,"
    "  idx INTEGER NOT NULL,"
    "  blob_id BLOB NOT NULL,"
    "  size INTEGER NOT NULL,"
    "  PRIMARY KEY(obj_id, idx)) WITHOUT ROWID;"
    "CREATE INDEX object_segs_blob ON object_segs(blob_id);"
    "CREATE TABLE uploads("
    "  id INTEGER PRIMARY KEY,"
    "  upload_id TEXT NOT NULL UNIQUE,"
    "  bucket_id INTEGER NOT NULL REFERENCES buckets(id),"
    "  key BLOB NOT NULL,"
    "  initiated_ms INTEGER NOT NULL,"
    "  owner TEXT, storage_class TEXT, cksum_alg INTEGER NOT NULL DEFAULT 0, cksum_type TEXT,"
    "  content_type TEXT, content_encoding TEXT, content_disposition TEXT, content_language TEXT,"
    "  cache_control TEXT, expires TEXT, sse TEXT, meta BLOB, tags BLOB);"
    "CREATE INDEX uploads_key ON uploads(bucket_id, key, id);"
    "CREATE TABLE parts("
    "  upload INTEGER NOT NULL REFERENCES uploads(id) ON DELETE CASCADE,"
    "  number INTEGER NOT NULL,"
    "  blob_id BLOB NOT NULL,"
    "  size INTEGER NOT NULL,"
    "  etag TEXT NOT NULL,"
    "  mtime_ms INTEGER NOT NULL,"
    "  cksum_alg INTEGER NOT NULL DEFAULT 0,"
    "  cksum_value TEXT,"
    "  PRIMARY KEY(upload, number)) WITHOUT ROWID;"
    "CREATE INDEX parts_blob ON parts(blob_id);",
    /* 1 -> 2: small blobs inline.  data is exactly what the blob file would hold (header +
     * segments, encrypted), so the reader's decryption is shared.  A row lives as long as the
     * one row that names its id - an objects row (blob_id), an object_segs row or a parts row -
     * and is written and deleted by the same transactions as that row.  Keyed by seq, the time
     * stamp that begins every inline id (blob.c): a rowid b-tree growing at its right edge,
     * where SQLite appends a leaf without rebalancing (an index b-tree keyed by the 16-byte id
     * rebalanced two or three pages per insert).
     * objects.blob_id: a version whose bytes are one inline blob (a small PUT) names it here
     * and has no object_segs row: two b-trees fewer to write per small PUT.  NULL for the
     * others, whose blobs object_segs lists as before (old rows included). */
    "CREATE TABLE blob_inline("
    "  seq INTEGER PRIMARY KEY,"
    "  id BLOB NOT NULL,"
    "  data BLOB NOT NULL);"
    "ALTER TABLE objects ADD COLUMN blob_id BLOB;",
};
#define STOR_SCHEMA_VERSION ((int)(sizeof(stor_migrations) / sizeof(stor_migrations[0])))

static int exec_sql(sqlite3 *db, const char *sql, char *errbuf, size_t errlen)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        snprintf(errbuf, errlen, "sqlite: %s", msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
    }
    return rc;
}

/* Bring the schema to STOR_SCHEMA_VERSION in one transaction. */
static s3_err migrate(sqlite3 *db, char *errbuf, size_t errlen)
{
    sqlite3_stmt *s = NULL;
    int have = 0, rc;
    char upd[96];

    if (exec_sql(db, "BEGIN IMMEDIATE; CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL);",
                 errbuf, errlen) != SQLITE_OK)
        goto fail;
    if (sqlite3_prepare_v2(db, "SELECT version FROM schema_version", -1, &s, NULL) != SQLITE_OK)
        goto fail_db;
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        have = sqlite3_column_int(s, 0);
    else if (rc != SQLITE_DONE)
        goto fail_db;
    sqlite3_finalize(s);
    s = NULL;
    if (rc == SQLITE_DONE && exec_sql(db, "INSERT INTO schema_version VALUES(0)", errbuf, errlen) != SQLITE_OK)
        goto fail;
    if (have > STOR_SCHEMA_VERSION) {
        snprintf(errbuf, errlen, "meta.db has schema version %d, newer than this build (%d)", have,
                 STOR_SCHEMA_VERSION);
        goto fail;
    }
    for (int v = have; v < STOR_SCHEMA_VERSION; v++) {
        if (exec_sql(db, stor_migrations[v], errbuf, errlen) != SQLITE_OK)
            goto fail;
        log_info("storage: schema migrated to version %d", v + 1);
    }
    snprintf(upd, sizeof(upd), "UPDATE schema_version SET version=%d; COMMIT;", STOR_SCHEMA_VERSION);
    if (exec_sql(db, upd, errbuf, errlen) != SQLITE_OK)
        goto fail;
    return S3_OK;
fail_db:
    snprintf(errbuf, errlen, "sqlite: %s", sqlite3_errmsg(db));
fail:
    sqlite3_finalize(s);
    if (!sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return S3E_INTERNAL;
}

/* ------------------------------------------------------------------ connections */

static s3_err conn_open(struct stor *st, struct meta_conn *c, int writer, char *errbuf, size_t errlen)
{
    char path[4096];
    char pragmas[256];
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (writer ? SQLITE_OPEN_CREATE : 0);

    memset(c, 0, sizeof(*c));
    snprintf(path, sizeof(path), "%s/meta.db", st->dir);
    if (sqlite3_open_v2(path, &c->db, flags, NULL) != SQLITE_OK) {
        snprintf(errbuf, errlen, "cannot open %s: %s", path, c->db ? sqlite3_errmsg(c->db) : "out of memory");
        return S3E_INTERNAL;
    }
    sqlite3_extended_result_codes(c->db, 1);
    sqlite3_busy_timeout(c->db, 10000);
    /* synchronous=NORMAL in WAL mode loses nothing on a process crash (kill -9), only on power
     * loss; opts.fsync asks for FULL, which syncs the WAL at every commit.  It is set before
     * journal_mode: turning a new database to WAL is a rollback-journal transaction, which
     * under the default (FULL) costs four syncs. */
    snprintf(pragmas, sizeof(pragmas),
             "PRAGMA synchronous=%s; PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;"
             " PRAGMA temp_store=MEMORY;%s",
             st->fsync ? "FULL" : "NORMAL", writer ? "" : " PRAGMA query_only=1;");
    if (exec_sql(c->db, pragmas, errbuf, errlen) != SQLITE_OK)
        return S3E_INTERNAL;
    return S3_OK;
}

static void conn_close(struct meta_conn *c)
{
    if (c == NULL || c->db == NULL)
        return;
    for (int i = 0; i < SQL__COUNT; i++)
        sqlite3_finalize(c->stmt[i]);
    if (sqlite3_close(c->db) != SQLITE_OK)
        log_error("storage: sqlite3_close: %s", sqlite3_errmsg(c->db));
    memset(c, 0, sizeof(*c));
}

sqlite3_stmt *meta_stmt(struct meta_conn *c, enum stor_sql id)
{
    if (c->stmt[id] == NULL &&
        sqlite3_prepare_v3(c->db, stor_sql_text[id], -1, SQLITE_PREPARE_PERSISTENT, &c->stmt[id], NULL) != SQLITE_OK) {
        log_error("storage: prepare %s: %s", stor_sql_text[id], sqlite3_errmsg(c->db));
        c->stmt[id] = NULL;
        return NULL;
    }
    return c->stmt[id];
}

void meta_done(sqlite3_stmt *s)
{
    if (s == NULL)
        return;
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
}

s3_err meta_fail(struct meta_conn *c, const char *what)
{
    log_error("storage: %s: %s (%d)", what, sqlite3_errmsg(c->db), sqlite3_extended_errcode(c->db));
    return S3E_INTERNAL;
}

/* Run a statement that returns no row (BEGIN, COMMIT, ...). */
static int run_simple(struct meta_conn *c, enum stor_sql id)
{
    sqlite3_stmt *s = meta_stmt(c, id);
    int rc;
    if (s == NULL)
        return SQLITE_ERROR;
    rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

struct meta_conn *meta_read_get(struct stor *st)
{
    struct meta_conn *c;
    pthread_mutex_lock(&st->pool_mu);
    while (st->free_readers == NULL)
        pthread_cond_wait(&st->pool_cv, &st->pool_mu);
    c = st->free_readers;
    st->free_readers = c->next_free;
    pthread_mutex_unlock(&st->pool_mu);
    return c;
}

void meta_read_put(struct stor *st, struct meta_conn *c)
{
    if (c == NULL)
        return;
    pthread_mutex_lock(&st->pool_mu);
    c->next_free = st->free_readers;
    st->free_readers = c;
    pthread_cond_signal(&st->pool_cv);
    pthread_mutex_unlock(&st->pool_mu);
}

s3_err meta_read_begin(struct meta_conn *c)
{
    if (run_simple(c, SQL_BEGIN) != SQLITE_OK)
        return meta_fail(c, "BEGIN");
    return S3_OK;
}

void meta_read_end(struct meta_conn *c)
{
    /* A read transaction has nothing to keep: COMMIT only ends the snapshot. */
    if (!sqlite3_get_autocommit(c->db) && run_simple(c, SQL_COMMIT) != SQLITE_OK) {
        meta_fail(c, "COMMIT (read)");
        if (!sqlite3_get_autocommit(c->db))
            run_simple(c, SQL_ROLLBACK);
    }
}

struct meta_conn *meta_write_begin(struct stor *st)
{
    pthread_mutex_lock(&st->wmu);
    if (run_simple(st->writer, SQL_BEGIN_IMM) != SQLITE_OK) {
        meta_fail(st->writer, "BEGIN IMMEDIATE");
        pthread_mutex_unlock(&st->wmu);
        return NULL;
    }
    return st->writer;
}

_Thread_local int meta_commit_uncertain;

s3_err meta_write_end(struct stor *st, struct meta_conn *c, s3_err e)
{
    meta_commit_uncertain = 0;
    if (e == S3_OK && run_simple(c, SQL_COMMIT) != SQLITE_OK) {
        /* A failed fsync of the WAL does not undo the commit frame SQLite already wrote: after a
         * crash the commit may be replayed (a failed write leaves no valid frame, so only fsync).  The caller must then keep the new blobs it would
         * delete on failure; the start-up sweep removes them if the commit did not survive. */
        if (sqlite3_extended_errcode(c->db) == SQLITE_IOERR_FSYNC)
            meta_commit_uncertain = 1;
        e = meta_fail(c, "COMMIT");
    }
    /* A failed statement may already have rolled the transaction back (SQLITE_FULL...). */
    if (e != S3_OK && !sqlite3_get_autocommit(c->db) && run_simple(c, SQL_ROLLBACK) != SQLITE_OK)
        meta_fail(c, "ROLLBACK");
    pthread_mutex_unlock(&st->wmu);
    return e;
}

/* ------------------------------------------------------------------ binding and columns */

int meta_bind_text(sqlite3_stmt *s, int i, const char *v)
{
    if (v == NULL)
        return sqlite3_bind_null(s, i);
    return sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

int meta_bind_key(sqlite3_stmt *s, int i, const void *k, size_t n)
{
    /* A zero-length BLOB must still be a BLOB, not NULL: pass a non-NULL pointer. */
    return sqlite3_bind_blob64(s, i, n ? k : "", n, SQLITE_STATIC);
}

int meta_bind_id(sqlite3_stmt *s, int i, const unsigned char *id)
{
    return sqlite3_bind_blob(s, i, id, STOR_ID, SQLITE_STATIC);
}

char *meta_col_dup(sqlite3_stmt *s, int i, int *oom)
{
    const void *p;
    int n;
    char *r;

    if (sqlite3_column_type(s, i) == SQLITE_NULL)
        return NULL;
    p = sqlite3_column_blob(s, i);
    n = sqlite3_column_bytes(s, i);
    if ((r = malloc((size_t)n + 1)) == NULL) {
        *oom = 1;
        return NULL;
    }
    if (n)
        memcpy(r, p, (size_t)n);
    r[n] = 0;
    return r;
}

int meta_col_id(sqlite3_stmt *s, int i, unsigned char *id)
{
    const void *p = sqlite3_column_blob(s, i);
    if (p == NULL || sqlite3_column_bytes(s, i) != (int)STOR_ID)
        return -1;
    memcpy(id, p, STOR_ID);
    return 0;
}

s3_err meta_bucket_lookup(struct meta_conn *c, const char *name, int64_t *id_out, int *versioning_out,
                          char **owner_out)
{
    sqlite3_stmt *s = meta_stmt(c, SQL_BKT_LOOKUP);
    s3_err e = S3_OK;
    int rc, oom = 0;

    if (owner_out)
        *owner_out = NULL;
    if (s == NULL)
        return S3E_INTERNAL;
    meta_bind_text(s, 1, name);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *id_out = sqlite3_column_int64(s, 0);
        if (versioning_out)
            *versioning_out = sqlite3_column_int(s, 1);
        if (owner_out && (*owner_out = meta_col_dup(s, 2, &oom)) == NULL && oom)
            e = S3E_NOMEM;
    } else if (rc == SQLITE_DONE) {
        e = S3E_NO_SUCH_BUCKET;
    } else {
        e = meta_fail(c, "bucket lookup");
    }
    meta_done(s);
    return e;
}

/* ------------------------------------------------------------------ kv lists */

s3_err stor_kvs_add(struct stor_kvs *l, const char *name, const char *value)
{
    struct stor_kv *nv;
    char *n = strdup(name ? name : ""), *v = strdup(value ? value : "");

    if (n == NULL || v == NULL || (nv = realloc(l->v, (l->n + 1) * sizeof(*l->v))) == NULL) {
        free(n);
        free(v);
        return S3E_NOMEM;
    }
    l->v = nv;
    l->v[l->n].name = n;
    l->v[l->n].value = v;
    l->n++;
    return S3_OK;
}

void stor_kvs_release(struct stor_kvs *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].name);
        free(l->v[i].value);
    }
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

s3_err meta_kvs_encode(const struct stor_kvs *l, struct s3_buf *out)
{
    s3_err e = S3_OK;
    for (size_t i = 0; l && i < l->n && e == S3_OK; i++) {
        /* +1: the terminating NUL of each C string is the separator */
        e = buf_add(out, l->v[i].name, strlen(l->v[i].name) + 1);
        if (e == S3_OK)
            e = buf_add(out, l->v[i].value, strlen(l->v[i].value) + 1);
    }
    return e;
}

s3_err meta_kvs_decode(const void *p, size_t n, struct stor_kvs *out)
{
    const char *c = p, *end = c + n;
    while (c < end) {
        const char *name = c, *value, *z;
        if ((z = memchr(name, 0, (size_t)(end - name))) == NULL)
            break;
        value = z + 1;
        if (value >= end || (z = memchr(value, 0, (size_t)(end - value))) == NULL)
            break;
        if (stor_kvs_add(out, name, value) != S3_OK)
            return S3E_NOMEM;
        c = z + 1;
    }
    return S3_OK;
}

s3_err meta_bind_kvs(sqlite3_stmt *s, int i, const struct stor_kvs *l)
{
    struct s3_buf b;
    s3_err e;

    if (l == NULL || l->n == 0)
        return sqlite3_bind_null(s, i) == SQLITE_OK ? S3_OK : S3E_INTERNAL;
    buf_init(&b, 0);
    e = meta_kvs_encode(l, &b);
    if (e == S3_OK && sqlite3_bind_blob64(s, i, b.p, b.len, SQLITE_TRANSIENT) != SQLITE_OK)
        e = S3E_NOMEM;
    buf_release(&b);
    return e;
}

s3_err meta_bind_attrs(sqlite3_stmt *s, int first, const struct stor_object *o)
{
    static const struct stor_object none;
    s3_err e;

    if (o == NULL)
        o = &none;
    /* order of STOR_ATTR_COLS */
    meta_bind_text(s, first + 0, o->owner_account);
    meta_bind_text(s, first + 1, o->storage_class ? o->storage_class : "STANDARD");
    sqlite3_bind_int(s, first + 2, (int)o->cksum_alg);
    meta_bind_text(s, first + 3, o->cksum_type);
    meta_bind_text(s, first + 4, o->content_type);
    meta_bind_text(s, first + 5, o->content_encoding);
    meta_bind_text(s, first + 6, o->content_disposition);
    meta_bind_text(s, first + 7, o->content_language);
    meta_bind_text(s, first + 8, o->cache_control);
    meta_bind_text(s, first + 9, o->expires);
    meta_bind_text(s, first + 10, o->sse ? o->sse : "AES256");
    if ((e = meta_bind_kvs(s, first + 11, &o->meta)) != S3_OK)
        return e;
    return meta_bind_kvs(s, first + 12, &o->tags);
}

static s3_err col_kvs(sqlite3_stmt *s, int i, struct stor_kvs *out)
{
    const void *p = sqlite3_column_blob(s, i);
    int n = sqlite3_column_bytes(s, i);
    if (p == NULL || n <= 0)
        return S3_OK;
    return meta_kvs_decode(p, (size_t)n, out);
}

s3_err meta_row_attrs(sqlite3_stmt *s, int first, struct stor_object *o, int full)
{
    int oom = 0;

    o->owner_account = meta_col_dup(s, first + 0, &oom);
    o->storage_class = meta_col_dup(s, first + 1, &oom);
    o->cksum_alg = (enum stor_cksum)sqlite3_column_int(s, first + 2);
    o->cksum_type = meta_col_dup(s, first + 3, &oom);
    if (full) {
        o->content_type = meta_col_dup(s, first + 4, &oom);
        o->content_encoding = meta_col_dup(s, first + 5, &oom);
        o->content_disposition = meta_col_dup(s, first + 6, &oom);
        o->content_language = meta_col_dup(s, first + 7, &oom);
        o->cache_control = meta_col_dup(s, first + 8, &oom);
        o->expires = meta_col_dup(s, first + 9, &oom);
        o->sse = meta_col_dup(s, first + 10, &oom);
        if (col_kvs(s, first + 11, &o->meta) != S3_OK || col_kvs(s, first + 12, &o->tags) != S3_OK)
            oom = 1;
    }
    return oom ? S3E_NOMEM : S3_OK;
}

s3_err meta_row_object(sqlite3_stmt *s, struct stor_object *o, int full)
{
    int oom = 0;

    o->key = meta_col_dup(s, OC_KEY, &oom);
    o->version_id = meta_col_dup(s, OC_VID, &oom);
    o->is_latest = sqlite3_column_int(s, OC_LATEST);
    o->is_delete_marker = sqlite3_column_int(s, OC_DM);
    o->size = (uint64_t)sqlite3_column_int64(s, OC_SIZE);
    o->etag = meta_col_dup(s, OC_ETAG, &oom);
    o->mtime_ms = sqlite3_column_int64(s, OC_MTIME);
    if (full) {
        o->cksum_value = meta_col_dup(s, OC_CKVAL, &oom);
        o->parts_count = (unsigned)sqlite3_column_int(s, OC_PARTS);
    }
    if (oom)
        return S3E_NOMEM;
    return meta_row_attrs(s, OC_ATTRS, o, full);
}

s3_err meta_refs_unreferenced(struct meta_conn *c, struct blob_refs *l)
{
    sqlite3_stmt *s = meta_stmt(c, SQL_BLOB_REFD), *d = meta_stmt(c, SQL_INL_DELETE);
    size_t keep = 0;

    if (s == NULL || d == NULL)
        return S3E_INTERNAL;
    for (size_t i = 0; i < l->n; i++) {
        int rc;
        meta_bind_id(s, 1, l->v[i].id);
        rc = sqlite3_step(s);
        meta_done(s);
        if (rc == SQLITE_ROW)
            continue;
        if (rc != SQLITE_DONE)
            return meta_fail(c, "blob reference check");
        /* Unreferenced: an inline blob goes now, with the rows that named it; a blob file
         * stays on the list, to be unlinked once the commit is done. */
        sqlite3_bind_int64(d, 1, meta_inline_seq(l->v[i].id));
        meta_bind_id(d, 2, l->v[i].id);
        rc = sqlite3_step(d);
        meta_done(d);
        if (rc != SQLITE_DONE)
            return meta_fail(c, "delete inline blob");
        if (sqlite3_changes(c->db) == 0)
            l->v[keep++] = l->v[i];
    }
    l->n = keep;
    return S3_OK;
}

int64_t meta_inline_seq(const unsigned char *id)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | id[i];
    return (int64_t)(v & (uint64_t)INT64_MAX);
}

s3_err meta_inline_put(struct meta_conn *c, const struct blob_ref *ref)
{
    sqlite3_stmt *s;
    int rc;

    if (ref->inl == NULL)
        return S3_OK;
    if ((s = meta_stmt(c, SQL_INL_INSERT)) == NULL)
        return S3E_INTERNAL;
    sqlite3_bind_int64(s, 1, meta_inline_seq(ref->id));
    meta_bind_id(s, 2, ref->id);
    sqlite3_bind_blob64(s, 3, ref->inl, ref->inl_len, SQLITE_STATIC);
    rc = sqlite3_step(s);
    meta_done(s);
    return rc == SQLITE_DONE ? S3_OK : meta_fail(c, "store inline blob");
}

int meta_inline_get(struct meta_conn *c, struct blob_ref *ref)
{
    sqlite3_stmt *s = meta_stmt(c, SQL_INL_GET);
    int rc, r = 0;

    if (s == NULL)
        return -1;
    sqlite3_bind_int64(s, 1, meta_inline_seq(ref->id));
    meta_bind_id(s, 2, ref->id);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        size_t n = (size_t)sqlite3_column_bytes(s, 0);
        free(ref->inl);
        /* never 0 bytes: even an empty blob has a header and a tag */
        if ((ref->inl = malloc(n ? n : 1)) == NULL) {
            log_error("storage: out of memory loading an inline blob");
            r = -1;
        } else {
            if (n)
                memcpy(ref->inl, sqlite3_column_blob(s, 0), n);
            ref->inl_len = n;
            r = 1;
        }
    } else if (rc != SQLITE_DONE) {
        meta_fail(c, "read inline blob");
        r = -1;
    }
    meta_done(s);
    return r;
}

/* ------------------------------------------------------------------ small helpers */

s3_err refs_add(struct blob_refs *l, const unsigned char *id, uint64_t size)
{
    if (l->n == l->alloc) {
        size_t na = l->alloc ? l->alloc * 2 : 4;
        struct blob_ref *nv = realloc(l->v, na * sizeof(*nv));
        if (nv == NULL)
            return S3E_NOMEM;
        l->v = nv;
        l->alloc = na;
    }
    memcpy(l->v[l->n].id, id, STOR_ID);
    l->v[l->n].size = size;
    l->v[l->n].inl = NULL;
    l->v[l->n].inl_len = 0;
    l->n++;
    return S3_OK;
}

void refs_release(struct blob_refs *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].inl);
    free(l->v);
    l->v = NULL;
    l->n = l->alloc = 0;
}

s3_err stor_random_id(char *out, size_t n)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._";
    unsigned char r[64];

    if (n > sizeof(r) || RAND_bytes(r, (int)n) != 1) {
        log_error("storage: RAND_bytes failed");
        return S3E_INTERNAL;
    }
    for (size_t i = 0; i < n; i++)
        out[i] = abc[r[i] & 63];   /* 64 symbols: 6 uniform bits per character */
    out[n] = 0;
    return S3_OK;
}

int64_t stor_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------------ open / close */

/* mkdir -p with mode 0700 for what is created. */
static int mkdir_p(const char *path)
{
    char tmp[4096];
    size_t n = strlen(path);

    if (n == 0 || n >= sizeof(tmp))
        return errno = ENAMETOOLONG, -1;
    memcpy(tmp, path, n + 1);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

static int open_subdir(int dfd, const char *name)
{
    if (mkdirat(dfd, name, 0700) != 0 && errno != EEXIST)
        return -1;
    return openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* Inline blob stamps continue above the highest one stored (blob.c), whatever the clock says. */
static s3_err inline_seq_init(struct stor *st)
{
    sqlite3_stmt *s = meta_stmt(st->writer, SQL_INL_MAXSEQ);
    int rc;

    if (s == NULL)
        return S3E_INTERNAL;
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        atomic_store(&st->inline_seq, (uint64_t)sqlite3_column_int64(s, 0));
    meta_done(s);
    return rc == SQLITE_ROW ? S3_OK : meta_fail(st->writer, "highest inline blob");
}

/*
 * The metadata remembers which master key encrypted its blobs: an HMAC of a fixed label under
 * the key, stored at first start.  A data directory whose master.key was lost (and so just
 * re-created) or replaced is refused with a clear message instead of serving objects that can
 * no longer be decrypted.
 */
static s3_err key_check(struct stor *st, char *errbuf, size_t errlen)
{
    static const char label[] = "s3iam master key check v1";
    unsigned char mac[32];
    unsigned int ml = sizeof(mac);
    char hex[65], *stored = NULL;
    static const char hx[] = "0123456789abcdef";
    s3_err e;

    HMAC(EVP_sha256(), st->kek, sizeof(st->kek), (const unsigned char *)label, sizeof(label) - 1, mac, &ml);
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = hx[mac[i] >> 4];
        hex[2 * i + 1] = hx[mac[i] & 15];
    }
    hex[64] = 0;
    e = stor_account_attr_get(st, "-", "master-key-check", &stored);
    if (e == S3E_NO_SUCH_KEY)
        return stor_account_attr_set(st, "-", "master-key-check", hex);
    if (e != S3_OK) {
        snprintf(errbuf, errlen, "cannot read the master key check from %s/meta.db", st->dir);
        return e;
    }
    if (strcmp(stored, hex) != 0) {
        if (st->kek_created) {
            unlinkat(st->dir_fd, "master.key", 0);
            snprintf(errbuf, errlen, "%s/master.key is missing: this data directory was created with a master key "
                     "that encrypts its objects; restore the original master.key (or start with an empty data "
                     "directory)", st->dir);
        } else {
            snprintf(errbuf, errlen, "%s/master.key is not the key this data directory was created with; restore "
                     "the original master.key", st->dir);
        }
        e = S3E_INTERNAL;
    }
    free(stored);
    return e;
}

s3_err stor_open(const struct stor_opts *opts, struct stor **out, char *errbuf, size_t errlen)
{
    struct stor *st = NULL;
    s3_err e = S3E_INTERNAL;
    char dummy[1];

    if (errbuf == NULL || errlen == 0) {
        errbuf = dummy;
        errlen = sizeof(dummy);
    }
    errbuf[0] = 0;
    *out = NULL;
    if (opts == NULL || opts->data_dir == NULL || opts->data_dir[0] == 0) {
        snprintf(errbuf, errlen, "no data directory given");
        return S3E_INVALID_ARGUMENT;
    }
    if (!sqlite3_threadsafe()) {
        snprintf(errbuf, errlen, "libsqlite3 was built without thread support");
        return S3E_INTERNAL;
    }
    if ((st = calloc(1, sizeof(*st))) == NULL) {
        snprintf(errbuf, errlen, "out of memory");
        return S3E_NOMEM;
    }
    st->dir_fd = st->blobs_fd = st->tmp_fd = -1;
    pthread_mutex_init(&st->wmu, NULL);
    pthread_mutex_init(&st->pool_mu, NULL);
    pthread_cond_init(&st->pool_cv, NULL);
    pthread_mutex_init(&st->pin_mu, NULL);
    st->fsync = opts->fsync;
    st->inline_max = STOR_INLINE_MAX;
    if ((st->dir = strdup(opts->data_dir)) == NULL) {
        e = S3E_NOMEM;
        snprintf(errbuf, errlen, "out of memory");
        goto out;
    }
    if (mkdir_p(st->dir) != 0 || (st->dir_fd = open(st->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        snprintf(errbuf, errlen, "cannot create %s: %s", st->dir, strerror(errno));
        goto out;
    }
    /* The start-up sweep deletes whatever no row references: two processes on one data dir
     * would delete each other's in-flight writes. */
    if (flock(st->dir_fd, LOCK_EX | LOCK_NB) != 0) {
        snprintf(errbuf, errlen, "data directory %s is in use by another process (%s)", st->dir, strerror(errno));
        goto out;
    }
    if ((st->blobs_fd = open_subdir(st->dir_fd, "blobs")) < 0 || (st->tmp_fd = open_subdir(st->dir_fd, "tmp")) < 0) {
        snprintf(errbuf, errlen, "cannot create %s/blobs or %s/tmp: %s", st->dir, st->dir, strerror(errno));
        goto out;
    }
    /* The 256 fan-out directories blobs/xx are made on first use (blob.c blob_place): most
     * small objects are inline and never need one, and 256 mkdirs were most of a first start. */
    if ((e = blob_key_init(st, errbuf, errlen)) != S3_OK)
        goto out;
    e = S3E_INTERNAL;
    if ((st->gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL)) == NULL) {
        snprintf(errbuf, errlen, "OpenSSL has no AES-256-GCM");
        goto out;
    }
    if ((st->writer = calloc(1, sizeof(*st->writer))) == NULL) {
        e = S3E_NOMEM;
        goto out;
    }
    if (conn_open(st, st->writer, 1, errbuf, errlen) != S3_OK || migrate(st->writer->db, errbuf, errlen) != S3_OK)
        goto out;
    if (inline_seq_init(st) != S3_OK) {
        snprintf(errbuf, errlen, "cannot read %s/meta.db: %s", st->dir, sqlite3_errmsg(st->writer->db));
        goto out;
    }
    st->nreaders = opts->readers > 0 ? (size_t)opts->readers : 8;
    if ((st->readers = calloc(st->nreaders, sizeof(*st->readers))) == NULL) {
        e = S3E_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < st->nreaders; i++) {
        if (conn_open(st, &st->readers[i], 0, errbuf, errlen) != S3_OK)
            goto out;
        st->readers[i].next_free = st->free_readers;
        st->free_readers = &st->readers[i];
    }
    if ((e = key_check(st, errbuf, errlen)) != S3_OK)
        goto out;
    e = S3E_INTERNAL;
    /* Last, when nothing else can fail: it empties tmp/ and starts the thread that sweeps blobs/. */
    if (stor_sweep(st) != S3_OK) {
        snprintf(errbuf, errlen, "start-up sweep of %s failed (see log)", st->dir);
        goto out;
    }
    e = S3_OK;
out:
    if (e != S3_OK) {
        if (errbuf[0] == 0)
            snprintf(errbuf, errlen, "cannot open the store in %s: %s", opts->data_dir, err_name(e));
        stor_close(st);
        return e;
    }
    *out = st;
    return S3_OK;
}

void stor_close(struct stor *st)
{
    if (st == NULL)
        return;
    /* Before anything it uses goes: the background sweep reads blobs/ and meta.db. */
    stor_sweep_stop(st);
    /* Blobs whose deletion waited for a reader: by now no reader may remain. */
    if (st->deferred.n) {
        struct blob_refs d = st->deferred;
        memset(&st->deferred, 0, sizeof(st->deferred));
        blob_unlink(st, &d);
        refs_release(&d);
    }
    refs_release(&st->deferred);
    for (size_t i = 0; st->readers && i < st->nreaders; i++)
        conn_close(&st->readers[i]);
    free(st->readers);
    if (st->writer) {
        /* The last connection to close checkpoints the WAL into meta.db. */
        conn_close(st->writer);
        free(st->writer);
    }
    EVP_CIPHER_free(st->gcm);
    OPENSSL_cleanse(st->kek, sizeof(st->kek));
    if (st->tmp_fd >= 0)
        close(st->tmp_fd);
    if (st->blobs_fd >= 0)
        close(st->blobs_fd);
    if (st->dir_fd >= 0)
        close(st->dir_fd);   /* releases the flock */
    pthread_mutex_destroy(&st->wmu);
    pthread_mutex_destroy(&st->pool_mu);
    pthread_cond_destroy(&st->pool_cv);
    pthread_mutex_destroy(&st->pin_mu);
    free(st->dir);
    free(st);
}

unsigned stor_swept(const struct stor *st)
{
    return st ? __atomic_load_n(&st->swept, __ATOMIC_RELAXED) : 0;   /* the sweep thread adds to it */
}

s3_err stor_integrity_check(struct stor *st)
{
    struct meta_conn *c = meta_read_get(st);
    sqlite3_stmt *s = NULL;
    s3_err e = S3E_INTERNAL;
    int rc;

    if (sqlite3_prepare_v2(c->db, "PRAGMA integrity_check", -1, &s, NULL) != SQLITE_OK) {
        meta_fail(c, "integrity_check");
        goto out;
    }
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        const char *r = (const char *)sqlite3_column_text(s, 0);
        if (r && strcmp(r, "ok") == 0 && sqlite3_step(s) == SQLITE_DONE)
            e = S3_OK;
        else
            log_error("storage: integrity_check: %s", r ? r : "(null)");
    } else {
        meta_fail(c, "integrity_check");
    }
    sqlite3_finalize(s);
    s = NULL;
    if (e != S3_OK)
        goto out;
    /* A dangling reference would be a storage bug; report it the same way. */
    if (sqlite3_prepare_v2(c->db, "PRAGMA foreign_key_check", -1, &s, NULL) != SQLITE_OK) {
        e = meta_fail(c, "foreign_key_check");
        goto out;
    }
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        log_error("storage: foreign_key_check: table %s row %lld", sqlite3_column_text(s, 0),
                  (long long)sqlite3_column_int64(s, 1));
        e = S3E_INTERNAL;
    } else if (rc != SQLITE_DONE) {
        e = meta_fail(c, "foreign_key_check");
    }
    sqlite3_finalize(s);
    s = NULL;
    if (e != S3_OK)
        goto out;
    /* An inline blob is written and deleted with the rows naming it: one named by none is a
     * leak (a file would be swept; a row would stay forever). */
    if (sqlite3_prepare_v2(c->db,
                           "SELECT lower(hex(id)) FROM blob_inline WHERE id NOT IN (SELECT blob_id FROM object_segs) "
                           "AND id NOT IN (SELECT blob_id FROM parts) "
                           "AND id NOT IN (SELECT blob_id FROM objects WHERE blob_id IS NOT NULL) LIMIT 1",
                           -1, &s, NULL) != SQLITE_OK) {
        e = meta_fail(c, "inline blob check");
        goto out;
    }
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        log_error("storage: inline blob %s is referenced by no object or part", sqlite3_column_text(s, 0));
        e = S3E_INTERNAL;
    } else if (rc != SQLITE_DONE) {
        e = meta_fail(c, "inline blob check");
    }
out:
    sqlite3_finalize(s);
    meta_read_put(st, c);
    return e;
}
