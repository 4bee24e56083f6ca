/* server/bpol.c - see bpol.h. */
#include "config.h"
#include "server/bpol.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "server/ap.h"

struct bpol_ref {
    struct bpol_ref *next;
    char *bucket;
    struct policy *p;        /* NULL: the bucket has no policy (negative entry) */
    unsigned refs;           /* the cache holds one while listed */
};

/* One cache for the process; buckets are few, so a list under a mutex is enough. */
static pthread_mutex_t bpol_mu = PTHREAD_MUTEX_INITIALIZER;
static struct bpol_ref *bpol_head;

static void unref_locked(struct bpol_ref *r)
{
    if (--r->refs == 0) {
        policy_free(r->p);
        free(r->bucket);
        free(r);
    }
}

static struct bpol_ref *find_locked(const char *bucket, struct bpol_ref ***link)
{
    struct bpol_ref **pp = &bpol_head;
    for (; *pp; pp = &(*pp)->next)
        if (strcmp((*pp)->bucket, bucket) == 0) {
            if (link)
                *link = pp;
            return *pp;
        }
    return NULL;
}

static void insert_locked(const char *bucket, struct policy *p)
{
    struct bpol_ref **link, *old = find_locked(bucket, &link), *n = calloc(1, sizeof(*n));
    if (old) {
        *link = old->next;
        unref_locked(old);
    }
    if (n == NULL || (n->bucket = strdup(bucket)) == NULL) {
        free(n);
        policy_free(p);
        return;
    }
    n->p = p;
    n->refs = 1;
    n->next = bpol_head;
    bpol_head = n;
}

/* A cached compiled policy by key: load() supplies the text (S3E_NO_SUCH_KEY: none), which is
 * compiled as kind on a miss.  Negative results are cached too. */
typedef s3_err (*load_fn)(struct s3_server *srv, const void *ud, char **text_out, char *source, size_t srclen);

static s3_err cache_get(struct s3_server *srv, const char *key, enum policy_kind kind, load_fn load, const void *ud,
                        struct bpol_ref **out)
{
    struct bpol_ref *r;
    char *text = NULL;
    struct policy *p = NULL;
    struct policy_diag diag;
    char source[320];
    s3_err e;

    *out = NULL;
    pthread_mutex_lock(&bpol_mu);
    if ((r = find_locked(key, NULL)) != NULL) {
        if (r->p) {
            r->refs++;
            *out = r;
        }
        pthread_mutex_unlock(&bpol_mu);
        return S3_OK;
    }
    pthread_mutex_unlock(&bpol_mu);

    e = load(srv, ud, &text, source, sizeof(source));
    if (e == S3E_NO_SUCH_KEY) {
        e = S3_OK;
    } else if (e == S3_OK && text) {
        struct policy_validate_opts o = { .flags = POLICY_F_NO_S3_CHECKS | POLICY_F_NO_SIZE_LIMIT };
        if (policy_compile(text, strlen(text), kind, &o, source, &p, &diag) != S3_OK) {
            /* It was valid when stored; a stored policy that no longer compiles is a bug. */
            log_error("stored %s does not compile: %s", source, diag.n_errors ? diag.errors[0].message : "?");
            p = NULL;
        }
    }
    free(text);
    if (e != S3_OK)
        return e;
    pthread_mutex_lock(&bpol_mu);
    if ((r = find_locked(key, NULL)) == NULL) {
        insert_locked(key, p);
        r = find_locked(key, NULL);
    } else {
        policy_free(p);   /* another thread loaded it first */
    }
    if (r && r->p) {
        r->refs++;
        *out = r;
    }
    pthread_mutex_unlock(&bpol_mu);
    return S3_OK;
}

static s3_err load_bucket(struct s3_server *srv, const void *ud, char **text_out, char *source, size_t srclen)
{
    const char *bucket = ud;
    s3_err e = stor_bucket_attr_get(srv->stor, bucket, "policy", text_out);
    snprintf(source, srclen, "bucket policy of %s", bucket);
    return e == S3E_NO_SUCH_BUCKET ? S3E_NO_SUCH_KEY : e;
}

s3_err bpol_get(struct s3_server *srv, const char *bucket, struct bpol_ref **out)
{
    return cache_get(srv, bucket, POLICY_RESOURCE_BUCKET, load_bucket, bucket, out);
}

/* Access point policies share the cache under "ap<TAB>ACCOUNT<TAB>NAME" (no bucket name has a
 * tab). */
static void ap_key(const char *account, const char *name, char *out, size_t n)
{
    snprintf(out, n, "ap\t%s\t%s", account, name);
}

struct ap_id {
    const char *account, *name;
};

static s3_err load_ap(struct s3_server *srv, const void *ud, char **text_out, char *source, size_t srclen)
{
    const struct ap_id *id = ud;
    struct ap a;
    s3_err e = ap_get(srv, id->account, id->name, &a);
    snprintf(source, srclen, "access point policy of %s", id->name);
    if (e != S3_OK)
        return e == S3E_NO_SUCH_ACCESS_POINT ? S3E_NO_SUCH_KEY : e;
    *text_out = a.policy;
    a.policy = NULL;
    ap_release(&a);
    return *text_out ? S3_OK : S3E_NO_SUCH_KEY;
}

s3_err apol_get(struct s3_server *srv, const char *account, const char *name, struct bpol_ref **out)
{
    char key[300];
    struct ap_id id = { account, name };
    ap_key(account, name, key, sizeof(key));
    return cache_get(srv, key, POLICY_ACCESS_POINT, load_ap, &id, out);
}

static void forget_key(const char *key)
{
    pthread_mutex_lock(&bpol_mu);
    struct bpol_ref **link, *r = find_locked(key, &link);
    if (r) {
        *link = r->next;
        unref_locked(r);
    }
    pthread_mutex_unlock(&bpol_mu);
}

void bpol_forget(struct s3_server *srv, const char *bucket)
{
    (void)srv;
    forget_key(bucket);
}

void apol_forget(struct s3_server *srv, const char *account, const char *name)
{
    char key[300];
    (void)srv;
    ap_key(account, name, key, sizeof(key));
    /* Drop the entry (also a cached "no policy"), so the next use reloads the stored state. */
    forget_key(key);
}

const struct policy *bpol_policy(const struct bpol_ref *ref) { return ref ? ref->p : NULL; }

void bpol_release(struct bpol_ref *ref)
{
    if (ref == NULL)
        return;
    pthread_mutex_lock(&bpol_mu);
    unref_locked(ref);
    pthread_mutex_unlock(&bpol_mu);
}

void bpol_set(struct s3_server *srv, const char *bucket, struct policy *p)
{
    (void)srv;
    pthread_mutex_lock(&bpol_mu);
    insert_locked(bucket, p);
    pthread_mutex_unlock(&bpol_mu);
}

void bpol_cache_free(struct s3_server *srv)
{
    (void)srv;
    pthread_mutex_lock(&bpol_mu);
    while (bpol_head) {
        struct bpol_ref *r = bpol_head;
        bpol_head = r->next;
        unref_locked(r);
    }
    pthread_mutex_unlock(&bpol_mu);
}
