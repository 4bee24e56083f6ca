/*
 * storage/storage.h - buckets, objects, versions, multipart uploads and bucket settings.
 *
 * Storage knows nothing of HTTP, XML, SigV4 or policies.  It keeps object bytes as blobs named
 * by an internal random id (never by the key), encrypted at rest with AES-256-GCM in fixed-size
 * segments so ranges can be read without decrypting the whole blob: a blob of at most one
 * segment (64 KiB) as a row of SQLite, a bigger one as a file under DATA/blobs.  Every piece of
 * metadata is in SQLite too (DATA/meta.db, WAL mode, schema version + migrations, prepared
 * statements only).
 *
 * Durability contract: a small blob's bytes are written by the very SQLite transaction that
 * commits the metadata referring to them, so both appear, or vanish, together.  A big blob's
 * bytes go to DATA/tmp/<id>, are renamed into DATA/blobs/, and only then is the metadata
 * committed in one SQLite transaction.  A crash at any moment leaves either the old state or
 * the new one visible, never a partial object.  stor_open() empties tmp/ and starts a background
 * sweep of the blob files the metadata does not reference (orphans; a small blob cannot be one);
 * see stor_sweep_wait().  With opts.fsync a blob file and its directory (and DATA/blobs, when it
 * gains a fan-out directory) are fsync'd before the commit, and SQLite runs with
 * synchronous=FULL: for a small object the WAL sync of its commit is the only sync.
 *
 * Threads: a struct stor is shared by every server thread; all functions are thread-safe.
 *
 * Ownership: every struct filled by a stor_* function owns its strings (char *); release it with
 * the matching *_release() function.  Inputs are borrowed for the duration of the call.
 *
 * Errors: S3E_NO_SUCH_BUCKET, S3E_NO_SUCH_KEY, S3E_NO_SUCH_VERSION, S3E_NO_SUCH_UPLOAD,
 * S3E_BUCKET_OWNED / S3E_BUCKET_EXISTS, S3E_BUCKET_NOT_EMPTY, S3E_INVALID_PART,
 * S3E_INVALID_PART_ORDER, S3E_ENTITY_TOO_SMALL, S3E_NOMEM, and S3E_INTERNAL for I/O or SQLite
 * failures (logged with the cause).
 */
#ifndef S3IAM_STORAGE_STORAGE_H
#define S3IAM_STORAGE_STORAGE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/err.h"

struct stor;

struct stor_opts {
    const char *data_dir;      /* created if missing (mode 0700) */
    int fsync;                 /* 1: fsync file + dir, synchronous=FULL */
    int readers;               /* SQLite read connections in the pool (0 = default 8) */
};

/* Open (and create/migrate) the store.  *out is NULL on failure; a message explaining why is
 * written to errbuf (e.g. "cannot create /x/data: Permission denied"). */
s3_err stor_open(const struct stor_opts *opts, struct stor **out, char *errbuf, size_t errlen);
/* Close every connection.  NULL-safe. */
void stor_close(struct stor *st);
/* Number of orphan files removed by the start-up sweep (for the log and tests): those from
 * tmp/ once stor_open returns, growing while the background sweep of blobs/ runs; final once
 * stor_sweep_wait() has returned. */
unsigned stor_swept(const struct stor *st);
/* The start-up sweep of blobs/ runs in a background thread started by stor_open, while the
 * store is used.  It removes blob files that no object version or part references and whose
 * mtime is older than the stor_open call (a newer one may belong to a write that has not
 * committed yet), and logs one line with the count and the time taken when it ends.
 * stor_sweep_wait blocks until it has ended: S3_OK when it completed (at once if it already
 * has, or if none was started); S3E_INTERNAL if it failed (logged) or did not run. */
s3_err stor_sweep_wait(struct stor *st);
/* Stop the background sweep (it checks before each file) and join its thread; stor_close calls
 * it first.  Orphans it did not reach stay until the next start.  NULL-safe; call it from the
 * thread that closes the store, not concurrently with itself. */
void stor_sweep_stop(struct stor *st);
/* PRAGMA integrity_check, plus: no inline blob row that nothing references.  S3_OK iff both hold. */
s3_err stor_integrity_check(struct stor *st);

/* ------------------------------------------------------------------ key/value lists */

/* A list of (name, value) pairs: user metadata (names lower-case, without "x-amz-meta-"),
 * tags (in the order given), ... */
struct stor_kv {
    char *name;
    char *value;
};
struct stor_kvs {
    struct stor_kv *v;
    size_t n;
};
s3_err stor_kvs_add(struct stor_kvs *l, const char *name, const char *value); /* copies both */
void stor_kvs_release(struct stor_kvs *l);

/* ------------------------------------------------------------------ buckets */

struct stor_bucket {
    char *name;
    char *owner_account;     /* 12-digit account id */
    char *region;            /* LocationConstraint; "us-east-1" when none was given */
    int64_t created_ms;      /* ms since epoch */
    int versioning;          /* 0 never enabled, 1 Enabled, 2 Suspended */
};
void stor_bucket_release(struct stor_bucket *b);

/* S3E_BUCKET_OWNED if it exists and owner_account owns it, S3E_BUCKET_EXISTS if another account
 * does. */
s3_err stor_bucket_create(struct stor *st, const char *name, const char *owner_account, const char *region);
s3_err stor_bucket_get(struct stor *st, const char *name, struct stor_bucket *out);
/* S3E_BUCKET_NOT_EMPTY if any object version, delete marker or multipart upload remains. */
s3_err stor_bucket_delete(struct stor *st, const char *name);
/* All buckets, ordered by name; *out is a malloc'd array of *n (free each with
 * stor_bucket_release, then free the array).  owner_account NULL = every account. */
s3_err stor_bucket_list(struct stor *st, const char *owner_account, struct stor_bucket **out, size_t *n);
/* versioning: 1 Enabled, 2 Suspended. */
s3_err stor_bucket_set_versioning(struct stor *st, const char *name, int versioning);

/* Bucket settings kept as opaque text documents by name ("policy", "encryption", "pab",
 * "tagging", "ownership", ...).  The server owns their format.  get: S3E_NO_SUCH_KEY when the
 * setting is absent (the caller maps it to NoSuchBucketPolicy etc.); *value_out is malloc'd.
 * set with value NULL deletes. */
s3_err stor_bucket_attr_get(struct stor *st, const char *bucket, const char *attr, char **value_out);
s3_err stor_bucket_attr_set(struct stor *st, const char *bucket, const char *attr, const char *value);

/* Account-wide settings, same contract (account public access block, IAM state, ...). */
s3_err stor_account_attr_get(struct stor *st, const char *account, const char *attr, char **value_out);
s3_err stor_account_attr_set(struct stor *st, const char *account, const char *attr, const char *value);

/* ------------------------------------------------------------------ writing bytes */

/* Checksum algorithms for x-amz-checksum-*; the value is kept as the client's base64 text. */
enum stor_cksum { STOR_CK_NONE = 0, STOR_CK_CRC32, STOR_CK_CRC32C, STOR_CK_SHA1, STOR_CK_SHA256, STOR_CK_CRC64NVME };

/* A blob being written, encrypted as it is written: in memory while it fits in one segment,
 * then a temp file.  Not visible to anyone until handed to stor_object_put / stor_part_put,
 * which take ownership of it (also on failure).  stor_blob_abort deletes the temp file, if any. */
struct stor_blob;
s3_err stor_blob_new(struct stor *st, struct stor_blob **out);
s3_err stor_blob_write(struct stor_blob *b, const void *data, size_t n);
uint64_t stor_blob_size(const struct stor_blob *b);
void stor_blob_abort(struct stor_blob *b);   /* NULL-safe */

/* ------------------------------------------------------------------ objects */

/* Everything S3 keeps about one object version. */
struct stor_object {
    char *bucket;
    char *key;
    char *version_id;         /* "null" for unversioned / suspended writes */
    int is_latest;
    int is_delete_marker;
    uint64_t size;
    char *etag;               /* with the quotes: "\"9e10...\"" or "\"...-3\"" */
    int64_t mtime_ms;
    char *content_type;       /* NULL = not set (server answers binary/octet-stream) */
    char *content_encoding;
    char *content_disposition;
    char *content_language;
    char *cache_control;
    char *expires;            /* the header text as given */
    char *storage_class;      /* "STANDARD" by default */
    char *sse;                /* "AES256" (always encrypted at rest; this is what is reported) */
    enum stor_cksum cksum_alg;
    char *cksum_value;        /* base64; for multipart composite: "<b64>-N" */
    char *cksum_type;         /* "FULL_OBJECT" or "COMPOSITE" or NULL */
    unsigned parts_count;     /* 0 if not multipart */
    struct stor_kvs meta;     /* x-amz-meta-* */
    struct stor_kvs tags;
    char *owner_account;
};
void stor_object_release(struct stor_object *o);

/* Store a new object (version).  blob is consumed.  in supplies everything but bucket/key/
 * version_id/is_latest/mtime/size (filled by storage).  versioning is taken from the bucket:
 * Enabled -> new random version id, Suspended/never -> replaces the "null" version.  On
 * success, if out is not NULL it receives the stored record (with version_id). */
s3_err stor_object_put(struct stor *st, const char *bucket, const char *key, struct stor_blob *blob,
                       const struct stor_object *in, struct stor_object *out);
/* Fetch metadata.  version_id NULL = latest.  Latest being a delete marker gives S3E_NO_SUCH_KEY
 * with out->is_delete_marker = 1 and out->version_id set (so the server can send
 * x-amz-delete-marker); an explicit version that is a delete marker gives S3E_METHOD_NOT_ALLOWED
 * with the same fields set. */
s3_err stor_object_get(struct stor *st, const char *bucket, const char *key, const char *version_id,
                       struct stor_object *out);
/* DeleteObject semantics of S3: version_id NULL on a versioned bucket inserts a delete marker
 * (*marker_out = 1, *version_out = its id); on an unversioned bucket removes the object.  With a
 * version_id removes that version (deleting nothing is not an error).  version_out may be NULL;
 * otherwise *version_out is malloc'd or NULL. */
s3_err stor_object_delete(struct stor *st, const char *bucket, const char *key, const char *version_id,
                          int *marker_out, char **version_out);
/* Replace the tag set of one version (version_id NULL = latest). */
s3_err stor_object_set_tags(struct stor *st, const char *bucket, const char *key, const char *version_id,
                            const struct stor_kvs *tags);

/* Reading bytes: decrypts on the fly; any offset. */
struct stor_reader;
s3_err stor_reader_open(struct stor *st, const char *bucket, const char *key, const char *version_id,
                        struct stor_object *meta_out, struct stor_reader **out);
/* Read up to n bytes at offset off into dst; returns bytes read (0 at end), or -1 on error. */
ssize_t stor_reader_pread(struct stor_reader *r, void *dst, size_t n, uint64_t off);
void stor_reader_close(struct stor_reader *r);   /* NULL-safe */

/* ------------------------------------------------------------------ listing */

struct stor_list_req {
    const char *prefix;       /* NULL or "" = all */
    const char *delimiter;    /* NULL or "" = none */
    const char *start_after;  /* exclusive; marker / continuation / start-after */
    unsigned max_keys;        /* 0 returns nothing but is_truncated as appropriate */
    /* versions only: */
    const char *version_id_marker;  /* with start_after as key-marker */
};
struct stor_list_entry {
    struct stor_object obj;   /* only key, version_id, is_latest, is_delete_marker, size, etag,
                                 mtime_ms, storage_class, owner_account, cksum_alg, cksum_type are set */
};
struct stor_list_res {
    struct stor_list_entry *entries;
    size_t n_entries;
    char **prefixes;          /* CommonPrefixes, sorted */
    size_t n_prefixes;
    int is_truncated;
    char *next_marker;        /* last key or prefix returned (for NextMarker / continuation) */
    char *next_version_marker;/* versions listing only */
};
void stor_list_res_release(struct stor_list_res *r);
/* Current (non-delete-marker, latest) objects in key order (byte order). */
s3_err stor_list_objects(struct stor *st, const char *bucket, const struct stor_list_req *q,
                         struct stor_list_res *out);
/* Every version and delete marker, by key then newest first. */
s3_err stor_list_versions(struct stor *st, const char *bucket, const struct stor_list_req *q,
                          struct stor_list_res *out);

/* ------------------------------------------------------------------ multipart */

/* Create an upload: in carries the object metadata to apply at completion (content type, meta,
 * tags, storage class, checksum algorithm + type).  *upload_id_out is malloc'd. */
s3_err stor_mpu_create(struct stor *st, const char *bucket, const char *key, const struct stor_object *in,
                       char **upload_id_out);
/* Fetch the upload's stored metadata (S3E_NO_SUCH_UPLOAD if unknown or not for bucket/key). */
s3_err stor_mpu_get(struct stor *st, const char *bucket, const char *key, const char *upload_id,
                    struct stor_object *out);
/* Store part number 1..10000; replaces an earlier part with the same number.  blob consumed. */
s3_err stor_part_put(struct stor *st, const char *bucket, const char *key, const char *upload_id,
                     unsigned part_number, struct stor_blob *blob, const char *etag,
                     enum stor_cksum alg, const char *cksum_value);

struct stor_part {
    unsigned number;
    uint64_t size;
    char *etag;               /* quoted */
    int64_t mtime_ms;
    char *cksum_value;        /* NULL if none */
};
struct stor_parts {
    struct stor_part *v;
    size_t n;
    int is_truncated;
    unsigned next_marker;
};
void stor_parts_release(struct stor_parts *p);
s3_err stor_part_list(struct stor *st, const char *bucket, const char *key, const char *upload_id,
                      unsigned marker, unsigned max, struct stor_parts *out);

/* What the client sent in CompleteMultipartUpload. */
struct stor_complete_part {
    unsigned number;
    const char *etag;         /* as sent, with or without quotes */
    const char *cksum_value;  /* NULL if the client sent none */
};
/* Validate (S3E_INVALID_PART for an unknown part or ETag mismatch, S3E_INVALID_PART_ORDER,
 * S3E_ENTITY_TOO_SMALL for a non-last part under 5 MiB), then atomically turn the upload into
 * an object version whose ETag is "md5-of-md5s-N" and whose bytes are the parts' blobs in
 * order (no copy).  Unused parts are deleted.  out gets the stored record. */
/* final_cksum: the object's checksum value computed by the caller from the parts (NULL if
 * none); stored as cksum_value with the upload's algorithm and type. */
s3_err stor_mpu_complete(struct stor *st, const char *bucket, const char *key, const char *upload_id,
                         const struct stor_complete_part *parts, size_t n, const char *final_cksum,
                         struct stor_object *out);
s3_err stor_mpu_abort(struct stor *st, const char *bucket, const char *key, const char *upload_id);

struct stor_upload {
    char *key;
    char *upload_id;
    int64_t initiated_ms;
    char *storage_class;
};
struct stor_uploads {
    struct stor_upload *v;
    size_t n;
    char **prefixes;
    size_t n_prefixes;
    int is_truncated;
    char *next_key_marker;
    char *next_upload_id_marker;
};
void stor_uploads_release(struct stor_uploads *u);
s3_err stor_mpu_list(struct stor *st, const char *bucket, const char *prefix, const char *delimiter,
                     const char *key_marker, const char *upload_id_marker, unsigned max,
                     struct stor_uploads *out);

#endif
