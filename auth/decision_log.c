/* auth/decision_log.c - see decision_log.h. */
#include "config.h"
#include "auth/decision_log.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "lib/buf.h"

/*
 * Recording happens on every request, so it must stay cheap: one entry is one malloc'd record
 * in which every string the query may need is copied back to back (no JSON tree, no per-field
 * allocation), and the ring slot is swapped under the mutex; the evicted record is freed after
 * the lock is released.  JSON is built only when /_s3iam/decisions is read.
 *
 * Record encoding (read back by struct cur in the same order it is written):
 *   string  the bytes and a NUL; an absent string is the byte 0xFF and a NUL (0xFF never
 *           occurs in UTF-8, and every string here is UTF-8)
 *   u32     four bytes, host order (the record never leaves the process)
 * Layout: request_id operation principal action resource bucket key access_point decision
 * reason; u32 n_deciding, matches; u32 has_closest, u32 n_closest, matches; u32 n_keys, keys.
 */
struct dlog_entry {
    char *rec;                /* NULL: empty slot */
    /* Fields the filters test, pointing into rec. */
    const char *principal, *decision, *bucket, *action, *request_id;
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

void dlog_free(struct dlog *d)
{
    if (d == NULL)
        return;
    for (size_t i = 0; i < d->cap; i++)
        free(d->v[i].rec);
    free(d->v);
    pthread_mutex_destroy(&d->mu);
    free(d);
}

#define ABSENT 0xFF

static void put_s(struct s3_buf *b, const char *s)
{
    if (s == NULL) {
        buf_addc(b, (char)ABSENT);
        buf_addc(b, 0);
        return;
    }
    buf_add(b, s, strlen(s) + 1);
}

static void put_u(struct s3_buf *b, uint32_t v)
{
    buf_add(b, &v, sizeof(v));
}

struct cur {
    const char *p;
};

static const char *get_s(struct cur *c)
{
    const char *s = c->p;
    if ((unsigned char)*s == ABSENT && s[1] == 0) {
        c->p += 2;
        return NULL;
    }
    c->p += strlen(s) + 1;
    return s;
}

static uint32_t get_u(struct cur *c)
{
    uint32_t v;
    memcpy(&v, c->p, sizeof(v));
    c->p += sizeof(v);
    return v;
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

/* A request key's value(s): u32 kind (0 absent, 1 one value, 2 a list), then the strings. */
static void put_key_values(struct s3_buf *b, const struct authz_key *k)
{
    if (k == NULL) {
        put_u(b, 0);
    } else if (k->value) {
        put_u(b, 1);
        put_s(b, k->value);
    } else {
        put_u(b, 2);
        put_u(b, (uint32_t)k->n_values);
        for (size_t i = 0; i < k->n_values; i++)
            put_s(b, k->values[i]);
    }
}

static json_t *get_key_values(struct cur *c)
{
    uint32_t kind = get_u(c), n;
    json_t *a;

    if (kind == 0)
        return json_null();
    if (kind == 1)
        return json_string(get_s(c));
    a = json_array();
    n = get_u(c);
    for (uint32_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(get_s(c)));
    return a;
}

static void put_match(struct s3_buf *b, const struct authz_match *m)
{
    struct policy_stmt_info si;

    put_s(b, policy_source(m->policy));
    put_s(b, src_name(m->src));
    put_s(b, check_name(m->check));
    if (policy_statement_info(m->policy, m->stmt, &si)) {
        put_u(b, 1);
        put_u(b, (uint32_t)si.index);
        put_s(b, si.sid);
        put_s(b, si.allow ? "Allow" : "Deny");
        put_u(b, (uint32_t)si.line);
    } else {
        put_u(b, 0);
    }
    put_s(b, miss_name(m->miss));
    if (m->miss == AUTHZ_MISS_CONDITION) {
        put_u(b, 1);
        put_s(b, m->cond.op ? m->cond.op : "");
        put_s(b, m->cond.key ? m->cond.key : "");
        put_key_values(b, m->cond.req);
        put_u(b, (uint32_t)m->cond.n_pol_values);
        for (size_t i = 0; i < m->cond.n_pol_values; i++)
            put_s(b, m->cond.pol_values[i]);
    } else {
        put_u(b, 0);
    }
}

static json_t *get_match(struct cur *c)
{
    json_t *o = json_object();
    const char *s;

    json_object_set_new(o, "policy", json_string(get_s(c)));
    json_object_set_new(o, "policy_type", json_string(get_s(c)));
    json_object_set_new(o, "check", json_string(get_s(c)));
    if (get_u(c)) {
        json_object_set_new(o, "statement", json_integer((json_int_t)get_u(c)));
        if ((s = get_s(c)) != NULL)
            json_object_set_new(o, "sid", json_string(s));
        json_object_set_new(o, "effect", json_string(get_s(c)));
        json_object_set_new(o, "line", json_integer((json_int_t)get_u(c)));
    }
    if ((s = get_s(c)) != NULL)
        json_object_set_new(o, "missed", json_string(s));
    if (get_u(c)) {
        json_t *cond = json_object(), *pv = json_array();
        uint32_t n;
        json_object_set_new(cond, "operator", json_string(get_s(c)));
        json_object_set_new(cond, "key", json_string(get_s(c)));
        json_object_set_new(cond, "request", get_key_values(c));
        n = get_u(c);
        for (uint32_t i = 0; i < n; i++)
            json_array_append_new(pv, json_string(get_s(c)));
        json_object_set_new(cond, "policy_values", pv);
        json_object_set_new(o, "failed_condition", cond);
    }
    return o;
}

void dlog_record(struct dlog *d, const struct dlog_req *rq, const struct authz_ctx *ctx,
                 const struct authz_result *res)
{
    char phrase[512];
    struct s3_buf b;
    struct dlog_entry e;
    struct cur c;
    char *old;
    size_t n;

    if (d == NULL || d->cap == 0)
        return;
    buf_init(&b, 0);
    put_s(&b, rq->request_id ? rq->request_id : "");
    put_s(&b, rq->operation);
    put_s(&b, ctx->principal_arn ? ctx->principal_arn : "anonymous");
    put_s(&b, ctx->action);
    put_s(&b, ctx->resource ? ctx->resource : "*");
    put_s(&b, rq->bucket);
    put_s(&b, rq->key);
    put_s(&b, ctx->access_point_arn);
    put_s(&b, decision_name(res->decision));
    put_s(&b, authz_reason_phrase(res, ctx->action, phrase, sizeof(phrase)) > 0 ? phrase : NULL);
    n = res->n_deciding < AUTHZ_MAX_MATCHES ? res->n_deciding : AUTHZ_MAX_MATCHES;
    put_u(&b, (uint32_t)n);
    for (size_t i = 0; i < n; i++)
        put_match(&b, &res->deciding[i]);
    put_u(&b, res->decision == AUTHZ_IMPLICIT_DENY);
    n = res->decision != AUTHZ_IMPLICIT_DENY ? 0 : res->n_near < AUTHZ_MAX_MATCHES ? res->n_near : AUTHZ_MAX_MATCHES;
    put_u(&b, (uint32_t)n);
    for (size_t i = 0; i < n; i++)
        put_match(&b, &res->near[i]);
    put_u(&b, (uint32_t)ctx->n_keys);
    for (size_t i = 0; i < ctx->n_keys; i++) {
        put_s(&b, ctx->keys[i].name);
        put_key_values(&b, &ctx->keys[i]);
    }
    /* buf_add fails only when out of memory: then the decision is not recorded. */
    if (b.p == NULL || b.len == 0 || (e.rec = buf_detach(&b, NULL)) == NULL) {
        buf_release(&b);
        return;
    }
    c.p = e.rec;
    e.request_id = get_s(&c);
    (void)get_s(&c);
    e.principal = get_s(&c);
    e.action = get_s(&c);
    (void)get_s(&c);
    e.bucket = get_s(&c);
    (void)get_s(&c);
    (void)get_s(&c);
    e.decision = get_s(&c);
    e.time_ms = rq->time_ms;

    pthread_mutex_lock(&d->mu);
    old = d->v[d->next].rec;
    d->v[d->next] = e;
    d->next = (d->next + 1) % d->cap;
    d->total++;
    pthread_mutex_unlock(&d->mu);
    free(old);
}

/* The JSON document of one record (the format /_s3iam/decisions has always served). */
static json_t *entry_json(const struct dlog_entry *e)
{
    static const char *const head[] = { "request_id", "operation", "principal", "action", "resource",
                                        "bucket", "key", "access_point", "decision", "reason" };
    struct cur c = { e->rec };
    json_t *j = json_object(), *a;
    uint32_t n;

    json_object_set_new(j, "time_ms", json_integer(e->time_ms));
    for (size_t i = 0; i < sizeof(head) / sizeof(head[0]); i++) {
        const char *s = get_s(&c);
        if (s)
            json_object_set_new(j, head[i], json_string(s));
    }
    a = json_array();
    n = get_u(&c);
    for (uint32_t i = 0; i < n; i++)
        json_array_append_new(a, get_match(&c));
    json_object_set_new(j, "deciding", a);
    if (get_u(&c)) {
        a = json_array();
        n = get_u(&c);
        for (uint32_t i = 0; i < n; i++)
            json_array_append_new(a, get_match(&c));
        json_object_set_new(j, "closest", a);
    } else {
        (void)get_u(&c);
    }
    a = json_object();
    n = get_u(&c);
    for (uint32_t i = 0; i < n; i++) {
        const char *name = get_s(&c);
        json_object_set_new(a, name ? name : "", get_key_values(&c));
    }
    json_object_set_new(j, "context", a);
    return j;
}

static int matches(const struct dlog_entry *e, const struct dlog_filter *f)
{
    if (e->rec == NULL)
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
                json_array_append_new(arr, entry_json(&d->v[idx]));
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
