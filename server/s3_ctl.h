/*
 * server/s3_ctl.h - bucket and account controls shared by the S3 handlers, S3 Control and
 * authorisation: Block Public Access and default encryption.
 */
#ifndef S3IAM_SERVER_S3_CTL_H
#define S3IAM_SERVER_S3_CTL_H

#include "server/req.h"

enum { PAB_BLOCK_PUBLIC_ACLS = 0, PAB_IGNORE_PUBLIC_ACLS, PAB_BLOCK_PUBLIC_POLICY, PAB_RESTRICT_PUBLIC_BUCKETS };

struct pab {
    int present;     /* a configuration exists at this level */
    int v[4];        /* indexed by the enum above */
};

/* The bucket's own configuration (present = 0 when deleted). */
s3_err pab_bucket_get(struct s3_server *srv, const char *bucket, struct pab *out);
/* New buckets start with all four settings on (AWS default since April 2023). */
s3_err pab_bucket_init(struct s3_server *srv, const char *bucket);
/* Account-level configuration (S3 Control); p NULL deletes it. */
s3_err pab_account_get(struct s3_server *srv, const char *account, struct pab *out);
s3_err pab_account_set(struct s3_server *srv, const char *account, const struct pab *p);
/* The OR of bucket and account settings (account may be NULL). */
s3_err pab_effective(struct s3_server *srv, const char *bucket, const char *account, struct pab *out);
/* Parse a PublicAccessBlockConfiguration body / write one as the response. */
s3_err pab_parse_xml(struct s3_req *r, struct pab *out);
void pab_write_xml(struct s3_req *r, const struct pab *p);

/* The bucket's default SSE algorithm ("AES256" unless configured otherwise). */
s3_err sse_bucket_default(struct s3_server *srv, const char *bucket, char alg[32]);
/* The same with the default's KMS key id ("" if none) and bucket-key flag. */
s3_err sse_bucket_default_full(struct s3_server *srv, const char *bucket, char alg[32], char *kms, size_t kmslen,
                               int *bucket_key);

#endif
