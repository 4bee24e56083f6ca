/*
 * t/fuzz/fuzz_policy.c - libFuzzer target for the policy engine.
 *
 * The first byte picks the policy kind and validation options; the rest is the document.
 * Every document that compiles is evaluated against a few request contexts (same account,
 * cross-account, anonymous, through an access point), explained, and judged for
 * Block Public Access.  Build and run with `make fuzz-policy`.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "auth/policy.h"
#include "lib/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const tagkeys[] = { "project", "", "owner" };

static const struct authz_key keys[] = {
    { .name = "aws:username", .value = "alice" },
    { .name = "aws:userid", .value = "AIDAALICE" },
    { .name = "aws:RequestedRegion", .value = "ap-southeast-2" },
    { .name = "aws:SourceIp", .value = "203.0.113.7" },
    { .name = "aws:CurrentTime", .value = "2025-06-01T12:00:00Z" },
    { .name = "aws:SecureTransport", .value = "true" },
    { .name = "s3:max-keys", .value = "10" },
    { .name = "s3:prefix", .value = "home/alice/" },
    { .name = "aws:PrincipalTag/blob", .value = "QmluYXJ5VmFsdWU=" },
    { .name = "s3:RequestObjectTagKeys", .values = tagkeys, .n_values = 3 },
    { .name = "s3:DataAccessPointArn", .value = "arn:aws:s3:ap-southeast-2:111122223333:accesspoint/ap" },
    { .name = "s3:DataAccessPointAccount", .value = "111122223333" },
};

static void run(const struct policy *p, enum policy_kind kind)
{
    const struct policy *one[1] = { p };
    struct authz_policies pols = { 0 };
    struct authz_ctx ctx = { 0 };
    struct authz_result r;
    struct s3_buf b;

    if (kind == POLICY_IDENTITY) {
        pols.identity = one;
        pols.n_identity = 1;
        pols.session = p;
    } else if (kind == POLICY_ACCESS_POINT) {
        pols.access_point = one;
        pols.n_access_point = 1;
    } else {
        pols.resource = one;
        pols.n_resource = 1;
    }
    ctx.action = "s3:GetObject";
    ctx.resource = "arn:aws:s3:::demo/home/alice/x";
    ctx.resource_account = "111122223333";
    ctx.principal_kind = AUTHZ_USER;
    ctx.principal_arn = "arn:aws:iam::111122223333:user/alice";
    ctx.principal_account = "111122223333";
    ctx.keys = keys;
    ctx.n_keys = sizeof keys / sizeof keys[0];
    ctx.flags = AUTHZ_F_ALL_MATCHES;
    buf_init(&b, 1 << 20);
    for (int round = 0; round < 4; round++) {
        if (round == 1) {
            ctx.principal_kind = AUTHZ_ROLE_SESSION;
            ctx.principal_arn = "arn:aws:sts::444455556666:assumed-role/r/s";
            ctx.principal_account = "444455556666";
            ctx.bpa = AUTHZ_BPA_RESTRICT_PUBLIC_BUCKETS;
        } else if (round == 2) {
            ctx.principal_kind = AUTHZ_ANONYMOUS;
            ctx.principal_arn = NULL;
            ctx.principal_account = NULL;
            ctx.action = "s3:ListAllMyBuckets";
            ctx.resource = "*";
        } else if (round == 3) {
            ctx.principal_kind = AUTHZ_ROOT;
            ctx.principal_arn = "arn:aws:iam::111122223333:root";
            ctx.principal_account = "111122223333";
            ctx.action = "s3:PutObject";
            ctx.resource = "arn:aws:s3:ap-southeast-2:111122223333:accesspoint/ap/object/k";
            ctx.access_point_arn = "arn:aws:s3:ap-southeast-2:111122223333:accesspoint/ap";
            ctx.bucket_resource = "arn:aws:s3:::demo/k";
        }
        authz_evaluate(&pols, &ctx, &r);
        buf_reset(&b);
        authz_explain(&r, &ctx, &b);
        authz_denied_message(&r, &ctx, round & 1, &b);
    }
    buf_release(&b);
    (void)policy_is_public(p, POLICY_RESOURCE_BUCKET);
    (void)policy_is_public(p, POLICY_ACCESS_POINT);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct policy_validate_opts o = { 0 };
    struct policy_diag d;
    struct policy *p = NULL;
    enum policy_kind kind;

    if (size < 1)
        return 0;
    kind = (enum policy_kind)(data[0] & 3);
    if (data[0] & 4)
        o.flags |= POLICY_F_ALLOW_OLD_VERSION | POLICY_F_NO_SIZE_LIMIT;
    if (data[0] & 8)
        o.flags |= POLICY_F_NO_S3_CHECKS;
    if (data[0] & 16)
        o.bucket = "demo";
    if (data[0] & 32)
        o.access_point_arn = "arn:aws:s3:ap-southeast-2:111122223333:accesspoint/ap";
    if (policy_compile((const char *)data + 1, size - 1, kind, &o, "fuzz", &p, &d) == S3_OK) {
        for (size_t i = 0; i < policy_statement_count(p); i++) {
            struct policy_stmt_info si;
            (void)policy_statement_info(p, i, &si);
        }
        run(p, kind);
    }
    policy_free(p);
    return 0;
}
