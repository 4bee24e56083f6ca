/*
 * server/init.c - apply an --init file before the server listens (see init.h).
 *
 * Three phases, so a bad file never leaves the server half-initialised:
 *   1. check   everything the file reader could not know: the account is the one this server
 *              hosts, bucket and access point names, buckets owned elsewhere, access points on
 *              another bucket, groups and policies that are neither in the file nor stored.
 *   2. IAM     one write transaction on the account: saved whole or not at all.
 *   3. S3      buckets (settings, policy) then access points (policy), each idempotent, so a
 *              start interrupted here finishes on the next start.
 * Additive: what the file does not mention is left alone.
 */
#include "config.h"
#include "server/init.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/iam_db.h"
#include "auth/policy.h"
#include "lib/log.h"
#include "server/ap.h"
#include "server/bpol.h"
#include "server/ops.h"
#include "server/s3_ctl.h"

struct counts {
    unsigned created, updated;
};

static void policy_arn(const char *account, const char *path, const char *name, char *out, size_t n)
{
    snprintf(out, n, "arn:aws:iam::%s:policy%s%s", account, path ? path : "/", name);
}

/* The ARN a group/user/role attachment names: an ARN as given, or a policy of the file, or a
 * stored policy of the account with that name (path "/"). */
static int resolve_policy(const struct seed_account *sa, const struct iam_account *a, const char *ref, char *out,
                          size_t n)
{
    if (strncmp(ref, "arn:", 4) == 0) {
        snprintf(out, n, "%s", ref);
        return iam_policy_find(a, ref) != NULL;
    }
    for (size_t i = 0; i < sa->n_policies; i++)
        if (sa->policies[i].name && !strcmp(sa->policies[i].name, ref)) {
            policy_arn(sa->id, sa->policies[i].path, ref, out, n);
            return 1;
        }
    policy_arn(sa->id, "/", ref, out, n);
    return iam_policy_find(a, out) != NULL;
}

static int file_has_group(const struct seed_account *sa, const char *g)
{
    if (g == NULL)
        return 1;
    for (size_t i = 0; i < sa->n_groups; i++)
        if (sa->groups[i].name && !strcmp(sa->groups[i].name, g))
            return 1;
    return 0;
}

/* Phase 1. */
static void check(struct s3_server *srv, const struct seed *s, struct seed_errors *errs)
{
    char arn[600], p[300];
    for (size_t i = 0; i < s->n_accounts; i++) {
        const struct seed_account *sa = &s->accounts[i];
        const struct iam_account *a;
        if (sa->id == NULL)
            continue;            /* already reported by the file reader */
        if (conf_account_by_id(srv->cfg, sa->id) == NULL) {
            snprintf(p, sizeof(p), "%s.id", sa->where);
            seed_error_at(s, errs, p, "account %s is not hosted by this server (it hosts %s; start s3iamd with "
                          "--account-id %s, or add it with --extra-accounts ID:KEY:SECRET)", sa->id,
                          srv->cfg->account_id, sa->id);
            continue;
        }
        a = iam_read_begin(srv->iam, sa->id);
        for (size_t u = 0; u < sa->n_users; u++)
            for (size_t g = 0; g < sa->users[u].n_groups; g++)
                if (!file_has_group(sa, sa->users[u].groups[g]) && (a == NULL || !iam_group_find(a, sa->users[u].groups[g]))) {
                    snprintf(p, sizeof(p), "%s.groups[%zu]", sa->users[u].where, g);
                    seed_error_at(s, errs, p, "group \"%s\" is neither defined in this file nor present in account %s",
                                  sa->users[u].groups[g], sa->id);
                }
#define CHECK_ATTACHED(ent)                                                                               \
    for (size_t k = 0; k < (ent)->n_policies; k++)                                                        \
        if (a == NULL ? strncmp((ent)->policies[k], "arn:aws:iam::aws:", 17) != 0                         \
                      : !resolve_policy(sa, a, (ent)->policies[k], arn, sizeof(arn))) {                   \
            snprintf(p, sizeof(p), "%s.attached_policies[%zu]", (ent)->where, k);                         \
            seed_error_at(s, errs, p, "policy \"%s\" is neither defined in this file nor present in account %s", \
                          (ent)->policies[k], sa->id);                                                    \
        }
        for (size_t g = 0; g < sa->n_groups; g++)
            CHECK_ATTACHED(&sa->groups[g]);
        for (size_t u = 0; u < sa->n_users; u++)
            CHECK_ATTACHED(&sa->users[u]);
        for (size_t r = 0; r < sa->n_roles; r++)
            CHECK_ATTACHED(&sa->roles[r]);
#undef CHECK_ATTACHED
        if (a)
            iam_read_end(srv->iam);
        for (size_t b = 0; b < sa->n_buckets; b++) {
            const struct seed_bucket *sb = &sa->buckets[b];
            const char *why;
            struct stor_bucket sbk;
            if (sb->name == NULL)
                continue;
            snprintf(p, sizeof(p), "%s.name", sb->where);
            if (!s3_bucket_name_valid(sb->name, &why))
                seed_error_at(s, errs, p, "%s", why);
            else if (stor_bucket_get(srv->stor, sb->name, &sbk) == S3_OK) {
                if (strcmp(sbk.owner_account, sa->id) != 0)
                    seed_error_at(s, errs, p, "bucket %s belongs to account %s", sb->name, sbk.owner_account);
                stor_bucket_release(&sbk);
            }
        }
        for (size_t k = 0; k < sa->n_aps; k++) {
            const struct seed_ap *sp = &sa->aps[k];
            const char *why;
            struct ap cur;
            int in_file = 0;
            if (sp->name == NULL || sp->bucket == NULL)
                continue;
            snprintf(p, sizeof(p), "%s.name", sp->where);
            if (!ap_name_valid(sp->name, &why))
                seed_error_at(s, errs, p, "%s", why);
            else if (ap_get(srv, sa->id, sp->name, &cur) == S3_OK) {
                if (strcmp(cur.bucket, sp->bucket) != 0)
                    seed_error_at(s, errs, p, "access point %s exists on bucket %s", sp->name, cur.bucket);
                ap_release(&cur);
            }
            for (size_t b = 0; b < sa->n_buckets; b++)
                in_file |= sa->buckets[b].name && !strcmp(sa->buckets[b].name, sp->bucket);
            if (!in_file) {
                struct stor_bucket sbk;
                snprintf(p, sizeof(p), "%s.bucket", sp->where);
                if (stor_bucket_get(srv->stor, sp->bucket, &sbk) != S3_OK)
                    seed_error_at(s, errs, p, "bucket \"%s\" is neither defined in this file nor present", sp->bucket);
                else
                    stor_bucket_release(&sbk);
            }
        }
    }
}

static void to_tags(const struct seed_kv *kv, size_t n, struct iam_tags *out)
{
    out->v = n ? calloc(n, sizeof(*out->v)) : NULL;
    out->n = 0;
    for (size_t i = 0; out->v && i < n; i++) {
        out->v[i].key = kv[i].name;        /* borrowed for the call */
        out->v[i].value = kv[i].value;
        out->n++;
    }
}

/* Run one IAM change; on failure report it at path with the API's own message and abort the
 * whole transaction.  m_ is the message buffer the calls write into. */
#define IAM_TRY(call, path)                                                                       \
    do {                                                                                          \
        memset(&m_, 0, sizeof(m_));                                                               \
        if ((e = (call)) != S3_OK) {                                                              \
            seed_error_at(s, errs, (path), "%s: %s", err_code(e), m_.msg[0] ? m_.msg : err_message(e)); \
            goto fail;                                                                            \
        }                                                                                         \
    } while (0)

/* Phase 2: the account's IAM state in one transaction. */
static s3_err apply_iam(struct s3_server *srv, const struct seed *s, const struct seed_account *sa,
                        struct seed_errors *errs, struct counts *n)
{
    struct iam_account *a = iam_write_begin(srv->iam, sa->id);
    struct iam_msg m_;
    char arn[600];
    s3_err e = S3_OK;

    if (a == NULL) {
        seed_error_at(s, errs, sa->where, "cannot open account %s for writing", sa->id);
        return S3E_INTERNAL;
    }
    for (size_t i = 0; i < sa->n_policies; i++) {
        const struct seed_policy *sp = &sa->policies[i];
        struct iam_mpolicy *mp;
        policy_arn(sa->id, sp->path, sp->name, arn, sizeof(arn));
        if ((mp = iam_policy_find(a, arn)) == NULL) {
            struct iam_tags t;
            to_tags(sp->tags, sp->n_tags, &t);
            IAM_TRY(iam_policy_create(a, sp->name, sp->path ? sp->path : "/", sp->description, sp->document, &t, &m_,
                                      NULL), sp->where);
            free(t.v);
            n->created++;
            log_info("init: created policy %s", arn);
        } else if (strcmp(mp->versions.v[mp->def].text, sp->document) != 0) {
            /* A new default version; make room by dropping the oldest non-default one. */
            if (mp->versions.n >= 5) {
                size_t old = mp->def == 0 ? 1 : 0;
                IAM_TRY(iam_policy_version_delete(a, arn, mp->versions.v[old].name, &m_), sp->where);
            }
            IAM_TRY(iam_policy_version_create(a, arn, sp->document, 1, &m_, NULL), sp->where);
            n->updated++;
            log_info("init: policy %s: new default version", arn);
        }
    }
    for (size_t i = 0; i < sa->n_groups; i++) {
        const struct seed_group *g = &sa->groups[i];
        if (iam_group_find(a, g->name) == NULL) {
            IAM_TRY(iam_group_create(a, g->name, g->path ? g->path : "/", &m_, NULL), g->where);
            n->created++;
            log_info("init: created group %s", g->name);
        }
        for (size_t k = 0; k < g->n_policies; k++) {
            resolve_policy(sa, a, g->policies[k], arn, sizeof(arn));
            IAM_TRY(iam_attach(a, IAM_ENT_GROUP, g->name, arn, &m_), g->where);
        }
        for (size_t k = 0; k < g->n_inl; k++)
            IAM_TRY(iam_inline_put(a, IAM_ENT_GROUP, g->name, g->inl[k].name, g->inl[k].document, &m_), g->where);
    }
    for (size_t i = 0; i < sa->n_users; i++) {
        const struct seed_user *u = &sa->users[i];
        struct iam_user *cur = iam_user_find(a, u->name);
        if (cur == NULL) {
            struct iam_tags t;
            to_tags(u->tags, u->n_tags, &t);
            IAM_TRY(iam_user_create(a, u->name, u->path ? u->path : "/", &t, &m_, &cur), u->where);
            free(t.v);
            n->created++;
            log_info("init: created user %s", u->name);
        }
        for (size_t k = 0; k < u->n_groups; k++)
            IAM_TRY(iam_group_add_user(a, u->groups[k], u->name, &m_), u->where);
        for (size_t k = 0; k < u->n_policies; k++) {
            resolve_policy(sa, a, u->policies[k], arn, sizeof(arn));
            IAM_TRY(iam_attach(a, IAM_ENT_USER, u->name, arn, &m_), u->where);
        }
        for (size_t k = 0; k < u->n_inl; k++)
            IAM_TRY(iam_inline_put(a, IAM_ENT_USER, u->name, u->inl[k].name, u->inl[k].document, &m_), u->where);
        if (u->password) {
            if (cur->login.present)
                IAM_TRY(iam_login_update(a, u->name, u->password, u->password_reset, &m_), u->where);
            else
                IAM_TRY(iam_login_create(a, u->name, u->password, u->password_reset, &m_), u->where);
        }
        for (size_t k = 0; k < u->n_keys; k++) {
            char p[300];
            snprintf(p, sizeof(p), "%s.access_keys[%zu].id", u->where, k);
            IAM_TRY(iam_key_import(a, u->name, u->keys[k].id, u->keys[k].secret, !u->keys[k].inactive, &m_), p);
        }
    }
    for (size_t i = 0; i < sa->n_roles; i++) {
        const struct seed_role *r = &sa->roles[i];
        if (iam_role_find(a, r->name) == NULL) {
            struct iam_tags t;
            to_tags(r->tags, r->n_tags, &t);
            IAM_TRY(iam_role_create(a, r->name, r->path ? r->path : "/", r->trust, r->description, (int)r->max_session,
                                    &t, &m_, NULL), r->where);
            free(t.v);
            n->created++;
            log_info("init: created role %s", r->name);
        }
        for (size_t k = 0; k < r->n_policies; k++) {
            resolve_policy(sa, a, r->policies[k], arn, sizeof(arn));
            IAM_TRY(iam_attach(a, IAM_ENT_ROLE, r->name, arn, &m_), r->where);
        }
        for (size_t k = 0; k < r->n_inl; k++)
            IAM_TRY(iam_inline_put(a, IAM_ENT_ROLE, r->name, r->inl[k].name, r->inl[k].document, &m_), r->where);
    }
    if ((e = iam_write_commit(a)) != S3_OK)
        seed_error_at(s, errs, sa->where, "saving the IAM state of account %s failed: %s", sa->id, err_message(e));
    return e;
fail:
    iam_write_abort(a);
    return e;
}
#undef IAM_TRY

/* Phase 3: buckets and access points. */
static s3_err apply_s3(struct s3_server *srv, const struct seed *s, const struct seed_account *sa,
                       struct seed_errors *errs, struct counts *n)
{
    s3_err e;
    for (size_t i = 0; i < sa->n_buckets; i++) {
        const struct seed_bucket *b = &sa->buckets[i];
        const char *region = b->region ? b->region : sa->region ? sa->region : srv->cfg->region;
        e = stor_bucket_create(srv->stor, b->name, sa->id, region);
        if (e == S3_OK) {
            n->created++;
            log_info("init: created bucket %s in %s", b->name, region);
            if ((e = pab_bucket_init(srv, b->name)) != S3_OK)
                goto fail;
        } else if (e != S3E_BUCKET_OWNED) {
            goto fail;
        }
        if (b->versioning && (e = stor_bucket_set_versioning(srv->stor, b->name, b->versioning)) != S3_OK)
            goto fail;
        if (b->sse_algorithm) {
            char v[600];
            snprintf(v, sizeof(v), "%s\n%s\n%s", b->sse_algorithm, b->sse_kms_key ? b->sse_kms_key : "",
                     b->sse_bucket_key ? "true" : "false");
            if ((e = stor_bucket_attr_set(srv->stor, b->name, "encryption", v)) != S3_OK)
                goto fail;
        }
        if (b->pab.set) {
            char v[5];
            for (int k = 0; k < 4; k++)
                v[k] = b->pab.v[k] ? '1' : '0';
            v[4] = 0;
            if ((e = stor_bucket_attr_set(srv->stor, b->name, "pab", v)) != S3_OK)
                goto fail;
        }
        if (b->policy) {
            struct policy *p = NULL;
            struct policy_validate_opts o = { .bucket = b->name };
            char source[320];
            snprintf(source, sizeof(source), "bucket policy of %s", b->name);
            if ((e = policy_compile(b->policy, strlen(b->policy), POLICY_RESOURCE_BUCKET, &o, source, &p, NULL)) != S3_OK ||
                (e = stor_bucket_attr_set(srv->stor, b->name, "policy", b->policy)) != S3_OK) {
                policy_free(p);
                goto fail;
            }
            bpol_set(srv, b->name, p);
        }
        if (b->n_tags)
            log_warn("init: bucket %s: bucket tags are not supported yet; ignored", b->name);
        continue;
fail:
        seed_error_at(s, errs, b->where, "applying bucket %s failed: %s", b->name, err_message(e));
        return e;
    }
    for (size_t i = 0; i < sa->n_aps; i++) {
        const struct seed_ap *sp = &sa->aps[i];
        struct ap a;
        int exists = ap_get(srv, sa->id, sp->name, &a) == S3_OK;
        if (!exists) {
            struct stor_bucket sb;
            memset(&a, 0, sizeof(a));
            if ((e = stor_bucket_get(srv->stor, sp->bucket, &sb)) != S3_OK)
                goto apfail;
            snprintf(a.name, sizeof(a.name), "%s", sp->name);
            snprintf(a.account, sizeof(a.account), "%s", sa->id);
            snprintf(a.bucket, sizeof(a.bucket), "%s", sp->bucket);
            snprintf(a.bucket_account, sizeof(a.bucket_account), "%s", sb.owner_account);
            snprintf(a.region, sizeof(a.region), "%s", sb.region);
            stor_bucket_release(&sb);
            snprintf(a.network_origin, sizeof(a.network_origin), "%s", sp->vpc_id ? "VPC" : "Internet");
            snprintf(a.vpc_id, sizeof(a.vpc_id), "%s", sp->vpc_id ? sp->vpc_id : "");
            a.created_ms = (int64_t)time(NULL) * 1000;
            if ((e = ap_make_alias(sp->name, a.alias, sizeof(a.alias))) != S3_OK)
                goto apfail;
        }
        a.pab.present = 1;
        for (int k = 0; k < 4; k++)
            a.pab.v[k] = sp->pab.set ? sp->pab.v[k] : exists ? a.pab.v[k] : 1;
        if (sp->policy) {
            free(a.policy);
            if ((a.policy = strdup(sp->policy)) == NULL) {
                e = S3E_NOMEM;
                goto apfail;
            }
        }
        e = exists ? ap_update(srv, &a) : ap_create(srv, &a);
        if (e != S3_OK)
            goto apfail;
        apol_forget(srv, sa->id, sp->name);
        if (!exists) {
            n->created++;
            log_info("init: created access point %s on %s (alias %s)", sp->name, sp->bucket, a.alias);
        }
        ap_release(&a);
        continue;
apfail:
        ap_release(&a);
        seed_error_at(s, errs, sp->where, "applying access point %s failed: %s", sp->name, err_message(e));
        return e;
    }
    return S3_OK;
}

int init_apply(struct s3_server *srv, const char *file)
{
    struct seed s;
    struct seed_errors errs = { NULL, 0 };
    struct counts n = { 0, 0 };
    int rc = 0;

    init_file_load(file, srv->cfg->region, &s, &errs);
    check(srv, &s, &errs);
    if (errs.n) {
        rc = 2;
        goto out;
    }
    for (size_t i = 0; i < s.n_accounts && rc == 0; i++)
        if (apply_iam(srv, &s, &s.accounts[i], &errs, &n) != S3_OK)
            rc = 2;
    for (size_t i = 0; i < s.n_accounts && rc == 0; i++)
        if (apply_s3(srv, &s, &s.accounts[i], &errs, &n) != S3_OK)
            rc = 1;
    if (rc == 0)
        log_info("init: %s applied (%u created, %u updated)", file, n.created, n.updated);
out:
    seed_release(&s);
    for (size_t i = 0; i < errs.n; i++)
        fprintf(stderr, "s3iamd: %s\n", errs.msg[i]);
    if (errs.n)
        fprintf(stderr, "s3iamd: %zu problem%s in %s; not starting\n", errs.n, errs.n == 1 ? "" : "s", file);
    seed_errors_release(&errs);
    return rc;
}
