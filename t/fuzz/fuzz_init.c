/*
 * t/fuzz/fuzz_init.c - libFuzzer target for the --init file reader (auth/init_file.c): JSON,
 * the schema checks, the position index behind "FILE:LINE:COLUMN: $.path: message", and every
 * policy document in the file (compiled by the policy engine).
 *
 * Input: the file's bytes.  init_file_load takes a path, so each input is written to one
 * private temporary file first.
 *
 * Invariants (abort() on violation): a valid file reports no problem and an invalid one at least
 * one; every message starts with the file name; seed_error_at on a few paths (present or not)
 * always produces a message with the file name; everything is released (LeakSanitizer).
 *
 * Build and run: make fuzz (every target); see the reliability block of Makefile.am.
 */
#include "config.h"
#include "auth/init_file.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char tmp_path[64];

/* The private file inputs are written to; removed at exit. */
static void tmp_remove(void)
{
    if (tmp_path[0])
        unlink(tmp_path);
}

static int write_input(const uint8_t *data, size_t size)
{
    FILE *f;
    if (tmp_path[0] == 0) {
        int fd;
        snprintf(tmp_path, sizeof(tmp_path), "/tmp/fuzz_init.XXXXXX");
        if ((fd = mkstemp(tmp_path)) < 0) {
            tmp_path[0] = 0;
            return -1;
        }
        close(fd);
        atexit(tmp_remove);
    }
    if ((f = fopen(tmp_path, "wb")) == NULL)
        return -1;
    if (size && fwrite(data, 1, size, f) != size) {
        fclose(f);
        return -1;
    }
    return fclose(f) == 0 ? 0 : -1;
}

static void check_messages(const struct seed_errors *errs, size_t from)
{
    size_t fl = strlen(tmp_path);
    for (size_t i = from; i < errs->n; i++)
        if (errs->msg[i] == NULL || strncmp(errs->msg[i], tmp_path, fl) != 0 || errs->msg[i][fl] != ':')
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const paths[] = { "$", "$.accounts[0]", "$.accounts[0].users[0].groups[0]",
                                         "$.accounts[0].buckets[1].policy", "$.accounts[7]", "$.nope",
                                         "$.accounts[0].roles[0].trust_policy" };
    struct seed s;
    struct seed_errors errs = { NULL, 0 };
    int rc;

    if (write_input(data, size) != 0)
        return 0;
    rc = init_file_load(tmp_path, "eu-west-1", &s, &errs);
    if ((rc == 0) != (errs.n == 0))
        abort();
    check_messages(&errs, 0);
    if (s.file) {
        size_t before = errs.n;
        for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
            seed_error_at(&s, &errs, paths[i], "fuzz %zu", i);
        if (errs.n != before + sizeof(paths) / sizeof(paths[0]))
            abort();
        check_messages(&errs, before);
    }
    seed_release(&s);
    seed_errors_release(&errs);
    return 0;
}
