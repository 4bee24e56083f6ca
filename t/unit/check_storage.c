/*
 * t/unit/check_storage.c - unit tests for storage/ (storage.h).
 *
 * Every test runs in a fresh data directory under /tmp (a checked fixture: created and removed
 * in the forked test process).  Expected values are computed independently here (MD5 through
 * OpenSSL, byte strings kept in memory) and compared with what storage returns.
 */
#include "config.h"
#include "storage/storage.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "lib/err.h"
#include "lib/log.h"
#include "t/unit/stor_fixture.h"
#include "storage/stor_int.h"   /* blob_del_gen, blob_reader_new: the reader/deletion race;
                                   st->inline_max; sqlite3.h for looking into meta.db */

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MIB (1024u * 1024u)
#define SEG 65536u
#define HDR 72u

static void open_store(void)
{
    fixture_open(4);
}

static void reopen(void)
{
    stor_close(g_st);
    g_st = NULL;
    open_store();
}

static void setup(void)
{
    fixture_dir("check_storage");
    open_store();
}

static void teardown(void)
{
    fixture_teardown();
}

/* ------------------------------------------------------------------ helpers */

static void md5(const void *p, size_t n, unsigned char out[16])
{
    unsigned len = 0;
    ck_assert(EVP_Digest(p, n, out, &len, EVP_md5(), NULL) == 1 && len == 16);
}

static void hex(const unsigned char *p, size_t n, char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[p[i] >> 4];
        out[2 * i + 1] = hx[p[i] & 15];
    }
    out[2 * n] = 0;
}

/* "\"<md5 hex>\"" into out[35] */
static void etag_of(const void *p, size_t n, char *out)
{
    unsigned char d[16];
    char h[33];
    md5(p, n, d);
    hex(d, 16, h);
    snprintf(out, 35, "\"%s\"", h);
}

/* A blob holding p[0..n), written in uneven chunks to cross segment boundaries oddly. */
static struct stor_blob *make_blob(const void *p, size_t n)
{
    struct stor_blob *b = NULL;
    const unsigned char *c = p;
    size_t off = 0, step = 7777;
    OK(stor_blob_new(g_st, &b));
    while (off < n) {
        size_t k = n - off < step ? n - off : step;
        OK(stor_blob_write(b, c + off, k));
        off += k;
        step = step * 3 % 100003 + 1;
    }
    ck_assert_uint_eq(stor_blob_size(b), n);
    return b;
}

static s3_err put_obj(const char *bucket, const char *key, const void *p, size_t n, const struct stor_object *extra,
                      struct stor_object *out)
{
    struct stor_object in;
    char etag[40];
    struct stor_blob *b = make_blob(p, n);
    if (extra)
        in = *extra;
    else
        memset(&in, 0, sizeof(in));
    etag_of(p, n, etag);
    in.etag = etag;
    return stor_object_put(g_st, bucket, key, b, &in, out);
}

static s3_err put_str(const char *bucket, const char *key, const char *s)
{
    return put_obj(bucket, key, s, strlen(s), NULL, NULL);
}

/* The whole object (latest or vid); asserts success.  Caller frees. */
static unsigned char *read_obj(const char *bucket, const char *key, const char *vid, size_t *n_out)
{
    struct stor_object m;
    struct stor_reader *r = NULL;
    unsigned char *buf;
    ssize_t got;

    OK(stor_reader_open(g_st, bucket, key, vid, &m, &r));
    buf = malloc(m.size + 1);
    ck_assert_ptr_nonnull(buf);
    got = stor_reader_pread(r, buf, m.size + 1, 0);
    ck_assert_int_eq(got, (ssize_t)m.size);
    ck_assert_int_eq(stor_reader_pread(r, buf, 10, m.size), 0);
    buf[m.size] = 0;
    *n_out = m.size;
    stor_object_release(&m);
    stor_reader_close(r);
    return buf;
}

static void expect_content(const char *bucket, const char *key, const char *vid, const void *p, size_t n)
{
    size_t got_n;
    unsigned char *got = read_obj(bucket, key, vid, &got_n);
    ck_assert_uint_eq(got_n, n);
    ck_assert_msg(n == 0 || memcmp(got, p, n) == 0, "content of %s differs", key);
    free(got);
}

/* Names of the blob files (blobs/xx/<hex>) into names[]; returns how many. */
static size_t blob_files(char names[][40], size_t max)
{
    char path[512];
    size_t n = 0;
    for (int i = 0; i < 256; i++) {
        DIR *d;
        struct dirent *de;
        snprintf(path, sizeof(path), "%s/blobs/%02x", g_data, i);
        if ((d = opendir(path)) == NULL)
            continue;
        while ((de = readdir(d)) != NULL) {
            if (de->d_name[0] == '.')
                continue;
            if (n < max && strlen(de->d_name) < 40)
                memcpy(names[n], de->d_name, strlen(de->d_name) + 1);
            n++;
        }
        closedir(d);
    }
    return n;
}

static size_t count_files(void)
{
    char dummy[1][40];
    return blob_files(dummy, 0);
}

/* The test's own connection to DATA/meta.db: in WAL mode it sees every commit of the store
 * (open or closed) and may change the schema under it (triggers, an old schema). */
static sqlite3 *db_open(void)
{
    char path[512];
    sqlite3 *db = NULL;
    snprintf(path, sizeof(path), "%s/meta.db", g_data);
    ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 10000);
    return db;
}

static void sql_exec(const char *sql)
{
    sqlite3 *db = db_open();
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    ck_assert_msg(rc == SQLITE_OK, "%s: %s", sql, msg ? msg : sqlite3_errstr(rc));
    sqlite3_free(msg);
    sqlite3_close(db);
}

/* The one integer a query returns. */
static long long sql_int(const char *sql)
{
    sqlite3 *db = db_open();
    sqlite3_stmt *s = NULL;
    long long v;
    ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
    ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
    v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

static size_t count_inline(void)
{
    return (size_t)sql_int("SELECT count(*) FROM blob_inline");
}

/* Every stored blob: files under blobs/ and rows of blob_inline. */
static size_t count_blobs(void)
{
    return count_files() + count_inline();
}

/* Entries of a directory under DATA (tmp, blobs); -1 if it cannot be opened. */
static int dir_entries(const char *rel)
{
    char path[512];
    DIR *d;
    struct dirent *de;
    int n = 0;
    snprintf(path, sizeof(path), "%s/%s", g_data, rel);
    if ((d = opendir(path)) == NULL)
        return -1;
    while ((de = readdir(d)) != NULL)
        n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
    closedir(d);
    return n;
}

static int file_exists(const char *rel)
{
    char path[512];
    struct stat sb;
    snprintf(path, sizeof(path), "%s/%s", g_data, rel);
    return stat(path, &sb) == 0;
}

static void write_file(const char *rel, const char *content)
{
    char path[512];
    FILE *f;
    snprintf(path, sizeof(path), "%s/%s", g_data, rel);
    ck_assert_ptr_nonnull(f = fopen(path, "w"));
    fputs(content, f);
    fclose(f);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------------ buckets */

START_TEST(bucket_lifecycle)
{
    struct stor_bucket b, *list = NULL;
    size_t n = 0;

    OK(stor_bucket_create(g_st, "zeta", "111111111111", NULL));
    OK(stor_bucket_create(g_st, "alpha", "222222222222", "eu-west-1"));
    OK(stor_bucket_create(g_st, "mid", "111111111111", ""));
    EXPECT(stor_bucket_create(g_st, "zeta", "111111111111", NULL), S3E_BUCKET_OWNED);
    EXPECT(stor_bucket_create(g_st, "zeta", "222222222222", NULL), S3E_BUCKET_EXISTS);

    OK(stor_bucket_get(g_st, "alpha", &b));
    ck_assert_str_eq(b.name, "alpha");
    ck_assert_str_eq(b.owner_account, "222222222222");
    ck_assert_str_eq(b.region, "eu-west-1");
    ck_assert_int_eq(b.versioning, 0);
    ck_assert(b.created_ms > 1600000000000LL);
    stor_bucket_release(&b);
    OK(stor_bucket_get(g_st, "zeta", &b));
    ck_assert_str_eq(b.region, "us-east-1");
    stor_bucket_release(&b);
    EXPECT(stor_bucket_get(g_st, "nope", &b), S3E_NO_SUCH_BUCKET);

    OK(stor_bucket_list(g_st, NULL, &list, &n));
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(list[0].name, "alpha");
    ck_assert_str_eq(list[1].name, "mid");
    ck_assert_str_eq(list[2].name, "zeta");
    for (size_t i = 0; i < n; i++)
        stor_bucket_release(&list[i]);
    free(list);
    OK(stor_bucket_list(g_st, "111111111111", &list, &n));
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(list[0].name, "mid");
    ck_assert_str_eq(list[1].name, "zeta");
    for (size_t i = 0; i < n; i++)
        stor_bucket_release(&list[i]);
    free(list);

    /* not empty: an object, then a delete marker, then an upload */
    OK(put_str("zeta", "k", "v"));
    EXPECT(stor_bucket_delete(g_st, "zeta"), S3E_BUCKET_NOT_EMPTY);
    OK(stor_bucket_set_versioning(g_st, "zeta", 1));
    OK(stor_object_delete(g_st, "zeta", "k", NULL, NULL, NULL));
    EXPECT(stor_bucket_delete(g_st, "zeta"), S3E_BUCKET_NOT_EMPTY);   /* old version + marker */
    {
        struct stor_list_res r;
        struct stor_list_req q = { .max_keys = 100 };
        OK(stor_list_versions(g_st, "zeta", &q, &r));
        for (size_t i = 0; i < r.n_entries; i++)
            OK(stor_object_delete(g_st, "zeta", "k", r.entries[i].obj.version_id, NULL, NULL));
        stor_list_res_release(&r);
    }
    {
        char *uid = NULL;
        OK(stor_mpu_create(g_st, "zeta", "u", NULL, &uid));
        EXPECT(stor_bucket_delete(g_st, "zeta"), S3E_BUCKET_NOT_EMPTY);
        OK(stor_mpu_abort(g_st, "zeta", "u", uid));
        free(uid);
    }
    OK(stor_bucket_attr_set(g_st, "zeta", "policy", "{}"));
    OK(stor_bucket_delete(g_st, "zeta"));
    EXPECT(stor_bucket_get(g_st, "zeta", &b), S3E_NO_SUCH_BUCKET);
    EXPECT(stor_bucket_delete(g_st, "zeta"), S3E_NO_SUCH_BUCKET);
    /* a re-created bucket starts without the old settings */
    OK(stor_bucket_create(g_st, "zeta", "333333333333", NULL));
    {
        char *v = NULL;
        EXPECT(stor_bucket_attr_get(g_st, "zeta", "policy", &v), S3E_NO_SUCH_KEY);
        ck_assert_ptr_null(v);
    }
    EXPECT(stor_bucket_set_versioning(g_st, "nope", 1), S3E_NO_SUCH_BUCKET);
    EXPECT(stor_bucket_set_versioning(g_st, "zeta", 0), S3E_INVALID_ARGUMENT);
    OK(stor_bucket_set_versioning(g_st, "zeta", 2));
    OK(stor_bucket_get(g_st, "zeta", &b));
    ck_assert_int_eq(b.versioning, 2);
    stor_bucket_release(&b);
    ck_assert_uint_eq(count_blobs(), 0);
}
END_TEST

/* Bucket rows are cached (storage/bucket.c): every read after a change must see the change, for
 * every kind of change, including names that share a cache slot and names too long to cache. */
START_TEST(bucket_cache_follows_changes)
{
    struct stor_bucket b;
    char name[80];
    const char *longest = "a23456789-123456789-123456789-123456789-123456789-123456789-123";

    OK(stor_bucket_create(g_st, "cached", "111111111111", "eu-west-1"));
    for (int round = 0; round < 2; round++) {   /* the first get fills the slot, the second hits it */
        OK(stor_bucket_get(g_st, "cached", &b));
        ck_assert_str_eq(b.owner_account, "111111111111");
        ck_assert_int_eq(b.versioning, 0);
        stor_bucket_release(&b);
    }
    OK(stor_bucket_set_versioning(g_st, "cached", 1));
    OK(stor_bucket_get(g_st, "cached", &b));
    ck_assert_int_eq(b.versioning, 1);
    stor_bucket_release(&b);
    OK(stor_bucket_set_versioning(g_st, "cached", 2));
    OK(stor_bucket_get(g_st, "cached", &b));
    ck_assert_int_eq(b.versioning, 2);
    stor_bucket_release(&b);
    OK(stor_bucket_delete(g_st, "cached"));
    EXPECT(stor_bucket_get(g_st, "cached", &b), S3E_NO_SUCH_BUCKET);
    OK(stor_bucket_create(g_st, "cached", "222222222222", "ap-south-1"));
    OK(stor_bucket_get(g_st, "cached", &b));
    ck_assert_str_eq(b.owner_account, "222222222222");
    ck_assert_str_eq(b.region, "ap-south-1");
    ck_assert_int_eq(b.versioning, 0);
    stor_bucket_release(&b);

    /* more buckets than slots: each read returns its own row */
    for (int i = 0; i < 200; i++) {
        snprintf(name, sizeof(name), "many-%03d", i);
        OK(stor_bucket_create(g_st, name, i % 2 ? "111111111111" : "333333333333", NULL));
    }
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < 200; i++) {
            snprintf(name, sizeof(name), "many-%03d", i);
            OK(stor_bucket_get(g_st, name, &b));
            ck_assert_str_eq(b.name, name);
            ck_assert_str_eq(b.owner_account, i % 2 ? "111111111111" : "333333333333");
            stor_bucket_release(&b);
        }
    }
    ck_assert_uint_eq(strlen(longest), 63);
    OK(stor_bucket_create(g_st, longest, "111111111111", "us-west-2"));
    for (int round = 0; round < 2; round++) {
        OK(stor_bucket_get(g_st, longest, &b));
        ck_assert_str_eq(b.name, longest);
        ck_assert_str_eq(b.region, "us-west-2");
        stor_bucket_release(&b);
    }
}
END_TEST

START_TEST(bucket_and_account_attrs)
{
    char *v = NULL;

    OK(stor_bucket_create(g_st, "b", "111111111111", NULL));
    EXPECT(stor_bucket_attr_get(g_st, "b", "policy", &v), S3E_NO_SUCH_KEY);
    OK(stor_bucket_attr_set(g_st, "b", "policy", "{\"Version\":\"2012-10-17\"}"));
    OK(stor_bucket_attr_set(g_st, "b", "tagging", "<Tagging/>"));
    OK(stor_bucket_attr_get(g_st, "b", "policy", &v));
    ck_assert_str_eq(v, "{\"Version\":\"2012-10-17\"}");
    free(v);
    OK(stor_bucket_attr_set(g_st, "b", "policy", "second"));
    OK(stor_bucket_attr_get(g_st, "b", "policy", &v));
    ck_assert_str_eq(v, "second");
    free(v);
    OK(stor_bucket_attr_set(g_st, "b", "policy", NULL));
    EXPECT(stor_bucket_attr_get(g_st, "b", "policy", &v), S3E_NO_SUCH_KEY);
    OK(stor_bucket_attr_set(g_st, "b", "policy", NULL));   /* deleting nothing is fine */
    OK(stor_bucket_attr_get(g_st, "b", "tagging", &v));
    ck_assert_str_eq(v, "<Tagging/>");
    free(v);
    EXPECT(stor_bucket_attr_get(g_st, "nope", "policy", &v), S3E_NO_SUCH_BUCKET);
    EXPECT(stor_bucket_attr_set(g_st, "nope", "policy", "x"), S3E_NO_SUCH_BUCKET);

    EXPECT(stor_account_attr_get(g_st, "111111111111", "pab", &v), S3E_NO_SUCH_KEY);
    OK(stor_account_attr_set(g_st, "111111111111", "pab", "on"));
    OK(stor_account_attr_set(g_st, "222222222222", "pab", "off"));
    OK(stor_account_attr_get(g_st, "111111111111", "pab", &v));
    ck_assert_str_eq(v, "on");
    free(v);
    OK(stor_account_attr_set(g_st, "111111111111", "pab", NULL));
    EXPECT(stor_account_attr_get(g_st, "111111111111", "pab", &v), S3E_NO_SUCH_KEY);
    OK(stor_account_attr_get(g_st, "222222222222", "pab", &v));
    ck_assert_str_eq(v, "off");
    free(v);
}
END_TEST

/* ------------------------------------------------------------------ objects */

START_TEST(object_put_get_overwrite_delete)
{
    struct stor_object in, out, got;
    char etag[40];
    int marker = -1;
    char *vid = (char *)"x";

    OK(stor_bucket_create(g_st, "b", "111111111111", NULL));
    memset(&in, 0, sizeof(in));
    in.content_type = (char *)"text/plain";
    in.content_disposition = (char *)"attachment";
    in.cache_control = (char *)"no-cache";
    in.expires = (char *)"Thu, 01 Dec 1994 16:00:00 GMT";
    in.owner_account = (char *)"111111111111";
    in.cksum_alg = STOR_CK_CRC32;
    in.cksum_value = (char *)"AAAAAA==";
    in.cksum_type = (char *)"FULL_OBJECT";
    OK(stor_kvs_add(&in.meta, "zebra", "1"));
    OK(stor_kvs_add(&in.meta, "apple", "two words"));
    OK(stor_kvs_add(&in.tags, "k2", "v2"));
    OK(stor_kvs_add(&in.tags, "k1", ""));
    OK(put_obj("b", "hello.txt", "hello world", 11, &in, &out));
    etag_of("hello world", 11, etag);
    ck_assert_str_eq(out.etag, etag);
    ck_assert_str_eq(out.version_id, "null");
    ck_assert_str_eq(out.bucket, "b");
    ck_assert_str_eq(out.key, "hello.txt");
    ck_assert_uint_eq(out.size, 11);
    stor_object_release(&out);

    OK(stor_object_get(g_st, "b", "hello.txt", NULL, &got));
    ck_assert_uint_eq(got.size, 11);
    ck_assert_str_eq(got.etag, etag);
    ck_assert_int_eq(got.is_latest, 1);
    ck_assert_int_eq(got.is_delete_marker, 0);
    ck_assert_str_eq(got.content_type, "text/plain");
    ck_assert_str_eq(got.content_disposition, "attachment");
    ck_assert_ptr_null(got.content_encoding);
    ck_assert_ptr_null(got.content_language);
    ck_assert_str_eq(got.cache_control, "no-cache");
    ck_assert_str_eq(got.expires, "Thu, 01 Dec 1994 16:00:00 GMT");
    ck_assert_str_eq(got.storage_class, "STANDARD");
    ck_assert_str_eq(got.sse, "AES256");
    ck_assert_int_eq(got.cksum_alg, STOR_CK_CRC32);
    ck_assert_str_eq(got.cksum_value, "AAAAAA==");
    ck_assert_str_eq(got.cksum_type, "FULL_OBJECT");
    ck_assert_str_eq(got.owner_account, "111111111111");
    ck_assert_uint_eq(got.meta.n, 2);
    ck_assert_str_eq(got.meta.v[0].name, "zebra");
    ck_assert_str_eq(got.meta.v[1].name, "apple");
    ck_assert_str_eq(got.meta.v[1].value, "two words");
    ck_assert_uint_eq(got.tags.n, 2);
    ck_assert_str_eq(got.tags.v[0].name, "k2");
    ck_assert_str_eq(got.tags.v[1].value, "");
    ck_assert(got.mtime_ms > 1600000000000LL);
    stor_object_release(&got);
    stor_kvs_release(&in.meta);
    stor_kvs_release(&in.tags);
    expect_content("b", "hello.txt", NULL, "hello world", 11);
    ck_assert_uint_eq(count_blobs(), 1);

    /* tags replaced in place */
    {
        struct stor_kvs t = { 0 };
        OK(stor_kvs_add(&t, "only", "one"));
        OK(stor_object_set_tags(g_st, "b", "hello.txt", NULL, &t));
        EXPECT(stor_object_set_tags(g_st, "b", "missing", NULL, &t), S3E_NO_SUCH_KEY);
        EXPECT(stor_object_set_tags(g_st, "b", "hello.txt", "nosuchversion", &t), S3E_NO_SUCH_VERSION);
        stor_kvs_release(&t);
        OK(stor_object_get(g_st, "b", "hello.txt", NULL, &got));
        ck_assert_uint_eq(got.tags.n, 1);
        ck_assert_str_eq(got.tags.v[0].name, "only");
        ck_assert_uint_eq(got.meta.n, 2);
        stor_object_release(&got);
    }

    /* overwrite: the old blob goes, defaults apply again */
    OK(put_str("b", "hello.txt", "bye"));
    expect_content("b", "hello.txt", NULL, "bye", 3);
    ck_assert_uint_eq(count_blobs(), 1);
    OK(stor_object_get(g_st, "b", "hello.txt", NULL, &got));
    ck_assert_ptr_null(got.content_type);
    ck_assert_uint_eq(got.meta.n, 0);
    stor_object_release(&got);

    /* empty object */
    OK(put_obj("b", "empty", "", 0, NULL, NULL));
    expect_content("b", "empty", NULL, "", 0);

    /* delete on an unversioned bucket: no marker, no version id */
    OK(stor_object_delete(g_st, "b", "hello.txt", NULL, &marker, &vid));
    ck_assert_int_eq(marker, 0);
    ck_assert_ptr_null(vid);
    EXPECT(stor_object_get(g_st, "b", "hello.txt", NULL, &got), S3E_NO_SUCH_KEY);
    ck_assert_int_eq(got.is_delete_marker, 0);
    stor_object_release(&got);
    OK(stor_object_delete(g_st, "b", "hello.txt", NULL, NULL, NULL));   /* again: not an error */
    ck_assert_uint_eq(count_blobs(), 1);                                  /* "empty" */

    /* errors */
    EXPECT(put_str("nope", "k", "v"), S3E_NO_SUCH_BUCKET);
    ck_assert_uint_eq(count_blobs(), 1);   /* the refused blob was removed */
    EXPECT(stor_object_get(g_st, "nope", "k", NULL, &got), S3E_NO_SUCH_BUCKET);
    EXPECT(stor_object_get(g_st, "b", "k", "someversion", &got), S3E_NO_SUCH_VERSION);
    EXPECT(stor_object_delete(g_st, "nope", "k", NULL, NULL, NULL), S3E_NO_SUCH_BUCKET);
    {
        struct stor_reader *r = (struct stor_reader *)&got;
        EXPECT(stor_reader_open(g_st, "b", "missing", NULL, NULL, &r), S3E_NO_SUCH_KEY);
        ck_assert_ptr_null(r);
    }
    /* an aborted blob leaves nothing */
    {
        struct stor_blob *bl;
        char name[512];
        OK(stor_blob_new(g_st, &bl));
        OK(stor_blob_write(bl, "xyz", 3));
        stor_blob_abort(bl);
        snprintf(name, sizeof(name), "%s/tmp", g_data);
        DIR *d = opendir(name);
        struct dirent *de;
        int files = 0;
        ck_assert_ptr_nonnull(d);
        while ((de = readdir(d)) != NULL)
            files += de->d_name[0] != '.';
        closedir(d);
        ck_assert_int_eq(files, 0);
    }
}
END_TEST

/* Keys are bytes: none of these may reach the file system. */
static const char *const odd_keys[] = {
    "../../etc/passwd",
    "/leading/slash",
    "a\nnewline",
    "percent%2F%00encoded",
    "caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac",
    "invalid utf8 \xff\xfe",
    " ",
    "back\\slash",
    "x",   /* replaced by a 1024-byte key in the test */
};

static int allowed_file(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    const char *rel = path + strlen(g_data);
    const char *base = path + ftw->base;
    (void)sb;
    if (flag == FTW_D || flag == FTW_DP) {
        int ok = rel[0] == 0 || strcmp(rel, "/blobs") == 0 || strcmp(rel, "/tmp") == 0 ||
                 (strncmp(rel, "/blobs/", 7) == 0 && strlen(rel) == 9);
        ck_assert_msg(ok, "unexpected directory %s", rel);
        return 0;
    }
    if (strncmp(rel, "/blobs/", 7) == 0) {
        ck_assert_msg(strlen(base) == 32 && strspn(base, "0123456789abcdef") == 32, "odd blob file %s", rel);
        return 0;
    }
    ck_assert_msg(strcmp(base, "meta.db") == 0 || strcmp(base, "meta.db-wal") == 0 ||
                      strcmp(base, "meta.db-shm") == 0 || strcmp(base, "master.key") == 0,
                  "unexpected file %s", rel);
    return 0;
}

START_TEST(object_odd_keys)
{
    char longkey[1025];
    const char *keys[ARRAY_LEN(odd_keys)];
    struct stor_list_res r;
    struct stor_list_req q = { .max_keys = 1000 };

    memset(longkey, 'k', 1024);
    longkey[1024] = 0;
    longkey[0] = '.';
    longkey[1] = '.';
    longkey[2] = '/';
    OK(stor_bucket_create(g_st, "b", "111111111111", NULL));
    for (size_t i = 0; i < ARRAY_LEN(odd_keys); i++) {
        char body[64];
        keys[i] = i + 1 == ARRAY_LEN(odd_keys) ? longkey : odd_keys[i];
        snprintf(body, sizeof(body), "body %zu", i);
        OK(put_str("b", keys[i], body));
    }
    for (size_t i = 0; i < ARRAY_LEN(odd_keys); i++) {
        char body[64];
        snprintf(body, sizeof(body), "body %zu", i);
        expect_content("b", keys[i], NULL, body, strlen(body));
    }
    /* listed back exactly, in byte order */
    OK(stor_list_objects(g_st, "b", &q, &r));
    ck_assert_uint_eq(r.n_entries, ARRAY_LEN(odd_keys));
    for (size_t i = 0; i < r.n_entries; i++) {
        int found = 0;
        for (size_t j = 0; j < ARRAY_LEN(odd_keys); j++)
            found |= strcmp(r.entries[i].obj.key, keys[j]) == 0;
        ck_assert_msg(found, "listed key %zu not put", i);
        if (i)
            ck_assert_msg(strcmp(r.entries[i - 1].obj.key, r.entries[i].obj.key) < 0, "not in byte order at %zu", i);
    }
    stor_list_res_release(&r);
    nftw(g_data, allowed_file, 16, FTW_PHYS);
}
END_TEST

struct range_case {
    uint64_t off;
    size_t len;
    ssize_t want;   /* -2: min(len, size - off) */
};

START_TEST(object_ranges)
{
    const size_t n = 3 * SEG + 123;
    static const struct range_case cases[] = {
        { 0, 1, -2 },          { 0, 3 * SEG + 123, -2 }, { SEG - 1, 2, -2 },       { SEG, SEG, -2 },
        { SEG - 6, 70000, -2 }, { 2 * SEG - 1, SEG + 1, -2 }, { 3 * SEG - 5, 200, -2 }, { 3 * SEG + 122, 100, 1 },
        { 3 * SEG + 123, 10, 0 }, { 100, 0, 0 },          { 1000, 400000, -2 },     { 1ull << 40, 1, 0 },
    };
    unsigned char *data = malloc(n), *buf = malloc(400000);
    struct stor_reader *r;
    struct stor_object m;

    fill(data, n, 7);
    OK(stor_bucket_create(g_st, "b", "111111111111", NULL));
    OK(put_obj("b", "big", data, n, NULL, NULL));
    OK(stor_reader_open(g_st, "b", "big", NULL, &m, &r));
    ck_assert_uint_eq(m.size, n);
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        const struct range_case *c = &cases[i];
        ssize_t want = c->want;
        ssize_t got;
        if (want == -2)
            want = (ssize_t)(c->off + c->len <= n ? c->len : n - c->off);
        memset(buf, 0xAA, 400000);
        got = stor_reader_pread(r, buf, c->len, c->off);
        ck_assert_msg(got == want, "case %zu: got %zd want %zd", i, got, want);
        ck_assert_msg(got <= 0 || memcmp(buf, data + c->off, (size_t)got) == 0, "case %zu: bytes differ", i);
    }
    /* backwards, small reads, every one checked */
    for (uint64_t off = n; off > 0;) {
        size_t len = 4099;
        off = off > len ? off - len : 0;
        ck_assert_int_eq(stor_reader_pread(r, buf, len, off), (ssize_t)(off + len <= n ? len : n - off));
        ck_assert(memcmp(buf, data + off, off + len <= n ? len : n - off) == 0);
    }
    stor_reader_close(r);
    stor_object_release(&m);
    /* the file on disk: header + 4 segments of ciphertext + tags, and no plaintext */
    {
        char names[2][40], path[512];
        struct stat sb;
        FILE *f;
        unsigned char *disk;
        ck_assert_uint_eq(blob_files(names, 2), 1);
        snprintf(path, sizeof(path), "%s/blobs/%.2s/%s", g_data, names[0], names[0]);
        ck_assert_int_eq(stat(path, &sb), 0);
        ck_assert_int_eq(sb.st_size, (off_t)(HDR + n + 4 * 16));
        ck_assert_int_eq(sb.st_mode & 077, 0);
        disk = malloc((size_t)sb.st_size);
        ck_assert_ptr_nonnull(f = fopen(path, "rb"));
        ck_assert_uint_eq(fread(disk, 1, (size_t)sb.st_size, f), (size_t)sb.st_size);
        fclose(f);
        ck_assert(memcmp(disk, "S3IB", 4) == 0);
        ck_assert_ptr_null(memmem(disk, (size_t)sb.st_size, data + 1000, 32));
        free(disk);
    }
    free(data);
    free(buf);
}
END_TEST

/* Flip one byte of the blob file at off. */
static void flip_byte(const char *name, long off)
{
    char path[512];
    FILE *f;
    int c;
    snprintf(path, sizeof(path), "%s/blobs/%.2s/%s", g_data, name, name);
    ck_assert_ptr_nonnull(f = fopen(path, "r+b"));
    ck_assert_int_eq(fseek(f, off, SEEK_SET), 0);
    c = fgetc(f);
    ck_assert_int_ne(c, EOF);
    ck_assert_int_eq(fseek(f, off, SEEK_SET), 0);
    fputc(c ^ 0x01, f);
    fclose(f);
}

START_TEST(object_tamper)
{
    const size_t n = 200000;
    unsigned char *data = malloc(n), buf[1000];
    char names[4][40];
    struct stor_reader *r;

    fill(data, n, 3);
    OK(stor_bucket_create(g_st, "b", "111111111111", NULL));
    OK(put_obj("b", "k", data, n, NULL, NULL));
    ck_assert_uint_eq(blob_files(names, 4), 1);
    /* one ciphertext byte inside segment 2 */
    flip_byte(names[0], (long)(HDR + 2 * (SEG + 16) + 500));
    OK(stor_reader_open(g_st, "b", "k", NULL, NULL, &r));
    ck_assert_int_eq(stor_reader_pread(r, buf, 100, 10), 100);   /* segment 0 is intact */
    ck_assert(memcmp(buf, data + 10, 100) == 0);
    ck_assert_int_eq(stor_reader_pread(r, buf, 100, 2 * SEG + 400), -1);
    ck_assert_int_eq(stor_reader_pread(r, buf, 1000, 2 * SEG - 500), -1);   /* a range touching it */
    ck_assert_int_eq(stor_reader_pread(r, buf, 100, SEG + 10), 100);
    stor_reader_close(r);

    /* the tag of segment 0 (of a small blob forced into a file; inline_tamper covers rows) */
    g_st->inline_max = 0;
    OK(put_obj("b", "k2", data, 1000, NULL, NULL));
    {
        char now[4][40], *fresh = NULL;
        size_t cnt = blob_files(now, 4);
        ck_assert_uint_eq(cnt, 2);
        fresh = strcmp(now[0], names[0]) ? now[0] : now[1];
        flip_byte(fresh, (long)(HDR + 1000 + 3));
        OK(stor_reader_open(g_st, "b", "k2", NULL, NULL, &r));
        ck_assert_int_eq(stor_reader_pread(r, buf, 10, 0), -1);
        stor_reader_close(r);
        /* the wrapped data key */
        flip_byte(fresh, (long)(HDR + 1000 + 3));   /* restore */
        OK(stor_reader_open(g_st, "b", "k2", NULL, NULL, &r));
        ck_assert_int_eq(stor_reader_pread(r, buf, 10, 0), 10);
        stor_reader_close(r);
        flip_byte(fresh, 30);
        OK(stor_reader_open(g_st, "b", "k2", NULL, NULL, &r));
        ck_assert_int_eq(stor_reader_pread(r, buf, 10, 0), -1);
        stor_reader_close(r);
    }
    free(data);
}
END_TEST

/* A reader keeps the bytes it opened even if the version is replaced meanwhile. */
START_TEST(object_reader_outlives_overwrite)
{
    const size_t n = 150000;
    unsigned char *a = malloc(n), *b = malloc(n), *buf = malloc(n);
    struct stor_reader *r;

    fill(a, n, 1);
    fill(b, n, 2);
    OK(stor_bucket_create(g_st, "b", "111111111111", NULL));
    OK(put_obj("b", "k", a, n, NULL, NULL));
    OK(stor_reader_open(g_st, "b", "k", NULL, NULL, &r));
    OK(put_obj("b", "k", b, n, NULL, NULL));
    ck_assert_uint_eq(count_blobs(), 2);   /* the old blob waits for the reader */
    ck_assert_int_eq(stor_reader_pread(r, buf, n, 0), (ssize_t)n);
    ck_assert(memcmp(buf, a, n) == 0);
    stor_reader_close(r);
    ck_assert_uint_eq(count_blobs(), 1);
    expect_content("b", "k", NULL, b, n);
    free(a);
    free(b);
    free(buf);
}
END_TEST

/* The blob id named by a blob file name. */
static void id_from_hex(const char *h, unsigned char *id)
{
    for (int i = 0; i < 16; i++) {
        unsigned v = 0;
        ck_assert_int_eq(sscanf(h + 2 * i, "%2x", &v), 1);
        id[i] = (unsigned char)v;
    }
}

/* A reader built from a snapshot taken before a concurrent delete notices it must retry;
 * one whose blobs are all still there proceeds. */
START_TEST(reader_detects_stale_snapshot)
{
    char before[2][40], after[2][40];
    struct blob_refs segs = { 0 };
    struct blob_ref ref;
    struct stor_reader *r = NULL;
    unsigned char buf[8];
    uint64_t gen;
    int stale = -1;

    g_st->inline_max = 0;   /* the race is about blob files (inline bytes come with the snapshot) */
    OK(stor_bucket_create(g_st, "b", "111111111111", NULL));
    OK(put_str("b", "k", "old bytes"));
    ck_assert_uint_eq(blob_files(before, 2), 1);
    gen = blob_del_gen(g_st);
    OK(put_str("b", "k", "new bytes"));   /* unlinks the old blob, moves the generation */
    ck_assert_uint_eq(blob_files(after, 2), 1);
    ck_assert_uint_ne(blob_del_gen(g_st), gen);

    id_from_hex(before[0], ref.id);
    ref.size = 9;
    OK(refs_add(&segs, ref.id, ref.size));
    OK(blob_reader_new(g_st, &segs, gen, &r, &stale));
    ck_assert_int_eq(stale, 1);
    ck_assert_ptr_null(r);

    segs.n = 0;
    id_from_hex(after[0], ref.id);
    OK(refs_add(&segs, ref.id, ref.size));
    OK(blob_reader_new(g_st, &segs, gen, &r, &stale));
    ck_assert_int_eq(stale, 0);
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(stor_reader_pread(r, buf, sizeof(buf), 0), 8);
    ck_assert(memcmp(buf, "new byte", 8) == 0);
    stor_reader_close(r);
    refs_release(&segs);
}
END_TEST

/* ------------------------------------------------------------------ versioning */

static size_t count_versions(const char *bucket)
{
    struct stor_list_res r;
    struct stor_list_req q = { .max_keys = 1000 };
    size_t n;
    OK(stor_list_versions(g_st, bucket, &q, &r));
    n = r.n_entries;
    stor_list_res_release(&r);
    return n;
}

START_TEST(versioning_semantics)
{
    struct stor_object o1, o2, got;
    char *v1, *v2, *dm = NULL, *dv = NULL;
    int marker = 0;

    OK(stor_bucket_create(g_st, "b", "111111111111", NULL));
    /* unversioned: one "null" version */
    OK(put_str("b", "k", "n1"));
    OK(put_str("b", "k", "n2"));
    ck_assert_uint_eq(count_versions("b"), 1);
    expect_content("b", "k", "null", "n2", 2);

    OK(stor_bucket_set_versioning(g_st, "b", 1));
    OK(put_obj("b", "k", "one", 3, NULL, &o1));
    OK(put_obj("b", "k", "two", 3, NULL, &o2));
    v1 = o1.version_id;
    v2 = o2.version_id;
    ck_assert_uint_eq(strlen(v1), 32);
    ck_assert_uint_eq(strspn(v1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._"), 32);
    ck_assert_str_ne(v1, v2);
    ck_assert_uint_eq(count_versions("b"), 3);   /* the null version stays */
    expect_content("b", "k", NULL, "two", 3);
    expect_content("b", "k", v1, "one", 3);
    expect_content("b", "k", "null", "n2", 2);
    OK(stor_object_get(g_st, "b", "k", v1, &got));
    ck_assert_int_eq(got.is_latest, 0);
    stor_object_release(&got);

    /* delete marker */
    OK(stor_object_delete(g_st, "b", "k", NULL, &marker, &dm));
    ck_assert_int_eq(marker, 1);
    ck_assert_ptr_nonnull(dm);
    ck_assert_uint_eq(strlen(dm), 32);
    EXPECT(stor_object_get(g_st, "b", "k", NULL, &got), S3E_NO_SUCH_KEY);
    ck_assert_int_eq(got.is_delete_marker, 1);
    ck_assert_str_eq(got.version_id, dm);
    stor_object_release(&got);
    EXPECT(stor_object_get(g_st, "b", "k", dm, &got), S3E_METHOD_NOT_ALLOWED);
    ck_assert_int_eq(got.is_delete_marker, 1);
    ck_assert_str_eq(got.version_id, dm);
    stor_object_release(&got);
    {
        struct stor_reader *r = NULL;
        struct stor_object m;
        EXPECT(stor_reader_open(g_st, "b", "k", NULL, &m, &r), S3E_NO_SUCH_KEY);
        ck_assert_int_eq(m.is_delete_marker, 1);
        stor_object_release(&m);
    }
    expect_content("b", "k", v2, "two", 3);
    {
        struct stor_list_res r;
        struct stor_list_req q = { .max_keys = 1000 };
        OK(stor_list_objects(g_st, "b", &q, &r));
        ck_assert_uint_eq(r.n_entries, 0);
        stor_list_res_release(&r);
        OK(stor_list_versions(g_st, "b", &q, &r));
        ck_assert_uint_eq(r.n_entries, 4);
        ck_assert_str_eq(r.entries[0].obj.version_id, dm);
        ck_assert_int_eq(r.entries[0].obj.is_delete_marker, 1);
        ck_assert_int_eq(r.entries[0].obj.is_latest, 1);
        ck_assert_str_eq(r.entries[1].obj.version_id, v2);
        ck_assert_int_eq(r.entries[1].obj.is_latest, 0);
        ck_assert_str_eq(r.entries[2].obj.version_id, v1);
        ck_assert_str_eq(r.entries[3].obj.version_id, "null");
        stor_list_res_release(&r);
    }
    /* removing the marker brings v2 back */
    OK(stor_object_delete(g_st, "b", "k", dm, &marker, &dv));
    ck_assert_int_eq(marker, 1);
    ck_assert_str_eq(dv, dm);
    free(dv);
    OK(stor_object_get(g_st, "b", "k", NULL, &got));
    ck_assert_str_eq(got.version_id, v2);
    ck_assert_int_eq(got.is_latest, 1);
    stor_object_release(&got);
    /* deleting the latest version promotes the previous one */
    OK(stor_object_delete(g_st, "b", "k", v2, &marker, &dv));
    ck_assert_int_eq(marker, 0);
    ck_assert_str_eq(dv, v2);
    free(dv);
    expect_content("b", "k", NULL, "one", 3);
    OK(stor_object_get(g_st, "b", "k", NULL, &got));
    ck_assert_int_eq(got.is_latest, 1);
    stor_object_release(&got);
    EXPECT(stor_object_get(g_st, "b", "k", v2, &got), S3E_NO_SUCH_VERSION);
    OK(stor_object_delete(g_st, "b", "k", v2, NULL, NULL));   /* already gone: fine */
    ck_assert_uint_eq(count_blobs(), 2);                     /* "one" and the null "n2" */

    /* suspended: writes replace the null version, keep the others */
    stor_object_release(&o2);
    OK(stor_bucket_set_versioning(g_st, "b", 2));
    OK(put_obj("b", "k", "s1", 2, NULL, &o2));
    ck_assert_str_eq(o2.version_id, "null");
    stor_object_release(&o2);
    ck_assert_uint_eq(count_versions("b"), 2);   /* v1 + null */
    expect_content("b", "k", "null", "s1", 2);
    expect_content("b", "k", v1, "one", 3);
    ck_assert_uint_eq(count_blobs(), 2);   /* "n2" went with the old null version */
    OK(stor_object_delete(g_st, "b", "k", NULL, &marker, &dv));
    ck_assert_int_eq(marker, 1);
    ck_assert_str_eq(dv, "null");
    free(dv);
    ck_assert_uint_eq(count_versions("b"), 2);   /* v1 + null marker */
    ck_assert_uint_eq(count_blobs(), 1);
    EXPECT(stor_object_get(g_st, "b", "k", NULL, &got), S3E_NO_SUCH_KEY);
    ck_assert_int_eq(got.is_delete_marker, 1);
    ck_assert_str_eq(got.version_id, "null");
    stor_object_release(&got);
    OK(put_str("b", "k", "s2"));   /* replaces the null marker */
    ck_assert_uint_eq(count_versions("b"), 2);
    expect_content("b", "k", NULL, "s2", 2);

    stor_object_release(&o1);
    free(dm);
}
END_TEST

START_TEST(versions_paging)
{
    /* key a: 3 versions, b: 1, c: 2 + delete marker */
    const char *want[] = { "a", "a", "a", "b", "c", "c", "c" };
    char expect_vid[7][40];
    struct stor_list_res r;
    size_t got = 0;
    char *km = NULL, *vm = NULL;
    int dm;
    char *v;

    OK(stor_bucket_create(g_st, "b", "111111111111", NULL));
    OK(stor_bucket_set_versioning(g_st, "b", 1));
    for (int i = 0; i < 3; i++)
        OK(put_str("b", "a", "x"));
    OK(put_str("b", "b", "y"));
    OK(put_str("b", "c", "z1"));
    OK(put_str("b", "c", "z2"));
    OK(stor_object_delete(g_st, "b", "c", NULL, &dm, &v));
    free(v);
    {
        struct stor_list_req q = { .max_keys = 1000 };
        OK(stor_list_versions(g_st, "b", &q, &r));
        ck_assert_uint_eq(r.n_entries, 7);
        ck_assert_int_eq(r.is_truncated, 0);
        for (size_t i = 0; i < 7; i++) {
            ck_assert_str_eq(r.entries[i].obj.key, want[i]);
            snprintf(expect_vid[i], sizeof(expect_vid[i]), "%s", r.entries[i].obj.version_id);
            /* newest first within a key: only the first of each key is latest */
            ck_assert_int_eq(r.entries[i].obj.is_latest, i == 0 || strcmp(want[i], want[i - 1]) != 0);
        }
        ck_assert_int_eq(r.entries[4].obj.is_delete_marker, 1);
        stor_list_res_release(&r);
    }
    /* pages of 2, following key-marker + version-id-marker */
    for (int page = 0; page < 10; page++) {
        struct stor_list_req q = { .max_keys = 2, .start_after = km, .version_id_marker = vm };
        OK(stor_list_versions(g_st, "b", &q, &r));
        for (size_t i = 0; i < r.n_entries; i++, got++) {
            ck_assert_uint_lt(got, 7);
            ck_assert_str_eq(r.entries[i].obj.key, want[got]);
            ck_assert_str_eq(r.entries[i].obj.version_id, expect_vid[got]);
        }
        free(km);
        free(vm);
        km = r.next_marker ? strdup(r.next_marker) : NULL;
        vm = r.next_version_marker ? strdup(r.next_version_marker) : NULL;
        ck_assert_int_eq(r.is_truncated, got < 7);
        stor_list_res_release(&r);
        if (got == 7)
            break;
    }
    ck_assert_uint_eq(got, 7);
    free(km);
    free(vm);
    /* key-marker alone skips every version of that key */
    {
        struct stor_list_req q = { .max_keys = 1000, .start_after = "a" };
        OK(stor_list_versions(g_st, "b", &q, &r));
        ck_assert_uint_eq(r.n_entries, 4);
        ck_assert_str_eq(r.entries[0].obj.key, "b");
        stor_list_res_release(&r);
    }
    /* with a delimiter, prefixes count toward max_keys */
    OK(put_str("b", "d/1", "q"));
    OK(put_str("b", "d/2", "q"));
    {
        struct stor_list_req q = { .max_keys = 8, .delimiter = "/" };
        OK(stor_list_versions(g_st, "b", &q, &r));
        ck_assert_uint_eq(r.n_entries, 7);
        ck_assert_uint_eq(r.n_prefixes, 1);
        ck_assert_str_eq(r.prefixes[0], "d/");
        ck_assert_int_eq(r.is_truncated, 0);
        ck_assert_str_eq(r.next_marker, "d/");
        ck_assert_ptr_null(r.next_version_marker);
        stor_list_res_release(&r);
    }
}
END_TEST

/* ------------------------------------------------------------------ listing */

static const char *const list_keys[] = {
    "a", "a/1", "a/2", "a/b/1", "a/b/2", "b", "b/", "b//x", "c/d/e", "cat", "d%20",
    "photos/2006/feb/1.jpg", "photos/2006/jan/1.jpg", "photos/2006/jan/2.jpg", "photos/index.html",
    "z\xc3\xa9", "z\xff",
};

struct list_case {
    const char *prefix, *delim, *after;
    unsigned max;
    const char *want;   /* "entries,...|prefixes,...|truncated|next_marker" */
};

static const struct list_case list_cases[] = {
    { NULL, NULL, NULL, 1000,
      "a,a/1,a/2,a/b/1,a/b/2,b,b/,b//x,c/d/e,cat,d%20,photos/2006/feb/1.jpg,photos/2006/jan/1.jpg,"
      "photos/2006/jan/2.jpg,photos/index.html,z\xc3\xa9,z\xff||0|z\xff" },
    { NULL, "/", NULL, 1000, "a,b,cat,d%20,z\xc3\xa9,z\xff|a/,b/,c/,photos/|0|z\xff" },
    { "photos/", "/", NULL, 1000, "photos/index.html|photos/2006/|0|photos/index.html" },
    { "photos/2006/", "/", NULL, 1000, "|photos/2006/feb/,photos/2006/jan/|0|photos/2006/jan/" },
    { NULL, "/", NULL, 3, "a,b|a/|1|b" },
    { NULL, "/", "b", 3, "cat|b/,c/|1|cat" },
    { NULL, "/", "a/", 2, "b|b/|1|b/" },   /* start-after = an earlier common prefix */
    { "a/", "/", NULL, 1000, "a/1,a/2|a/b/|0|a/b/" },
    { "a", NULL, "a/1", 1000, "a/2,a/b/1,a/b/2||0|a/b/2" },
    { NULL, NULL, NULL, 0, "||1|" },
    { "nope", NULL, NULL, 1000, "||0|" },
    { NULL, NULL, "z\xff", 1000, "||0|" },
    { NULL, NULL, "zz", 1000, "z\xc3\xa9,z\xff||0|z\xff" },   /* 0xc3 > 'z' */
    { "b", "/", NULL, 1000, "b|b/|0|b/" },
    { "b/", "/", NULL, 1000, "b/|b//|0|b//" },
    { NULL, "/b/", NULL, 1000,
      "a,a/1,a/2,b,b/,b//x,c/d/e,cat,d%20,photos/2006/feb/1.jpg,photos/2006/jan/1.jpg,"
      "photos/2006/jan/2.jpg,photos/index.html,z\xc3\xa9,z\xff|a/b/|0|z\xff" },
    { NULL, "a", NULL, 1000,
      "b,b/,b//x,c/d/e,d%20,photos/2006/feb/1.jpg,photos/index.html,z\xc3\xa9,z\xff|a,ca,photos/2006/ja|0|z\xff" },
    { "c", "/", NULL, 1, "|c/|1|c/" },
    { "c", "/", "c/", 1, "cat||0|cat" },
    { "z", NULL, "z\xc3\xa9", 1000, "z\xff||0|z\xff" },
    { NULL, NULL, "a/b", 2, "a/b/1,a/b/2||1|a/b/2" },
};

static void list_render(const struct stor_list_res *r, char *out, size_t outlen)
{
    size_t o = 0;
    for (size_t i = 0; i < r->n_entries; i++)
        o += (size_t)snprintf(out + o, outlen - o, "%s%s", i ? "," : "", r->entries[i].obj.key);
    o += (size_t)snprintf(out + o, outlen - o, "|");
    for (size_t i = 0; i < r->n_prefixes; i++)
        o += (size_t)snprintf(out + o, outlen - o, "%s%s", i ? "," : "", r->prefixes[i]);
    snprintf(out + o, outlen - o, "|%d|%s", r->is_truncated, r->next_marker ? r->next_marker : "");
}

static void put_list_keys(void)
{
    OK(stor_bucket_create(g_st, "b", "111111111111", NULL));
    for (size_t i = 0; i < ARRAY_LEN(list_keys); i++)
        OK(put_str("b", list_keys[i], list_keys[i]));
    /* noise that must never be listed: a deleted key, another bucket */
    OK(put_str("b", "deleted", "x"));
    OK(stor_object_delete(g_st, "b", "deleted", NULL, NULL, NULL));
    OK(stor_bucket_create(g_st, "other", "111111111111", NULL));
    OK(put_str("other", "a/zzz", "x"));
}

/* One store for the whole table (a fresh store per row costs more than the row). */
START_TEST(list_table)
{
    char got[2048];

    put_list_keys();
    for (size_t i = 0; i < ARRAY_LEN(list_cases); i++) {
        const struct list_case *c = &list_cases[i];
        struct stor_list_req q = { .prefix = c->prefix, .delimiter = c->delim, .start_after = c->after,
                                   .max_keys = c->max };
        struct stor_list_res r;
        OK(stor_list_objects(g_st, "b", &q, &r));
        list_render(&r, got, sizeof(got));
        ck_assert_msg(strcmp(got, c->want) == 0, "case %zu (prefix %s delim %s after %s max %u):\n got  %s\n want %s",
                      i, c->prefix ? c->prefix : "-", c->delim ? c->delim : "-", c->after ? c->after : "-", c->max,
                      got, c->want);
        stor_list_res_release(&r);
    }
}
END_TEST

/* Paging by next_marker through any page size gives the same sequence as one big page. */
START_TEST(list_paging_by_marker)
{
    char all[2048], paged[2048];
    struct stor_list_res r;

    put_list_keys();
    for (int withdelim = 0; withdelim < 2; withdelim++) {
        struct stor_list_req q = { .delimiter = withdelim ? "/" : NULL, .max_keys = 1000 };
        size_t o = 0;
        OK(stor_list_objects(g_st, "b", &q, &r));
        /* merged order of entries and prefixes == order of the key space */
        all[0] = 0;
        {
            size_t ie = 0, ip = 0, ao = 0;
            while (ie < r.n_entries || ip < r.n_prefixes) {
                const char *s;
                if (ip == r.n_prefixes || (ie < r.n_entries && strcmp(r.entries[ie].obj.key, r.prefixes[ip]) < 0))
                    s = r.entries[ie++].obj.key;
                else
                    s = r.prefixes[ip++];
                ao += (size_t)snprintf(all + ao, sizeof(all) - ao, "%s;", s);
            }
        }
        stor_list_res_release(&r);
        for (unsigned page = 1; page <= 4; page++) {
            char *marker = NULL;
            int pages = 0;
            o = 0;
            paged[0] = 0;
            for (;;) {
                struct stor_list_req pq = { .delimiter = q.delimiter, .start_after = marker, .max_keys = page };
                size_t ie = 0, ip = 0;
                OK(stor_list_objects(g_st, "b", &pq, &r));
                ck_assert_uint_le(r.n_entries + r.n_prefixes, page);
                while (ie < r.n_entries || ip < r.n_prefixes) {
                    const char *s;
                    if (ip == r.n_prefixes ||
                        (ie < r.n_entries && strcmp(r.entries[ie].obj.key, r.prefixes[ip]) < 0))
                        s = r.entries[ie++].obj.key;
                    else
                        s = r.prefixes[ip++];
                    o += (size_t)snprintf(paged + o, sizeof(paged) - o, "%s;", s);
                }
                free(marker);
                marker = r.next_marker ? strdup(r.next_marker) : NULL;
                pages++;
                if (!r.is_truncated) {
                    stor_list_res_release(&r);
                    break;
                }
                stor_list_res_release(&r);
                ck_assert_int_lt(pages, 100);
            }
            free(marker);
            ck_assert_msg(strcmp(all, paged) == 0, "page size %u delim %d:\n %s\n %s", page, withdelim, all, paged);
        }
    }
}
END_TEST

START_TEST(list_ten_thousand)
{
    char key[64], *marker = NULL;
    struct stor_list_res r;
    size_t seen = 0;
    int pages = 0;
    double t0, t1;

    OK(stor_bucket_create(g_st, "b", "111111111111", NULL));
    for (int i = 0; i < 10000; i++) {
        snprintf(key, sizeof(key), "dir%02d/key%05d", i % 100, i);
        OK(put_str("b", key, "v"));
    }
    t0 = now_s();
    for (;;) {
        struct stor_list_req q = { .start_after = marker, .max_keys = 1000 };
        OK(stor_list_objects(g_st, "b", &q, &r));
        pages++;
        for (size_t i = 0; i < r.n_entries; i++, seen++) {
            /* byte order: dirNN then keyNNNNN */
            int d = (int)(seen / 100), k = (int)(seen % 100) * 100 + d;
            snprintf(key, sizeof(key), "dir%02d/key%05d", d, k);
            ck_assert_str_eq(r.entries[i].obj.key, key);
        }
        ck_assert_int_eq(r.is_truncated, pages < 10);
        free(marker);
        marker = r.next_marker ? strdup(r.next_marker) : NULL;
        if (!r.is_truncated) {
            stor_list_res_release(&r);
            break;
        }
        stor_list_res_release(&r);
    }
    t1 = now_s();
    free(marker);
    ck_assert_uint_eq(seen, 10000);
    ck_assert_int_eq(pages, 10);
    /* the root with a delimiter: 100 prefixes, one seek each */
    {
        struct stor_list_req q = { .delimiter = "/", .max_keys = 1000 };
        OK(stor_list_objects(g_st, "b", &q, &r));
        ck_assert_uint_eq(r.n_prefixes, 100);
        ck_assert_uint_eq(r.n_entries, 0);
        ck_assert_str_eq(r.prefixes[99], "dir99/");
        stor_list_res_release(&r);
    }
    fprintf(stderr, "check_storage: listed 10000 keys in 10 pages in %.1f ms\n", (t1 - t0) * 1e3);
}
END_TEST

/* ------------------------------------------------------------------ multipart */

/* Upload part number num with bytes p[0..n); *etag_out gets its quoted MD5. */
static s3_err put_part(const char *bucket, const char *key, const char *uid, unsigned num, const void *p, size_t n,
                       char *etag_out)
{
    etag_of(p, n, etag_out);
    return stor_part_put(g_st, bucket, key, uid, num, make_blob(p, n), etag_out, STOR_CK_NONE, NULL);
}

START_TEST(multipart_complete)
{
    const size_t p1 = 5 * MIB + 7, p2 = 5 * MIB, p3 = 70000, total = p1 + p2 + p3;
    unsigned char *data = malloc(total), *other = malloc(p2), *buf = malloc(total);
    char e1[40], e2[40], e3[40], eo[40], *uid = NULL;
    char before[8][40], after[8][40];
    struct stor_object in, out, got;
    struct stor_parts parts;
    struct stor_reader *r;

    fill(data, total, 11);
    fill(other, p2, 12);
    OK(stor_bucket_create(g_st, "b", "111111111111", NULL));
    memset(&in, 0, sizeof(in));
    in.content_type = (char *)"video/mp4";
    in.storage_class = (char *)"STANDARD_IA";
    in.cksum_alg = STOR_CK_SHA256;
    in.cksum_type = (char *)"COMPOSITE";
    OK(stor_kvs_add(&in.meta, "m", "1"));
    OK(stor_mpu_create(g_st, "b", "big/file", &in, &uid));
    stor_kvs_release(&in.meta);
    ck_assert_ptr_nonnull(uid);
    OK(stor_mpu_get(g_st, "b", "big/file", uid, &got));
    ck_assert_str_eq(got.content_type, "video/mp4");
    ck_assert_str_eq(got.storage_class, "STANDARD_IA");
    ck_assert_str_eq(got.key, "big/file");
    ck_assert_uint_eq(got.meta.n, 1);
    stor_object_release(&got);
    EXPECT(stor_mpu_get(g_st, "b", "other/key", uid, &got), S3E_NO_SUCH_UPLOAD);
    EXPECT(stor_mpu_get(g_st, "b", "big/file", "nosuchupload", &got), S3E_NO_SUCH_UPLOAD);
    EXPECT(stor_mpu_get(g_st, "nope", "big/file", uid, &got), S3E_NO_SUCH_BUCKET);

    OK(put_part("b", "big/file", uid, 3, data + p1 + p2, p3, e3));
    OK(put_part("b", "big/file", uid, 1, data, p1, e1));
    OK(put_part("b", "big/file", uid, 2, other, p2, eo));
    ck_assert_uint_eq(count_blobs(), 3);
    OK(put_part("b", "big/file", uid, 2, data + p1, p2, e2));   /* replaces part 2 */
    ck_assert_uint_eq(count_blobs(), 3);
    EXPECT(put_part("b", "big/file", "nosuchupload", 4, "x", 1, eo), S3E_NO_SUCH_UPLOAD);
    EXPECT(put_part("b", "big/file", uid, 0, "x", 1, eo), S3E_INVALID_ARGUMENT);
    EXPECT(put_part("b", "big/file", uid, 10001, "x", 1, eo), S3E_INVALID_ARGUMENT);
    ck_assert_uint_eq(count_blobs(), 3);

    OK(stor_part_list(g_st, "b", "big/file", uid, 0, 2, &parts));
    ck_assert_uint_eq(parts.n, 2);
    ck_assert_uint_eq(parts.v[0].number, 1);
    ck_assert_uint_eq(parts.v[0].size, p1);
    ck_assert_str_eq(parts.v[0].etag, e1);
    ck_assert_uint_eq(parts.v[1].number, 2);
    ck_assert_str_eq(parts.v[1].etag, e2);
    ck_assert_int_eq(parts.is_truncated, 1);
    ck_assert_uint_eq(parts.next_marker, 2);
    stor_parts_release(&parts);
    OK(stor_part_list(g_st, "b", "big/file", uid, 2, 2, &parts));
    ck_assert_uint_eq(parts.n, 1);
    ck_assert_uint_eq(parts.v[0].number, 3);
    ck_assert_int_eq(parts.is_truncated, 0);
    stor_parts_release(&parts);

    ck_assert_uint_eq(blob_files(before, 8), 3);
    {
        /* ETags as clients send them: quoted, unquoted */
        char u2[40];
        struct stor_complete_part cp[3] = { { 1, e1, NULL }, { 2, u2, NULL }, { 3, e3, NULL } };
        unsigned char cat[48], d[16];
        char want[64], h[33];
        snprintf(u2, sizeof(u2), "%.32s", e2 + 1);
        OK(stor_mpu_complete(g_st, "b", "big/file", uid, cp, 3, "abc=-3", &out));
        /* independent: md5 of the concatenated binary part md5s */
        md5(data, p1, cat);
        md5(data + p1, p2, cat + 16);
        md5(data + p1 + p2, p3, cat + 32);
        md5(cat, 48, d);
        hex(d, 16, h);
        snprintf(want, sizeof(want), "\"%s-3\"", h);
        ck_assert_str_eq(out.etag, want);
        ck_assert_uint_eq(out.size, total);
        ck_assert_uint_eq(out.parts_count, 3);
        ck_assert_str_eq(out.cksum_value, "abc=-3");
        ck_assert_int_eq(out.cksum_alg, STOR_CK_SHA256);
        ck_assert_str_eq(out.cksum_type, "COMPOSITE");
        ck_assert_str_eq(out.content_type, "video/mp4");
        ck_assert_str_eq(out.storage_class, "STANDARD_IA");
        ck_assert_str_eq(out.version_id, "null");
        stor_object_release(&out);
    }
    /* no copy: the very same blob files now hold the object */
    ck_assert_uint_eq(blob_files(after, 8), 3);
    for (int i = 0; i < 3; i++) {
        int found = 0;
        for (int j = 0; j < 3; j++)
            found |= strcmp(before[i], after[j]) == 0;
        ck_assert(found);
    }
    EXPECT(stor_mpu_get(g_st, "b", "big/file", uid, &got), S3E_NO_SUCH_UPLOAD);
    EXPECT(stor_part_list(g_st, "b", "big/file", uid, 0, 10, &parts), S3E_NO_SUCH_UPLOAD);

    /* whole object and ranges across part boundaries */
    expect_content("b", "big/file", NULL, data, total);
    OK(stor_reader_open(g_st, "b", "big/file", NULL, NULL, &r));
    {
        const struct { uint64_t off; size_t len; } rc[] = {
            { p1 - 10, 20 }, { p1 - 1, p2 + 2 }, { p1 + p2 - 5, 100 }, { 0, total },
            { p1, p2 }, { p1 + p2, p3 }, { total - 1, 5 }, { 5 * SEG + 3, 2 * SEG },
        };
        for (size_t i = 0; i < ARRAY_LEN(rc); i++) {
            size_t want = rc[i].off + rc[i].len <= total ? rc[i].len : total - rc[i].off;
            ck_assert_int_eq(stor_reader_pread(r, buf, rc[i].len, rc[i].off), (ssize_t)want);
            ck_assert_msg(memcmp(buf, data + rc[i].off, want) == 0, "range %zu", i);
        }
    }
    stor_reader_close(r);

    /* overwriting the object removes all three part blobs */
    OK(put_str("b", "big/file", "small"));
    ck_assert_uint_eq(count_blobs(), 1);
    free(uid);
    free(data);
    free(other);
    free(buf);
}
END_TEST

START_TEST(multipart_errors_and_abort)
{
    const size_t big = 5 * MIB;
    unsigned char *d = malloc(big);
    char e1[40], e2[40], e3[40], *uid = NULL;
    struct stor_object out;

    fill(d, big, 5);
    OK(stor_bucket_create(g_st, "b", "111111111111", NULL));
    OK(stor_mpu_create(g_st, "b", "k", NULL, &uid));
    OK(put_part("b", "k", uid, 1, "small one", 9, e1));
    OK(put_part("b", "k", uid, 2, "small two", 9, e2));
    etag_of(d, big, e3);
    OK(stor_part_put(g_st, "b", "k", uid, 3, make_blob(d, big), e3, STOR_CK_SHA256, "right="));
    {
        struct stor_complete_part unknown[] = { { 1, e1, NULL }, { 4, e2, NULL } };
        struct stor_complete_part badtag[] = { { 1, e2, NULL }, { 2, e2, NULL } };
        struct stor_complete_part order[] = { { 2, e2, NULL }, { 1, e1, NULL } };
        struct stor_complete_part dup[] = { { 1, e1, NULL }, { 1, e1, NULL } };
        struct stor_complete_part small[] = { { 1, e1, NULL }, { 2, e2, NULL } };
        struct stor_complete_part small2[] = { { 1, e1, NULL }, { 3, e3, NULL } };
        struct stor_complete_part ck[] = { { 3, e3, "wrong=" } };
        EXPECT(stor_mpu_complete(g_st, "b", "k", uid, unknown, 2, NULL, &out), S3E_INVALID_PART);
        EXPECT(stor_mpu_complete(g_st, "b", "k", uid, badtag, 2, NULL, &out), S3E_INVALID_PART);
        EXPECT(stor_mpu_complete(g_st, "b", "k", uid, order, 2, NULL, &out), S3E_INVALID_PART_ORDER);
        EXPECT(stor_mpu_complete(g_st, "b", "k", uid, dup, 2, NULL, &out), S3E_INVALID_PART_ORDER);
        EXPECT(stor_mpu_complete(g_st, "b", "k", uid, small, 2, NULL, &out), S3E_ENTITY_TOO_SMALL);
        EXPECT(stor_mpu_complete(g_st, "b", "k", uid, small2, 2, NULL, &out), S3E_ENTITY_TOO_SMALL);
        EXPECT(stor_mpu_complete(g_st, "b", "k", uid, small, 0, NULL, &out), S3E_MALFORMED_XML);
        EXPECT(stor_mpu_complete(g_st, "b", "other", uid, small, 2, NULL, &out), S3E_NO_SUCH_UPLOAD);
        EXPECT(stor_mpu_complete(g_st, "b", "k", uid, ck, 1, NULL, &out), S3E_INVALID_PART);
    }
    /* nothing changed by the failures */
    ck_assert_uint_eq(count_blobs(), 3);
    {
        struct stor_object got;
        EXPECT(stor_object_get(g_st, "b", "k", NULL, &got), S3E_NO_SUCH_KEY);
    }
    /* the client's list may skip parts: unused parts are deleted; a lone small part is fine */
    {
        struct stor_complete_part two[] = { { 2, e2, NULL } };
        OK(stor_mpu_complete(g_st, "b", "k", uid, two, 1, NULL, &out));
        ck_assert_uint_eq(out.size, 9);
        ck_assert_uint_eq(out.parts_count, 1);
        stor_object_release(&out);
        ck_assert_uint_eq(count_blobs(), 1);
        expect_content("b", "k", NULL, "small two", 9);
        EXPECT(stor_mpu_complete(g_st, "b", "k", uid, two, 1, NULL, &out), S3E_NO_SUCH_UPLOAD);
    }
    free(uid);

    /* abort removes the upload, its parts and their blobs */
    OK(stor_mpu_create(g_st, "b", "k2", NULL, &uid));
    OK(put_part("b", "k2", uid, 1, d, big, e1));
    OK(put_part("b", "k2", uid, 2, "tail", 4, e2));
    ck_assert_uint_eq(count_blobs(), 3);
    EXPECT(stor_mpu_abort(g_st, "b", "wrongkey", uid), S3E_NO_SUCH_UPLOAD);
    OK(stor_mpu_abort(g_st, "b", "k2", uid));
    ck_assert_uint_eq(count_blobs(), 1);
    EXPECT(stor_mpu_abort(g_st, "b", "k2", uid), S3E_NO_SUCH_UPLOAD);
    EXPECT(put_part("b", "k2", uid, 3, "late", 4, e3), S3E_NO_SUCH_UPLOAD);
    ck_assert_uint_eq(count_blobs(), 1);
    free(uid);

    /* completing into a versioned bucket keeps the earlier version */
    OK(stor_bucket_set_versioning(g_st, "b", 1));
    OK(stor_mpu_create(g_st, "b", "k", NULL, &uid));
    OK(put_part("b", "k", uid, 1, "v2", 2, e1));
    {
        struct stor_complete_part one[] = { { 1, e1, NULL } };
        OK(stor_mpu_complete(g_st, "b", "k", uid, one, 1, NULL, &out));
        ck_assert_uint_eq(strlen(out.version_id), 32);
        stor_object_release(&out);
        ck_assert_uint_eq(count_versions("b"), 2);
        expect_content("b", "k", NULL, "v2", 2);
        expect_content("b", "k", "null", "small two", 9);
    }
    free(uid);
    free(d);
}
END_TEST

START_TEST(multipart_list_uploads)
{
    char *u[4];
    const char *keys[4] = { "x/1", "x/2", "x/2", "y" };
    struct stor_uploads l;

    OK(stor_bucket_create(g_st, "b", "111111111111", NULL));
    for (int i = 0; i < 4; i++)
        OK(stor_mpu_create(g_st, "b", keys[i], NULL, &u[i]));
    OK(stor_mpu_list(g_st, "b", NULL, "/", NULL, NULL, 1000, &l));
    ck_assert_uint_eq(l.n, 1);
    ck_assert_str_eq(l.v[0].key, "y");
    ck_assert_str_eq(l.v[0].storage_class, "STANDARD");
    ck_assert(l.v[0].initiated_ms > 1600000000000LL);
    ck_assert_uint_eq(l.n_prefixes, 1);
    ck_assert_str_eq(l.prefixes[0], "x/");
    stor_uploads_release(&l);
    OK(stor_mpu_list(g_st, "b", "x/", NULL, NULL, NULL, 1000, &l));
    ck_assert_uint_eq(l.n, 3);
    ck_assert_str_eq(l.v[1].upload_id, u[1]);   /* same key: in order of initiation */
    ck_assert_str_eq(l.v[2].upload_id, u[2]);
    stor_uploads_release(&l);
    /* one at a time with key + upload id markers */
    {
        char *km = NULL, *um = NULL;
        int i = 0;
        for (;; i++) {
            OK(stor_mpu_list(g_st, "b", NULL, NULL, km, um, 1, &l));
            ck_assert_uint_eq(l.n, 1);
            ck_assert_str_eq(l.v[0].key, keys[i]);
            ck_assert_str_eq(l.v[0].upload_id, u[i]);
            free(km);
            free(um);
            km = strdup(l.next_key_marker);
            um = strdup(l.next_upload_id_marker);
            ck_assert_int_eq(l.is_truncated, i < 3);
            if (!l.is_truncated) {
                stor_uploads_release(&l);
                break;
            }
            stor_uploads_release(&l);
        }
        ck_assert_int_eq(i, 3);
        free(km);
        free(um);
    }
    /* key-marker alone: after every upload of that key */
    OK(stor_mpu_list(g_st, "b", NULL, NULL, "x/2", NULL, 1000, &l));
    ck_assert_uint_eq(l.n, 1);
    ck_assert_str_eq(l.v[0].key, "y");
    stor_uploads_release(&l);
    EXPECT(stor_mpu_list(g_st, "nope", NULL, NULL, NULL, NULL, 1000, &l), S3E_NO_SUCH_BUCKET);
    for (int i = 0; i < 4; i++) {
        OK(stor_mpu_abort(g_st, "b", keys[i], u[i]));
        free(u[i]);
    }
}
END_TEST

/* ------------------------------------------------------------------ inline blobs */

/* The stored bytes of the one inline blob (malloc'd), and their length. */
static unsigned char *inline_row(size_t *n_out, unsigned char *id_out)
{
    sqlite3 *db = db_open();
    sqlite3_stmt *s = NULL;
    unsigned char *p;
    ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT id, data FROM blob_inline", -1, &s, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
    *n_out = (size_t)sqlite3_column_bytes(s, 1);
    p = malloc(*n_out);
    ck_assert_ptr_nonnull(p);
    memcpy(p, sqlite3_column_blob(s, 1), *n_out);
    if (id_out) {
        ck_assert_int_eq(sqlite3_column_bytes(s, 0), 16);
        memcpy(id_out, sqlite3_column_blob(s, 0), 16);
    }
    ck_assert_int_eq(sqlite3_step(s), SQLITE_DONE);   /* exactly one row */
    sqlite3_finalize(s);
    sqlite3_close(db);
    return p;
}

/* Replace the data of the one inline blob with p[0..n). */
static void inline_set(const unsigned char *p, size_t n)
{
    sqlite3 *db = db_open();
    sqlite3_stmt *s = NULL;
    ck_assert_int_eq(sqlite3_prepare_v2(db, "UPDATE blob_inline SET data=?1", -1, &s, NULL), SQLITE_OK);
    sqlite3_bind_blob(s, 1, p, (int)n, SQLITE_TRANSIENT);
    ck_assert_int_eq(sqlite3_step(s), SQLITE_DONE);
    ck_assert_int_eq(sqlite3_changes(db), 1);
    sqlite3_finalize(s);
    sqlite3_close(db);
}

/* Sizes around the threshold (one segment): at most STOR_INLINE_MAX stays in SQLite. */
struct inline_case {
    size_t size;
    int inl;
};
static const struct inline_case inline_cases[] = {
    { 0, 1 },       { 1, 1 },       { 4096, 1 },        { SEG - 1, 1 },       { SEG, 1 },
    { SEG + 1, 0 }, { 2 * SEG, 0 }, { 2 * SEG + 1, 0 }, { 3 * SEG + 777, 0 },
};

/* Check ranges of key against data[0..n): whole, around every segment boundary, past the end. */
static void check_ranges(const char *key, const unsigned char *data, size_t n)
{
    struct stor_reader *r;
    unsigned char *buf = malloc(n + 200);
    uint64_t offs[] = { 0, 1, SEG - 10, SEG - 1, SEG, SEG + 1, 2 * SEG - 3, n ? n - 1 : 0, n / 2, n, n + 5 };
    size_t lens[] = { 1, 20, 2, SEG + 2, n + 100 };

    ck_assert_ptr_nonnull(buf);
    OK(stor_reader_open(g_st, "b", key, NULL, NULL, &r));
    for (size_t i = 0; i < ARRAY_LEN(offs); i++) {
        for (size_t j = 0; j < ARRAY_LEN(lens); j++) {
            uint64_t off = offs[i];
            size_t want = off >= n ? 0 : (off + lens[j] <= n ? lens[j] : (size_t)(n - off));
            memset(buf, 0xAA, want + 1);
            ck_assert_msg(stor_reader_pread(r, buf, lens[j], off) == (ssize_t)want, "%s: off %llu len %zu", key,
                          (unsigned long long)off, lens[j]);
            ck_assert_msg(want == 0 || memcmp(buf, data + off, want) == 0, "%s: off %llu len %zu: bytes differ", key,
                          (unsigned long long)off, lens[j]);
        }
    }
    stor_reader_close(r);
    free(buf);
}

START_TEST(inline_threshold)
{
    const struct inline_case *c = &inline_cases[_i];
    const size_t n = c->size, other_n = c->inl ? 2 * SEG + 5 : 100;
    unsigned char *data = malloc(n + 1), *other = malloc(other_n);

    fill(data, n, (uint32_t)_i + 1);
    fill(other, other_n, 99);
    OK(stor_bucket_create(g_st, "b", "111111111111", NULL));
    ck_assert_int_eq(dir_entries("blobs"), 0);   /* fan-out directories are made on first use */
    OK(put_obj("b", "k", data, n, NULL, NULL));
    ck_assert_msg(count_inline() == (size_t)c->inl && count_files() == (size_t)!c->inl,
                  "size %zu: %zu inline, %zu files", n, count_inline(), count_files());
    ck_assert_int_eq(dir_entries("tmp"), 0);
    ck_assert_int_eq(dir_entries("blobs"), c->inl ? 0 : 1);
    /* an inline blob is named by the object row itself; a file through object_segs */
    ck_assert_int_eq(sql_int("SELECT count(*) FROM objects WHERE blob_id IS NOT NULL"), c->inl);
    ck_assert_int_eq(sql_int("SELECT count(*) FROM object_segs"), !c->inl);
    if (c->inl) {
        /* the file format, in a row: header, one segment of ciphertext, its tag; no plaintext */
        size_t rn;
        unsigned char *row = inline_row(&rn, NULL);
        ck_assert_uint_eq(rn, HDR + n + 16);
        ck_assert(memcmp(row, "S3IB", 4) == 0);
        ck_assert(n < 64 || memmem(row, rn, data + 20, 32) == NULL);
        free(row);
    }
    expect_content("b", "k", NULL, data, n);
    check_ranges("k", data, n);
    reopen();
    check_ranges("k", data, n);

    /* replaced by the other kind: the old blob goes, whichever kind it was */
    OK(put_obj("b", "k", other, other_n, NULL, NULL));
    ck_assert_uint_eq(count_inline(), (size_t)!c->inl);
    ck_assert_uint_eq(count_files(), (size_t)c->inl);
    expect_content("b", "k", NULL, other, other_n);
    OK(put_obj("b", "k", data, n, NULL, NULL));
    ck_assert_uint_eq(count_inline(), (size_t)c->inl);
    ck_assert_uint_eq(count_files(), (size_t)!c->inl);
    expect_content("b", "k", NULL, data, n);
    OK(stor_object_delete(g_st, "b", "k", NULL, NULL, NULL));
    ck_assert_uint_eq(count_blobs(), 0);
    OK(stor_integrity_check(g_st));
    free(data);
    free(other);
}
END_TEST

/* Inline and file blobs side by side through versions, markers, overwrites and deletes; every
 * way a version goes removes its inline row in the same transaction. */
START_TEST(inline_and_files_coexist)
{
    const size_t big = 2 * SEG + 9;
    unsigned char *b1 = malloc(big), small[3][500];
    struct stor_object o[3];
    unsigned char id1[16], id2[16];
    size_t rn;
    char *v;
    int marker;

    fill(b1, big, 1);
    for (int i = 0; i < 3; i++)
        fill(small[i], sizeof(small[i]), (uint32_t)i + 10);
    OK(stor_bucket_create(g_st, "b", "111111111111", NULL));

    /* unversioned: inline replaced by inline, the row changes id */
    OK(put_obj("b", "u", small[0], 500, NULL, NULL));
    free(inline_row(&rn, id1));
    OK(put_obj("b", "u", small[1], 500, NULL, NULL));
    free(inline_row(&rn, id2));
    ck_assert(memcmp(id1, id2, 16) < 0);   /* inline ids grow: blob_inline appends */
    expect_content("b", "u", NULL, small[1], 500);
    OK(stor_object_delete(g_st, "b", "u", NULL, NULL, NULL));
    ck_assert_uint_eq(count_blobs(), 0);

    /* versioned: small, big, small */
    OK(stor_bucket_set_versioning(g_st, "b", 1));
    OK(put_obj("b", "k", small[0], 500, NULL, &o[0]));
    OK(put_obj("b", "k", b1, big, NULL, &o[1]));
    OK(put_obj("b", "k", small[2], 500, NULL, &o[2]));
    ck_assert_uint_eq(count_inline(), 2);
    ck_assert_uint_eq(count_files(), 1);
    expect_content("b", "k", o[0].version_id, small[0], 500);
    expect_content("b", "k", o[1].version_id, b1, big);
    expect_content("b", "k", NULL, small[2], 500);
    /* a delete marker removes no bytes */
    OK(stor_object_delete(g_st, "b", "k", NULL, &marker, &v));
    ck_assert_int_eq(marker, 1);
    ck_assert_uint_eq(count_blobs(), 3);
    OK(stor_object_delete(g_st, "b", "k", v, NULL, NULL));
    free(v);
    /* a reader of an inline version keeps its bytes after the version is deleted */
    {
        struct stor_reader *r;
        unsigned char buf[500];
        OK(stor_reader_open(g_st, "b", "k", o[0].version_id, NULL, &r));
        OK(stor_object_delete(g_st, "b", "k", o[0].version_id, NULL, NULL));
        ck_assert_uint_eq(count_inline(), 1);
        ck_assert_int_eq(stor_reader_pread(r, buf, sizeof(buf), 0), 500);
        ck_assert(memcmp(buf, small[0], 500) == 0);
        stor_reader_close(r);
    }
    OK(stor_object_delete(g_st, "b", "k", o[1].version_id, NULL, NULL));
    ck_assert_uint_eq(count_inline(), 1);
    ck_assert_uint_eq(count_files(), 0);
    expect_content("b", "k", NULL, small[2], 500);
    /* suspended: the null version is replaced, bytes and all */
    OK(stor_bucket_set_versioning(g_st, "b", 2));
    OK(put_obj("b", "k", small[0], 500, NULL, NULL));
    OK(put_obj("b", "k", small[1], 500, NULL, NULL));
    ck_assert_uint_eq(count_inline(), 2);   /* o[2] and the null version */
    OK(stor_object_delete(g_st, "b", "k", "null", NULL, NULL));
    OK(stor_object_delete(g_st, "b", "k", o[2].version_id, NULL, NULL));
    ck_assert_uint_eq(count_blobs(), 0);
    OK(stor_integrity_check(g_st));
    for (int i = 0; i < 3; i++)
        stor_object_release(&o[i]);
    free(b1);
}
END_TEST

/* Inline bytes are as authenticated as a file's: any change, or the row under another id, fails. */
struct tamper_case {
    const char *what;
    long off;          /* byte flipped (negative: from the end); -1000000: cut to 50 bytes */
};
static const struct tamper_case tamper_cases[] = {
    { "ciphertext", HDR + 100 }, { "segment tag", -1 }, { "wrapped data key", 30 }, { "key wrap nonce", 13 },
    { "segment size in the header", 10 }, { "magic", 0 }, { "truncated", -1000000 },
};

START_TEST(inline_tamper)
{
    const struct tamper_case *c = &tamper_cases[_i];
    unsigned char data[3000], buf[100], *row;
    struct stor_reader *r;
    size_t rn;

    fill(data, sizeof(data), 4);
    OK(stor_bucket_create(g_st, "b", "111111111111", NULL));
    OK(put_obj("b", "k", data, sizeof(data), NULL, NULL));
    row = inline_row(&rn, NULL);
    if (c->off == -1000000) {
        inline_set(row, 50);
    } else {
        size_t at = c->off < 0 ? rn - (size_t)-c->off : (size_t)c->off;
        row[at] ^= 1;
        inline_set(row, rn);
        row[at] ^= 1;
    }
    OK(stor_reader_open(g_st, "b", "k", NULL, NULL, &r));
    ck_assert_msg(stor_reader_pread(r, buf, 10, 0) == -1, "%s: read despite the damage", c->what);
    stor_reader_close(r);
    inline_set(row, rn);   /* restored: reads again */
    OK(stor_reader_open(g_st, "b", "k", NULL, NULL, &r));
    ck_assert_int_eq(stor_reader_pread(r, buf, 100, 5), 100);
    ck_assert(memcmp(buf, data + 5, 100) == 0);
    stor_reader_close(r);
    free(row);
}
END_TEST

/* The id is bound into the key wrap: the bytes under another id do not open. */
START_TEST(inline_wrong_id)
{
    struct stor_reader *r;
    unsigned char buf[10];

    OK(stor_bucket_create(g_st, "b", "111111111111", NULL));
    OK(put_str("b", "k", "some secret bytes"));
    /* seq: the id's first 8 bytes, 0x0011223344556677 */
    sql_exec("INSERT INTO blob_inline SELECT 4822678189205111, x'00112233445566778899aabbccddeeff', data "
             "FROM blob_inline;"
             "UPDATE objects SET blob_id=x'00112233445566778899aabbccddeeff' WHERE blob_id IS NOT NULL;"
             "DELETE FROM blob_inline WHERE id<>x'00112233445566778899aabbccddeeff';");
    OK(stor_reader_open(g_st, "b", "k", NULL, NULL, &r));
    ck_assert_int_eq(stor_reader_pread(r, buf, sizeof(buf), 0), -1);
    stor_reader_close(r);
}
END_TEST

/* Parts may be inline; completion keeps the used ones (now the object's), drops the others;
 * abort and part replacement drop theirs. */
START_TEST(multipart_inline_parts)
{
    const size_t p1 = 5 * MIB, p2 = 1000;
    unsigned char *data = malloc(p1 + p2), tail2[700], spare[300];
    char e1[40], e2[40], e3[40], *uid = NULL;
    unsigned char id_a[16], id_b[16];
    struct stor_object out;
    size_t rn;

    fill(data, p1 + p2, 21);
    fill(tail2, sizeof(tail2), 22);
    fill(spare, sizeof(spare), 23);
    OK(stor_bucket_create(g_st, "b", "111111111111", NULL));
    OK(stor_mpu_create(g_st, "b", "m", NULL, &uid));
    OK(put_part("b", "m", uid, 1, data, p1, e1));
    OK(put_part("b", "m", uid, 2, tail2, sizeof(tail2), e2));
    free(inline_row(&rn, id_a));
    ck_assert_uint_eq(count_files(), 1);
    /* part 2 replaced by another small part: the old row goes */
    OK(put_part("b", "m", uid, 2, data + p1, p2, e2));
    free(inline_row(&rn, id_b));
    ck_assert(memcmp(id_a, id_b, 16) < 0);
    OK(put_part("b", "m", uid, 3, spare, sizeof(spare), e3));   /* left out of the completion */
    ck_assert_uint_eq(count_inline(), 2);
    {
        struct stor_complete_part cp[] = { { 1, e1, NULL }, { 2, e2, NULL } };
        OK(stor_mpu_complete(g_st, "b", "m", uid, cp, 2, NULL, &out));
        ck_assert_uint_eq(out.size, p1 + p2);
        ck_assert_uint_eq(out.parts_count, 2);
        stor_object_release(&out);
    }
    /* the used inline part is now the object's: same row, same id, listed in object_segs */
    free(inline_row(&rn, id_a));
    ck_assert(memcmp(id_a, id_b, 16) == 0);
    ck_assert_int_eq(sql_int("SELECT count(*) FROM object_segs"), 2);
    ck_assert_int_eq(sql_int("SELECT count(*) FROM objects WHERE blob_id IS NOT NULL"), 0);
    ck_assert_uint_eq(count_files(), 1);
    free(uid);
    expect_content("b", "m", NULL, data, p1 + p2);
    check_ranges("m", data, p1 + p2);
    {
        struct stor_reader *r;
        unsigned char buf[64];
        OK(stor_reader_open(g_st, "b", "m", NULL, NULL, &r));
        ck_assert_int_eq(stor_reader_pread(r, buf, 64, p1 - 32), 64);   /* across the part boundary */
        ck_assert(memcmp(buf, data + p1 - 32, 64) == 0);
        ck_assert_int_eq(stor_reader_pread(r, buf, 64, p1 + p2 - 10), 10);
        ck_assert(memcmp(buf, data + p1 + p2 - 10, 10) == 0);
        stor_reader_close(r);
    }
    reopen();
    expect_content("b", "m", NULL, data, p1 + p2);
    OK(stor_integrity_check(g_st));

    /* a lone small part becomes the whole object */
    OK(stor_mpu_create(g_st, "b", "one", NULL, &uid));
    OK(put_part("b", "one", uid, 7, spare, sizeof(spare), e3));
    {
        struct stor_complete_part cp[] = { { 7, e3, NULL } };
        OK(stor_mpu_complete(g_st, "b", "one", uid, cp, 1, NULL, NULL));
    }
    free(uid);
    expect_content("b", "one", NULL, spare, sizeof(spare));
    ck_assert_uint_eq(count_inline(), 2);

    /* abort: every part's blob goes, inline or file */
    OK(stor_mpu_create(g_st, "b", "ab", NULL, &uid));
    OK(put_part("b", "ab", uid, 1, data, p1, e1));
    OK(put_part("b", "ab", uid, 2, tail2, sizeof(tail2), e2));
    OK(put_part("b", "ab", uid, 3, spare, sizeof(spare), e3));
    ck_assert_uint_eq(count_inline(), 4);
    ck_assert_uint_eq(count_files(), 2);
    OK(stor_mpu_abort(g_st, "b", "ab", uid));
    ck_assert_uint_eq(count_inline(), 2);
    ck_assert_uint_eq(count_files(), 1);
    free(uid);

    /* deleting the objects removes the rest */
    OK(stor_object_delete(g_st, "b", "m", NULL, NULL, NULL));
    OK(stor_object_delete(g_st, "b", "one", NULL, NULL, NULL));
    ck_assert_uint_eq(count_blobs(), 0);
    OK(stor_integrity_check(g_st));
    free(data);
}
END_TEST

/* A failing SQLite write (a trigger raising an error on one table) fails the request and
 * leaves the previous state whole: no new row, no file, the old bytes readable. */
struct wfail_case {
    const char *table;   /* where the trigger sits */
    const char *event;   /* INSERT or DELETE */
    size_t size;         /* of the new object (or part); 0: a part of "small" size */
    int part;            /* UploadPart instead of PutObject */
};
static const struct wfail_case wfail_cases[] = {
    { "blob_inline", "INSERT", 2000, 0 }, { "objects", "INSERT", 2000, 0 },  { "object_segs", "INSERT", 200000, 0 },
    { "blob_inline", "DELETE", 2000, 0 }, { "objects", "INSERT", 200000, 0 }, { "parts", "INSERT", 2000, 1 },
    { "blob_inline", "INSERT", 2000, 1 }, { "blob_inline", "DELETE", 2000, 1 },
};

START_TEST(inline_write_failure)
{
    const struct wfail_case *c = &wfail_cases[_i];
    unsigned char old[1500], *nu = malloc(c->size);
    char trig[256], etag[40], *uid = NULL;
    size_t inl, files;
    s3_err e;

    fill(old, sizeof(old), 1);
    fill(nu, c->size, 2);
    OK(stor_bucket_create(g_st, "b", "111111111111", NULL));
    OK(put_obj("b", "k", old, sizeof(old), NULL, NULL));
    OK(stor_mpu_create(g_st, "b", "k", NULL, &uid));
    OK(put_part("b", "k", uid, 1, old, sizeof(old), etag));
    inl = count_inline();
    files = count_files();
    snprintf(trig, sizeof(trig), "CREATE TRIGGER inj BEFORE %s ON %s BEGIN SELECT RAISE(ABORT, 'injected'); END;",
             c->event, c->table);
    sql_exec(trig);
    if (c->part)
        e = put_part("b", "k", uid, 1, nu, c->size, etag);   /* replaces part 1 */
    else
        e = put_obj("b", "k", nu, c->size, NULL, NULL);
    sql_exec("DROP TRIGGER inj");
    ck_assert_msg(e == S3E_INTERNAL, "%s %s: got %s", c->event, c->table, err_name(e));
    ck_assert_uint_eq(count_inline(), inl);
    ck_assert_uint_eq(count_files(), files);
    ck_assert_int_eq(dir_entries("tmp"), 0);
    expect_content("b", "k", NULL, old, sizeof(old));
    {
        struct stor_parts parts;
        char want[40];
        etag_of(old, sizeof(old), want);
        OK(stor_part_list(g_st, "b", "k", uid, 0, 10, &parts));
        ck_assert_uint_eq(parts.n, 1);
        ck_assert_str_eq(parts.v[0].etag, want);
        stor_parts_release(&parts);
    }
    OK(stor_integrity_check(g_st));
    /* and the same write now works */
    if (c->part)
        OK(put_part("b", "k", uid, 1, nu, c->size, etag));
    else
        OK(put_obj("b", "k", nu, c->size, NULL, NULL));
    if (!c->part)
        expect_content("b", "k", NULL, nu, c->size);
    OK(stor_mpu_abort(g_st, "b", "k", uid));
    OK(stor_integrity_check(g_st));
    free(uid);
    free(nu);
}
END_TEST

/* An inline row no version or part names is reported by the integrity check. */
START_TEST(inline_orphan_detected)
{
    OK(stor_bucket_create(g_st, "b", "111111111111", NULL));
    OK(put_str("b", "k", "v"));
    OK(stor_integrity_check(g_st));
    sql_exec("INSERT INTO blob_inline VALUES(1, x'00000000000000000000000000000001', x'00')");
    EXPECT(stor_integrity_check(g_st), S3E_INTERNAL);
}
END_TEST

/* A data directory of the previous schema (version 1: every blob a file) opens, is migrated,
 * reads its files, and stores small blobs inline from then on. */
START_TEST(migrate_from_files_only)
{
    const size_t big = 3 * SEG + 5;
    unsigned char *b = malloc(big), small[900], fresh[800];

    fill(b, big, 31);
    fill(small, sizeof(small), 32);
    fill(fresh, sizeof(fresh), 33);
    g_st->inline_max = 0;   /* what the old code did: files only */
    OK(stor_bucket_create(g_st, "b", "111111111111", NULL));
    OK(put_obj("b", "big", b, big, NULL, NULL));
    OK(put_obj("b", "small", small, sizeof(small), NULL, NULL));
    ck_assert_uint_eq(count_files(), 2);
    stor_close(g_st);
    g_st = NULL;
    /* version 2 only added blob_inline and objects.blob_id: without them this is exactly a
     * version-1 database */
    sql_exec("DROP TABLE blob_inline; ALTER TABLE objects DROP COLUMN blob_id; UPDATE schema_version SET version=1;");
    ck_assert_int_eq(sql_int("SELECT count(*) FROM sqlite_master WHERE name='blob_inline'"), 0);
    open_store();
    ck_assert_int_ge(sql_int("SELECT version FROM schema_version"), 2);
    ck_assert_int_eq(sql_int("SELECT count(*) FROM sqlite_master WHERE name='blob_inline'"), 1);
    expect_content("b", "big", NULL, b, big);
    expect_content("b", "small", NULL, small, sizeof(small));
    ck_assert_uint_eq(count_inline(), 0);
    OK(put_obj("b", "fresh", fresh, sizeof(fresh), NULL, NULL));
    OK(put_obj("b", "small", fresh, sizeof(fresh), NULL, NULL));   /* an old file replaced by a row */
    ck_assert_uint_eq(count_inline(), 2);
    ck_assert_uint_eq(count_files(), 1);
    expect_content("b", "small", NULL, fresh, sizeof(fresh));
    expect_content("b", "big", NULL, b, big);
    OK(stor_integrity_check(g_st));
    free(b);
}
END_TEST

/* blobs/xx is made by the first blob that goes there, with or without fsync, and again if it
 * went away. */
START_TEST(fanout_on_first_use)
{
    const size_t n = 2 * SEG + 1;
    unsigned char *data = malloc(n);
    char names[2][40], path[512];
    struct stor_opts o = { g_data, _i, 4 };
    char err[512];

    stor_close(g_st);
    g_st = NULL;
    OK(stor_open(&o, &g_st, err, sizeof(err)));
    fill(data, n, 41);
    ck_assert_int_eq(dir_entries("blobs"), 0);
    OK(stor_bucket_create(g_st, "b", "111111111111", NULL));
    OK(put_obj("b", "k", data, n, NULL, NULL));
    ck_assert_uint_eq(blob_files(names, 2), 1);
    ck_assert_int_eq(dir_entries("blobs"), 1);
    snprintf(path, sizeof(path), "%s/blobs/%.2s", g_data, names[0]);
    ck_assert_int_eq(dir_entries(path + strlen(g_data) + 1), 1);
    OK(stor_object_delete(g_st, "b", "k", NULL, NULL, NULL));
    ck_assert_int_eq(rmdir(path), 0);
    ck_assert_int_eq(dir_entries("blobs"), 0);
    for (int i = 0; i < 4; i++) {
        char key[8];
        snprintf(key, sizeof(key), "k%d", i);
        OK(put_obj("b", key, data, n, NULL, NULL));
        expect_content("b", key, NULL, data, n);
    }
    ck_assert_uint_eq(count_files(), 4);
    ck_assert_int_ge(dir_entries("blobs"), 1);
    ck_assert_int_eq(dir_entries("tmp"), 0);
    free(data);
}
END_TEST

/* ------------------------------------------------------------------ durability */

START_TEST(sweep_orphans)
{
    const size_t big = 2 * SEG + 3;
    unsigned char *data = malloc(big);
    struct stor_object got;

    fill(data, big, 51);
    OK(stor_bucket_create(g_st, "b", "111111111111", NULL));
    OK(put_str("b", "keep", "kept bytes"));            /* inline */
    OK(put_obj("b", "keepbig", data, big, NULL, NULL)); /* a file */
    ck_assert_uint_eq(stor_swept(g_st), 0);
    stor_close(g_st);
    g_st = NULL;
    {
        char path[512];
        struct timespec old[2] = { { time(NULL) - 3600, 0 }, { time(NULL) - 3600, 0 } };
        snprintf(path, sizeof(path), "%s/blobs/ab", g_data);   /* made on first use only */
        ck_assert(mkdir(path, 0700) == 0 || errno == EEXIST);
        write_file("blobs/ab/ab0123456789abcdef0123456789abcd", "stray blob");
        /* older than the start: the background sweep removes only such files */
        snprintf(path, sizeof(path), "%s/blobs/ab/ab0123456789abcdef0123456789abcd", g_data);
        ck_assert_int_eq(utimensat(AT_FDCWD, path, old, 0), 0);
    }
    write_file("tmp/0123456789abcdef0123456789abcdef", "half-written upload");
    open_store();
    OK(stor_sweep_wait(g_st));
    ck_assert_uint_eq(stor_swept(g_st), 2);
    ck_assert(!file_exists("blobs/ab/ab0123456789abcdef0123456789abcd"));
    ck_assert(!file_exists("tmp/0123456789abcdef0123456789abcdef"));
    expect_content("b", "keep", NULL, "kept bytes", 10);
    expect_content("b", "keepbig", NULL, data, big);
    ck_assert_uint_eq(count_inline(), 1);
    ck_assert_uint_eq(count_files(), 1);
    reopen();
    OK(stor_sweep_wait(g_st));
    ck_assert_uint_eq(stor_swept(g_st), 0);
    OK(stor_object_get(g_st, "b", "keep", NULL, &got));
    stor_object_release(&got);
    OK(stor_integrity_check(g_st));
    free(data);
}
END_TEST

START_TEST(reopen_keeps_everything)
{
    const size_t n = 100000;
    unsigned char *data = malloc(n);
    char e1[40], *uid = NULL, *v = NULL;
    struct stor_object o1, got;
    struct stor_parts parts;
    struct stor_bucket b;

    fill(data, n, 9);
    OK(stor_bucket_create(g_st, "b", "111111111111", "eu-central-1"));
    OK(stor_bucket_set_versioning(g_st, "b", 1));
    OK(stor_bucket_attr_set(g_st, "b", "policy", "P"));
    OK(stor_account_attr_set(g_st, "111111111111", "pab", "A"));
    OK(put_obj("b", "k", data, n, NULL, &o1));
    OK(put_str("b", "k", "newer"));
    OK(stor_mpu_create(g_st, "b", "m", NULL, &uid));
    OK(put_part("b", "m", uid, 1, "p1", 2, e1));
    {
        /* a second process on the same directory is refused */
        struct stor *st2 = NULL;
        struct stor_opts o = { g_data, 0, 1 };
        char err[512];
        ck_assert_int_ne(stor_open(&o, &st2, err, sizeof(err)), S3_OK);
        ck_assert_ptr_null(st2);
        ck_assert_ptr_nonnull(strstr(err, "in use"));
    }
    reopen();
    ck_assert_uint_eq(stor_swept(g_st), 0);
    OK(stor_bucket_get(g_st, "b", &b));
    ck_assert_str_eq(b.region, "eu-central-1");
    ck_assert_int_eq(b.versioning, 1);
    stor_bucket_release(&b);
    OK(stor_bucket_attr_get(g_st, "b", "policy", &v));
    ck_assert_str_eq(v, "P");
    free(v);
    OK(stor_account_attr_get(g_st, "111111111111", "pab", &v));
    ck_assert_str_eq(v, "A");
    free(v);
    expect_content("b", "k", NULL, "newer", 5);
    expect_content("b", "k", o1.version_id, data, n);
    OK(stor_object_get(g_st, "b", "k", o1.version_id, &got));
    ck_assert_str_eq(got.etag, o1.etag);
    stor_object_release(&got);
    OK(stor_part_list(g_st, "b", "m", uid, 0, 10, &parts));
    ck_assert_uint_eq(parts.n, 1);
    ck_assert_str_eq(parts.v[0].etag, e1);
    stor_parts_release(&parts);
    ck_assert_uint_eq(count_blobs(), 3);
    OK(stor_integrity_check(g_st));
    stor_object_release(&o1);
    free(uid);
    free(data);
}
END_TEST

START_TEST(open_errors_and_master_key)
{
    struct stor *st2 = (struct stor *)&g_st;
    struct stor_opts o = { NULL, 0, 1 };
    unsigned char orig_key[32];
    char err[512], path[600];

    EXPECT(stor_open(&o, &st2, err, sizeof(err)), S3E_INVALID_ARGUMENT);
    ck_assert_ptr_null(st2);
    /* a data directory below a regular file cannot be created */
    write_file("plainfile", "x");
    snprintf(path, sizeof(path), "%s/plainfile/data", g_data);
    o.data_dir = path;
    ck_assert_int_ne(stor_open(&o, &st2, err, sizeof(err)), S3_OK);
    ck_assert_ptr_null(st2);
    ck_assert_msg(strstr(err, "cannot create") && strstr(err, "Not a directory"), "errbuf: %s", err);

    /* master.key: 0600, 32 bytes; a missing or different key is refused at open */
    OK(stor_bucket_create(g_st, "b", "111111111111", NULL));
    OK(put_str("b", "k", "secret"));
    {
        struct stat sb;
        snprintf(path, sizeof(path), "%s/master.key", g_data);
        ck_assert_int_eq(stat(path, &sb), 0);
        ck_assert_int_eq(sb.st_size, 32);
        ck_assert_int_eq(sb.st_mode & 0777, 0600);
        FILE *f = fopen(path, "rb");
        ck_assert_ptr_nonnull(f);
        ck_assert_uint_eq(fread(orig_key, 1, 32, f), 32);
        fclose(f);
    }
    stor_close(g_st);
    g_st = NULL;
    write_file("master.key", "short");
    o.data_dir = g_data;
    ck_assert_int_ne(stor_open(&o, &st2, err, sizeof(err)), S3_OK);
    ck_assert_msg(strstr(err, "master.key") != NULL, "errbuf: %s", err);
    write_file("master.key", "0123456789abcdef0123456789abcdef");   /* a different 32-byte key */
    err[0] = 0;
    ck_assert_int_ne(stor_open(&o, &st2, err, sizeof(err)), S3_OK);
    ck_assert_msg(strstr(err, "not the key this data directory was created with") != NULL, "errbuf: %s", err);
    /* A lost key is re-created at open, then refused and removed again, so that restoring the
     * original works. */
    {
        snprintf(path, sizeof(path), "%s/master.key", g_data);
        ck_assert_int_eq(unlink(path), 0);
        err[0] = 0;
        ck_assert_int_ne(stor_open(&o, &st2, err, sizeof(err)), S3_OK);
        ck_assert_msg(strstr(err, "master.key is missing") != NULL, "errbuf: %s", err);
        ck_assert_int_eq(file_exists("master.key"), 0);
    }
    /* Restoring the original key brings everything back. */
    {
        FILE *f = fopen(path, "wb");
        ck_assert_ptr_nonnull(f);
        ck_assert_uint_eq(fwrite(orig_key, 1, 32, f), 32);
        fclose(f);
    }
    open_store();
    expect_content("b", "k", NULL, "secret", 6);
}
END_TEST

/* kill -9 while writing: every acknowledged PUT survives whole, nothing partial appears. */
static size_t crash_size(unsigned i)
{
    return (size_t)(i * 7919u) % 150000u;
}

START_TEST(kill9_during_writes)
{
    int ack[2];
    pid_t pid;
    unsigned acked = 0, i;
    unsigned char *data = malloc(150000), *buf;
    struct stor_list_res r;
    struct stor_list_req q = { .max_keys = 100000 };

    OK(stor_bucket_create(g_st, "b", "111111111111", NULL));
    stor_close(g_st);
    g_st = NULL;
    ck_assert_int_eq(pipe(ack), 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(ack[0]);
        open_store();
        for (i = 0;; i++) {
            char key[32];
            snprintf(key, sizeof(key), "crash/%06u", i);
            fill(data, crash_size(i), i);
            if (put_obj("b", key, data, crash_size(i), NULL, NULL) != S3_OK)
                _exit(3);
            if (write(ack[1], &i, sizeof(i)) != (ssize_t)sizeof(i))
                _exit(4);
        }
    }
    close(ack[1]);
    while (acked < 300 && read(ack[0], &i, sizeof(i)) == (ssize_t)sizeof(i))
        acked = i + 1;
    kill(pid, SIGKILL);
    /* whatever was acknowledged before the kill */
    while (read(ack[0], &i, sizeof(i)) == (ssize_t)sizeof(i))
        acked = i + 1;
    waitpid(pid, NULL, 0);
    close(ack[0]);
    ck_assert_uint_ge(acked, 300);
    /* The background sweep removes only files older than the start, to the clock tick: let the
     * killed writer's last (uncommitted) file age past it. */
    usleep(50000);

    open_store();
    OK(stor_sweep_wait(g_st));   /* orphan files of the killed writer are removed in the background */
    OK(stor_integrity_check(g_st));
    OK(stor_list_objects(g_st, "b", &q, &r));
    ck_assert_uint_ge(r.n_entries, acked);
    ck_assert_uint_le(r.n_entries, acked + 1);   /* at most one committed but not yet acknowledged */
    for (i = 0; i < r.n_entries; i++) {
        size_t got;
        char key[32];
        snprintf(key, sizeof(key), "crash/%06u", i);
        ck_assert_str_eq(r.entries[i].obj.key, key);
        fill(data, crash_size(i), i);
        buf = read_obj("b", key, NULL, &got);
        ck_assert_uint_eq(got, crash_size(i));
        ck_assert_msg(memcmp(buf, data, got) == 0, "object %u differs", i);
        free(buf);
    }
    /* every blob belongs to a listed object (orphan files were swept; inline rows cannot be
     * orphans), and both kinds were exercised */
    ck_assert_uint_eq(count_blobs(), r.n_entries);
    ck_assert_uint_gt(count_inline(), 0);
    ck_assert_uint_gt(count_files(), 0);
    ck_assert_int_eq(dir_entries("tmp"), 0);
    stor_list_res_release(&r);
    free(data);
}
END_TEST

/* ------------------------------------------------------------------ threads and speed */

struct worker {
    int id;
    int errors;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    unsigned char data[5000], *got;
    for (int i = 0; i < 150; i++) {
        char key[64];
        struct stor_reader *r;
        size_t n = (size_t)(i * 31 + w->id) % sizeof(data);
        snprintf(key, sizeof(key), "w%d/%d", w->id, i % 20);
        fill(data, n, (uint32_t)(i * 8 + w->id));
        if (put_obj("b", key, data, n, NULL, NULL) != S3_OK) {
            w->errors++;
            continue;
        }
        if (stor_reader_open(g_st, "b", key, NULL, NULL, &r) != S3_OK) {
            w->errors++;
            continue;
        }
        got = malloc(n + 1);
        if (stor_reader_pread(r, got, n + 1, 0) != (ssize_t)n || memcmp(got, data, n) != 0)
            w->errors++;
        free(got);
        stor_reader_close(r);
        /* a shared key, overwritten and read by every thread */
        fill(data, 3000, (uint32_t)w->id);
        if (put_obj("b", "shared", data, 3000, NULL, NULL) != S3_OK)
            w->errors++;
        if (stor_reader_open(g_st, "b", "shared", NULL, NULL, &r) == S3_OK) {
            unsigned char b2[3000];
            if (stor_reader_pread(r, b2, sizeof(b2), 0) != 3000)
                w->errors++;
            stor_reader_close(r);
        } else {
            w->errors++;
        }
        if (i % 25 == 0) {
            struct stor_list_res lr;
            struct stor_list_req q = { .delimiter = "/", .max_keys = 100 };
            if (stor_list_objects(g_st, "b", &q, &lr) != S3_OK)
                w->errors++;
            stor_list_res_release(&lr);
        }
    }
    return NULL;
}

START_TEST(threads_share_one_store)
{
    pthread_t t[6];
    struct worker w[6];

    OK(stor_bucket_create(g_st, "b", "111111111111", NULL));
    for (int i = 0; i < 6; i++) {
        w[i].id = i;
        w[i].errors = 0;
        ck_assert_int_eq(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
    }
    for (int i = 0; i < 6; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(w[i].errors, 0);
    }
    /* 6 * 20 keys + "shared": exactly one blob each */
    ck_assert_uint_eq(count_blobs(), 121);
    OK(stor_integrity_check(g_st));
}
END_TEST

/* Not an assertion on speed: prints what the storage API alone sustains on this machine. */
START_TEST(throughput_report)
{
    unsigned char data[4096], buf[4096];
    const int n = 3000;
    double t0, t1, t2;
    char key[32];

    fill(data, sizeof(data), 1);
    OK(stor_bucket_create(g_st, "b", "111111111111", NULL));
    t0 = now_s();
    for (int i = 0; i < n; i++) {
        snprintf(key, sizeof(key), "obj%06d", i);
        OK(put_obj("b", key, data, sizeof(data), NULL, NULL));
    }
    t1 = now_s();
    for (int i = 0; i < n; i++) {
        struct stor_reader *r;
        struct stor_object m;
        snprintf(key, sizeof(key), "obj%06d", i);
        OK(stor_reader_open(g_st, "b", key, NULL, &m, &r));
        ck_assert_int_eq(stor_reader_pread(r, buf, sizeof(buf), 0), 4096);
        stor_reader_close(r);
        stor_object_release(&m);
    }
    t2 = now_s();
    ck_assert(memcmp(buf, data, sizeof(buf)) == 0);
    fprintf(stderr, "check_storage: 4 KiB PUT %.0f/s, GET %.0f/s (single thread, storage API only)\n",
            n / (t1 - t0), n / (t2 - t1));
}
END_TEST

static Suite *storage_suite(void)
{
    Suite *s = suite_create("storage");
    TCase *tc;

#define TC(name, timeout)                                                                         \
    tc = tcase_create(name);                                                                      \
    tcase_add_checked_fixture(tc, setup, teardown);                                               \
    tcase_set_timeout(tc, timeout);                                                               \
    suite_add_tcase(s, tc)

    TC("buckets", 30);
    tcase_add_test(tc, bucket_lifecycle);
    tcase_add_test(tc, bucket_cache_follows_changes);
    tcase_add_test(tc, bucket_and_account_attrs);
    TC("objects", 60);
    tcase_add_test(tc, object_put_get_overwrite_delete);
    tcase_add_test(tc, object_odd_keys);
    tcase_add_test(tc, object_ranges);
    tcase_add_test(tc, object_tamper);
    tcase_add_test(tc, object_reader_outlives_overwrite);
    tcase_add_test(tc, reader_detects_stale_snapshot);
    TC("versioning", 30);
    tcase_add_test(tc, versioning_semantics);
    tcase_add_test(tc, versions_paging);
    TC("listing", 240);
    tcase_add_test(tc, list_table);
    tcase_add_test(tc, list_paging_by_marker);
    tcase_add_test(tc, list_ten_thousand);
    TC("multipart", 120);
    tcase_add_test(tc, multipart_complete);
    tcase_add_test(tc, multipart_errors_and_abort);
    tcase_add_test(tc, multipart_list_uploads);
    TC("inline", 120);
    tcase_add_loop_test(tc, inline_threshold, 0, ARRAY_LEN(inline_cases));
    tcase_add_test(tc, inline_and_files_coexist);
    tcase_add_loop_test(tc, inline_tamper, 0, ARRAY_LEN(tamper_cases));
    tcase_add_test(tc, inline_wrong_id);
    tcase_add_test(tc, multipart_inline_parts);
    tcase_add_loop_test(tc, inline_write_failure, 0, ARRAY_LEN(wfail_cases));
    tcase_add_test(tc, inline_orphan_detected);
    tcase_add_test(tc, migrate_from_files_only);
    tcase_add_loop_test(tc, fanout_on_first_use, 0, 2);   /* without and with fsync */
    TC("durability", 120);
    tcase_add_test(tc, sweep_orphans);
    tcase_add_test(tc, reopen_keeps_everything);
    tcase_add_test(tc, open_errors_and_master_key);
    tcase_add_test(tc, kill9_during_writes);
    TC("concurrency", 240);
    tcase_add_test(tc, threads_share_one_store);
    tcase_add_test(tc, throughput_report);
#undef TC
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(storage_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
