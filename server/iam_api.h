/*
 * server/iam_api.h - IAM and STS query-protocol APIs (Action=...&Version=...).
 */
#ifndef S3IAM_SERVER_IAM_API_H
#define S3IAM_SERVER_IAM_API_H

#include "server/req.h"

/* Parse the form body / query and run the action; fills r->resp. */
s3_err query_api_dispatch(struct s3_req *r);

#endif
