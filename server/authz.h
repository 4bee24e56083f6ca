/*
 * server/authz.h - building a policy-engine request (struct authz_ctx) from a server request,
 * deciding, and telling the caller (and the log) why.  Used by authz.c for S3 and by the IAM
 * and STS APIs (iam_api.c, sts_api.c) for their own actions.
 *
 * Every decision for a non-root principal is logged at info level as one line:
 *   authz DENY|ALLOW principal=ARN action=ACTION resource=ARN decision=... by=POLICY#STATEMENT
 * and a denial's full explanation (closest statements, the failed condition with the request's
 * and the policy's values, missing keys) follows on the same line after " | ".
 * Denials also carry the response header x-s3iam-decision naming the deciding statement.
 */
#ifndef S3IAM_SERVER_AUTHZ_H
#define S3IAM_SERVER_AUTHZ_H

#include "auth/iam_db.h"
#include "auth/policy.h"
#include "server/req.h"

#define AZ_MAX_KEYS 128

/* One engine request under construction.  Strings handed to az_key are copied. */
struct az {
    struct s3_req *r;
    struct authz_ctx c;
    struct authz_key keys[AZ_MAX_KEYS];
    char **own;               /* copies to free */
    size_t n_own;
    struct iam_identity id;   /* the caller's policies (users and sessions) */
    int have_id;
    int deny_all;             /* the caller's identity could not be loaded: deny */
};

/* Principal and global context keys (doc 5: aws:*).  region: aws:RequestedRegion.
 * Errors: S3E_NOMEM, S3E_INVALID_ACCESS_KEY (the credential vanished since authentication). */
s3_err az_begin(struct az *z, struct s3_req *r, const char *region);
void az_end(struct az *z);
/* Add a context key (copied; NULL value: nothing added). */
void az_key(struct az *z, const char *name, const char *value);
/* A multi-valued key (n may be 0: present but empty). */
void az_keyv(struct az *z, const char *name, const char *const *values, size_t n);

/* Decide action on resource (owned by resource_account; NULL = the caller's account) with the
 * caller's identity policies plus the resource policies rp[0..n_rp).  S3_OK when allowed.
 * On a denial: logs, sets x-s3iam-decision, and when fail_request is set calls req_fail with
 * AccessDenied and AWS's message (S3: resource in quotes; same-account callers get the reason,
 * others "Access Denied"), returning S3E_ACCESS_DENIED.  res_out (may be NULL) gets the result.
 * msg_out (may be NULL) gets the message, malloc'd. */
s3_err az_decide(struct az *z, const char *action, const char *resource, const char *resource_account,
                 const struct policy *const *rp, size_t n_rp, int s3, int fail_request,
                 struct authz_result *res_out, char **msg_out);

/* IAM and STS: authorise action (e.g. "iam:CreateUser") on resource for the caller; extra keys
 * (iam:PolicyARN, aws:RequestTag/..., may be NULL) are added.  The root user of the account
 * is always allowed.  S3E_ACCESS_DENIED (req_fail done) otherwise. */
s3_err authz_query(struct s3_req *r, const char *action, const char *resource, const struct authz_key *extra,
                   size_t n_extra);

/* sts:AssumeRole: the caller's identity policies must allow it unless the trust policy names
 * the caller itself, and the trust policy must admit the caller in any case (a trust policy
 * naming the account delegates to the identity policies).  S3_OK or S3E_ACCESS_DENIED
 * (req_fail done). */
s3_err authz_assume_role(struct s3_req *r, const char *role_arn, const struct policy *trust,
                         const struct authz_key *extra, size_t n_extra);

/* The caller's account (root, user or session); the configured account when anonymous. */
const char *authz_account(const struct s3_req *r);

#endif
