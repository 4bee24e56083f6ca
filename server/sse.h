/*
 * server/sse.h - server-side encryption headers: SSE-S3, SSE-KMS (stored and echoed) and
 * SSE-C (customer keys verified on every read).  See sse.c.
 */
#ifndef S3IAM_SERVER_SSE_H
#define S3IAM_SERVER_SSE_H

#include "server/req.h"

/* For a write (PutObject, CreateMultipartUpload, CopyObject destination): validate the SSE
 * headers and record the encryption attributes in o (o->sse and internal metadata).  Applies
 * the bucket's default encryption when the request names none. */
s3_err sse_for_write(struct s3_req *r, struct stor_object *o);
/* For a read of o (GET/HEAD: prefix "x-amz-"; copy source: "x-amz-copy-source-"): an SSE-C
 * object needs the same customer key; other objects must not be sent one. */
s3_err sse_check_read(struct s3_req *r, const struct stor_object *o, const char *prefix);
/* Response headers describing o's encryption. */
void sse_headers(struct s3_req *r, const struct stor_object *o);
/* Internal attribute: the x-amz-server-side-encryption value the client asked for at write
 * time (absent when it sent none), kept so multipart parts are authorized like the upload. */
#define SSE_ATTR_REQUESTED "\001sse-requested"
/* Internal attribute lookup, and whether a metadata name is internal (never sent). */
const char *sse_attr(const struct stor_object *o, const char *name);
int sse_is_internal(const char *meta_name);

#endif
