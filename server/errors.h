/*
 * server/errors.h - the one writer of error bodies: S3 <Error> documents and IAM/STS
 * <ErrorResponse> documents, from an s3_err and the request it belongs to.
 */
#ifndef S3IAM_SERVER_ERRORS_H
#define S3IAM_SERVER_ERRORS_H

#include "server/req.h"

/* Replace r->resp with the error response for r->err (status, headers, body). */
void errors_render(struct s3_req *r);

#endif
