/* server/bpol.c - see bpol.h. */
#include "config.h"
#include "server/bpol.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"

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

s3_err bpol_get(struct s3_server *srv, const char *bucket, struct bpol_ref **out)
{
    struct bpol_ref *r;
    char *text = NULL;
    struct policy *p = NULL;
    struct policy_diag diag;
    char source[320];
    s3_err e;

    *out = NULL;
    pthread_mutex_lock(&bpol_mu);
    if ((r = find_locked(bucket, NULL)) != NULL) {
        if (r->p) {
            r->refs++;
            *out = r;
        }
        pthread_mutex_unlock(&bpol_mu);
        return S3_OK;
    }
    pthread_mutex_unlock(&bpol_mu);

    e = stor_bucket_attr_get(srv->stor, bucket, "policy", &text);
    if (e == S3E_NO_SUCH_KEY || e == S3E_NO_SUCH_BUCKET) {
        e = S3_OK;
    } else if (e == S3_OK) {
        struct policy_validate_opts o = { .flags = POLICY_F_NO_S3_CHECKS | POLICY_F_NO_SIZE_LIMIT };
        snprintf(source, sizeof(source), "bucket policy of %s", bucket);
        if (policy_compile(text, strlen(text), POLICY_RESOURCE_BUCKET, &o, source, &p, &diag) != S3_OK) {
            /* It was valid when stored; a stored policy that no longer compiles is a bug. */
            log_error("stored bucket policy of %s does not compile: %s", bucket,
                      diag.n_errors ? diag.errors[0].message : "?");
            p = NULL;
        }
    }
    free(text);
    if (e != S3_OK)
        return e;
    pthread_mutex_lock(&bpol_mu);
    if ((r = find_locked(bucket, NULL)) == NULL) {
        insert_locked(bucket, p);
        r = find_locked(bucket, NULL);
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
