/*
 * auth/policy.h - the IAM policy engine: parse, validate, compile, evaluate, explain.
 *
 * Life of a policy:
 *   text --policy_compile()--> struct policy (immutable, shareable across threads)
 *        --authz_evaluate()--> struct authz_result (decision + the statements behind it)
 *        --authz_reason_phrase() / authz_explain()--> words for the client or the student
 *
 * The semantics follow the project's authorization reference (authorization.md, kept with the
 * team's shared notes; "doc 4.5" in comments means its section 4.5) section by section; its
 * executable companion is copied into t/data/policy-cases/.
 *
 * Threading: a compiled policy is read-only after policy_compile() returns.  authz_evaluate()
 * keeps all of its state on the caller's stack and in *out, never allocates, and may run in
 * any number of threads on the same policies.
 */
#ifndef S3IAM_AUTH_POLICY_H
#define S3IAM_AUTH_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/err.h"

/* ------------------------------------------------------------------ compiling */

/* Which grammar a document is validated against (doc section 1). */
enum policy_kind {
    POLICY_IDENTITY,        /* user/group/role inline or managed policy, session policy */
    POLICY_RESOURCE_BUCKET, /* S3 bucket policy (PutBucketPolicy rules, MalformedPolicy) */
    POLICY_ACCESS_POINT,    /* S3 access point policy (PutAccessPointPolicy rules) */
    POLICY_TRUST,           /* role trust policy (AssumeRolePolicyDocument) */
};

enum policy_flags {
    /* Identity/trust: accept a missing Version or "2008-10-17".  IAM rejects both when a policy
     * is created; the flag is for documents that are evaluated but not being stored
     * (simulations, test cases).  Such policies get 2008-10-17 semantics: no variables. */
    POLICY_F_ALLOW_OLD_VERSION = 1 << 0,
    /* Skip the size limit. */
    POLICY_F_NO_SIZE_LIMIT = 1 << 1,
    /* Bucket/access point: skip the S3 catalogue checks (unknown action, resource outside the
     * bucket, action that applies to no resource, principal existence).  Grammar is still
     * checked.  For evaluating documents that S3 would not have stored. */
    POLICY_F_NO_S3_CHECKS = 1 << 2,
};

/* Extra inputs to validation.  Pass NULL for the defaults (all zero). */
struct policy_validate_opts {
    unsigned flags;               /* enum policy_flags */
    /* POLICY_RESOURCE_BUCKET: every Resource must be arn:aws:s3:::BUCKET or under
     * arn:aws:s3:::BUCKET/, else "Policy has invalid resource".  NULL: any S3 bucket/object
     * ARN is accepted. */
    const char *bucket;
    /* POLICY_ACCESS_POINT: every Resource must be this access point ARN or under ARN/object/.
     * NULL: any access point ARN is accepted. */
    const char *access_point_arn;
    /* Size limit in characters, whitespace excluded.  0: the default for the kind
     * (identity 6144 as for a managed policy, trust 2048, bucket/access point 20480).
     * Callers storing inline policies pass 2048/5120/10240 minus what the entity already uses
     * (see policy_size_chars()). */
    size_t max_chars;
    /* Bucket/access point: called for every user/role/session ARN or account named in
     * Principal/NotPrincipal; return 0 if it does not exist ("Invalid principal in policy").
     * NULL: no existence check. */
    int (*principal_exists)(void *ud, const char *principal);
    void *principal_exists_ud;
};

#define POLICY_MAX_DIAG 8

/* One problem found in a document. */
struct policy_error {
    s3_err code;        /* S3E_IAM_MALFORMED_POLICY, S3E_IAM_LIMIT_EXCEEDED, S3E_IAM_VALIDATION
                         * (identity/trust); S3E_MALFORMED_POLICY (bucket/access point);
                         * S3E_NOMEM.  Warnings carry S3_OK. */
    int line, column;   /* 1-based position in the text (columns count characters), 0 = none */
    int stmt;           /* statement index (0-based) the problem is in, -1 if none */
    char message[256];  /* the AWS message, verbatim: send this to the client */
    char detail[256];   /* for people: what is wrong and how to fix it ("" if nothing to add) */
};

/* Everything validation found.  errors[0] is the one AWS would report (errors are ordered the
 * way IAM/S3 check them); n_errors may exceed POLICY_MAX_DIAG, only the first are stored.
 * Warnings never make a document invalid (duplicate JSON keys, values that can never match). */
struct policy_diag {
    size_t n_errors, n_warnings;
    struct policy_error errors[POLICY_MAX_DIAG];
    struct policy_error warnings[POLICY_MAX_DIAG];
};

struct policy; /* compiled policy; opaque */

/* Parse, validate and compile text[0..len) (need not be NUL-terminated).
 * source names the policy in explanations, e.g. "arn:aws:iam::111122223333:policy/engineer",
 * "inline policy alice/engineer", "bucket policy of demo"; it is copied (NULL = "policy").
 * On success *out is a new policy (free with policy_free()) and S3_OK is returned; diag (may be
 * NULL) still receives warnings.  On failure *out is NULL, the return value is the error code
 * of diag->errors[0] (S3E_IAM_MALFORMED_POLICY, S3E_MALFORMED_POLICY, S3E_IAM_LIMIT_EXCEEDED,
 * S3E_IAM_VALIDATION or S3E_NOMEM), and diag holds the messages. */
s3_err policy_compile(const char *text, size_t len, enum policy_kind kind,
                      const struct policy_validate_opts *opts, const char *source,
                      struct policy **out, struct policy_diag *diag);

/* Free a compiled policy.  NULL is ignored. */
void policy_free(struct policy *p);

/* Size of a document as IAM counts it: characters other than whitespace.  For summing a user's
 * inline policies against the 2048 quota. */
size_t policy_size_chars(const char *text, size_t len);

/* Accessors.  Returned strings are owned by the policy and live as long as it does. */
enum policy_kind policy_get_kind(const struct policy *p);
const char *policy_source(const struct policy *p);
size_t policy_statement_count(const struct policy *p);
/* 1 if the document's Version is 2012-10-17 (policy variables active). */
int policy_version_2012(const struct policy *p);

struct policy_stmt_info {
    size_t index;              /* 0-based position in Statement */
    const char *sid;           /* NULL if the statement has no Sid */
    int allow;                 /* 1 for Effect Allow, 0 for Deny */
    int line, column;          /* where the statement's '{' is (1-based) */
    int end_line, end_column;  /* where its '}' is */
};
/* Fill *out for statement i.  Returns 0 if i is out of range. */
int policy_statement_info(const struct policy *p, size_t i, struct policy_stmt_info *out);

/* 1 if the policy is "public" in the sense of S3 Block Public Access (doc 4.6): some Allow
 * statement grants a Get/List/Put/Delete/AbortMultipartUpload/RestoreObject S3 action to "*"
 * (or through NotPrincipal) without a condition that pins a fixed value of aws:SourceIp
 * (no broader than /8, /32 for IPv6), aws:SourceArn, aws:SourceVpc, aws:SourceVpce,
 * aws:SourceOwner, aws:SourceAccount, aws:PrincipalOrgID, aws:userid, s3:DataAccessPointArn,
 * s3:DataAccessPointAccount or s3:x-amz-server-side-encryption-aws-kms-key-id.
 * kind decides the s3:DataAccessPointArn rule: in a bucket policy an access point name may be
 * a wildcard when the account is fixed; in an access point policy it may not. */
int policy_is_public(const struct policy *p, enum policy_kind kind);

/* 1 if name (e.g. "s3:GetObject", any case) is an action of the S3 service in the Service
 * Authorization Reference.  "s3:CopyObject", "s3:HeadObject", "s3:ListObjectsV2" are not. */
int policy_s3_action_known(const char *name);

/* ------------------------------------------------------------------ evaluating */

enum authz_principal_kind {
    AUTHZ_ANONYMOUS,    /* unsigned request */
    AUTHZ_ROOT,         /* root user of principal_account */
    AUTHZ_USER,         /* IAM user */
    AUTHZ_ROLE_SESSION, /* sts:AssumeRole session; role_arn names the role */
    AUTHZ_FEDERATED,    /* sts:GetFederationToken user */
    AUTHZ_SERVICE,      /* an AWS service principal (service names it) */
};

/* One request context key.  Key names compare case-insensitively.  A single-valued key sets
 * value; a multi-valued key (s3:RequestObjectTagKeys, aws:TagKeys) sets values/n_values
 * (n_values may be 0: present but empty) and leaves value NULL.  name_len may be 0 (strlen is
 * used); setting it saves a little time per lookup. */
struct authz_key {
    const char *name;
    size_t name_len;
    const char *value;
    const char *const *values;
    size_t n_values;
};

enum authz_bpa_flags {
    AUTHZ_BPA_RESTRICT_PUBLIC_BUCKETS = 1 << 0, /* effective RestrictPublicBuckets (OR of levels) */
};

enum authz_eval_flags {
    /* Collect every matching Allow/Deny statement instead of stopping at the first that decides
     * (SimulatePrincipalPolicy wants them all).  Costs time. */
    AUTHZ_F_ALL_MATCHES = 1 << 0,
};

/* Everything the engine needs to know about one request.  All pointers are borrowed for the
 * duration of authz_evaluate() and as long as the result is used (the result points into the
 * keys). */
struct authz_ctx {
    const char *action;            /* IAM action, e.g. "s3:PutObject" */
    const char *resource;          /* ARN, or "*" for actions without a resource type.
                                    * Through an access point: the access point form. */
    const char *resource_account;  /* account owning the resource (bucket owner); NULL = the
                                    * principal's account */
    enum authz_principal_kind principal_kind;
    const char *principal_arn;     /* NULL for anonymous; the session ARN for role sessions */
    const char *principal_account; /* NULL for anonymous */
    const char *role_arn;          /* role sessions: arn:aws:iam::A:role/path/NAME (if NULL it is
                                    * matched by account and role name from the session ARN) */
    const char *service;           /* AUTHZ_SERVICE: "cloudtrail.amazonaws.com" */
    const struct authz_key *keys;  /* request context keys (doc section 5) */
    size_t n_keys;
    /* Request through an access point (doc 4.5): both set, or both NULL. */
    const char *access_point_arn;  /* arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME */
    const char *bucket_resource;   /* the same resource in bucket form, arn:aws:s3:::B[/KEY] */
    unsigned bpa;                  /* enum authz_bpa_flags */
    unsigned flags;                /* enum authz_eval_flags */
};

/* The policies in force.  Arrays may be empty (n = 0, pointer NULL).  Several resource (or
 * access point) entries act as one policy, their statements OR-ed. */
struct authz_policies {
    const struct policy *const *identity; /* user + all its groups, or the role; OR-ed */
    size_t n_identity;
    const struct policy *session;         /* session policy of a role session, or NULL */
    const struct policy *const *resource; /* bucket policy (or trust policy for sts:AssumeRole) */
    size_t n_resource;
    const struct policy *const *access_point; /* access point policy (with ctx->access_point_arn) */
    size_t n_access_point;
};

enum authz_decision { AUTHZ_ALLOW, AUTHZ_EXPLICIT_DENY, AUTHZ_IMPLICIT_DENY };

/* Why.  For denials this picks the AWS reason phrase (doc 6). */
enum authz_reason {
    AUTHZ_R_ALLOWED,             /* an Allow statement granted it (see deciding[]) */
    AUTHZ_R_ROOT,                /* root user of the resource's account: no policy needed */
    AUTHZ_R_ROOT_LOCKOUT,        /* Get/Put/DeleteBucketPolicy by the bucket owner's root user,
                                  * allowed even against an explicit deny (doc 4.4) */
    AUTHZ_R_DENY_IDENTITY,       /* explicit deny in an identity-based policy */
    AUTHZ_R_DENY_SESSION,        /* explicit deny in a session policy */
    AUTHZ_R_DENY_RESOURCE,       /* explicit deny in a resource-based policy (bucket/AP/trust) */
    AUTHZ_R_NO_IDENTITY_ALLOW,   /* implicit deny: no identity-based policy allows */
    AUTHZ_R_NO_SESSION_ALLOW,    /* implicit deny: identity allows, the session policy does not */
    AUTHZ_R_NO_RESOURCE_ALLOW,   /* implicit deny: a resource-based grant was needed */
    AUTHZ_R_PUBLIC_BLOCKED,      /* implicit deny: RestrictPublicBuckets ignored the grant */
};

/* For a request through an access point: which of the two checks (doc 4.5). */
enum authz_check { AUTHZ_CHECK_DIRECT, AUTHZ_CHECK_ACCESS_POINT, AUTHZ_CHECK_BUCKET };

enum authz_source {
    AUTHZ_SRC_IDENTITY,
    AUTHZ_SRC_SESSION,
    AUTHZ_SRC_RESOURCE,     /* bucket policy (or the policy passed as resource) */
    AUTHZ_SRC_ACCESS_POINT, /* access point policy */
};

/* Why a near-miss statement did not apply. */
enum authz_miss {
    AUTHZ_MISS_NONE,      /* in deciding[]: it decided; in near[]: it applied but was not enough
                           * on its own (cross-account, or the other access point check) */
    AUTHZ_MISS_CONDITION, /* action, resource and principal matched; a condition was false */
    AUTHZ_MISS_PRINCIPAL, /* action and resource matched; Principal did not name the caller */
    AUTHZ_MISS_RESOURCE,  /* action matched; no Resource matched */
    AUTHZ_MISS_BLOCKED,   /* matched, but RestrictPublicBuckets ignored it */
};

/* The failed condition of an AUTHZ_MISS_CONDITION.  Strings are borrowed: op and key and the
 * policy values from the policy, the request values from ctx->keys. */
struct authz_cond_fail {
    const char *op;                 /* operator as written, e.g. "ForAnyValue:StringEquals" */
    const char *key;                /* key as written in the policy */
    const struct authz_key *req;    /* the request's key, NULL if absent */
    const char *const *pol_values;  /* the policy's values, as strings */
    size_t n_pol_values;
};

struct authz_match {
    const struct policy *policy;
    size_t stmt;                    /* statement index; policy_statement_info() gives the rest */
    enum authz_source src;
    enum authz_check check;
    enum authz_miss miss;           /* AUTHZ_MISS_NONE for deciding statements */
    struct authz_cond_fail cond;    /* valid when miss == AUTHZ_MISS_CONDITION */
};

#define AUTHZ_MAX_MATCHES 8
#define AUTHZ_MAX_MISSING 8

struct authz_result {
    enum authz_decision decision;
    enum authz_reason reason;
    enum authz_check check;       /* the check that decided a denial (DIRECT without AP) */
    int same_account;             /* caller and resource owner in one account: S3 then tells the
                                   * caller the reason, otherwise just "Access Denied" */
    /* Deny statements for ExplicitDeny, Allow statements for Allow (first AUTHZ_MAX_MATCHES;
     * n_deciding counts all found). */
    size_t n_deciding;
    struct authz_match deciding[AUTHZ_MAX_MATCHES];
    /* Implicit deny: Allow statements that applied but were not enough, then those that came
     * closest (failed condition, then principal, then resource). */
    size_t n_near;
    struct authz_match near[AUTHZ_MAX_MATCHES];
    /* Condition keys a relevant statement tested that the request does not carry (borrowed
     * from the policies), like SimulatePrincipalPolicy's MissingContextValues. */
    size_t n_missing;
    const char *missing[AUTHZ_MAX_MISSING];
};

/* Decide one request (doc section 4): explicit deny anywhere wins; then identity OR resource
 * grant within one account, identity AND resource grant across accounts, the owner's root
 * user, anonymous callers only through "*" grants, session policies narrowing role policies,
 * RestrictPublicBuckets, and for access point requests the access point check AND the bucket
 * check.  Never fails; never allocates. */
void authz_evaluate(const struct authz_policies *pols, const struct authz_ctx *ctx,
                    struct authz_result *out);

/* Look up a context key (case-insensitive).  NULL if absent. */
const struct authz_key *authz_key_find(const struct authz_ctx *ctx, const char *name, size_t len);

/* ------------------------------------------------------------------ explaining */

/* The AWS reason phrase for a denial, written to buf (always NUL-terminated, truncated to n):
 * "because no identity-based policy allows the s3:PutObject action",
 * "with an explicit deny in a resource-based policy", ...  Empty for an Allow.
 * Returns the length it would have had (snprintf convention). */
int authz_reason_phrase(const struct authz_result *r, const char *action, char *buf, size_t n);

/* The full AccessDenied message:
 *   User: ARN is not authorized to perform: ACTION on resource: "RES" because ...
 * quote_resource: 1 for S3 (resource in double quotes), 0 for IAM/STS.  Anonymous callers are
 * shown as "anonymous".  Appended to out. */
s3_err authz_denied_message(const struct authz_result *r, const struct authz_ctx *ctx,
                            int quote_resource, struct s3_buf *out);

/* A longer explanation for students: the decision, which policy and statement (Sid, line)
 * decided it, for an implicit deny the statements that nearly matched and which condition
 * failed with the request's values and the policy's, and the missing context keys.
 * Appended to out (several lines, each ending in '\n'). */
s3_err authz_explain(const struct authz_result *r, const struct authz_ctx *ctx,
                     struct s3_buf *out);

/* Names for logs and tools: "Allow", "ExplicitDeny", "ImplicitDeny"; operator spellings etc. */
const char *authz_decision_name(enum authz_decision d);
const char *authz_source_name(enum authz_source s);

#endif
