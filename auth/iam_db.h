/*
 * auth/iam_db.h - the IAM database: users, groups, roles, managed and inline policies, access
 * keys and STS sessions of one or more accounts, in memory, with every policy document compiled
 * once (when it is stored or loaded) and shared by the requests that use it.
 *
 * Layout.  One struct iam_db holds one struct iam_account per account.  The AWS managed policies
 * (arn:aws:iam::aws:policy/..., the same for every account) are compiled once per process, on
 * first use, and shared by every database.  The entity structs below are
 * exposed read-only so the server can render them without copying; only the functions in this
 * header change them.
 *
 * Locking.  A pthread rwlock protects everything.  Readers (rendering Get/List responses) call
 * iam_read_begin() ... iam_read_end(); writers call iam_write_begin() ... iam_write_commit() or
 * iam_write_abort().  Never take the lock twice in one thread (no nesting, not even read inside
 * read: a waiting writer would deadlock it).  The functions that only look up a credential or a
 * principal's policy set (iam_key_lookup, iam_identity_get, iam_key_touch) take the read lock
 * themselves and return copies / counted references, so the request that uses them holds no lock.
 *
 * Persistence.  auth/ does not know storage: after each write transaction iam_write_commit()
 * serialises the account to JSON (iam_account_dump) and hands the text to the save callback
 * set with iam_db_set_saver().  When the callback fails, the account is restored from the last
 * text that was saved (so a failed change leaves nothing half-made) and the error is returned.
 * STS sessions are part of the saved state (they survive a restart until they expire); the
 * "last used" data of access keys changes on every request and is saved only with the next IAM
 * change.
 *
 * Errors: S3E_IAM_NO_SUCH_ENTITY, S3E_IAM_ENTITY_EXISTS, S3E_IAM_DELETE_CONFLICT,
 * S3E_IAM_LIMIT_EXCEEDED, S3E_IAM_MALFORMED_POLICY, S3E_IAM_VALIDATION, S3E_IAM_INVALID_INPUT,
 * S3E_IAM_PASSWORD_POLICY, S3E_NOMEM, S3E_INTERNAL; each with an AWS-style message in
 * struct iam_msg (and, for policy documents, the line and column of the problem).
 */
#ifndef S3IAM_AUTH_IAM_DB_H
#define S3IAM_AUTH_IAM_DB_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "auth/policy.h"
#include "lib/buf.h"
#include "lib/err.h"

/* ------------------------------------------------------------------ quotas (IAM defaults) */

#define IAM_MAX_KEYS_PER_USER 2
#define IAM_MAX_VERSIONS 5
#define IAM_MAX_ATTACHED 10          /* managed policies per user, group or role */
#define IAM_MAX_GROUPS_PER_USER 10
#define IAM_MAX_TAGS 50
#define IAM_USER_INLINE_QUOTA 2048   /* characters without whitespace, summed over the entity */
#define IAM_GROUP_INLINE_QUOTA 5120
#define IAM_ROLE_INLINE_QUOTA 10240
#define IAM_MANAGED_QUOTA 6144
#define IAM_TRUST_QUOTA 2048

/* ------------------------------------------------------------------ messages */

/* What went wrong, for the client: msg is the AWS-style message; for a policy document that
 * failed validation line/column locate the problem (0 when unknown) and detail says how to fix
 * it ("" if nothing to add). */
struct iam_msg {
    char msg[640];
    char detail[256];
    int line, column;
};

/* ------------------------------------------------------------------ entities */

/* A compiled policy with a reference count, so a request can keep using it while a writer
 * replaces or deletes the document it came from. */
struct iam_cpol;
/* The compiled policy; never NULL for a live reference. */
const struct policy *iam_cpol_policy(const struct iam_cpol *c);
/* Take / drop a reference (atomic; NULL-safe). */
struct iam_cpol *iam_cpol_ref(struct iam_cpol *c);
void iam_cpol_unref(struct iam_cpol *c);

struct iam_tag {
    char *key;
    char *value;
};
struct iam_tags {
    struct iam_tag *v;
    size_t n;
};

struct iam_strs {
    char **v;
    size_t n;
};

/* A stored policy document: the text as the client sent it and its compiled form. */
struct iam_doc {
    char *name;              /* inline policies: PolicyName; versions: "v3" */
    char *text;
    struct iam_cpol *cp;     /* NULL only if a stored document no longer compiles */
    int64_t created;         /* seconds since the epoch (versions) */
};
struct iam_docs {
    struct iam_doc *v;
    size_t n;
};

struct iam_key {
    char id[24];             /* AKIA + 16 */
    char secret[48];         /* 40 characters */
    int active;
    int64_t created;
    int64_t last_used;       /* 0: never */
    char last_service[16];
    char last_region[32];
};

struct iam_login {
    int present;
    int reset_required;
    int64_t created;
    char *pw_hash;           /* "sha256$SALT$HEX" */
};

struct iam_user {
    char *name, *path, *id, *arn;
    int64_t created;
    int64_t password_last_used;
    struct iam_tags tags;
    struct iam_login login;
    struct iam_docs inl;     /* inline policies */
    struct iam_strs attached; /* managed policy ARNs */
    struct iam_key keys[IAM_MAX_KEYS_PER_USER];
    size_t n_keys;
};

struct iam_group {
    char *name, *path, *id, *arn;
    int64_t created;
    struct iam_strs members; /* user names */
    struct iam_docs inl;
    struct iam_strs attached;
};

struct iam_role {
    char *name, *path, *id, *arn;
    char *description;       /* NULL if none */
    int64_t created;
    int max_session;         /* seconds, 3600..43200 */
    struct iam_doc trust;    /* AssumeRolePolicyDocument */
    struct iam_tags tags;
    struct iam_docs inl;
    struct iam_strs attached;
    int64_t last_used;
    char last_region[32];
};

struct iam_mpolicy {
    char *name, *path, *id, *arn;
    char *description;
    int64_t created, updated;
    int aws;                 /* AWS managed (read-only, shared by all accounts) */
    struct iam_docs versions; /* "v1".."vN", oldest first */
    size_t def;              /* index of the default version */
    unsigned next_version;   /* number of the next version to create */
    struct iam_tags tags;
};

enum iam_session_kind {
    IAM_SESS_ROLE,           /* sts:AssumeRole */
    IAM_SESS_USER,           /* sts:GetSessionToken: the user (or root) with a session token */
};

struct iam_session {
    enum iam_session_kind kind;
    char akid[24];           /* ASIA + 16 */
    char secret[48];
    char *token;
    int64_t created, expires;
    char *name;              /* role session name; user name for IAM_SESS_USER ("" for root) */
    char *arn;               /* arn:aws:sts::A:assumed-role/ROLE/SESSION, or the user's ARN */
    char *role_name;         /* IAM_SESS_ROLE: the role; the role's ARN and id are looked up */
    char *role_id;           /* AROA... at the time of AssumeRole */
    char *policy_text;       /* session policy, or NULL */
    struct iam_cpol *policy;
    struct iam_tags tags;    /* session tags */
    char *source_arn;        /* who created the session */
};

struct iam_account {
    char id[13];
    struct iam_user **users;      /* each array sorted by name (case-insensitive) */
    size_t n_users, cap_users;
    struct iam_group **groups;
    size_t n_groups, cap_groups;
    struct iam_role **roles;
    size_t n_roles, cap_roles;
    struct iam_mpolicy **policies; /* customer managed */
    size_t n_policies, cap_policies;
    struct iam_session **sessions;
    size_t n_sessions, cap_sessions;
    /* private */
    struct iam_db *db;
    int dirty;
    char *saved;                  /* the last state handed to the saver (for roll-back) */
};

/* ------------------------------------------------------------------ the database */

struct iam_db;

/* Save callback: store json (the whole state of account) atomically.  Called with the write
 * lock held. */
typedef s3_err (*iam_save_fn)(void *ud, const char *account, const char *json);

/* A new, empty database.  The AWS managed policies (embedded in the program) are compiled on
 * first use, not here.  *out is freed with iam_db_free.  Errors: S3E_NOMEM, S3E_INTERNAL (the
 * lock cannot be initialised). */
s3_err iam_db_new(struct iam_db **out);
void iam_db_free(struct iam_db *db);   /* NULL-safe */
void iam_db_set_saver(struct iam_db *db, iam_save_fn fn, void *ud);
/* Clock for create dates and session expiry (default time()); tests pin it. */
void iam_db_set_clock(struct iam_db *db, time_t (*now)(void *ud), void *ud);
time_t iam_db_now(const struct iam_db *db);

/* Add an account (empty when json is NULL or "") or replace it with the state in json (from
 * iam_account_dump).  Documents are compiled again.  On failure the database is unchanged and
 * err receives a sentence.  A stored policy that no longer compiles is kept as text (it then
 * grants nothing) and counted in *n_warnings (may be NULL). */
s3_err iam_db_load(struct iam_db *db, const char *account, const char *json, char *err, size_t errlen,
                   unsigned *n_warnings);
/* The state of account as JSON text (caller frees).  Takes the read lock. */
s3_err iam_db_dump(struct iam_db *db, const char *account, char **json_out);

/* ------------------------------------------------------------------ transactions */

/* Read lock + the account, or NULL (lock released) if the account does not exist. */
const struct iam_account *iam_read_begin(struct iam_db *db, const char *account);
void iam_read_end(struct iam_db *db);
/* Write lock + the account (created empty if missing), or NULL (no lock held) when out of
 * memory. */
struct iam_account *iam_write_begin(struct iam_db *db, const char *account);
/* Save (if anything changed) and release the lock.  On a save failure the account is restored
 * to its last saved state and the saver's error is returned. */
s3_err iam_write_commit(struct iam_account *a);
/* Undo everything since iam_write_begin (if anything changed) and release the lock. */
void iam_write_abort(struct iam_account *a);

/* AWS managed policies (compiled on the first call, then fixed; no lock needed). */
size_t iam_aws_policy_count(const struct iam_db *db);
const struct iam_mpolicy *iam_aws_policy_at(const struct iam_db *db, size_t i);

/* ------------------------------------------------------------------ lookups (lock held) */

/* Case-insensitive by name, as IAM. NULL if absent. */
struct iam_user *iam_user_find(const struct iam_account *a, const char *name);
struct iam_group *iam_group_find(const struct iam_account *a, const char *name);
struct iam_role *iam_role_find(const struct iam_account *a, const char *name);
/* A managed policy by ARN: the account's own or an AWS managed one. */
struct iam_mpolicy *iam_policy_find(const struct iam_account *a, const char *arn);
/* The user owning access key id akid (and the key), or NULL. */
struct iam_user *iam_user_by_key(const struct iam_account *a, const char *akid, struct iam_key **key_out);
/* Entity by ARN (user, group or role of this account); NULL if none. */
struct iam_user *iam_user_by_arn(const struct iam_account *a, const char *arn);
struct iam_group *iam_group_by_arn(const struct iam_account *a, const char *arn);
struct iam_role *iam_role_by_arn(const struct iam_account *a, const char *arn);
/* Number of users, groups and roles the policy is attached to in this account. */
size_t iam_policy_attachment_count(const struct iam_account *a, const char *arn);
/* Groups the user belongs to, in name order: fills out[0..max) and returns the count. */
size_t iam_user_groups(const struct iam_account *a, const char *user, const struct iam_group **out, size_t max);
/* 1 if the user is a member of the group. */
int iam_group_has_member(const struct iam_group *g, const char *user);
/* A user's access key by id, or NULL. */
struct iam_key *iam_user_key(struct iam_user *u, const char *akid);
const struct iam_doc *iam_docs_find(const struct iam_docs *d, const char *name);

/* ------------------------------------------------------------------ changes (write lock held) */

/* Validation of user input, shared with the server: 0 and a message when invalid. */
int iam_name_valid(const char *what, const char *name, size_t max, struct iam_msg *m);
int iam_path_valid(const char *path, struct iam_msg *m);

s3_err iam_user_create(struct iam_account *a, const char *name, const char *path, const struct iam_tags *tags,
                       struct iam_msg *m, struct iam_user **out);
/* Rename and/or move (new_name / new_path NULL: unchanged). */
s3_err iam_user_update(struct iam_account *a, const char *name, const char *new_name, const char *new_path,
                       struct iam_msg *m);
/* DeleteConflict while the user has access keys, a login profile, inline or attached
 * policies, or group memberships. */
s3_err iam_user_delete(struct iam_account *a, const char *name, struct iam_msg *m);

/* Tags on a user, role or managed policy: add or replace (at most IAM_MAX_TAGS), remove. */
s3_err iam_tags_set(struct iam_account *a, struct iam_tags *t, const struct iam_tags *add, struct iam_msg *m);
s3_err iam_tags_remove(struct iam_account *a, struct iam_tags *t, const struct iam_strs *keys, struct iam_msg *m);
/* Validate tags given by a client (key 1..128, value 0..256, no duplicates, at most 50). */
int iam_tags_valid(const struct iam_tags *t, struct iam_msg *m);

/* Login profiles.  password may be NULL on update (only the reset flag changes). */
s3_err iam_login_create(struct iam_account *a, const char *user, const char *password, int reset,
                        struct iam_msg *m);
s3_err iam_login_update(struct iam_account *a, const char *user, const char *password, int reset,
                        struct iam_msg *m);
s3_err iam_login_delete(struct iam_account *a, const char *user, struct iam_msg *m);
/* ChangePassword by the user itself: old_pw must match. */
s3_err iam_login_change(struct iam_account *a, const char *user, const char *old_pw, const char *new_pw,
                        struct iam_msg *m);

s3_err iam_group_create(struct iam_account *a, const char *name, const char *path, struct iam_msg *m,
                        struct iam_group **out);
s3_err iam_group_update(struct iam_account *a, const char *name, const char *new_name, const char *new_path,
                        struct iam_msg *m);
s3_err iam_group_delete(struct iam_account *a, const char *name, struct iam_msg *m);
s3_err iam_group_add_user(struct iam_account *a, const char *group, const char *user, struct iam_msg *m);
s3_err iam_group_remove_user(struct iam_account *a, const char *group, const char *user, struct iam_msg *m);

/* Customer managed policies.  The document is validated as an identity policy (6144 characters). */
s3_err iam_policy_create(struct iam_account *a, const char *name, const char *path, const char *description,
                         const char *doc, const struct iam_tags *tags, struct iam_msg *m, struct iam_mpolicy **out);
/* DeleteConflict while attached or while it has versions other than the default. */
s3_err iam_policy_delete(struct iam_account *a, const char *arn, struct iam_msg *m);
s3_err iam_policy_version_create(struct iam_account *a, const char *arn, const char *doc, int set_default,
                                 struct iam_msg *m, const struct iam_doc **out);
s3_err iam_policy_version_delete(struct iam_account *a, const char *arn, const char *version, struct iam_msg *m);
s3_err iam_policy_set_default(struct iam_account *a, const char *arn, const char *version, struct iam_msg *m);

enum iam_ent { IAM_ENT_USER, IAM_ENT_GROUP, IAM_ENT_ROLE };
/* Attach / detach a managed policy (at most IAM_MAX_ATTACHED per entity). */
s3_err iam_attach(struct iam_account *a, enum iam_ent kind, const char *name, const char *arn, struct iam_msg *m);
s3_err iam_detach(struct iam_account *a, enum iam_ent kind, const char *name, const char *arn, struct iam_msg *m);
/* Inline policies: put (create or replace; the sum of the entity's documents must stay within
 * its quota) and delete. */
s3_err iam_inline_put(struct iam_account *a, enum iam_ent kind, const char *name, const char *policy_name,
                      const char *doc, struct iam_msg *m);
s3_err iam_inline_delete(struct iam_account *a, enum iam_ent kind, const char *name, const char *policy_name,
                         struct iam_msg *m);

/* Access keys (at most IAM_MAX_KEYS_PER_USER per user). */
s3_err iam_key_create(struct iam_account *a, const char *user, struct iam_msg *m, const struct iam_key **out);
/* A key with a given id and secret (the --init file): a no-op when the user already has it
 * with that secret; EntityAlreadyExists when the id belongs to someone else or has another
 * secret. */
s3_err iam_key_import(struct iam_account *a, const char *user, const char *akid, const char *secret, int active,
                      struct iam_msg *m);
s3_err iam_key_set_active(struct iam_account *a, const char *user, const char *akid, int active, struct iam_msg *m);
s3_err iam_key_delete(struct iam_account *a, const char *user, const char *akid, struct iam_msg *m);

s3_err iam_role_create(struct iam_account *a, const char *name, const char *path, const char *trust_doc,
                       const char *description, int max_session, const struct iam_tags *tags, struct iam_msg *m,
                       struct iam_role **out);
/* description NULL: unchanged; max_session 0: unchanged. */
s3_err iam_role_update(struct iam_account *a, const char *name, const char *description, int max_session,
                       struct iam_msg *m);
s3_err iam_role_update_trust(struct iam_account *a, const char *name, const char *trust_doc, struct iam_msg *m);
s3_err iam_role_delete(struct iam_account *a, const char *name, struct iam_msg *m);

/* STS sessions.  role NULL: a GetSessionToken session of principal_arn/user (user "" = root).
 * policy_doc (may be NULL) is compiled as a session policy.  duration in seconds. */
s3_err iam_session_create(struct iam_account *a, enum iam_session_kind kind, const char *role, const char *user,
                          const char *session_name, const char *policy_doc, const struct iam_tags *tags,
                          long duration, const char *source_arn, struct iam_msg *m, const struct iam_session **out);
/* Drop sessions that expired more than grace seconds ago. */
void iam_sessions_prune(struct iam_account *a, int64_t grace);

/* Compile a policy document the way IAM stores it (kind POLICY_IDENTITY or POLICY_TRUST),
 * with the quota max_chars (0: the kind's default).  The failure is described in m.
 * *out is freed with policy_free. */
s3_err iam_policy_check(const char *doc, enum policy_kind kind, size_t max_chars, const char *source,
                        struct iam_msg *m, struct policy **out);
/* The context keys a policy's conditions use, and the variables it references, in the order
 * they appear, without duplicates (compared case-insensitively); appended to out (each
 * malloc'd).  A document that is not JSON adds nothing. */
s3_err iam_policy_context_keys(const char *doc, struct iam_strs *out);

/* ------------------------------------------------------------------ request-time lookups */

enum iam_cred_kind { IAM_CRED_USER_KEY, IAM_CRED_SESSION };

/* What the server needs to verify a signature made with an IAM credential.  Strings copied. */
struct iam_cred {
    enum iam_cred_kind kind;
    enum iam_session_kind session_kind;
    char account[13];
    char secret[48];
    int active;              /* user keys: Active */
    int64_t expires;         /* sessions */
    char token[2048];        /* sessions: the session token the request must carry */
    char arn[512];           /* principal: user ARN or session ARN */
    char name[256];          /* user name, or role session name */
};
/* Find the credential with access key id akid in any account: S3_OK or S3E_INVALID_ACCESS_KEY.
 * Takes the read lock. */
s3_err iam_key_lookup(struct iam_db *db, const char *akid, struct iam_cred *out);
/* Record that akid was used now for service/region (best effort; no lock ordering issue). */
void iam_key_touch(struct iam_db *db, const char *akid, const char *service, const char *region);

/* Where a policy of an identity came from (simulations report it). */
enum iam_src_type { IAM_SRC_USER, IAM_SRC_GROUP, IAM_SRC_ROLE, IAM_SRC_AWS_MANAGED, IAM_SRC_USER_MANAGED,
                    IAM_SRC_SESSION, IAM_SRC_INPUT, IAM_SRC_RESOURCE };
struct iam_pol_src {
    enum iam_src_type type;
    char id[256];            /* inline: the policy name; managed: the policy name; ... */
    const char *text;        /* the document (owned by this struct: see iam_identity_release) */
};

/* The policy set and attributes of a principal, for the policy engine.  Everything is copied
 * or counted, so no lock is held while it is used.  Release with iam_identity_release. */
struct iam_identity {
    enum authz_principal_kind kind; /* AUTHZ_USER or AUTHZ_ROLE_SESSION (AUTHZ_ROOT: see below) */
    char account[13];
    char arn[512];           /* user ARN or session ARN */
    char name[256];          /* user name, or session name */
    char userid[160];        /* AIDA..., or AROA...:session */
    char role_arn[512];      /* sessions */
    char role_name[128];
    int session_token;       /* credentials from GetSessionToken */
    int64_t token_issued;    /* sessions: aws:TokenIssueTime */
    const struct policy **pols; /* identity policies: user + groups, or the role */
    struct iam_cpol **refs;
    struct iam_pol_src *srcs;   /* parallel to pols */
    size_t n_pols;
    struct iam_cpol *session;   /* session policy or NULL */
    char *session_text;
    struct iam_tags tags;       /* aws:PrincipalTag: user tags, or role tags overridden by session tags */
};
/* Identity of the credential akid (user key or session), or S3E_INVALID_ACCESS_KEY.
 * with_text: also copy the documents (for simulations). */
s3_err iam_identity_get(struct iam_db *db, const char *akid, int with_text, struct iam_identity *out);
/* Identity of an entity named by ARN for SimulatePrincipalPolicy: a user (+ its groups), a
 * group (its own policies) or a role.  S3E_IAM_NO_SUCH_ENTITY if absent; S3E_IAM_INVALID_INPUT
 * if the ARN names no user, group or role. */
s3_err iam_identity_of_arn(struct iam_db *db, const char *account, const char *arn, struct iam_identity *out);
void iam_identity_release(struct iam_identity *id);

/* The role's trust policy (counted; iam_cpol_unref) and its ARN/max session, for AssumeRole.
 * S3E_IAM_NO_SUCH_ENTITY if the role does not exist. */
s3_err iam_role_trust(struct iam_db *db, const char *account, const char *role_arn, struct iam_cpol **trust_out,
                      char *role_name, size_t role_name_len, int *max_session_out);

/* ------------------------------------------------------------------ helpers */

void iam_tags_release(struct iam_tags *t);
s3_err iam_tags_add(struct iam_tags *t, const char *key, const char *value);   /* copies */
void iam_strs_release(struct iam_strs *s);
s3_err iam_strs_add(struct iam_strs *s, const char *v);                         /* copies */
/* ISO 8601 UTC ("2026-11-23T06:55:00Z") of t into out[32]. */
void iam_time_iso(int64_t t, char out[32]);
/* A random id: prefix + n characters of [A-Z2-7] (access keys) into out (NUL-terminated). */
void iam_random_id(const char *prefix, size_t n, char *out, size_t outlen);

#endif
