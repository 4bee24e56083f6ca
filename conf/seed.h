/*
 * conf/seed.h - the declarative start-up state (`s3iamd --init FILE`).
 *
 * A seed file is JSON (format in docs/init-file.md):
 *   { "version": 1,
 *     "accounts": [ { "id": "111122223333",
 *                     "root": { "accessKeyId": "...", "secretAccessKey": "..." },
 *                     "policies":     [ { "name", "path"?, "description"?, "document" } ],
 *                     "groups":       [ { "name", "path"?, "policies"?: [name|arn], "inlinePolicies"?: [...] } ],
 *                     "users":        [ { "name", "path"?, "groups"?, "policies"?, "inlinePolicies"?, "tags"?,
 *                                         "accessKeys"?: [ { "accessKeyId", "secretAccessKey", "status"? } ] } ],
 *                     "roles":        [ { "name", "path"?, "trustPolicy", "maxSessionDuration"?, "policies"?,
 *                                         "inlinePolicies"?, "tags"? } ],
 *                     "buckets":      [ { "name", "region"?, "versioning"?, "encryption"?, "publicAccessBlock"?,
 *                                         "policy"? } ],
 *                     "accessPoints": [ { "name", "bucket", "vpcId"?, "publicAccessBlock"?, "policy"? } ] } ] }
 *
 * seed_load() reads and checks the whole file without side effects: unknown keys, wrong types,
 * missing required fields, duplicate names and references to groups, policies or buckets that do
 * not exist are all reported, each with its path in the file ("accounts[0].users[2].groups[1]")
 * and line.  Policy documents are kept as JSON text for the server to validate with the policy
 * engine before it applies anything.
 */
#ifndef S3IAM_CONF_SEED_H
#define S3IAM_CONF_SEED_H

#include <stddef.h>

struct seed_kv {
    char *name;
    char *value;
};

struct seed_inline {            /* an inline policy */
    char *name;
    char *document;             /* JSON text */
    char *where;                /* path in the seed file, for messages */
};

struct seed_key {
    char *id, *secret, *status; /* status: "Active" (default) or "Inactive" */
};

struct seed_policy {
    char *name, *path, *description, *document, *where;
};

struct seed_group {
    char *name, *path, *where;
    char **policies;            /* managed policy names (of this file) or ARNs */
    size_t n_policies;
    struct seed_inline *inl;
    size_t n_inl;
};

struct seed_user {
    char *name, *path, *where;
    char **groups;
    size_t n_groups;
    char **policies;
    size_t n_policies;
    struct seed_inline *inl;
    size_t n_inl;
    struct seed_kv *tags;
    size_t n_tags;
    struct seed_key *keys;
    size_t n_keys;
};

struct seed_role {
    char *name, *path, *where, *trust;   /* trust: JSON text */
    long max_session;                    /* seconds, 0 = default 3600 */
    char **policies;
    size_t n_policies;
    struct seed_inline *inl;
    size_t n_inl;
    struct seed_kv *tags;
    size_t n_tags;
};

struct seed_pab {
    int set;                    /* 0: not given */
    int v[4];                   /* BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets */
};

struct seed_bucket {
    char *name, *region, *where;
    int versioning;             /* 0 unset, 1 Enabled, 2 Suspended */
    char *sse_algorithm;        /* NULL = default AES256 */
    char *sse_kms_key;
    int sse_bucket_key;
    struct seed_pab pab;
    char *policy;               /* JSON text or NULL */
};

struct seed_ap {
    char *name, *bucket, *vpc_id, *where;
    struct seed_pab pab;
    char *policy;
};

struct seed_account {
    char *id, *where;
    char *root_akid, *root_secret;       /* NULL: the configured root credentials (default account) */
    struct seed_policy *policies;
    size_t n_policies;
    struct seed_group *groups;
    size_t n_groups;
    struct seed_user *users;
    size_t n_users;
    struct seed_role *roles;
    size_t n_roles;
    struct seed_bucket *buckets;
    size_t n_buckets;
    struct seed_ap *aps;
    size_t n_aps;
};

struct seed {
    char *file;
    struct seed_account *accounts;
    size_t n_accounts;
};

/* Errors found by seed_load, each "FILE:LINE: PATH: what is wrong". */
struct seed_errors {
    char **msg;
    size_t n;
};
void seed_errors_add(struct seed_errors *errs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void seed_errors_release(struct seed_errors *errs);

/* Read and check file; default_account fills accounts without "id".  Returns 0 and fills *out
 * when the file is valid; otherwise returns -1 with every problem in errs (out untouched). */
int seed_load(const char *file, const char *default_account, struct seed *out, struct seed_errors *errs);
void seed_release(struct seed *s);

#endif
