/* auth/iam_db.c - the IAM database: accounts, locking, entities and their changes (see iam_db.h). */
#include "config.h"
#include "auth/iam_db.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "auth/iam_int.h"
#include "lib/log.h"

/* ------------------------------------------------------------------ small helpers */

static void msgf(struct iam_msg *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void msgf(struct iam_msg *m, const char *fmt, ...)
{
    va_list ap;
    if (m == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(m->msg, sizeof(m->msg), fmt, ap);
    va_end(ap);
}

static s3_err fail(struct iam_msg *m, s3_err e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static s3_err fail(struct iam_msg *m, s3_err e, const char *fmt, ...)
{
    va_list ap;
    if (m) {
        va_start(ap, fmt);
        vsnprintf(m->msg, sizeof(m->msg), fmt, ap);
        va_end(ap);
    }
    return e;
}

static char *xstrdup(const char *s) { return s ? strdup(s) : NULL; }

/* Replace *dst with a copy of s; 0 when out of memory (then *dst is unchanged). */
static int set_str(char **dst, const char *s)
{
    char *n = NULL;
    if (s && (n = strdup(s)) == NULL)
        return 0;
    free(*dst);
    *dst = n;
    return 1;
}

void iam_time_iso(int64_t t, char out[32])
{
    struct tm tm;
    time_t tt = (time_t)t;
    gmtime_r(&tt, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int64_t iam_parse_iso(const char *s)
{
    struct tm tm;
    int y, mo, d, h, mi, se;
    char z = 0;
    if (s == NULL || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &se, &z) != 7 || z != 'Z')
        return -1;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se;
    return (int64_t)timegm(&tm);
}

void iam_random_id(const char *prefix, size_t n, char *out, size_t outlen)
{
    static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    unsigned char rnd[64];
    size_t pl = strlen(prefix), i;

    if (outlen == 0)
        return;
    if (n > sizeof(rnd))
        n = sizeof(rnd);
    if (pl + n + 1 > outlen)
        n = outlen > pl + 1 ? outlen - pl - 1 : 0;
    if (RAND_bytes(rnd, (int)sizeof(rnd)) != 1)
        memset(rnd, 0x5a, sizeof(rnd));  /* RAND_bytes does not fail on Linux; keep ids well-formed */
    snprintf(out, outlen, "%s", prefix);
    for (i = 0; i < n && pl + i + 1 < outlen; i++)
        out[pl + i] = alpha[rnd[i] & 31];
    out[pl + i] = 0;
}

/* A 40-character secret in the base64 alphabet, like AWS's. */
static void random_secret(char out[48])
{
    static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned char rnd[40];
    if (RAND_bytes(rnd, (int)sizeof(rnd)) != 1)
        memset(rnd, 0x33, sizeof(rnd));
    for (int i = 0; i < 40; i++)
        out[i] = alpha[rnd[i] & 63];
    out[40] = 0;
}

char *iam_make_arn(const char *account, const char *kind, const char *path, const char *name)
{
    struct s3_buf b;
    buf_init(&b, 0);
    if (buf_addf(&b, "arn:aws:iam::%s:%s%s%s", account, kind, path ? path : "/", name) != S3_OK) {
        buf_release(&b);
        return NULL;
    }
    return buf_detach(&b, NULL);
}

void iam_tags_release(struct iam_tags *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->v[i].key);
        free(t->v[i].value);
    }
    free(t->v);
    t->v = NULL;
    t->n = 0;
}

s3_err iam_tags_add(struct iam_tags *t, const char *key, const char *value)
{
    struct iam_tag *nv = realloc(t->v, (t->n + 1) * sizeof(*nv));
    if (nv == NULL)
        return S3E_NOMEM;
    t->v = nv;
    nv[t->n].key = strdup(key);
    nv[t->n].value = strdup(value ? value : "");
    if (nv[t->n].key == NULL || nv[t->n].value == NULL) {
        free(nv[t->n].key);
        free(nv[t->n].value);
        return S3E_NOMEM;
    }
    t->n++;
    return S3_OK;
}

void iam_strs_release(struct iam_strs *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    s->v = NULL;
    s->n = 0;
}

s3_err iam_strs_add(struct iam_strs *s, const char *v)
{
    char **nv = realloc(s->v, (s->n + 1) * sizeof(*nv));
    if (nv == NULL)
        return S3E_NOMEM;
    s->v = nv;
    if ((nv[s->n] = strdup(v)) == NULL)
        return S3E_NOMEM;
    s->n++;
    return S3_OK;
}

static int strs_index(const struct iam_strs *s, const char *v, int nocase)
{
    for (size_t i = 0; i < s->n; i++)
        if (nocase ? !strcasecmp(s->v[i], v) : !strcmp(s->v[i], v))
            return (int)i;
    return -1;
}

static void strs_remove_at(struct iam_strs *s, size_t i)
{
    free(s->v[i]);
    memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof(s->v[0]));
    s->n--;
}

/* ------------------------------------------------------------------ compiled policies */

struct iam_cpol *iam_cpol_new(struct policy *p)
{
    struct iam_cpol *c;
    if (p == NULL)
        return NULL;
    if ((c = malloc(sizeof(*c))) == NULL) {
        policy_free(p);
        return NULL;
    }
    c->p = p;
    atomic_init(&c->refs, 1);
    return c;
}

const struct policy *iam_cpol_policy(const struct iam_cpol *c) { return c ? c->p : NULL; }

struct iam_cpol *iam_cpol_ref(struct iam_cpol *c)
{
    if (c)
        atomic_fetch_add(&c->refs, 1);
    return c;
}

void iam_cpol_unref(struct iam_cpol *c)
{
    if (c && atomic_fetch_sub(&c->refs, 1) == 1) {
        policy_free(c->p);
        free(c);
    }
}

void iam_doc_release(struct iam_doc *d)
{
    free(d->name);
    free(d->text);
    iam_cpol_unref(d->cp);
    memset(d, 0, sizeof(*d));
}

void iam_docs_release(struct iam_docs *d)
{
    for (size_t i = 0; i < d->n; i++)
        iam_doc_release(&d->v[i]);
    free(d->v);
    d->v = NULL;
    d->n = 0;
}

const struct iam_doc *iam_docs_find(const struct iam_docs *d, const char *name)
{
    for (size_t i = 0; i < d->n; i++)
        if (!strcasecmp(d->v[i].name, name))
            return &d->v[i];
    return NULL;
}

s3_err iam_doc_load(struct iam_doc *d, const char *name, const char *text, int64_t created, enum policy_kind kind,
                    const char *source, unsigned *warn)
{
    struct policy *p = NULL;
    struct policy_diag diag;
    struct policy_validate_opts o = { .flags = POLICY_F_NO_SIZE_LIMIT };

    memset(d, 0, sizeof(*d));
    d->created = created;
    if ((name && (d->name = strdup(name)) == NULL) || (d->text = strdup(text)) == NULL) {
        iam_doc_release(d);
        return S3E_NOMEM;
    }
    if (policy_compile(text, strlen(text), kind, &o, source, &p, &diag) != S3_OK) {
        log_warn("iam: stored policy %s no longer compiles (%s); it grants nothing until replaced", source,
                 diag.n_errors ? diag.errors[0].message : "?");
        if (warn)
            (*warn)++;
        return S3_OK;
    }
    if ((d->cp = iam_cpol_new(p)) == NULL) {
        iam_doc_release(d);
        return S3E_NOMEM;
    }
    return S3_OK;
}

s3_err iam_docs_load(struct iam_docs *d, const char *name, const char *text, int64_t created,
                     enum policy_kind kind, const char *source, unsigned *warn)
{
    struct iam_doc *nv = realloc(d->v, (d->n + 1) * sizeof(*nv));
    s3_err e;
    if (nv == NULL)
        return S3E_NOMEM;
    d->v = nv;
    if ((e = iam_doc_load(&nv[d->n], name, text, created, kind, source, warn)) != S3_OK)
        return e;
    d->n++;
    return S3_OK;
}

s3_err iam_policy_check(const char *doc, enum policy_kind kind, size_t max_chars, const char *source,
                        struct iam_msg *m, struct policy **out)
{
    struct policy_diag diag;
    struct policy_validate_opts o;
    s3_err e;

    memset(&o, 0, sizeof(o));
    o.max_chars = max_chars;
    if (max_chars == (size_t)-1) {
        o.max_chars = 0;
        o.flags |= POLICY_F_NO_SIZE_LIMIT;
    }
    *out = NULL;
    memset(&diag, 0, sizeof(diag));
    e = policy_compile(doc, strlen(doc), kind, &o, source, out, &diag);
    if (e == S3_OK)
        return S3_OK;
    if (m) {
        m->line = m->column = 0;
        m->detail[0] = 0;
        if (diag.n_errors) {
            const struct policy_error *pe = &diag.errors[0];
            m->line = pe->line;
            m->column = pe->column;
            snprintf(m->detail, sizeof(m->detail), "%s", pe->detail);
            if (pe->line > 0)
                msgf(m, "%s (line %d, column %d%s%s)", pe->message, pe->line, pe->column, pe->detail[0] ? ": " : "",
                     pe->detail);
            else
                msgf(m, "%s%s%s", pe->message, pe->detail[0] ? " " : "", pe->detail);
        } else {
            msgf(m, "%s", err_message(e));
        }
    }
    return e == S3E_MALFORMED_POLICY ? S3E_IAM_MALFORMED_POLICY : e;
}

/* ------------------------------------------------------------------ entity life cycle */

void iam_user_free(struct iam_user *u)
{
    if (u == NULL)
        return;
    free(u->name);
    free(u->path);
    free(u->id);
    free(u->arn);
    iam_tags_release(&u->tags);
    free(u->login.pw_hash);
    iam_docs_release(&u->inl);
    iam_strs_release(&u->attached);
    OPENSSL_cleanse(u->keys, sizeof(u->keys));
    free(u);
}

void iam_group_free(struct iam_group *g)
{
    if (g == NULL)
        return;
    free(g->name);
    free(g->path);
    free(g->id);
    free(g->arn);
    iam_strs_release(&g->members);
    iam_docs_release(&g->inl);
    iam_strs_release(&g->attached);
    free(g);
}

void iam_role_free(struct iam_role *r)
{
    if (r == NULL)
        return;
    free(r->name);
    free(r->path);
    free(r->id);
    free(r->arn);
    free(r->description);
    iam_doc_release(&r->trust);
    iam_tags_release(&r->tags);
    iam_docs_release(&r->inl);
    iam_strs_release(&r->attached);
    free(r);
}

void iam_mpolicy_free(struct iam_mpolicy *p)
{
    if (p == NULL)
        return;
    free(p->name);
    free(p->path);
    free(p->id);
    free(p->arn);
    free(p->description);
    iam_docs_release(&p->versions);
    iam_tags_release(&p->tags);
    free(p);
}

void iam_session_free(struct iam_session *s)
{
    if (s == NULL)
        return;
    free(s->token);
    free(s->name);
    free(s->arn);
    free(s->role_name);
    free(s->role_id);
    free(s->policy_text);
    iam_cpol_unref(s->policy);
    iam_tags_release(&s->tags);
    free(s->source_arn);
    OPENSSL_cleanse(s->secret, sizeof(s->secret));
    free(s);
}

struct iam_account *iam_account_new(struct iam_db *db, const char *id)
{
    struct iam_account *a = calloc(1, sizeof(*a));
    if (a == NULL)
        return NULL;
    snprintf(a->id, sizeof(a->id), "%s", id);
    a->db = db;
    return a;
}

void iam_account_free(struct iam_account *a)
{
    if (a == NULL)
        return;
    for (size_t i = 0; i < a->n_users; i++)
        iam_user_free(a->users[i]);
    for (size_t i = 0; i < a->n_groups; i++)
        iam_group_free(a->groups[i]);
    for (size_t i = 0; i < a->n_roles; i++)
        iam_role_free(a->roles[i]);
    for (size_t i = 0; i < a->n_policies; i++)
        iam_mpolicy_free(a->policies[i]);
    for (size_t i = 0; i < a->n_sessions; i++)
        iam_session_free(a->sessions[i]);
    free(a->users);
    free(a->groups);
    free(a->roles);
    free(a->policies);
    free(a->sessions);
    free(a->saved);
    free(a);
}

/*
 * Sorted arrays of entity pointers.  Each entity struct's first member is its name, so the
 * macros below work on any of them; IAM names are unique without regard to case.
 */
#define ARR_POS(arr, n, nm, pos_out)                                                                               \
    do {                                                                                                           \
        size_t lo_ = 0, hi_ = (n);                                                                                 \
        while (lo_ < hi_) {                                                                                        \
            size_t mid_ = lo_ + (hi_ - lo_) / 2;                                                                   \
            if (strcasecmp((arr)[mid_]->name, (nm)) < 0)                                                           \
                lo_ = mid_ + 1;                                                                                    \
            else                                                                                                   \
                hi_ = mid_;                                                                                        \
        }                                                                                                          \
        *(pos_out) = lo_;                                                                                          \
    } while (0)

#define ARR_INSERT(arr, n, cap, item, err_out)                                                                     \
    do {                                                                                                           \
        size_t pos_;                                                                                               \
        *(err_out) = S3_OK;                                                                                        \
        if ((n) == (cap)) {                                                                                        \
            size_t nc_ = (cap) ? (cap) * 2 : 8;                                                                    \
            void *np_ = realloc((arr), nc_ * sizeof(*(arr)));                                                      \
            if (np_ == NULL) {                                                                                     \
                *(err_out) = S3E_NOMEM;                                                                            \
                break;                                                                                             \
            }                                                                                                      \
            (arr) = np_;                                                                                           \
            (cap) = nc_;                                                                                           \
        }                                                                                                          \
        ARR_POS(arr, n, (item)->name, &pos_);                                                                      \
        memmove(&(arr)[pos_ + 1], &(arr)[pos_], ((n) - pos_) * sizeof(*(arr)));                                    \
        (arr)[pos_] = (item);                                                                                      \
        (n)++;                                                                                                     \
    } while (0)

#define ARR_FIND(arr, n, nm, out)                                                                                  \
    do {                                                                                                           \
        size_t pos_;                                                                                               \
        ARR_POS(arr, n, nm, &pos_);                                                                                \
        *(out) = (pos_ < (n) && !strcasecmp((arr)[pos_]->name, (nm))) ? (arr)[pos_] : NULL;                        \
    } while (0)

/* Remove the element at index i (no free). */
#define ARR_REMOVE(arr, n, i)                                                                                      \
    do {                                                                                                           \
        memmove(&(arr)[(i)], &(arr)[(i) + 1], ((n) - (i)-1) * sizeof(*(arr)));                                     \
        (n)--;                                                                                                     \
    } while (0)

s3_err iam_account_add_user(struct iam_account *a, struct iam_user *u)
{
    s3_err e;
    ARR_INSERT(a->users, a->n_users, a->cap_users, u, &e);
    return e;
}

s3_err iam_account_add_group(struct iam_account *a, struct iam_group *g)
{
    s3_err e;
    ARR_INSERT(a->groups, a->n_groups, a->cap_groups, g, &e);
    return e;
}

s3_err iam_account_add_role(struct iam_account *a, struct iam_role *r)
{
    s3_err e;
    ARR_INSERT(a->roles, a->n_roles, a->cap_roles, r, &e);
    return e;
}

s3_err iam_account_add_policy(struct iam_account *a, struct iam_mpolicy *p)
{
    s3_err e;
    ARR_INSERT(a->policies, a->n_policies, a->cap_policies, p, &e);
    return e;
}

s3_err iam_account_add_session(struct iam_account *a, struct iam_session *s)
{
    if (a->n_sessions == a->cap_sessions) {
        size_t nc = a->cap_sessions ? a->cap_sessions * 2 : 8;
        struct iam_session **nv = realloc(a->sessions, nc * sizeof(*nv));
        if (nv == NULL)
            return S3E_NOMEM;
        a->sessions = nv;
        a->cap_sessions = nc;
    }
    a->sessions[a->n_sessions++] = s;
    return S3_OK;
}

static size_t index_of_user(const struct iam_account *a, const struct iam_user *u)
{
    for (size_t i = 0; i < a->n_users; i++)
        if (a->users[i] == u)
            return i;
    return a->n_users;
}

/* ------------------------------------------------------------------ the database */

static time_t default_now(void *ud)
{
    (void)ud;
    return time(NULL);
}

/*
 * The AWS managed policies are the same for every database and never change, so they are
 * compiled once per process and shared.  That happens on first use, not in iam_db_new: some
 * documents are large and compiling them all took about 7 ms of every start, whether or not a
 * request ever names one.  Built under aws_mu; aws_ready (release/acquire) publishes the set to
 * the threads that then read it without a lock.  A build that fails (out of memory) leaves
 * nothing behind and is tried again at the next use.  The set lives until the process exits.
 */
struct aws_set {
    struct iam_mpolicy **v;   /* sorted by name, as iam_aws_defs */
    size_t n;
};
static pthread_mutex_t aws_mu = PTHREAD_MUTEX_INITIALIZER;
static atomic_int aws_ready;
static struct aws_set aws_built;

static s3_err aws_policies_build(struct aws_set *set)
{
    set->v = calloc(iam_aws_ndefs, sizeof(*set->v));
    if (set->v == NULL)
        return S3E_NOMEM;
    for (size_t i = 0; i < iam_aws_ndefs; i++) {
        const struct iam_aws_def *d = &iam_aws_defs[i];
        struct iam_mpolicy *p = calloc(1, sizeof(*p));
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned mdl = 0;
        char src[160];
        static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        unsigned warn = 0;

        if (p == NULL)
            return S3E_NOMEM;
        set->v[set->n++] = p;
        p->aws = 1;
        p->name = strdup(d->name);
        p->path = strdup("/");
        p->arn = iam_make_arn("aws", "policy", "/", d->name);
        p->description = strdup(d->description);
        p->id = malloc(22);
        if (!p->name || !p->path || !p->arn || !p->description || !p->id)
            return S3E_NOMEM;
        /* AWS's policy ids are not published with the documents: derive a stable one from the
         * name so it does not change between runs. */
        EVP_Digest(d->name, strlen(d->name), md, &mdl, EVP_sha256(), NULL);
        memcpy(p->id, "ANPA", 4);
        for (int k = 0; k < 17; k++)
            p->id[4 + k] = alpha[md[k] & 31];
        p->id[21] = 0;
        p->created = iam_parse_iso(d->created);
        p->updated = iam_parse_iso(d->updated);
        snprintf(src, sizeof(src), "%s", p->arn);
        if (iam_docs_load(&p->versions, d->version, d->doc, p->updated, POLICY_IDENTITY, src, &warn) != S3_OK)
            return S3E_NOMEM;
        if (warn || p->versions.v[0].cp == NULL) {
            log_error("iam: the embedded AWS managed policy %s does not compile", d->name);
            return S3E_INTERNAL;
        }
        p->def = 0;
        p->next_version = (unsigned)strtoul(d->version + 1, NULL, 10) + 1;
    }
    return S3_OK;
}

/* The compiled set; an empty one (logged) when it cannot be built. */
static const struct aws_set *aws_policies(void)
{
    static const struct aws_set none;

    if (atomic_load_explicit(&aws_ready, memory_order_acquire))
        return &aws_built;
    pthread_mutex_lock(&aws_mu);
    if (!atomic_load_explicit(&aws_ready, memory_order_relaxed)) {
        s3_err e = aws_policies_build(&aws_built);
        if (e == S3_OK) {
            atomic_store_explicit(&aws_ready, 1, memory_order_release);
        } else {
            log_error("iam: cannot compile the AWS managed policies (%s); they are unavailable until a later "
                      "request retries", err_name(e));
            for (size_t i = 0; i < aws_built.n; i++)
                iam_mpolicy_free(aws_built.v[i]);
            free(aws_built.v);
            memset(&aws_built, 0, sizeof(aws_built));
        }
    }
    pthread_mutex_unlock(&aws_mu);
    return atomic_load_explicit(&aws_ready, memory_order_acquire) ? &aws_built : &none;
}

s3_err iam_db_new(struct iam_db **out)
{
    struct iam_db *db = calloc(1, sizeof(*db));

    *out = NULL;
    if (db == NULL)
        return S3E_NOMEM;
    if (pthread_rwlock_init(&db->lock, NULL) != 0) {
        free(db);
        return S3E_INTERNAL;
    }
    db->now = default_now;
    *out = db;
    return S3_OK;
}

void iam_db_free(struct iam_db *db)
{
    if (db == NULL)
        return;
    for (size_t i = 0; i < db->n_accts; i++)
        iam_account_free(db->accts[i]);
    free(db->accts);
    pthread_rwlock_destroy(&db->lock);
    free(db);
}

void iam_db_set_saver(struct iam_db *db, iam_save_fn fn, void *ud)
{
    db->save = fn;
    db->save_ud = ud;
}

void iam_db_set_clock(struct iam_db *db, time_t (*now)(void *ud), void *ud)
{
    db->now = now ? now : default_now;
    db->now_ud = ud;
}

time_t iam_db_now(const struct iam_db *db) { return db->now(db->now_ud); }

size_t iam_aws_policy_count(const struct iam_db *db)
{
    (void)db;   /* shared by every database */
    return aws_policies()->n;
}

const struct iam_mpolicy *iam_aws_policy_at(const struct iam_db *db, size_t i)
{
    const struct aws_set *set = aws_policies();
    (void)db;
    return i < set->n ? set->v[i] : NULL;
}

static struct iam_account *acct_find(const struct iam_db *db, const char *id, size_t *idx)
{
    for (size_t i = 0; i < db->n_accts; i++)
        if (!strcmp(db->accts[i]->id, id)) {
            if (idx)
                *idx = i;
            return db->accts[i];
        }
    return NULL;
}

static s3_err acct_put(struct iam_db *db, struct iam_account *a)
{
    size_t i;
    if (acct_find(db, a->id, &i)) {
        iam_account_free(db->accts[i]);
        db->accts[i] = a;
        return S3_OK;
    }
    if (db->n_accts == db->cap_accts) {
        size_t nc = db->cap_accts ? db->cap_accts * 2 : 4;
        struct iam_account **nv = realloc(db->accts, nc * sizeof(*nv));
        if (nv == NULL)
            return S3E_NOMEM;
        db->accts = nv;
        db->cap_accts = nc;
    }
    db->accts[db->n_accts++] = a;
    return S3_OK;
}

s3_err iam_db_load(struct iam_db *db, const char *account, const char *json, char *err, size_t errlen,
                   unsigned *n_warnings)
{
    struct iam_account *a = NULL;
    unsigned warn = 0;
    s3_err e;

    if (err && errlen)
        err[0] = 0;
    if (json == NULL || json[0] == 0) {
        if ((a = iam_account_new(db, account)) == NULL)
            return S3E_NOMEM;
    } else if ((e = iam_json_load(db, account, json, &a, err, errlen, &warn)) != S3_OK) {
        return e;
    }
    free(a->saved);
    if ((a->saved = iam_json_dump(a)) == NULL) {
        iam_account_free(a);
        return S3E_NOMEM;
    }
    pthread_rwlock_wrlock(&db->lock);
    e = acct_put(db, a);
    pthread_rwlock_unlock(&db->lock);
    if (e != S3_OK)
        iam_account_free(a);
    if (n_warnings)
        *n_warnings = warn;
    return e;
}

s3_err iam_db_dump(struct iam_db *db, const char *account, char **json_out)
{
    const struct iam_account *a;
    *json_out = NULL;
    pthread_rwlock_rdlock(&db->lock);
    if ((a = acct_find(db, account, NULL)) != NULL)
        *json_out = iam_json_dump(a);
    pthread_rwlock_unlock(&db->lock);
    if (a == NULL)
        return S3E_IAM_NO_SUCH_ENTITY;
    return *json_out ? S3_OK : S3E_NOMEM;
}

const struct iam_account *iam_read_begin(struct iam_db *db, const char *account)
{
    const struct iam_account *a;
    pthread_rwlock_rdlock(&db->lock);
    if ((a = acct_find(db, account, NULL)) == NULL)
        pthread_rwlock_unlock(&db->lock);
    return a;
}

void iam_read_end(struct iam_db *db) { pthread_rwlock_unlock(&db->lock); }

struct iam_account *iam_write_begin(struct iam_db *db, const char *account)
{
    struct iam_account *a;
    pthread_rwlock_wrlock(&db->lock);
    if ((a = acct_find(db, account, NULL)) == NULL) {
        if ((a = iam_account_new(db, account)) == NULL || acct_put(db, a) != S3_OK) {
            iam_account_free(a);
            pthread_rwlock_unlock(&db->lock);
            return NULL;
        }
        a->dirty = 1;
    }
    return a;
}

/* Put the last saved state back in place of a (write lock held).  Returns the account now in
 * the database. */
static struct iam_account *rollback(struct iam_account *a)
{
    struct iam_db *db = a->db;
    struct iam_account *old = NULL;
    char err[256];
    unsigned warn = 0;

    if (!a->dirty)
        return a;
    if (a->saved == NULL) {
        old = iam_account_new(db, a->id);
    } else if (iam_json_load(db, a->id, a->saved, &old, err, sizeof(err), &warn) != S3_OK) {
        log_error("iam: cannot restore account %s after a failed change: %s", a->id, err);
        old = NULL;
    }
    if (old == NULL) {
        a->dirty = 0;   /* keep the changed state rather than lose the account */
        return a;
    }
    old->saved = a->saved;
    a->saved = NULL;
    acct_put(db, old);   /* frees a */
    return old;
}

s3_err iam_write_commit(struct iam_account *a)
{
    struct iam_db *db = a->db;
    char *json;
    s3_err e = S3_OK;

    if (a->dirty) {
        if ((json = iam_json_dump(a)) == NULL) {
            e = S3E_NOMEM;
        } else {
            if (db->save)
                e = db->save(db->save_ud, a->id, json);
            if (e == S3_OK) {
                free(a->saved);
                a->saved = json;
                a->dirty = 0;
            } else {
                free(json);
            }
        }
        if (e != S3_OK)
            rollback(a);
    }
    pthread_rwlock_unlock(&db->lock);
    return e;
}

void iam_write_abort(struct iam_account *a)
{
    struct iam_db *db = a->db;
    rollback(a);
    pthread_rwlock_unlock(&db->lock);
}

/* ------------------------------------------------------------------ lookups */

struct iam_user *iam_user_find(const struct iam_account *a, const char *name)
{
    struct iam_user *u;
    if (name == NULL)
        return NULL;
    ARR_FIND(a->users, a->n_users, name, &u);
    return u;
}

struct iam_group *iam_group_find(const struct iam_account *a, const char *name)
{
    struct iam_group *g;
    if (name == NULL)
        return NULL;
    ARR_FIND(a->groups, a->n_groups, name, &g);
    return g;
}

struct iam_role *iam_role_find(const struct iam_account *a, const char *name)
{
    struct iam_role *r;
    if (name == NULL)
        return NULL;
    ARR_FIND(a->roles, a->n_roles, name, &r);
    return r;
}

struct iam_mpolicy *iam_policy_find(const struct iam_account *a, const char *arn)
{
    if (arn == NULL)
        return NULL;
    if (!strncmp(arn, "arn:aws:iam::aws:policy/", 24)) {
        const struct aws_set *set = aws_policies();
        for (size_t i = 0; i < set->n; i++)
            if (!strcmp(set->v[i]->arn, arn))
                return set->v[i];
        return NULL;
    }
    for (size_t i = 0; i < a->n_policies; i++)
        if (!strcmp(a->policies[i]->arn, arn))
            return a->policies[i];
    return NULL;
}

struct iam_key *iam_user_key(struct iam_user *u, const char *akid)
{
    for (size_t i = 0; i < u->n_keys; i++)
        if (!strcmp(u->keys[i].id, akid))
            return &u->keys[i];
    return NULL;
}

struct iam_user *iam_user_by_key(const struct iam_account *a, const char *akid, struct iam_key **key_out)
{
    for (size_t i = 0; i < a->n_users; i++) {
        struct iam_key *k = iam_user_key(a->users[i], akid);
        if (k) {
            if (key_out)
                *key_out = k;
            return a->users[i];
        }
    }
    return NULL;
}

struct iam_user *iam_user_by_arn(const struct iam_account *a, const char *arn)
{
    for (size_t i = 0; i < a->n_users; i++)
        if (!strcmp(a->users[i]->arn, arn))
            return a->users[i];
    return NULL;
}

struct iam_group *iam_group_by_arn(const struct iam_account *a, const char *arn)
{
    for (size_t i = 0; i < a->n_groups; i++)
        if (!strcmp(a->groups[i]->arn, arn))
            return a->groups[i];
    return NULL;
}

struct iam_role *iam_role_by_arn(const struct iam_account *a, const char *arn)
{
    for (size_t i = 0; i < a->n_roles; i++)
        if (!strcmp(a->roles[i]->arn, arn))
            return a->roles[i];
    return NULL;
}

size_t iam_policy_attachment_count(const struct iam_account *a, const char *arn)
{
    size_t n = 0;
    for (size_t i = 0; i < a->n_users; i++)
        n += strs_index(&a->users[i]->attached, arn, 0) >= 0;
    for (size_t i = 0; i < a->n_groups; i++)
        n += strs_index(&a->groups[i]->attached, arn, 0) >= 0;
    for (size_t i = 0; i < a->n_roles; i++)
        n += strs_index(&a->roles[i]->attached, arn, 0) >= 0;
    return n;
}

int iam_group_has_member(const struct iam_group *g, const char *user) { return strs_index(&g->members, user, 1) >= 0; }

size_t iam_user_groups(const struct iam_account *a, const char *user, const struct iam_group **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < a->n_groups; i++)
        if (iam_group_has_member(a->groups[i], user)) {
            if (n < max)
                out[n] = a->groups[i];
            n++;
        }
    return n;
}

/* ------------------------------------------------------------------ validation */

int iam_name_valid(const char *what, const char *name, size_t max, struct iam_msg *m)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > max) {
        msgf(m, "1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must have "
                "length %s %zu",
             name ? name : "", what, n == 0 ? "greater than or equal to" : "less than or equal to", n == 0 ? (size_t)1 : max);
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("_+=,.@-", c))) {
            msgf(m, "1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must "
                    "satisfy regular expression pattern: [\\w+=,.@-]+",
                 name, what);
            return 0;
        }
    }
    return 1;
}

int iam_path_valid(const char *path, struct iam_msg *m)
{
    size_t n = strlen(path);
    int ok = n >= 1 && n <= 512 && path[0] == '/' && path[n - 1] == '/';
    for (size_t i = 0; ok && i < n; i++)
        ok = path[i] >= 0x21 && path[i] <= 0x7e;
    if (!ok)
        msgf(m, "The specified value for path is invalid. It must begin and end with / and contain only "
                "alphanumeric characters and/or / characters.");
    return ok;
}

int iam_tags_valid(const struct iam_tags *t, struct iam_msg *m)
{
    if (t == NULL)
        return 1;
    if (t->n > IAM_MAX_TAGS) {
        msgf(m, "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have "
                "length less than or equal to %d",
             IAM_MAX_TAGS);
        return 0;
    }
    for (size_t i = 0; i < t->n; i++) {
        size_t kl = strlen(t->v[i].key), vl = strlen(t->v[i].value);
        if (kl == 0 || kl > 128 || vl > 256) {
            msgf(m, "1 validation error detected: Value '%s' at 'tags.%zu.member.%s' failed to satisfy constraint: "
                    "Member must have length %s",
                 kl > 128 || kl == 0 ? t->v[i].key : t->v[i].value, i + 1, kl == 0 || kl > 128 ? "key" : "value",
                 kl == 0 ? "greater than or equal to 1" : kl > 128 ? "less than or equal to 128" : "less than or equal to 256");
            return 0;
        }
        for (size_t j = 0; j < i; j++)
            if (!strcasecmp(t->v[j].key, t->v[i].key)) {
                msgf(m, "Duplicate tag keys found. Please note that Tag keys are case insensitive.");
                return 0;
            }
    }
    return 1;
}

/* ------------------------------------------------------------------ users */

s3_err iam_user_create(struct iam_account *a, const char *name, const char *path, const struct iam_tags *tags,
                       struct iam_msg *m, struct iam_user **out)
{
    struct iam_user *u;
    s3_err e;

    if (path == NULL)
        path = "/";
    if (!iam_name_valid("userName", name, 64, m))
        return S3E_IAM_VALIDATION;
    if (!iam_path_valid(path, m))
        return S3E_IAM_VALIDATION;
    if (!iam_tags_valid(tags, m))
        return S3E_IAM_VALIDATION;
    if (iam_user_find(a, name))
        return fail(m, S3E_IAM_ENTITY_EXISTS, "User with name %s already exists.", name);
    if ((u = calloc(1, sizeof(*u))) == NULL)
        return S3E_NOMEM;
    u->name = strdup(name);
    u->path = strdup(path);
    u->id = malloc(24);
    u->arn = iam_make_arn(a->id, "user", path, name);
    u->created = iam_db_now(a->db);
    if (!u->name || !u->path || !u->id || !u->arn)
        goto nomem;
    iam_random_id("AIDA", 17, u->id, 24);
    for (size_t i = 0; tags && i < tags->n; i++)
        if (iam_tags_add(&u->tags, tags->v[i].key, tags->v[i].value) != S3_OK)
            goto nomem;
    if ((e = iam_account_add_user(a, u)) != S3_OK)
        goto nomem;
    a->dirty = 1;
    if (out)
        *out = u;
    return S3_OK;
nomem:
    iam_user_free(u);
    return S3E_NOMEM;
}

s3_err iam_user_update(struct iam_account *a, const char *name, const char *new_name, const char *new_path,
                       struct iam_msg *m)
{
    struct iam_user *u = iam_user_find(a, name);
    char *nn = NULL, *np = NULL, *narn = NULL;
    size_t idx;

    if (u == NULL)
        return fail(m, S3E_IAM_NO_SUCH_ENTITY, "The user with name %s cannot be found.", name);
    if (new_name && !iam_name_valid("newUserName", new_name, 64, m))
        return S3E_IAM_VALIDATION;
    if (new_path && !iam_path_valid(new_path, m))
        return S3E_IAM_VALIDATION;
    if (new_name && strcasecmp(new_name, u->name) && iam_user_find(a, new_name))
        return fail(m, S3E_IAM_ENTITY_EXISTS, "User with name %s already exists.", new_name);
    nn = strdup(new_name ? new_name : u->name);
    np = strdup(new_path ? new_path : u->path);
    narn = nn && np ? iam_make_arn(a->id, "user", np, nn) : NULL;
    if (!nn || !np || !narn) {
        free(nn);
        free(np);
        free(narn);
        return S3E_NOMEM;
    }
    /* Group memberships follow the rename (from here on a failure must be rolled back). */
    a->dirty = 1;
    for (size_t i = 0; i < a->n_groups; i++) {
        int k = strs_index(&a->groups[i]->members, u->name, 1);
        if (k >= 0) {
            char *c = strdup(nn);
            if (c == NULL) {
                free(nn);
                free(np);
                free(narn);
                return S3E_NOMEM;
            }
            free(a->groups[i]->members.v[k]);
            a->groups[i]->members.v[k] = c;
        }
    }
    idx = index_of_user(a, u);
    ARR_REMOVE(a->users, a->n_users, idx);
    free(u->name);
    free(u->path);
    free(u->arn);
    u->name = nn;
    u->path = np;
    u->arn = narn;
    iam_account_add_user(a, u);   /* cannot fail: the slot just freed is reused */
    a->dirty = 1;
    return S3_OK;
}

s3_err iam_user_delete(struct iam_account *a, const char *name, struct iam_msg *m)
{
    struct iam_user *u = iam_user_find(a, name);
    const struct iam_group *g;
    size_t idx;

    if (u == NULL)
        return fail(m, S3E_IAM_NO_SUCH_ENTITY, "The user with name %s cannot be found.", name);
    /* The order of AWS's checks: credentials first, then memberships and policies. */
    if (u->n_keys)
        return fail(m, S3E_IAM_DELETE_CONFLICT, "Cannot delete entity, must delete access keys first.");
    if (u->login.present)
        return fail(m, S3E_IAM_DELETE_CONFLICT, "Cannot delete entity, must delete login profile first.");
    if (iam_user_groups(a, u->name, &g, 1))
        return fail(m, S3E_IAM_DELETE_CONFLICT, "Cannot delete entity, must remove users from group first.");
    if (u->inl.n)
        return fail(m, S3E_IAM_DELETE_CONFLICT, "Cannot delete entity, must delete policies first.");
    if (u->attached.n)
        return fail(m, S3E_IAM_DELETE_CONFLICT, "Cannot delete entity, must detach all policies first.");
    idx = index_of_user(a, u);
    ARR_REMOVE(a->users, a->n_users, idx);
    /* Sessions made with GetSessionToken by this user die with it. */
    for (size_t i = 0; i < a->n_sessions;) {
        struct iam_session *s = a->sessions[i];
        if (s->kind == IAM_SESS_USER && s->name[0] && !strcmp(s->arn, u->arn)) {
            ARR_REMOVE(a->sessions, a->n_sessions, i);
            iam_session_free(s);
        } else {
            i++;
        }
    }
    iam_user_free(u);
    a->dirty = 1;
    return S3_OK;
}

/* ------------------------------------------------------------------ tags */

s3_err iam_tags_set(struct iam_account *a, struct iam_tags *t, const struct iam_tags *add, struct iam_msg *m)
{
    size_t new_keys = 0;
    if (!iam_tags_valid(add, m))
        return S3E_IAM_VALIDATION;
    for (size_t i = 0; i < add->n; i++) {
        size_t j;
        for (j = 0; j < t->n && strcasecmp(t->v[j].key, add->v[i].key); j++)
            ;
        new_keys += j == t->n;
    }
    if (t->n + new_keys > IAM_MAX_TAGS)
        return fail(m, S3E_IAM_LIMIT_EXCEEDED, "The number of tags has reached the maximum limit of %d.", IAM_MAX_TAGS);
    a->dirty = 1;   /* an allocation failure below leaves a partial change: roll it back */
    for (size_t i = 0; i < add->n; i++) {
        size_t j;
        for (j = 0; j < t->n && strcasecmp(t->v[j].key, add->v[i].key); j++)
            ;
        if (j < t->n) {
            if (!set_str(&t->v[j].value, add->v[i].value))
                return S3E_NOMEM;
        } else if (iam_tags_add(t, add->v[i].key, add->v[i].value) != S3_OK) {
            return S3E_NOMEM;
        }
    }
    a->dirty = 1;
    return S3_OK;
}

s3_err iam_tags_remove(struct iam_account *a, struct iam_tags *t, const struct iam_strs *keys, struct iam_msg *m)
{
    (void)m;
    for (size_t i = 0; i < keys->n; i++)
        for (size_t j = 0; j < t->n; j++)
            if (!strcasecmp(t->v[j].key, keys->v[i])) {
                free(t->v[j].key);
                free(t->v[j].value);
                memmove(&t->v[j], &t->v[j + 1], (t->n - j - 1) * sizeof(t->v[0]));
                t->n--;
                break;
            }
    a->dirty = 1;
    return S3_OK;
}

/* ------------------------------------------------------------------ login profiles */

/* IAM's default password policy (no account policy configured): at least 8 characters and
 * three of the four character classes. */
static int password_ok(const char *user, const char *pw, struct iam_msg *m)
{
    int up = 0, lo = 0, dig = 0, sym = 0;
    size_t n = strlen(pw);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)pw[i];
        if (c >= 'A' && c <= 'Z')
            up = 1;
        else if (c >= 'a' && c <= 'z')
            lo = 1;
        else if (c >= '0' && c <= '9')
            dig = 1;
        else
            sym = 1;
    }
    if (n < 8 || n > 128 || up + lo + dig + sym < 3 || !strcasecmp(pw, user)) {
        msgf(m, "Password does not conform to the account password policy: use 8 to 128 characters with at least "
                "three of: uppercase letters, lowercase letters, numbers, symbols; and not the user name.");
        return 0;
    }
    return 1;
}

static char *password_hash(const char *pw)
{
    unsigned char salt[16], dk[32];
    struct s3_buf b;

    if (RAND_bytes(salt, sizeof(salt)) != 1 ||
        PKCS5_PBKDF2_HMAC(pw, (int)strlen(pw), salt, sizeof(salt), 10000, EVP_sha256(), sizeof(dk), dk) != 1)
        return NULL;
    buf_init(&b, 0);
    buf_adds(&b, "pbkdf2-sha256$10000$");
    buf_add_hex(&b, salt, sizeof(salt));
    buf_addc(&b, '$');
    buf_add_hex(&b, dk, sizeof(dk));
    return buf_detach(&b, NULL);
}

static int password_matches(const char *hash, const char *pw)
{
    unsigned char salt[16], dk[32], want[32];
    const char *s, *h;
    if (hash == NULL || strncmp(hash, "pbkdf2-sha256$10000$", 20) != 0)
        return 0;
    s = hash + 20;
    h = strchr(s, '$');
    if (h == NULL || h - s != 32 || strlen(h + 1) != 64)
        return 0;
    for (int i = 0; i < 16; i++)
        if (sscanf(s + 2 * i, "%2hhx", &salt[i]) != 1)
            return 0;
    for (int i = 0; i < 32; i++)
        if (sscanf(h + 1 + 2 * i, "%2hhx", &want[i]) != 1)
            return 0;
    if (PKCS5_PBKDF2_HMAC(pw, (int)strlen(pw), salt, sizeof(salt), 10000, EVP_sha256(), sizeof(dk), dk) != 1)
        return 0;
    return CRYPTO_memcmp(dk, want, sizeof(dk)) == 0;
}

s3_err iam_login_create(struct iam_account *a, const char *user, const char *password, int reset,
                        struct iam_msg *m)
{
    struct iam_user *u = iam_user_find(a, user);
    char *h;
    if (u == NULL)
        return fail(m, S3E_IAM_NO_SUCH_ENTITY, "The user with name %s cannot be found.", user);
    if (u->login.present)
        return fail(m, S3E_IAM_ENTITY_EXISTS, "Login Profile for user %s already exists.", u->name);
    if (password == NULL || !password_ok(u->name, password, m))
        return S3E_IAM_PASSWORD_POLICY;
    if ((h = password_hash(password)) == NULL)
        return S3E_NOMEM;
    u->login.present = 1;
    u->login.reset_required = reset;
    u->login.created = iam_db_now(a->db);
    free(u->login.pw_hash);
    u->login.pw_hash = h;
    a->dirty = 1;
    return S3_OK;
}

s3_err iam_login_update(struct iam_account *a, const char *user, const char *password, int reset,
                        struct iam_msg *m)
{
    struct iam_user *u = iam_user_find(a, user);
    if (u == NULL)
        return fail(m, S3E_IAM_NO_SUCH_ENTITY, "The user with name %s cannot be found.", user);
    if (!u->login.present)
        return fail(m, S3E_IAM_NO_SUCH_ENTITY, "Login Profile for User %s cannot be found.", u->name);
    if (password) {
        char *h;
        if (!password_ok(u->name, password, m))
            return S3E_IAM_PASSWORD_POLICY;
        if ((h = password_hash(password)) == NULL)
            return S3E_NOMEM;
        free(u->login.pw_hash);
        u->login.pw_hash = h;
    }
    if (reset >= 0)
        u->login.reset_required = reset;
    a->dirty = 1;
    return S3_OK;
}

s3_err iam_login_delete(struct iam_account *a, const char *user, struct iam_msg *m)
{
    struct iam_user *u = iam_user_find(a, user);
    if (u == NULL)
        return fail(m, S3E_IAM_NO_SUCH_ENTITY, "The user with name %s cannot be found.", user);
    if (!u->login.present)
        return fail(m, S3E_IAM_NO_SUCH_ENTITY, "Login Profile for User %s cannot be found.", u->name);
    free(u->login.pw_hash);
    memset(&u->login, 0, sizeof(u->login));
    a->dirty = 1;
    return S3_OK;
}

s3_err iam_login_change(struct iam_account *a, const char *user, const char *old_pw, const char *new_pw,
                        struct iam_msg *m)
{
    struct iam_user *u = iam_user_find(a, user);
    char *h;
    if (u == NULL)
        return fail(m, S3E_IAM_NO_SUCH_ENTITY, "The user with name %s cannot be found.", user);
    if (!u->login.present)
        return fail(m, S3E_IAM_NO_SUCH_ENTITY, "Login Profile for User %s cannot be found.", u->name);
    if (!password_matches(u->login.pw_hash, old_pw ? old_pw : ""))
        return fail(m, S3E_IAM_INVALID_INPUT, "The old password was incorrect.");
    if (new_pw == NULL || !password_ok(u->name, new_pw, m))
        return S3E_IAM_PASSWORD_POLICY;
    if ((h = password_hash(new_pw)) == NULL)
        return S3E_NOMEM;
    free(u->login.pw_hash);
    u->login.pw_hash = h;
    u->login.reset_required = 0;
    a->dirty = 1;
    return S3_OK;
}

/* ------------------------------------------------------------------ groups */

s3_err iam_group_create(struct iam_account *a, const char *name, const char *path, struct iam_msg *m,
                        struct iam_group **out)
{
    struct iam_group *g;
    if (path == NULL)
        path = "/";
    if (!iam_name_valid("groupName", name, 128, m) || !iam_path_valid(path, m))
        return S3E_IAM_VALIDATION;
    if (iam_group_find(a, name))
        return fail(m, S3E_IAM_ENTITY_EXISTS, "Group with name %s already exists.", name);
    if ((g = calloc(1, sizeof(*g))) == NULL)
        return S3E_NOMEM;
    g->name = strdup(name);
    g->path = strdup(path);
    g->id = malloc(24);
    g->arn = iam_make_arn(a->id, "group", path, name);
    g->created = iam_db_now(a->db);
    if (!g->name || !g->path || !g->id || !g->arn || iam_account_add_group(a, g) != S3_OK) {
        iam_group_free(g);
        return S3E_NOMEM;
    }
    iam_random_id("AGPA", 17, g->id, 24);
    a->dirty = 1;
    if (out)
        *out = g;
    return S3_OK;
}

s3_err iam_group_update(struct iam_account *a, const char *name, const char *new_name, const char *new_path,
                        struct iam_msg *m)
{
    struct iam_group *g = iam_group_find(a, name);
    char *nn, *np, *narn;
    size_t idx;

    if (g == NULL)
        return fail(m, S3E_IAM_NO_SUCH_ENTITY, "The group with name %s cannot be found.", name);
    if (new_name && !iam_name_valid("newGroupName", new_name, 128, m))
        return S3E_IAM_VALIDATION;
    if (new_path && !iam_path_valid(new_path, m))
        return S3E_IAM_VALIDATION;
    if (new_name && strcasecmp(new_name, g->name) && iam_group_find(a, new_name))
        return fail(m, S3E_IAM_ENTITY_EXISTS, "Group with name %s already exists.", new_name);
    nn = strdup(new_name ? new_name : g->name);
    np = strdup(new_path ? new_path : g->path);
    narn = nn && np ? iam_make_arn(a->id, "group", np, nn) : NULL;
    if (!nn || !np || !narn) {
        free(nn);
        free(np);
        free(narn);
        return S3E_NOMEM;
    }
    for (idx = 0; idx < a->n_groups && a->groups[idx] != g; idx++)
        ;
    ARR_REMOVE(a->groups, a->n_groups, idx);
    free(g->name);
    free(g->path);
    free(g->arn);
    g->name = nn;
    g->path = np;
    g->arn = narn;
    iam_account_add_group(a, g);
    a->dirty = 1;
    return S3_OK;
}

s3_err iam_group_delete(struct iam_account *a, const char *name, struct iam_msg *m)
{
    struct iam_group *g = iam_group_find(a, name);
    size_t idx;
    if (g == NULL)
        return fail(m, S3E_IAM_NO_SUCH_ENTITY, "The group with name %s cannot be found.", name);
    if (g->members.n)
        return fail(m, S3E_IAM_DELETE_CONFLICT, "Cannot delete entity, must remove users from group first.");
    if (g->inl.n)
        return fail(m, S3E_IAM_DELETE_CONFLICT, "Cannot delete entity, must delete policies first.");
    if (g->attached.n)
        return fail(m, S3E_IAM_DELETE_CONFLICT, "Cannot delete entity, must detach all policies first.");
    for (idx = 0; idx < a->n_groups && a->groups[idx] != g; idx++)
        ;
    ARR_REMOVE(a->groups, a->n_groups, idx);
    iam_group_free(g);
    a->dirty = 1;
    return S3_OK;
}

s3_err iam_group_add_user(struct iam_account *a, const char *group, const char *user, struct iam_msg *m)
{
    struct iam_group *g = iam_group_find(a, group);
    struct iam_user *u = iam_user_find(a, user);
    const struct iam_group *mine[IAM_MAX_GROUPS_PER_USER + 1];

    if (g == NULL)
        return fail(m, S3E_IAM_NO_SUCH_ENTITY, "The group with name %s cannot be found.", group);
    if (u == NULL)
        return fail(m, S3E_IAM_NO_SUCH_ENTITY, "The user with name %s cannot be found.", user);
    if (iam_group_has_member(g, u->name))
        return S3_OK;   /* AddUserToGroup is idempotent */
    if (iam_user_groups(a, u->name, mine, IAM_MAX_GROUPS_PER_USER + 1) >= IAM_MAX_GROUPS_PER_USER)
        return fail(m, S3E_IAM_LIMIT_EXCEEDED, "Cannot exceed quota for GroupsPerUser: %d", IAM_MAX_GROUPS_PER_USER);
    if (iam_strs_add(&g->members, u->name) != S3_OK)
        return S3E_NOMEM;
    a->dirty = 1;
    return S3_OK;
}

s3_err iam_group_remove_user(struct iam_account *a, const char *group, const char *user, struct iam_msg *m)
{
    struct iam_group *g = iam_group_find(a, group);
    struct iam_user *u = iam_user_find(a, user);
    int k;
    if (g == NULL)
        return fail(m, S3E_IAM_NO_SUCH_ENTITY, "The group with name %s cannot be found.", group);
    if (u == NULL)
        return fail(m, S3E_IAM_NO_SUCH_ENTITY, "The user with name %s cannot be found.", user);
    if ((k = strs_index(&g->members, u->name, 1)) < 0)
        return fail(m, S3E_IAM_NO_SUCH_ENTITY, "The user with name %s is not a member of the group %s.", u->name,
                    g->name);
    strs_remove_at(&g->members, (size_t)k);
    a->dirty = 1;
    return S3_OK;
}

/* ------------------------------------------------------------------ managed policies */

static s3_err new_version(struct iam_account *a, struct iam_mpolicy *p, const char *doc, struct iam_msg *m)
{
    struct policy *cp = NULL;
    struct iam_cpol *ref;
    struct iam_doc *nv;
    char vid[16], *name, *text;
    s3_err e;

    if ((e = iam_policy_check(doc, POLICY_IDENTITY, IAM_MANAGED_QUOTA, p->arn, m, &cp)) != S3_OK)
        return e;
    if ((ref = iam_cpol_new(cp)) == NULL)
        return S3E_NOMEM;
    snprintf(vid, sizeof(vid), "v%u", p->next_version);
    name = strdup(vid);
    text = strdup(doc);
    nv = name && text ? realloc(p->versions.v, (p->versions.n + 1) * sizeof(*nv)) : NULL;
    if (nv == NULL) {
        free(name);
        free(text);
        iam_cpol_unref(ref);
        return S3E_NOMEM;
    }
    p->versions.v = nv;
    nv[p->versions.n] = (struct iam_doc){ name, text, ref, iam_db_now(a->db) };
    p->versions.n++;
    p->next_version++;
    return S3_OK;
}

s3_err iam_policy_create(struct iam_account *a, const char *name, const char *path, const char *description,
                         const char *doc, const struct iam_tags *tags, struct iam_msg *m, struct iam_mpolicy **out)
{
    struct iam_mpolicy *p;
    s3_err e;

    if (path == NULL)
        path = "/";
    if (!iam_name_valid("policyName", name, 128, m) || !iam_path_valid(path, m) || !iam_tags_valid(tags, m))
        return S3E_IAM_VALIDATION;
    if (description && strlen(description) > 1000)
        return fail(m, S3E_IAM_VALIDATION, "1 validation error detected: Value at 'description' failed to satisfy "
                                           "constraint: Member must have length less than or equal to 1000");
    for (size_t i = 0; i < a->n_policies; i++)
        if (!strcasecmp(a->policies[i]->name, name))
            return fail(m, S3E_IAM_ENTITY_EXISTS, "A policy called %s already exists. Duplicate names are not allowed.",
                        name);
    if ((p = calloc(1, sizeof(*p))) == NULL)
        return S3E_NOMEM;
    p->name = strdup(name);
    p->path = strdup(path);
    p->id = malloc(24);
    p->arn = iam_make_arn(a->id, "policy", path, name);
    p->description = xstrdup(description);
    p->created = p->updated = iam_db_now(a->db);
    p->next_version = 1;
    if (!p->name || !p->path || !p->id || !p->arn || (description && !p->description)) {
        iam_mpolicy_free(p);
        return S3E_NOMEM;
    }
    iam_random_id("ANPA", 17, p->id, 24);
    if ((e = new_version(a, p, doc, m)) != S3_OK) {
        iam_mpolicy_free(p);
        return e;
    }
    for (size_t i = 0; tags && i < tags->n; i++)
        if (iam_tags_add(&p->tags, tags->v[i].key, tags->v[i].value) != S3_OK) {
            iam_mpolicy_free(p);
            return S3E_NOMEM;
        }
    if (iam_account_add_policy(a, p) != S3_OK) {
        iam_mpolicy_free(p);
        return S3E_NOMEM;
    }
    a->dirty = 1;
    if (out)
        *out = p;
    return S3_OK;
}

/* The customer managed policy arn, writable; NULL and a message otherwise. */
static struct iam_mpolicy *own_policy(struct iam_account *a, const char *arn, struct iam_msg *m, s3_err *e)
{
    struct iam_mpolicy *p = iam_policy_find(a, arn);
    if (p == NULL) {
        *e = fail(m, S3E_IAM_NO_SUCH_ENTITY, "Policy %s was not found.", arn ? arn : "");
        return NULL;
    }
    if (p->aws) {
        *e = fail(m, S3E_IAM_UNMODIFIABLE, "Cannot modify an AWS managed policy: %s", arn);
        return NULL;
    }
    return p;
}

s3_err iam_policy_delete(struct iam_account *a, const char *arn, struct iam_msg *m)
{
    s3_err e = S3_OK;
    struct iam_mpolicy *p = own_policy(a, arn, m, &e);
    size_t idx;
    if (p == NULL)
        return e;
    if (iam_policy_attachment_count(a, p->arn))
        return fail(m, S3E_IAM_DELETE_CONFLICT, "Cannot delete a policy attached to entities.");
    if (p->versions.n > 1)
        return fail(m, S3E_IAM_DELETE_CONFLICT,
                    "This policy has more than one version. Before you delete a policy, you must delete the "
                    "policy's versions. The default version is deleted with the policy.");
    for (idx = 0; idx < a->n_policies && a->policies[idx] != p; idx++)
        ;
    ARR_REMOVE(a->policies, a->n_policies, idx);
    iam_mpolicy_free(p);
    a->dirty = 1;
    return S3_OK;
}

s3_err iam_policy_version_create(struct iam_account *a, const char *arn, const char *doc, int set_default,
                                 struct iam_msg *m, const struct iam_doc **out)
{
    s3_err e = S3_OK;
    struct iam_mpolicy *p = own_policy(a, arn, m, &e);
    if (p == NULL)
        return e;
    if (p->versions.n >= IAM_MAX_VERSIONS)
        return fail(m, S3E_IAM_LIMIT_EXCEEDED,
                    "A managed policy can have up to %d versions. Before you create a new version, you must delete "
                    "an existing version.",
                    IAM_MAX_VERSIONS);
    if ((e = new_version(a, p, doc, m)) != S3_OK)
        return e;
    if (set_default)
        p->def = p->versions.n - 1;
    p->updated = iam_db_now(a->db);
    a->dirty = 1;
    if (out)
        *out = &p->versions.v[p->versions.n - 1];
    return S3_OK;
}

static int version_index(const struct iam_mpolicy *p, const char *version)
{
    for (size_t i = 0; version && i < p->versions.n; i++)
        if (!strcmp(p->versions.v[i].name, version))
            return (int)i;
    return -1;
}

s3_err iam_policy_version_delete(struct iam_account *a, const char *arn, const char *version, struct iam_msg *m)
{
    s3_err e = S3_OK;
    struct iam_mpolicy *p = own_policy(a, arn, m, &e);
    int k;
    if (p == NULL)
        return e;
    if ((k = version_index(p, version)) < 0)
        return fail(m, S3E_IAM_NO_SUCH_ENTITY, "Policy %s version %s does not exist or is not attachable.", arn,
                    version ? version : "");
    if ((size_t)k == p->def)
        return fail(m, S3E_IAM_DELETE_CONFLICT, "Cannot delete the default version of a policy.");
    iam_doc_release(&p->versions.v[k]);
    memmove(&p->versions.v[k], &p->versions.v[k + 1], (p->versions.n - (size_t)k - 1) * sizeof(p->versions.v[0]));
    p->versions.n--;
    if (p->def > (size_t)k)
        p->def--;
    a->dirty = 1;
    return S3_OK;
}

s3_err iam_policy_set_default(struct iam_account *a, const char *arn, const char *version, struct iam_msg *m)
{
    s3_err e = S3_OK;
    struct iam_mpolicy *p = own_policy(a, arn, m, &e);
    int k;
    if (p == NULL)
        return e;
    if ((k = version_index(p, version)) < 0)
        return fail(m, S3E_IAM_NO_SUCH_ENTITY, "Policy %s version %s does not exist or is not attachable.", arn,
                    version ? version : "");
    p->def = (size_t)k;
    p->updated = iam_db_now(a->db);
    a->dirty = 1;
    return S3_OK;
}

/* ------------------------------------------------------------------ attachments, inline policies */

struct ent_ref {
    const char *label;        /* "user", "group", "role" */
    const char *name;         /* the entity's own spelling */
    struct iam_strs *attached;
    struct iam_docs *inl;
    size_t quota;
    const char *quota_name;   /* PoliciesPerUser ... */
};

static s3_err find_ent(struct iam_account *a, enum iam_ent kind, const char *name, struct ent_ref *out,
                       struct iam_msg *m)
{
    memset(out, 0, sizeof(*out));
    switch (kind) {
    case IAM_ENT_USER: {
        struct iam_user *u = iam_user_find(a, name);
        if (u == NULL)
            return fail(m, S3E_IAM_NO_SUCH_ENTITY, "The user with name %s cannot be found.", name ? name : "");
        *out = (struct ent_ref){ "user", u->name, &u->attached, &u->inl, IAM_USER_INLINE_QUOTA, "PoliciesPerUser" };
        return S3_OK;
    }
    case IAM_ENT_GROUP: {
        struct iam_group *g = iam_group_find(a, name);
        if (g == NULL)
            return fail(m, S3E_IAM_NO_SUCH_ENTITY, "The group with name %s cannot be found.", name ? name : "");
        *out = (struct ent_ref){ "group", g->name, &g->attached, &g->inl, IAM_GROUP_INLINE_QUOTA, "PoliciesPerGroup" };
        return S3_OK;
    }
    case IAM_ENT_ROLE: {
        struct iam_role *r = iam_role_find(a, name);
        if (r == NULL)
            return fail(m, S3E_IAM_NO_SUCH_ENTITY, "The role with name %s cannot be found.", name ? name : "");
        *out = (struct ent_ref){ "role", r->name, &r->attached, &r->inl, IAM_ROLE_INLINE_QUOTA, "PoliciesPerRole" };
        return S3_OK;
    }
    }
    return S3E_INTERNAL;
}

s3_err iam_attach(struct iam_account *a, enum iam_ent kind, const char *name, const char *arn, struct iam_msg *m)
{
    struct ent_ref er;
    s3_err e;
    if ((e = find_ent(a, kind, name, &er, m)) != S3_OK)
        return e;
    if (arn == NULL || iam_policy_find(a, arn) == NULL)
        return fail(m, S3E_IAM_NO_SUCH_ENTITY, "Policy %s does not exist or is not attachable.", arn ? arn : "");
    if (strs_index(er.attached, arn, 0) >= 0)
        return S3_OK;   /* attaching twice is not an error */
    if (er.attached->n >= IAM_MAX_ATTACHED)
        return fail(m, S3E_IAM_LIMIT_EXCEEDED, "Cannot exceed quota for %s: %d", er.quota_name, IAM_MAX_ATTACHED);
    if (iam_strs_add(er.attached, arn) != S3_OK)
        return S3E_NOMEM;
    a->dirty = 1;
    return S3_OK;
}

s3_err iam_detach(struct iam_account *a, enum iam_ent kind, const char *name, const char *arn, struct iam_msg *m)
{
    struct ent_ref er;
    s3_err e;
    int k;
    if ((e = find_ent(a, kind, name, &er, m)) != S3_OK)
        return e;
    if (arn == NULL || (k = strs_index(er.attached, arn, 0)) < 0)
        return fail(m, S3E_IAM_NO_SUCH_ENTITY, "Policy %s was not found.", arn ? arn : "");
    strs_remove_at(er.attached, (size_t)k);
    a->dirty = 1;
    return S3_OK;
}

s3_err iam_inline_put(struct iam_account *a, enum iam_ent kind, const char *name, const char *policy_name,
                      const char *doc, struct iam_msg *m)
{
    struct ent_ref er;
    struct policy *cp = NULL;
    struct iam_cpol *ref;
    char src[512], *text, *pname;
    size_t used = 0, mine;
    s3_err e;
    int k = -1;

    if ((e = find_ent(a, kind, name, &er, m)) != S3_OK)
        return e;
    if (!iam_name_valid("policyName", policy_name, 128, m))
        return S3E_IAM_VALIDATION;
    for (size_t i = 0; i < er.inl->n; i++) {
        if (!strcasecmp(er.inl->v[i].name, policy_name))
            k = (int)i;
        else
            used += policy_size_chars(er.inl->v[i].text, strlen(er.inl->v[i].text));
    }
    snprintf(src, sizeof(src), "inline policy %s of %s %s", policy_name, er.label, er.name);
    /* Grammar first (AWS reports a syntax error before a size problem), then the entity's sum. */
    if ((e = iam_policy_check(doc, POLICY_IDENTITY, (size_t)-1, src, m, &cp)) != S3_OK)
        return e;
    mine = policy_size_chars(doc, strlen(doc));
    if (used + mine > er.quota) {
        policy_free(cp);
        return fail(m, S3E_IAM_LIMIT_EXCEEDED, "Maximum policy size of %zu bytes exceeded for %s %s", er.quota, er.label,
                    er.name);
    }
    text = strdup(doc);
    pname = strdup(policy_name);
    ref = iam_cpol_new(cp);
    if (!text || !pname || !ref) {
        free(text);
        free(pname);
        if (ref)
            iam_cpol_unref(ref);
        return S3E_NOMEM;
    }
    if (k >= 0) {
        struct iam_doc *d = &er.inl->v[k];
        free(d->text);
        free(d->name);
        iam_cpol_unref(d->cp);
        d->text = text;
        d->name = pname;
        d->cp = ref;
        d->created = iam_db_now(a->db);
    } else {
        struct iam_doc *nv = realloc(er.inl->v, (er.inl->n + 1) * sizeof(*nv));
        if (nv == NULL) {
            free(text);
            free(pname);
            iam_cpol_unref(ref);
            return S3E_NOMEM;
        }
        er.inl->v = nv;
        nv[er.inl->n] = (struct iam_doc){ pname, text, ref, iam_db_now(a->db) };
        er.inl->n++;
    }
    a->dirty = 1;
    return S3_OK;
}

s3_err iam_inline_delete(struct iam_account *a, enum iam_ent kind, const char *name, const char *policy_name,
                         struct iam_msg *m)
{
    struct ent_ref er;
    s3_err e;
    if ((e = find_ent(a, kind, name, &er, m)) != S3_OK)
        return e;
    for (size_t i = 0; policy_name && i < er.inl->n; i++)
        if (!strcasecmp(er.inl->v[i].name, policy_name)) {
            iam_doc_release(&er.inl->v[i]);
            memmove(&er.inl->v[i], &er.inl->v[i + 1], (er.inl->n - i - 1) * sizeof(er.inl->v[0]));
            er.inl->n--;
            a->dirty = 1;
            return S3_OK;
        }
    return fail(m, S3E_IAM_NO_SUCH_ENTITY, "The %s policy with name %s cannot be found.", er.label,
                policy_name ? policy_name : "");
}

/* ------------------------------------------------------------------ access keys */

/* 1 if akid is used by any credential of any account (write lock held). */
static int akid_taken(const struct iam_db *db, const char *akid)
{
    for (size_t i = 0; i < db->n_accts; i++) {
        const struct iam_account *a = db->accts[i];
        if (iam_user_by_key(a, akid, NULL))
            return 1;
        for (size_t j = 0; j < a->n_sessions; j++)
            if (!strcmp(a->sessions[j]->akid, akid))
                return 1;
    }
    return 0;
}

s3_err iam_key_create(struct iam_account *a, const char *user, struct iam_msg *m, const struct iam_key **out)
{
    struct iam_user *u = iam_user_find(a, user);
    struct iam_key *k;
    if (u == NULL)
        return fail(m, S3E_IAM_NO_SUCH_ENTITY, "The user with name %s cannot be found.", user ? user : "");
    if (u->n_keys >= IAM_MAX_KEYS_PER_USER)
        return fail(m, S3E_IAM_LIMIT_EXCEEDED, "Cannot exceed quota for AccessKeysPerUser: %d", IAM_MAX_KEYS_PER_USER);
    k = &u->keys[u->n_keys];
    memset(k, 0, sizeof(*k));
    do
        iam_random_id("AKIA", 16, k->id, sizeof(k->id));
    while (akid_taken(a->db, k->id));
    random_secret(k->secret);
    k->active = 1;
    k->created = iam_db_now(a->db);
    u->n_keys++;
    a->dirty = 1;
    if (out)
        *out = k;
    return S3_OK;
}

s3_err iam_key_import(struct iam_account *a, const char *user, const char *akid, const char *secret, int active,
                      struct iam_msg *m)
{
    struct iam_user *u = iam_user_find(a, user);
    struct iam_key *k;
    if (u == NULL)
        return fail(m, S3E_IAM_NO_SUCH_ENTITY, "The user with name %s cannot be found.", user ? user : "");
    if (akid == NULL || secret == NULL || strlen(akid) < 16 || strlen(akid) >= sizeof(k->id) ||
        strlen(secret) < 8 || strlen(secret) >= sizeof(k->secret))
        return fail(m, S3E_IAM_INVALID_INPUT, "An access key id has 16 to %zu characters and a secret 8 to %zu.",
                    sizeof(k->id) - 1, sizeof(k->secret) - 1);
    if ((k = iam_user_key(u, akid)) != NULL) {
        /* Importing the same key again is a no-op (idempotent start-up state). */
        if (strcmp(k->secret, secret) != 0)
            return fail(m, S3E_IAM_ENTITY_EXISTS, "access key %s exists with another secret", akid);
        if (k->active != active) {
            k->active = active;
            a->dirty = 1;
        }
        return S3_OK;
    }
    if (akid_taken(a->db, akid))
        return fail(m, S3E_IAM_ENTITY_EXISTS, "access key %s belongs to another user", akid);
    if (u->n_keys >= IAM_MAX_KEYS_PER_USER)
        return fail(m, S3E_IAM_LIMIT_EXCEEDED, "Cannot exceed quota for AccessKeysPerUser: %d", IAM_MAX_KEYS_PER_USER);
    k = &u->keys[u->n_keys];
    memset(k, 0, sizeof(*k));
    snprintf(k->id, sizeof(k->id), "%s", akid);
    snprintf(k->secret, sizeof(k->secret), "%s", secret);
    k->active = active;
    k->created = iam_db_now(a->db);
    u->n_keys++;
    a->dirty = 1;
    return S3_OK;
}

s3_err iam_key_set_active(struct iam_account *a, const char *user, const char *akid, int active, struct iam_msg *m)
{
    struct iam_user *u = iam_user_find(a, user);
    struct iam_key *k;
    if (u == NULL)
        return fail(m, S3E_IAM_NO_SUCH_ENTITY, "The user with name %s cannot be found.", user ? user : "");
    if (akid == NULL || (k = iam_user_key(u, akid)) == NULL)
        return fail(m, S3E_IAM_NO_SUCH_ENTITY, "The Access Key with id %s cannot be found.", akid ? akid : "");
    k->active = active;
    a->dirty = 1;
    return S3_OK;
}

s3_err iam_key_delete(struct iam_account *a, const char *user, const char *akid, struct iam_msg *m)
{
    struct iam_user *u = iam_user_find(a, user);
    struct iam_key *k;
    size_t i;
    if (u == NULL)
        return fail(m, S3E_IAM_NO_SUCH_ENTITY, "The user with name %s cannot be found.", user ? user : "");
    if (akid == NULL || (k = iam_user_key(u, akid)) == NULL)
        return fail(m, S3E_IAM_NO_SUCH_ENTITY, "The Access Key with id %s cannot be found.", akid ? akid : "");
    i = (size_t)(k - u->keys);
    OPENSSL_cleanse(k, sizeof(*k));
    memmove(&u->keys[i], &u->keys[i + 1], (u->n_keys - i - 1) * sizeof(u->keys[0]));
    u->n_keys--;
    a->dirty = 1;
    return S3_OK;
}

/* ------------------------------------------------------------------ roles */

static s3_err check_trust(const char *doc, const char *role, struct iam_msg *m, struct policy **out)
{
    char src[256];
    snprintf(src, sizeof(src), "trust policy of role %s", role);
    return iam_policy_check(doc, POLICY_TRUST, IAM_TRUST_QUOTA, src, m, out);
}

s3_err iam_role_create(struct iam_account *a, const char *name, const char *path, const char *trust_doc,
                       const char *description, int max_session, const struct iam_tags *tags, struct iam_msg *m,
                       struct iam_role **out)
{
    struct iam_role *r;
    struct policy *cp = NULL;
    s3_err e;

    if (path == NULL)
        path = "/";
    if (!iam_name_valid("roleName", name, 64, m) || !iam_path_valid(path, m) || !iam_tags_valid(tags, m))
        return S3E_IAM_VALIDATION;
    if (max_session == 0)
        max_session = 3600;
    if (max_session < 3600 || max_session > 43200)
        return fail(m, S3E_IAM_VALIDATION, "1 validation error detected: Value '%d' at 'maxSessionDuration' failed to "
                                           "satisfy constraint: Member must have value %s",
                    max_session, max_session < 3600 ? "greater than or equal to 3600" : "less than or equal to 43200");
    if (description && strlen(description) > 1000)
        return fail(m, S3E_IAM_VALIDATION, "1 validation error detected: Value at 'description' failed to satisfy "
                                           "constraint: Member must have length less than or equal to 1000");
    if (trust_doc == NULL)
        return fail(m, S3E_IAM_VALIDATION, "1 validation error detected: Value null at 'assumeRolePolicyDocument' "
                                           "failed to satisfy constraint: Member must not be null");
    if (iam_role_find(a, name))
        return fail(m, S3E_IAM_ENTITY_EXISTS, "Role with name %s already exists.", name);
    if ((e = check_trust(trust_doc, name, m, &cp)) != S3_OK)
        return e;
    if ((r = calloc(1, sizeof(*r))) == NULL) {
        policy_free(cp);
        return S3E_NOMEM;
    }
    r->trust.cp = iam_cpol_new(cp);
    r->name = strdup(name);
    r->path = strdup(path);
    r->id = malloc(24);
    r->arn = iam_make_arn(a->id, "role", path, name);
    r->description = xstrdup(description);
    r->trust.text = strdup(trust_doc);
    r->created = r->trust.created = iam_db_now(a->db);
    r->max_session = max_session;
    if (!r->trust.cp || !r->name || !r->path || !r->id || !r->arn || !r->trust.text || (description && !r->description))
        goto nomem;
    iam_random_id("AROA", 17, r->id, 24);
    for (size_t i = 0; tags && i < tags->n; i++)
        if (iam_tags_add(&r->tags, tags->v[i].key, tags->v[i].value) != S3_OK)
            goto nomem;
    if (iam_account_add_role(a, r) != S3_OK)
        goto nomem;
    a->dirty = 1;
    if (out)
        *out = r;
    return S3_OK;
nomem:
    iam_role_free(r);
    return S3E_NOMEM;
}

s3_err iam_role_update(struct iam_account *a, const char *name, const char *description, int max_session,
                       struct iam_msg *m)
{
    struct iam_role *r = iam_role_find(a, name);
    if (r == NULL)
        return fail(m, S3E_IAM_NO_SUCH_ENTITY, "The role with name %s cannot be found.", name ? name : "");
    if (max_session && (max_session < 3600 || max_session > 43200))
        return fail(m, S3E_IAM_VALIDATION, "1 validation error detected: Value '%d' at 'maxSessionDuration' failed to "
                                           "satisfy constraint: Member must have value %s",
                    max_session, max_session < 3600 ? "greater than or equal to 3600" : "less than or equal to 43200");
    if (description && strlen(description) > 1000)
        return fail(m, S3E_IAM_VALIDATION, "1 validation error detected: Value at 'description' failed to satisfy "
                                           "constraint: Member must have length less than or equal to 1000");
    if (description && !set_str(&r->description, description))
        return S3E_NOMEM;
    if (max_session)
        r->max_session = max_session;
    a->dirty = 1;
    return S3_OK;
}

s3_err iam_role_update_trust(struct iam_account *a, const char *name, const char *trust_doc, struct iam_msg *m)
{
    struct iam_role *r = iam_role_find(a, name);
    struct policy *cp = NULL;
    struct iam_cpol *ref;
    char *t;
    s3_err e;
    if (r == NULL)
        return fail(m, S3E_IAM_NO_SUCH_ENTITY, "The role with name %s cannot be found.", name ? name : "");
    if (trust_doc == NULL)
        return fail(m, S3E_IAM_VALIDATION, "1 validation error detected: Value null at 'policyDocument' failed to "
                                           "satisfy constraint: Member must not be null");
    if ((e = check_trust(trust_doc, r->name, m, &cp)) != S3_OK)
        return e;
    if ((ref = iam_cpol_new(cp)) == NULL)
        return S3E_NOMEM;
    if ((t = strdup(trust_doc)) == NULL) {
        iam_cpol_unref(ref);
        return S3E_NOMEM;
    }
    free(r->trust.text);
    iam_cpol_unref(r->trust.cp);
    r->trust.text = t;
    r->trust.cp = ref;
    a->dirty = 1;
    return S3_OK;
}

s3_err iam_role_delete(struct iam_account *a, const char *name, struct iam_msg *m)
{
    struct iam_role *r = iam_role_find(a, name);
    size_t idx;
    if (r == NULL)
        return fail(m, S3E_IAM_NO_SUCH_ENTITY, "The role with name %s cannot be found.", name ? name : "");
    if (r->inl.n)
        return fail(m, S3E_IAM_DELETE_CONFLICT, "Cannot delete entity, must delete policies first.");
    if (r->attached.n)
        return fail(m, S3E_IAM_DELETE_CONFLICT, "Cannot delete entity, must detach all policies first.");
    for (idx = 0; idx < a->n_roles && a->roles[idx] != r; idx++)
        ;
    ARR_REMOVE(a->roles, a->n_roles, idx);
    iam_role_free(r);
    a->dirty = 1;
    return S3_OK;
}

/* ------------------------------------------------------------------ sessions */

void iam_sessions_prune(struct iam_account *a, int64_t grace)
{
    int64_t now = iam_db_now(a->db);
    for (size_t i = 0; i < a->n_sessions;) {
        if (a->sessions[i]->expires + grace < now) {
            iam_session_free(a->sessions[i]);
            ARR_REMOVE(a->sessions, a->n_sessions, i);
            a->dirty = 1;
        } else {
            i++;
        }
    }
}

/* A session token: opaque to clients; long and random like AWS's. */
static char *new_token(void)
{
    unsigned char rnd[192];
    struct s3_buf b;
    if (RAND_bytes(rnd, sizeof(rnd)) != 1)
        return NULL;
    buf_init(&b, 0);
    buf_adds(&b, "IQoJczNpYW0");
    buf_add_base64(&b, rnd, sizeof(rnd));
    return buf_detach(&b, NULL);
}

s3_err iam_session_create(struct iam_account *a, enum iam_session_kind kind, const char *role, const char *user,
                          const char *session_name, const char *policy_doc, const struct iam_tags *tags,
                          long duration, const char *source_arn, struct iam_msg *m, const struct iam_session **out)
{
    struct iam_session *s;
    struct iam_role *r = NULL;
    struct policy *cp = NULL;
    s3_err e;

    iam_sessions_prune(a, 86400);
    if (kind == IAM_SESS_ROLE && (r = iam_role_find(a, role)) == NULL)
        return fail(m, S3E_IAM_NO_SUCH_ENTITY, "The role with name %s cannot be found.", role ? role : "");
    if (policy_doc) {
        char src[320];
        snprintf(src, sizeof(src), "session policy of %s", session_name ? session_name : "session");
        /* Session policies share the 2048-character packed limit of AssumeRole. */
        if ((e = iam_policy_check(policy_doc, POLICY_IDENTITY, 2048, src, m, &cp)) != S3_OK)
            return e;
    }
    if ((s = calloc(1, sizeof(*s))) == NULL) {
        policy_free(cp);
        return S3E_NOMEM;
    }
    s->kind = kind;
    if (cp && (s->policy = iam_cpol_new(cp)) == NULL)
        goto nomem;
    do
        iam_random_id("ASIA", 16, s->akid, sizeof(s->akid));
    while (akid_taken(a->db, s->akid));
    random_secret(s->secret);
    s->token = new_token();
    s->created = iam_db_now(a->db);
    s->expires = s->created + duration;
    s->source_arn = xstrdup(source_arn);
    if (!s->token || (source_arn && !s->source_arn))
        goto nomem;
    if (policy_doc && (s->policy_text = strdup(policy_doc)) == NULL)
        goto nomem;
    if (kind == IAM_SESS_ROLE) {
        struct s3_buf b;
        buf_init(&b, 0);
        buf_addf(&b, "arn:aws:sts::%s:assumed-role/%s/%s", a->id, r->name, session_name);
        s->arn = buf_detach(&b, NULL);
        s->name = strdup(session_name);
        s->role_name = strdup(r->name);
        s->role_id = strdup(r->id);
        if (!s->arn || !s->name || !s->role_name || !s->role_id)
            goto nomem;
    } else {
        struct iam_user *u = user && user[0] ? iam_user_find(a, user) : NULL;
        if (user && user[0] && u == NULL) {
            iam_session_free(s);
            return fail(m, S3E_IAM_NO_SUCH_ENTITY, "The user with name %s cannot be found.", user);
        }
        s->name = strdup(u ? u->name : "");
        s->arn = u ? strdup(u->arn) : iam_make_arn(a->id, "root", "", "");
        if (!s->name || !s->arn)   /* root: "arn:aws:iam::A:root" (kind "root", empty path and name) */
            goto nomem;
    }
    for (size_t i = 0; tags && i < tags->n; i++)
        if (iam_tags_add(&s->tags, tags->v[i].key, tags->v[i].value) != S3_OK)
            goto nomem;
    if (iam_account_add_session(a, s) != S3_OK)
        goto nomem;
    a->dirty = 1;
    if (out)
        *out = s;
    return S3_OK;
nomem:
    iam_session_free(s);
    return S3E_NOMEM;
}

/* ------------------------------------------------------------------ request-time lookups */

s3_err iam_key_lookup(struct iam_db *db, const char *akid, struct iam_cred *out)
{
    s3_err e = S3E_INVALID_ACCESS_KEY;

    memset(out, 0, sizeof(*out));
    if (akid == NULL || akid[0] == 0)
        return e;
    pthread_rwlock_rdlock(&db->lock);
    for (size_t i = 0; i < db->n_accts && e != S3_OK; i++) {
        const struct iam_account *a = db->accts[i];
        struct iam_key *k;
        struct iam_user *u;
        if (!strncmp(akid, "ASIA", 4)) {
            for (size_t j = 0; j < a->n_sessions; j++) {
                const struct iam_session *s = a->sessions[j];
                if (strcmp(s->akid, akid))
                    continue;
                out->kind = IAM_CRED_SESSION;
                out->session_kind = s->kind;
                snprintf(out->account, sizeof(out->account), "%s", a->id);
                snprintf(out->secret, sizeof(out->secret), "%s", s->secret);
                snprintf(out->token, sizeof(out->token), "%s", s->token);
                snprintf(out->arn, sizeof(out->arn), "%s", s->arn);
                snprintf(out->name, sizeof(out->name), "%s", s->name);
                out->active = 1;
                out->expires = s->expires;
                e = S3_OK;
                break;
            }
        } else if ((u = iam_user_by_key(a, akid, &k)) != NULL) {
            out->kind = IAM_CRED_USER_KEY;
            snprintf(out->account, sizeof(out->account), "%s", a->id);
            snprintf(out->secret, sizeof(out->secret), "%s", k->secret);
            snprintf(out->arn, sizeof(out->arn), "%s", u->arn);
            snprintf(out->name, sizeof(out->name), "%s", u->name);
            out->active = k->active;
            e = S3_OK;
        }
    }
    pthread_rwlock_unlock(&db->lock);
    return e;
}

void iam_key_touch(struct iam_db *db, const char *akid, const char *service, const char *region)
{
    /* Best effort: skip the update rather than wait for a writer (the data is informational). */
    if (pthread_rwlock_trywrlock(&db->lock) != 0)
        return;
    for (size_t i = 0; i < db->n_accts; i++) {
        struct iam_account *a = db->accts[i];
        struct iam_key *k;
        if (iam_user_by_key(a, akid, &k)) {
            k->last_used = iam_db_now(db);
            snprintf(k->last_service, sizeof(k->last_service), "%s", service ? service : "");
            snprintf(k->last_region, sizeof(k->last_region), "%s", region && region[0] ? region : "N/A");
            break;
        }
        for (size_t j = 0; j < a->n_sessions; j++)
            if (!strcmp(a->sessions[j]->akid, akid) && a->sessions[j]->kind == IAM_SESS_ROLE) {
                struct iam_role *r = iam_role_find(a, a->sessions[j]->role_name);
                if (r) {
                    r->last_used = iam_db_now(db);
                    snprintf(r->last_region, sizeof(r->last_region), "%s", region ? region : "");
                }
                break;
            }
    }
    pthread_rwlock_unlock(&db->lock);
}

void iam_identity_release(struct iam_identity *id)
{
    for (size_t i = 0; i < id->n_pols; i++) {
        iam_cpol_unref(id->refs[i]);
        free((char *)id->srcs[i].text);
    }
    free(id->pols);
    free(id->refs);
    free(id->srcs);
    iam_cpol_unref(id->session);
    free(id->session_text);
    iam_tags_release(&id->tags);
    memset(id, 0, sizeof(*id));
}

/* Append one document to the identity's policy set (reference taken). */
static s3_err id_add(struct iam_identity *id, const struct iam_doc *d, enum iam_src_type type, const char *srcid,
                     int with_text)
{
    size_t n = id->n_pols;
    if (d->cp == NULL)
        return S3_OK;   /* a stored document that no longer compiles grants nothing */
    const struct policy **np = realloc(id->pols, (n + 1) * sizeof(*np));
    if (np == NULL)
        return S3E_NOMEM;
    id->pols = np;
    struct iam_cpol **nr = realloc(id->refs, (n + 1) * sizeof(*nr));
    if (nr == NULL)
        return S3E_NOMEM;
    id->refs = nr;
    struct iam_pol_src *ns = realloc(id->srcs, (n + 1) * sizeof(*ns));
    if (ns == NULL)
        return S3E_NOMEM;
    id->srcs = ns;
    ns[n].type = type;
    snprintf(ns[n].id, sizeof(ns[n].id), "%s", srcid);
    ns[n].text = NULL;
    if (with_text && (ns[n].text = strdup(d->text)) == NULL)
        return S3E_NOMEM;
    nr[n] = iam_cpol_ref(d->cp);
    np[n] = d->cp->p;
    id->n_pols++;
    return S3_OK;
}

static s3_err id_add_entity(struct iam_identity *id, const struct iam_account *a, const struct iam_docs *inl,
                            const struct iam_strs *attached, enum iam_src_type inl_type, int with_text)
{
    s3_err e;
    for (size_t i = 0; i < inl->n; i++)
        if ((e = id_add(id, &inl->v[i], inl_type, inl->v[i].name, with_text)) != S3_OK)
            return e;
    for (size_t i = 0; i < attached->n; i++) {
        const struct iam_mpolicy *p = iam_policy_find(a, attached->v[i]);
        if (p && p->versions.n &&
            (e = id_add(id, &p->versions.v[p->def], p->aws ? IAM_SRC_AWS_MANAGED : IAM_SRC_USER_MANAGED, p->name,
                        with_text)) != S3_OK)
            return e;
    }
    return S3_OK;
}

static s3_err id_fill_user(struct iam_identity *id, const struct iam_account *a, const struct iam_user *u,
                           int with_text)
{
    s3_err e;
    id->kind = AUTHZ_USER;
    snprintf(id->account, sizeof(id->account), "%s", a->id);
    snprintf(id->arn, sizeof(id->arn), "%s", u->arn);
    snprintf(id->name, sizeof(id->name), "%s", u->name);
    snprintf(id->userid, sizeof(id->userid), "%s", u->id);
    if ((e = id_add_entity(id, a, &u->inl, &u->attached, IAM_SRC_USER, with_text)) != S3_OK)
        return e;
    for (size_t i = 0; i < a->n_groups; i++)
        if (iam_group_has_member(a->groups[i], u->name) &&
            (e = id_add_entity(id, a, &a->groups[i]->inl, &a->groups[i]->attached, IAM_SRC_GROUP, with_text)) != S3_OK)
            return e;
    for (size_t i = 0; i < u->tags.n; i++)
        if ((e = iam_tags_add(&id->tags, u->tags.v[i].key, u->tags.v[i].value)) != S3_OK)
            return e;
    return S3_OK;
}

static s3_err id_fill_role(struct iam_identity *id, const struct iam_account *a, const struct iam_role *r,
                           int with_text)
{
    s3_err e;
    snprintf(id->role_arn, sizeof(id->role_arn), "%s", r->arn);
    snprintf(id->role_name, sizeof(id->role_name), "%s", r->name);
    if ((e = id_add_entity(id, a, &r->inl, &r->attached, IAM_SRC_ROLE, with_text)) != S3_OK)
        return e;
    for (size_t i = 0; i < r->tags.n; i++)
        if ((e = iam_tags_add(&id->tags, r->tags.v[i].key, r->tags.v[i].value)) != S3_OK)
            return e;
    return S3_OK;
}

s3_err iam_identity_get(struct iam_db *db, const char *akid, int with_text, struct iam_identity *out)
{
    s3_err e = S3E_INVALID_ACCESS_KEY;

    memset(out, 0, sizeof(*out));
    pthread_rwlock_rdlock(&db->lock);
    for (size_t i = 0; i < db->n_accts && e == S3E_INVALID_ACCESS_KEY; i++) {
        const struct iam_account *a = db->accts[i];
        struct iam_user *u = iam_user_by_key(a, akid, NULL);
        if (u) {
            e = id_fill_user(out, a, u, with_text);
            break;
        }
        for (size_t j = 0; j < a->n_sessions; j++) {
            const struct iam_session *s = a->sessions[j];
            if (strcmp(s->akid, akid))
                continue;
            out->token_issued = s->created;
            if (s->kind == IAM_SESS_USER) {
                const struct iam_user *su = s->name[0] ? iam_user_find(a, s->name) : NULL;
                out->session_token = 1;
                if (su && !strcmp(su->arn, s->arn)) {
                    e = id_fill_user(out, a, su, with_text);
                } else if (s->name[0] == 0) {
                    out->kind = AUTHZ_ROOT;
                    snprintf(out->account, sizeof(out->account), "%s", a->id);
                    snprintf(out->arn, sizeof(out->arn), "%s", s->arn);
                    snprintf(out->userid, sizeof(out->userid), "%s", a->id);
                    e = S3_OK;
                } else {
                    e = S3E_INVALID_ACCESS_KEY;   /* the user is gone */
                }
                break;
            }
            const struct iam_role *r = iam_role_find(a, s->role_name);
            out->kind = AUTHZ_ROLE_SESSION;
            snprintf(out->account, sizeof(out->account), "%s", a->id);
            snprintf(out->arn, sizeof(out->arn), "%s", s->arn);
            snprintf(out->name, sizeof(out->name), "%s", s->name);
            snprintf(out->userid, sizeof(out->userid), "%s:%s", s->role_id, s->name);
            e = S3_OK;
            /* A role deleted (or re-created: another id) after AssumeRole grants nothing. */
            if (r && !strcmp(r->id, s->role_id)) {
                e = id_fill_role(out, a, r, with_text);
            } else {
                struct s3_buf b;
                buf_init(&b, sizeof(out->role_arn) - 1);
                buf_addf(&b, "arn:aws:iam::%s:role/%s", a->id, s->role_name);
                snprintf(out->role_arn, sizeof(out->role_arn), "%s", b.p ? b.p : "");
                buf_release(&b);
                snprintf(out->role_name, sizeof(out->role_name), "%s", s->role_name);
            }
            if (e == S3_OK && s->policy) {
                out->session = iam_cpol_ref(s->policy);
                if (with_text && s->policy_text && (out->session_text = strdup(s->policy_text)) == NULL)
                    e = S3E_NOMEM;
            }
            /* Session tags override role tags with the same key (aws:PrincipalTag). */
            for (size_t t = 0; e == S3_OK && t < s->tags.n; t++) {
                size_t k;
                for (k = 0; k < out->tags.n && strcasecmp(out->tags.v[k].key, s->tags.v[t].key); k++)
                    ;
                if (k < out->tags.n)
                    e = set_str(&out->tags.v[k].value, s->tags.v[t].value) ? S3_OK : S3E_NOMEM;
                else
                    e = iam_tags_add(&out->tags, s->tags.v[t].key, s->tags.v[t].value);
            }
            break;
        }
    }
    pthread_rwlock_unlock(&db->lock);
    if (e != S3_OK)
        iam_identity_release(out);
    return e;
}

s3_err iam_identity_of_arn(struct iam_db *db, const char *account, const char *arn, struct iam_identity *out)
{
    const struct iam_account *a;
    const struct iam_user *u;
    const struct iam_group *g;
    const struct iam_role *r;
    s3_err e = S3E_IAM_NO_SUCH_ENTITY;

    memset(out, 0, sizeof(*out));
    if ((a = iam_read_begin(db, account)) == NULL)
        return S3E_IAM_NO_SUCH_ENTITY;
    if ((u = iam_user_by_arn(a, arn)) != NULL) {
        e = id_fill_user(out, a, u, 1);
    } else if ((g = iam_group_by_arn(a, arn)) != NULL) {
        out->kind = AUTHZ_USER;
        snprintf(out->account, sizeof(out->account), "%s", a->id);
        snprintf(out->arn, sizeof(out->arn), "%s", g->arn);
        e = id_add_entity(out, a, &g->inl, &g->attached, IAM_SRC_GROUP, 1);
    } else if ((r = iam_role_by_arn(a, arn)) != NULL) {
        out->kind = AUTHZ_ROLE_SESSION;
        snprintf(out->account, sizeof(out->account), "%s", a->id);
        snprintf(out->arn, sizeof(out->arn), "%s", r->arn);
        snprintf(out->userid, sizeof(out->userid), "%s", r->id);
        e = id_fill_role(out, a, r, 1);
    } else if (strncmp(arn, "arn:aws:iam::", 13) != 0 ||
               (!strstr(arn, ":user/") && !strstr(arn, ":group/") && !strstr(arn, ":role/"))) {
        e = S3E_IAM_INVALID_INPUT;
    }
    iam_read_end(db);
    if (e != S3_OK)
        iam_identity_release(out);
    return e;
}

s3_err iam_role_trust(struct iam_db *db, const char *account, const char *role_arn, struct iam_cpol **trust_out,
                      char *role_name, size_t role_name_len, int *max_session_out)
{
    const struct iam_account *a;
    const struct iam_role *r;
    s3_err e = S3E_IAM_NO_SUCH_ENTITY;

    *trust_out = NULL;
    if ((a = iam_read_begin(db, account)) == NULL)
        return e;
    if ((r = iam_role_by_arn(a, role_arn)) != NULL) {
        *trust_out = iam_cpol_ref(r->trust.cp);
        snprintf(role_name, role_name_len, "%s", r->name);
        *max_session_out = r->max_session;
        e = S3_OK;
    }
    iam_read_end(db);
    return e;
}
