/*
 * auth/init_file.h - the declarative start-up state read by `s3iamd --init FILE`.
 *
 * Format (docs/init-file.md has the full table):
 *   { "s3iam_init": 1, "comment"?: "...",
 *     "accounts": [ { "id": "111122223333", "region"?: "...",
 *                     "policies":      [ { "name", "document", "path"?, "description"?, "tags"? } ],
 *                     "groups":        [ { "name", "path"?, "attached_policies"?, "inline_policies"? } ],
 *                     "users":         [ { "name", "path"?, "groups"?, "attached_policies"?, "inline_policies"?,
 *                                          "tags"?, "password"?, "password_reset_required"?,
 *                                          "access_keys"?: [ { "id", "secret", "status"? } ] } ],
 *                     "roles":         [ { "name", "trust_policy", "path"?, "description"?,
 *                                          "max_session_duration"?, "attached_policies"?, "inline_policies"?,
 *                                          "tags"? } ],
 *                     "buckets":       [ { "name", "region"?, "object_ownership"?, "versioning"?,
 *                                          "encryption"?, "public_access_block"?, "policy"?, "tags"? } ],
 *                     "access_points": [ { "name", "bucket", "network_origin"?, "vpc_id"?,
 *                                          "public_access_block"?, "policy"? } ] } ] }
 *
 * init_file_load() reads and checks the whole file with no side effects: JSON syntax, unknown
 * keys, types, required fields, duplicates, references inside the file, and every policy
 * document (compiled by the policy engine with the rules of its kind).  Each problem becomes one
 * line "FILE:LINE:COLUMN: $.json.path: message".  References to things that may already exist
 * in the server (a group or policy not defined in the file) are left for the server to check.
 */
#ifndef S3IAM_AUTH_INIT_FILE_H
#define S3IAM_AUTH_INIT_FILE_H

#include <stddef.h>

struct seed_kv {
    char *name;
    char *value;
};

struct seed_inline {            /* an inline policy */
    char *name;
    char *document;             /* JSON text, as written in the file */
};

struct seed_key {
    char *id, *secret;
    int inactive;
};

struct seed_policy {
    char *name, *path, *description, *document, *where;
    struct seed_kv *tags;
    size_t n_tags;
};

struct seed_group {
    char *name, *path, *where;
    char **policies;            /* attached: names of this account's policies, or ARNs */
    size_t n_policies;
    struct seed_inline *inl;
    size_t n_inl;
};

struct seed_user {
    char *name, *path, *where, *password;
    int password_reset;
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
    char *name, *path, *where, *trust, *description;
    long max_session;           /* seconds, 0 = default */
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
    char *sse_algorithm;        /* NULL: not given */
    char *sse_kms_key;
    int sse_bucket_key;
    struct seed_pab pab;
    char *policy;               /* JSON text or NULL */
    struct seed_kv *tags;
    size_t n_tags;
};

struct seed_ap {
    char *name, *bucket, *vpc_id, *where;
    struct seed_pab pab;
    char *policy;
};

struct seed_account {
    char *id, *region, *where;
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

struct seed_pos;                /* the file's text and value positions (private) */

struct seed {
    char *file;
    struct seed_account *accounts;
    size_t n_accounts;
    struct seed_pos *pos;
};

/* Messages collected while checking. */
struct seed_errors {
    char **msg;
    size_t n;
};
void seed_errors_add(struct seed_errors *errs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void seed_errors_release(struct seed_errors *errs);

/* Read and check file.  default_region is used for access point ARNs of accounts without a
 * region.  Returns 0 when the file is valid, -1 with every problem in errs otherwise.  Either
 * way *out holds what could be read (for further checks); release it with seed_release. */
int init_file_load(const char *file, const char *default_region, struct seed *out, struct seed_errors *errs);
void seed_release(struct seed *s);
/* Add "FILE:LINE:COLUMN: PATH: message" to errs, with the position of the value at PATH
 * (a "$.accounts[0].users[1].groups[0]" path) in s's file: for the server's own checks. */
void seed_error_at(const struct seed *s, struct seed_errors *errs, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
