/*
 * storage/sweep.c - the start-up sweep.
 *
 * Runs in stor_open before any request, with the data directory locked.  Whatever a crash can
 * leave behind goes: every file in tmp/ (writes that never reached the commit) and every file
 * under blobs/ that no object version or part references (a blob renamed into place whose
 * commit never happened, or one whose unlink after a commit never happened), plus anything in
 * blobs/ that is not a blob file at all.
 */
#include "config.h"
#include "storage/stor_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/log.h"

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

static void remove_file(struct stor *st, int dfd, const char *where, const char *name)
{
    if (unlinkat(dfd, name, 0) == 0) {
        st->swept++;
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

/* 1 if some row references blob id, 0 if none, -1 on error. */
static int referenced(struct stor *st, const unsigned char *id)
{
    sqlite3_stmt *s = meta_stmt(st->writer, SQL_BLOB_REFD);
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
    meta_fail(st->writer, "sweep reference check");
    return -1;
}

static s3_err sweep_fanout(struct stor *st, const char *sub)
{
    DIR *d = open_dir(st->blobs_fd, sub);
    struct dirent *de;
    char where[16];
    s3_err e = S3_OK;

    if (d == NULL) {
        log_error("storage: sweep cannot open %s/blobs/%s: %s", st->dir, sub, strerror(errno));
        return S3E_INTERNAL;
    }
    snprintf(where, sizeof(where), "blobs/%s", sub);
    while ((de = readdir(d)) != NULL) {
        unsigned char id[STOR_ID];
        int r;
        if (is_dot(de->d_name))
            continue;
        if (is_dir(dirfd(d), de)) {
            log_warn("storage: unexpected directory %s/%s/%s left in place", st->dir, where, de->d_name);
            continue;
        }
        if (parse_blob_name(de->d_name, sub, id) != 0) {
            remove_file(st, dirfd(d), where, de->d_name);
            continue;
        }
        if ((r = referenced(st, id)) < 0) {
            e = S3E_INTERNAL;
            break;
        }
        if (r == 0)
            remove_file(st, dirfd(d), where, de->d_name);
    }
    closedir(d);
    return e;
}

s3_err stor_sweep(struct stor *st)
{
    struct dirent *de;
    DIR *d;
    s3_err e = S3_OK;

    st->swept = 0;
    if ((d = open_dir(st->tmp_fd, ".")) == NULL) {
        log_error("storage: sweep cannot open %s/tmp: %s", st->dir, strerror(errno));
        return S3E_INTERNAL;
    }
    while ((de = readdir(d)) != NULL)
        if (!is_dot(de->d_name) && !is_dir(dirfd(d), de))
            remove_file(st, dirfd(d), "tmp", de->d_name);
    closedir(d);

    if ((d = open_dir(st->blobs_fd, ".")) == NULL) {
        log_error("storage: sweep cannot open %s/blobs: %s", st->dir, strerror(errno));
        return S3E_INTERNAL;
    }
    /* one snapshot for every reference check */
    if (meta_read_begin(st->writer) != S3_OK) {
        closedir(d);
        return S3E_INTERNAL;
    }
    while (e == S3_OK && (de = readdir(d)) != NULL) {
        const char *n = de->d_name;
        if (is_dot(n))
            continue;
        if (!is_dir(dirfd(d), de))
            remove_file(st, dirfd(d), "blobs", n);
        else if (strlen(n) == 2 && hexval((unsigned char)n[0]) >= 0 && hexval((unsigned char)n[1]) >= 0)
            e = sweep_fanout(st, n);
        else
            log_warn("storage: unexpected directory %s/blobs/%s left in place", st->dir, n);
    }
    meta_read_end(st->writer);
    closedir(d);
    return e;
}
