/*
 * server/ops.h - the S3 operation table and the handlers it dispatches to.
 *
 * One row per S3 operation: how a request is recognised (method, resource level, a required
 * sub-resource in the query, a required header), the IAM action the policy engine is asked
 * about, what the body is, and the handler.  route.c picks the row; http.c prepares the body
 * the flags ask for before the handler runs; authz asks the engine with the row's action.
 */
#ifndef S3IAM_SERVER_OPS_H
#define S3IAM_SERVER_OPS_H

#include <stdio.h>

#include "lib/err.h"
#include "server/req.h"

enum op_res { RES_SERVICE, RES_BUCKET, RES_OBJECT };

enum op_flags {
    OP_BODY_XML = 1 << 0,    /* one XML (or JSON policy) document, capped by max-xml-body */
    OP_BODY_BLOB = 1 << 1,   /* object bytes streamed into a storage blob while hashing */
    OP_NO_BUCKET_CHECK = 1 << 2, /* handler checks the bucket itself (CreateBucket) */
    OP_VIA_AP = 1 << 3,      /* allowed through an access point (S3 User Guide, "Access point
                                compatibility"); others are refused there */
};

struct s3_op {
    const char *name;        /* "PutObjectTagging": logs, errors */
    const char *method;
    enum op_res res;
    const char *subresource; /* query parameter that must be present, or NULL */
    const char *header;      /* header that must be present, or NULL */
    const char *action;      /* IAM action, e.g. "s3:PutObjectTagging" */
    unsigned flags;
    s3_err (*handler)(struct s3_req *r);
};

/* Choose the operation for a routed S3 request (bucket/key/method/query known).  S3_OK with
 * r->op set, or S3E_METHOD_NOT_ALLOWED / S3E_NOT_IMPLEMENTED with a detail set on r. */
s3_err ops_s3_route(struct s3_req *r);

/* Print the operation table as Markdown rows (| Operation | Request | IAM action | Through an
 * access point |) to f. */
void ops_s3_print(FILE *f);

/* s3_bucket.c */
s3_err op_list_buckets(struct s3_req *r);
s3_err op_create_bucket(struct s3_req *r);
s3_err op_delete_bucket(struct s3_req *r);
s3_err op_head_bucket(struct s3_req *r);
s3_err op_get_bucket_location(struct s3_req *r);
s3_err op_get_bucket_versioning(struct s3_req *r);
s3_err op_put_bucket_versioning(struct s3_req *r);
s3_err op_get_bucket_acl(struct s3_req *r);
s3_err op_put_bucket_acl(struct s3_req *r);
s3_err op_put_object_acl(struct s3_req *r);
s3_err op_get_bucket_ownership(struct s3_req *r);
/* s3_bucket_ctl.c */
s3_err op_get_public_access_block(struct s3_req *r);
s3_err op_put_public_access_block(struct s3_req *r);
s3_err op_delete_public_access_block(struct s3_req *r);
s3_err op_get_bucket_policy(struct s3_req *r);
s3_err op_put_bucket_policy(struct s3_req *r);
s3_err op_delete_bucket_policy(struct s3_req *r);
s3_err op_get_bucket_policy_status(struct s3_req *r);
s3_err op_get_bucket_encryption(struct s3_req *r);
s3_err op_put_bucket_encryption(struct s3_req *r);
s3_err op_delete_bucket_encryption(struct s3_req *r);
/* s3_list.c */
s3_err op_list_objects(struct s3_req *r);
s3_err op_list_objects_v2(struct s3_req *r);
s3_err op_list_object_versions(struct s3_req *r);
/* s3_object.c */
s3_err op_put_object(struct s3_req *r);
s3_err op_get_object(struct s3_req *r);
s3_err op_head_object(struct s3_req *r);
s3_err op_delete_object(struct s3_req *r);
s3_err op_delete_objects(struct s3_req *r);
s3_err op_copy_object(struct s3_req *r);
s3_err op_get_object_attributes(struct s3_req *r);
s3_err op_get_object_acl(struct s3_req *r);
s3_err op_get_object_tagging(struct s3_req *r);
s3_err op_put_object_tagging(struct s3_req *r);
s3_err op_delete_object_tagging(struct s3_req *r);
/* s3_multipart.c */
s3_err op_create_mpu(struct s3_req *r);
s3_err op_upload_part(struct s3_req *r);
s3_err op_upload_part_copy(struct s3_req *r);
s3_err op_complete_mpu(struct s3_req *r);
s3_err op_abort_mpu(struct s3_req *r);
s3_err op_list_parts(struct s3_req *r);
s3_err op_list_mpus(struct s3_req *r);

/* Shared helpers (s3_common.c). */
/* Bucket must exist; fills b (release with stor_bucket_release). */
s3_err s3_need_bucket(struct s3_req *r, struct stor_bucket *b);
/* Parse the object metadata headers of PutObject/CreateMultipartUpload/CopyObject(REPLACE)
 * into o (content-*, x-amz-meta-*, storage class, tagging, SSE). */
s3_err s3_parse_object_headers(struct s3_req *r, struct stor_object *o);
/* Write the standard object headers (ETag, Last-Modified, Content-*, x-amz-meta-*, ...). */
void s3_object_headers(struct s3_req *r, const struct stor_object *o);
/* Parse "k1=v1&k2=v2" (x-amz-tagging) or validate an XML tag set into tags. */
s3_err s3_parse_tagging_header(struct s3_req *r, const char *v, struct stor_kvs *tags);
/* The quoted ETag of a single-part body: "\"<hex md5>\"" into out[35]. */
void s3_md5_etag(const unsigned char md5[16], char out[40]);
/* HTTP date (RFC 7231) of ms since epoch into out[64]. */
void s3_http_date(int64_t ms, char out[64]);
/* Parse an HTTP date; -1 if invalid. */
int64_t s3_parse_http_date(const char *s);
/* Parse a Range header against an object of size bytes.  Returns 1 with [*off, *off+*len)
 * for a satisfiable single range, 0 to serve the whole object (absent, multi-range or
 * unparseable header: S3 ignores those), -1 for an unsatisfiable range (416). */
int s3_parse_range(const char *h, uint64_t size, uint64_t *off, uint64_t *len);
/* A versionId parameter (NULL: none) must be "null" or one of our 32-character ids. */
s3_err s3_check_version_id(struct s3_req *r, const char *vid);
/* Valid S3 bucket name (the rules for new buckets). */
int s3_bucket_name_valid(const char *name, const char **why);
/* Maps the storage checksum enum to the lib one and back. */
enum ck_alg s3_ck_from_stor(enum stor_cksum a);
enum stor_cksum s3_ck_to_stor(enum ck_alg a);
/* Stream bytes [off, off+len) of src reader into a new blob (for copies). */
s3_err s3_copy_range(struct s3_req *r, struct stor_reader *src, uint64_t off, uint64_t len,
                     struct stor_blob **out, unsigned char md5_out[16]);
/* Parse x-amz-copy-source into bucket, key, version (malloc'd). */
s3_err s3_parse_copy_source(struct s3_req *r, char **bucket, char **key, char **version);
/* Evaluate copy-source-if-* (or plain if-*) conditions against o; prefix "x-amz-copy-source-"
 * or "". */
s3_err s3_check_conditions(struct s3_req *r, const struct stor_object *o, const char *prefix);

#endif
