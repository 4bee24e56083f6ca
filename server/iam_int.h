/*
 * server/iam_int.h - shared by the query-protocol APIs (iam_api.c, iam_policies.c, iam_sim.c,
 * sts_api.c): the request form, response writing in AWS's XML shapes, pagination, and the
 * authorisation of IAM/STS actions.
 */
#ifndef S3IAM_SERVER_IAM_INT_H
#define S3IAM_SERVER_IAM_INT_H

#include <stddef.h>
#include <stdint.h>

#include "auth/iam_db.h"
#include "server/req.h"
#include "server/xml.h"

#define IAM_NS "https://iam.amazonaws.com/doc/2010-05-08/"
#define STS_NS "https://sts.amazonaws.com/doc/2011-06-15/"

/* One query-protocol request being served. */
struct qreq {
    struct s3_req *r;
    struct qparam *v;        /* form parameters (body, then query), decoded */
    unsigned n;
    const char *action;      /* "CreateUser" */
    struct iam_db *db;
    const char *account;     /* the caller's account */
    struct xml_w w;
    int began;
    struct iam_msg m;        /* message of the last failed IAM change */
    char resp_elem[96];      /* "CreateUserResponse": the XML writer keeps pointers to names */
    char result_elem[96];    /* "CreateUserResult" */
};

/* Parameter by exact name, or NULL. */
const char *q_get(const struct qreq *q, const char *name);
/* Required parameter: S3_OK and *out, or ValidationError ("Value null at 'userName' ...").
 * An empty value counts as given (IAM then reports its own length error). */
s3_err q_need(struct qreq *q, const char *name, const char **out);
/* "true"/"false" parameter; dflt when absent; -1 (and ValidationError set) when invalid. */
int q_bool(struct qreq *q, const char *name, int dflt);
/* Integer parameter in [min, max]; dflt when absent.  ValidationError when invalid. */
s3_err q_int(struct qreq *q, const char *name, long min, long max, long dflt, long *out);
/* A list NAME.member.N (N = 1, 2, ...) in order; out is appended to (iam_strs_release). */
s3_err q_list(struct qreq *q, const char *prefix, struct iam_strs *out);
/* Tags.member.N.Key / .Value (prefix "Tags"); out is appended to (iam_tags_release). */
s3_err q_tags(struct qreq *q, const char *prefix, struct iam_tags *out);

/* <ActionResponse xmlns=ns><ActionResult> (with_result) ... */
void q_begin(struct qreq *q, const char *ns, int with_result);
/* ... </ActionResult><ResponseMetadata><RequestId>..</RequestId></ResponseMetadata></ActionResponse> */
void q_end(struct qreq *q);
/* An empty successful response (DeleteUser, AttachUserPolicy, ...). */
s3_err q_ok(struct qreq *q);
/* Fail with the IAM message in q->m (or the table's default). */
s3_err q_fail(struct qreq *q, s3_err e);

/* Elements. */
void q_time(struct xml_w *w, const char *name, int64_t t);
/* A policy document as IAM returns it: URL-encoded JSON (RFC 3986). */
void q_doc(struct xml_w *w, const char *name, const char *json);
void q_tags_xml(struct xml_w *w, const struct iam_tags *t);
void q_user(struct xml_w *w, const struct iam_user *u, int with_tags);
void q_group(struct xml_w *w, const struct iam_group *g);
void q_role(struct xml_w *w, const struct iam_role *r, int full);
void q_mpolicy(struct xml_w *w, const struct iam_account *a, const struct iam_mpolicy *p, int with_description);
void q_version(struct xml_w *w, const struct iam_doc *v, int is_default, int with_doc);

/* Pagination of a list of total items: MaxItems (1..1000, default 100) and Marker (from a
 * previous IsTruncated response). */
struct q_page {
    size_t start, end, total;
};
s3_err q_page_begin(struct qreq *q, size_t total, struct q_page *p);
/* <IsTruncated> and, when truncated, <Marker>. */
void q_page_end(struct qreq *q, const struct q_page *p);

/* Authorise the IAM/STS action on resource for the caller (authz_query with extra keys). */
s3_err q_authz(struct qreq *q, const char *action, const char *resource, const struct authz_key *extra,
               size_t n_extra);
/* ARN of a user/group/role/policy by name for authorisation: the existing entity's (with its
 * path) or, for a new one, built from path (NULL = "/").  malloc'd. */
char *q_ent_arn(struct qreq *q, const char *kind, const char *name, const char *path);

/* Tag, Untag, ListTags of a user or role (param UserName/RoleName) or of a customer managed
 * policy (kind "policy", param PolicyArn). */
s3_err iam_tag_entity(struct qreq *q, const char *kind, const char *param, const char *action);
s3_err iam_untag_entity(struct qreq *q, const char *kind, const char *param, const char *action);
s3_err iam_list_entity_tags(struct qreq *q, const char *kind, const char *param, const char *action);

/* Handlers of iam_policies.c, iam_sim.c, sts_api.c (one per action). */
typedef s3_err (*q_handler)(struct qreq *q);
#define Q_HANDLERS(X)                                                                                              \
    X(CreatePolicy) X(GetPolicy) X(DeletePolicy) X(ListPolicies) X(CreatePolicyVersion) X(GetPolicyVersion)        \
    X(ListPolicyVersions) X(DeletePolicyVersion) X(SetDefaultPolicyVersion) X(TagPolicy) X(UntagPolicy)             \
    X(ListPolicyTags) X(AttachUserPolicy) X(DetachUserPolicy) X(AttachGroupPolicy) X(DetachGroupPolicy)              \
    X(AttachRolePolicy) X(DetachRolePolicy) X(ListAttachedUserPolicies) X(ListAttachedGroupPolicies)                \
    X(ListAttachedRolePolicies) X(ListEntitiesForPolicy) X(PutUserPolicy) X(GetUserPolicy) X(DeleteUserPolicy)     \
    X(ListUserPolicies) X(PutGroupPolicy) X(GetGroupPolicy) X(DeleteGroupPolicy) X(ListGroupPolicies)              \
    X(PutRolePolicy) X(GetRolePolicy) X(DeleteRolePolicy) X(ListRolePolicies) X(CreateRole) X(GetRole)              \
    X(ListRoles) X(UpdateRole) X(UpdateRoleDescription) X(UpdateAssumeRolePolicy) X(DeleteRole) X(TagRole)           \
    X(UntagRole) X(ListRoleTags) X(GetAccountAuthorizationDetails) X(GetAccountSummary)                             \
    X(SimulatePrincipalPolicy) X(SimulateCustomPolicy) X(GetContextKeysForPrincipalPolicy)                          \
    X(GetContextKeysForCustomPolicy)
#define Q_DECL(name) s3_err iam_##name(struct qreq *q);
Q_HANDLERS(Q_DECL)
#undef Q_DECL

s3_err sts_GetCallerIdentity(struct qreq *q);
s3_err sts_AssumeRole(struct qreq *q);
s3_err sts_GetSessionToken(struct qreq *q);

#endif
