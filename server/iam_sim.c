/*
 * server/iam_sim.c - the IAM policy simulator (SimulatePrincipalPolicy, SimulateCustomPolicy),
 * the context-key reports (GetContextKeysFor*Policy), GetAccountSummary and
 * GetAccountAuthorizationDetails.
 *
 * The simulator runs on the same engine that enforces (authz_evaluate), with the documented
 * differences of IAM's simulator (doc 7): request keys such as aws:CurrentTime, aws:SourceIp or
 * aws:RequestedRegion are not filled in (they come from ContextEntries, and a condition on a
 * missing one shows up in MissingContextValues).  s3iam does fill in the simulated principal's
 * own keys (aws:username, aws:userid, aws:PrincipalArn, aws:PrincipalAccount,
 * aws:PrincipalType) unless ContextEntries give them, so that ${aws:username} statements
 * simulate as they enforce.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/authz.h"
#include "server/iam_int.h"

/* ------------------------------------------------------------------ shared parts */

/* One extra policy of the simulation with where it came from. */
struct sim_pol {
    struct policy *p;
    char id[64];
    const char *type;          /* SourcePolicyType */
};

struct sim {
    struct qreq *q;
    struct iam_identity id;    /* PolicySourceArn's policies (principal simulation) */
    int have_id;
    struct sim_pol inputs[32]; /* PolicyInputList */
    size_t n_inputs;
    struct policy *resource;   /* ResourcePolicy */
    const struct policy **idp; /* identity policies: id.pols + inputs */
    size_t n_idp;
    struct az z;               /* key storage only (az_begin is not used: no request keys) */
    int z_ready;
    char owner[13];
};

static void sim_release(struct sim *s)
{
    for (size_t i = 0; i < s->n_inputs; i++)
        policy_free(s->inputs[i].p);
    policy_free(s->resource);
    free(s->idp);
    if (s->have_id)
        iam_identity_release(&s->id);
    if (s->z_ready)
        az_end(&s->z);
}

static s3_err compile_input(struct qreq *q, const char *text, enum policy_kind kind, const char *src,
                            struct policy **out)
{
    struct policy_diag diag;
    struct policy_validate_opts o;
    memset(&o, 0, sizeof(o));
    o.flags = POLICY_F_ALLOW_OLD_VERSION | POLICY_F_NO_SIZE_LIMIT | POLICY_F_NO_S3_CHECKS;
    if (policy_compile(text, strlen(text), kind, &o, src, out, &diag) == S3_OK)
        return S3_OK;
    if (diag.n_errors && diag.errors[0].line)
        return req_fail(q->r, S3E_IAM_MALFORMED_POLICY, "%s: %s (line %d, column %d%s%s)", src,
                        diag.errors[0].message, diag.errors[0].line, diag.errors[0].column,
                        diag.errors[0].detail[0] ? ": " : "", diag.errors[0].detail);
    return req_fail(q->r, S3E_IAM_MALFORMED_POLICY, "%s: %s", src,
                    diag.n_errors ? diag.errors[0].message : "Syntax errors in policy.");
}

/* PolicyInputList and ResourcePolicy. */
static s3_err sim_inputs(struct sim *s)
{
    struct iam_strs docs = { 0 };
    const char *rp = q_get(s->q, "ResourcePolicy");
    s3_err e = S3_OK;

    if ((e = q_list(s->q, "PolicyInputList", &docs)) != S3_OK)
        goto out;
    if (docs.n > sizeof(s->inputs) / sizeof(s->inputs[0])) {
        e = req_fail(s->q->r, S3E_IAM_INVALID_INPUT, "At most 32 policies can be simulated at once.");
        goto out;
    }
    for (size_t i = 0; i < docs.n; i++) {
        struct sim_pol *sp = &s->inputs[s->n_inputs];
        snprintf(sp->id, sizeof(sp->id), "PolicyInputList.%zu", i + 1);
        sp->type = "IAM Policy";
        if ((e = compile_input(s->q, docs.v[i], POLICY_IDENTITY, sp->id, &sp->p)) != S3_OK)
            goto out;
        s->n_inputs++;
    }
    if (rp && (e = compile_input(s->q, rp, POLICY_RESOURCE_BUCKET, "ResourcePolicy", &s->resource)) != S3_OK)
        goto out;
    s->n_idp = (s->have_id ? s->id.n_pols : 0) + s->n_inputs;
    if ((s->idp = calloc(s->n_idp + 1, sizeof(*s->idp))) == NULL) {
        e = req_fail(s->q->r, S3E_NOMEM, NULL);
        goto out;
    }
    s->n_idp = 0;
    for (size_t i = 0; s->have_id && i < s->id.n_pols; i++)
        s->idp[s->n_idp++] = s->id.pols[i];
    for (size_t i = 0; i < s->n_inputs; i++)
        s->idp[s->n_idp++] = s->inputs[i].p;
out:
    iam_strs_release(&docs);
    return e;
}

/* ContextEntries.member.N.{ContextKeyName, ContextKeyValues.member.M, ContextKeyType}. */
static s3_err sim_context(struct sim *s)
{
    char name[128];
    for (int i = 1; i <= 1000; i++) {
        const char *key, *type;
        struct iam_strs vals = { 0 };
        snprintf(name, sizeof(name), "ContextEntries.member.%d.ContextKeyName", i);
        if ((key = q_get(s->q, name)) == NULL)
            break;
        snprintf(name, sizeof(name), "ContextEntries.member.%d.ContextKeyType", i);
        type = q_get(s->q, name);
        snprintf(name, sizeof(name), "ContextEntries.member.%d.ContextKeyValues", i);
        if (q_list(s->q, name, &vals) != S3_OK)
            return req_fail(s->q->r, S3E_NOMEM, NULL);
        if (type && strlen(type) > 4 && !strcmp(type + strlen(type) - 4, "List"))
            az_keyv(&s->z, key, (const char *const *)vals.v, vals.n);
        else if (vals.n)
            az_key(&s->z, key, vals.v[0]);
        iam_strs_release(&vals);
    }
    return S3_OK;
}

static int have_key(const struct sim *s, const char *name)
{
    for (size_t i = 0; i < s->z.c.n_keys; i++)
        if (!strcasecmp(s->z.keys[i].name, name))
            return 1;
    return 0;
}

static void default_key(struct sim *s, const char *name, const char *value)
{
    if (value && value[0] && !have_key(s, name))
        az_key(&s->z, name, value);
}

static const char *decision_word(enum authz_decision d)
{
    return d == AUTHZ_ALLOW ? "allowed" : d == AUTHZ_EXPLICIT_DENY ? "explicitDeny" : "implicitDeny";
}

/* SourcePolicyId / SourcePolicyType of a matched policy. */
static void source_of(const struct sim *s, const struct policy *p, const char **id, const char **type)
{
    static const char *const types[] = { "user", "group", "role", "aws-managed", "user-managed", "none", "IAM Policy",
                                         "resource" };
    *id = policy_source(p);
    *type = "none";
    for (size_t i = 0; s->have_id && i < s->id.n_pols; i++)
        if (s->id.pols[i] == p) {
            *id = s->id.srcs[i].id;
            *type = types[s->id.srcs[i].type];
            return;
        }
    for (size_t i = 0; i < s->n_inputs; i++)
        if (s->inputs[i].p == p) {
            *id = s->inputs[i].id;
            *type = s->inputs[i].type;
            return;
        }
    if (p == s->resource) {
        *id = "ResourcePolicy";
        *type = "resource";
    }
}

static void write_result(struct sim *s, const char *action, const char *resource)
{
    struct xml_w *w = &s->q->w;
    struct authz_policies pols;
    struct authz_result res;
    const struct policy *rp[1] = { s->resource };

    memset(&pols, 0, sizeof(pols));
    pols.identity = s->idp;
    pols.n_identity = s->n_idp;
    pols.resource = rp;
    pols.n_resource = s->resource ? 1 : 0;
    s->z.c.action = action;
    s->z.c.resource = resource;
    s->z.c.flags = AUTHZ_F_ALL_MATCHES;
    authz_evaluate(&pols, &s->z.c, &res);

    xw_open(w, "member");
    xw_elem(w, "EvalActionName", action);
    xw_elem(w, "EvalResourceName", resource);
    xw_elem(w, "EvalDecision", decision_word(res.decision));
    xw_open(w, "MatchedStatements");
    for (size_t i = 0; res.decision != AUTHZ_IMPLICIT_DENY && i < res.n_deciding && i < AUTHZ_MAX_MATCHES; i++) {
        struct policy_stmt_info si;
        const char *id, *type;
        const struct authz_match *m = &res.deciding[i];
        source_of(s, m->policy, &id, &type);
        xw_open(w, "member");
        xw_elem(w, "SourcePolicyId", id ? id : "");
        xw_elem(w, "SourcePolicyType", type);
        if (policy_statement_info(m->policy, m->stmt, &si)) {
            xw_open(w, "StartPosition");
            xw_elemf(w, "Line", "%d", si.line);
            xw_elemf(w, "Column", "%d", si.column);
            xw_close(w);
            xw_open(w, "EndPosition");
            xw_elemf(w, "Line", "%d", si.end_line);
            xw_elemf(w, "Column", "%d", si.end_column);
            xw_close(w);
        }
        xw_close(w);
    }
    xw_close(w);
    xw_open(w, "MissingContextValues");
    for (size_t i = 0; i < res.n_missing && i < AUTHZ_MAX_MISSING; i++)
        xw_elem(w, "member", res.missing[i]);
    xw_close(w);
    if (s->resource) {
        /* Each side on its own, as IAM reports it when a resource policy takes part. */
        struct authz_result side;
        xw_open(w, "EvalDecisionDetails");
        pols.n_resource = 0;
        authz_evaluate(&pols, &s->z.c, &side);
        xw_open(w, "entry");
        xw_elem(w, "key", "IAM Policy");
        xw_elem(w, "value", decision_word(side.decision));
        xw_close(w);
        pols.n_resource = 1;
        pols.n_identity = 0;
        authz_evaluate(&pols, &s->z.c, &side);
        xw_open(w, "entry");
        xw_elem(w, "key", "Resource Policy");
        xw_elem(w, "value", decision_word(side.decision));
        xw_close(w);
        xw_close(w);
    }
    xw_open(w, "OrganizationsDecisionDetail");
    xw_elem_bool(w, "AllowedByOrganizations", 1);
    xw_close(w);
    xw_open(w, "PermissionsBoundaryDecisionDetail");
    xw_elem_bool(w, "AllowedByPermissionsBoundary", 1);
    xw_close(w);
    xw_close(w);
}

/* Account id of ResourceOwner ("arn:aws:iam::ACCOUNT:root" or an id). */
static void owner_of(struct sim *s)
{
    const char *o = q_get(s->q, "ResourceOwner");
    snprintf(s->owner, sizeof(s->owner), "%s", s->q->account);
    if (o && !strncmp(o, "arn:aws:iam::", 13) && strlen(o) >= 25)
        snprintf(s->owner, sizeof(s->owner), "%.12s", o + 13);
    else if (o && strlen(o) == 12)
        snprintf(s->owner, sizeof(s->owner), "%s", o);
}

/* Evaluate every ActionNames x ResourceArns pair (context keys already set). */
static s3_err simulate(struct sim *s)
{
    struct iam_strs actions = { 0 }, resources = { 0 };
    struct q_page pg;
    size_t total;
    s3_err e;

    if ((e = q_list(s->q, "ActionNames", &actions)) != S3_OK || (e = q_list(s->q, "ResourceArns", &resources)) != S3_OK)
        goto out;
    if (actions.n == 0) {
        e = req_fail(s->q->r, S3E_IAM_VALIDATION, "1 validation error detected: Value null at 'actionNames' failed to "
                                                  "satisfy constraint: Member must not be null");
        goto out;
    }
    if (resources.n == 0 && (e = iam_strs_add(&resources, "*")) != S3_OK)
        goto out;
    owner_of(s);
    s->z.c.resource_account = s->owner;
    total = actions.n * resources.n;
    if ((e = q_page_begin(s->q, total, &pg)) != S3_OK)
        goto out;
    q_begin(s->q, IAM_NS, 1);
    xw_open(&s->q->w, "EvaluationResults");
    for (size_t i = pg.start; i < pg.end; i++)
        write_result(s, actions.v[i / resources.n], resources.v[i % resources.n]);
    xw_close(&s->q->w);
    q_page_end(s->q, &pg);
    q_end(s->q);
out:
    iam_strs_release(&actions);
    iam_strs_release(&resources);
    return e;
}

/* The simulated caller: CallerArn (a user) when given, else the fallback. */
static s3_err sim_caller(struct sim *s, const char *fallback_arn, enum authz_principal_kind fallback_kind)
{
    const char *caller = q_get(s->q, "CallerArn");
    struct az *z = &s->z;
    char *own;

    memset(z, 0, sizeof(*z));
    z->r = s->q->r;
    z->c.keys = z->keys;
    s->z_ready = 1;
    if (caller && (strncmp(caller, "arn:aws:iam::", 13) != 0 || !strstr(caller, ":user/")))
        return req_fail(s->q->r, S3E_IAM_INVALID_INPUT, "CallerArn must be the ARN of an IAM user: %s", caller);
    if ((own = strdup(caller ? caller : fallback_arn)) == NULL ||
        (z->own = calloc(1, sizeof(*z->own))) == NULL) {
        free(own);
        return req_fail(s->q->r, S3E_NOMEM, NULL);
    }
    z->own[z->n_own++] = own;   /* freed by az_end with the keys */
    z->c.principal_kind = caller ? AUTHZ_USER : fallback_kind;
    z->c.principal_arn = own;
    z->c.principal_account = s->q->account;
    return S3_OK;
}

/* ------------------------------------------------------------------ the simulator actions */

s3_err iam_SimulatePrincipalPolicy(struct qreq *q)
{
    struct sim s;
    const char *src;
    s3_err e;

    memset(&s, 0, sizeof(s));
    s.q = q;
    if ((e = q_need(q, "PolicySourceArn", &src)) != S3_OK ||
        (e = q_authz(q, "iam:SimulatePrincipalPolicy", src, NULL, 0)) != S3_OK)
        return e;
    if ((e = iam_identity_of_arn(q->db, q->account, src, &s.id)) != S3_OK) {
        if (e == S3E_IAM_NO_SUCH_ENTITY)
            return req_fail(q->r, e, "The entity %s cannot be found.", src);
        return req_fail(q->r, S3E_IAM_INVALID_INPUT, "PolicySourceArn must name an IAM user, group or role: %s", src);
    }
    s.have_id = 1;
    if (strstr(src, ":group/") && q_get(q, "ResourcePolicy") && !q_get(q, "CallerArn")) {
        e = req_fail(q->r, S3E_IAM_INVALID_INPUT, "CallerArn is required when a ResourcePolicy is given and "
                                                  "PolicySourceArn is not a user.");
        goto out;
    }
    if ((e = sim_caller(&s, s.id.arn, s.id.kind)) != S3_OK || (e = sim_inputs(&s)) != S3_OK ||
        (e = sim_context(&s)) != S3_OK)
        goto out;
    if (s.id.kind == AUTHZ_ROLE_SESSION)
        s.z.c.role_arn = s.id.role_arn;
    /* the simulated principal's own keys (see the file comment) */
    default_key(&s, "aws:PrincipalAccount", q->account);
    if (strstr(src, ":user/") && !q_get(q, "CallerArn")) {
        default_key(&s, "aws:username", s.id.name);
        default_key(&s, "aws:userid", s.id.userid);
        default_key(&s, "aws:PrincipalArn", s.id.arn);
        default_key(&s, "aws:PrincipalType", "User");
    } else if (strstr(src, ":role/")) {
        default_key(&s, "aws:PrincipalArn", s.id.role_arn);
        default_key(&s, "aws:PrincipalType", "AssumedRole");
    }
    e = simulate(&s);
out:
    sim_release(&s);
    return e;
}

s3_err iam_SimulateCustomPolicy(struct qreq *q)
{
    struct sim s;
    char fallback[200];
    s3_err e;

    memset(&s, 0, sizeof(s));
    s.q = q;
    if ((e = q_authz(q, "iam:SimulateCustomPolicy", "*", NULL, 0)) != S3_OK)
        return e;
    if (q_get(q, "PolicyInputList.member.1") == NULL)
        return req_fail(q->r, S3E_IAM_VALIDATION, "1 validation error detected: Value null at 'policyInputList' "
                                                  "failed to satisfy constraint: Member must not be null");
    snprintf(fallback, sizeof(fallback), "arn:aws:iam::%s:user/SimulatedUser", q->account);
    if ((e = sim_caller(&s, fallback, AUTHZ_USER)) != S3_OK || (e = sim_inputs(&s)) != S3_OK ||
        (e = sim_context(&s)) != S3_OK)
        goto out;
    default_key(&s, "aws:PrincipalAccount", q->account);
    e = simulate(&s);
out:
    sim_release(&s);
    return e;
}

/* ------------------------------------------------------------------ context keys */

static s3_err write_keys(struct qreq *q, struct iam_strs *keys)
{
    q_begin(q, IAM_NS, 1);
    xw_open(&q->w, "ContextKeyNames");
    for (size_t i = 0; i < keys->n; i++)
        xw_elem(&q->w, "member", keys->v[i]);
    xw_close(&q->w);
    q_end(q);
    return S3_OK;
}

s3_err iam_GetContextKeysForPrincipalPolicy(struct qreq *q)
{
    const char *src;
    struct iam_identity id;
    struct iam_strs docs = { 0 }, keys = { 0 };
    s3_err e;

    if ((e = q_need(q, "PolicySourceArn", &src)) != S3_OK ||
        (e = q_authz(q, "iam:GetContextKeysForPrincipalPolicy", src, NULL, 0)) != S3_OK)
        return e;
    if ((e = iam_identity_of_arn(q->db, q->account, src, &id)) != S3_OK) {
        if (e == S3E_IAM_NO_SUCH_ENTITY)
            return req_fail(q->r, e, "The entity %s cannot be found.", src);
        return req_fail(q->r, S3E_IAM_INVALID_INPUT, "PolicySourceArn must name an IAM user, group or role: %s", src);
    }
    for (size_t i = 0; i < id.n_pols && e == S3_OK; i++)
        if (id.srcs[i].text)
            e = iam_policy_context_keys(id.srcs[i].text, &keys);
    if (e == S3_OK)
        e = q_list(q, "PolicyInputList", &docs);
    for (size_t i = 0; i < docs.n && e == S3_OK; i++)
        e = iam_policy_context_keys(docs.v[i], &keys);
    e = e == S3_OK ? write_keys(q, &keys) : req_fail(q->r, e, NULL);
    iam_identity_release(&id);
    iam_strs_release(&docs);
    iam_strs_release(&keys);
    return e;
}

s3_err iam_GetContextKeysForCustomPolicy(struct qreq *q)
{
    struct iam_strs docs = { 0 }, keys = { 0 };
    s3_err e;
    if ((e = q_authz(q, "iam:GetContextKeysForCustomPolicy", "*", NULL, 0)) != S3_OK)
        return e;
    if ((e = q_list(q, "PolicyInputList", &docs)) == S3_OK && docs.n == 0)
        e = req_fail(q->r, S3E_IAM_VALIDATION, "1 validation error detected: Value null at 'policyInputList' failed "
                                               "to satisfy constraint: Member must not be null");
    for (size_t i = 0; i < docs.n && e == S3_OK; i++)
        e = iam_policy_context_keys(docs.v[i], &keys);
    if (e == S3_OK)
        e = write_keys(q, &keys);
    iam_strs_release(&docs);
    iam_strs_release(&keys);
    return e;
}

/* ------------------------------------------------------------------ account reports */

static void entry(struct xml_w *w, const char *key, size_t value)
{
    xw_open(w, "entry");
    xw_elem(w, "key", key);
    xw_elemf(w, "value", "%zu", value);
    xw_close(w);
}

s3_err iam_GetAccountSummary(struct qreq *q)
{
    const struct iam_account *a;
    size_t versions = 0, naws = iam_aws_policy_count(q->db);
    s3_err e;

    if ((e = q_authz(q, "iam:GetAccountSummary", "*", NULL, 0)) != S3_OK)
        return e;
    if ((a = iam_read_begin(q->db, q->account)) == NULL)
        return req_fail(q->r, S3E_INTERNAL, NULL);
    for (size_t i = 0; i < a->n_policies; i++)
        versions += a->policies[i]->versions.n;
    for (size_t i = 0; i < naws; i++)
        if (iam_policy_attachment_count(a, iam_aws_policy_at(q->db, i)->arn))
            versions++;
    q_begin(q, IAM_NS, 1);
    xw_open(&q->w, "SummaryMap");
    entry(&q->w, "Users", a->n_users);
    entry(&q->w, "UsersQuota", 5000);
    entry(&q->w, "Groups", a->n_groups);
    entry(&q->w, "GroupsQuota", 300);
    entry(&q->w, "Roles", a->n_roles);
    entry(&q->w, "RolesQuota", 1000);
    entry(&q->w, "Policies", a->n_policies);
    entry(&q->w, "PoliciesQuota", 1500);
    entry(&q->w, "PolicyVersionsInUse", versions);
    entry(&q->w, "PolicyVersionsInUseQuota", 10000);
    entry(&q->w, "VersionsPerPolicyQuota", IAM_MAX_VERSIONS);
    entry(&q->w, "PolicySizeQuota", IAM_MANAGED_QUOTA);
    entry(&q->w, "UserPolicySizeQuota", IAM_USER_INLINE_QUOTA);
    entry(&q->w, "GroupPolicySizeQuota", IAM_GROUP_INLINE_QUOTA);
    entry(&q->w, "RolePolicySizeQuota", IAM_ROLE_INLINE_QUOTA);
    entry(&q->w, "AssumeRolePolicySizeQuota", IAM_TRUST_QUOTA);
    entry(&q->w, "AccessKeysPerUserQuota", IAM_MAX_KEYS_PER_USER);
    entry(&q->w, "GroupsPerUserQuota", IAM_MAX_GROUPS_PER_USER);
    entry(&q->w, "AttachedPoliciesPerUserQuota", IAM_MAX_ATTACHED);
    entry(&q->w, "AttachedPoliciesPerGroupQuota", IAM_MAX_ATTACHED);
    entry(&q->w, "AttachedPoliciesPerRoleQuota", IAM_MAX_ATTACHED);
    entry(&q->w, "AccountAccessKeysPresent", 1);
    entry(&q->w, "AccountMFAEnabled", 0);
    entry(&q->w, "AccountSigningCertificatesPresent", 0);
    entry(&q->w, "MFADevices", 0);
    entry(&q->w, "MFADevicesInUse", 0);
    entry(&q->w, "InstanceProfiles", 0);
    entry(&q->w, "InstanceProfilesQuota", 1000);
    entry(&q->w, "ServerCertificates", 0);
    entry(&q->w, "ServerCertificatesQuota", 20);
    entry(&q->w, "SigningCertificatesPerUserQuota", 2);
    entry(&q->w, "Providers", 0);
    entry(&q->w, "GlobalEndpointTokenVersion", 1);
    xw_close(&q->w);
    q_end(q);
    iam_read_end(q->db);
    return S3_OK;
}

static void docs_xml(struct xml_w *w, const char *list, const struct iam_docs *d)
{
    xw_open(w, list);
    for (size_t i = 0; i < d->n; i++) {
        xw_open(w, "member");
        xw_elem(w, "PolicyName", d->v[i].name);
        q_doc(w, "PolicyDocument", d->v[i].text);
        xw_close(w);
    }
    xw_close(w);
}

static void attached_xml(struct xml_w *w, const struct iam_account *a, const struct iam_strs *s)
{
    xw_open(w, "AttachedManagedPolicies");
    for (size_t i = 0; i < s->n; i++) {
        const struct iam_mpolicy *p = iam_policy_find(a, s->v[i]);
        xw_open(w, "member");
        xw_elem(w, "PolicyName", p ? p->name : "");
        xw_elem(w, "PolicyArn", s->v[i]);
        xw_close(w);
    }
    xw_close(w);
}

static void policy_detail(struct xml_w *w, const struct iam_account *a, const struct iam_mpolicy *p)
{
    xw_open(w, "member");
    q_mpolicy(w, a, p, 0);
    xw_open(w, "PolicyVersionList");
    for (size_t v = 0; v < p->versions.n; v++) {
        xw_open(w, "member");
        q_version(w, &p->versions.v[v], v == p->def, 1);
        xw_close(w);
    }
    xw_close(w);
    xw_close(w);
}

s3_err iam_GetAccountAuthorizationDetails(struct qreq *q)
{
    struct iam_strs filter = { 0 };
    const struct iam_account *a;
    struct xml_w *w = &q->w;
    int users, groups, roles, local, aws;
    s3_err e;

    if ((e = q_authz(q, "iam:GetAccountAuthorizationDetails", "*", NULL, 0)) != S3_OK ||
        (e = q_list(q, "Filter", &filter)) != S3_OK)
        goto out;
    users = groups = roles = local = aws = filter.n == 0;
    for (size_t i = 0; i < filter.n; i++) {
        users |= !strcmp(filter.v[i], "User");
        groups |= !strcmp(filter.v[i], "Group");
        roles |= !strcmp(filter.v[i], "Role");
        local |= !strcmp(filter.v[i], "LocalManagedPolicy");
        aws |= !strcmp(filter.v[i], "AWSManagedPolicy");
    }
    if ((a = iam_read_begin(q->db, q->account)) == NULL) {
        e = req_fail(q->r, S3E_INTERNAL, NULL);
        goto out;
    }
    q_begin(q, IAM_NS, 1);
    xw_open(w, "UserDetailList");
    for (size_t i = 0; users && i < a->n_users; i++) {
        const struct iam_user *u = a->users[i];
        const struct iam_group *g[IAM_MAX_GROUPS_PER_USER];
        size_t ng = iam_user_groups(a, u->name, g, IAM_MAX_GROUPS_PER_USER);
        xw_open(w, "member");
        xw_elem(w, "Path", u->path);
        xw_elem(w, "UserName", u->name);
        xw_elem(w, "UserId", u->id);
        xw_elem(w, "Arn", u->arn);
        q_time(w, "CreateDate", u->created);
        docs_xml(w, "UserPolicyList", &u->inl);
        xw_open(w, "GroupList");
        for (size_t k = 0; k < ng && k < IAM_MAX_GROUPS_PER_USER; k++)
            xw_elem(w, "member", g[k]->name);
        xw_close(w);
        attached_xml(w, a, &u->attached);
        q_tags_xml(w, &u->tags);
        xw_close(w);
    }
    xw_close(w);
    xw_open(w, "GroupDetailList");
    for (size_t i = 0; groups && i < a->n_groups; i++) {
        const struct iam_group *g = a->groups[i];
        xw_open(w, "member");
        q_group(w, g);
        docs_xml(w, "GroupPolicyList", &g->inl);
        attached_xml(w, a, &g->attached);
        xw_close(w);
    }
    xw_close(w);
    xw_open(w, "RoleDetailList");
    for (size_t i = 0; roles && i < a->n_roles; i++) {
        const struct iam_role *r = a->roles[i];
        xw_open(w, "member");
        q_role(w, r, 1);
        xw_open(w, "InstanceProfileList");
        xw_close(w);
        docs_xml(w, "RolePolicyList", &r->inl);
        attached_xml(w, a, &r->attached);
        xw_close(w);
    }
    xw_close(w);
    xw_open(w, "Policies");
    for (size_t i = 0; aws && i < iam_aws_policy_count(q->db); i++) {
        const struct iam_mpolicy *p = iam_aws_policy_at(q->db, i);
        /* AWS lists the AWS managed policies that are in use in the account */
        if (iam_policy_attachment_count(a, p->arn))
            policy_detail(w, a, p);
    }
    for (size_t i = 0; local && i < a->n_policies; i++)
        policy_detail(w, a, a->policies[i]);
    xw_close(w);
    xw_elem_bool(w, "IsTruncated", 0);
    q_end(q);
    iam_read_end(q->db);
out:
    iam_strs_release(&filter);
    return e;
}
