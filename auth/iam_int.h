/*
 * auth/iam_int.h - shared by auth/iam_*.c only: the database struct, compiled-policy references,
 * entity constructors used by the JSON loader, and the embedded AWS managed policies.
 */
#ifndef S3IAM_AUTH_IAM_INT_H
#define S3IAM_AUTH_IAM_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "auth/iam_db.h"

struct iam_cpol {
    struct policy *p;
    atomic_uint refs;
};

/* A new reference-counted wrapper around p (ownership taken; refs = 1), or NULL (p freed). */
struct iam_cpol *iam_cpol_new(struct policy *p);

struct iam_db {
    pthread_rwlock_t lock;
    struct iam_account **accts;
    size_t n_accts, cap_accts;
    iam_save_fn save;
    void *save_ud;
    time_t (*now)(void *ud);
    void *now_ud;
};

/* The embedded AWS managed policies (iam_aws_policies.c). */
struct iam_aws_def {
    const char *name;
    const char *description;
    const char *created;     /* ISO 8601: policy creation */
    const char *updated;     /* ISO 8601: default version creation */
    const char *version;     /* default version id, e.g. "v178" */
    const char *doc;
};
extern const struct iam_aws_def iam_aws_defs[];
extern const size_t iam_aws_ndefs;

/* ARN of an IAM entity: arn:aws:iam::ACCOUNT:KIND{path}{name}; malloc'd. */
char *iam_make_arn(const char *account, const char *kind, const char *path, const char *name);
/* Parse an ISO 8601 UTC time written by iam_time_iso; -1 if invalid. */
int64_t iam_parse_iso(const char *s);

/* Empty account (no lock needed: not yet visible). */
struct iam_account *iam_account_new(struct iam_db *db, const char *id);
void iam_account_free(struct iam_account *a);
/* Insert an entity into its sorted array (ownership taken on success). */
s3_err iam_account_add_user(struct iam_account *a, struct iam_user *u);
s3_err iam_account_add_group(struct iam_account *a, struct iam_group *g);
s3_err iam_account_add_role(struct iam_account *a, struct iam_role *r);
s3_err iam_account_add_policy(struct iam_account *a, struct iam_mpolicy *p);
s3_err iam_account_add_session(struct iam_account *a, struct iam_session *s);
void iam_user_free(struct iam_user *u);
void iam_group_free(struct iam_group *g);
void iam_role_free(struct iam_role *r);
void iam_mpolicy_free(struct iam_mpolicy *p);
void iam_session_free(struct iam_session *s);
void iam_doc_release(struct iam_doc *d);
void iam_docs_release(struct iam_docs *d);
/* Append a document compiled as kind (no size limit: for loading).  A document that does not
 * compile is kept with cp = NULL and *warn incremented. */
s3_err iam_docs_load(struct iam_docs *d, const char *name, const char *text, int64_t created,
                     enum policy_kind kind, const char *source, unsigned *warn);
s3_err iam_doc_load(struct iam_doc *d, const char *name, const char *text, int64_t created, enum policy_kind kind,
                    const char *source, unsigned *warn);

/* JSON (iam_json.c). */
/* The account as JSON text, malloc'd; NULL when out of memory. */
char *iam_json_dump(const struct iam_account *a);
/* A new account from text; err receives a sentence on failure. */
s3_err iam_json_load(struct iam_db *db, const char *id, const char *json, struct iam_account **out, char *err,
                     size_t errlen, unsigned *warn);

#endif
