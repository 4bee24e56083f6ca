/*
 * auth/policy_case.c - the policy-cases file format -> compiled policies + authz_ctx.
 */
#include "config.h"
#include "auth/policy_case.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/arn.h"
#include "auth/policy_int.h"

struct case_mem {
    struct pol_arena arena;
    struct policy **all;  /* every compiled policy, for release */
    size_t n_all, cap_all;
};

static char *dup_str(struct case_mem *m, const char *s)
{
    return s ? pa_strndup(&m->arena, s, strlen(s)) : NULL;
}

static int keep_policy(struct case_mem *m, struct policy *p)
{
    if (m->n_all == m->cap_all) {
        size_t cap = m->cap_all ? m->cap_all * 2 : 16;
        struct policy **a = realloc(m->all, cap * sizeof *a);
        if (a == NULL)
            return 0;
        m->all = a;
        m->cap_all = cap;
    }
    m->all[m->n_all++] = p;
    return 1;
}

int policy_decision_parse(const char *s, enum authz_decision *out)
{
    if (s == NULL)
        return 0;
    if (strcmp(s, "Allow") == 0)
        *out = AUTHZ_ALLOW;
    else if (strcmp(s, "ExplicitDeny") == 0)
        *out = AUTHZ_EXPLICIT_DENY;
    else if (strcmp(s, "ImplicitDeny") == 0)
        *out = AUTHZ_IMPLICIT_DENY;
    else
        return 0;
    return 1;
}

/* Compile each policy object of a JSON array.  Returns 0 and sets c->load_error on failure. */
static int load_policies(struct case_mem *m, struct policy_case *c, json_t *arr,
                         enum policy_kind kind, const char *what, struct policy ***out, size_t *n)
{
    size_t cnt = json_is_array(arr) ? json_array_size(arr) : 0;

    *out = NULL;
    *n = 0;
    if (cnt == 0)
        return 1;
    *out = pa_alloc(&m->arena, cnt * sizeof **out);
    if (*out == NULL)
        return 0;
    for (size_t i = 0; i < cnt; i++) {
        struct policy_validate_opts opts = { 0 };
        struct policy_diag diag;
        struct policy *p = NULL;
        char src[64], errbuf[700];
        char *text = json_dumps(json_array_get(arr, i), JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        s3_err e;

        if (text == NULL)
            return 0;
        if (cnt > 1)
            snprintf(src, sizeof src, "%s #%zu", what, i + 1);
        else
            snprintf(src, sizeof src, "%s", what);
        /* Cases state documents, not PutPolicy calls: allow old Versions and any size. */
        opts.flags = POLICY_F_ALLOW_OLD_VERSION | POLICY_F_NO_SIZE_LIMIT;
        e = policy_compile(text, strlen(text), kind, &opts, src, &p, &diag);
        free(text);
        if (e != S3_OK) {
            snprintf(errbuf, sizeof errbuf, "%s does not compile: line %d: %s (%s)", src,
                     diag.errors[0].line, diag.errors[0].message, diag.errors[0].detail);
            c->load_error = dup_str(m, errbuf);
            return 0;
        }
        if (!keep_policy(m, p)) {
            policy_free(p);
            return 0;
        }
        (*out)[(*n)++] = p;
    }
    return 1;
}

static const char *value_text(struct case_mem *m, json_t *v)
{
    char buf[64];
    if (json_is_string(v))
        return dup_str(m, json_string_value(v));
    if (json_is_true(v))
        return "true";
    if (json_is_false(v))
        return "false";
    if (json_is_integer(v)) {
        snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return dup_str(m, buf);
    }
    if (json_is_real(v)) {
        snprintf(buf, sizeof buf, "%.17g", json_real_value(v));
        return dup_str(m, buf);
    }
    return NULL;
}

static int load_context(struct case_mem *m, struct policy_case *c, json_t *jc)
{
    struct authz_ctx *ctx = &c->ctx;
    json_t *keys = json_object_get(jc, "keys"), *ap = json_object_get(jc, "accessPoint");
    json_t *bpa = json_object_get(jc, "blockPublicAccess"), *v;
    const char *principal = json_string_value(json_object_get(jc, "principal"));
    const char *k;
    size_t i = 0;

    ctx->action = dup_str(m, json_string_value(json_object_get(jc, "action")));
    ctx->resource = dup_str(m, json_string_value(json_object_get(jc, "resource")));
    ctx->resource_account = dup_str(m, json_string_value(json_object_get(jc, "resourceAccount")));
    if (ctx->action == NULL || ctx->resource == NULL) {
        c->load_error = "context needs action and resource";
        return 1;
    }
    if (json_is_object(keys) && json_object_size(keys) > 0) {
        struct authz_key *ks = pa_alloc(&m->arena, json_object_size(keys) * sizeof *ks);
        if (ks == NULL)
            return 0;
        json_object_foreach(keys, k, v) {
            ks[i].name = dup_str(m, k);
            ks[i].name_len = strlen(k);
            if (json_is_array(v)) {
                size_t n = json_array_size(v);
                const char **vals = pa_alloc(&m->arena, (n ? n : 1) * sizeof *vals);
                if (vals == NULL)
                    return 0;
                for (size_t j = 0; j < n; j++)
                    if ((vals[j] = value_text(m, json_array_get(v, j))) == NULL)
                        vals[j] = "";
                ks[i].values = vals;
                ks[i].n_values = n;
            } else {
                ks[i].value = value_text(m, v);
            }
            i++;
        }
        ctx->keys = ks;
        ctx->n_keys = i;
    }
    if (principal == NULL || strcmp(principal, "anonymous") == 0) {
        ctx->principal_kind = AUTHZ_ANONYMOUS;
    } else {
        struct s3_str acct;
        enum arn_principal t = arn_principal_classify(principal, strlen(principal), &acct);
        const struct authz_key *pk = authz_key_find(ctx, "aws:PrincipalAccount", 20);
        const struct authz_key *pa = authz_key_find(ctx, "aws:PrincipalArn", 16);
        ctx->principal_arn = dup_str(m, principal);
        ctx->principal_account = pk && pk->value ? pk->value : pa_strndup(&m->arena, acct.p, acct.len);
        switch (t) {
        case ARN_PRINCIPAL_ACCOUNT:
            ctx->principal_kind = AUTHZ_ROOT;
            break;
        case ARN_PRINCIPAL_ASSUMED_ROLE:
            ctx->principal_kind = AUTHZ_ROLE_SESSION;
            ctx->role_arn = pa ? pa->value : NULL;
            break;
        case ARN_PRINCIPAL_FEDERATED_USER:
            ctx->principal_kind = AUTHZ_FEDERATED;
            break;
        default:
            ctx->principal_kind = AUTHZ_USER;
            break;
        }
    }
    if (json_is_object(ap)) {
        ctx->access_point_arn = dup_str(m, json_string_value(json_object_get(ap, "arn")));
        ctx->bucket_resource = dup_str(m, json_string_value(json_object_get(ap, "bucketResource")));
    }
    if (json_is_true(json_object_get(bpa, "RestrictPublicBuckets")))
        ctx->bpa |= AUTHZ_BPA_RESTRICT_PUBLIC_BUCKETS;
    return 1;
}

s3_err policy_cases_load(const char *path, struct policy_case_set *set, char *err, size_t errlen)
{
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    struct case_mem *m = NULL;
    s3_err ret = S3E_NOMEM;

    memset(set, 0, sizeof *set);
    if (root == NULL) {
        snprintf(err, errlen, "%s:%d:%d: %s", path, je.line, je.column, je.text);
        return S3E_INVALID_ARGUMENT;
    }
    if (!json_is_array(root)) {
        snprintf(err, errlen, "%s: expected a JSON array of cases", path);
        json_decref(root);
        return S3E_INVALID_ARGUMENT;
    }
    m = calloc(1, sizeof *m);
    if (m == NULL)
        goto out;
    set->priv = m;
    set->n = json_array_size(root);
    set->cases = pa_alloc(&m->arena, (set->n ? set->n : 1) * sizeof *set->cases);
    if (set->cases == NULL)
        goto out;
    for (size_t i = 0; i < set->n; i++) {
        struct policy_case *c = &set->cases[i];
        json_t *jc = json_array_get(root, i), *pols = json_object_get(jc, "policies");

        c->name = dup_str(m, json_string_value(json_object_get(jc, "name")));
        c->why = dup_str(m, json_string_value(json_object_get(jc, "why")));
        if (c->name == NULL)
            c->name = "(unnamed)";
        if (!policy_decision_parse(json_string_value(json_object_get(jc, "expected")),
                                   &c->expected)) {
            c->load_error = "\"expected\" must be Allow, ExplicitDeny or ImplicitDeny";
            continue;
        }
        if (!load_policies(m, c, json_object_get(pols, "identity"), POLICY_IDENTITY,
                           "identity policy", &c->identity, &c->n_identity) ||
            !load_policies(m, c, json_object_get(pols, "resource"), POLICY_RESOURCE_BUCKET,
                           "bucket policy", &c->resource, &c->n_resource) ||
            !load_policies(m, c, json_object_get(pols, "accessPoint"), POLICY_ACCESS_POINT,
                           "access point policy", &c->access_point, &c->n_access_point)) {
            if (c->load_error == NULL)
                goto out;
            continue;
        }
        c->pols.identity = (const struct policy *const *)c->identity;
        c->pols.n_identity = c->n_identity;
        c->pols.resource = (const struct policy *const *)c->resource;
        c->pols.n_resource = c->n_resource;
        c->pols.access_point = (const struct policy *const *)c->access_point;
        c->pols.n_access_point = c->n_access_point;
        if (!load_context(m, c, json_object_get(jc, "context")))
            goto out;
    }
    ret = S3_OK;
out:
    json_decref(root);
    if (ret != S3_OK) {
        snprintf(err, errlen, "%s: out of memory", path);
        policy_cases_release(set);
    }
    return ret;
}

void policy_cases_release(struct policy_case_set *set)
{
    struct case_mem *m;

    if (set == NULL || set->priv == NULL)
        return;
    m = set->priv;
    for (size_t i = 0; i < m->n_all; i++)
        policy_free(m->all[i]);
    free(m->all);
    pa_release(&m->arena);
    free(m);
    memset(set, 0, sizeof *set);
}

void policy_case_run(const struct policy_case *c, struct authz_result *out)
{
    authz_evaluate(&c->pols, &c->ctx, out);
}
