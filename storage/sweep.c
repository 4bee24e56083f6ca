/*
 * storage/sweep.c - the start-up sweep: removing what a crash left behind.
 *
 * A crash can leave files in tmp/ (writes that never reached their rename), files under blobs/
 * that no row references (a blob renamed into place whose commit never happened, or one whose
 * unlink after a commit never happened) and, in blobs/, anything that is not a blob file at all.
 *
 * The sweep runs in two parts so that start-up time does not grow with the number of objects:
 *
 *   tmp/    emptied by stor_sweep, inside stor_open, before any request can run.  Nothing in it
 *           is ever referenced and it is empty unless the last process crashed.
 *   blobs/  one file per blob (100,000 objects: 100,000 files).  Walked by a background thread
 *           that stor_sweep starts once the store is open, while requests are already served.
 *
 * Serving requests during the walk brings one race: a PUT renames its blob into blobs/ a moment
 * before it commits the row that references it.  The sweep may read the directory in between
 * and find a file that no row references yet.  It must not touch it, so the sweep deletes only
 * files whose mtime is older than the moment stor_open took its time stamp: every blob written
 * by this process was written (and so got its mtime) after that, so it is never a candidate,
 * committed or not.  A blob left by an earlier process can never gain a reference again (rows
 * only ever name a blob written in the same request, or move a part's blob to its object in one
 * transaction), so "not referenced and older than the start" stays true once seen.  The stamp
 * is the mtime of a file created in tmp/ for the purpose, so it comes from the same clock and
 * with the same granularity as the blobs' mtimes; a file stamped in the same clock tick as that
 * file is kept (it is swept at the next start).  A wall clock set back by more than the time
 * since the start would defeat this; s3iamd assumes a clock that does not jump back.
 *
 * The reference check is cheap: per fan-out directory (blobs/xx), one range query reads every
 * referenced blob id beginning with that byte, in index order, and each file name is looked up
 * in that sorted set.  Only a file missing from the set, and old enough, costs more: an fstatat,
 * SQL_BLOB_REFD (the definition of "referenced" that the rest of storage uses, so if a schema
 * change ever adds a table the range query does not read, files are kept, not lost) and a look
 * in objects.blob_id (schema 2; see named_by_object).  Inline blobs (blob_inline) have no file
 * and never meet the sweep.  The thread reads through its own query-only SQLite connection,
 * not the writer nor the request pool, and deletes through blob_unlink, outside any
 * transaction, in small batches: a blob that an open reader still holds (its object deleted
 * since) is removed when that reader closes.  It runs at a lower priority (nice +10): pinned to
 * one core with the main thread, that took a 100,000-object launch from ~43 to ~27 ms.
 *
 * stor_close stops the thread (a flag checked before every file) and joins it.  The thread's
 * state lives in a small registry here, keyed by the struct stor.
 */
#include "config.h"
#include "storage/stor_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"

/* Every referenced blob id in one fan-out directory: ids from ?1 (one byte, the directory)
 * up to ?2 (the next byte; 17 x 0xff after "ff"), in the order of the two blob_id indexes. */
#define SWEEP_SQL_RANGE                                                                           \
    "SELECT blob_id FROM object_segs WHERE blob_id >= ?1 AND blob_id < ?2 "                      \
    "UNION ALL SELECT blob_id FROM parts WHERE blob_id >= ?1 AND blob_id < ?2"

/* Deletions go to blob_unlink in batches of this many: it holds pin_mu while it unlinks. */
#define SWEEP_BATCH 64
/* The sweep thread's nice value. */
#define SWEEP_NICE 10

struct sweep_job {
    struct stor *st;
    pthread_t thread;
    int has_thread;            /* joined and cleared by stor_sweep_stop */
    atomic_int stop;           /* set by stor_sweep_stop; checked before every file */
    int done;                  /* under reg_mu: the walk has ended (result is final) */
    s3_err result;
    struct timespec cutoff;    /* a blob file is a candidate only if its mtime is older */
    unsigned tmp_removed;
    struct sweep_job *next;
};

static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t reg_cv = PTHREAD_COND_INITIALIZER;
static struct sweep_job *reg_jobs;

/* Caller holds reg_mu. */
static struct sweep_job *job_find(const struct stor *st)
{
    for (struct sweep_job *j = reg_jobs; j; j = j->next)
        if (j->st == st)
            return j;
    return NULL;
}

/* ------------------------------------------------------------------ small helpers */

static int is_dir(int dfd, const struct dirent *de)
{
    struct stat sb;
    if (de->d_type != DT_UNKNOWN)
        return de->d_type == DT_DIR;
    return fstatat(dfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(sb.st_mode);
}

static int is_dot(const char *n)
{
    return n[0] == '.' && (n[1] == 0 || (n[1] == '.' && n[2] == 0));
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Parse a blob file name (32 lower-case hex digits) that belongs in fan-out directory dir. */
static int parse_blob_name(const char *name, const char *dir, unsigned char *id)
{
    if (strlen(name) != 2 * STOR_ID || name[0] != dir[0] || name[1] != dir[1])
        return -1;
    for (unsigned i = 0; i < STOR_ID; i++) {
        int a = hexval((unsigned char)name[2 * i]), b = hexval((unsigned char)name[2 * i + 1]);
        if (a < 0 || b < 0)
            return -1;
        id[i] = (unsigned char)(a << 4 | b);
    }
    return 0;
}

static void count_swept(struct stor *st, unsigned n)
{
    /* stor_swept() may read the count from another thread while this one runs. */
    __atomic_fetch_add(&st->swept, n, __ATOMIC_RELAXED);
}

/* Remove a file that is not a blob (or anything in tmp/): no reader can hold it. */
static void remove_file(struct stor *st, int dfd, const char *where, const char *name)
{
    if (unlinkat(dfd, name, 0) == 0) {
        count_swept(st, 1);
        log_debug("storage: sweep removed %s/%s", where, name);
    } else if (errno != ENOENT) {
        log_warn("storage: sweep cannot remove %s/%s/%s: %s", st->dir, where, name, strerror(errno));
    }
}

static DIR *open_dir(int parent, const char *name)
{
    int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d;
    if (fd < 0)
        return NULL;
    if ((d = fdopendir(fd)) == NULL)
        close(fd);
    return d;
}

static double ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

static int ts_before(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static int id_cmp(const void *a, const void *b)
{
    return memcmp(((const struct blob_ref *)a)->id, ((const struct blob_ref *)b)->id, STOR_ID);
}

/* ------------------------------------------------------------------ the background walk */

/* What one walk of blobs/ uses: its own connection and the statements on it. */
struct walk {
    struct sweep_job *job;
    struct stor *st;
    struct meta_conn conn;     /* query-only; meta_stmt caches SQL_BLOB_REFD on it */
    sqlite3_stmt *range;
    struct blob_refs refd;     /* referenced ids of the current fan-out directory, sorted */
    struct blob_refs dead;     /* orphans waiting for the next blob_unlink batch */
    struct blob_refs objrefd;  /* objects.blob_id values, sorted; read at the first candidate */
    int objrefd_state;         /* 0 not read yet, 1 read, -1 the schema has no objects.blob_id */
    unsigned removed;
    size_t checked;
};

static int stopping(const struct walk *w)
{
    return atomic_load_explicit(&w->job->stop, memory_order_relaxed) != 0;
}

static s3_err walk_open(struct walk *w)
{
    char path[4096];

    snprintf(path, sizeof(path), "%s/meta.db", w->st->dir);
    if (sqlite3_open_v2(path, &w->conn.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        log_error("storage: sweep cannot open %s: %s", path, w->conn.db ? sqlite3_errmsg(w->conn.db) : "no memory");
        return S3E_INTERNAL;
    }
    /* Short: stor_close waits for this thread, and in WAL mode a reader is busy only while
     * another connection recovers the WAL. */
    sqlite3_busy_timeout(w->conn.db, 1000);
    if (sqlite3_exec(w->conn.db, "PRAGMA query_only=1", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v3(w->conn.db, SWEEP_SQL_RANGE, -1, SQLITE_PREPARE_PERSISTENT, &w->range, NULL) != SQLITE_OK)
        return meta_fail(&w->conn, "sweep statement");
    return S3_OK;
}

static void walk_close(struct walk *w)
{
    sqlite3_finalize(w->range);
    for (int i = 0; i < SQL__COUNT; i++)
        sqlite3_finalize(w->conn.stmt[i]);
    if (w->conn.db != NULL && sqlite3_close(w->conn.db) != SQLITE_OK)
        log_error("storage: sweep: sqlite3_close: %s", sqlite3_errmsg(w->conn.db));
    refs_release(&w->refd);
    refs_release(&w->dead);
    refs_release(&w->objrefd);
}

/* Fill w->refd with the referenced ids whose first byte is b, sorted. */
static s3_err load_refd(struct walk *w, unsigned b)
{
    unsigned char lo[1] = { (unsigned char)b }, hi[STOR_ID + 1];
    s3_err e = S3_OK;
    int rc;

    /* BLOBs compare with memcmp, then by length: [b] <= every id starting with b < [b + 1],
     * and 17 bytes of 0xff sort after every 16-byte id. */
    if (b < 255) {
        hi[0] = (unsigned char)(b + 1);
        sqlite3_bind_blob(w->range, 2, hi, 1, SQLITE_STATIC);
    } else {
        memset(hi, 0xff, sizeof(hi));
        sqlite3_bind_blob(w->range, 2, hi, (int)sizeof(hi), SQLITE_STATIC);
    }
    sqlite3_bind_blob(w->range, 1, lo, 1, SQLITE_STATIC);
    w->refd.n = 0;
    while ((rc = sqlite3_step(w->range)) == SQLITE_ROW) {
        unsigned char id[STOR_ID];
        if (meta_col_id(w->range, 0, id) == 0 && (e = refs_add(&w->refd, id, 0)) != S3_OK)
            break;
    }
    if (e == S3_OK && rc != SQLITE_DONE)
        e = meta_fail(&w->conn, "sweep reference list");
    /* reset ends the statement's read transaction: nothing is held while files are removed */
    meta_done(w->range);
    /* two runs, each sorted by its index: sort the whole */
    if (e == S3_OK && w->refd.n > 1)
        qsort(w->refd.v, w->refd.n, sizeof(*w->refd.v), id_cmp);
    return e;
}

/* 1 if some row references blob id now, 0 if none, -1 on error. */
static int referenced(struct walk *w, const unsigned char *id)
{
    sqlite3_stmt *s = meta_stmt(&w->conn, SQL_BLOB_REFD);
    int rc;
    if (s == NULL)
        return -1;
    meta_bind_id(s, 1, id);
    rc = sqlite3_step(s);
    meta_done(s);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    meta_fail(&w->conn, "sweep reference check");
    return -1;
}

/* Schema 2 lets an objects row name its one blob in objects.blob_id.  It names only inline
 * blobs (no file), and SQL_BLOB_REFD does not read it; but a file named there must never be
 * taken for an orphan, so candidates are checked against that column too.  It has no index:
 * one scan per sweep, and only once a candidate shows up (after a crash: a handful). */
static int named_by_object(struct walk *w, const unsigned char *id)
{
    struct blob_ref key;

    if (w->objrefd_state == 0) {
        sqlite3_stmt *s = NULL;
        int rc;
        if (sqlite3_prepare_v2(w->conn.db, "SELECT blob_id FROM objects WHERE blob_id IS NOT NULL", -1, &s, NULL) !=
            SQLITE_OK) {
            if (strstr(sqlite3_errmsg(w->conn.db), "no such column") == NULL) {
                meta_fail(&w->conn, "sweep object blob list");
                return -1;
            }
            w->objrefd_state = -1;       /* schema 1 */
            return 0;
        }
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            unsigned char oid[STOR_ID];
            if (meta_col_id(s, 0, oid) == 0 && refs_add(&w->objrefd, oid, 0) != S3_OK) {
                rc = SQLITE_NOMEM;
                break;
            }
        }
        sqlite3_finalize(s);
        if (rc != SQLITE_DONE) {
            log_error("storage: sweep object blob list: %s", sqlite3_errstr(rc));
            return -1;
        }
        if (w->objrefd.n > 1)
            qsort(w->objrefd.v, w->objrefd.n, sizeof(*w->objrefd.v), id_cmp);
        w->objrefd_state = 1;
    }
    if (w->objrefd_state < 0 || w->objrefd.n == 0)
        return 0;
    memcpy(key.id, id, STOR_ID);
    return bsearch(&key, w->objrefd.v, w->objrefd.n, sizeof(*w->objrefd.v), id_cmp) != NULL;
}

static void flush_dead(struct walk *w)
{
    if (w->dead.n == 0)
        return;
    blob_unlink(w->st, &w->dead);
    count_swept(w->st, (unsigned)w->dead.n);
    w->removed += (unsigned)w->dead.n;
    w->dead.n = 0;
}

/* A file under blobs/ that is not a blob at all: removed if it is older than the start.  No
 * request writes such a name today; the age test keeps it that way if one ever does. */
static void remove_old_file(struct walk *w, int dfd, const char *where, const char *name)
{
    struct stat sb;
    if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 && ts_before(&sb.st_mtim, &w->job->cutoff))
        remove_file(w->st, dfd, where, name);
}

/* The candidate verdict for blob file name (id) in directory dfd: 1 remove, 0 keep, -1 error. */
static int is_orphan(struct walk *w, int dfd, const char *name, const unsigned char *id)
{
    struct blob_ref key;
    struct stat sb;

    memcpy(key.id, id, STOR_ID);
    if (w->refd.n > 0 && bsearch(&key, w->refd.v, w->refd.n, sizeof(*w->refd.v), id_cmp) != NULL)
        return 0;
    if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
        return 0;                      /* gone already (deleted by a request) */
    if (!ts_before(&sb.st_mtim, &w->job->cutoff))
        return 0;                      /* written by this process: maybe not committed yet */
    switch (referenced(w, id)) {
    case 0:
        break;
    case 1:
        return 0;                      /* a table the range query does not read */
    default:
        return -1;
    }
    switch (named_by_object(w, id)) {
    case 0:
        return 1;
    case 1:
        return 0;
    default:
        return -1;
    }
}

static s3_err sweep_fanout(struct walk *w, const char *sub)
{
    struct stor *st = w->st;
    DIR *d;
    struct dirent *de;
    char where[16];
    s3_err e;

    if ((e = load_refd(w, (unsigned)(hexval((unsigned char)sub[0]) << 4 | hexval((unsigned char)sub[1])))) != S3_OK)
        return e;
    if ((d = open_dir(st->blobs_fd, sub)) == NULL) {
        if (errno == ENOENT)
            return S3_OK;
        log_error("storage: sweep cannot open %s/blobs/%s: %s", st->dir, sub, strerror(errno));
        return S3E_INTERNAL;
    }
    snprintf(where, sizeof(where), "blobs/%s", sub);
    while (e == S3_OK && !stopping(w) && (de = readdir(d)) != NULL) {
        unsigned char id[STOR_ID];
        int r;
        if (is_dot(de->d_name))
            continue;
        if (is_dir(dirfd(d), de)) {
            log_warn("storage: unexpected directory %s/%s/%s left in place", st->dir, where, de->d_name);
            continue;
        }
        if (parse_blob_name(de->d_name, sub, id) != 0) {
            remove_old_file(w, dirfd(d), where, de->d_name);
            continue;
        }
        w->checked++;
        if ((r = is_orphan(w, dirfd(d), de->d_name, id)) < 0)
            e = S3E_INTERNAL;
        else if (r > 0 && (e = refs_add(&w->dead, id, 0)) == S3_OK && w->dead.n >= SWEEP_BATCH)
            flush_dead(w);
    }
    flush_dead(w);
    closedir(d);
    return e;
}

static s3_err walk_blobs(struct walk *w)
{
    struct stor *st = w->st;
    struct dirent *de;
    DIR *d;
    s3_err e = S3_OK;

    if ((d = open_dir(st->blobs_fd, ".")) == NULL) {
        log_error("storage: sweep cannot open %s/blobs: %s", st->dir, strerror(errno));
        return S3E_INTERNAL;
    }
    while (e == S3_OK && !stopping(w) && (de = readdir(d)) != NULL) {
        const char *n = de->d_name;
        if (is_dot(n))
            continue;
        if (!is_dir(dirfd(d), de))
            remove_old_file(w, dirfd(d), "blobs", n);
        else if (strlen(n) == 2 && hexval((unsigned char)n[0]) >= 0 && hexval((unsigned char)n[1]) >= 0)
            e = sweep_fanout(w, n);
        else
            log_warn("storage: unexpected directory %s/blobs/%s left in place", st->dir, n);
    }
    closedir(d);
    return e;
}

/* Walk blobs/ for job (on its thread, or inline when no thread could be started), then mark
 * the job done and log the one summary line tests and operators wait for. */
static void run_walk(struct sweep_job *j)
{
    struct walk w;
    struct timespec t0;
    s3_err e;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    memset(&w, 0, sizeof(w));
    w.job = j;
    w.st = j->st;
    if ((e = walk_open(&w)) == S3_OK)
        e = walk_blobs(&w);
    walk_close(&w);
    if (stopping(&w))
        log_info("storage: start-up sweep stopped by shutdown after %.1f ms, %u orphan file(s) removed", ms_since(&t0),
                 j->tmp_removed + w.removed);
    else if (e != S3_OK)
        log_error("storage: start-up sweep of %s/blobs failed after %.1f ms (see above); orphans stay until the "
                  "next start", j->st->dir, ms_since(&t0));
    else
        log_info("storage: start-up sweep removed %u orphan file(s) in %.1f ms (%u from tmp/, %u from blobs/; "
                 "%zu blob files checked in the background)",
                 j->tmp_removed + w.removed, ms_since(&t0), j->tmp_removed, w.removed, w.checked);
    pthread_mutex_lock(&reg_mu);
    j->result = stopping(&w) ? S3E_INTERNAL : e;
    j->done = 1;
    pthread_cond_broadcast(&reg_cv);
    pthread_mutex_unlock(&reg_mu);
}

static void *sweep_main(void *arg)
{
    /* Housekeeping gives way to requests (on Linux nice is per thread).  It still gets the CPU
     * whenever the server is idle. */
    if (setpriority(PRIO_PROCESS, (id_t)gettid(), SWEEP_NICE) != 0)
        log_debug("storage: sweep thread keeps its priority: %s", strerror(errno));
    run_walk(arg);
    return NULL;
}

/* ------------------------------------------------------------------ start, wait, stop */

/* The file system's "now": the mtime of a file created for the purpose (see the top). */
static int take_stamp(struct stor *st, struct timespec *out)
{
    static const char name[] = ".sweep-stamp";
    struct stat sb;
    int fd = openat(st->tmp_fd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int err = 0;

    if (fd < 0)
        return -1;
    if (fstat(fd, &sb) != 0)
        err = errno;
    close(fd);
    unlinkat(st->tmp_fd, name, 0);
    if (err) {
        errno = err;
        return -1;
    }
    *out = sb.st_mtim;
    return 0;
}

s3_err stor_sweep(struct stor *st)
{
    struct sweep_job *j;
    struct dirent *de;
    DIR *d;
    int rc;

    st->swept = 0;
    if ((d = open_dir(st->tmp_fd, ".")) == NULL) {
        log_error("storage: sweep cannot open %s/tmp: %s", st->dir, strerror(errno));
        return S3E_INTERNAL;
    }
    while ((de = readdir(d)) != NULL)
        if (!is_dot(de->d_name) && !is_dir(dirfd(d), de))
            remove_file(st, dirfd(d), "tmp", de->d_name);
    closedir(d);

    if ((j = calloc(1, sizeof(*j))) == NULL)
        return S3E_NOMEM;
    j->st = st;
    j->tmp_removed = st->swept;
    atomic_init(&j->stop, 0);
    if (take_stamp(st, &j->cutoff) != 0) {
        /* No file can be created in tmp/, so no PUT can either: reads still work. */
        log_warn("storage: cannot create a file in %s/tmp (%s); blobs/ is not swept at this start", st->dir,
                 strerror(errno));
        log_info("storage: start-up sweep removed %u orphan file(s) in 0.0 ms (%u from tmp/, 0 from blobs/; "
                 "blobs/ not swept)", j->tmp_removed, j->tmp_removed);
        j->done = 1;
        j->result = S3E_INTERNAL;
    }
    pthread_mutex_lock(&reg_mu);
    j->next = reg_jobs;
    reg_jobs = j;
    if (!j->done) {
        if ((rc = pthread_create(&j->thread, NULL, sweep_main, j)) == 0)
            j->has_thread = 1;
        else
            log_warn("storage: cannot start the sweep thread (%s); sweeping blobs/ now", strerror(rc));
    }
    pthread_mutex_unlock(&reg_mu);
    if (!j->done && !j->has_thread)
        run_walk(j);
    return S3_OK;
}

s3_err stor_sweep_wait(struct stor *st)
{
    struct sweep_job *j;
    s3_err e = S3_OK;

    pthread_mutex_lock(&reg_mu);
    /* looked up again after every wake-up: stor_sweep_stop may have freed it meanwhile */
    while ((j = job_find(st)) != NULL && !j->done)
        pthread_cond_wait(&reg_cv, &reg_mu);
    if (j != NULL)
        e = j->result;
    pthread_mutex_unlock(&reg_mu);
    return e;
}

void stor_sweep_stop(struct stor *st)
{
    struct sweep_job *j, **pp;

    if (st == NULL)
        return;
    pthread_mutex_lock(&reg_mu);
    if ((j = job_find(st)) != NULL)
        atomic_store(&j->stop, 1);
    pthread_mutex_unlock(&reg_mu);
    if (j == NULL)
        return;
    if (j->has_thread)
        pthread_join(j->thread, NULL);
    pthread_mutex_lock(&reg_mu);
    for (pp = &reg_jobs; *pp; pp = &(*pp)->next)
        if (*pp == j) {
            *pp = j->next;
            break;
        }
    pthread_cond_broadcast(&reg_cv);
    pthread_mutex_unlock(&reg_mu);
    free(j);
}
