/*
 * t/unit/check_sweep.c - unit tests for the start-up sweep (storage/sweep.c): tmp/ is emptied
 * before stor_open returns; orphan blob files older than the start are removed by the
 * background sweep; referenced blobs and files newer than the start are never touched, even
 * while PUTs race with the sweep; stor_close stops a long sweep at once.
 *
 * Every test runs in a fresh data directory under /tmp.  Orphans are written here as files with
 * blob names; "old" means an mtime set an hour back with futimens/utimensat, so no test depends
 * on the clock's granularity.  Objects are 100,000 bytes, above the inline limit, so each has a
 * blob file.
 */
#include "config.h"
#include "storage/storage.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "lib/err.h"
#include "lib/log.h"
#include "t/unit/stor_fixture.h"

#define OBJ_SIZE 100000u       /* > the inline limit (one 64 KiB segment): a blob file */
#define HOUR 3600

static void open_store(void)
{
    fixture_open(2);
}

static void close_store(void)
{
    stor_close(g_st);
    g_st = NULL;
}

/* A fresh, empty data directory with no store open: each test sets the scene first. */
static void setup(void)
{
    fixture_dir("check_sweep");
}

static void teardown(void)
{
    fixture_teardown();
}

/* ------------------------------------------------------------------ helpers */

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void data_path(char *out, size_t n, const char *rel)
{
    snprintf(out, n, "%s/%s", g_data, rel);
}

/* mkdir DATA/rel (and DATA); EEXIST is fine. */
static void make_dir(const char *rel)
{
    char p[512];
    if (mkdir(g_data, 0700) != 0)
        ck_assert_int_eq(errno, EEXIST);
    data_path(p, sizeof(p), rel);
    if (mkdir(p, 0700) != 0)
        ck_assert_msg(errno == EEXIST, "mkdir %s: %s", p, strerror(errno));
}

/* Write DATA/rel with some bytes and an mtime age_s seconds in the past (negative: future). */
static void write_file(const char *rel, long age_s)
{
    char p[512];
    struct timespec ts[2];
    int fd;

    data_path(p, sizeof(p), rel);
    fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ck_assert_msg(fd >= 0, "create %s: %s", p, strerror(errno));
    ck_assert_int_eq(write(fd, "litter", 6), 6);
    clock_gettime(CLOCK_REALTIME, &ts[0]);
    ts[0].tv_sec -= age_s;
    ts[1] = ts[0];
    ck_assert_int_eq(futimens(fd, ts), 0);
    close(fd);
}

static int file_exists(const char *rel)
{
    char p[512];
    struct stat sb;
    data_path(p, sizeof(p), rel);
    return lstat(p, &sb) == 0;
}

/* "xx/xx<30 hex>": the relative path of a made-up blob id built from dir byte b and n. */
static void orphan_name(char out[64], unsigned b, unsigned n)
{
    snprintf(out, 64, "blobs/%02x/%02x%030x", b, b, n);
}

/* Every file under blobs/ (any depth 1 or 2) as "blobs/..." paths; returns the count and, when
 * names is not NULL, fills up to max of them. */
static size_t list_blobs(char (*names)[64], size_t max)
{
    char p[512];
    DIR *top, *d;
    struct dirent *de, *fe;
    size_t n = 0;

    data_path(p, sizeof(p), "blobs");
    if ((top = opendir(p)) == NULL)
        return 0;
    while ((de = readdir(top)) != NULL) {
        char sub[600];
        if (de->d_name[0] == '.')
            continue;
        snprintf(sub, sizeof(sub), "%s/%s", p, de->d_name);
        if ((d = opendir(sub)) == NULL) {
            if (names && n < max)
                snprintf(names[n], 64, "blobs/%s", de->d_name);
            n++;
            continue;
        }
        while ((fe = readdir(d)) != NULL) {
            if (fe->d_name[0] == '.')
                continue;
            if (names && n < max)
                snprintf(names[n], 64, "blobs/%.2s/%.40s", de->d_name, fe->d_name);
            n++;
        }
        closedir(d);
    }
    closedir(top);
    return n;
}

/* Set the mtime of every file under blobs/ age_s seconds back (so the store's own blobs are
 * "older than the start" too, and only their references protect them). */
static void age_all_blobs(long age_s)
{
    char (*names)[64] = calloc(4096, sizeof(*names));
    size_t n = list_blobs(names, 4096);
    struct timespec ts[2];

    ck_assert_ptr_nonnull(names);
    ck_assert_uint_le(n, 4096);
    clock_gettime(CLOCK_REALTIME, &ts[0]);
    ts[0].tv_sec -= age_s;
    ts[1] = ts[0];
    for (size_t i = 0; i < n; i++) {
        char p[512];
        data_path(p, sizeof(p), names[i]);
        ck_assert_int_eq(utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW), 0);
    }
    free(names);
}

static struct stor_blob *make_blob(uint32_t seed, size_t n)
{
    unsigned char *p = malloc(n);
    struct stor_blob *b = NULL;
    ck_assert_ptr_nonnull(p);
    fill(p, n, seed);
    OK(stor_blob_new(g_st, &b));
    OK(stor_blob_write(b, p, n));
    free(p);
    return b;
}

static s3_err put_obj(const char *bucket, const char *key, uint32_t seed)
{
    struct stor_object in;
    memset(&in, 0, sizeof(in));
    in.etag = "\"00000000000000000000000000000000\"";
    return stor_object_put(g_st, bucket, key, make_blob(seed, OBJ_SIZE), &in, NULL);
}

/* The object's bytes are exactly fill(seed). */
static int obj_intact(const char *bucket, const char *key, uint32_t seed)
{
    struct stor_object m;
    struct stor_reader *r = NULL;
    unsigned char *want = malloc(OBJ_SIZE), *got = malloc(OBJ_SIZE + 1);
    int ok;

    ck_assert(want && got);
    fill(want, OBJ_SIZE, seed);
    if (stor_reader_open(g_st, bucket, key, NULL, &m, &r) != S3_OK) {
        free(want);
        free(got);
        return 0;
    }
    ok = m.size == OBJ_SIZE && stor_reader_pread(r, got, OBJ_SIZE + 1, 0) == (ssize_t)OBJ_SIZE &&
         memcmp(want, got, OBJ_SIZE) == 0;
    stor_object_release(&m);
    stor_reader_close(r);
    free(want);
    free(got);
    return ok;
}

/* n old orphans spread over every fan-out directory (n / 256 or more each). */
static void make_old_orphans(unsigned n)
{
    char name[64];
    make_dir("blobs");
    for (unsigned b = 0; b < 256; b++) {
        snprintf(name, sizeof(name), "blobs/%02x", b);
        make_dir(name);
    }
    for (unsigned i = 0; i < n; i++) {
        orphan_name(name, i % 256, i);
        write_file(name, HOUR);
    }
}

/* ------------------------------------------------------------------ tests */

/* tmp/ holds nothing anyone references: it is empty when stor_open returns, before any
 * request could run, and the count is in stor_swept at once. */
START_TEST(tmp_emptied_before_open_returns)
{
    static const char *const litter[] = {
        "tmp/0123456789abcdef0123456789abcdef",   /* a blob whose PUT never finished */
        "tmp/ab0123456789abcdef0123456789abcd",
        "tmp/.hidden",
    };
    make_dir("tmp");
    for (size_t i = 0; i < sizeof(litter) / sizeof(litter[0]); i++)
        write_file(litter[i], 0);   /* even brand new: nothing in tmp/ belongs to this start */
    open_store();
    for (size_t i = 0; i < sizeof(litter) / sizeof(litter[0]); i++)
        ck_assert_msg(!file_exists(litter[i]), "%s survived stor_open", litter[i]);
    ck_assert_uint_eq(stor_swept(g_st), 3);
    OK(stor_sweep_wait(g_st));
    ck_assert_uint_eq(stor_swept(g_st), 3);   /* blobs/ had nothing to add */
}
END_TEST

/* Orphans older than the start go (blob names, other names, even in blobs/ itself); blobs an
 * object or an unfinished upload's part references stay, however old. */
START_TEST(old_orphans_go_referenced_blobs_stay)
{
    static const char *const orphans[] = {
        "blobs/ab/ab0123456789abcdef0123456789abcd",   /* a blob name nobody references */
        "blobs/ab/not-a-blob",                          /* not a blob name at all */
        "blobs/stray",                                  /* a file in blobs/ itself */
        "blobs/ef/ef00000000000000000000000000ffff",   /* in a directory made for it */
    };
    char *upload = NULL;
    struct stor_parts parts;
    size_t before;

    open_store();
    OK(stor_bucket_create(g_st, "b", "111111111111", NULL));
    OK(put_obj("b", "keep", 1));
    OK(put_obj("b", "keep2", 2));
    OK(stor_mpu_create(g_st, "b", "mp", NULL, &upload));
    OK(stor_part_put(g_st, "b", "mp", upload, 1, make_blob(3, OBJ_SIZE), "\"p1\"", STOR_CK_NONE, NULL));
    OK(stor_sweep_wait(g_st));
    close_store();
    before = list_blobs(NULL, 0);
    ck_assert_uint_eq(before, 3);   /* two objects and one part, each a file */
    age_all_blobs(HOUR);
    make_dir("blobs/ab");
    make_dir("blobs/ef");
    make_dir("blobs/ab/unexpected-dir");
    for (size_t i = 0; i < sizeof(orphans) / sizeof(orphans[0]); i++)
        write_file(orphans[i], HOUR);

    open_store();
    OK(stor_sweep_wait(g_st));
    for (size_t i = 0; i < sizeof(orphans) / sizeof(orphans[0]); i++)
        ck_assert_msg(!file_exists(orphans[i]), "orphan %s survived the sweep", orphans[i]);
    ck_assert_uint_eq(stor_swept(g_st), 4);
    ck_assert_msg(file_exists("blobs/ab/unexpected-dir"), "a directory is never removed");
    ck_assert_uint_eq(list_blobs(NULL, 0), before + 1);   /* + the directory */
    ck_assert(obj_intact("b", "keep", 1));
    ck_assert(obj_intact("b", "keep2", 2));
    OK(stor_part_list(g_st, "b", "mp", upload, 0, 1000, &parts));
    ck_assert_uint_eq(parts.n, 1);
    stor_parts_release(&parts);
    OK(stor_mpu_abort(g_st, "b", "mp", upload));
    free(upload);
    /* a second start finds nothing more */
    close_store();
    open_store();
    OK(stor_sweep_wait(g_st));
    ck_assert_uint_eq(stor_swept(g_st), 0);
}
END_TEST

/* Run sql on DATA/meta.db with the test's own connection (the store is closed). */
static void sql_exec(const char *sql)
{
    char path[512], *msg = NULL;
    sqlite3 *db = NULL;
    int rc;

    data_path(path, sizeof(path), "meta.db");
    ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    ck_assert_msg(rc == SQLITE_OK, "%s: %s", sql, msg ? msg : sqlite3_errstr(rc));
    sqlite3_free(msg);
    sqlite3_close(db);
}

static int objects_have_blob_id(void)
{
    char path[512];
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    int found = 0;

    data_path(path, sizeof(path), "meta.db");
    ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info('objects') WHERE name='blob_id'", -1, &s,
                                        NULL),
                     SQLITE_OK);
    found = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_finalize(s);
    sqlite3_close(db);
    return found;
}

/* A blob file that only objects.blob_id names (schema 2 uses that column for inline blobs; a
 * file named there must be safe all the same) is not an orphan. */
START_TEST(blob_named_by_objects_column_stays)
{
    open_store();
    OK(stor_bucket_create(g_st, "b", "111111111111", NULL));
    OK(put_obj("b", "k", 1));
    OK(stor_sweep_wait(g_st));
    close_store();
    ck_assert_uint_eq(list_blobs(NULL, 0), 1);
    if (!objects_have_blob_id())
        sql_exec("ALTER TABLE objects ADD COLUMN blob_id BLOB");   /* schema 1: as schema 2 has it */
    sql_exec("UPDATE objects SET blob_id=(SELECT blob_id FROM object_segs WHERE obj_id=objects.id);"
             "DELETE FROM object_segs;");
    age_all_blobs(HOUR);
    open_store();
    OK(stor_sweep_wait(g_st));
    ck_assert_uint_eq(stor_swept(g_st), 0);
    ck_assert_uint_eq(list_blobs(NULL, 0), 1);
}
END_TEST

/* A file newer than the start may be a blob whose PUT has renamed it but not committed yet:
 * never removed, whether its mtime is in the future or it appears while the sweep runs. */
START_TEST(files_newer_than_the_start_stay)
{
    enum { OLD = 8192 };
    char name[64];

    make_old_orphans(OLD);
    write_file("blobs/7f/7f0000000000000000000000000000aa", -HOUR);   /* mtime in the future */
    open_store();
    /* One new unreferenced file per fan-out directory, written after stor_open returned (as a
     * PUT's rename would be): the sweep is still walking, and meets some of them. */
    for (unsigned b = 0; b < 256; b++) {
        orphan_name(name, b, 0xfffff0u);
        write_file(name, 0);
    }
    write_file("blobs/7f/new-not-a-blob", 0);   /* not a blob name, but just as new */
    OK(stor_sweep_wait(g_st));
    for (unsigned b = 0; b < 256; b++) {
        orphan_name(name, b, 0xfffff0u);
        ck_assert_msg(file_exists(name), "%s, newer than the start, was removed", name);
    }
    ck_assert(file_exists("blobs/7f/7f0000000000000000000000000000aa"));
    ck_assert(file_exists("blobs/7f/new-not-a-blob"));
    ck_assert_uint_eq(stor_swept(g_st), OLD);
    ck_assert_uint_eq(list_blobs(NULL, 0), 258);
}
END_TEST

/* PUTs while the sweep runs: every acknowledged object keeps its bytes, and the sweep removes
 * exactly the old orphans. */
struct putter {
    int id;
    int n;
    int failed;
};

static void *putter_main(void *arg)
{
    struct putter *p = arg;
    for (int i = 0; i < p->n; i++) {
        char key[32];
        snprintf(key, sizeof(key), "k%d-%d", p->id, i);
        if (put_obj("b", key, (uint32_t)(p->id * 1000 + i)) != S3_OK)
            p->failed++;
    }
    return NULL;
}

START_TEST(puts_racing_the_sweep_are_kept)
{
    enum { OLD = 8192, THREADS = 2, PER = 40 };
    struct putter pw[THREADS];
    pthread_t th[THREADS];

    open_store();
    OK(stor_bucket_create(g_st, "b", "111111111111", NULL));
    close_store();
    make_old_orphans(OLD);
    open_store();
    for (int t = 0; t < THREADS; t++) {
        pw[t] = (struct putter){ t, PER, 0 };
        ck_assert_int_eq(pthread_create(&th[t], NULL, putter_main, &pw[t]), 0);
    }
    for (int t = 0; t < THREADS; t++) {
        pthread_join(th[t], NULL);
        ck_assert_int_eq(pw[t].failed, 0);
    }
    OK(stor_sweep_wait(g_st));
    ck_assert_uint_eq(stor_swept(g_st), OLD);
    for (int t = 0; t < THREADS; t++)
        for (int i = 0; i < PER; i++) {
            char key[32];
            snprintf(key, sizeof(key), "k%d-%d", t, i);
            ck_assert_msg(obj_intact("b", key, (uint32_t)(t * 1000 + i)), "%s lost its bytes", key);
        }
    ck_assert_uint_eq(list_blobs(NULL, 0), THREADS * PER);
    OK(stor_integrity_check(g_st));
}
END_TEST

/* stor_close in the middle of a long sweep returns at once; the next start finishes the job. */
START_TEST(close_stops_a_long_sweep)
{
    enum { OLD = 40000 };
    double t0, close_ms;
    size_t left;

    make_old_orphans(OLD);
    open_store();
    t0 = now_ms();
    close_store();
    close_ms = now_ms() - t0;
    left = list_blobs(NULL, 0);
    /* Removing 40,000 files takes far longer than this (about 10 us each on a fast disk). */
    ck_assert_msg(close_ms < 250, "stor_close took %.1f ms during the sweep", close_ms);
    ck_assert_msg(left > 0, "the sweep finished all %d files before stor_close stopped it", OLD);
    open_store();
    OK(stor_sweep_wait(g_st));
    ck_assert_uint_eq(list_blobs(NULL, 0), 0);
    ck_assert_uint_eq(stor_swept(g_st), left);
}
END_TEST

/* stor_sweep_wait returns at once after the sweep and may be called any number of times;
 * stor_sweep_stop and stor_close after it are harmless. */
START_TEST(wait_and_stop_are_idempotent)
{
    open_store();
    OK(stor_sweep_wait(g_st));
    OK(stor_sweep_wait(g_st));
    stor_sweep_stop(g_st);
    stor_sweep_stop(g_st);
    OK(stor_sweep_wait(g_st));   /* nothing running any more */
    stor_sweep_stop(NULL);
}
END_TEST

static Suite *sweep_suite(void)
{
    Suite *s = suite_create("sweep");
    TCase *tc = tcase_create("sweep");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, tmp_emptied_before_open_returns);
    tcase_add_test(tc, old_orphans_go_referenced_blobs_stay);
    tcase_add_test(tc, blob_named_by_objects_column_stays);
    tcase_add_test(tc, files_newer_than_the_start_stay);
    tcase_add_test(tc, puts_racing_the_sweep_are_kept);
    tcase_add_test(tc, close_stops_a_long_sweep);
    tcase_add_test(tc, wait_and_stop_are_idempotent);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(sweep_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
