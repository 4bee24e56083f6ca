/*
 * server/iam_policies.c - IAM managed policies (and their versions), attachments, inline
 * policies of users, groups and roles, and roles.  See iam_api.c for the conventions: every
 * action is authorised on its resource first; changes run in one write transaction.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/authz.h"
#include "server/iam_int.h"

static struct iam_account *wbegin(struct qreq *q)
{
    struct iam_account *a = iam_write_begin(q->db, q->account);
    if (a == NULL)
        req_fail(q->r, S3E_NOMEM, NULL);
    return a;
}

static s3_err wcommit(struct qreq *q, struct iam_account *a)
{
    s3_err e = iam_write_commit(a);
    if (e != S3_OK)
        return req_fail(q->r, e, "The change could not be saved; it was undone.");
    return S3_OK;
}

static s3_err wfail(struct qreq *q, struct iam_account *a, s3_err e)
{
    iam_write_abort(a);
    return q_fail(q, e);
}

static s3_err authz_arn(struct qreq *q, const char *action, const char *kind, const char *name, const char *path,
                        const struct authz_key *extra, size_t n_extra)
{
    char *arn = q_ent_arn(q, kind, name, path);
    s3_err e;
    if (arn == NULL)
        return req_fail(q->r, S3E_NOMEM, NULL);
    e = q_authz(q, action, arn, extra, n_extra);
    free(arn);
    return e;
}

static int path_under(const char *path, const char *prefix) { return !prefix || !strncmp(path, prefix, strlen(prefix)); }

/* ------------------------------------------------------------------ managed policies */

s3_err iam_CreatePolicy(struct qreq *q)
{
    const char *name, *doc, *path = q_get(q, "Path"), *desc = q_get(q, "Description");
    struct iam_tags tags = { 0 };
    struct iam_account *a;
    struct iam_mpolicy *p;
    struct s3_buf arn;
    s3_err e;

    buf_init(&arn, 0);
    if ((e = q_need(q, "PolicyName", &name)) != S3_OK || (e = q_need(q, "PolicyDocument", &doc)) != S3_OK ||
        (e = q_tags(q, "Tags", &tags)) != S3_OK)
        goto out;
    buf_addf(&arn, "arn:aws:iam::%s:policy%s%s", q->account, path && path[0] == '/' ? path : "/", name);
    if ((e = q_authz(q, "iam:CreatePolicy", arn.p ? arn.p : "*", NULL, 0)) != S3_OK)
        goto out;
    if ((a = wbegin(q)) == NULL) {
        e = S3E_NOMEM;
        goto out;
    }
    if ((e = iam_policy_create(a, name, path, desc, doc, &tags, &q->m, &p)) != S3_OK) {
        e = wfail(q, a, e);
        goto out;
    }
    q_begin(q, IAM_NS, 1);
    xw_open(&q->w, "Policy");
    q_mpolicy(&q->w, a, p, 1);
    xw_close(&q->w);
    q_end(q);
    e = wcommit(q, a);
out:
    buf_release(&arn);
    iam_tags_release(&tags);
    return e;
}

/* The policy by ARN under the read lock; NULL (NoSuchEntity set, lock released) if absent. */
static const struct iam_mpolicy *policy_read(struct qreq *q, const char *arn, const struct iam_account **a_out)
{
    const struct iam_account *a = iam_read_begin(q->db, q->account);
    const struct iam_mpolicy *p = a ? iam_policy_find(a, arn) : NULL;
    if (p == NULL) {
        if (a)
            iam_read_end(q->db);
        req_fail(q->r, S3E_IAM_NO_SUCH_ENTITY, "Policy %s was not found.", arn);
        return NULL;
    }
    *a_out = a;
    return p;
}

s3_err iam_GetPolicy(struct qreq *q)
{
    const char *arn;
    const struct iam_account *a;
    const struct iam_mpolicy *p;
    s3_err e;
    if ((e = q_need(q, "PolicyArn", &arn)) != S3_OK || (e = q_authz(q, "iam:GetPolicy", arn, NULL, 0)) != S3_OK)
        return e;
    if ((p = policy_read(q, arn, &a)) == NULL)
        return q->r->err;
    q_begin(q, IAM_NS, 1);
    xw_open(&q->w, "Policy");
    q_mpolicy(&q->w, a, p, 1);
    xw_close(&q->w);
    q_end(q);
    iam_read_end(q->db);
    return S3_OK;
}

s3_err iam_DeletePolicy(struct qreq *q)
{
    const char *arn;
    struct iam_account *a;
    s3_err e;
    if ((e = q_need(q, "PolicyArn", &arn)) != S3_OK || (e = q_authz(q, "iam:DeletePolicy", arn, NULL, 0)) != S3_OK)
        return e;
    if ((a = wbegin(q)) == NULL)
        return S3E_NOMEM;
    if ((e = iam_policy_delete(a, arn, &q->m)) != S3_OK)
        return wfail(q, a, e);
    q_ok(q);
    return wcommit(q, a);
}

s3_err iam_ListPolicies(struct qreq *q)
{
    const char *scope = q_get(q, "Scope"), *prefix = q_get(q, "PathPrefix");
    int only = q_bool(q, "OnlyAttached", 0);
    const struct iam_account *a;
    const struct iam_mpolicy **sel;
    struct q_page pg;
    size_t n = 0, naws = iam_aws_policy_count(q->db);
    int want_aws, want_local;
    s3_err e;

    if (only < 0)
        return q->r->err;
    if (scope == NULL)
        scope = "All";
    if (strcmp(scope, "All") && strcmp(scope, "AWS") && strcmp(scope, "Local"))
        return req_fail(q->r, S3E_IAM_VALIDATION, "1 validation error detected: Value '%s' at 'scope' failed to "
                                                  "satisfy constraint: Member must satisfy enum value set: "
                                                  "[All, AWS, Local]",
                        scope);
    want_aws = strcmp(scope, "Local") != 0;
    want_local = strcmp(scope, "AWS") != 0;
    if ((e = q_authz(q, "iam:ListPolicies", "*", NULL, 0)) != S3_OK)
        return e;
    if ((a = iam_read_begin(q->db, q->account)) == NULL)
        return req_fail(q->r, S3E_INTERNAL, NULL);
    if ((sel = calloc(a->n_policies + naws + 1, sizeof(*sel))) == NULL) {
        iam_read_end(q->db);
        return req_fail(q->r, S3E_NOMEM, NULL);
    }
    for (size_t i = 0; want_aws && i < naws; i++) {
        const struct iam_mpolicy *p = iam_aws_policy_at(q->db, i);
        if (path_under(p->path, prefix) && (!only || iam_policy_attachment_count(a, p->arn)))
            sel[n++] = p;
    }
    for (size_t i = 0; want_local && i < a->n_policies; i++) {
        const struct iam_mpolicy *p = a->policies[i];
        if (path_under(p->path, prefix) && (!only || iam_policy_attachment_count(a, p->arn)))
            sel[n++] = p;
    }
    if ((e = q_page_begin(q, n, &pg)) == S3_OK) {
        q_begin(q, IAM_NS, 1);
        xw_open(&q->w, "Policies");
        for (size_t i = pg.start; i < pg.end; i++) {
            xw_open(&q->w, "member");
            q_mpolicy(&q->w, a, sel[i], 0);
            xw_close(&q->w);
        }
        xw_close(&q->w);
        q_page_end(q, &pg);
        q_end(q);
    }
    iam_read_end(q->db);
    free(sel);
    return e;
}

s3_err iam_CreatePolicyVersion(struct qreq *q)
{
    const char *arn, *doc;
    int def = q_bool(q, "SetAsDefault", 0);
    struct iam_account *a;
    const struct iam_doc *v;
    s3_err e;
    if (def < 0)
        return q->r->err;
    if ((e = q_need(q, "PolicyArn", &arn)) != S3_OK || (e = q_need(q, "PolicyDocument", &doc)) != S3_OK ||
        (e = q_authz(q, "iam:CreatePolicyVersion", arn, NULL, 0)) != S3_OK)
        return e;
    if ((a = wbegin(q)) == NULL)
        return S3E_NOMEM;
    if ((e = iam_policy_version_create(a, arn, doc, def, &q->m, &v)) != S3_OK)
        return wfail(q, a, e);
    q_begin(q, IAM_NS, 1);
    xw_open(&q->w, "PolicyVersion");
    q_version(&q->w, v, def, 0);
    xw_close(&q->w);
    q_end(q);
    return wcommit(q, a);
}

s3_err iam_GetPolicyVersion(struct qreq *q)
{
    const char *arn, *vid;
    const struct iam_account *a;
    const struct iam_mpolicy *p;
    s3_err e;
    if ((e = q_need(q, "PolicyArn", &arn)) != S3_OK || (e = q_need(q, "VersionId", &vid)) != S3_OK ||
        (e = q_authz(q, "iam:GetPolicyVersion", arn, NULL, 0)) != S3_OK)
        return e;
    if ((p = policy_read(q, arn, &a)) == NULL)
        return q->r->err;
    for (size_t i = 0; i < p->versions.n; i++)
        if (!strcmp(p->versions.v[i].name, vid)) {
            q_begin(q, IAM_NS, 1);
            xw_open(&q->w, "PolicyVersion");
            q_version(&q->w, &p->versions.v[i], i == p->def, 1);
            xw_close(&q->w);
            q_end(q);
            iam_read_end(q->db);
            return S3_OK;
        }
    iam_read_end(q->db);
    return req_fail(q->r, S3E_IAM_NO_SUCH_ENTITY, "Policy %s version %s does not exist or is not attachable.", arn,
                    vid);
}

s3_err iam_ListPolicyVersions(struct qreq *q)
{
    const char *arn;
    const struct iam_account *a;
    const struct iam_mpolicy *p;
    struct q_page pg;
    s3_err e;
    if ((e = q_need(q, "PolicyArn", &arn)) != S3_OK || (e = q_authz(q, "iam:ListPolicyVersions", arn, NULL, 0)) != S3_OK)
        return e;
    if ((p = policy_read(q, arn, &a)) == NULL)
        return q->r->err;
    if ((e = q_page_begin(q, p->versions.n, &pg)) == S3_OK) {
        q_begin(q, IAM_NS, 1);
        xw_open(&q->w, "Versions");
        /* newest first, as IAM lists them */
        for (size_t k = pg.start; k < pg.end; k++) {
            size_t i = p->versions.n - 1 - k;
            xw_open(&q->w, "member");
            q_version(&q->w, &p->versions.v[i], i == p->def, 0);
            xw_close(&q->w);
        }
        xw_close(&q->w);
        q_page_end(q, &pg);
        q_end(q);
    }
    iam_read_end(q->db);
    return e;
}

s3_err iam_DeletePolicyVersion(struct qreq *q)
{
    const char *arn, *vid;
    struct iam_account *a;
    s3_err e;
    if ((e = q_need(q, "PolicyArn", &arn)) != S3_OK || (e = q_need(q, "VersionId", &vid)) != S3_OK ||
        (e = q_authz(q, "iam:DeletePolicyVersion", arn, NULL, 0)) != S3_OK)
        return e;
    if ((a = wbegin(q)) == NULL)
        return S3E_NOMEM;
    if ((e = iam_policy_version_delete(a, arn, vid, &q->m)) != S3_OK)
        return wfail(q, a, e);
    q_ok(q);
    return wcommit(q, a);
}

s3_err iam_SetDefaultPolicyVersion(struct qreq *q)
{
    const char *arn, *vid;
    struct iam_account *a;
    s3_err e;
    if ((e = q_need(q, "PolicyArn", &arn)) != S3_OK || (e = q_need(q, "VersionId", &vid)) != S3_OK ||
        (e = q_authz(q, "iam:SetDefaultPolicyVersion", arn, NULL, 0)) != S3_OK)
        return e;
    if ((a = wbegin(q)) == NULL)
        return S3E_NOMEM;
    if ((e = iam_policy_set_default(a, arn, vid, &q->m)) != S3_OK)
        return wfail(q, a, e);
    q_ok(q);
    return wcommit(q, a);
}

s3_err iam_TagPolicy(struct qreq *q) { return iam_tag_entity(q, "policy", "PolicyArn", "iam:TagPolicy"); }
s3_err iam_UntagPolicy(struct qreq *q) { return iam_untag_entity(q, "policy", "PolicyArn", "iam:UntagPolicy"); }
s3_err iam_ListPolicyTags(struct qreq *q) { return iam_list_entity_tags(q, "policy", "PolicyArn", "iam:ListPolicyTags"); }

/* ------------------------------------------------------------------ attachments */

static const char *kind_word(enum iam_ent k) { return k == IAM_ENT_USER ? "user" : k == IAM_ENT_GROUP ? "group" : "role"; }
static const char *kind_param(enum iam_ent k)
{
    return k == IAM_ENT_USER ? "UserName" : k == IAM_ENT_GROUP ? "GroupName" : "RoleName";
}
static const char *kind_cap(enum iam_ent k) { return k == IAM_ENT_USER ? "User" : k == IAM_ENT_GROUP ? "Group" : "Role"; }

static s3_err attach(struct qreq *q, enum iam_ent kind, int on)
{
    const char *name, *arn;
    char action[64];
    struct iam_account *a;
    struct authz_key k;
    s3_err e;
    if ((e = q_need(q, kind_param(kind), &name)) != S3_OK || (e = q_need(q, "PolicyArn", &arn)) != S3_OK)
        return e;
    snprintf(action, sizeof(action), "iam:%s%sPolicy", on ? "Attach" : "Detach", kind_cap(kind));
    memset(&k, 0, sizeof(k));
    k.name = "iam:PolicyARN";
    k.value = arn;
    if ((e = authz_arn(q, action, kind_word(kind), name, NULL, &k, 1)) != S3_OK)
        return e;
    if ((a = wbegin(q)) == NULL)
        return S3E_NOMEM;
    e = on ? iam_attach(a, kind, name, arn, &q->m) : iam_detach(a, kind, name, arn, &q->m);
    if (e != S3_OK)
        return wfail(q, a, e);
    q_ok(q);
    return wcommit(q, a);
}

s3_err iam_AttachUserPolicy(struct qreq *q) { return attach(q, IAM_ENT_USER, 1); }
s3_err iam_DetachUserPolicy(struct qreq *q) { return attach(q, IAM_ENT_USER, 0); }
s3_err iam_AttachGroupPolicy(struct qreq *q) { return attach(q, IAM_ENT_GROUP, 1); }
s3_err iam_DetachGroupPolicy(struct qreq *q) { return attach(q, IAM_ENT_GROUP, 0); }
s3_err iam_AttachRolePolicy(struct qreq *q) { return attach(q, IAM_ENT_ROLE, 1); }
s3_err iam_DetachRolePolicy(struct qreq *q) { return attach(q, IAM_ENT_ROLE, 0); }

/* The attached list and inline documents of an entity (read lock held), or NULL. */
static const struct iam_strs *attached_of(const struct iam_account *a, enum iam_ent kind, const char *name,
                                          const struct iam_docs **inl)
{
    if (kind == IAM_ENT_USER) {
        const struct iam_user *u = iam_user_find(a, name);
        if (u && inl)
            *inl = &u->inl;
        return u ? &u->attached : NULL;
    }
    if (kind == IAM_ENT_GROUP) {
        const struct iam_group *g = iam_group_find(a, name);
        if (g && inl)
            *inl = &g->inl;
        return g ? &g->attached : NULL;
    }
    {
        const struct iam_role *r = iam_role_find(a, name);
        if (r && inl)
            *inl = &r->inl;
        return r ? &r->attached : NULL;
    }
}

static s3_err list_attached(struct qreq *q, enum iam_ent kind)
{
    const char *name, *prefix = q_get(q, "PathPrefix");
    char action[64];
    const struct iam_account *a;
    const struct iam_strs *at;
    const struct iam_mpolicy **sel;
    struct q_page pg;
    size_t n = 0;
    s3_err e;

    if ((e = q_need(q, kind_param(kind), &name)) != S3_OK)
        return e;
    snprintf(action, sizeof(action), "iam:ListAttached%sPolicies", kind_cap(kind));
    if ((e = authz_arn(q, action, kind_word(kind), name, NULL, NULL, 0)) != S3_OK)
        return e;
    if ((a = iam_read_begin(q->db, q->account)) == NULL)
        return req_fail(q->r, S3E_INTERNAL, NULL);
    if ((at = attached_of(a, kind, name, NULL)) == NULL) {
        iam_read_end(q->db);
        return req_fail(q->r, S3E_IAM_NO_SUCH_ENTITY, "The %s with name %s cannot be found.", kind_word(kind), name);
    }
    if ((sel = calloc(at->n + 1, sizeof(*sel))) == NULL) {
        iam_read_end(q->db);
        return req_fail(q->r, S3E_NOMEM, NULL);
    }
    for (size_t i = 0; i < at->n; i++) {
        const struct iam_mpolicy *p = iam_policy_find(a, at->v[i]);
        if (p && path_under(p->path, prefix))
            sel[n++] = p;
    }
    if ((e = q_page_begin(q, n, &pg)) == S3_OK) {
        q_begin(q, IAM_NS, 1);
        xw_open(&q->w, "AttachedPolicies");
        for (size_t i = pg.start; i < pg.end; i++) {
            xw_open(&q->w, "member");
            xw_elem(&q->w, "PolicyName", sel[i]->name);
            xw_elem(&q->w, "PolicyArn", sel[i]->arn);
            xw_close(&q->w);
        }
        xw_close(&q->w);
        q_page_end(q, &pg);
        q_end(q);
    }
    iam_read_end(q->db);
    free(sel);
    return e;
}

s3_err iam_ListAttachedUserPolicies(struct qreq *q) { return list_attached(q, IAM_ENT_USER); }
s3_err iam_ListAttachedGroupPolicies(struct qreq *q) { return list_attached(q, IAM_ENT_GROUP); }
s3_err iam_ListAttachedRolePolicies(struct qreq *q) { return list_attached(q, IAM_ENT_ROLE); }

static int has_arn(const struct iam_strs *s, const char *arn)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->v[i], arn))
            return 1;
    return 0;
}

s3_err iam_ListEntitiesForPolicy(struct qreq *q)
{
    const char *arn, *filter = q_get(q, "EntityFilter"), *prefix = q_get(q, "PathPrefix");
    const struct iam_account *a;
    const struct iam_mpolicy *p;
    int users, groups, roles;
    s3_err e;

    if ((e = q_need(q, "PolicyArn", &arn)) != S3_OK || (e = q_authz(q, "iam:ListEntitiesForPolicy", arn, NULL, 0)) != S3_OK)
        return e;
    if (filter && strcmp(filter, "User") && strcmp(filter, "Role") && strcmp(filter, "Group") &&
        strcmp(filter, "LocalManagedPolicy") && strcmp(filter, "AWSManagedPolicy"))
        return req_fail(q->r, S3E_IAM_VALIDATION, "1 validation error detected: Value '%s' at 'entityFilter' failed to "
                                                  "satisfy constraint: Member must satisfy enum value set: [User, "
                                                  "Role, LocalManagedPolicy, Group, AWSManagedPolicy]",
                        filter);
    users = !filter || !strcmp(filter, "User");
    groups = !filter || !strcmp(filter, "Group");
    roles = !filter || !strcmp(filter, "Role");
    if ((p = policy_read(q, arn, &a)) == NULL)
        return q->r->err;
    q_begin(q, IAM_NS, 1);
    xw_open(&q->w, "PolicyGroups");
    for (size_t i = 0; groups && i < a->n_groups; i++)
        if (has_arn(&a->groups[i]->attached, p->arn) && path_under(a->groups[i]->path, prefix)) {
            xw_open(&q->w, "member");
            xw_elem(&q->w, "GroupName", a->groups[i]->name);
            xw_elem(&q->w, "GroupId", a->groups[i]->id);
            xw_close(&q->w);
        }
    xw_close(&q->w);
    xw_open(&q->w, "PolicyUsers");
    for (size_t i = 0; users && i < a->n_users; i++)
        if (has_arn(&a->users[i]->attached, p->arn) && path_under(a->users[i]->path, prefix)) {
            xw_open(&q->w, "member");
            xw_elem(&q->w, "UserName", a->users[i]->name);
            xw_elem(&q->w, "UserId", a->users[i]->id);
            xw_close(&q->w);
        }
    xw_close(&q->w);
    xw_open(&q->w, "PolicyRoles");
    for (size_t i = 0; roles && i < a->n_roles; i++)
        if (has_arn(&a->roles[i]->attached, p->arn) && path_under(a->roles[i]->path, prefix)) {
            xw_open(&q->w, "member");
            xw_elem(&q->w, "RoleName", a->roles[i]->name);
            xw_elem(&q->w, "RoleId", a->roles[i]->id);
            xw_close(&q->w);
        }
    xw_close(&q->w);
    xw_elem_bool(&q->w, "IsTruncated", 0);
    q_end(q);
    iam_read_end(q->db);
    return S3_OK;
}

/* ------------------------------------------------------------------ inline policies */

static s3_err put_inline(struct qreq *q, enum iam_ent kind)
{
    const char *name, *pname, *doc;
    char action[64];
    struct iam_account *a;
    s3_err e;
    if ((e = q_need(q, kind_param(kind), &name)) != S3_OK || (e = q_need(q, "PolicyName", &pname)) != S3_OK ||
        (e = q_need(q, "PolicyDocument", &doc)) != S3_OK)
        return e;
    snprintf(action, sizeof(action), "iam:Put%sPolicy", kind_cap(kind));
    if ((e = authz_arn(q, action, kind_word(kind), name, NULL, NULL, 0)) != S3_OK)
        return e;
    if ((a = wbegin(q)) == NULL)
        return S3E_NOMEM;
    if ((e = iam_inline_put(a, kind, name, pname, doc, &q->m)) != S3_OK)
        return wfail(q, a, e);
    q_ok(q);
    return wcommit(q, a);
}

static s3_err get_inline(struct qreq *q, enum iam_ent kind)
{
    const char *name, *pname;
    char action[64], elem[32];
    const struct iam_account *a;
    const struct iam_docs *inl = NULL;
    const struct iam_doc *d;
    s3_err e;
    if ((e = q_need(q, kind_param(kind), &name)) != S3_OK || (e = q_need(q, "PolicyName", &pname)) != S3_OK)
        return e;
    snprintf(action, sizeof(action), "iam:Get%sPolicy", kind_cap(kind));
    if ((e = authz_arn(q, action, kind_word(kind), name, NULL, NULL, 0)) != S3_OK)
        return e;
    if ((a = iam_read_begin(q->db, q->account)) == NULL)
        return req_fail(q->r, S3E_INTERNAL, NULL);
    if (attached_of(a, kind, name, &inl) == NULL) {
        iam_read_end(q->db);
        return req_fail(q->r, S3E_IAM_NO_SUCH_ENTITY, "The %s with name %s cannot be found.", kind_word(kind), name);
    }
    if ((d = iam_docs_find(inl, pname)) == NULL) {
        iam_read_end(q->db);
        return req_fail(q->r, S3E_IAM_NO_SUCH_ENTITY, "The %s policy with name %s cannot be found.", kind_word(kind),
                        pname);
    }
    q_begin(q, IAM_NS, 1);
    snprintf(elem, sizeof(elem), "%sName", kind_cap(kind));
    xw_elem(&q->w, elem, name);
    xw_elem(&q->w, "PolicyName", d->name);
    q_doc(&q->w, "PolicyDocument", d->text);
    q_end(q);
    iam_read_end(q->db);
    return S3_OK;
}

static s3_err delete_inline(struct qreq *q, enum iam_ent kind)
{
    const char *name, *pname;
    char action[64];
    struct iam_account *a;
    s3_err e;
    if ((e = q_need(q, kind_param(kind), &name)) != S3_OK || (e = q_need(q, "PolicyName", &pname)) != S3_OK)
        return e;
    snprintf(action, sizeof(action), "iam:Delete%sPolicy", kind_cap(kind));
    if ((e = authz_arn(q, action, kind_word(kind), name, NULL, NULL, 0)) != S3_OK)
        return e;
    if ((a = wbegin(q)) == NULL)
        return S3E_NOMEM;
    if ((e = iam_inline_delete(a, kind, name, pname, &q->m)) != S3_OK)
        return wfail(q, a, e);
    q_ok(q);
    return wcommit(q, a);
}

static s3_err list_inline(struct qreq *q, enum iam_ent kind)
{
    const char *name;
    char action[64];
    const struct iam_account *a;
    const struct iam_docs *inl = NULL;
    struct q_page pg;
    s3_err e;
    if ((e = q_need(q, kind_param(kind), &name)) != S3_OK)
        return e;
    snprintf(action, sizeof(action), "iam:List%sPolicies", kind_cap(kind));
    if ((e = authz_arn(q, action, kind_word(kind), name, NULL, NULL, 0)) != S3_OK)
        return e;
    if ((a = iam_read_begin(q->db, q->account)) == NULL)
        return req_fail(q->r, S3E_INTERNAL, NULL);
    if (attached_of(a, kind, name, &inl) == NULL) {
        iam_read_end(q->db);
        return req_fail(q->r, S3E_IAM_NO_SUCH_ENTITY, "The %s with name %s cannot be found.", kind_word(kind), name);
    }
    if ((e = q_page_begin(q, inl->n, &pg)) == S3_OK) {
        q_begin(q, IAM_NS, 1);
        xw_open(&q->w, "PolicyNames");
        for (size_t i = pg.start; i < pg.end; i++)
            xw_elem(&q->w, "member", inl->v[i].name);
        xw_close(&q->w);
        q_page_end(q, &pg);
        q_end(q);
    }
    iam_read_end(q->db);
    return e;
}

s3_err iam_PutUserPolicy(struct qreq *q) { return put_inline(q, IAM_ENT_USER); }
s3_err iam_GetUserPolicy(struct qreq *q) { return get_inline(q, IAM_ENT_USER); }
s3_err iam_DeleteUserPolicy(struct qreq *q) { return delete_inline(q, IAM_ENT_USER); }
s3_err iam_ListUserPolicies(struct qreq *q) { return list_inline(q, IAM_ENT_USER); }
s3_err iam_PutGroupPolicy(struct qreq *q) { return put_inline(q, IAM_ENT_GROUP); }
s3_err iam_GetGroupPolicy(struct qreq *q) { return get_inline(q, IAM_ENT_GROUP); }
s3_err iam_DeleteGroupPolicy(struct qreq *q) { return delete_inline(q, IAM_ENT_GROUP); }
s3_err iam_ListGroupPolicies(struct qreq *q) { return list_inline(q, IAM_ENT_GROUP); }
s3_err iam_PutRolePolicy(struct qreq *q) { return put_inline(q, IAM_ENT_ROLE); }
s3_err iam_GetRolePolicy(struct qreq *q) { return get_inline(q, IAM_ENT_ROLE); }
s3_err iam_DeleteRolePolicy(struct qreq *q) { return delete_inline(q, IAM_ENT_ROLE); }
s3_err iam_ListRolePolicies(struct qreq *q) { return list_inline(q, IAM_ENT_ROLE); }

/* ------------------------------------------------------------------ roles */

s3_err iam_CreateRole(struct qreq *q)
{
    const char *name, *trust, *path = q_get(q, "Path"), *desc = q_get(q, "Description");
    long maxs;
    struct iam_tags tags = { 0 };
    struct iam_account *a;
    struct iam_role *r;
    s3_err e;

    if ((e = q_need(q, "RoleName", &name)) != S3_OK || (e = q_need(q, "AssumeRolePolicyDocument", &trust)) != S3_OK ||
        (e = q_int(q, "MaxSessionDuration", 3600, 43200, 3600, &maxs)) != S3_OK || (e = q_tags(q, "Tags", &tags)) != S3_OK)
        goto out;
    if ((e = authz_arn(q, "iam:CreateRole", "role", name, path, NULL, 0)) != S3_OK)
        goto out;
    if (tags.n && (e = authz_arn(q, "iam:TagRole", "role", name, path, NULL, 0)) != S3_OK)
        goto out;
    if ((a = wbegin(q)) == NULL) {
        e = S3E_NOMEM;
        goto out;
    }
    if ((e = iam_role_create(a, name, path, trust, desc, (int)maxs, &tags, &q->m, &r)) != S3_OK) {
        e = wfail(q, a, e);
        goto out;
    }
    q_begin(q, IAM_NS, 1);
    xw_open(&q->w, "Role");
    q_role(&q->w, r, 0);
    q_tags_xml(&q->w, &r->tags);
    xw_close(&q->w);
    q_end(q);
    e = wcommit(q, a);
out:
    iam_tags_release(&tags);
    return e;
}

static s3_err role_render(struct qreq *q, const char *name, int full)
{
    const struct iam_account *a = iam_read_begin(q->db, q->account);
    const struct iam_role *r = a ? iam_role_find(a, name) : NULL;
    if (r == NULL) {
        if (a)
            iam_read_end(q->db);
        return req_fail(q->r, S3E_IAM_NO_SUCH_ENTITY, "The role with name %s cannot be found.", name);
    }
    q_begin(q, IAM_NS, 1);
    xw_open(&q->w, "Role");
    q_role(&q->w, r, full);
    xw_close(&q->w);
    q_end(q);
    iam_read_end(q->db);
    return S3_OK;
}

s3_err iam_GetRole(struct qreq *q)
{
    const char *name;
    s3_err e;
    if ((e = q_need(q, "RoleName", &name)) != S3_OK || (e = authz_arn(q, "iam:GetRole", "role", name, NULL, NULL, 0)) != S3_OK)
        return e;
    return role_render(q, name, 1);
}

s3_err iam_ListRoles(struct qreq *q)
{
    const char *prefix = q_get(q, "PathPrefix");
    const struct iam_account *a;
    const struct iam_role **sel;
    struct q_page pg;
    size_t n = 0;
    char res[200];
    s3_err e;

    snprintf(res, sizeof(res), "arn:aws:iam::%s:role%s", q->account, prefix && prefix[0] == '/' ? prefix : "/");
    if ((e = q_authz(q, "iam:ListRoles", res, NULL, 0)) != S3_OK)
        return e;
    if ((a = iam_read_begin(q->db, q->account)) == NULL)
        return req_fail(q->r, S3E_INTERNAL, NULL);
    if ((sel = calloc(a->n_roles + 1, sizeof(*sel))) == NULL) {
        iam_read_end(q->db);
        return req_fail(q->r, S3E_NOMEM, NULL);
    }
    for (size_t i = 0; i < a->n_roles; i++)
        if (path_under(a->roles[i]->path, prefix))
            sel[n++] = a->roles[i];
    if ((e = q_page_begin(q, n, &pg)) == S3_OK) {
        q_begin(q, IAM_NS, 1);
        xw_open(&q->w, "Roles");
        for (size_t i = pg.start; i < pg.end; i++) {
            xw_open(&q->w, "member");
            q_role(&q->w, sel[i], 0);
            xw_close(&q->w);
        }
        xw_close(&q->w);
        q_page_end(q, &pg);
        q_end(q);
    }
    iam_read_end(q->db);
    free(sel);
    return e;
}

static s3_err update_role(struct qreq *q, int description_only)
{
    const char *name, *desc = q_get(q, "Description");
    long maxs = 0;
    struct iam_account *a;
    s3_err e;
    if ((e = q_need(q, "RoleName", &name)) != S3_OK)
        return e;
    if (description_only && (e = q_need(q, "Description", &desc)) != S3_OK)
        return e;
    if (!description_only && (e = q_int(q, "MaxSessionDuration", 3600, 43200, 0, &maxs)) != S3_OK)
        return e;
    if ((e = authz_arn(q, description_only ? "iam:UpdateRoleDescription" : "iam:UpdateRole", "role", name, NULL, NULL,
                       0)) != S3_OK)
        return e;
    if ((a = wbegin(q)) == NULL)
        return S3E_NOMEM;
    if ((e = iam_role_update(a, name, desc, (int)maxs, &q->m)) != S3_OK)
        return wfail(q, a, e);
    if (description_only) {
        q_begin(q, IAM_NS, 1);
        xw_open(&q->w, "Role");
        q_role(&q->w, iam_role_find(a, name), 1);
        xw_close(&q->w);
        q_end(q);
    } else {
        q_begin(q, IAM_NS, 1);
        q_end(q);
    }
    return wcommit(q, a);
}

s3_err iam_UpdateRole(struct qreq *q) { return update_role(q, 0); }
s3_err iam_UpdateRoleDescription(struct qreq *q) { return update_role(q, 1); }

s3_err iam_UpdateAssumeRolePolicy(struct qreq *q)
{
    const char *name, *doc;
    struct iam_account *a;
    s3_err e;
    if ((e = q_need(q, "RoleName", &name)) != S3_OK || (e = q_need(q, "PolicyDocument", &doc)) != S3_OK)
        return e;
    if ((e = authz_arn(q, "iam:UpdateAssumeRolePolicy", "role", name, NULL, NULL, 0)) != S3_OK)
        return e;
    if ((a = wbegin(q)) == NULL)
        return S3E_NOMEM;
    if ((e = iam_role_update_trust(a, name, doc, &q->m)) != S3_OK)
        return wfail(q, a, e);
    q_ok(q);
    return wcommit(q, a);
}

s3_err iam_DeleteRole(struct qreq *q)
{
    const char *name;
    struct iam_account *a;
    s3_err e;
    if ((e = q_need(q, "RoleName", &name)) != S3_OK || (e = authz_arn(q, "iam:DeleteRole", "role", name, NULL, NULL, 0)) != S3_OK)
        return e;
    if ((a = wbegin(q)) == NULL)
        return S3E_NOMEM;
    if ((e = iam_role_delete(a, name, &q->m)) != S3_OK)
        return wfail(q, a, e);
    q_ok(q);
    return wcommit(q, a);
}

s3_err iam_TagRole(struct qreq *q) { return iam_tag_entity(q, "role", "RoleName", "iam:TagRole"); }
s3_err iam_UntagRole(struct qreq *q) { return iam_untag_entity(q, "role", "RoleName", "iam:UntagRole"); }
s3_err iam_ListRoleTags(struct qreq *q) { return iam_list_entity_tags(q, "role", "RoleName", "iam:ListRoleTags"); }
