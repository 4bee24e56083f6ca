/*
 * t/fault/faultinj.c - LD_PRELOAD shim that makes file-system calls fail on purpose.
 *
 * Loaded into s3iamd with LD_PRELOAD=t/fault/faultinj.so (under AddressSanitizer the ASan
 * runtime must come first: LD_PRELOAD=/path/libasan.so.8:t/fault/faultinj.so).  It wraps the
 * calls below, finds the path each call is about (the fd's path through /proc/self/fd for
 * write/fsync, the resolved name for open/openat/rename), and fails the Nth call that matches
 * a rule with the errno the rule names, without calling the real function.
 *
 * Call families (a rule names families or exact function names, comma-separated):
 *   write   write writev              pwrite  pwrite pwrite64 pwritev
 *   fsync   fsync fdatasync           rename  rename renameat renameat2
 *   open    open open64 __open_2 ...  openat  openat openat64 __openat_2 ...
 *   any     every wrapped call
 *
 * A rule has these keys (environment variables FAULT_*, or KEY=VALUE lines in a control file):
 *   CALL   families or names, e.g. "write" or "fsync,rename"         (required to arm)
 *   PATH   substring the call's path must contain ("" = any path)
 *   NTH    the first matching call that fails, 1-based                 (default 1)
 *   COUNT  how many matching calls fail from the NTH on; 0 = all      (default 1)
 *   ERRNO  ENOSPC, EIO, EDQUOT, EROFS, EACCES, EMFILE, ENFILE, EPERM or a number (default EIO)
 *   MODE   "fail" (default) or "short": a write/pwrite writes half of its bytes (at least one)
 *          and returns that count; the next matching call then fails as in "fail"
 *   LOG    file to which one line "inject CALL PATH ERRNO" is appended per injected fault
 *   TRACE  "1": also log "trace CALL PATH" for every matching call (to prove a file was, or
 *          was not, touched)
 *
 * FAULT_CTL=FILE makes the shim take its rule from FILE instead of the environment.  FILE is
 * looked at (stat) on every wrapped call; when it changes (inode, size or mtime) the rule is
 * re-read and the call counter restarts at 0, so a test can arm a fault for one request while
 * the server runs.  A missing FILE disarms.  FAULT_LOG set in the environment is used when the
 * file names no LOG.
 *
 * The shim never calls back into itself: its own file accesses use the real functions, and a
 * thread-local flag makes every nested wrapped call pass straight through.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

/* Every wrapped function, with the family it belongs to. */
enum fam { FAM_WRITE = 1 << 0, FAM_PWRITE = 1 << 1, FAM_FSYNC = 1 << 2, FAM_RENAME = 1 << 3,
           FAM_OPEN = 1 << 4, FAM_OPENAT = 1 << 5 };

enum fn {
    FN_WRITE, FN_WRITEV, FN_PWRITE, FN_PWRITE64, FN_PWRITEV, FN_FSYNC, FN_FDATASYNC, FN_RENAME,
    FN_RENAMEAT, FN_RENAMEAT2, FN_OPEN, FN_OPEN64, FN_OPEN_2, FN_OPEN64_2, FN_OPENAT, FN_OPENAT64,
    FN_OPENAT_2, FN_OPENAT64_2, FN_COUNT
};

static const struct fn_info {
    const char *name;
    enum fam fam;
} fns[FN_COUNT] = {
    [FN_WRITE] = { "write", FAM_WRITE },           [FN_WRITEV] = { "writev", FAM_WRITE },
    [FN_PWRITE] = { "pwrite", FAM_PWRITE },        [FN_PWRITE64] = { "pwrite64", FAM_PWRITE },
    [FN_PWRITEV] = { "pwritev", FAM_PWRITE },      [FN_FSYNC] = { "fsync", FAM_FSYNC },
    [FN_FDATASYNC] = { "fdatasync", FAM_FSYNC },   [FN_RENAME] = { "rename", FAM_RENAME },
    [FN_RENAMEAT] = { "renameat", FAM_RENAME },    [FN_RENAMEAT2] = { "renameat2", FAM_RENAME },
    [FN_OPEN] = { "open", FAM_OPEN },              [FN_OPEN64] = { "open64", FAM_OPEN },
    [FN_OPEN_2] = { "__open_2", FAM_OPEN },        [FN_OPEN64_2] = { "__open64_2", FAM_OPEN },
    [FN_OPENAT] = { "openat", FAM_OPENAT },        [FN_OPENAT64] = { "openat64", FAM_OPENAT },
    [FN_OPENAT_2] = { "__openat_2", FAM_OPENAT },  [FN_OPENAT64_2] = { "__openat64_2", FAM_OPENAT },
};

static const struct {
    const char *name;
    unsigned mask;
} families[] = {
    { "write", FAM_WRITE }, { "pwrite", FAM_PWRITE }, { "fsync", FAM_FSYNC }, { "rename", FAM_RENAME },
    { "open", FAM_OPEN },   { "openat", FAM_OPENAT }, { "any", 0x3f },
};

static const struct {
    const char *name;
    int value;
} errnos[] = {
    { "ENOSPC", ENOSPC }, { "EIO", EIO }, { "EDQUOT", EDQUOT }, { "EROFS", EROFS },
    { "EACCES", EACCES }, { "EMFILE", EMFILE }, { "ENFILE", ENFILE }, { "EPERM", EPERM },
};

/* The rule in force. */
struct rule {
    int armed;
    unsigned fams;             /* families selected by name */
    unsigned char exact[FN_COUNT]; /* exact function names selected */
    char path[PATH_MAX];
    unsigned long nth, count;
    int err;
    int short_mode;
    int trace;
    char log[PATH_MAX];
    unsigned long seen;        /* matching calls so far */
    int short_done;            /* MODE=short: the short write has happened */
};

/* Real functions, looked up once. */
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_writev)(int, const struct iovec *, int);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_pwrite64)(int, const void *, size_t, off_t);
static ssize_t (*real_pwritev)(int, const struct iovec *, int, off_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_rename)(const char *, const char *);
static int (*real_renameat)(int, const char *, int, const char *);
static int (*real_renameat2)(int, const char *, int, const char *, unsigned);
static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static int (*real_open_2)(const char *, int);
static int (*real_open64_2)(const char *, int);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_openat64)(int, const char *, int, ...);
static int (*real_openat_2)(int, const char *, int);
static int (*real_openat64_2)(int, const char *, int);

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct rule rule;
static char ctl_path[PATH_MAX];
static char env_log[PATH_MAX];
static struct stat ctl_st;      /* what the control file looked like when last read */
static int ctl_present;
static _Thread_local int in_shim;

/* dlsym returns void *; POSIX guarantees it converts to a function pointer. */
#define LOOKUP(var, name) (*(void **)(&(var)) = dlsym(RTLD_NEXT, (name)))

static void load_symbols(void)
{
    LOOKUP(real_write, "write");
    LOOKUP(real_writev, "writev");
    LOOKUP(real_pwrite, "pwrite");
    LOOKUP(real_pwrite64, "pwrite64");
    LOOKUP(real_pwritev, "pwritev");
    LOOKUP(real_fsync, "fsync");
    LOOKUP(real_fdatasync, "fdatasync");
    LOOKUP(real_rename, "rename");
    LOOKUP(real_renameat, "renameat");
    LOOKUP(real_renameat2, "renameat2");
    LOOKUP(real_open, "open");
    LOOKUP(real_open64, "open64");
    LOOKUP(real_open_2, "__open_2");
    LOOKUP(real_open64_2, "__open64_2");
    LOOKUP(real_openat, "openat");
    LOOKUP(real_openat64, "openat64");
    LOOKUP(real_openat_2, "__openat_2");
    LOOKUP(real_openat64_2, "__openat64_2");
}

static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = 0;
}

static int parse_errno(const char *v)
{
    char *end;
    long n;
    for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
        if (strcmp(v, errnos[i].name) == 0)
            return errnos[i].value;
    n = strtol(v, &end, 10);
    return (end != v && *end == 0 && n > 0 && n < 4096) ? (int)n : EIO;
}

/* CALL: comma-separated family or function names. */
static void parse_calls(struct rule *r, const char *v)
{
    char name[64];
    while (*v) {
        size_t n = strcspn(v, ", ");
        if (n > 0 && n < sizeof(name)) {
            memcpy(name, v, n);
            name[n] = 0;
            for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
                if (strcmp(name, families[i].name) == 0)
                    r->fams |= families[i].mask;
            for (int i = 0; i < FN_COUNT; i++)
                if (strcmp(name, fns[i].name) == 0)
                    r->exact[i] = 1;
        }
        v += n;
        while (*v == ',' || *v == ' ')
            v++;
    }
}

static void set_key(struct rule *r, const char *k, const char *v)
{
    if (strcmp(k, "CALL") == 0)
        parse_calls(r, v);
    else if (strcmp(k, "PATH") == 0)
        copy_str(r->path, sizeof(r->path), v);
    else if (strcmp(k, "NTH") == 0)
        r->nth = strtoul(v, NULL, 10);
    else if (strcmp(k, "COUNT") == 0)
        r->count = strtoul(v, NULL, 10);
    else if (strcmp(k, "ERRNO") == 0)
        r->err = parse_errno(v);
    else if (strcmp(k, "MODE") == 0)
        r->short_mode = strcmp(v, "short") == 0;
    else if (strcmp(k, "TRACE") == 0)
        r->trace = strcmp(v, "1") == 0;
    else if (strcmp(k, "LOG") == 0)
        copy_str(r->log, sizeof(r->log), v);
}

static void rule_defaults(struct rule *r)
{
    memset(r, 0, sizeof(*r));
    r->nth = 1;
    r->count = 1;
    r->err = EIO;
    copy_str(r->log, sizeof(r->log), env_log);
}

static void rule_finish(struct rule *r)
{
    int any = r->fams != 0;
    for (int i = 0; i < FN_COUNT; i++)
        any |= r->exact[i];
    r->armed = any;
    if (r->nth == 0)
        r->nth = 1;
}

/* Read the control file (the caller holds mu). */
static void read_ctl(void)
{
    char text[8192];
    ssize_t got = 0;
    int fd = real_open(ctl_path, O_RDONLY | O_CLOEXEC);

    rule_defaults(&rule);
    if (fd < 0)
        return;
    while (got < (ssize_t)sizeof(text) - 1) {
        ssize_t n = read(fd, text + got, sizeof(text) - 1 - (size_t)got);
        if (n <= 0)
            break;
        got += n;
    }
    close(fd);
    text[got] = 0;
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n'), *eq;
        if (nl)
            *nl = 0;
        if ((eq = strchr(line, '=')) != NULL) {
            *eq = 0;
            set_key(&rule, line, eq + 1);
        }
        line = nl ? nl + 1 : NULL;
    }
    rule_finish(&rule);
}

static void init(void)
{
    static const char *const keys[] = { "CALL", "PATH", "NTH", "COUNT", "ERRNO", "MODE", "TRACE", "LOG" };
    const char *v;

    load_symbols();
    if ((v = getenv("FAULT_LOG")) != NULL)
        copy_str(env_log, sizeof(env_log), v);
    rule_defaults(&rule);
    if ((v = getenv("FAULT_CTL")) != NULL && *v) {
        copy_str(ctl_path, sizeof(ctl_path), v);
        return;   /* the rule comes from the file, checked on every call */
    }
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        char name[32];
        snprintf(name, sizeof(name), "FAULT_%s", keys[i]);
        if ((v = getenv(name)) != NULL)
            set_key(&rule, keys[i], v);
    }
    rule_finish(&rule);
}

/* Re-read the control file when it changed (the caller holds mu). */
static void refresh_ctl(void)
{
    struct stat sb;
    int present;

    if (ctl_path[0] == 0)
        return;
    present = stat(ctl_path, &sb) == 0;
    if (present == ctl_present &&
        (!present || (sb.st_ino == ctl_st.st_ino && sb.st_size == ctl_st.st_size &&
                      sb.st_mtim.tv_sec == ctl_st.st_mtim.tv_sec && sb.st_mtim.tv_nsec == ctl_st.st_mtim.tv_nsec)))
        return;
    ctl_present = present;
    if (present)
        ctl_st = sb;
    read_ctl();
}

static void log_line(const char *what, enum fn f, const char *path, int err)
{
    char line[PATH_MAX + 128];
    int fd, n;

    if (rule.log[0] == 0)
        return;
    n = snprintf(line, sizeof(line), "%s %s %s %d\n", what, fns[f].name, path, err);
    if (n < 0)
        return;
    if (n >= (int)sizeof(line))
        n = (int)sizeof(line) - 1;
    fd = real_open(rule.log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) {
        real_write(fd, line, (size_t)n);
        close(fd);
    }
}

/* Path of an open fd (or "" when unknown). */
static void fd_path(int fd, char *out, size_t cap)
{
    char link[64];
    ssize_t n;
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    n = readlink(link, out, cap - 1);
    out[n > 0 ? n : 0] = 0;
}

/* Absolute form of name relative to dirfd. */
static void at_path(int dirfd, const char *name, char *out, size_t cap)
{
    char base[PATH_MAX];
    if (name == NULL) {
        out[0] = 0;
        return;
    }
    if (name[0] == '/') {
        copy_str(out, cap, name);
        return;
    }
    if (dirfd == AT_FDCWD) {
        if (getcwd(base, sizeof(base)) == NULL)
            base[0] = 0;
    } else {
        fd_path(dirfd, base, sizeof(base));
    }
    snprintf(out, cap, "%s/%s", base, name);
}

enum verdict { PASS = 0, FAIL, SHORT };

/*
 * Decide the fate of one call.  path1/path2 are the call's paths (path2 only for rename).
 * Returns PASS to run the real call, FAIL (errno set) or SHORT.
 */
static enum verdict decide(enum fn f, const char *path1, const char *path2)
{
    enum verdict v = PASS;
    int match;

    pthread_mutex_lock(&mu);
    refresh_ctl();
    if (!rule.armed || !((rule.fams & fns[f].fam) || rule.exact[f]))
        goto out;
    match = rule.path[0] == 0 || (path1 && strstr(path1, rule.path)) || (path2 && strstr(path2, rule.path));
    if (!match)
        goto out;
    rule.seen++;
    if (rule.trace)
        log_line("trace", f, path1 ? path1 : "", 0);
    if (rule.seen < rule.nth || (rule.count != 0 && rule.seen >= rule.nth + rule.count))
        goto out;
    if (rule.short_mode && !rule.short_done && (fns[f].fam & (FAM_WRITE | FAM_PWRITE))) {
        rule.short_done = 1;
        rule.seen--;         /* the failure proper is still to come */
        log_line("short", f, path1 ? path1 : "", 0);
        v = SHORT;
        goto out;
    }
    log_line("inject", f, path1 ? path1 : "", rule.err);
    v = FAIL;
out:
    pthread_mutex_unlock(&mu);
    if (v == FAIL)
        errno = rule.err;
    return v;
}

/* Decide about an fd call; returns PASS when nested or not matching. */
static enum verdict decide_fd(enum fn f, int fd)
{
    char p[PATH_MAX];
    enum verdict v;
    int saved = errno;
    if (in_shim)
        return PASS;
    in_shim = 1;
    fd_path(fd, p, sizeof(p));
    v = decide(f, p, NULL);
    in_shim = 0;
    if (v != FAIL)
        errno = saved;
    return v;
}

static enum verdict decide_at(enum fn f, int d1, const char *n1, int d2, const char *n2)
{
    char p1[PATH_MAX], p2[PATH_MAX];
    enum verdict v;
    int saved = errno;
    if (in_shim)
        return PASS;
    in_shim = 1;
    at_path(d1, n1, p1, sizeof(p1));
    if (n2)
        at_path(d2, n2, p2, sizeof(p2));
    v = decide(f, p1, n2 ? p2 : NULL);
    in_shim = 0;
    if (v != FAIL)
        errno = saved;
    return v;
}

static size_t half(size_t n) { return n > 1 ? n / 2 : n; }

/* ------------------------------------------------------------------ the wrappers */

ssize_t write(int fd, const void *buf, size_t n)
{
    pthread_once(&init_once, init);
    switch (decide_fd(FN_WRITE, fd)) {
    case FAIL: return -1;
    case SHORT: return real_write(fd, buf, half(n));
    default: return real_write(fd, buf, n);
    }
}

ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
    pthread_once(&init_once, init);
    if (decide_fd(FN_WRITEV, fd) == FAIL)
        return -1;
    return real_writev(fd, iov, cnt);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    pthread_once(&init_once, init);
    switch (decide_fd(FN_PWRITE, fd)) {
    case FAIL: return -1;
    case SHORT: return real_pwrite(fd, buf, half(n), off);
    default: return real_pwrite(fd, buf, n, off);
    }
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
{
    pthread_once(&init_once, init);
    switch (decide_fd(FN_PWRITE64, fd)) {
    case FAIL: return -1;
    case SHORT: return real_pwrite64(fd, buf, half(n), off);
    default: return real_pwrite64(fd, buf, n, off);
    }
}

ssize_t pwritev(int fd, const struct iovec *iov, int cnt, off_t off)
{
    pthread_once(&init_once, init);
    if (decide_fd(FN_PWRITEV, fd) == FAIL)
        return -1;
    return real_pwritev(fd, iov, cnt, off);
}

int fsync(int fd)
{
    pthread_once(&init_once, init);
    if (decide_fd(FN_FSYNC, fd) == FAIL)
        return -1;
    return real_fsync(fd);
}

int fdatasync(int fd)
{
    pthread_once(&init_once, init);
    if (decide_fd(FN_FDATASYNC, fd) == FAIL)
        return -1;
    return real_fdatasync(fd);
}

int rename(const char *from, const char *to)
{
    pthread_once(&init_once, init);
    if (decide_at(FN_RENAME, AT_FDCWD, from, AT_FDCWD, to) == FAIL)
        return -1;
    return real_rename(from, to);
}

int renameat(int fd1, const char *from, int fd2, const char *to)
{
    pthread_once(&init_once, init);
    if (decide_at(FN_RENAMEAT, fd1, from, fd2, to) == FAIL)
        return -1;
    return real_renameat(fd1, from, fd2, to);
}

int renameat2(int fd1, const char *from, int fd2, const char *to, unsigned flags)
{
    pthread_once(&init_once, init);
    if (decide_at(FN_RENAMEAT2, fd1, from, fd2, to) == FAIL)
        return -1;
    return real_renameat2(fd1, from, fd2, to, flags);
}

/* open and openat take a mode only with O_CREAT or O_TMPFILE. */
static mode_t mode_arg(int flags, va_list ap)
{
    return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t)va_arg(ap, int) : 0;
}

int open(const char *path, int flags, ...)
{
    va_list ap;
    mode_t m;
    va_start(ap, flags);
    m = mode_arg(flags, ap);
    va_end(ap);
    pthread_once(&init_once, init);
    if (decide_at(FN_OPEN, AT_FDCWD, path, AT_FDCWD, NULL) == FAIL)
        return -1;
    return real_open(path, flags, m);
}

int open64(const char *path, int flags, ...)
{
    va_list ap;
    mode_t m;
    va_start(ap, flags);
    m = mode_arg(flags, ap);
    va_end(ap);
    pthread_once(&init_once, init);
    if (decide_at(FN_OPEN64, AT_FDCWD, path, AT_FDCWD, NULL) == FAIL)
        return -1;
    return real_open64(path, flags, m);
}

int __open_2(const char *path, int flags);
int __open_2(const char *path, int flags)
{
    pthread_once(&init_once, init);
    if (decide_at(FN_OPEN_2, AT_FDCWD, path, AT_FDCWD, NULL) == FAIL)
        return -1;
    return real_open_2(path, flags);
}

int __open64_2(const char *path, int flags);
int __open64_2(const char *path, int flags)
{
    pthread_once(&init_once, init);
    if (decide_at(FN_OPEN64_2, AT_FDCWD, path, AT_FDCWD, NULL) == FAIL)
        return -1;
    return real_open64_2(path, flags);
}

int openat(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    mode_t m;
    va_start(ap, flags);
    m = mode_arg(flags, ap);
    va_end(ap);
    pthread_once(&init_once, init);
    if (decide_at(FN_OPENAT, dirfd, path, AT_FDCWD, NULL) == FAIL)
        return -1;
    return real_openat(dirfd, path, flags, m);
}

int openat64(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    mode_t m;
    va_start(ap, flags);
    m = mode_arg(flags, ap);
    va_end(ap);
    pthread_once(&init_once, init);
    if (decide_at(FN_OPENAT64, dirfd, path, AT_FDCWD, NULL) == FAIL)
        return -1;
    return real_openat64(dirfd, path, flags, m);
}

int __openat_2(int dirfd, const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags)
{
    pthread_once(&init_once, init);
    if (decide_at(FN_OPENAT_2, dirfd, path, AT_FDCWD, NULL) == FAIL)
        return -1;
    return real_openat_2(dirfd, path, flags);
}

int __openat64_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags)
{
    pthread_once(&init_once, init);
    if (decide_at(FN_OPENAT64_2, dirfd, path, AT_FDCWD, NULL) == FAIL)
        return -1;
    return real_openat64_2(dirfd, path, flags);
}
