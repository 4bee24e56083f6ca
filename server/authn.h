/*
 * server/authn.h - who is asking (SigV4/SigV2 verification against the key store) and may they
 * (authorisation by the policy engine: authz.c).
 *
 * Key store: the root credentials of the default account (configuration), the access keys of
 * IAM users and the temporary credentials of STS sessions (auth/iam_db.h).  A deactivated or
 * deleted key stops working at the next request.  Temporary credentials must come with their
 * session token (X-Amz-Security-Token) and are refused once expired.
 */
#ifndef S3IAM_SERVER_AUTHN_H
#define S3IAM_SERVER_AUTHN_H

#include "server/req.h"

/* Headers known: parse the signature, find the secret, verify it when the payload hash is
 * already known (S3: x-amz-content-sha256 or presigned/unsigned), fill r->who.  For IAM/STS
 * requests without x-amz-content-sha256, verification waits for the body (authn_finish).
 * Also decides SVC_IAM vs SVC_STS from the credential scope.
 * Errors: InvalidAccessKeyId / InvalidToken / ExpiredToken (S3), InvalidClientTokenId /
 * ExpiredToken (IAM, STS), the signature errors of auth/sigv4.h. */
s3_err authn_begin(struct s3_req *r);
/* Body received: finish a deferred verification, then authorise what could only be decided
 * with the body (authz_s3_body). */
s3_err authn_finish(struct s3_req *r);

/* Authorise the routed S3 operation r->op on r->bucket/r->key for r->who: the operation's
 * IAM action(s) (with the ...Version variants, GetObjectAttributes' two actions, CopyObject's
 * and UploadPartCopy's read of the source), the request's context keys, the caller's identity
 * policies and the bucket policy.  S3_OK, or S3E_ACCESS_DENIED with AWS's message set on r
 * (and the header x-s3iam-decision naming the deciding statement). */
s3_err authz_s3(struct s3_req *r);
/* The part of S3 authorisation that needs the body: CreateBucket (s3:LocationConstraint).
 * Called by authn_finish. */
s3_err authz_s3_body(struct s3_req *r);
/* 1 if the caller may s3:ListBucket r->bucket (HEAD/GET of a missing key answers 404 only
 * then, else 403: doc 4.4).  Logs the decision; sets nothing on r. */
int authz_may_list(struct s3_req *r);
/* For a handler that found no such key/version: returns req_fail(r, e) when the caller may
 * list the bucket, else req_fail(r, S3E_ACCESS_DENIED, <AWS message for s3:ListBucket>). */
s3_err authz_not_found(struct s3_req *r, s3_err e);
/* One action on one key of r->bucket (DeleteObjects asks this per key).  S3_OK or
 * S3E_ACCESS_DENIED; *msg_out (may be NULL) receives the AWS message (malloc'd) on a denial.
 * Nothing is set on r except the x-s3iam-decision header. */
s3_err authz_s3_key(struct s3_req *r, const char *action, const char *key, char **msg_out);
/* Any S3 action on any resource ARN (S3 Control: "s3:CreateAccessPoint" on the access point
 * ARN, "s3:ListAccessPoints" on "*", ...).  resource_account NULL: the caller's account.
 * S3_OK or S3E_ACCESS_DENIED (req_fail done). */
s3_err authz_s3_resource(struct s3_req *r, const char *action, const char *resource, const char *resource_account);

#endif
