/*
 * storage/stor_int.h - private to the storage/ sources: the struct stor, the SQLite connection
 * pool and its cached statements, blob references and the helpers the storage files share.
 *
 * Locking, from outside in:
 *   wmu      one writer at a time inside this process (the writer connection).  SQLite would
 *            serialize writers too, but with BEGIN IMMEDIATE + busy_timeout a waiting writer
 *            sleeps and polls; a mutex hands over at once.  busy_timeout still covers other
 *            processes (an operator's sqlite3 shell).
 *   pool_mu  the free list of read connections.
 *   pin_mu   the list of open readers and the blobs whose deletion waits for them.
 * No function takes wmu while holding pool_mu or pin_mu.
 */
#ifndef S3IAM_STORAGE_STOR_INT_H
#define S3IAM_STORAGE_STOR_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <sqlite3.h>

#include "lib/buf.h"
#include "storage/storage.h"

/* ------------------------------------------------------------------ blob file format */

#define STOR_SEG 65536u           /* plaintext bytes per AES-256-GCM segment */
#define STOR_TAG 16u              /* GCM tag after each segment */
#define STOR_HDR 72u              /* header bytes before segment 0 (see blob.c) */
#define STOR_ID 16u               /* random blob id; its 32 hex digits name the file */
#define STOR_MIN_PART 5242880u    /* every multipart part but the last must be this big */
/* Blobs of at most this many plaintext bytes are kept in SQLite (table blob_inline) instead of
 * a file: one segment, so a small blob never touches the file system and is written by the
 * same commit as the row that references it.  Must not exceed STOR_SEG. */
#define STOR_INLINE_MAX STOR_SEG

/* One blob: its id and plaintext size.  A blob is either a file (blobs/xx/<hex id>) or a row of
 * blob_inline holding the same bytes a file would (header + segments). */
struct blob_ref {
    unsigned char id[STOR_ID];
    uint64_t size;
    /* Its encrypted bytes when they are at hand (a blob just finished inline, or one loaded
     * for a reader), else NULL.  Owned by whoever holds the ref: refs_release frees them. */
    unsigned char *inl;
    size_t inl_len;
};
/* A growable list of them (object segments, blobs to delete after a commit). */
struct blob_refs {
    struct blob_ref *v;
    size_t n, alloc;
};
/* Append (id, size) with no inline bytes. */
s3_err refs_add(struct blob_refs *l, const unsigned char *id, uint64_t size);
/* Free the array and every inl it holds.  NULL-safe members. */
void refs_release(struct blob_refs *l);

/* ------------------------------------------------------------------ SQL */

/* Column lists shared by several statements; the row readers in meta.c depend on this order. */
#define STOR_ATTR_COLS                                                                            \
    "owner, storage_class, cksum_alg, cksum_type, content_type, content_encoding, "              \
    "content_disposition, content_language, cache_control, expires, sse, meta, tags"
#define STOR_ATTR_NCOLS 13
#define STOR_OBJ_COLS                                                                             \
    "id, key, version_id, is_latest, is_dm, size, etag, mtime_ms, cksum_value, parts_count, "    \
    STOR_ATTR_COLS
enum { OC_ID = 0, OC_KEY, OC_VID, OC_LATEST, OC_DM, OC_SIZE, OC_ETAG, OC_MTIME, OC_CKVAL, OC_PARTS, OC_ATTRS };
/* A version's own row plus objects.blob_id: the id of its one inline blob when it has one
 * (then there is no object_segs row), NULL when its bytes are listed in object_segs. */
#define STOR_OBJ_COLS_BLOB STOR_OBJ_COLS ", blob_id"
#define OC_BLOB (OC_ATTRS + STOR_ATTR_NCOLS)
#define STOR_UP_COLS "id, key, upload_id, initiated_ms, " STOR_ATTR_COLS
enum { UC_ID = 0, UC_KEY, UC_UPLOAD_ID, UC_INITIATED, UC_ATTRS };

/* Every statement storage runs; each connection prepares one on first use and keeps it. */
#define STOR_SQL(X)                                                                               \
    X(SQL_BEGIN, "BEGIN")                                                                         \
    X(SQL_BEGIN_IMM, "BEGIN IMMEDIATE")                                                           \
    X(SQL_COMMIT, "COMMIT")                                                                       \
    X(SQL_ROLLBACK, "ROLLBACK")                                                                   \
    /* buckets */                                                                                \
    X(SQL_BKT_LOOKUP, "SELECT id, versioning, owner FROM buckets WHERE name=?1")                 \
    X(SQL_BKT_GET, "SELECT name, owner, region, created_ms, versioning FROM buckets WHERE name=?1") \
    X(SQL_BKT_LIST, "SELECT name, owner, region, created_ms, versioning FROM buckets ORDER BY name") \
    X(SQL_BKT_LIST_OWNER, "SELECT name, owner, region, created_ms, versioning FROM buckets "       \
                          "WHERE owner=?1 ORDER BY name")                                         \
    X(SQL_BKT_INSERT, "INSERT INTO buckets(name, owner, region, created_ms, versioning) "          \
                      "VALUES(?1, ?2, ?3, ?4, 0)")                                                 \
    X(SQL_BKT_HAS_OBJ, "SELECT 1 FROM objects WHERE bucket_id=?1 LIMIT 1")                       \
    X(SQL_BKT_HAS_UPLOAD, "SELECT 1 FROM uploads WHERE bucket_id=?1 LIMIT 1")                    \
    X(SQL_BKT_ATTRS_DELETE, "DELETE FROM bucket_attrs WHERE bucket_id=?1")                       \
    X(SQL_BKT_DELETE, "DELETE FROM buckets WHERE id=?1")                                          \
    X(SQL_BKT_SET_VERSIONING, "UPDATE buckets SET versioning=?2 WHERE id=?1")                    \
    X(SQL_BATTR_GET, "SELECT value FROM bucket_attrs WHERE bucket_id=?1 AND attr=?2")            \
    X(SQL_BATTR_SET, "INSERT INTO bucket_attrs(bucket_id, attr, value) VALUES(?1, ?2, ?3) "       \
                     "ON CONFLICT(bucket_id, attr) DO UPDATE SET value=excluded.value")           \
    X(SQL_BATTR_DEL, "DELETE FROM bucket_attrs WHERE bucket_id=?1 AND attr=?2")                  \
    X(SQL_AATTR_GET, "SELECT value FROM account_attrs WHERE account=?1 AND attr=?2")             \
    X(SQL_AATTR_SET, "INSERT INTO account_attrs(account, attr, value) VALUES(?1, ?2, ?3) "        \
                     "ON CONFLICT(account, attr) DO UPDATE SET value=excluded.value")             \
    X(SQL_AATTR_DEL, "DELETE FROM account_attrs WHERE account=?1 AND attr=?2")                   \
    /* objects: the newest row of a key is its latest version (ids only grow) */                 \
    X(SQL_OBJ_LATEST, "SELECT " STOR_OBJ_COLS_BLOB " FROM objects WHERE bucket_id=?1 AND key=?2 " \
                      "ORDER BY id DESC LIMIT 1")                                                 \
    X(SQL_OBJ_VERSION, "SELECT " STOR_OBJ_COLS_BLOB " FROM objects WHERE bucket_id=?1 AND key=?2 " \
                       "AND version_id=?3")                                                       \
    X(SQL_OBJ_BY_ID, "SELECT " STOR_OBJ_COLS " FROM objects WHERE id=?1")                        \
    X(SQL_OBJ_INSERT, "INSERT INTO objects(bucket_id, key, version_id, is_latest, is_dm, size, "  \
                      "etag, mtime_ms, cksum_value, parts_count, " STOR_ATTR_COLS ", blob_id) "   \
                      "VALUES(?1, ?2, ?3, 1, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "   \
                      "?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23)")                             \
    X(SQL_OBJ_BLOB, "SELECT blob_id, size FROM objects WHERE id=?1")                              \
    X(SQL_OBJ_SET_LATEST, "UPDATE objects SET is_latest=?2 WHERE id=?1")                         \
    X(SQL_OBJ_DELETE, "DELETE FROM objects WHERE id=?1")                                          \
    X(SQL_OBJ_SET_TAGS, "UPDATE objects SET tags=?2 WHERE id=?1")                                \
    X(SQL_SEG_LIST, "SELECT blob_id, size FROM object_segs WHERE obj_id=?1 ORDER BY idx")         \
    X(SQL_SEG_INSERT, "INSERT INTO object_segs(obj_id, idx, blob_id, size) VALUES(?1, ?2, ?3, ?4)") \
    X(SQL_SEG_DELETE, "DELETE FROM object_segs WHERE obj_id=?1")                                  \
    X(SQL_BLOB_REFD, "SELECT 1 FROM object_segs WHERE blob_id=?1 "                               \
                     "UNION ALL SELECT 1 FROM parts WHERE blob_id=?1 LIMIT 1")                    \
    /* inline blobs: seq is the time stamp in the first 8 bytes of id (meta_inline_seq) */      \
    X(SQL_INL_INSERT, "INSERT INTO blob_inline(seq, id, data) VALUES(?1, ?2, ?3)")                 \
    X(SQL_INL_GET, "SELECT data FROM blob_inline WHERE seq=?1 AND id=?2")                          \
    X(SQL_INL_DELETE, "DELETE FROM blob_inline WHERE seq=?1 AND id=?2")                            \
    X(SQL_INL_MAXSEQ, "SELECT max(seq) FROM blob_inline")                                          \
    /* listing: key >= ?2 in byte order; the caller stops at the end of the prefix */            \
    X(SQL_LIST_CURRENT, "SELECT " STOR_OBJ_COLS " FROM objects WHERE bucket_id=?1 AND key>=?2 "   \
                        "AND is_latest=1 AND is_dm=0 ORDER BY key")                               \
    X(SQL_LIST_VERSIONS, "SELECT " STOR_OBJ_COLS " FROM objects WHERE bucket_id=?1 AND key>=?2 "  \
                         "ORDER BY key, id DESC")                                                 \
    X(SQL_LIST_UPLOADS, "SELECT " STOR_UP_COLS " FROM uploads WHERE bucket_id=?1 AND key>=?2 "    \
                        "ORDER BY key, id")                                                       \
    /* multipart */                                                                              \
    X(SQL_UP_INSERT, "INSERT INTO uploads(upload_id, bucket_id, key, initiated_ms, "              \
                     STOR_ATTR_COLS ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "     \
                     "?12, ?13, ?14, ?15, ?16, ?17)")                                             \
    X(SQL_UP_GET, "SELECT " STOR_UP_COLS " FROM uploads WHERE upload_id=?1 AND bucket_id=?2 "     \
                  "AND key=?3")                                                                   \
    X(SQL_UP_BY_ID, "SELECT id FROM uploads WHERE upload_id=?1")                                 \
    X(SQL_UP_DELETE, "DELETE FROM uploads WHERE id=?1")                                           \
    X(SQL_PART_GET, "SELECT blob_id, size, etag, cksum_value FROM parts WHERE upload=?1 AND number=?2") \
    X(SQL_PART_UPSERT, "INSERT INTO parts(upload, number, blob_id, size, etag, mtime_ms, "        \
                       "cksum_alg, cksum_value) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "          \
                       "ON CONFLICT(upload, number) DO UPDATE SET blob_id=excluded.blob_id, "     \
                       "size=excluded.size, etag=excluded.etag, mtime_ms=excluded.mtime_ms, "     \
                       "cksum_alg=excluded.cksum_alg, cksum_value=excluded.cksum_value")          \
    X(SQL_PART_LIST, "SELECT number, size, etag, mtime_ms, cksum_value FROM parts "               \
                     "WHERE upload=?1 AND number>?2 ORDER BY number LIMIT ?3")                    \
    X(SQL_PART_BLOBS, "SELECT blob_id, size FROM parts WHERE upload=?1")                         \
    X(SQL_PART_DELETE_ALL, "DELETE FROM parts WHERE upload=?1")

enum stor_sql {
#define STOR_SQL_ENUM_(sym, text) sym,
    STOR_SQL(STOR_SQL_ENUM_)
#undef STOR_SQL_ENUM_
    SQL__COUNT
};

/* One SQLite connection and its prepared statements.  Used by one thread at a time (the pool
 * hands it out), hence SQLITE_OPEN_NOMUTEX. */
struct meta_conn {
    sqlite3 *db;
    sqlite3_stmt *stmt[SQL__COUNT];
    struct meta_conn *next_free;
};

/* ------------------------------------------------------------------ the store */

/* One cached bucket row (bucket.c): fixed-size copies, so a zeroed struct stor is an empty
 * cache and nothing needs freeing.  Names that do not fit are simply not cached. */
#define STOR_BKT_CACHE 64
struct stor_bkt_slot {
    uint64_t gen;                /* bkt_gen when filled; stale once it differs */
    int used;
    int versioning;
    int64_t created_ms;
    char name[64];
    char owner[16];
    char region[32];
};

struct stor {
    char *dir;                   /* DATA */
    int fsync;
    int dir_fd, blobs_fd, tmp_fd; /* dir_fd is flock'd: one process per data dir */
    unsigned char kek[32];       /* master key: wraps each blob's data key */
    int kek_created;             /* blob_key_init made a new master.key at this start */
    EVP_CIPHER *gcm;             /* fetched once: implicit fetches cost a lock per call */
    size_t inline_max;           /* STOR_INLINE_MAX; tests lower it to force blob files */
    _Atomic uint64_t inline_seq; /* the last inline blob stamp (blob.c); starts above every
                                    blob_inline.seq in the store, so stamps never collide */
    unsigned swept;

    struct meta_conn *writer;
    pthread_mutex_t wmu;

    struct meta_conn *readers;   /* array of nreaders */
    size_t nreaders;
    struct meta_conn *free_readers;
    pthread_mutex_t pool_mu;
    pthread_cond_t pool_cv;

    pthread_mutex_t pin_mu;
    struct stor_reader *open_readers;
    struct blob_refs deferred;   /* deleted while a reader still had them open */
    uint64_t del_gen;            /* bumped by every batch of blob deletions */

    /* Bucket rows, read on nearly every request (bucket.c; guarded by a mutex there). */
    uint64_t bkt_gen;            /* bumped after every bucket create/delete/versioning change */
    struct stor_bkt_slot bkt_cache[STOR_BKT_CACHE];
};

/* ------------------------------------------------------------------ meta.c */

/* The statement id, reset and with no bindings; NULL (logged) if it cannot be prepared. */
sqlite3_stmt *meta_stmt(struct meta_conn *c, enum stor_sql id);
/* Reset s and clear its bindings so it holds no locks or borrowed data.  NULL-safe. */
void meta_done(sqlite3_stmt *s);
/* Log the connection's last SQLite error for what; returns S3E_INTERNAL. */
s3_err meta_fail(struct meta_conn *c, const char *what);

/* Read connection from the pool (waits for a free one); never NULL. */
struct meta_conn *meta_read_get(struct stor *st);
void meta_read_put(struct stor *st, struct meta_conn *c);
/* Deferred read transaction: a consistent snapshot across several statements. */
s3_err meta_read_begin(struct meta_conn *c);
void meta_read_end(struct meta_conn *c);

/* Lock the writer and BEGIN IMMEDIATE.  NULL (logged, unlocked) on failure. */
struct meta_conn *meta_write_begin(struct stor *st);
/* COMMIT when e is S3_OK, else ROLLBACK; unlocks the writer.  Returns e, or S3E_INTERNAL if the
 * commit failed. */
s3_err meta_write_end(struct stor *st, struct meta_conn *c, s3_err e);
/* Set by meta_write_end when COMMIT failed because the WAL fsync failed: the commit
 * may still be replayed after a crash, so new blobs must not be deleted.  Per thread. */
extern _Thread_local int meta_commit_uncertain;

/* Bind helpers: NULL text binds SQL NULL.  Keys are always bound as BLOBs so that every
 * comparison is memcmp (a TEXT value never equals a BLOB in SQLite). */
int meta_bind_text(sqlite3_stmt *s, int i, const char *v);
int meta_bind_key(sqlite3_stmt *s, int i, const void *k, size_t n);
int meta_bind_id(sqlite3_stmt *s, int i, const unsigned char *id);
/* A malloc'd NUL-terminated copy of column i (TEXT or BLOB); NULL when the column is NULL.
 * Sets *oom on allocation failure. */
char *meta_col_dup(sqlite3_stmt *s, int i, int *oom);
/* Copy a 16-byte blob id column; -1 if it is not 16 bytes. */
int meta_col_id(sqlite3_stmt *s, int i, unsigned char *id);

/* Look up a bucket by name: S3E_NO_SUCH_BUCKET or S3_OK with its row id, versioning state and
 * (if owner_out) a malloc'd owner. */
s3_err meta_bucket_lookup(struct meta_conn *c, const char *name, int64_t *id_out, int *versioning_out,
                          char **owner_out);

/* stor_kvs <-> column bytes: "name\0value\0" repeated (names and values never hold NUL). */
s3_err meta_kvs_encode(const struct stor_kvs *l, struct s3_buf *out);
s3_err meta_kvs_decode(const void *p, size_t n, struct stor_kvs *out);
/* Bind an encoded kv list (SQL NULL when empty); SQLite copies the bytes. */
s3_err meta_bind_kvs(sqlite3_stmt *s, int i, const struct stor_kvs *l);
/* Bind the 13 STOR_ATTR_COLS from o (defaults: STANDARD, AES256) starting at parameter first. */
s3_err meta_bind_attrs(sqlite3_stmt *s, int first, const struct stor_object *o);
/* Fill o from an object row (STOR_OBJ_COLS).  full = 0 fills only what listings report. */
s3_err meta_row_object(sqlite3_stmt *s, struct stor_object *o, int full);
/* Fill the attribute fields of o from columns first.. (STOR_ATTR_COLS). */
s3_err meta_row_attrs(sqlite3_stmt *s, int first, struct stor_object *o, int full);
/* Of the blobs in l, keep only the blob files no row references any more (call inside the
 * write transaction that dropped the references).  Unreferenced inline blobs are deleted right
 * here, in that transaction, and leave the list: there is no file to unlink after the commit.
 * "Referenced" is SQL_BLOB_REFD (object_segs, parts): an inline blob named by objects.blob_id
 * belongs to that one row, so it is in l only once that row is gone. */
s3_err meta_refs_unreferenced(struct meta_conn *c, struct blob_refs *l);
/* Inside a write transaction: store the bytes of ref in blob_inline if it is an inline blob
 * (ref->inl set); nothing for a blob file. */
s3_err meta_inline_put(struct meta_conn *c, const struct blob_ref *ref);
/* If blob ref is inline, load a copy of its bytes into ref->inl (freed by refs_release): 1; 0
 * if it is not (a file); -1 on error (logged). */
int meta_inline_get(struct meta_conn *c, struct blob_ref *ref);
/* blob_inline.seq of an inline blob id: its first 8 bytes (a time stamp), as an integer key,
 * so the table is a rowid b-tree that grows by appending.  The full id is stored and checked
 * too: a file's random id may map to any seq. */
int64_t meta_inline_seq(const unsigned char *id);

/* Random URL-safe id of n characters ([A-Za-z0-9._]) into out[n+1]. */
s3_err stor_random_id(char *out, size_t n);
int64_t stor_now_ms(void);

/* ------------------------------------------------------------------ object.c */

/* A version about to be written (PUT, delete marker, multipart completion). */
struct obj_new {
    const struct stor_object *attrs;  /* content type, meta, tags, owner, storage class... */
    const char *etag;
    const char *cksum_value;
    unsigned parts_count;
    int is_dm;
    const struct blob_ref *segs;      /* its bytes, in order */
    size_t nsegs;
};
/* Inside a write transaction: add a version of (bucket bid, key) following the bucket's
 * versioning state (Enabled: a new random id; otherwise "null", replacing the previous null
 * version, whose blobs are appended to dead).  The previous latest version stops being latest.
 * row_out gets the new row id, vid_out[33] its version id. */
s3_err obj_write_version(struct meta_conn *c, int64_t bid, int versioning, const char *key,
                         const struct obj_new *nv, struct blob_refs *dead, int64_t *row_out, char *vid_out);
/* Fill out (full record, bucket name included) from object row id. */
s3_err obj_read_row(struct meta_conn *c, int64_t row, const char *bucket, struct stor_object *out);

/* ------------------------------------------------------------------ blob.c */

/* Load DATA/master.key or create it (32 random bytes, 0600).  Writes a reason to errbuf. */
s3_err blob_key_init(struct stor *st, char *errbuf, size_t errlen);
/* Finish a blob and free b (also on failure, when a temp file is removed).  ref_out receives
 * its id and size.  A blob of at most st->inline_max bytes never had a file: its encrypted
 * bytes (the file format: header + one segment) go to ref_out->inl (malloc'd, the caller's;
 * store them with meta_inline_put in the transaction that references the blob).  A bigger one
 * gets its last segment, the optional fsync, and its rename into blobs/ (creating the fan-out
 * directory on first use); ref_out->inl is then NULL. */
s3_err blob_finish(struct stor_blob *b, struct blob_ref *ref_out);
/* Remove blob files after the commit that dropped their last reference; a blob still open by
 * a reader is removed when that reader closes.  Logs failures. */
void blob_unlink(struct stor *st, const struct blob_refs *l);
/* Relative path of a blob file under blobs/ ("ab/ab12..."). */
void blob_relpath(const unsigned char *id, char out[2 + 1 + 2 * STOR_ID + 1]);

/* Reader plumbing for object.c: the deletion generation to read before taking the snapshot,
 * then a reader over segs (copied) that is registered so its blob files are not removed under
 * it.  Inline blobs must come with their bytes (segs->v[i].inl, loaded in the snapshot); those
 * move into the reader (set to NULL in segs) on success.  *stale_out = 1 (and *out NULL) when a
 * deletion raced with the snapshot: retry. */
uint64_t blob_del_gen(struct stor *st);
s3_err blob_reader_new(struct stor *st, struct blob_refs *segs, uint64_t gen, struct stor_reader **out,
                       int *stale_out);

/* ------------------------------------------------------------------ sweep.c */

/* Empty tmp/ now, then start the background thread that removes blob files no row references
 * and older than this start (stor_sweep_wait / stor_sweep_stop); both count in st->swept. */
s3_err stor_sweep(struct stor *st);

#endif
