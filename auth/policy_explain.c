/*
 * auth/policy_explain.c - words for a decision: the AWS reason phrase (doc section 6) and a
 * longer explanation for students (which statement decided, which nearly matched and why not).
 */
#include "config.h"
#include "auth/policy.h"

#include <stdio.h>
#include <string.h>

#include "auth/policy_int.h"

const char *authz_decision_name(enum authz_decision d)
{
    switch (d) {
    case AUTHZ_ALLOW:
        return "Allow";
    case AUTHZ_EXPLICIT_DENY:
        return "ExplicitDeny";
    default:
        return "ImplicitDeny";
    }
}

const char *authz_source_name(enum authz_source s)
{
    switch (s) {
    case AUTHZ_SRC_IDENTITY:
        return "identity-based policy";
    case AUTHZ_SRC_SESSION:
        return "session policy";
    case AUTHZ_SRC_RESOURCE:
        return "resource-based policy";
    default:
        return "access point policy";
    }
}

int authz_reason_phrase(const struct authz_result *r, const char *action, char *buf, size_t n)
{
    const char *a = action ? action : "";

    switch (r->decision == AUTHZ_ALLOW ? AUTHZ_R_ALLOWED : r->reason) {
    case AUTHZ_R_DENY_IDENTITY:
        return snprintf(buf, n, "with an explicit deny in an identity-based policy");
    case AUTHZ_R_DENY_SESSION:
        return snprintf(buf, n, "with an explicit deny in a session policy");
    case AUTHZ_R_DENY_RESOURCE:
        return snprintf(buf, n, "with an explicit deny in a resource-based policy");
    case AUTHZ_R_NO_IDENTITY_ALLOW:
        return snprintf(buf, n, "because no identity-based policy allows the %s action", a);
    case AUTHZ_R_NO_SESSION_ALLOW:
        return snprintf(buf, n, "because no session policy allows the %s action", a);
    case AUTHZ_R_NO_RESOURCE_ALLOW:
    case AUTHZ_R_PUBLIC_BLOCKED:
        return snprintf(buf, n, "because no resource-based policy allows the %s action", a);
    default:
        if (n > 0)
            buf[0] = 0;
        return 0;
    }
}

s3_err authz_denied_message(const struct authz_result *r, const struct authz_ctx *ctx,
                            int quote_resource, struct s3_buf *out)
{
    char reason[256];
    const char *q = quote_resource ? "\"" : "";

    authz_reason_phrase(r, ctx->action, reason, sizeof reason);
    return buf_addf(out, "User: %s is not authorized to perform: %s on resource: %s%s%s%s%s",
                    ctx->principal_arn ? ctx->principal_arn : "anonymous",
                    ctx->action ? ctx->action : "", q, ctx->resource ? ctx->resource : "", q,
                    reason[0] ? " " : "", reason);
}

/* "statement 3 (Sid "X", line 22) of <source> (identity-based policy)" */
static s3_err describe_stmt(struct s3_buf *out, const struct authz_match *m)
{
    const struct pol_stmt *st;
    s3_err e;

    if (m->policy == NULL || m->stmt >= m->policy->n_stmts)
        return buf_adds(out, "(unknown statement)");
    st = &m->policy->stmts[m->stmt];
    e = buf_addf(out, "statement %zu", m->stmt + 1);
    if (e == S3_OK && st->sid && st->sid[0])
        e = buf_addf(out, " (Sid \"%s\"%s", st->sid, st->line ? "," : ")");
    else if (e == S3_OK && st->line)
        e = buf_adds(out, " (");
    if (e == S3_OK && st->line)
        e = buf_addf(out, "%sline %d)", st->sid && st->sid[0] ? " " : "", st->line);
    if (e == S3_OK)
        e = buf_addf(out, " of %s (%s", m->policy->source, authz_source_name(m->src));
    if (e == S3_OK && m->check == AUTHZ_CHECK_ACCESS_POINT)
        e = buf_adds(out, ", access point check");
    else if (e == S3_OK && m->check == AUTHZ_CHECK_BUCKET)
        e = buf_adds(out, ", bucket check");
    if (e == S3_OK)
        e = buf_adds(out, ")");
    return e;
}

static s3_err add_list(struct s3_buf *out, const char *const *v, size_t n)
{
    s3_err e = S3_OK;
    for (size_t i = 0; i < n && e == S3_OK; i++)
        e = buf_addf(out, "%s\"%s\"", i ? ", " : "", v[i]);
    return e;
}

static s3_err describe_cond(struct s3_buf *out, const struct authz_cond_fail *c)
{
    s3_err e = buf_addf(out, "condition %s on %s failed: ", c->op, c->key);

    if (e != S3_OK)
        return e;
    if (c->req == NULL) {
        e = buf_addf(out, "the request has no %s", c->key);
    } else if (c->req->values != NULL) {
        e = buf_addf(out, "the request's %s is {", c->key);
        if (e == S3_OK)
            e = add_list(out, c->req->values, c->req->n_values);
        if (e == S3_OK)
            e = buf_adds(out, "}");
    } else {
        e = buf_addf(out, "the request's %s is \"%s\"", c->key, c->req->value ? c->req->value : "");
    }
    if (e == S3_OK)
        e = buf_addf(out, "; the policy %s ", c->n_pol_values == 1 ? "value is" : "values are");
    if (e == S3_OK)
        e = add_list(out, c->pol_values, c->n_pol_values);
    return e;
}

static s3_err describe_near(struct s3_buf *out, const struct authz_match *m,
                            const struct authz_ctx *ctx)
{
    const struct pol_stmt *st = (m->policy && m->stmt < m->policy->n_stmts)
                                    ? &m->policy->stmts[m->stmt] : NULL;
    s3_err e = buf_adds(out, "  - ");

    if (e == S3_OK)
        e = describe_stmt(out, m);
    if (e != S3_OK)
        return e;
    switch (m->miss) {
    case AUTHZ_MISS_NONE:
        e = buf_adds(out, " allows it, but that alone is not enough here");
        break;
    case AUTHZ_MISS_CONDITION:
        e = buf_adds(out, " matches the action and resource, but its ");
        if (e == S3_OK)
            e = describe_cond(out, &m->cond);
        break;
    case AUTHZ_MISS_PRINCIPAL:
        e = buf_adds(out, " matches the action and resource, but its Principal does not name "
                          "the caller");
        break;
    case AUTHZ_MISS_BLOCKED:
        e = buf_adds(out, " would allow it, but the policy is public and RestrictPublicBuckets "
                          "ignores its grants for callers outside the owner account");
        break;
    case AUTHZ_MISS_RESOURCE:
        e = buf_addf(out, " matches the action, but its %s {",
                     st && st->not_resource ? "NotResource excludes the resource" : "Resource");
        for (uint32_t i = 0; st && i < st->n_resources && e == S3_OK; i++)
            e = buf_addf(out, "%s\"%s\"", i ? ", " : "", st->resources[i].raw);
        if (e == S3_OK)
            e = buf_addf(out, "} %s \"%s\"", st && st->not_resource ? "covers" : "does not match",
                         m->check == AUTHZ_CHECK_BUCKET && ctx->bucket_resource
                             ? ctx->bucket_resource : ctx->resource);
        break;
    }
    if (e == S3_OK)
        e = buf_adds(out, "\n");
    return e;
}

static const char *why_text(const struct authz_result *r, const struct authz_ctx *ctx)
{
    int anon = ctx->principal_kind == AUTHZ_ANONYMOUS;

    if (r->decision == AUTHZ_IMPLICIT_DENY && r->check == AUTHZ_CHECK_BUCKET &&
        r->reason != AUTHZ_R_PUBLIC_BLOCKED)
        return "the access point check passed but the bucket check did not: a request through "
               "an access point also needs the bucket's permission, from a bucket policy that "
               "delegates to access points (Principal \"*\" with an s3:DataAccessPointAccount or "
               "s3:DataAccessPointArn condition) or repeats the grant, or from an identity-based "
               "policy that allows the bucket ARN.";
    if (r->decision == AUTHZ_IMPLICIT_DENY && r->check == AUTHZ_CHECK_ACCESS_POINT &&
        r->reason == AUTHZ_R_NO_IDENTITY_ALLOW)
        return "the access point check failed: the access point policy (naming the caller) or an "
               "identity-based policy must allow the access point ARN; object requests use "
               "ACCESS-POINT-ARN/object/KEY, so a grant on the bucket ARN does not apply here.";

    switch (r->reason) {
    case AUTHZ_R_ALLOWED:
        return "an Allow statement applies and no Deny does.";
    case AUTHZ_R_ROOT:
        return "the caller is the root user of the account that owns the resource; it needs no "
               "policy (only an explicit Deny in a resource-based policy stops it).";
    case AUTHZ_R_ROOT_LOCKOUT:
        return "the bucket owner's root user may always read, replace and delete the bucket "
               "policy, even when the policy denies it, so a bad policy can be repaired.";
    case AUTHZ_R_DENY_IDENTITY:
    case AUTHZ_R_DENY_SESSION:
    case AUTHZ_R_DENY_RESOURCE:
        return "a Deny statement applies, and an explicit Deny overrides every Allow.";
    case AUTHZ_R_NO_SESSION_ALLOW:
        return "the role's policies allow it but the session policy passed at AssumeRole does "
               "not; a session policy can only narrow what the role allows.";
    case AUTHZ_R_PUBLIC_BLOCKED:
        return "the resource-based policy is public and RestrictPublicBuckets is on: its "
               "grants count only for callers in the owner account(s) and AWS services.";
    case AUTHZ_R_NO_RESOURCE_ALLOW:
        if (anon)
            return "nothing allows it: anonymous requests are allowed only by a "
                   "resource-based policy statement whose Principal is \"*\".";
        return "nothing allows it: the caller and the resource are in different accounts, so "
               "besides the caller's own identity-based policies, the resource-based policy "
               "must grant it to the caller, its account or \"*\".";
    case AUTHZ_R_NO_IDENTITY_ALLOW:
    default:
        if (!r->same_account && !anon)
            return "nothing allows it: the caller and the resource are in different accounts, "
                   "so the caller's identity-based policies must allow it as well as the "
                   "resource-based policy.";
        return "nothing allows it (an implicit deny): within one account, an identity-based "
               "policy of the user, its groups or role, or a resource-based policy naming the "
               "caller, must allow the action on this resource.";
    }
}

s3_err authz_explain(const struct authz_result *r, const struct authz_ctx *ctx,
                     struct s3_buf *out)
{
    s3_err e;

    e = buf_addf(out, "Decision: %s for %s on %s by %s\n", authz_decision_name(r->decision),
                 ctx->action ? ctx->action : "?", ctx->resource ? ctx->resource : "?",
                 ctx->principal_arn ? ctx->principal_arn : "an anonymous caller");
    if (e == S3_OK)
        e = buf_addf(out, "Why: %s\n", why_text(r, ctx));
    if (e == S3_OK && ctx->access_point_arn && ctx->bucket_resource) {
        e = buf_addf(out, "The request came through access point %s, so it must pass two checks: "
                          "the access point check (resource %s, access point policy) and the "
                          "bucket check (resource %s, bucket policy).%s\n",
                     ctx->access_point_arn, ctx->resource, ctx->bucket_resource,
                     r->decision == AUTHZ_ALLOW ? ""
                     : r->check == AUTHZ_CHECK_ACCESS_POINT ? " The access point check failed."
                                                            : " The bucket check failed.");
    }
    if (e == S3_OK && r->decision != AUTHZ_ALLOW) {
        char phrase[256];
        authz_reason_phrase(r, ctx->action, phrase, sizeof phrase);
        e = buf_addf(out, "AWS says: ... %s\n", phrase);
    }
    if (e == S3_OK && r->n_deciding > 0) {
        e = buf_addf(out, "%s:\n", r->decision == AUTHZ_ALLOW ? "Allowed by" : "Denied by");
        for (size_t i = 0; i < r->n_deciding && i < AUTHZ_MAX_MATCHES && e == S3_OK; i++) {
            e = buf_adds(out, "  - ");
            if (e == S3_OK)
                e = describe_stmt(out, &r->deciding[i]);
            if (e == S3_OK)
                e = buf_adds(out, "\n");
        }
    }
    if (e == S3_OK && r->decision == AUTHZ_IMPLICIT_DENY) {
        if (r->n_near == 0)
            e = buf_adds(out, "No statement of any policy in force mentions this action.\n");
        else
            e = buf_adds(out, "Closest statements:\n");
        for (size_t i = 0; i < r->n_near && e == S3_OK; i++)
            e = describe_near(out, &r->near[i], ctx);
    }
    if (e == S3_OK && r->n_missing > 0) {
        e = buf_adds(out, "Condition keys the request does not carry:");
        for (size_t i = 0; i < r->n_missing && e == S3_OK; i++)
            e = buf_addf(out, " %s", r->missing[i]);
        if (e == S3_OK)
            e = buf_adds(out, "\n");
    }
    return e;
}
