/* server/ops.c - the S3 operation table (see ops.h) and its router. */
#include "config.h"
#include "server/ops.h"

#include <string.h>

/*
 * Order matters: the first row whose method, resource level, sub-resource and header match
 * wins, so rows with a sub-resource or header come before the plain row for the same method.
 */
static const struct s3_op s3_ops[] = {
    /* service */
    { "ListBuckets", "GET", RES_SERVICE, NULL, NULL, "s3:ListAllMyBuckets", 0, op_list_buckets },
    /* bucket */
    { "GetBucketLocation", "GET", RES_BUCKET, "location", NULL, "s3:GetBucketLocation", OP_VIA_AP, op_get_bucket_location },
    { "GetBucketVersioning", "GET", RES_BUCKET, "versioning", NULL, "s3:GetBucketVersioning", 0, op_get_bucket_versioning },
    { "PutBucketVersioning", "PUT", RES_BUCKET, "versioning", NULL, "s3:PutBucketVersioning", OP_BODY_XML, op_put_bucket_versioning },
    { "GetBucketAcl", "GET", RES_BUCKET, "acl", NULL, "s3:GetBucketAcl", OP_VIA_AP, op_get_bucket_acl },
    { "PutBucketAcl", "PUT", RES_BUCKET, "acl", NULL, "s3:PutBucketAcl", OP_BODY_XML, op_put_bucket_acl },
    { "GetBucketOwnershipControls", "GET", RES_BUCKET, "ownershipControls", NULL, "s3:GetBucketOwnershipControls", 0, op_get_bucket_ownership },
    { "GetBucketPolicy", "GET", RES_BUCKET, "policy", NULL, "s3:GetBucketPolicy", OP_VIA_AP, op_get_bucket_policy },
    { "PutBucketPolicy", "PUT", RES_BUCKET, "policy", NULL, "s3:PutBucketPolicy", OP_BODY_XML, op_put_bucket_policy },
    { "DeleteBucketPolicy", "DELETE", RES_BUCKET, "policy", NULL, "s3:DeleteBucketPolicy", 0, op_delete_bucket_policy },
    { "GetBucketPolicyStatus", "GET", RES_BUCKET, "policyStatus", NULL, "s3:GetBucketPolicyStatus", 0, op_get_bucket_policy_status },
    { "GetPublicAccessBlock", "GET", RES_BUCKET, "publicAccessBlock", NULL, "s3:GetBucketPublicAccessBlock", 0, op_get_public_access_block },
    { "PutPublicAccessBlock", "PUT", RES_BUCKET, "publicAccessBlock", NULL, "s3:PutBucketPublicAccessBlock", OP_BODY_XML, op_put_public_access_block },
    { "DeletePublicAccessBlock", "DELETE", RES_BUCKET, "publicAccessBlock", NULL, "s3:PutBucketPublicAccessBlock", 0, op_delete_public_access_block },
    { "GetBucketEncryption", "GET", RES_BUCKET, "encryption", NULL, "s3:GetEncryptionConfiguration", 0, op_get_bucket_encryption },
    { "PutBucketEncryption", "PUT", RES_BUCKET, "encryption", NULL, "s3:PutEncryptionConfiguration", OP_BODY_XML, op_put_bucket_encryption },
    { "DeleteBucketEncryption", "DELETE", RES_BUCKET, "encryption", NULL, "s3:PutEncryptionConfiguration", 0, op_delete_bucket_encryption },
    { "ListObjectVersions", "GET", RES_BUCKET, "versions", NULL, "s3:ListBucketVersions", OP_VIA_AP, op_list_object_versions },
    { "ListMultipartUploads", "GET", RES_BUCKET, "uploads", NULL, "s3:ListBucketMultipartUploads", OP_VIA_AP, op_list_mpus },
    { "DeleteObjects", "POST", RES_BUCKET, "delete", NULL, "s3:DeleteObject", OP_BODY_XML | OP_VIA_AP, op_delete_objects },
    { "ListObjectsV2", "GET", RES_BUCKET, "list-type", NULL, "s3:ListBucket", OP_VIA_AP, op_list_objects_v2 },
    { "ListObjects", "GET", RES_BUCKET, NULL, NULL, "s3:ListBucket", OP_VIA_AP, op_list_objects },
    { "HeadBucket", "HEAD", RES_BUCKET, NULL, NULL, "s3:ListBucket", OP_VIA_AP, op_head_bucket },
    { "CreateBucket", "PUT", RES_BUCKET, NULL, NULL, "s3:CreateBucket", OP_BODY_XML | OP_NO_BUCKET_CHECK, op_create_bucket },
    { "DeleteBucket", "DELETE", RES_BUCKET, NULL, NULL, "s3:DeleteBucket", 0, op_delete_bucket },
    /* object: multipart */
    { "CreateMultipartUpload", "POST", RES_OBJECT, "uploads", NULL, "s3:PutObject", OP_VIA_AP, op_create_mpu },
    { "CompleteMultipartUpload", "POST", RES_OBJECT, "uploadId", NULL, "s3:PutObject", OP_BODY_XML | OP_VIA_AP, op_complete_mpu },
    { "UploadPartCopy", "PUT", RES_OBJECT, "uploadId", "x-amz-copy-source", "s3:PutObject", OP_VIA_AP, op_upload_part_copy },
    { "UploadPart", "PUT", RES_OBJECT, "uploadId", NULL, "s3:PutObject", OP_BODY_BLOB | OP_VIA_AP, op_upload_part },
    { "AbortMultipartUpload", "DELETE", RES_OBJECT, "uploadId", NULL, "s3:AbortMultipartUpload", OP_VIA_AP, op_abort_mpu },
    { "ListParts", "GET", RES_OBJECT, "uploadId", NULL, "s3:ListMultipartUploadParts", OP_VIA_AP, op_list_parts },
    /* object: tagging, attributes, acl */
    { "GetObjectTagging", "GET", RES_OBJECT, "tagging", NULL, "s3:GetObjectTagging", OP_VIA_AP, op_get_object_tagging },
    { "PutObjectTagging", "PUT", RES_OBJECT, "tagging", NULL, "s3:PutObjectTagging", OP_BODY_XML | OP_VIA_AP, op_put_object_tagging },
    { "DeleteObjectTagging", "DELETE", RES_OBJECT, "tagging", NULL, "s3:DeleteObjectTagging", OP_VIA_AP, op_delete_object_tagging },
    { "GetObjectAttributes", "GET", RES_OBJECT, "attributes", NULL, "s3:GetObjectAttributes", OP_VIA_AP, op_get_object_attributes },
    { "GetObjectAcl", "GET", RES_OBJECT, "acl", NULL, "s3:GetObjectAcl", OP_VIA_AP, op_get_object_acl },
    { "PutObjectAcl", "PUT", RES_OBJECT, "acl", NULL, "s3:PutObjectAcl", OP_BODY_XML | OP_VIA_AP, op_put_object_acl },
    /* object: data */
    { "CopyObject", "PUT", RES_OBJECT, NULL, "x-amz-copy-source", "s3:PutObject", OP_VIA_AP, op_copy_object },
    { "PutObject", "PUT", RES_OBJECT, NULL, NULL, "s3:PutObject", OP_BODY_BLOB | OP_VIA_AP, op_put_object },
    { "GetObject", "GET", RES_OBJECT, NULL, NULL, "s3:GetObject", OP_VIA_AP, op_get_object },
    { "HeadObject", "HEAD", RES_OBJECT, NULL, NULL, "s3:GetObject", OP_VIA_AP, op_head_object },
    { "DeleteObject", "DELETE", RES_OBJECT, NULL, NULL, "s3:DeleteObject", OP_VIA_AP, op_delete_object },
};

/*
 * S3 sub-resources s3iam knows by name.  A request carrying one that no row handles is
 * answered NotImplemented instead of silently falling through to the plain operation (a GET
 * ?lifecycle must never become a ListObjects).
 */
static const char *const s3_subresources[] = {
    "accelerate", "acl", "analytics", "attributes", "cors", "delete", "encryption", "intelligent-tiering",
    "inventory", "legal-hold", "lifecycle", "location", "logging", "metrics", "metadataTable", "notification",
    "object-lock", "ownershipControls", "policy", "policyStatus", "publicAccessBlock", "replication",
    "requestPayment", "restore", "retention", "select", "session", "tagging", "torrent", "uploadId", "uploads",
    "versioning", "versions", "website", "renameObject",
};

static int known_subresource(const char *name)
{
    for (size_t i = 0; i < sizeof(s3_subresources) / sizeof(s3_subresources[0]); i++)
        if (strcmp(s3_subresources[i], name) == 0)
            return 1;
    return 0;
}

static int row_subresource_handled(const struct s3_op *op, const char *name)
{
    return op->subresource && strcmp(op->subresource, name) == 0;
}

s3_err ops_s3_route(struct s3_req *r)
{
    enum op_res res = r->key ? RES_OBJECT : r->bucket ? RES_BUCKET : RES_SERVICE;
    const struct s3_op *hit = NULL;
    int method_seen = 0;

    for (size_t i = 0; i < sizeof(s3_ops) / sizeof(s3_ops[0]); i++) {
        const struct s3_op *op = &s3_ops[i];
        if (op->res != res)
            continue;
        if (strcmp(op->method, r->method) != 0)
            continue;
        method_seen = 1;
        if (op->subresource && !req_has_query(r, op->subresource))
            continue;
        if (op->header && req_header(r, op->header) == NULL)
            continue;
        hit = op;
        break;
    }
    /* A known sub-resource the chosen row does not handle: not implemented (yet). */
    for (unsigned i = 0; i < r->n_q; i++) {
        const char *n = r->q[i].name;
        if (known_subresource(n) && !(hit && row_subresource_handled(hit, n)) &&
            !(hit && !strcmp(n, "uploadId") && hit->subresource && !strcmp(hit->subresource, "uploadId")))
            return req_fail(r, S3E_NOT_IMPLEMENTED, "s3iam does not implement %s %s?%s yet.", r->method,
                            res == RES_OBJECT ? "/bucket/key" : res == RES_BUCKET ? "/bucket" : "/", n);
    }
    if (hit == NULL) {
        if (!method_seen && res == RES_SERVICE)
            return req_fail(r, S3E_METHOD_NOT_ALLOWED, "The specified method is not allowed against the service.");
        return req_fail(r, method_seen ? S3E_NOT_IMPLEMENTED : S3E_METHOD_NOT_ALLOWED,
                        "%s is not supported on this resource.", r->method);
    }
    if (r->ap.active && !(hit->flags & OP_VIA_AP))
        return req_fail(r, S3E_INVALID_REQUEST, "%s cannot be performed through an access point; address the bucket "
                        "by its name.", hit->name);
    r->op = hit;
    return S3_OK;
}

void ops_s3_print(FILE *f)
{
    fprintf(f, "| Operation | Request | IAM action | Through an access point |\n|---|---|---|---|\n");
    for (size_t i = 0; i < sizeof(s3_ops) / sizeof(s3_ops[0]); i++) {
        const struct s3_op *op = &s3_ops[i];
        const char *path = op->res == RES_SERVICE ? "/" : op->res == RES_BUCKET ? "/BUCKET" : "/BUCKET/KEY";
        fprintf(f, "| %s | `%s %s%s%s`%s%s%s | `%s` | %s |\n", op->name, op->method, path, op->subresource ? "?" : "",
                op->subresource ? op->subresource : "", op->header ? " + `" : "", op->header ? op->header : "",
                op->header ? "`" : "", op->action, (op->flags & OP_VIA_AP) ? "yes" : "no");
    }
}
