/*
 * server/route.h - from the raw request (Host, path, query, headers) to service, bucket, key
 * and decoded query parameters.
 *
 * Addressing styles: path style (http://localhost:4566/BUCKET/KEY) and virtual-host style
 * (http://BUCKET.localhost:4566/KEY) where the host ends in one of the configured domains.
 * Host names of the form ACCOUNT.<domain> (S3 Control) are recognised by their /v20180820/
 * path.  IAM and STS use the query protocol: POST / with Action=... (form body) or GET /?Action=.
 */
#ifndef S3IAM_SERVER_ROUTE_H
#define S3IAM_SERVER_ROUTE_H

#include "server/req.h"

/* Decode the query string and headers-derived routing into r.  Errors: S3E_INVALID_ARGUMENT
 * (bad escape), S3E_INVALID_BUCKET_NAME, S3E_KEY_TOO_LONG. */
s3_err route_request(struct s3_req *r);
/* 1 if p[0..n) is valid UTF-8 (strict: no overlongs, surrogates or code points past U+10FFFF). */
int route_utf8_valid(const char *p, size_t n);

#endif
