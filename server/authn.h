/*
 * server/authn.h - who is asking (SigV4/SigV2 verification against the key store) and may they
 * (authorisation of S3 operations).
 */
#ifndef S3IAM_SERVER_AUTHN_H
#define S3IAM_SERVER_AUTHN_H

#include "server/req.h"

/* Headers known: parse the signature, find the secret, verify it when the payload hash is
 * already known (S3: x-amz-content-sha256 or presigned/unsigned), fill r->who.  For IAM/STS
 * requests without x-amz-content-sha256, verification waits for the body (authn_finish).
 * Also decides SVC_IAM vs SVC_STS from the credential scope. */
s3_err authn_begin(struct s3_req *r);
/* Body received: finish a deferred verification. */
s3_err authn_finish(struct s3_req *r);
/* Authorise r->op on r->bucket/r->key for r->who. */
s3_err authz_s3(struct s3_req *r);

#endif
