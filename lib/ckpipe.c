/* lib/ckpipe.c - see ckpipe.h. */
#include "config.h"
#include "lib/ckpipe.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/*
 * Slots form a ring.  The producer fills slot[head] privately; handing it over appends it to the
 * queue (count + 1) and moves head on.  The helper hashes slot[tail] outside the lock, then
 * frees it (count - 1).  The producer may fill slot[head] only while it is not queued, that is
 * while count < CKPIPE_SLOTS.
 */
struct ck_pipe {
    struct ck_state *ck;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t queued;     /* helper waits: nothing queued */
    pthread_cond_t freed;      /* producer waits: every slot queued */
    unsigned head, tail, count;
    int done;                  /* producer will queue nothing more */
    size_t fill;               /* bytes in slot[head] */
    size_t len[CKPIPE_SLOTS];
    unsigned char *slot[CKPIPE_SLOTS];
};

static void *helper(void *arg)
{
    struct ck_pipe *p = arg;

    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->count == 0 && !p->done)
            pthread_cond_wait(&p->queued, &p->mu);
        if (p->count == 0)
            break;
        unsigned i = p->tail;
        pthread_mutex_unlock(&p->mu);
        ck_update(p->ck, p->slot[i], p->len[i]);
        pthread_mutex_lock(&p->mu);
        p->tail = (p->tail + 1) % CKPIPE_SLOTS;
        p->count--;
        pthread_cond_signal(&p->freed);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static void free_pipe(struct ck_pipe *p)
{
    for (unsigned i = 0; i < CKPIPE_SLOTS; i++)
        free(p->slot[i]);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->queued);
    pthread_cond_destroy(&p->freed);
    free(p);
}

s3_err ckpipe_start(struct ck_state *ck, struct ck_pipe **out)
{
    struct ck_pipe *p = calloc(1, sizeof(*p));

    *out = NULL;
    if (p == NULL)
        return S3E_NOMEM;
    p->ck = ck;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->queued, NULL);
    pthread_cond_init(&p->freed, NULL);
    for (unsigned i = 0; i < CKPIPE_SLOTS; i++) {
        if ((p->slot[i] = malloc(CKPIPE_SLOT)) == NULL) {
            free_pipe(p);
            return S3E_NOMEM;
        }
    }
    if (pthread_create(&p->th, NULL, helper, p) != 0) {
        free_pipe(p);
        return S3E_INTERNAL;
    }
    *out = p;
    return S3_OK;
}

/* Queue slot[head] (holding p->fill bytes) and wait until the next slot is free. */
static void hand_over(struct ck_pipe *p)
{
    pthread_mutex_lock(&p->mu);
    p->len[p->head] = p->fill;
    p->head = (p->head + 1) % CKPIPE_SLOTS;
    p->count++;
    p->fill = 0;
    pthread_cond_signal(&p->queued);
    while (p->count == CKPIPE_SLOTS)
        pthread_cond_wait(&p->freed, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

void ckpipe_feed(struct ck_pipe *p, const void *data, size_t n)
{
    const unsigned char *s = data;

    while (n > 0) {
        size_t k = CKPIPE_SLOT - p->fill;
        if (k > n)
            k = n;
        memcpy(p->slot[p->head] + p->fill, s, k);
        p->fill += k;
        s += k;
        n -= k;
        if (p->fill == CKPIPE_SLOT)
            hand_over(p);
    }
}

void ckpipe_finish(struct ck_pipe *p)
{
    if (p == NULL)
        return;
    if (p->fill > 0)
        hand_over(p);
    pthread_mutex_lock(&p->mu);
    p->done = 1;
    pthread_cond_signal(&p->queued);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->th, NULL);
    free_pipe(p);
}
