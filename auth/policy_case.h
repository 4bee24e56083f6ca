/*
 * auth/policy_case.h - load decision test cases (the JSON files of t/data/policy-cases, format in that
 * directory's README) into compiled policies and a ready authz_ctx.
 *
 * Used by tools/s3iam-policy, the unit tests and the benchmark; lives in auth/ because it
 * reads JSON (jansson stays inside auth/).
 */
#ifndef S3IAM_AUTH_POLICY_CASE_H
#define S3IAM_AUTH_POLICY_CASE_H

#include <stddef.h>

#include "auth/policy.h"

struct policy_case {
    const char *name;
    const char *why;
    enum authz_decision expected;
    /* NULL if the case loaded; else why it could not be (a policy failed to compile, ...):
     * a case that does not load counts as a failure. */
    const char *load_error;
    struct policy **identity;
    size_t n_identity;
    struct policy **resource;
    size_t n_resource;
    struct policy **access_point;
    size_t n_access_point;
    struct authz_policies pols; /* points at the arrays above */
    struct authz_ctx ctx;       /* strings and keys owned by the case set */
};

struct policy_case_set {
    struct policy_case *cases;
    size_t n;
    void *priv; /* memory of the set */
};

/* Load every case of one file.  On success the set owns everything (release with
 * policy_cases_release()).  On a file-level problem (unreadable, not a JSON array) returns an
 * error code and writes a message to err. */
s3_err policy_cases_load(const char *path, struct policy_case_set *set, char *err, size_t errlen);

/* Free a set (NULL-safe; the set is emptied). */
void policy_cases_release(struct policy_case_set *set);

/* Evaluate one loaded case. */
void policy_case_run(const struct policy_case *c, struct authz_result *out);

/* Parse "Allow"/"ExplicitDeny"/"ImplicitDeny"; returns 0 if unknown. */
int policy_decision_parse(const char *s, enum authz_decision *out);

#endif
