/*
 * auth/decision_log.h - the recent authorization decisions, for people to look at.
 *
 * Every decision the server makes can be recorded here with the principal, action, resource,
 * the request's condition keys, the decision and the statements behind it (or, for an implicit
 * deny, the statements that came closest and the condition that failed).  The log is a ring
 * buffer of a fixed number of entries in memory; GET /_s3iam/decisions serves it as JSON.
 * Thread-safe.
 */
#ifndef S3IAM_AUTH_DECISION_LOG_H
#define S3IAM_AUTH_DECISION_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "auth/policy.h"

struct dlog;

/* A ring of capacity entries (0: recording disabled, every call is a no-op). */
struct dlog *dlog_new(size_t capacity);
void dlog_free(struct dlog *d);   /* NULL-safe */

/* What the engine does not know about the request. */
struct dlog_req {
    const char *request_id;
    const char *operation;    /* "PutObject", "CreateUser" */
    const char *bucket;       /* NULL when none */
    const char *key;          /* NULL when none */
    int64_t time_ms;
};

/* Copy one decision into the log (everything is copied; nothing is kept borrowed). */
void dlog_record(struct dlog *d, const struct dlog_req *rq, const struct authz_ctx *ctx,
                 const struct authz_result *res);

struct dlog_filter {
    const char *principal;    /* exact ARN, or NULL */
    const char *decision;     /* "Allow", "ExplicitDeny", "ImplicitDeny", "deny" (both), or NULL */
    const char *bucket;
    const char *action;       /* case-insensitive */
    const char *request_id;
    int64_t since_ms;         /* 0: no bound */
    size_t limit;             /* 0: 100 */
};

/* The matching entries, newest first, as {"decisions":[...],"capacity":N,"dropped":M}.
 * Caller frees.  NULL when out of memory. */
char *dlog_query_json(struct dlog *d, const struct dlog_filter *f);

/* One decision as a human explanation (what the student reads), into a malloc'd string. */
char *dlog_explain(const struct authz_ctx *ctx, const struct authz_result *res);

#endif
