/*
 * bench/policy_bench.c - how long one authorization decision takes.
 *
 * Compiles the seeds' analyst_access policy (with the demo names of the decision cases) and
 * evaluates 1,000,000 request contexts against it: a mix of allowed, implicitly and explicitly
 * denied S3 and IAM requests, each carrying the ~15 context keys the server builds per request.
 * Prints nanoseconds per decision.  Usage: bench/policy-bench [iterations]
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/policy.h"

static const char analyst_policy[] =
    "{\n"
    " \"Version\": \"2012-10-17\",\n"
    " \"Statement\": [\n"
    "  {\n"
    "   \"Sid\": \"UseDataScienceResources\",\n"
    "   \"Effect\": \"Allow\",\n"
    "   \"Action\": [\n"
    "    \"ec2:*\",\n"
    "    \"ecs:*\",\n"
    "    \"lambda:*\",\n"
    "    \"sagemaker:*\",\n"
    "    \"cloudshell:*\"\n"
    "   ],\n"
    "   \"Resource\": \"*\",\n"
    "   \"Condition\": {\n"
    "    \"StringEquals\": {\n"
    "     \"aws:RequestedRegion\": \"ap-southeast-2\"\n"
    "    }\n"
    "   }\n"
    "  },\n"
    "  {\n"
    "   \"Sid\": \"AccessAllS3Settings\",\n"
    "   \"Effect\": \"Allow\",\n"
    "   \"Action\": [\n"
    "    \"s3:ListAllMyBuckets\",\n"
    "    \"s3:ListBucket\",\n"
    "    \"s3:ListBucketVersions\",\n"
    "    \"s3:GetBucketVersioning\",\n"
    "    \"s3:GetBucketPolicyStatus\",\n"
    "    \"s3:GetBucketPublicAccessBlock\",\n"
    "    \"s3:GetAccountPublicAccessBlock\",\n"
    "    \"s3:GetBucketAcl\",\n"
    "    \"s3:GetObjectAcl\",\n"
    "    \"s3:ListAccessPointsForObjectLambda\",\n"
    "    \"s3:ListBucketMultipartUploads\",\n"
    "    \"s3:ListAccessPoints\",\n"
    "    \"s3:GetAccessPoint\",\n"
    "    \"s3:CreateAccessPoint\",\n"
    "    \"s3:ListJobs\",\n"
    "    \"s3:CreateJob\",\n"
    "    \"s3:ListStorageLensConfigurations\",\n"
    "    \"s3:PutStorageLensConfiguration\",\n"
    "    \"s3:ListMultipartUploadParts\",\n"
    "    \"s3:ListMultiRegionAccessPoints\",\n"
    "    \"s3:GetBucketLocation\",\n"
    "    \"s3:GetBucketPolicy\",\n"
    "    \"s3:GetBucketLogging\",\n"
    "    \"s3:GetBucketNotification\",\n"
    "    \"s3:GetBucketLocation\",\n"
    "    \"s3:GetEncryptionConfiguration\"\n"
    "   ],\n"
    "   \"Resource\": \"arn:aws:s3:::*\",\n"
    "   \"Condition\": {\n"
    "    \"StringEquals\": {\n"
    "     \"aws:RequestedRegion\": \"ap-southeast-2\"\n"
    "    }\n"
    "   }\n"
    "  },\n"
    "  {\n"
    "   \"Sid\": \"GetAllS3Buckets\",\n"
    "   \"Effect\": \"Allow\",\n"
    "   \"Action\": [\n"
    "    \"s3:GetObject\",\n"
    "    \"s3:GetObjectVersion\",\n"
    "    \"s3:GetObjectVersionAttributes\",\n"
    "    \"s3:GetObjectAttributes\"\n"
    "   ],\n"
    "   \"Resource\": [\n"
    "    \"arn:aws:s3:::demo-landing-zone/*\",\n"
    "    \"arn:aws:s3:::demo-analysis/*\"\n"
    "   ],\n"
    "   \"Condition\": {\n"
    "    \"StringEquals\": {\n"
    "     \"aws:RequestedRegion\": \"ap-southeast-2\"\n"
    "    }\n"
    "   }\n"
    "  },\n"
    "  {\n"
    "   \"Sid\": \"CreateFoldersInAnalysisS3Bucket\",\n"
    "   \"Effect\": \"Allow\",\n"
    "   \"Action\": [\n"
    "    \"s3:PutObject\",\n"
    "    \"s3:DeleteObject\"\n"
    "   ],\n"
    "   \"Resource\": \"arn:aws:s3:::demo-analysis/*/\",\n"
    "   \"Condition\": {\n"
    "    \"StringEquals\": {\n"
    "     \"aws:RequestedRegion\": \"ap-southeast-2\"\n"
    "    }\n"
    "   }\n"
    "  },\n"
    "  {\n"
    "   \"Sid\": \"DeleteObjectsInAnalysisS3Bucket\",\n"
    "   \"Effect\": \"Allow\",\n"
    "   \"Action\": \"s3:DeleteObject\",\n"
    "   \"Resource\": \"arn:aws:s3:::demo-analysis/*\",\n"
    "   \"Condition\": {\n"
    "    \"StringEquals\": {\n"
    "     \"aws:RequestedRegion\": \"ap-southeast-2\"\n"
    "    }\n"
    "   }\n"
    "  },\n"
    "  {\n"
    "   \"Sid\": \"PutAnalysisS3BucketLimitedBySource\",\n"
    "   \"Effect\": \"Allow\",\n"
    "   \"Action\": [\n"
    "    \"s3:PutObject\",\n"
    "    \"s3:CopyObject\"\n"
    "   ],\n"
    "   \"Resource\": \"arn:aws:s3:::demo-analysis/*\",\n"
    "   \"Condition\": {\n"
    "    \"StringEquals\": {\n"
    "     \"aws:RequestedRegion\": \"ap-southeast-2\"\n"
    "    },\n"
    "    \"ForAnyValue:StringEquals\": {\n"
    "     \"s3:DataAccessPointArn\": [\n"
    "      \"arn:aws:s3:ap-southeast-2:111122223333:accesspoint/demo-landing-zone-access\",\n"
    "      \"arn:aws:s3:ap-southeast-2:111122223333:accesspoint/demo-analysis-access\"\n"
    "     ]\n"
    "    }\n"
    "   }\n"
    "  },\n"
    "  {\n"
    "   \"Sid\": \"DenyUnencryptedS3ObjectUploads\",\n"
    "   \"Effect\": \"Deny\",\n"
    "   \"Action\": \"s3:PutObject\",\n"
    "   \"Resource\": \"arn:aws:s3:::*\",\n"
    "   \"Condition\": {\n"
    "    \"Null\": {\n"
    "     \"s3:x-amz-server-side-encryption\": true\n"
    "    }\n"
    "   }\n"
    "  },\n"
    "  {\n"
    "   \"Sid\": \"UseConsole\",\n"
    "   \"Effect\": \"Allow\",\n"
    "   \"Action\": [\n"
    "    \"cloudshell:*\",\n"
    "    \"iam:PassRole\",\n"
    "    \"aws-portal:ViewUsage\",\n"
    "    \"aws-portal:ViewBilling\",\n"
    "    \"aws-portal:ViewAccount\",\n"
    "    \"iam:GetAccountPasswordPolicy\",\n"
    "    \"iam:ListMFADevices\",\n"
    "    \"iam:ListPolicies\"\n"
    "   ],\n"
    "   \"Resource\": \"*\",\n"
    "   \"Condition\": {\n"
    "    \"StringEquals\": {\n"
    "     \"aws:RequestedRegion\": \"us-east-1\"\n"
    "    }\n"
    "   }\n"
    "  },\n"
    "  {\n"
    "   \"Sid\": \"ManageOwnVirtualMFADevice\",\n"
    "   \"Effect\": \"Allow\",\n"
    "   \"Action\": [\n"
    "    \"iam:CreateVirtualMFADevice\",\n"
    "    \"iam:DeleteVirtualMFADevice\"\n"
    "   ],\n"
    "   \"Resource\": \"arn:aws:iam::*:mfa/${aws:username}\",\n"
    "   \"Condition\": {\n"
    "    \"StringEquals\": {\n"
    "     \"aws:RequestedRegion\": \"us-east-1\"\n"
    "    }\n"
    "   }\n"
    "  },\n"
    "  {\n"
    "   \"Sid\": \"ManageOwnSecurityCredentials\",\n"
    "   \"Effect\": \"Allow\",\n"
    "   \"Action\": [\n"
    "    \"iam:DeactivateMFADevice\",\n"
    "    \"iam:EnableMFADevice\",\n"
    "    \"iam:ListMFADevices\",\n"
    "    \"iam:ResyncMFADevice\",\n"
    "    \"iam:CreateServiceSpecificCredential\",\n"
    "    \"iam:DeleteServiceSpecificCredential\",\n"
    "    \"iam:ListServiceSpecificCredentials\",\n"
    "    \"iam:ResetServiceSpecificCredential\",\n"
    "    \"iam:UpdateServiceSpecificCredential\",\n"
    "    \"iam:CreateAccessKey\",\n"
    "    \"iam:DeleteAccessKey\",\n"
    "    \"iam:ListAccessKeys\",\n"
    "    \"iam:UpdateAccessKey\",\n"
    "    \"iam:GetAccessKeyLastUsed\",\n"
    "    \"iam:ChangePassword\",\n"
    "    \"iam:GetUser\"\n"
    "   ],\n"
    "   \"Resource\": \"arn:aws:iam::*:user/${aws:username}\",\n"
    "   \"Condition\": {\n"
    "    \"StringEquals\": {\n"
    "     \"aws:RequestedRegion\": \"us-east-1\"\n"
    "    }\n"
    "   }\n"
    "  }\n"
    " ]\n"
    "}\n";

#define USER "arn:aws:iam::111122223333:user/analyst-demo"
#define AP "arn:aws:s3:ap-southeast-2:111122223333:accesspoint/demo-analysis-access"

struct req {
    const char *action, *resource, *region, *sse, *ap_arn;
    enum authz_decision expect;
};

/* Requests the seeds' CLI table makes, plus a few others. */
static const struct req reqs[] = {
    { "s3:ListBucket", "arn:aws:s3:::demo-analysis", "ap-southeast-2", NULL, NULL, AUTHZ_ALLOW },
    { "s3:GetObject", "arn:aws:s3:::demo-landing-zone/test/hw.txt", "ap-southeast-2", NULL, NULL, AUTHZ_ALLOW },
    { "s3:PutObject", "arn:aws:s3:::demo-analysis/test/hw.txt", "ap-southeast-2", "AES256", NULL, AUTHZ_IMPLICIT_DENY },
    { "s3:PutObject", "arn:aws:s3:::demo-analysis/test/hw.txt", "ap-southeast-2", "AES256", AP, AUTHZ_ALLOW },
    { "s3:PutObject", "arn:aws:s3:::demo-analysis/test/hw.txt", "ap-southeast-2", NULL, NULL, AUTHZ_EXPLICIT_DENY },
    { "s3:DeleteObject", "arn:aws:s3:::demo-analysis/test/x", "ap-southeast-2", NULL, NULL, AUTHZ_ALLOW },
    { "s3:DeleteObject", "arn:aws:s3:::demo-landing-zone/test/x", "ap-southeast-2", NULL, NULL, AUTHZ_IMPLICIT_DENY },
    { "s3:PutObject", "arn:aws:s3:::demo-analysis/test/", "ap-southeast-2", "aws:kms", NULL, AUTHZ_ALLOW },
    { "s3:ListBucket", "arn:aws:s3:::demo-analysis", "us-east-1", NULL, NULL, AUTHZ_IMPLICIT_DENY },
    { "s3:GetObjectVersion", "arn:aws:s3:::demo-analysis/a/b/c.csv", "ap-southeast-2", NULL, NULL, AUTHZ_ALLOW },
    { "iam:CreateAccessKey", "arn:aws:iam::111122223333:user/analyst-demo", "us-east-1", NULL, NULL, AUTHZ_ALLOW },
    { "iam:CreateAccessKey", "arn:aws:iam::111122223333:user/engineer-demo", "us-east-1", NULL, NULL, AUTHZ_IMPLICIT_DENY },
    { "s3:ListAllMyBuckets", "*", "ap-southeast-2", NULL, NULL, AUTHZ_ALLOW },
    { "s3:GetBucketPolicy", "arn:aws:s3:::demo-analysis", "ap-southeast-2", NULL, NULL, AUTHZ_ALLOW },
    { "s3:PutBucketPolicy", "arn:aws:s3:::demo-analysis", "ap-southeast-2", NULL, NULL, AUTHZ_IMPLICIT_DENY },
    { "ec2:RunInstances", "arn:aws:ec2:ap-southeast-2:111122223333:instance/*", "ap-southeast-2", NULL, NULL, AUTHZ_ALLOW },
};
#define NREQ (sizeof reqs / sizeof reqs[0])
#define NKEYS 16

struct built {
    struct authz_key keys[NKEYS];
    struct authz_ctx ctx;
};

static void build(const struct req *r, struct built *b)
{
    size_t n = 0;
#define KEY(k, v) b->keys[n++] = (struct authz_key){ .name = k, .name_len = sizeof k - 1, .value = v }
    KEY("aws:PrincipalArn", USER);
    KEY("aws:PrincipalAccount", "111122223333");
    KEY("aws:PrincipalType", "User");
    KEY("aws:username", "analyst-demo");
    KEY("aws:userid", "AIDAANALYSTDEMO0000");
    KEY("aws:RequestedRegion", r->region);
    KEY("aws:SecureTransport", "false");
    KEY("aws:SourceIp", "127.0.0.1");
    KEY("aws:CurrentTime", "2025-06-01T12:00:00Z");
    KEY("aws:EpochTime", "1748779200");
    KEY("aws:UserAgent", "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64");
    KEY("s3:authType", "REST-HEADER");
    KEY("s3:signatureversion", "AWS4-HMAC-SHA256");
    KEY("s3:ResourceAccount", "111122223333");
    if (r->sse)
        KEY("s3:x-amz-server-side-encryption", r->sse);
    else
        KEY("s3:x-amz-content-sha256", "UNSIGNED-PAYLOAD");
    if (r->ap_arn)
        KEY("s3:DataAccessPointArn", r->ap_arn);
    else
        KEY("s3:TlsVersion", "1.3");
#undef KEY
    memset(&b->ctx, 0, sizeof b->ctx);
    b->ctx.action = r->action;
    b->ctx.resource = r->resource;
    b->ctx.resource_account = "111122223333";
    b->ctx.principal_kind = AUTHZ_USER;
    b->ctx.principal_arn = USER;
    b->ctx.principal_account = "111122223333";
    b->ctx.keys = b->keys;
    b->ctx.n_keys = n;
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    long iters = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
    struct policy_diag diag;
    struct policy *p = NULL;
    const struct policy *ids[1];
    struct authz_policies pols = { 0 };
    struct built *b;
    unsigned long allowed = 0;
    double t0, t1;

    if (iters <= 0)
        iters = 1000000;
    t0 = now_ns();
    for (int i = 0; i < 1000; i++) {
        policy_free(p);
        p = NULL;
        if (policy_compile(analyst_policy, sizeof analyst_policy - 1, POLICY_IDENTITY, NULL,
                           "analyst_access", &p, &diag) != S3_OK) {
            fprintf(stderr, "analyst policy: %s\n", diag.errors[0].message);
            return 1;
        }
    }
    t1 = now_ns();
    printf("compile analyst_access: %.1f us\n", (t1 - t0) / 1000 / 1000);

    ids[0] = p;
    pols.identity = ids;
    pols.n_identity = 1;
    b = calloc(NREQ, sizeof *b);
    if (b == NULL)
        return 1;
    for (size_t i = 0; i < NREQ; i++) {
        struct authz_result r;
        build(&reqs[i], &b[i]);
        authz_evaluate(&pols, &b[i].ctx, &r);
        if (r.decision != reqs[i].expect) {
            fprintf(stderr, "request %zu (%s %s): %s, expected %s\n", i, reqs[i].action,
                    reqs[i].resource, authz_decision_name(r.decision),
                    authz_decision_name(reqs[i].expect));
            return 1;
        }
    }
    t0 = now_ns();
    for (long i = 0; i < iters; i++) {
        struct authz_result r;
        authz_evaluate(&pols, &b[(size_t)i % NREQ].ctx, &r);
        allowed += r.decision == AUTHZ_ALLOW;
    }
    t1 = now_ns();
    printf("%ld decisions (%zu request shapes, %d keys each): %.0f ns/decision, %lu allowed\n",
           iters, NREQ, NKEYS, (t1 - t0) / (double)iters, allowed);
    free(b);
    policy_free(p);
    return 0;
}
