/*
 * server/bpol.h - compiled bucket policies, cached in memory.
 *
 * A bucket policy is compiled once when it is put (or first needed after a restart) and
 * shared by every request on that bucket.  Readers get a counted reference, so a policy being
 * replaced stays valid for the requests already using it.
 */
#ifndef S3IAM_SERVER_BPOL_H
#define S3IAM_SERVER_BPOL_H

#include "auth/policy.h"
#include "server/req.h"

struct bpol_ref;   /* a counted reference to one compiled policy */

/* The bucket's compiled policy, or *out = NULL when it has none.  Loads and compiles the
 * stored text on a cache miss.  Release with bpol_release. */
s3_err bpol_get(struct s3_server *srv, const char *bucket, struct bpol_ref **out);
const struct policy *bpol_policy(const struct bpol_ref *ref);
void bpol_release(struct bpol_ref *ref);   /* NULL-safe */
/* Replace (p != NULL, ownership taken) or drop (p == NULL) the cached policy of bucket. */
void bpol_set(struct s3_server *srv, const char *bucket, struct policy *p);
/* The bucket was deleted: forget its cached policy. */
void bpol_forget(struct s3_server *srv, const char *bucket);
/* The access point's compiled policy (same contract as bpol_get). */
s3_err apol_get(struct s3_server *srv, const char *account, const char *name, struct bpol_ref **out);
/* The access point's policy changed or it was deleted: the next apol_get reloads it. */
void apol_forget(struct s3_server *srv, const char *account, const char *name);
/* Free the whole cache (at shutdown). */
void bpol_cache_free(struct s3_server *srv);

#endif
