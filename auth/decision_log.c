/* auth/decision_log.c - see decision_log.h. */
#include "config.h"
#include "auth/decision_log.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

struct dlog_entry {
    json_t *j;                /* the serialized decision (NULL: empty slot) */
    char *principal, *decision, *bucket, *action, *request_id;
    int64_t time_ms;
};

struct dlog {
    pthread_mutex_t mu;
    struct dlog_entry *v;
    size_t cap, next;
    uint64_t total;           /* entries ever recorded */
};

struct dlog *dlog_new(size_t capacity)
{
    struct dlog *d = calloc(1, sizeof(*d));
    if (d == NULL)
        return NULL;
    pthread_mutex_init(&d->mu, NULL);
    d->cap = capacity;
    if (capacity && (d->v = calloc(capacity, sizeof(*d->v))) == NULL) {
        free(d);
        return NULL;
    }
    return d;
}

static void entry_clear(struct dlog_entry *e)
{
    json_decref(e->j);
    free(e->principal);
    free(e->decision);
    free(e->bucket);
    free(e->action);
    free(e->request_id);
    memset(e, 0, sizeof(*e));
}

void dlog_free(struct dlog *d)
{
    if (d == NULL)
        return;
    for (size_t i = 0; i < d->cap; i++)
        entry_clear(&d->v[i]);
    free(d->v);
    pthread_mutex_destroy(&d->mu);
    free(d);
}

static const char *decision_name(enum authz_decision x)
{
    return x == AUTHZ_ALLOW ? "Allow" : x == AUTHZ_EXPLICIT_DENY ? "ExplicitDeny" : "ImplicitDeny";
}

static const char *src_name(enum authz_source s)
{
    switch (s) {
    case AUTHZ_SRC_IDENTITY: return "identity";
    case AUTHZ_SRC_SESSION: return "session";
    case AUTHZ_SRC_RESOURCE: return "resource";
    case AUTHZ_SRC_ACCESS_POINT: return "access-point";
    }
    return "?";
}

static const char *check_name(enum authz_check c)
{
    return c == AUTHZ_CHECK_ACCESS_POINT ? "access-point" : c == AUTHZ_CHECK_BUCKET ? "bucket" : "direct";
}

static const char *miss_name(enum authz_miss m)
{
    switch (m) {
    case AUTHZ_MISS_NONE: return NULL;
    case AUTHZ_MISS_CONDITION: return "condition";
    case AUTHZ_MISS_PRINCIPAL: return "principal";
    case AUTHZ_MISS_RESOURCE: return "resource";
    case AUTHZ_MISS_BLOCKED: return "block-public-access";
    }
    return NULL;
}

static json_t *key_values(const struct authz_key *k)
{
    if (k->value)
        return json_string(k->value);
    json_t *a = json_array();
    for (size_t i = 0; i < k->n_values; i++)
        json_array_append_new(a, json_string(k->values[i]));
    return a;
}

static json_t *match_json(const struct authz_match *m)
{
    struct policy_stmt_info si;
    json_t *o = json_object();
    json_object_set_new(o, "policy", json_string(policy_source(m->policy)));
    json_object_set_new(o, "policy_type", json_string(src_name(m->src)));
    json_object_set_new(o, "check", json_string(check_name(m->check)));
    if (policy_statement_info(m->policy, m->stmt, &si)) {
        json_object_set_new(o, "statement", json_integer((json_int_t)si.index));
        if (si.sid)
            json_object_set_new(o, "sid", json_string(si.sid));
        json_object_set_new(o, "effect", json_string(si.allow ? "Allow" : "Deny"));
        json_object_set_new(o, "line", json_integer(si.line));
    }
    if (miss_name(m->miss))
        json_object_set_new(o, "missed", json_string(miss_name(m->miss)));
    if (m->miss == AUTHZ_MISS_CONDITION) {
        json_t *c = json_object(), *pv = json_array();
        json_object_set_new(c, "operator", json_string(m->cond.op ? m->cond.op : ""));
        json_object_set_new(c, "key", json_string(m->cond.key ? m->cond.key : ""));
        json_object_set_new(c, "request", m->cond.req ? key_values(m->cond.req) : json_null());
        for (size_t i = 0; i < m->cond.n_pol_values; i++)
            json_array_append_new(pv, json_string(m->cond.pol_values[i]));
        json_object_set_new(c, "policy_values", pv);
        json_object_set_new(o, "failed_condition", c);
    }
    return o;
}

static char *sdup(const char *s) { return s ? strdup(s) : NULL; }

void dlog_record(struct dlog *d, const struct dlog_req *rq, const struct authz_ctx *ctx,
                 const struct authz_result *res)
{
    json_t *j, *a;
    char phrase[512];
    struct dlog_entry e;

    if (d == NULL || d->cap == 0)
        return;
    j = json_object();
    json_object_set_new(j, "time_ms", json_integer(rq->time_ms));
    json_object_set_new(j, "request_id", json_string(rq->request_id ? rq->request_id : ""));
    if (rq->operation)
        json_object_set_new(j, "operation", json_string(rq->operation));
    json_object_set_new(j, "principal", ctx->principal_arn ? json_string(ctx->principal_arn) : json_string("anonymous"));
    json_object_set_new(j, "action", json_string(ctx->action));
    json_object_set_new(j, "resource", json_string(ctx->resource ? ctx->resource : "*"));
    if (rq->bucket)
        json_object_set_new(j, "bucket", json_string(rq->bucket));
    if (rq->key)
        json_object_set_new(j, "key", json_string(rq->key));
    if (ctx->access_point_arn)
        json_object_set_new(j, "access_point", json_string(ctx->access_point_arn));
    json_object_set_new(j, "decision", json_string(decision_name(res->decision)));
    if (authz_reason_phrase(res, ctx->action, phrase, sizeof(phrase)) > 0)
        json_object_set_new(j, "reason", json_string(phrase));
    a = json_array();
    for (size_t i = 0; i < res->n_deciding && i < AUTHZ_MAX_MATCHES; i++)
        json_array_append_new(a, match_json(&res->deciding[i]));
    json_object_set_new(j, "deciding", a);
    if (res->decision == AUTHZ_IMPLICIT_DENY) {
        a = json_array();
        for (size_t i = 0; i < res->n_near && i < AUTHZ_MAX_MATCHES; i++)
            json_array_append_new(a, match_json(&res->near[i]));
        json_object_set_new(j, "closest", a);
    }
    a = json_object();
    for (size_t i = 0; i < ctx->n_keys; i++)
        json_object_set_new(a, ctx->keys[i].name, key_values(&ctx->keys[i]));
    json_object_set_new(j, "context", a);

    memset(&e, 0, sizeof(e));
    e.j = j;
    e.principal = sdup(ctx->principal_arn ? ctx->principal_arn : "anonymous");
    e.decision = sdup(decision_name(res->decision));
    e.bucket = sdup(rq->bucket);
    e.action = sdup(ctx->action);
    e.request_id = sdup(rq->request_id);
    e.time_ms = rq->time_ms;

    pthread_mutex_lock(&d->mu);
    entry_clear(&d->v[d->next]);
    d->v[d->next] = e;
    d->next = (d->next + 1) % d->cap;
    d->total++;
    pthread_mutex_unlock(&d->mu);
}

static int matches(const struct dlog_entry *e, const struct dlog_filter *f)
{
    if (e->j == NULL)
        return 0;
    if (f->principal && (!e->principal || strcmp(f->principal, e->principal)))
        return 0;
    if (f->decision) {
        if (!strcasecmp(f->decision, "deny")) {
            if (!strcmp(e->decision, "Allow"))
                return 0;
        } else if (strcasecmp(f->decision, e->decision)) {
            return 0;
        }
    }
    if (f->bucket && (!e->bucket || strcmp(f->bucket, e->bucket)))
        return 0;
    if (f->action && (!e->action || strcasecmp(f->action, e->action)))
        return 0;
    if (f->request_id && (!e->request_id || strcmp(f->request_id, e->request_id)))
        return 0;
    if (f->since_ms && e->time_ms < f->since_ms)
        return 0;
    return 1;
}

char *dlog_query_json(struct dlog *d, const struct dlog_filter *f)
{
    json_t *out = json_object(), *arr = json_array();
    size_t limit = f->limit ? f->limit : 100, n = 0;
    char *text;

    if (d && d->cap) {
        pthread_mutex_lock(&d->mu);
        for (size_t i = 0; i < d->cap && n < limit; i++) {
            size_t idx = (d->next + d->cap - 1 - i) % d->cap;
            if (matches(&d->v[idx], f)) {
                json_array_append(arr, d->v[idx].j);
                n++;
            }
        }
        json_object_set_new(out, "capacity", json_integer((json_int_t)d->cap));
        json_object_set_new(out, "dropped", json_integer((json_int_t)(d->total > d->cap ? d->total - d->cap : 0)));
        pthread_mutex_unlock(&d->mu);
    } else {
        json_object_set_new(out, "capacity", json_integer(0));
        json_object_set_new(out, "dropped", json_integer(0));
    }
    json_object_set_new(out, "decisions", arr);
    text = json_dumps(out, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    json_decref(out);
    return text;
}

char *dlog_explain(const struct authz_ctx *ctx, const struct authz_result *res)
{
    struct s3_buf b;
    buf_init(&b, 1 << 20);
    if (authz_explain(res, ctx, &b) != S3_OK) {
        buf_release(&b);
        return NULL;
    }
    return buf_detach(&b, NULL);
}
