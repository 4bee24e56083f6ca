/*
 * t/unit/stor_fixture.h - the fixture shared by the storage unit tests (check_storage,
 * check_sweep): a fresh data directory under /tmp per test, removed by the checked teardown
 * and also at exit (a failing test ends its process without the teardown), the store in g_st,
 * EXPECT/OK on s3_err results, and a deterministic byte generator.
 * Include once, after <check.h>, "storage/storage.h" and "lib/log.h".
 */
#ifndef S3IAM_T_UNIT_STOR_FIXTURE_H
#define S3IAM_T_UNIT_STOR_FIXTURE_H

#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static char g_root[256];
static char g_data[300];
static struct stor *g_st;

#define EXPECT(expr, want)                                                                        \
    do {                                                                                          \
        s3_err e_ = (expr);                                                                       \
        ck_assert_msg(e_ == (want), "%s: got %s, want %s", #expr, err_name(e_), err_name(want));  \
    } while (0)
#define OK(expr) EXPECT(expr, S3_OK)

/* Open g_data (created by stor_open) with that many reader connections. */
static inline void fixture_open(int readers)
{
    struct stor_opts o = { g_data, 0, readers };
    char err[512] = "";
    s3_err e = stor_open(&o, &g_st, err, sizeof(err));
    ck_assert_msg(e == S3_OK, "stor_open: %s (%s)", err, err_name(e));
}

static inline int fixture_rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static inline void fixture_remove_root(void)
{
    if (g_root[0])
        nftw(g_root, fixture_rm_one, 16, FTW_DEPTH | FTW_PHYS);
    g_root[0] = 0;
}

/* A new empty /tmp/NAME.XXXXXX with g_data = its "data" (not created: stor_open makes it). */
static inline void fixture_dir(const char *name)
{
    static int registered;
    if (!registered++)
        atexit(fixture_remove_root);
    log_set_level(LOG_WARN);
    snprintf(g_root, sizeof(g_root), "/tmp/%s.XXXXXX", name);
    ck_assert_ptr_nonnull(mkdtemp(g_root));
    snprintf(g_data, sizeof(g_data), "%s/data", g_root);
}

/* Close the store (if open) and remove the directory. */
static inline void fixture_teardown(void)
{
    stor_close(g_st);
    g_st = NULL;
    fixture_remove_root();
}

/* n pseudo-random bytes, the same for the same seed (xorshift32). */
static inline void fill(unsigned char *p, size_t n, uint32_t seed)
{
    uint32_t x = seed * 2654435761u + 12345u;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (unsigned char)x;
    }
}

#endif
