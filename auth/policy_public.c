/*
 * auth/policy_public.c - is a bucket or access point policy "public" (doc 4.6)?
 *
 * S3 starts from "public" and calls a statement non-public only when it grants access to
 * fixed values of certain principals or condition keys (Block Public Access, "The meaning of
 * public").  A fixed value has no wildcard and no policy variable.  Only statements that
 * allow "bad" actions (s3:Get*, s3:List*, s3:Put*, s3:Delete*, s3:AbortMultipartUpload,
 * s3:RestoreObject) count.  Which operators "fix" a value is not documented; this reading
 * takes positive, non-IfExists operators of the String, Arn and IpAddress families.
 */
#include "config.h"
#include "auth/policy.h"

#include <stdio.h>
#include <string.h>

#include "auth/arn.h"
#include "auth/glob.h"
#include "auth/policy_int.h"

static int ieq_n(const char *a, size_t an, const char *b)
{
    size_t bn = strlen(b);
    if (an != bn)
        return 0;
    for (size_t i = 0; i < an; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (x >= 'A' && x <= 'Z')
            x = (unsigned char)(x + 32);
        if (x != y)
            return 0;
    }
    return 1;
}

static int bad_action_name(const char *name)
{
    return strncmp(name, "Get", 3) == 0 || strncmp(name, "List", 4) == 0 ||
           strncmp(name, "Put", 3) == 0 || strncmp(name, "Delete", 6) == 0 ||
           strcmp(name, "AbortMultipartUpload") == 0 || strcmp(name, "RestoreObject") == 0;
}

static int action_pattern_matches(const struct pol_action *a, const char *name)
{
    char full[96];
    int n = snprintf(full, sizeof full, "s3:%s", name);
    if (n < 0 || (size_t)n >= sizeof full)
        return 0;
    return glob_match_ex(a->text, a->len, NULL, full, (size_t)n, GLOB_NOCASE);
}

/* Does the statement allow at least one "bad" S3 action? */
static int grants_bad_action(const struct pol_stmt *st)
{
    for (size_t i = 0; i < s3_action_count(); i++) {
        const struct s3_action_info *ai = s3_action_at(i);
        int hit = 0;
        if (!bad_action_name(ai->name))
            continue;
        for (uint32_t j = 0; j < st->n_actions && !hit; j++)
            hit = action_pattern_matches(&st->actions[j], ai->name);
        if (st->not_action ? !hit : hit)
            return 1;
    }
    return 0;
}

static int wide_principal(const struct pol_stmt *st)
{
    if (st->principal_mode == PM_NOT_PRINCIPAL)
        return 1;
    if (st->principal_mode != PM_PRINCIPAL)
        return 0;
    for (uint32_t i = 0; i < st->n_principals; i++)
        if (st->principals[i].type == PP_STAR)
            return 1;
    return 0;
}

static const char *const fixed_keys[] = {
    "aws:sourceip", "aws:sourcearn", "aws:sourcevpc", "aws:sourcevpce", "aws:sourceowner",
    "aws:sourceaccount", "aws:principalorgid", "aws:userid", "s3:dataaccesspointarn",
    "s3:dataaccesspointaccount", "s3:x-amz-server-side-encryption-aws-kms-key-id",
};

/* Is this one condition value a fixed value for key? */
static int value_fixed(const struct pol_cond *c, const struct pol_cval *v, enum policy_kind kind)
{
    const char *t = v->pat.text;
    size_t n = v->pat.len;

    if (!v->ok || (v->pat.flags & PAT_VARS))
        return 0;
    if (c->base == CB_IP) {
        if (!ieq_n(c->key, c->key_len, "aws:sourceip"))
            return 0;
        return v->cidr.family == 4 ? v->cidr.prefix >= 8 : v->cidr.prefix >= 32;
    }
    if (!glob_has_wildcard(t, n, v->pat.lit))
        return 1;
    if (ieq_n(c->key, c->key_len, "aws:userid")) {
        /* "AROLEID:*" (every session of one role) still names one principal */
        return n > 2 && t[n - 2] == ':' && t[n - 1] == '*' &&
               !glob_has_wildcard(t, n - 2, v->pat.lit);
    }
    if (ieq_n(c->key, c->key_len, "s3:dataaccesspointarn") && kind == POLICY_RESOURCE_BUCKET) {
        /* In a bucket policy every access point of a fixed account may be allowed. */
        struct arn a;
        if (!arn_split(t, n, &a))
            return 0;
        for (int i = ARN_PREFIX; i < ARN_RESOURCE; i++)
            if (glob_has_wildcard(a.part[i].p, a.part[i].len, NULL))
                return 0;
        return a.part[ARN_ACCOUNT].len > 0 && a.part[ARN_RESOURCE].len > 12 &&
               memcmp(a.part[ARN_RESOURCE].p, "accesspoint/", 12) == 0;
    }
    return 0;
}

static int fixing_condition(const struct pol_stmt *st, enum policy_kind kind)
{
    for (uint32_t i = 0; i < st->n_conds; i++) {
        const struct pol_cond *c = &st->conds[i];
        int key_ok = 0, all = 1;
        if (c->negated || c->if_exists || c->set == SET_ALL || c->n_vals == 0)
            continue;
        if (c->base != CB_STR_EQ && c->base != CB_STR_EQ_IC && c->base != CB_STR_LIKE &&
            c->base != CB_ARN && c->base != CB_IP)
            continue;
        for (size_t k = 0; k < sizeof fixed_keys / sizeof fixed_keys[0]; k++)
            if (ieq_n(c->key, c->key_len, fixed_keys[k]))
                key_ok = 1;
        if (!key_ok)
            continue;
        for (uint32_t j = 0; j < c->n_vals && all; j++)
            all = value_fixed(c, &c->vals[j], kind);
        if (all)
            return 1;
    }
    return 0;
}

int policy_is_public(const struct policy *p, enum policy_kind kind)
{
    if (p == NULL)
        return 0;
    for (uint32_t i = 0; i < p->n_stmts; i++) {
        const struct pol_stmt *st = &p->stmts[i];
        if (!st->allow || !wide_principal(st))
            continue;
        if (!grants_bad_action(st))
            continue;
        if (fixing_condition(st, kind))
            continue;
        return 1;
    }
    return 0;
}
