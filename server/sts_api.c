/*
 * server/sts_api.c - STS: GetCallerIdentity, AssumeRole, GetSessionToken.
 *
 * Temporary credentials (ASIA... key, secret, session token) are kept in the IAM database
 * with their expiry and saved with the account, so they survive a restart until they expire.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "server/authz.h"
#include "server/iam_int.h"

s3_err sts_GetCallerIdentity(struct qreq *q)
{
    struct s3_req *r = q->r;
    struct iam_identity id;
    char userid[160];

    /* No permission is needed (and none can deny it). */
    snprintf(userid, sizeof(userid), "%s", r->who.account);
    if (r->who.kind != PRIN_ROOT && iam_identity_get(q->db, r->auth.akid, 0, &id) == S3_OK) {
        snprintf(userid, sizeof(userid), "%s", id.userid);
        iam_identity_release(&id);
    }
    q_begin(q, STS_NS, 1);
    xw_elem(&q->w, "Arn", r->who.arn);
    xw_elem(&q->w, "UserId", userid);
    xw_elem(&q->w, "Account", r->who.account);
    q_end(q);
    return S3_OK;
}

static void credentials_xml(struct qreq *q, const struct iam_session *s)
{
    xw_open(&q->w, "Credentials");
    xw_elem(&q->w, "AccessKeyId", s->akid);
    xw_elem(&q->w, "SecretAccessKey", s->secret);
    xw_elem(&q->w, "SessionToken", s->token);
    q_time(&q->w, "Expiration", s->expires);
    xw_close(&q->w);
}

static int session_name_ok(const char *n)
{
    size_t l = strlen(n);
    if (l < 2 || l > 64)
        return 0;
    for (size_t i = 0; i < l; i++) {
        char c = n[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("_+=,.@-", c)))
            return 0;
    }
    return 1;
}

s3_err sts_AssumeRole(struct qreq *q)
{
    struct s3_req *r = q->r;
    const char *role_arn, *sname, *policy = q_get(q, "Policy"), *ext = q_get(q, "ExternalId");
    char account[13] = "", role_name[128];
    struct iam_cpol *trust = NULL;
    struct iam_tags tags = { 0 };
    struct authz_key keys[IAM_MAX_TAGS + 4];
    char tagkey[IAM_MAX_TAGS][160];
    const char *tagnames[IAM_MAX_TAGS];
    size_t nk = 0;
    struct iam_account *a = NULL;
    const struct iam_session *s;
    int maxs = 3600;
    long dur;
    s3_err e;

    if ((e = q_need(q, "RoleArn", &role_arn)) != S3_OK || (e = q_need(q, "RoleSessionName", &sname)) != S3_OK ||
        (e = q_tags(q, "Tags", &tags)) != S3_OK)
        goto out;
    if (!session_name_ok(sname)) {
        e = req_fail(r, S3E_IAM_VALIDATION, "1 validation error detected: Value '%s' at 'roleSessionName' failed to "
                                            "satisfy constraint: Member must satisfy regular expression pattern: "
                                            "[\\w+=,.@-]* and have length between 2 and 64",
                     sname);
        goto out;
    }
    if (strlen(role_arn) < 20 || strncmp(role_arn, "arn:aws:iam::", 13) != 0 || strncmp(role_arn + 25, ":role/", 6)) {
        e = req_fail(r, S3E_IAM_VALIDATION, "%s is invalid: RoleArn must be arn:aws:iam::ACCOUNT:role/NAME", role_arn);
        goto out;
    }
    memcpy(account, role_arn + 13, 12);
    account[12] = 0;
    if (iam_role_trust(q->db, account, role_arn, &trust, role_name, sizeof(role_name), &maxs) != S3_OK) {
        /* AWS does not reveal whether the role exists. */
        log_info("authz DENY id=%s principal=%s action=sts:AssumeRole resource=%s | no such role", r->req_id,
                 r->who.arn, role_arn);
        resp_headerf(r, "x-s3iam-decision", "ImplicitDeny; the role %s does not exist", role_arn);
        e = req_fail(r, S3E_ACCESS_DENIED, "User: %s is not authorized to perform: sts:AssumeRole on resource: %s",
                     r->who.arn, role_arn);
        goto out;
    }
    /* Context of the request: the session name, the external id, the session tags. */
    memset(keys, 0, sizeof(keys));
    keys[nk++] = (struct authz_key){ "sts:RoleSessionName", 0, sname, NULL, 0 };
    if (ext)
        keys[nk++] = (struct authz_key){ "sts:ExternalId", 0, ext, NULL, 0 };
    for (size_t i = 0; i < tags.n && i < IAM_MAX_TAGS; i++) {
        snprintf(tagkey[i], sizeof(tagkey[i]), "aws:RequestTag/%s", tags.v[i].key);
        keys[nk++] = (struct authz_key){ tagkey[i], 0, tags.v[i].value, NULL, 0 };
        tagnames[i] = tags.v[i].key;
    }
    if (tags.n)
        keys[nk++] = (struct authz_key){ "aws:TagKeys", 0, NULL, tagnames, tags.n > IAM_MAX_TAGS ? IAM_MAX_TAGS : tags.n };
    if ((e = authz_assume_role(r, role_arn, iam_cpol_policy(trust), keys, nk)) != S3_OK)
        goto out;
    /* Role chaining (a role session assuming a role) is limited to one hour. */
    if ((e = q_int(q, "DurationSeconds", 900, 43200, 3600, &dur)) != S3_OK)
        goto out;
    if (dur > maxs) {
        e = req_fail(r, S3E_IAM_VALIDATION, "The requested DurationSeconds exceeds the MaxSessionDuration set for "
                                            "this role.");
        goto out;
    }
    if (r->who.kind == PRIN_ROLE_SESSION && dur > 3600) {
        e = req_fail(r, S3E_IAM_VALIDATION, "The requested DurationSeconds exceeds the 1 hour session limit for roles "
                                            "assumed by role chaining.");
        goto out;
    }
    if (!iam_tags_valid(&tags, &q->m)) {
        e = q_fail(q, S3E_IAM_VALIDATION);
        goto out;
    }
    if ((a = iam_write_begin(q->db, account)) == NULL) {
        e = req_fail(r, S3E_NOMEM, NULL);
        goto out;
    }
    if ((e = iam_session_create(a, IAM_SESS_ROLE, role_name, NULL, sname, policy, &tags, dur, r->who.arn, &q->m, &s)) !=
        S3_OK) {
        iam_write_abort(a);
        if (e == S3E_IAM_LIMIT_EXCEEDED)
            e = S3E_STS_PACKED_POLICY_TOO_LARGE;
        e = q_fail(q, e);
        goto out;
    }
    q_begin(q, STS_NS, 1);
    credentials_xml(q, s);
    xw_open(&q->w, "AssumedRoleUser");
    {
        const struct iam_role *role = iam_role_find(a, role_name);
        xw_elemf(&q->w, "AssumedRoleId", "%s:%s", role ? role->id : "", sname);
    }
    xw_elem(&q->w, "Arn", s->arn);
    xw_close(&q->w);
    if (policy)
        xw_elemf(&q->w, "PackedPolicySize", "%zu", policy_size_chars(policy, strlen(policy)) * 100 / 2048);
    q_end(q);
    if ((e = iam_write_commit(a)) != S3_OK)
        e = req_fail(r, e, "The session could not be saved.");
out:
    iam_cpol_unref(trust);
    iam_tags_release(&tags);
    return e;
}

s3_err sts_GetSessionToken(struct qreq *q)
{
    struct s3_req *r = q->r;
    struct iam_account *a;
    const struct iam_session *s;
    int root = r->who.kind == PRIN_ROOT;
    long dur;
    s3_err e;

    /* No permission is needed; only long-term credentials may ask. */
    if (r->who.kind == PRIN_ROLE_SESSION || (r->auth.akid[0] && !strncmp(r->auth.akid, "ASIA", 4)))
        return req_fail(r, S3E_ACCESS_DENIED, "Cannot call GetSessionToken with session credentials");
    if ((e = q_int(q, "DurationSeconds", 900, root ? 3600 : 129600, root ? 3600 : 43200, &dur)) != S3_OK)
        return e;
    if ((a = iam_write_begin(q->db, r->who.account)) == NULL)
        return req_fail(r, S3E_NOMEM, NULL);
    if ((e = iam_session_create(a, IAM_SESS_USER, NULL, root ? "" : r->who.name, root ? "root" : r->who.name, NULL,
                                NULL, dur, r->who.arn, &q->m, &s)) != S3_OK) {
        iam_write_abort(a);
        return q_fail(q, e);
    }
    q_begin(q, STS_NS, 1);
    credentials_xml(q, s);
    q_end(q);
    if ((e = iam_write_commit(a)) != S3_OK)
        return req_fail(r, e, "The session could not be saved.");
    return S3_OK;
}
