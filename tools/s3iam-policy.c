/*
 * tools/s3iam-policy.c - the policy engine on the command line.
 *
 *   s3iam-policy eval [-v] FILE.json...
 *       Run decision cases (t/data/policy-cases format): per case the decision, the deciding
 *       statements and PASS/FAIL against "expected"; last line "N passed, N failed".
 *       Exit 0 if every case passed, 1 otherwise, 2 on usage errors.  -v explains every case
 *       (failures are always explained).
 *   s3iam-policy validate --kind identity|bucket|access-point|trust [--bucket NAME]
 *                         [--access-point ARN] FILE
 *       Validate one policy document as IAM/S3 would when storing it.  Prints
 *       FILE:LINE:COLUMN: MESSAGE for every problem (and warnings), exit 0 if valid, 1 if not.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/policy.h"
#include "auth/policy_case.h"
#include "lib/buf.h"

#define MAX_POLICY_FILE (1024 * 1024)

static void usage(FILE *f)
{
    fprintf(f,
            "usage: s3iam-policy eval [-v] CASES.json...\n"
            "       s3iam-policy validate --kind identity|bucket|access-point|trust\n"
            "                             [--bucket NAME] [--access-point ARN] POLICY.json\n");
}

static void print_match(const struct authz_match *m, const char *indent)
{
    struct policy_stmt_info si;

    if (!policy_statement_info(m->policy, m->stmt, &si))
        return;
    printf("%s%s statement %zu", indent, policy_source(m->policy), si.index + 1);
    if (si.sid)
        printf(" (Sid %s)", si.sid);
    printf(" %s, line %d", si.allow ? "Allow" : "Deny", si.line);
    if (m->check == AUTHZ_CHECK_ACCESS_POINT)
        printf(" [access point check]");
    else if (m->check == AUTHZ_CHECK_BUCKET)
        printf(" [bucket check]");
    printf("\n");
}

static int eval_file(const char *path, int verbose, size_t *pass, size_t *fail)
{
    struct policy_case_set set;
    char err[512];
    const char *base = strrchr(path, '/');

    base = base ? base + 1 : path;
    if (policy_cases_load(path, &set, err, sizeof err) != S3_OK) {
        printf("FAIL %s: %s\n", base, err);
        (*fail)++;
        return 0;
    }
    for (size_t i = 0; i < set.n; i++) {
        const struct policy_case *c = &set.cases[i];
        struct authz_result r;
        int ok;

        if (c->load_error) {
            printf("FAIL %s #%zu %s: %s\n", base, i + 1, c->name, c->load_error);
            (*fail)++;
            continue;
        }
        policy_case_run(c, &r);
        ok = r.decision == c->expected;
        printf("%s %s #%zu %s: %s (expected %s)\n", ok ? "PASS" : "FAIL", base, i + 1, c->name,
               authz_decision_name(r.decision), authz_decision_name(c->expected));
        for (size_t k = 0; k < r.n_deciding && k < AUTHZ_MAX_MATCHES; k++)
            print_match(&r.deciding[k], "     by ");
        if (!ok || verbose) {
            struct s3_buf b;
            buf_init(&b, 0);
            if (authz_explain(&r, &c->ctx, &b) == S3_OK && b.p) {
                char *line = b.p, *nl;
                while (*line && (nl = strchr(line, '\n')) != NULL) {
                    printf("     | %.*s\n", (int)(nl - line), line);
                    line = nl + 1;
                }
            }
            buf_release(&b);
            if (!ok && c->why)
                printf("     | expected because: %s\n", c->why);
        }
        if (ok)
            (*pass)++;
        else
            (*fail)++;
    }
    policy_cases_release(&set);
    return 1;
}

static int cmd_eval(int argc, char **argv)
{
    size_t pass = 0, fail = 0;
    int verbose = 0, nfiles = 0;

    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "-v") == 0) {
            verbose = 1;
            continue;
        }
        eval_file(argv[i], verbose, &pass, &fail);
        nfiles++;
    }
    if (nfiles == 0) {
        usage(stderr);
        return 2;
    }
    printf("%zu passed, %zu failed\n", pass, fail);
    return fail ? 1 : 0;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0;

    if (f == NULL)
        return NULL;
    buf = malloc(MAX_POLICY_FILE + 1);
    if (buf != NULL) {
        n = fread(buf, 1, MAX_POLICY_FILE + 1, f);
        if (ferror(f) || n > MAX_POLICY_FILE) {
            free(buf);
            buf = NULL;
            errno = ferror(f) ? EIO : EFBIG;
        } else {
            buf[n] = 0;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

static int parse_kind(const char *s, enum policy_kind *k)
{
    if (strcmp(s, "identity") == 0)
        *k = POLICY_IDENTITY;
    else if (strcmp(s, "bucket") == 0)
        *k = POLICY_RESOURCE_BUCKET;
    else if (strcmp(s, "access-point") == 0)
        *k = POLICY_ACCESS_POINT;
    else if (strcmp(s, "trust") == 0)
        *k = POLICY_TRUST;
    else
        return 0;
    return 1;
}

static const char *kind_name(enum policy_kind k)
{
    switch (k) {
    case POLICY_IDENTITY:
        return "identity";
    case POLICY_RESOURCE_BUCKET:
        return "bucket";
    case POLICY_ACCESS_POINT:
        return "access point";
    default:
        return "trust";
    }
}

static void print_diag(const char *file, const struct policy_error *e, const char *what)
{
    printf("%s:%d:%d: %s%s", file, e->line, e->column, what, e->message);
    if (e->detail[0])
        printf(" -- %s", e->detail);
    printf("\n");
}

static int cmd_validate(int argc, char **argv)
{
    struct policy_validate_opts opts = { 0 };
    struct policy_diag diag;
    struct policy *p = NULL;
    enum policy_kind kind = POLICY_IDENTITY;
    const char *file = NULL;
    int have_kind = 0;
    char *text;
    size_t len;
    s3_err e;

    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--kind") == 0 && i + 1 < argc) {
            if (!parse_kind(argv[++i], &kind)) {
                fprintf(stderr, "s3iam-policy: unknown kind %s\n", argv[i]);
                return 2;
            }
            have_kind = 1;
        } else if (strcmp(argv[i], "--bucket") == 0 && i + 1 < argc) {
            opts.bucket = argv[++i];
        } else if (strcmp(argv[i], "--access-point") == 0 && i + 1 < argc) {
            opts.access_point_arn = argv[++i];
        } else if (argv[i][0] == '-' || file != NULL) {
            usage(stderr);
            return 2;
        } else {
            file = argv[i];
        }
    }
    if (!have_kind || file == NULL) {
        usage(stderr);
        return 2;
    }
    text = read_file(file, &len);
    if (text == NULL) {
        fprintf(stderr, "s3iam-policy: %s: %s\n", file, strerror(errno));
        return 2;
    }
    e = policy_compile(text, len, kind, &opts, file, &p, &diag);
    for (size_t i = 0; i < diag.n_errors && i < POLICY_MAX_DIAG; i++)
        print_diag(file, &diag.errors[i], "");
    if (diag.n_errors > POLICY_MAX_DIAG)
        printf("%s: ... and %zu more errors\n", file, diag.n_errors - POLICY_MAX_DIAG);
    for (size_t i = 0; i < diag.n_warnings && i < POLICY_MAX_DIAG; i++)
        print_diag(file, &diag.warnings[i], "warning: ");
    if (e == S3_OK)
        printf("%s: valid %s policy, %zu statement%s%s\n", file, kind_name(kind),
               policy_statement_count(p), policy_statement_count(p) == 1 ? "" : "s",
               (kind == POLICY_RESOURCE_BUCKET || kind == POLICY_ACCESS_POINT) &&
                       policy_is_public(p, kind)
                   ? " (public)"
                   : "");
    policy_free(p);
    free(text);
    return e == S3_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "eval") == 0)
        return cmd_eval(argc - 2, argv + 2);
    if (strcmp(argv[1], "validate") == 0)
        return cmd_validate(argc - 2, argv + 2);
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(stdout);
        return 0;
    }
    usage(stderr);
    return 2;
}
