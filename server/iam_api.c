/*
 * server/iam_api.c - the IAM and STS query protocol (Action=...&Version=..., form POST or GET):
 * the form, the dispatch table, response writing, and the IAM user, group, login profile and
 * access key actions.  Managed/inline policies and roles are in iam_policies.c, simulations
 * and account reports in iam_sim.c, STS in sts_api.c.
 *
 * Every action is authorised (authz_query) on its resource ARN before it changes or reveals
 * anything, as IAM does: a caller without permission learns nothing, not even whether the
 * entity exists.  Changes run in one write transaction of the IAM database, which saves the
 * account's state before the response is sent; a failed save undoes the change.
 */
#include "config.h"
#include "server/iam_api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/log.h"
#include "server/authz.h"
#include "server/iam_int.h"

/* ------------------------------------------------------------------ the form */

static s3_err form_add(struct qreq *q, unsigned *cap, char *name, char *value)
{
    if (name == NULL || value == NULL) {
        free(name);
        free(value);
        return S3E_NOMEM;
    }
    if (q->n == *cap) {
        unsigned nc = *cap ? *cap * 2 : 16;
        struct qparam *nv = realloc(q->v, nc * sizeof(*nv));
        if (nv == NULL) {
            free(name);
            free(value);
            return S3E_NOMEM;
        }
        q->v = nv;
        *cap = nc;
    }
    q->v[q->n].name = name;
    q->v[q->n].value = value;
    q->v[q->n].has_value = 1;
    q->n++;
    return S3_OK;
}

/* Form parameters come from the body (POST) and the query (GET). */
static s3_err form_parse(struct qreq *q)
{
    struct s3_req *r = q->r;
    struct s3_str s = buf_str(&r->body_buf);
    const char *p = s.p, *end = s.p + s.len;
    unsigned cap = 0;
    s3_err e;

    for (unsigned i = 0; i < r->n_q; i++)
        if ((e = form_add(q, &cap, strdup(r->q[i].name), strdup(r->q[i].value ? r->q[i].value : ""))) != S3_OK)
            return e;
    while (p && p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p)), *stop = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(stop - p));
        struct s3_buf k, v;
        if (stop == p) {
            p = stop + 1;
            continue;
        }
        buf_init(&k, 0);
        buf_init(&v, 0);
        if (s3_uri_decode((struct s3_str){ p, (size_t)((eq ? eq : stop) - p) }, 1, &k) != S3_OK ||
            (eq && s3_uri_decode((struct s3_str){ eq + 1, (size_t)(stop - eq - 1) }, 1, &v) != S3_OK)) {
            buf_release(&k);
            buf_release(&v);
            return req_fail(r, S3E_IAM_INVALID_INPUT, "The request body is not correctly form-encoded.");
        }
        if ((e = form_add(q, &cap, buf_detach(&k, NULL), buf_detach(&v, NULL))) != S3_OK)
            return e;
        p = stop + 1;
    }
    return S3_OK;
}

static void form_release(struct qreq *q)
{
    for (unsigned i = 0; i < q->n; i++) {
        free(q->v[i].name);
        free(q->v[i].value);
    }
    free(q->v);
    q->v = NULL;
    q->n = 0;
}

const char *q_get(const struct qreq *q, const char *name)
{
    for (unsigned i = 0; i < q->n; i++)
        if (!strcmp(q->v[i].name, name))
            return q->v[i].value;
    return NULL;
}

/* AWS names members in lowerCamelCase in validation messages ("userName"). */
static void camel(const char *name, char *out, size_t n)
{
    snprintf(out, n, "%s", name);
    if (out[0] >= 'A' && out[0] <= 'Z')
        out[0] = (char)(out[0] + 32);
}

s3_err q_need(struct qreq *q, const char *name, const char **out)
{
    char c[128];
    if ((*out = q_get(q, name)) != NULL)
        return S3_OK;
    camel(name, c, sizeof(c));
    return req_fail(q->r, S3E_IAM_VALIDATION,
                    "1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null",
                    c);
}

int q_bool(struct qreq *q, const char *name, int dflt)
{
    const char *v = q_get(q, name);
    if (v == NULL)
        return dflt;
    if (!strcasecmp(v, "true"))
        return 1;
    if (!strcasecmp(v, "false"))
        return 0;
    req_fail(q->r, S3E_IAM_VALIDATION, "1 validation error detected: Value '%s' at '%s' failed to satisfy "
                                       "constraint: Member must be true or false",
             v, name);
    return -1;
}

s3_err q_int(struct qreq *q, const char *name, long min, long max, long dflt, long *out)
{
    const char *v = q_get(q, name);
    char *end;
    long x;
    char c[128];
    *out = dflt;
    if (v == NULL)
        return S3_OK;
    errno = 0;
    x = strtol(v, &end, 10);
    camel(name, c, sizeof(c));
    if (end == v || *end || errno)
        return req_fail(q->r, S3E_IAM_VALIDATION, "1 validation error detected: Value '%s' at '%s' failed to satisfy "
                                                  "constraint: Member must be a number",
                        v, c);
    if (x < min || x > max)
        return req_fail(q->r, S3E_IAM_VALIDATION, "1 validation error detected: Value '%ld' at '%s' failed to satisfy "
                                                  "constraint: Member must have value %s %ld",
                        x, c, x < min ? "greater than or equal to" : "less than or equal to", x < min ? min : max);
    *out = x;
    return S3_OK;
}

s3_err q_list(struct qreq *q, const char *prefix, struct iam_strs *out)
{
    char name[256];
    for (int i = 1; i <= 1000; i++) {
        const char *v;
        snprintf(name, sizeof(name), "%s.member.%d", prefix, i);
        if ((v = q_get(q, name)) == NULL)
            break;
        if (iam_strs_add(out, v) != S3_OK)
            return S3E_NOMEM;
    }
    return S3_OK;
}

s3_err q_tags(struct qreq *q, const char *prefix, struct iam_tags *out)
{
    char kn[256], vn[256];
    for (int i = 1; i <= 1000; i++) {
        const char *k, *v;
        snprintf(kn, sizeof(kn), "%s.member.%d.Key", prefix, i);
        snprintf(vn, sizeof(vn), "%s.member.%d.Value", prefix, i);
        k = q_get(q, kn);
        v = q_get(q, vn);
        if (k == NULL && v == NULL)
            break;
        if (k == NULL)
            return req_fail(q->r, S3E_IAM_VALIDATION, "1 validation error detected: Value null at 'tags.%d.member.key' "
                                                      "failed to satisfy constraint: Member must not be null",
                            i);
        if (iam_tags_add(out, k, v ? v : "") != S3_OK)
            return S3E_NOMEM;
    }
    return S3_OK;
}

/* ------------------------------------------------------------------ responses */

void q_begin(struct qreq *q, const char *ns, int with_result)
{
    snprintf(q->resp_elem, sizeof(q->resp_elem), "%sResponse", q->action);
    snprintf(q->result_elem, sizeof(q->result_elem), "%sResult", q->action);
    xw_begin(&q->w, &q->r->resp.body, q->resp_elem, ns);
    if (with_result)
        xw_open(&q->w, q->result_elem);
    q->began = 1;
}

void q_end(struct qreq *q)
{
    /* close the Result element, if any */
    while (q->w.depth > 1)
        xw_close(&q->w);
    xw_open(&q->w, "ResponseMetadata");
    xw_elem(&q->w, "RequestId", q->r->req_id);
    xw_end(&q->w);
    resp_header(q->r, "Content-Type", "text/xml");
}

s3_err q_ok(struct qreq *q)
{
    q_begin(q, q->r->svc == SVC_STS ? STS_NS : IAM_NS, 0);
    q_end(q);
    return S3_OK;
}

s3_err q_fail(struct qreq *q, s3_err e)
{
    if (e == S3E_NOMEM || e == S3E_INTERNAL)
        return req_fail(q->r, e, NULL);
    return req_fail(q->r, e, "%s", q->m.msg[0] ? q->m.msg : err_message(e));
}

void q_time(struct xml_w *w, const char *name, int64_t t)
{
    char iso[32];
    iam_time_iso(t, iso);
    xw_elem(w, name, iso);
}

void q_doc(struct xml_w *w, const char *name, const char *json)
{
    struct s3_buf b;
    buf_init(&b, 0);
    buf_add_uri_encoded(&b, s3_cstr(json), 0);
    xw_elem(w, name, b.p ? b.p : "");
    buf_release(&b);
}

void q_tags_xml(struct xml_w *w, const struct iam_tags *t)
{
    if (t->n == 0)
        return;
    xw_open(w, "Tags");
    for (size_t i = 0; i < t->n; i++) {
        xw_open(w, "member");
        xw_elem(w, "Key", t->v[i].key);
        xw_elem(w, "Value", t->v[i].value);
        xw_close(w);
    }
    xw_close(w);
}

void q_user(struct xml_w *w, const struct iam_user *u, int with_tags)
{
    xw_elem(w, "Path", u->path);
    xw_elem(w, "UserName", u->name);
    xw_elem(w, "UserId", u->id);
    xw_elem(w, "Arn", u->arn);
    q_time(w, "CreateDate", u->created);
    if (u->password_last_used)
        q_time(w, "PasswordLastUsed", u->password_last_used);
    if (with_tags)
        q_tags_xml(w, &u->tags);
}

void q_group(struct xml_w *w, const struct iam_group *g)
{
    xw_elem(w, "Path", g->path);
    xw_elem(w, "GroupName", g->name);
    xw_elem(w, "GroupId", g->id);
    xw_elem(w, "Arn", g->arn);
    q_time(w, "CreateDate", g->created);
}

void q_role(struct xml_w *w, const struct iam_role *r, int full)
{
    xw_elem(w, "Path", r->path);
    xw_elem(w, "RoleName", r->name);
    xw_elem(w, "RoleId", r->id);
    xw_elem(w, "Arn", r->arn);
    q_time(w, "CreateDate", r->created);
    q_doc(w, "AssumeRolePolicyDocument", r->trust.text);
    if (r->description)
        xw_elem(w, "Description", r->description);
    xw_elemf(w, "MaxSessionDuration", "%d", r->max_session);
    if (full) {
        q_tags_xml(w, &r->tags);
        xw_open(w, "RoleLastUsed");
        if (r->last_used) {
            q_time(w, "LastUsedDate", r->last_used);
            xw_elem(w, "Region", r->last_region);
        }
        xw_close(w);
    }
}

void q_mpolicy(struct xml_w *w, const struct iam_account *a, const struct iam_mpolicy *p, int with_description)
{
    xw_elem(w, "PolicyName", p->name);
    xw_elem(w, "PolicyId", p->id);
    xw_elem(w, "Arn", p->arn);
    xw_elem(w, "Path", p->path);
    xw_elem(w, "DefaultVersionId", p->versions.n ? p->versions.v[p->def].name : "v1");
    xw_elemf(w, "AttachmentCount", "%zu", iam_policy_attachment_count(a, p->arn));
    xw_elem(w, "PermissionsBoundaryUsageCount", "0");
    xw_elem(w, "IsAttachable", "true");
    if (with_description && p->description)
        xw_elem(w, "Description", p->description);
    q_time(w, "CreateDate", p->created);
    q_time(w, "UpdateDate", p->updated);
    if (with_description)
        q_tags_xml(w, &p->tags);
}

void q_version(struct xml_w *w, const struct iam_doc *v, int is_default, int with_doc)
{
    if (with_doc)
        q_doc(w, "Document", v->text);
    xw_elem(w, "VersionId", v->name);
    xw_elem_bool(w, "IsDefaultVersion", is_default);
    q_time(w, "CreateDate", v->created);
}

s3_err q_page_begin(struct qreq *q, size_t total, struct q_page *p)
{
    long max;
    const char *marker = q_get(q, "Marker");
    s3_err e;

    p->total = total;
    p->start = 0;
    if ((e = q_int(q, "MaxItems", 1, 1000, 100, &max)) != S3_OK)
        return e;
    if (marker) {
        char *end;
        unsigned long v;
        errno = 0;
        v = strncmp(marker, "s3iam-", 6) == 0 ? strtoul(marker + 6, &end, 10) : 0;
        if (strncmp(marker, "s3iam-", 6) != 0 || *end || errno)
            return req_fail(q->r, S3E_IAM_INVALID_INPUT, "Invalid Marker: use the Marker of the previous response.");
        p->start = v > total ? total : (size_t)v;
    }
    p->end = p->start + (size_t)max < total ? p->start + (size_t)max : total;
    return S3_OK;
}

void q_page_end(struct qreq *q, const struct q_page *p)
{
    xw_elem_bool(&q->w, "IsTruncated", p->end < p->total);
    if (p->end < p->total)
        xw_elemf(&q->w, "Marker", "s3iam-%zu", p->end);
}

/* ------------------------------------------------------------------ authorisation helpers */

s3_err q_authz(struct qreq *q, const char *action, const char *resource, const struct authz_key *extra,
               size_t n_extra)
{
    return authz_query(q->r, action, resource, extra, n_extra);
}

char *q_ent_arn(struct qreq *q, const char *kind, const char *name, const char *path)
{
    const struct iam_account *a = iam_read_begin(q->db, q->account);
    char *arn = NULL;
    if (a && name) {
        if (!strcmp(kind, "user") && iam_user_find(a, name))
            arn = strdup(iam_user_find(a, name)->arn);
        else if (!strcmp(kind, "group") && iam_group_find(a, name))
            arn = strdup(iam_group_find(a, name)->arn);
        else if (!strcmp(kind, "role") && iam_role_find(a, name))
            arn = strdup(iam_role_find(a, name)->arn);
    }
    if (a)
        iam_read_end(q->db);
    if (arn == NULL) {
        struct s3_buf b;
        buf_init(&b, 0);
        buf_addf(&b, "arn:aws:iam::%s:%s%s%s", q->account, kind, path && path[0] == '/' ? path : "/", name ? name : "");
        arn = buf_detach(&b, NULL);
    }
    return arn;
}

/* Authorise action on the user/group/role name (existing ARN, else built from path). */
static s3_err authz_ent(struct qreq *q, const char *action, const char *kind, const char *name, const char *path,
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

/* aws:RequestTag/<k> and aws:TagKeys for actions that set tags. */
static s3_err authz_ent_tags(struct qreq *q, const char *action, const char *kind, const char *name, const char *path,
                             const struct iam_tags *tags)
{
    struct authz_key keys[IAM_MAX_TAGS + 2];
    const char *tk[IAM_MAX_TAGS + 1];
    char names[IAM_MAX_TAGS + 1][160];
    size_t n = 0, nt = tags ? (tags->n > IAM_MAX_TAGS ? IAM_MAX_TAGS : tags->n) : 0;
    memset(keys, 0, sizeof(keys));
    for (size_t i = 0; i < nt; i++) {
        snprintf(names[i], sizeof(names[i]), "aws:RequestTag/%s", tags->v[i].key);
        keys[n].name = names[i];
        keys[n].value = tags->v[i].value;
        n++;
        tk[i] = tags->v[i].key;
    }
    if (nt) {
        keys[n].name = "aws:TagKeys";
        keys[n].values = tk;
        keys[n].n_values = nt;
        n++;
    }
    return authz_ent(q, action, kind, name, path, keys, n);
}

/* The user a self-service action is about: UserName, or the calling user. */
static const char *self_user(struct qreq *q, s3_err *e)
{
    const char *u = q_get(q, "UserName");
    *e = S3_OK;
    if (u)
        return u;
    if (q->r->who.kind == PRIN_USER)
        return q->r->who.name;
    if (q->r->who.kind == PRIN_ROOT)
        *e = req_fail(q->r, S3E_IAM_VALIDATION,
                      "s3iam keeps the root user's access key in its configuration (S3IAM_ROOT_ACCESS_KEY_ID / "
                      "S3IAM_ROOT_SECRET_ACCESS_KEY): name an IAM user with UserName.");
    else
        *e = req_fail(q->r, S3E_IAM_VALIDATION, "Must specify userName when calling with non-User credentials");
    return NULL;
}

/* Write transaction; NULL (error set) when out of memory. */
static struct iam_account *wbegin(struct qreq *q)
{
    struct iam_account *a = iam_write_begin(q->db, q->account);
    if (a == NULL)
        req_fail(q->r, S3E_NOMEM, NULL);
    return a;
}

/* Commit after rendering; a failed save replaces the response with the error. */
static s3_err wcommit(struct qreq *q, struct iam_account *a)
{
    s3_err e = iam_write_commit(a);
    if (e != S3_OK)
        return req_fail(q->r, e, "The change could not be saved; it was undone.");
    return S3_OK;
}

/* A failed change: undo, report. */
static s3_err wfail(struct qreq *q, struct iam_account *a, s3_err e)
{
    iam_write_abort(a);
    return q_fail(q, e);
}

/* ------------------------------------------------------------------ users */

static s3_err iam_CreateUser(struct qreq *q)
{
    const char *name, *path = q_get(q, "Path");
    struct iam_tags tags = { 0 };
    struct iam_account *a;
    struct iam_user *u;
    s3_err e;

    if ((e = q_need(q, "UserName", &name)) != S3_OK || (e = q_tags(q, "Tags", &tags)) != S3_OK)
        goto out;
    if ((e = authz_ent_tags(q, "iam:CreateUser", "user", name, path, &tags)) != S3_OK)
        goto out;
    if (tags.n && (e = authz_ent_tags(q, "iam:TagUser", "user", name, path, &tags)) != S3_OK)
        goto out;
    if ((a = wbegin(q)) == NULL) {
        e = S3E_NOMEM;
        goto out;
    }
    if ((e = iam_user_create(a, name, path, &tags, &q->m, &u)) != S3_OK) {
        e = wfail(q, a, e);
        goto out;
    }
    q_begin(q, IAM_NS, 1);
    xw_open(&q->w, "User");
    q_user(&q->w, u, 1);
    xw_close(&q->w);
    q_end(q);
    e = wcommit(q, a);
out:
    iam_tags_release(&tags);
    return e;
}

static s3_err iam_GetUser(struct qreq *q)
{
    const char *name = q_get(q, "UserName");
    const struct iam_account *a;
    const struct iam_user *u;
    s3_err e;

    if (name == NULL && q->r->who.kind == PRIN_ROOT) {
        /* GetUser without a name by the root user describes the root user. */
        q_begin(q, IAM_NS, 1);
        xw_open(&q->w, "User");
        xw_elem(&q->w, "UserId", q->account);
        xw_elemf(&q->w, "Arn", "arn:aws:iam::%s:root", q->account);
        q_time(&q->w, "CreateDate", q->r->srv->started);
        xw_close(&q->w);
        q_end(q);
        return S3_OK;
    }
    if ((name = self_user(q, &e)) == NULL)
        return e;
    if ((e = authz_ent(q, "iam:GetUser", "user", name, NULL, NULL, 0)) != S3_OK)
        return e;
    if ((a = iam_read_begin(q->db, q->account)) == NULL || (u = iam_user_find(a, name)) == NULL) {
        if (a)
            iam_read_end(q->db);
        return req_fail(q->r, S3E_IAM_NO_SUCH_ENTITY, "The user with name %s cannot be found.", name);
    }
    q_begin(q, IAM_NS, 1);
    xw_open(&q->w, "User");
    q_user(&q->w, u, 1);
    xw_close(&q->w);
    q_end(q);
    iam_read_end(q->db);
    return S3_OK;
}

static int path_under(const char *path, const char *prefix) { return !prefix || !strncmp(path, prefix, strlen(prefix)); }

static s3_err iam_ListUsers(struct qreq *q)
{
    const char *prefix = q_get(q, "PathPrefix");
    const struct iam_account *a;
    const struct iam_user **sel;
    struct q_page pg;
    size_t n = 0;
    s3_err e;
    char res[200];

    snprintf(res, sizeof(res), "arn:aws:iam::%s:user%s", q->account, prefix && prefix[0] == '/' ? prefix : "/");
    if ((e = q_authz(q, "iam:ListUsers", res, NULL, 0)) != S3_OK)
        return e;
    if ((a = iam_read_begin(q->db, q->account)) == NULL)
        return req_fail(q->r, S3E_INTERNAL, NULL);
    if ((sel = calloc(a->n_users + 1, sizeof(*sel))) == NULL) {
        iam_read_end(q->db);
        return req_fail(q->r, S3E_NOMEM, NULL);
    }
    for (size_t i = 0; i < a->n_users; i++)
        if (path_under(a->users[i]->path, prefix))
            sel[n++] = a->users[i];
    if ((e = q_page_begin(q, n, &pg)) == S3_OK) {
        q_begin(q, IAM_NS, 1);
        xw_open(&q->w, "Users");
        for (size_t i = pg.start; i < pg.end; i++) {
            xw_open(&q->w, "member");
            q_user(&q->w, sel[i], 0);
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

static s3_err iam_UpdateUser(struct qreq *q)
{
    const char *name, *nn = q_get(q, "NewUserName"), *np = q_get(q, "NewPath");
    struct iam_account *a;
    s3_err e;
    if ((e = q_need(q, "UserName", &name)) != S3_OK)
        return e;
    if ((e = authz_ent(q, "iam:UpdateUser", "user", name, NULL, NULL, 0)) != S3_OK)
        return e;
    if (nn && (e = authz_ent(q, "iam:UpdateUser", "user", nn, np, NULL, 0)) != S3_OK)
        return e;
    if ((a = wbegin(q)) == NULL)
        return S3E_NOMEM;
    if ((e = iam_user_update(a, name, nn, np, &q->m)) != S3_OK)
        return wfail(q, a, e);
    q_ok(q);
    return wcommit(q, a);
}

static s3_err iam_DeleteUser(struct qreq *q)
{
    const char *name;
    struct iam_account *a;
    s3_err e;
    if ((e = q_need(q, "UserName", &name)) != S3_OK)
        return e;
    if ((e = authz_ent(q, "iam:DeleteUser", "user", name, NULL, NULL, 0)) != S3_OK)
        return e;
    if ((a = wbegin(q)) == NULL)
        return S3E_NOMEM;
    if ((e = iam_user_delete(a, name, &q->m)) != S3_OK)
        return wfail(q, a, e);
    q_ok(q);
    return wcommit(q, a);
}

/* Tag/Untag/ListTags for users and roles share one shape. */
static struct iam_tags *tags_of(const struct iam_account *a, const char *kind, const char *name)
{
    if (!strcmp(kind, "user")) {
        struct iam_user *u = iam_user_find(a, name);
        return u ? &u->tags : NULL;
    }
    if (!strcmp(kind, "role")) {
        struct iam_role *r = iam_role_find(a, name);
        return r ? &r->tags : NULL;
    }
    {
        struct iam_mpolicy *p = iam_policy_find(a, name);
        return p && !p->aws ? &p->tags : NULL;
    }
}

static s3_err not_found(struct qreq *q, const char *kind, const char *name)
{
    if (!strcmp(kind, "policy"))
        return req_fail(q->r, S3E_IAM_NO_SUCH_ENTITY, "Policy %s was not found.", name);
    return req_fail(q->r, S3E_IAM_NO_SUCH_ENTITY, "The %s with name %s cannot be found.", kind, name);
}

/* kind "user", "role" or "policy" (by ARN); param UserName/RoleName/PolicyArn. */
s3_err iam_tag_entity(struct qreq *q, const char *kind, const char *param, const char *action)
{
    const char *name;
    struct iam_tags add = { 0 };
    struct iam_account *a;
    struct iam_tags *t;
    s3_err e;

    if ((e = q_need(q, param, &name)) != S3_OK || (e = q_tags(q, "Tags", &add)) != S3_OK)
        goto out;
    if (!strcmp(kind, "policy"))
        e = q_authz(q, action, name, NULL, 0);
    else
        e = authz_ent_tags(q, action, kind, name, NULL, &add);
    if (e != S3_OK)
        goto out;
    if ((a = wbegin(q)) == NULL) {
        e = S3E_NOMEM;
        goto out;
    }
    if ((t = tags_of(a, kind, name)) == NULL) {
        iam_write_abort(a);
        e = not_found(q, kind, name);
        goto out;
    }
    if ((e = iam_tags_set(a, t, &add, &q->m)) != S3_OK) {
        e = wfail(q, a, e);
        goto out;
    }
    q_ok(q);
    e = wcommit(q, a);
out:
    iam_tags_release(&add);
    return e;
}

s3_err iam_untag_entity(struct qreq *q, const char *kind, const char *param, const char *action)
{
    const char *name;
    struct iam_strs keys = { 0 };
    struct iam_account *a;
    struct iam_tags *t;
    s3_err e;

    if ((e = q_need(q, param, &name)) != S3_OK || (e = q_list(q, "TagKeys", &keys)) != S3_OK)
        goto out;
    if (!strcmp(kind, "policy")) {
        e = q_authz(q, action, name, NULL, 0);
    } else {
        struct authz_key k = { "aws:TagKeys", 0, NULL, (const char *const *)keys.v, keys.n };
        e = authz_ent(q, action, kind, name, NULL, &k, 1);
    }
    if (e != S3_OK)
        goto out;
    if ((a = wbegin(q)) == NULL) {
        e = S3E_NOMEM;
        goto out;
    }
    if ((t = tags_of(a, kind, name)) == NULL) {
        iam_write_abort(a);
        e = not_found(q, kind, name);
        goto out;
    }
    if ((e = iam_tags_remove(a, t, &keys, &q->m)) != S3_OK) {
        e = wfail(q, a, e);
        goto out;
    }
    q_ok(q);
    e = wcommit(q, a);
out:
    iam_strs_release(&keys);
    return e;
}

s3_err iam_list_entity_tags(struct qreq *q, const char *kind, const char *param, const char *action)
{
    const char *name;
    const struct iam_account *a;
    struct iam_tags *t;
    struct q_page pg;
    s3_err e;

    if ((e = q_need(q, param, &name)) != S3_OK)
        return e;
    e = !strcmp(kind, "policy") ? q_authz(q, action, name, NULL, 0) : authz_ent(q, action, kind, name, NULL, NULL, 0);
    if (e != S3_OK)
        return e;
    a = iam_read_begin(q->db, q->account);
    if (a == NULL || (t = tags_of(a, kind, name)) == NULL) {
        if (a)
            iam_read_end(q->db);
        return not_found(q, kind, name);
    }
    if ((e = q_page_begin(q, t->n, &pg)) == S3_OK) {
        q_begin(q, IAM_NS, 1);
        xw_open(&q->w, "Tags");
        for (size_t i = pg.start; i < pg.end; i++) {
            xw_open(&q->w, "member");
            xw_elem(&q->w, "Key", t->v[i].key);
            xw_elem(&q->w, "Value", t->v[i].value);
            xw_close(&q->w);
        }
        xw_close(&q->w);
        q_page_end(q, &pg);
        q_end(q);
    }
    iam_read_end(q->db);
    return e;
}

static s3_err iam_TagUser(struct qreq *q) { return iam_tag_entity(q, "user", "UserName", "iam:TagUser"); }
static s3_err iam_UntagUser(struct qreq *q) { return iam_untag_entity(q, "user", "UserName", "iam:UntagUser"); }
static s3_err iam_ListUserTags(struct qreq *q) { return iam_list_entity_tags(q, "user", "UserName", "iam:ListUserTags"); }

/* ------------------------------------------------------------------ login profiles */

static s3_err login_render(struct qreq *q, const struct iam_user *u)
{
    q_begin(q, IAM_NS, 1);
    xw_open(&q->w, "LoginProfile");
    xw_elem(&q->w, "UserName", u->name);
    q_time(&q->w, "CreateDate", u->login.created);
    xw_elem_bool(&q->w, "PasswordResetRequired", u->login.reset_required);
    xw_close(&q->w);
    q_end(q);
    return S3_OK;
}

static s3_err iam_CreateLoginProfile(struct qreq *q)
{
    const char *name, *pw;
    int reset = q_bool(q, "PasswordResetRequired", 0);
    struct iam_account *a;
    s3_err e;
    if (reset < 0)
        return q->r->err;
    if ((name = self_user(q, &e)) == NULL)
        return e;
    if ((e = q_need(q, "Password", &pw)) != S3_OK)
        return e;
    if ((e = authz_ent(q, "iam:CreateLoginProfile", "user", name, NULL, NULL, 0)) != S3_OK)
        return e;
    if ((a = wbegin(q)) == NULL)
        return S3E_NOMEM;
    if ((e = iam_login_create(a, name, pw, reset, &q->m)) != S3_OK)
        return wfail(q, a, e);
    login_render(q, iam_user_find(a, name));
    return wcommit(q, a);
}

static s3_err iam_GetLoginProfile(struct qreq *q)
{
    const char *name;
    const struct iam_account *a;
    const struct iam_user *u;
    s3_err e;
    if ((name = self_user(q, &e)) == NULL)
        return e;
    if ((e = authz_ent(q, "iam:GetLoginProfile", "user", name, NULL, NULL, 0)) != S3_OK)
        return e;
    if ((a = iam_read_begin(q->db, q->account)) == NULL)
        return req_fail(q->r, S3E_INTERNAL, NULL);
    u = iam_user_find(a, name);
    if (u == NULL || !u->login.present) {
        iam_read_end(q->db);
        if (u == NULL)
            return req_fail(q->r, S3E_IAM_NO_SUCH_ENTITY, "The user with name %s cannot be found.", name);
        return req_fail(q->r, S3E_IAM_NO_SUCH_ENTITY, "Login Profile for User %s cannot be found.", name);
    }
    login_render(q, u);
    iam_read_end(q->db);
    return S3_OK;
}

static s3_err iam_UpdateLoginProfile(struct qreq *q)
{
    const char *name, *pw = q_get(q, "Password");
    int reset = q_bool(q, "PasswordResetRequired", -2);
    struct iam_account *a;
    s3_err e;
    if (reset == -1)
        return q->r->err;
    if ((name = self_user(q, &e)) == NULL)
        return e;
    if ((e = authz_ent(q, "iam:UpdateLoginProfile", "user", name, NULL, NULL, 0)) != S3_OK)
        return e;
    if ((a = wbegin(q)) == NULL)
        return S3E_NOMEM;
    if ((e = iam_login_update(a, name, pw, reset == -2 ? -1 : reset, &q->m)) != S3_OK)
        return wfail(q, a, e);
    q_ok(q);
    return wcommit(q, a);
}

static s3_err iam_DeleteLoginProfile(struct qreq *q)
{
    const char *name;
    struct iam_account *a;
    s3_err e;
    if ((name = self_user(q, &e)) == NULL)
        return e;
    if ((e = authz_ent(q, "iam:DeleteLoginProfile", "user", name, NULL, NULL, 0)) != S3_OK)
        return e;
    if ((a = wbegin(q)) == NULL)
        return S3E_NOMEM;
    if ((e = iam_login_delete(a, name, &q->m)) != S3_OK)
        return wfail(q, a, e);
    q_ok(q);
    return wcommit(q, a);
}

static s3_err iam_ChangePassword(struct qreq *q)
{
    const char *oldp, *newp;
    struct iam_account *a;
    s3_err e;
    if (q->r->who.kind != PRIN_USER)
        return req_fail(q->r, S3E_IAM_INVALID_INPUT, "ChangePassword changes the calling IAM user's own password; "
                                                     "call it with an IAM user's credentials.");
    if ((e = q_need(q, "OldPassword", &oldp)) != S3_OK || (e = q_need(q, "NewPassword", &newp)) != S3_OK)
        return e;
    if ((e = authz_ent(q, "iam:ChangePassword", "user", q->r->who.name, NULL, NULL, 0)) != S3_OK)
        return e;
    if ((a = wbegin(q)) == NULL)
        return S3E_NOMEM;
    if ((e = iam_login_change(a, q->r->who.name, oldp, newp, &q->m)) != S3_OK)
        return wfail(q, a, e);
    q_ok(q);
    return wcommit(q, a);
}

static s3_err iam_GetAccountPasswordPolicy(struct qreq *q)
{
    s3_err e;
    if ((e = q_authz(q, "iam:GetAccountPasswordPolicy", "*", NULL, 0)) != S3_OK)
        return e;
    return req_fail(q->r, S3E_IAM_NO_SUCH_ENTITY, "The Password Policy with domain name %s cannot be found.",
                    q->account);
}

/* ------------------------------------------------------------------ access keys */

static s3_err iam_CreateAccessKey(struct qreq *q)
{
    const char *name;
    struct iam_account *a;
    const struct iam_key *k;
    s3_err e;
    if ((name = self_user(q, &e)) == NULL)
        return e;
    if ((e = authz_ent(q, "iam:CreateAccessKey", "user", name, NULL, NULL, 0)) != S3_OK)
        return e;
    if ((a = wbegin(q)) == NULL)
        return S3E_NOMEM;
    if ((e = iam_key_create(a, name, &q->m, &k)) != S3_OK)
        return wfail(q, a, e);
    q_begin(q, IAM_NS, 1);
    xw_open(&q->w, "AccessKey");
    xw_elem(&q->w, "UserName", iam_user_find(a, name)->name);
    xw_elem(&q->w, "AccessKeyId", k->id);
    xw_elem(&q->w, "Status", "Active");
    xw_elem(&q->w, "SecretAccessKey", k->secret);
    q_time(&q->w, "CreateDate", k->created);
    xw_close(&q->w);
    q_end(q);
    return wcommit(q, a);
}

static s3_err iam_ListAccessKeys(struct qreq *q)
{
    const char *name;
    const struct iam_account *a;
    const struct iam_user *u;
    struct q_page pg;
    s3_err e;
    if ((name = self_user(q, &e)) == NULL)
        return e;
    if ((e = authz_ent(q, "iam:ListAccessKeys", "user", name, NULL, NULL, 0)) != S3_OK)
        return e;
    if ((a = iam_read_begin(q->db, q->account)) == NULL)
        return req_fail(q->r, S3E_INTERNAL, NULL);
    if ((u = iam_user_find(a, name)) == NULL) {
        iam_read_end(q->db);
        return req_fail(q->r, S3E_IAM_NO_SUCH_ENTITY, "The user with name %s cannot be found.", name);
    }
    if ((e = q_page_begin(q, u->n_keys, &pg)) == S3_OK) {
        q_begin(q, IAM_NS, 1);
        xw_open(&q->w, "AccessKeyMetadata");
        for (size_t i = pg.start; i < pg.end; i++) {
            xw_open(&q->w, "member");
            xw_elem(&q->w, "UserName", u->name);
            xw_elem(&q->w, "AccessKeyId", u->keys[i].id);
            xw_elem(&q->w, "Status", u->keys[i].active ? "Active" : "Inactive");
            q_time(&q->w, "CreateDate", u->keys[i].created);
            xw_close(&q->w);
        }
        xw_close(&q->w);
        xw_elem(&q->w, "UserName", u->name);
        q_page_end(q, &pg);
        q_end(q);
    }
    iam_read_end(q->db);
    return e;
}

static s3_err iam_UpdateAccessKey(struct qreq *q)
{
    const char *name, *id, *status;
    struct iam_account *a;
    s3_err e;
    if ((name = self_user(q, &e)) == NULL)
        return e;
    if ((e = q_need(q, "AccessKeyId", &id)) != S3_OK || (e = q_need(q, "Status", &status)) != S3_OK)
        return e;
    if (strcmp(status, "Active") && strcmp(status, "Inactive"))
        return req_fail(q->r, S3E_IAM_VALIDATION, "1 validation error detected: Value '%s' at 'status' failed to "
                                                  "satisfy constraint: Member must satisfy enum value set: "
                                                  "[Active, Inactive]",
                        status);
    if ((e = authz_ent(q, "iam:UpdateAccessKey", "user", name, NULL, NULL, 0)) != S3_OK)
        return e;
    if ((a = wbegin(q)) == NULL)
        return S3E_NOMEM;
    if ((e = iam_key_set_active(a, name, id, !strcmp(status, "Active"), &q->m)) != S3_OK)
        return wfail(q, a, e);
    q_ok(q);
    return wcommit(q, a);
}

static s3_err iam_DeleteAccessKey(struct qreq *q)
{
    const char *name, *id;
    struct iam_account *a;
    s3_err e;
    if ((name = self_user(q, &e)) == NULL)
        return e;
    if ((e = q_need(q, "AccessKeyId", &id)) != S3_OK)
        return e;
    if ((e = authz_ent(q, "iam:DeleteAccessKey", "user", name, NULL, NULL, 0)) != S3_OK)
        return e;
    if ((a = wbegin(q)) == NULL)
        return S3E_NOMEM;
    if ((e = iam_key_delete(a, name, id, &q->m)) != S3_OK)
        return wfail(q, a, e);
    q_ok(q);
    return wcommit(q, a);
}

static s3_err iam_GetAccessKeyLastUsed(struct qreq *q)
{
    const char *id;
    const struct iam_account *a;
    struct iam_user *u;
    struct iam_key *k = NULL;
    char *arn = NULL, user[128] = "";
    struct iam_key copy;
    s3_err e;

    memset(&copy, 0, sizeof(copy));
    if ((e = q_need(q, "AccessKeyId", &id)) != S3_OK)
        return e;
    /* The resource is the key's owner, so find it first (without revealing it yet). */
    if ((a = iam_read_begin(q->db, q->account)) != NULL) {
        if ((u = iam_user_by_key(a, id, &k)) != NULL) {
            arn = strdup(u->arn);
            snprintf(user, sizeof(user), "%s", u->name);
            copy = *k;
        }
        iam_read_end(q->db);
    }
    if (arn == NULL) {
        if ((e = q_authz(q, "iam:GetAccessKeyLastUsed", "*", NULL, 0)) != S3_OK)
            return e;
        return req_fail(q->r, S3E_IAM_NO_SUCH_ENTITY, "The Access Key with id %s cannot be found.", id);
    }
    e = q_authz(q, "iam:GetAccessKeyLastUsed", arn, NULL, 0);
    free(arn);
    if (e != S3_OK)
        return e;
    q_begin(q, IAM_NS, 1);
    xw_elem(&q->w, "UserName", user);
    xw_open(&q->w, "AccessKeyLastUsed");
    if (copy.last_used) {
        q_time(&q->w, "LastUsedDate", copy.last_used);
        xw_elem(&q->w, "ServiceName", copy.last_service);
        xw_elem(&q->w, "Region", copy.last_region);
    } else {
        xw_elem(&q->w, "ServiceName", "N/A");
        xw_elem(&q->w, "Region", "N/A");
    }
    xw_close(&q->w);
    q_end(q);
    memset(&copy, 0, sizeof(copy));
    return S3_OK;
}

/* ------------------------------------------------------------------ groups */

static s3_err iam_CreateGroup(struct qreq *q)
{
    const char *name, *path = q_get(q, "Path");
    struct iam_account *a;
    struct iam_group *g;
    s3_err e;
    if ((e = q_need(q, "GroupName", &name)) != S3_OK)
        return e;
    if ((e = authz_ent(q, "iam:CreateGroup", "group", name, path, NULL, 0)) != S3_OK)
        return e;
    if ((a = wbegin(q)) == NULL)
        return S3E_NOMEM;
    if ((e = iam_group_create(a, name, path, &q->m, &g)) != S3_OK)
        return wfail(q, a, e);
    q_begin(q, IAM_NS, 1);
    xw_open(&q->w, "Group");
    q_group(&q->w, g);
    xw_close(&q->w);
    q_end(q);
    return wcommit(q, a);
}

static s3_err iam_GetGroup(struct qreq *q)
{
    const char *name;
    const struct iam_account *a;
    const struct iam_group *g;
    struct q_page pg;
    s3_err e;
    if ((e = q_need(q, "GroupName", &name)) != S3_OK)
        return e;
    if ((e = authz_ent(q, "iam:GetGroup", "group", name, NULL, NULL, 0)) != S3_OK)
        return e;
    if ((a = iam_read_begin(q->db, q->account)) == NULL)
        return req_fail(q->r, S3E_INTERNAL, NULL);
    if ((g = iam_group_find(a, name)) == NULL) {
        iam_read_end(q->db);
        return req_fail(q->r, S3E_IAM_NO_SUCH_ENTITY, "The group with name %s cannot be found.", name);
    }
    if ((e = q_page_begin(q, g->members.n, &pg)) == S3_OK) {
        q_begin(q, IAM_NS, 1);
        xw_open(&q->w, "Group");
        q_group(&q->w, g);
        xw_close(&q->w);
        xw_open(&q->w, "Users");
        for (size_t i = pg.start; i < pg.end; i++) {
            const struct iam_user *u = iam_user_find(a, g->members.v[i]);
            if (u == NULL)
                continue;
            xw_open(&q->w, "member");
            q_user(&q->w, u, 0);
            xw_close(&q->w);
        }
        xw_close(&q->w);
        q_page_end(q, &pg);
        q_end(q);
    }
    iam_read_end(q->db);
    return e;
}

static s3_err list_groups(struct qreq *q, const char *user)
{
    const char *prefix = q_get(q, "PathPrefix");
    const struct iam_account *a;
    const struct iam_group **sel;
    struct q_page pg;
    size_t n = 0;
    s3_err e;

    if ((a = iam_read_begin(q->db, q->account)) == NULL)
        return req_fail(q->r, S3E_INTERNAL, NULL);
    if (user && iam_user_find(a, user) == NULL) {
        iam_read_end(q->db);
        return req_fail(q->r, S3E_IAM_NO_SUCH_ENTITY, "The user with name %s cannot be found.", user);
    }
    if ((sel = calloc(a->n_groups + 1, sizeof(*sel))) == NULL) {
        iam_read_end(q->db);
        return req_fail(q->r, S3E_NOMEM, NULL);
    }
    for (size_t i = 0; i < a->n_groups; i++)
        if ((user ? iam_group_has_member(a->groups[i], user) : path_under(a->groups[i]->path, prefix)))
            sel[n++] = a->groups[i];
    if ((e = q_page_begin(q, n, &pg)) == S3_OK) {
        q_begin(q, IAM_NS, 1);
        xw_open(&q->w, "Groups");
        for (size_t i = pg.start; i < pg.end; i++) {
            xw_open(&q->w, "member");
            q_group(&q->w, sel[i]);
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

static s3_err iam_ListGroups(struct qreq *q)
{
    const char *prefix = q_get(q, "PathPrefix");
    char res[200];
    s3_err e;
    snprintf(res, sizeof(res), "arn:aws:iam::%s:group%s", q->account, prefix && prefix[0] == '/' ? prefix : "/");
    if ((e = q_authz(q, "iam:ListGroups", res, NULL, 0)) != S3_OK)
        return e;
    return list_groups(q, NULL);
}

static s3_err iam_ListGroupsForUser(struct qreq *q)
{
    const char *name;
    s3_err e;
    if ((e = q_need(q, "UserName", &name)) != S3_OK)
        return e;
    if ((e = authz_ent(q, "iam:ListGroupsForUser", "user", name, NULL, NULL, 0)) != S3_OK)
        return e;
    return list_groups(q, name);
}

static s3_err iam_UpdateGroup(struct qreq *q)
{
    const char *name, *nn = q_get(q, "NewGroupName"), *np = q_get(q, "NewPath");
    struct iam_account *a;
    s3_err e;
    if ((e = q_need(q, "GroupName", &name)) != S3_OK)
        return e;
    if ((e = authz_ent(q, "iam:UpdateGroup", "group", name, NULL, NULL, 0)) != S3_OK)
        return e;
    if ((a = wbegin(q)) == NULL)
        return S3E_NOMEM;
    if ((e = iam_group_update(a, name, nn, np, &q->m)) != S3_OK)
        return wfail(q, a, e);
    q_ok(q);
    return wcommit(q, a);
}

static s3_err iam_DeleteGroup(struct qreq *q)
{
    const char *name;
    struct iam_account *a;
    s3_err e;
    if ((e = q_need(q, "GroupName", &name)) != S3_OK)
        return e;
    if ((e = authz_ent(q, "iam:DeleteGroup", "group", name, NULL, NULL, 0)) != S3_OK)
        return e;
    if ((a = wbegin(q)) == NULL)
        return S3E_NOMEM;
    if ((e = iam_group_delete(a, name, &q->m)) != S3_OK)
        return wfail(q, a, e);
    q_ok(q);
    return wcommit(q, a);
}

static s3_err membership(struct qreq *q, int add)
{
    const char *group, *user;
    struct iam_account *a;
    s3_err e;
    if ((e = q_need(q, "GroupName", &group)) != S3_OK || (e = q_need(q, "UserName", &user)) != S3_OK)
        return e;
    if ((e = authz_ent(q, add ? "iam:AddUserToGroup" : "iam:RemoveUserFromGroup", "group", group, NULL, NULL, 0)) !=
        S3_OK)
        return e;
    if ((a = wbegin(q)) == NULL)
        return S3E_NOMEM;
    e = add ? iam_group_add_user(a, group, user, &q->m) : iam_group_remove_user(a, group, user, &q->m);
    if (e != S3_OK)
        return wfail(q, a, e);
    q_ok(q);
    return wcommit(q, a);
}

static s3_err iam_AddUserToGroup(struct qreq *q) { return membership(q, 1); }
static s3_err iam_RemoveUserFromGroup(struct qreq *q) { return membership(q, 0); }

/* ------------------------------------------------------------------ small read-only extras */

/* Lists s3iam has nothing for (no MFA devices, no account alias) still answer, so consoles
 * and scripts that call them (the seeds' self-service statements do) work. */
static s3_err empty_list(struct qreq *q, const char *action, const char *resource, const char *elem)
{
    s3_err e;
    if ((e = q_authz(q, action, resource, NULL, 0)) != S3_OK)
        return e;
    q_begin(q, IAM_NS, 1);
    xw_open(&q->w, elem);
    xw_close(&q->w);
    xw_elem_bool(&q->w, "IsTruncated", 0);
    q_end(q);
    return S3_OK;
}

static s3_err iam_ListMFADevices(struct qreq *q)
{
    s3_err e = S3_OK;
    const char *name = q_get(q, "UserName");
    char *arn;
    if (name == NULL && q->r->who.kind == PRIN_USER)
        name = q->r->who.name;
    arn = name ? q_ent_arn(q, "user", name, NULL) : strdup("*");
    if (arn == NULL)
        return req_fail(q->r, S3E_NOMEM, NULL);
    e = empty_list(q, "iam:ListMFADevices", arn, "MFADevices");
    free(arn);
    return e;
}

static s3_err iam_ListAccountAliases(struct qreq *q)
{
    return empty_list(q, "iam:ListAccountAliases", "*", "AccountAliases");
}

/* ------------------------------------------------------------------ dispatch */

struct q_action {
    const char *name;
    q_handler fn;
};

static const struct q_action iam_actions[] = {
#define Q_ROW(name) { #name, iam_##name },
    Q_ROW(CreateUser) Q_ROW(GetUser) Q_ROW(ListUsers) Q_ROW(UpdateUser) Q_ROW(DeleteUser) Q_ROW(TagUser)
    Q_ROW(UntagUser) Q_ROW(ListUserTags) Q_ROW(CreateLoginProfile) Q_ROW(GetLoginProfile) Q_ROW(UpdateLoginProfile)
    Q_ROW(DeleteLoginProfile) Q_ROW(ChangePassword) Q_ROW(GetAccountPasswordPolicy) Q_ROW(CreateAccessKey)
    Q_ROW(ListAccessKeys) Q_ROW(UpdateAccessKey) Q_ROW(DeleteAccessKey) Q_ROW(GetAccessKeyLastUsed)
    Q_ROW(CreateGroup) Q_ROW(GetGroup) Q_ROW(ListGroups) Q_ROW(ListGroupsForUser) Q_ROW(UpdateGroup)
    Q_ROW(DeleteGroup) Q_ROW(AddUserToGroup) Q_ROW(RemoveUserFromGroup) Q_ROW(ListMFADevices)
    Q_ROW(ListAccountAliases)
    Q_HANDLERS(Q_ROW)
#undef Q_ROW
};

static const struct q_action sts_actions[] = {
    { "GetCallerIdentity", sts_GetCallerIdentity },
    { "AssumeRole", sts_AssumeRole },
    { "GetSessionToken", sts_GetSessionToken },
};

s3_err query_api_dispatch(struct s3_req *r)
{
    struct qreq q;
    const struct q_action *tab = r->svc == SVC_STS ? sts_actions : iam_actions;
    size_t n = r->svc == SVC_STS ? sizeof(sts_actions) / sizeof(sts_actions[0])
                                 : sizeof(iam_actions) / sizeof(iam_actions[0]);
    const char *version;
    s3_err e;

    memset(&q, 0, sizeof(q));
    q.r = r;
    q.db = r->srv->iam;
    q.account = authz_account(r);
    if ((e = form_parse(&q)) != S3_OK)
        goto out;
    q.action = q_get(&q, "Action");
    if (q.action == NULL) {
        e = req_fail(r, S3E_IAM_MISSING_ACTION, "The request must contain the parameter Action.");
        goto out;
    }
    version = q_get(&q, "Version");
    if (version && strcmp(version, r->svc == SVC_STS ? "2011-06-15" : "2010-05-08") != 0) {
        e = req_fail(r, S3E_IAM_INVALID_ACTION, "Could not find operation %s for version %s", q.action, version);
        goto out;
    }
    if (q.db == NULL) {
        e = req_fail(r, S3E_INTERNAL, "The IAM database is not available.");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        if (!strcmp(tab[i].name, q.action)) {
            e = tab[i].fn(&q);
            goto out;
        }
    e = req_fail(r, S3E_IAM_INVALID_ACTION, "Could not find operation %s for version %s (s3iam implements the %s "
                                            "actions listed in its README).",
                 q.action, version ? version : "(none)", r->svc == SVC_STS ? "STS" : "IAM");
out:
    form_release(&q);
    return e;
}
