/* t/unit/check_iam.c - the IAM database (auth/iam_db.h): model, limits, conflicts, key lookup,
 * policy sets, serialisation round trip, roll-back on a failed save, sessions. */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/iam_db.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define ACCT "111122223333"

static time_t pinned_now = 1800000000;
static time_t fake_clock(void *ud)
{
    (void)ud;
    return pinned_now;
}

static struct iam_db *new_db(void)
{
    struct iam_db *db = NULL;
    ck_assert_int_eq(iam_db_new(&db), S3_OK);
    iam_db_set_clock(db, fake_clock, NULL);
    ck_assert_int_eq(iam_db_load(db, ACCT, NULL, NULL, 0, NULL), S3_OK);
    return db;
}

static char *slurp(const char *rel)
{
    char path[1024];
    FILE *f;
    long n;
    char *buf;
    snprintf(path, sizeof(path), "%s/%s", S3IAM_SRCDIR, rel);
    f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = 0;
    fclose(f);
    return buf;
}

/* Evaluate action/resource for the identity's policies (no resource policy). */
static enum authz_decision decide(const struct iam_identity *id, const char *action, const char *resource,
                                  const struct authz_key *keys, size_t n_keys)
{
    struct authz_ctx c;
    struct authz_policies p;
    struct authz_result r;
    const struct policy *sess = iam_cpol_policy(id->session);
    memset(&c, 0, sizeof(c));
    memset(&p, 0, sizeof(p));
    c.action = action;
    c.resource = resource;
    c.resource_account = id->account;
    c.principal_kind = id->kind;
    c.principal_arn = id->arn;
    c.principal_account = id->account;
    c.role_arn = id->role_arn[0] ? id->role_arn : NULL;
    c.keys = keys;
    c.n_keys = n_keys;
    p.identity = id->pols;
    p.n_identity = id->n_pols;
    p.session = sess;
    authz_evaluate(&p, &c, &r);
    return r.decision;
}

static const char *ALLOW_S3_GET = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                                  "\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b/*\"}]}";
static const char *ALLOW_S3_ALL = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                                  "\"Action\":\"s3:*\",\"Resource\":\"*\"}]}";
static const char *DENY_PUT = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"NoPut\",\"Effect\":\"Deny\","
                              "\"Action\":\"s3:PutObject\",\"Resource\":\"*\"}]}";
static const char *TRUST_ACCOUNT = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":"
                                   "{\"AWS\":\"arn:aws:iam::111122223333:root\"},\"Action\":\"sts:AssumeRole\"}]}";

/* ------------------------------------------------------------------ AWS managed policies */

START_TEST(aws_managed_present)
{
    struct iam_db *db = new_db();
    static const char *const names[] = { "AdministratorAccess", "PowerUserAccess", "ReadOnlyAccess",
                                         "IAMFullAccess", "IAMReadOnlyAccess", "IAMUserChangePassword",
                                         "AmazonS3FullAccess", "AmazonS3ReadOnlyAccess" };
    const struct iam_account *a = iam_read_begin(db, ACCT);
    ck_assert_ptr_nonnull(a);
    ck_assert_uint_ge(iam_aws_policy_count(db), ARRAY_LEN(names));
    for (size_t i = 0; i < ARRAY_LEN(names); i++) {
        char arn[128];
        snprintf(arn, sizeof(arn), "arn:aws:iam::aws:policy/%s", names[i]);
        const struct iam_mpolicy *p = iam_policy_find(a, arn);
        ck_assert_msg(p != NULL, "%s missing", arn);
        ck_assert(p->aws);
        ck_assert_uint_eq(p->versions.n, 1);
        ck_assert_ptr_nonnull(p->versions.v[0].cp);
        ck_assert_str_eq(p->arn, arn);
        ck_assert_uint_eq(strlen(p->id), 21);
    }
    /* The array is sorted: iam_policy_find must not depend on it, but listing does. */
    for (size_t i = 1; i < iam_aws_policy_count(db); i++)
        ck_assert_int_lt(strcmp(iam_aws_policy_at(db, i - 1)->name, iam_aws_policy_at(db, i)->name), 0);
    iam_read_end(db);
    iam_db_free(db);
}
END_TEST

struct managed_case {
    const char *policy, *action, *resource;
    enum authz_decision want;
};
static const struct managed_case managed_cases[] = {
    { "ReadOnlyAccess", "s3:GetObject", "arn:aws:s3:::b/k", AUTHZ_ALLOW },
    { "ReadOnlyAccess", "s3:ListBucket", "arn:aws:s3:::b", AUTHZ_ALLOW },
    { "ReadOnlyAccess", "iam:ListUsers", "arn:aws:iam::111122223333:user/", AUTHZ_ALLOW },
    { "ReadOnlyAccess", "s3:PutObject", "arn:aws:s3:::b/k", AUTHZ_IMPLICIT_DENY },
    { "ReadOnlyAccess", "iam:CreateUser", "arn:aws:iam::111122223333:user/x", AUTHZ_IMPLICIT_DENY },
    { "PowerUserAccess", "s3:PutObject", "arn:aws:s3:::b/k", AUTHZ_ALLOW },
    { "PowerUserAccess", "iam:CreateUser", "arn:aws:iam::111122223333:user/x", AUTHZ_IMPLICIT_DENY },
    { "PowerUserAccess", "iam:ListRoles", "arn:aws:iam::111122223333:role/", AUTHZ_ALLOW },
    { "AdministratorAccess", "iam:CreateUser", "arn:aws:iam::111122223333:user/x", AUTHZ_ALLOW },
    { "AmazonS3ReadOnlyAccess", "s3:GetObject", "arn:aws:s3:::b/k", AUTHZ_ALLOW },
    { "AmazonS3ReadOnlyAccess", "s3:DeleteObject", "arn:aws:s3:::b/k", AUTHZ_IMPLICIT_DENY },
    { "AmazonS3FullAccess", "s3:DeleteObject", "arn:aws:s3:::b/k", AUTHZ_ALLOW },
    { "AmazonS3FullAccess", "iam:GetUser", "arn:aws:iam::111122223333:user/u", AUTHZ_IMPLICIT_DENY },
    { "IAMReadOnlyAccess", "iam:GetUser", "arn:aws:iam::111122223333:user/u", AUTHZ_ALLOW },
    { "IAMReadOnlyAccess", "iam:DeleteUser", "arn:aws:iam::111122223333:user/u", AUTHZ_IMPLICIT_DENY },
    { "IAMFullAccess", "iam:DeleteUser", "arn:aws:iam::111122223333:user/u", AUTHZ_ALLOW },
    /* ${aws:username}: only the user's own ARN. */
    { "IAMUserChangePassword", "iam:ChangePassword", "arn:aws:iam::111122223333:user/u", AUTHZ_ALLOW },
    { "IAMUserChangePassword", "iam:ChangePassword", "arn:aws:iam::111122223333:user/other", AUTHZ_IMPLICIT_DENY },
};

START_TEST(aws_managed_decisions)
{
    const struct managed_case *c = &managed_cases[_i];
    struct iam_db *db = new_db();
    struct iam_account *a = iam_write_begin(db, ACCT);
    struct iam_msg m;
    struct iam_identity id;
    const struct iam_key *k;
    char arn[128], akid[24];

    snprintf(arn, sizeof(arn), "arn:aws:iam::aws:policy/%s", c->policy);
    ck_assert_int_eq(iam_user_create(a, "u", NULL, NULL, &m, NULL), S3_OK);
    ck_assert_int_eq(iam_attach(a, IAM_ENT_USER, "u", arn, &m), S3_OK);
    ck_assert_int_eq(iam_key_create(a, "u", &m, &k), S3_OK);
    snprintf(akid, sizeof(akid), "%s", k->id);
    ck_assert_int_eq(iam_write_commit(a), S3_OK);
    ck_assert_int_eq(iam_identity_get(db, akid, 0, &id), S3_OK);
    ck_assert_uint_eq(id.n_pols, 1);
    struct authz_key keys[] = { { "aws:username", 0, "u", NULL, 0 } };
    ck_assert_msg(decide(&id, c->action, c->resource, keys, 1) == c->want, "%s: %s on %s", c->policy, c->action,
                  c->resource);
    iam_identity_release(&id);
    iam_db_free(db);
}
END_TEST

/* ------------------------------------------------------------------ users, names, conflicts */

START_TEST(user_basics)
{
    struct iam_db *db = new_db();
    struct iam_account *a = iam_write_begin(db, ACCT);
    struct iam_msg m;
    struct iam_user *u = NULL;

    ck_assert_int_eq(iam_user_create(a, "Alice", "/dev/", NULL, &m, &u), S3_OK);
    ck_assert_str_eq(u->arn, "arn:aws:iam::111122223333:user/dev/Alice");
    ck_assert_str_eq(u->path, "/dev/");
    ck_assert_uint_eq(strlen(u->id), 21);
    ck_assert(!strncmp(u->id, "AIDA", 4));
    ck_assert_int_eq(u->created, pinned_now);
    /* names are unique without regard to case, and found that way */
    ck_assert_int_eq(iam_user_create(a, "alice", NULL, NULL, &m, NULL), S3E_IAM_ENTITY_EXISTS);
    ck_assert_str_eq(m.msg, "User with name alice already exists.");
    ck_assert_ptr_eq(iam_user_find(a, "ALICE"), u);
    ck_assert_int_eq(iam_user_create(a, "bad name", NULL, NULL, &m, NULL), S3E_IAM_VALIDATION);
    ck_assert_ptr_nonnull(strstr(m.msg, "[\\w+=,.@-]+"));
    ck_assert_int_eq(iam_user_create(a, "x", "nopath", NULL, &m, NULL), S3E_IAM_VALIDATION);
    ck_assert_int_eq(iam_user_create(a, "", NULL, NULL, &m, NULL), S3E_IAM_VALIDATION);
    /* rename follows into groups */
    ck_assert_int_eq(iam_group_create(a, "eng", NULL, &m, NULL), S3_OK);
    ck_assert_int_eq(iam_group_add_user(a, "eng", "alice", &m), S3_OK);
    ck_assert_int_eq(iam_group_add_user(a, "eng", "alice", &m), S3_OK);   /* idempotent */
    ck_assert_uint_eq(iam_group_find(a, "eng")->members.n, 1);
    ck_assert_int_eq(iam_user_update(a, "Alice", "carol", NULL, &m), S3_OK);
    ck_assert_ptr_null(iam_user_find(a, "Alice"));
    ck_assert_ptr_nonnull(iam_user_find(a, "carol"));
    ck_assert_str_eq(iam_user_find(a, "carol")->arn, "arn:aws:iam::111122223333:user/dev/carol");
    ck_assert(iam_group_has_member(iam_group_find(a, "eng"), "carol"));
    ck_assert_int_eq(iam_user_update(a, "nobody", "x", NULL, &m), S3E_IAM_NO_SUCH_ENTITY);
    ck_assert_str_eq(m.msg, "The user with name nobody cannot be found.");
    ck_assert_int_eq(iam_write_commit(a), S3_OK);
    iam_db_free(db);
}
END_TEST

START_TEST(delete_conflicts)
{
    struct iam_db *db = new_db();
    struct iam_account *a = iam_write_begin(db, ACCT);
    struct iam_msg m;
    const struct iam_key *k;
    char akid[24];

    ck_assert_int_eq(iam_user_create(a, "bob", NULL, NULL, &m, NULL), S3_OK);
    ck_assert_int_eq(iam_group_create(a, "g", NULL, &m, NULL), S3_OK);
    ck_assert_int_eq(iam_policy_create(a, "p", NULL, NULL, ALLOW_S3_GET, NULL, &m, NULL), S3_OK);
    ck_assert_int_eq(iam_key_create(a, "bob", &m, &k), S3_OK);
    snprintf(akid, sizeof(akid), "%s", k->id);
    ck_assert_int_eq(iam_group_add_user(a, "g", "bob", &m), S3_OK);
    ck_assert_int_eq(iam_inline_put(a, IAM_ENT_USER, "bob", "inl", ALLOW_S3_GET, &m), S3_OK);
    ck_assert_int_eq(iam_attach(a, IAM_ENT_USER, "bob", "arn:aws:iam::111122223333:policy/p", &m), S3_OK);
    ck_assert_int_eq(iam_login_create(a, "bob", "Passw0rd!x", 0, &m), S3_OK);

    ck_assert_int_eq(iam_user_delete(a, "bob", &m), S3E_IAM_DELETE_CONFLICT);
    ck_assert_str_eq(m.msg, "Cannot delete entity, must delete access keys first.");
    ck_assert_int_eq(iam_key_delete(a, "bob", akid, &m), S3_OK);
    ck_assert_int_eq(iam_user_delete(a, "bob", &m), S3E_IAM_DELETE_CONFLICT);
    ck_assert_str_eq(m.msg, "Cannot delete entity, must delete login profile first.");
    ck_assert_int_eq(iam_login_delete(a, "bob", &m), S3_OK);
    ck_assert_int_eq(iam_user_delete(a, "bob", &m), S3E_IAM_DELETE_CONFLICT);
    ck_assert_str_eq(m.msg, "Cannot delete entity, must remove users from group first.");
    ck_assert_int_eq(iam_group_delete(a, "g", &m), S3E_IAM_DELETE_CONFLICT);
    ck_assert_int_eq(iam_group_remove_user(a, "g", "bob", &m), S3_OK);
    ck_assert_int_eq(iam_user_delete(a, "bob", &m), S3E_IAM_DELETE_CONFLICT);
    ck_assert_str_eq(m.msg, "Cannot delete entity, must delete policies first.");
    ck_assert_int_eq(iam_inline_delete(a, IAM_ENT_USER, "bob", "inl", &m), S3_OK);
    ck_assert_int_eq(iam_user_delete(a, "bob", &m), S3E_IAM_DELETE_CONFLICT);
    ck_assert_str_eq(m.msg, "Cannot delete entity, must detach all policies first.");
    ck_assert_int_eq(iam_policy_delete(a, "arn:aws:iam::111122223333:policy/p", &m), S3E_IAM_DELETE_CONFLICT);
    ck_assert_str_eq(m.msg, "Cannot delete a policy attached to entities.");
    ck_assert_int_eq(iam_detach(a, IAM_ENT_USER, "bob", "arn:aws:iam::111122223333:policy/p", &m), S3_OK);
    ck_assert_int_eq(iam_detach(a, IAM_ENT_USER, "bob", "arn:aws:iam::111122223333:policy/p", &m),
                     S3E_IAM_NO_SUCH_ENTITY);
    ck_assert_int_eq(iam_user_delete(a, "bob", &m), S3_OK);
    ck_assert_int_eq(iam_group_delete(a, "g", &m), S3_OK);
    ck_assert_int_eq(iam_policy_delete(a, "arn:aws:iam::111122223333:policy/p", &m), S3_OK);
    ck_assert_int_eq(iam_policy_delete(a, "arn:aws:iam::aws:policy/ReadOnlyAccess", &m), S3E_IAM_UNMODIFIABLE);
    ck_assert_int_eq(iam_write_commit(a), S3_OK);
    iam_db_free(db);
}
END_TEST

/* ------------------------------------------------------------------ limits */

START_TEST(key_limits_and_lookup)
{
    struct iam_db *db = new_db();
    struct iam_account *a = iam_write_begin(db, ACCT);
    struct iam_msg m;
    const struct iam_key *k;
    struct iam_cred c;
    char k1[24], k2[24];

    ck_assert_int_eq(iam_user_create(a, "kim", NULL, NULL, &m, NULL), S3_OK);
    ck_assert_int_eq(iam_key_create(a, "kim", &m, &k), S3_OK);
    snprintf(k1, sizeof(k1), "%s", k->id);
    ck_assert_uint_eq(strlen(k1), 20);
    ck_assert(!strncmp(k1, "AKIA", 4));
    ck_assert_uint_eq(strlen(k->secret), 40);
    ck_assert_int_eq(iam_key_create(a, "kim", &m, &k), S3_OK);
    snprintf(k2, sizeof(k2), "%s", k->id);
    ck_assert_str_ne(k1, k2);
    ck_assert_int_eq(iam_key_create(a, "kim", &m, &k), S3E_IAM_LIMIT_EXCEEDED);
    ck_assert_str_eq(m.msg, "Cannot exceed quota for AccessKeysPerUser: 2");
    ck_assert_int_eq(iam_write_commit(a), S3_OK);

    ck_assert_int_eq(iam_key_lookup(db, k1, &c), S3_OK);
    ck_assert_int_eq(c.kind, IAM_CRED_USER_KEY);
    ck_assert(c.active);
    ck_assert_str_eq(c.arn, "arn:aws:iam::111122223333:user/kim");
    ck_assert_str_eq(c.account, ACCT);
    ck_assert_int_eq(iam_key_lookup(db, "AKIANOTAKEY000000000", &c), S3E_INVALID_ACCESS_KEY);

    a = iam_write_begin(db, ACCT);
    ck_assert_int_eq(iam_key_set_active(a, "kim", k1, 0, &m), S3_OK);
    ck_assert_int_eq(iam_key_delete(a, "kim", k2, &m), S3_OK);
    ck_assert_int_eq(iam_key_delete(a, "kim", k2, &m), S3E_IAM_NO_SUCH_ENTITY);
    ck_assert_int_eq(iam_write_commit(a), S3_OK);
    ck_assert_int_eq(iam_key_lookup(db, k1, &c), S3_OK);
    ck_assert(!c.active);
    ck_assert_int_eq(iam_key_lookup(db, k2, &c), S3E_INVALID_ACCESS_KEY);
    iam_key_touch(db, k1, "s3", "ap-southeast-2");
    a = iam_write_begin(db, ACCT);
    ck_assert_int_eq(iam_user_find(a, "kim")->keys[0].last_used, pinned_now);
    ck_assert_str_eq(iam_user_find(a, "kim")->keys[0].last_service, "s3");
    iam_write_abort(a);
    iam_db_free(db);
}
END_TEST

START_TEST(policy_versions)
{
    struct iam_db *db = new_db();
    struct iam_account *a = iam_write_begin(db, ACCT);
    struct iam_msg m;
    struct iam_mpolicy *p;
    const struct iam_doc *v;
    const char *arn = "arn:aws:iam::111122223333:policy/team/p";

    ck_assert_int_eq(iam_policy_create(a, "p", "/team/", "d", ALLOW_S3_GET, NULL, &m, &p), S3_OK);
    ck_assert_str_eq(p->arn, arn);
    ck_assert_str_eq(p->versions.v[p->def].name, "v1");
    ck_assert_int_eq(iam_policy_create(a, "P", NULL, NULL, ALLOW_S3_GET, NULL, &m, NULL), S3E_IAM_ENTITY_EXISTS);
    for (int i = 2; i <= 5; i++)
        ck_assert_int_eq(iam_policy_version_create(a, arn, ALLOW_S3_ALL, i == 3, &m, &v), S3_OK);
    ck_assert_str_eq(v->name, "v5");
    ck_assert_str_eq(p->versions.v[p->def].name, "v3");
    ck_assert_int_eq(iam_policy_version_create(a, arn, ALLOW_S3_ALL, 0, &m, NULL), S3E_IAM_LIMIT_EXCEEDED);
    ck_assert_ptr_nonnull(strstr(m.msg, "up to 5 versions"));
    ck_assert_int_eq(iam_policy_version_delete(a, arn, "v3", &m), S3E_IAM_DELETE_CONFLICT);
    ck_assert_str_eq(m.msg, "Cannot delete the default version of a policy.");
    ck_assert_int_eq(iam_policy_version_delete(a, arn, "v9", &m), S3E_IAM_NO_SUCH_ENTITY);
    ck_assert_int_eq(iam_policy_version_delete(a, arn, "v1", &m), S3_OK);
    ck_assert_str_eq(p->versions.v[p->def].name, "v3");
    /* the numbers keep counting: the next is v6 */
    ck_assert_int_eq(iam_policy_version_create(a, arn, ALLOW_S3_GET, 1, &m, &v), S3_OK);
    ck_assert_str_eq(v->name, "v6");
    ck_assert_str_eq(p->versions.v[p->def].name, "v6");
    ck_assert_int_eq(iam_policy_set_default(a, arn, "v2", &m), S3_OK);
    ck_assert_int_eq(iam_policy_delete(a, arn, &m), S3E_IAM_DELETE_CONFLICT);   /* several versions */
    ck_assert_int_eq(iam_write_commit(a), S3_OK);
    iam_db_free(db);
}
END_TEST

START_TEST(inline_quota)
{
    struct iam_db *db = new_db();
    struct iam_account *a = iam_write_begin(db, ACCT);
    struct iam_msg m;
    struct s3_buf big;
    buf_init(&big, 0);
    /* ~1100 characters each: two fit in a group (5120) but not in a user (2048) */
    buf_adds(&big, "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\","
                   "\"Resource\":[");
    for (int i = 0; i < 30; i++)
        buf_addf(&big, "%s\"arn:aws:s3:::bucket-number-%02d/*\"", i ? "," : "", i);
    buf_adds(&big, "]}]}");
    ck_assert_int_eq(iam_user_create(a, "u", NULL, NULL, &m, NULL), S3_OK);
    ck_assert_int_eq(iam_group_create(a, "g", NULL, &m, NULL), S3_OK);
    ck_assert_int_eq(iam_inline_put(a, IAM_ENT_USER, "u", "one", big.p, &m), S3_OK);
    ck_assert_int_eq(iam_inline_put(a, IAM_ENT_USER, "u", "one", big.p, &m), S3_OK);   /* replace: same sum */
    ck_assert_int_eq(iam_inline_put(a, IAM_ENT_USER, "u", "two", big.p, &m), S3E_IAM_LIMIT_EXCEEDED);
    ck_assert_str_eq(m.msg, "Maximum policy size of 2048 bytes exceeded for user u");
    ck_assert_uint_eq(iam_user_find(a, "u")->inl.n, 1);
    ck_assert_int_eq(iam_inline_put(a, IAM_ENT_GROUP, "g", "one", big.p, &m), S3_OK);
    ck_assert_int_eq(iam_inline_put(a, IAM_ENT_GROUP, "g", "two", big.p, &m), S3_OK);
    ck_assert_int_eq(iam_inline_delete(a, IAM_ENT_GROUP, "g", "nope", &m), S3E_IAM_NO_SUCH_ENTITY);
    ck_assert_str_eq(m.msg, "The group policy with name nope cannot be found.");
    ck_assert_int_eq(iam_write_commit(a), S3_OK);
    buf_release(&big);
    iam_db_free(db);
}
END_TEST

START_TEST(attach_limit)
{
    struct iam_db *db = new_db();
    struct iam_account *a = iam_write_begin(db, ACCT);
    struct iam_msg m;
    char name[32], arn[128];
    ck_assert_int_eq(iam_role_create(a, "r", NULL, TRUST_ACCOUNT, NULL, 0, NULL, &m, NULL), S3_OK);
    for (int i = 0; i < 11; i++) {
        snprintf(name, sizeof(name), "p%d", i);
        snprintf(arn, sizeof(arn), "arn:aws:iam::111122223333:policy/%s", name);
        ck_assert_int_eq(iam_policy_create(a, name, NULL, NULL, ALLOW_S3_GET, NULL, &m, NULL), S3_OK);
        ck_assert_int_eq(iam_attach(a, IAM_ENT_ROLE, "r", arn, &m), i < 10 ? S3_OK : S3E_IAM_LIMIT_EXCEEDED);
    }
    ck_assert_str_eq(m.msg, "Cannot exceed quota for PoliciesPerRole: 10");
    ck_assert_int_eq(iam_attach(a, IAM_ENT_ROLE, "r", "arn:aws:iam::111122223333:policy/none", &m),
                     S3E_IAM_NO_SUCH_ENTITY);
    ck_assert_str_eq(m.msg, "Policy arn:aws:iam::111122223333:policy/none does not exist or is not attachable.");
    ck_assert_uint_eq(iam_policy_attachment_count(a, "arn:aws:iam::111122223333:policy/p0"), 1);
    ck_assert_int_eq(iam_write_commit(a), S3_OK);
    iam_db_free(db);
}
END_TEST

/* ------------------------------------------------------------------ policy documents */

START_TEST(malformed_seed_policy)
{
    struct iam_db *db = new_db();
    struct iam_account *a = iam_write_begin(db, ACCT);
    struct iam_msg m;
    char *doc = slurp("t/data/seeds/engineer_access_1.json");
    memset(&m, 0, sizeof(m));
    ck_assert_int_eq(iam_policy_create(a, "engineer_access", NULL, NULL, doc, NULL, &m, NULL),
                     S3E_IAM_MALFORMED_POLICY);
    /* the missing comma after "iam:GetAccessKeyLastUsed" (seeds README) */
    ck_assert_int_eq(m.line, 87);
    ck_assert_int_eq(m.column, 21);
    ck_assert_ptr_nonnull(strstr(m.msg, "line 87, column 21"));
    ck_assert_uint_eq(a->n_policies, 0);   /* nothing half-created */
    free(doc);
    iam_write_abort(a);
    iam_db_free(db);
}
END_TEST

struct bad_doc {
    const char *doc;
    s3_err want;
    const char *msg_part;
};
static const struct bad_doc bad_docs[] = {
    { "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:*\","
      "\"Resource\":\"*\"}]}",
      S3E_IAM_MALFORMED_POLICY, "principal" },
    { "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"}]}", S3E_IAM_MALFORMED_POLICY,
      "2012-10-17" },
    { "not json", S3E_IAM_MALFORMED_POLICY, "" },
    { "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:*\"}]}",
      S3E_IAM_MALFORMED_POLICY, "resources" },
};

START_TEST(bad_documents)
{
    const struct bad_doc *c = &bad_docs[_i];
    struct iam_db *db = new_db();
    struct iam_account *a = iam_write_begin(db, ACCT);
    struct iam_msg m;
    ck_assert_int_eq(iam_policy_create(a, "p", NULL, NULL, c->doc, NULL, &m, NULL), c->want);
    ck_assert_msg(strstr(m.msg, c->msg_part) != NULL, "message '%s' lacks '%s'", m.msg, c->msg_part);
    ck_assert_uint_eq(a->n_policies, 0);
    iam_write_abort(a);
    iam_db_free(db);
}
END_TEST

START_TEST(oversized_managed)
{
    struct iam_db *db = new_db();
    struct iam_account *a = iam_write_begin(db, ACCT);
    struct iam_msg m;
    struct s3_buf big;
    buf_init(&big, 0);
    buf_adds(&big, "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\","
                   "\"Resource\":[");
    for (int i = 0; i < 200; i++)
        buf_addf(&big, "%s\"arn:aws:s3:::bucket-number-%03d/*\"", i ? "," : "", i);
    buf_adds(&big, "]}]}");
    ck_assert_int_eq(iam_policy_create(a, "big", NULL, NULL, big.p, NULL, &m, NULL), S3E_IAM_LIMIT_EXCEEDED);
    ck_assert_ptr_nonnull(strstr(m.msg, "6144"));
    buf_release(&big);
    iam_write_abort(a);
    iam_db_free(db);
}
END_TEST

START_TEST(context_keys)
{
    struct iam_strs s = { 0 };
    const char *doc = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:*\","
                      "\"Resource\":\"arn:aws:s3:::b/${aws:username}/*\",\"Condition\":{\"StringEquals\":"
                      "{\"aws:RequestedRegion\":\"x\"},\"Null\":{\"s3:x-amz-server-side-encryption\":true}}},"
                      "{\"Effect\":\"Deny\",\"Action\":\"s3:*\",\"Resource\":\"*\",\"Condition\":{\"StringLike\":"
                      "{\"AWS:RequestedRegion\":\"${aws:PrincipalTag/team}\"}}}]}";
    ck_assert_int_eq(iam_policy_context_keys(doc, &s), S3_OK);
    ck_assert_uint_eq(s.n, 4);
    ck_assert_str_eq(s.v[0], "aws:RequestedRegion");
    ck_assert_str_eq(s.v[1], "s3:x-amz-server-side-encryption");
    ck_assert_str_eq(s.v[2], "aws:username");
    ck_assert_str_eq(s.v[3], "aws:PrincipalTag/team");
    iam_strs_release(&s);
}
END_TEST

/* ------------------------------------------------------------------ identities */

START_TEST(identity_policy_set)
{
    struct iam_db *db = new_db();
    struct iam_account *a = iam_write_begin(db, ACCT);
    struct iam_msg m;
    const struct iam_key *k;
    struct iam_identity id;
    struct iam_tags tags = { 0 };
    char akid[24];

    iam_tags_add(&tags, "team", "blue");
    ck_assert_int_eq(iam_user_create(a, "eve", NULL, &tags, &m, NULL), S3_OK);
    ck_assert_int_eq(iam_group_create(a, "readers", NULL, &m, NULL), S3_OK);
    ck_assert_int_eq(iam_group_add_user(a, "readers", "eve", &m), S3_OK);
    ck_assert_int_eq(iam_attach(a, IAM_ENT_GROUP, "readers", "arn:aws:iam::aws:policy/AmazonS3FullAccess", &m), S3_OK);
    ck_assert_int_eq(iam_inline_put(a, IAM_ENT_GROUP, "readers", "noput", DENY_PUT, &m), S3_OK);
    ck_assert_int_eq(iam_inline_put(a, IAM_ENT_USER, "eve", "get", ALLOW_S3_GET, &m), S3_OK);
    ck_assert_int_eq(iam_key_create(a, "eve", &m, &k), S3_OK);
    snprintf(akid, sizeof(akid), "%s", k->id);
    ck_assert_int_eq(iam_write_commit(a), S3_OK);

    ck_assert_int_eq(iam_identity_get(db, akid, 1, &id), S3_OK);
    ck_assert_int_eq(id.kind, AUTHZ_USER);
    ck_assert_str_eq(id.name, "eve");
    ck_assert_str_eq(id.arn, "arn:aws:iam::111122223333:user/eve");
    ck_assert(!strncmp(id.userid, "AIDA", 4));
    ck_assert_uint_eq(id.n_pols, 3);
    ck_assert_int_eq(id.srcs[0].type, IAM_SRC_USER);
    ck_assert_str_eq(id.srcs[0].id, "get");
    ck_assert_ptr_nonnull(id.srcs[0].text);
    ck_assert_uint_eq(id.tags.n, 1);
    ck_assert_int_eq(decide(&id, "s3:DeleteObject", "arn:aws:s3:::x/y", NULL, 0), AUTHZ_ALLOW);
    ck_assert_int_eq(decide(&id, "s3:PutObject", "arn:aws:s3:::x/y", NULL, 0), AUTHZ_EXPLICIT_DENY);

    /* The reference outlives a change: detach and delete while the identity is held. */
    a = iam_write_begin(db, ACCT);
    ck_assert_int_eq(iam_inline_delete(a, IAM_ENT_GROUP, "readers", "noput", &m), S3_OK);
    ck_assert_int_eq(iam_write_commit(a), S3_OK);
    ck_assert_int_eq(decide(&id, "s3:PutObject", "arn:aws:s3:::x/y", NULL, 0), AUTHZ_EXPLICIT_DENY);
    iam_identity_release(&id);
    /* ...and the next lookup sees the change at once. */
    ck_assert_int_eq(iam_identity_get(db, akid, 0, &id), S3_OK);
    ck_assert_uint_eq(id.n_pols, 2);
    ck_assert_int_eq(decide(&id, "s3:PutObject", "arn:aws:s3:::x/y", NULL, 0), AUTHZ_ALLOW);
    iam_identity_release(&id);

    ck_assert_int_eq(iam_identity_of_arn(db, ACCT, "arn:aws:iam::111122223333:group/readers", &id), S3_OK);
    ck_assert_uint_eq(id.n_pols, 1);
    iam_identity_release(&id);
    ck_assert_int_eq(iam_identity_of_arn(db, ACCT, "arn:aws:iam::111122223333:user/zed", &id),
                     S3E_IAM_NO_SUCH_ENTITY);
    ck_assert_int_eq(iam_identity_of_arn(db, ACCT, "arn:aws:s3:::bucket", &id), S3E_IAM_INVALID_INPUT);
    iam_tags_release(&tags);
    iam_db_free(db);
}
END_TEST

START_TEST(sessions)
{
    struct iam_db *db = new_db();
    struct iam_account *a = iam_write_begin(db, ACCT);
    struct iam_msg m;
    const struct iam_session *s;
    struct iam_identity id;
    struct iam_cred c;
    struct iam_cpol *trust;
    char akid[24], rn[64];
    int maxs = 0;

    ck_assert_int_eq(iam_role_create(a, "reader", NULL, TRUST_ACCOUNT, "d", 7200, NULL, &m, NULL), S3_OK);
    ck_assert_int_eq(iam_attach(a, IAM_ENT_ROLE, "reader", "arn:aws:iam::aws:policy/AmazonS3FullAccess", &m), S3_OK);
    ck_assert_int_eq(iam_role_create(a, "bad", NULL, ALLOW_S3_ALL, NULL, 0, NULL, &m, NULL), S3E_IAM_MALFORMED_POLICY);
    ck_assert_int_eq(iam_role_create(a, "bad", NULL, TRUST_ACCOUNT, NULL, 100, NULL, &m, NULL), S3E_IAM_VALIDATION);
    ck_assert_int_eq(iam_session_create(a, IAM_SESS_ROLE, "reader", NULL, "s1", ALLOW_S3_GET, NULL, 900,
                                        "arn:aws:iam::111122223333:user/u", &m, &s),
                     S3_OK);
    ck_assert(!strncmp(s->akid, "ASIA", 4));
    ck_assert_str_eq(s->arn, "arn:aws:sts::111122223333:assumed-role/reader/s1");
    ck_assert_int_eq(s->expires, pinned_now + 900);
    snprintf(akid, sizeof(akid), "%s", s->akid);
    ck_assert_int_eq(iam_write_commit(a), S3_OK);

    ck_assert_int_eq(iam_role_trust(db, ACCT, "arn:aws:iam::111122223333:role/reader", &trust, rn, sizeof(rn), &maxs),
                     S3_OK);
    ck_assert_int_eq(maxs, 7200);
    ck_assert_str_eq(rn, "reader");
    ck_assert_ptr_nonnull(iam_cpol_policy(trust));
    iam_cpol_unref(trust);

    ck_assert_int_eq(iam_key_lookup(db, akid, &c), S3_OK);
    ck_assert_int_eq(c.kind, IAM_CRED_SESSION);
    ck_assert_int_eq(c.expires, pinned_now + 900);
    ck_assert_uint_gt(strlen(c.token), 100);
    ck_assert_int_eq(iam_identity_get(db, akid, 0, &id), S3_OK);
    ck_assert_int_eq(id.kind, AUTHZ_ROLE_SESSION);
    ck_assert_str_eq(id.role_arn, "arn:aws:iam::111122223333:role/reader");
    ck_assert(!strncmp(id.userid, "AROA", 4));
    ck_assert_ptr_nonnull(strstr(id.userid, ":s1"));
    ck_assert_ptr_nonnull(id.session);
    /* the session policy narrows the role's S3 full access to GetObject in bucket b */
    ck_assert_int_eq(decide(&id, "s3:GetObject", "arn:aws:s3:::b/k", NULL, 0), AUTHZ_ALLOW);
    ck_assert_int_ne(decide(&id, "s3:PutObject", "arn:aws:s3:::b/k", NULL, 0), AUTHZ_ALLOW);
    iam_identity_release(&id);

    /* round trip keeps the session */
    {
        char *json = NULL;
        struct iam_db *db2 = NULL;
        ck_assert_int_eq(iam_db_dump(db, ACCT, &json), S3_OK);
        ck_assert_int_eq(iam_db_new(&db2), S3_OK);
        ck_assert_int_eq(iam_db_load(db2, ACCT, json, NULL, 0, NULL), S3_OK);
        ck_assert_int_eq(iam_key_lookup(db2, akid, &c), S3_OK);
        ck_assert_int_eq(c.kind, IAM_CRED_SESSION);
        free(json);
        iam_db_free(db2);
    }
    /* expired sessions are pruned after a grace period */
    pinned_now += 900 + 86400 + 1;
    a = iam_write_begin(db, ACCT);
    iam_sessions_prune(a, 86400);
    ck_assert_uint_eq(a->n_sessions, 0);
    ck_assert_int_eq(iam_write_commit(a), S3_OK);
    ck_assert_int_eq(iam_key_lookup(db, akid, &c), S3E_INVALID_ACCESS_KEY);
    pinned_now = 1800000000;
    iam_db_free(db);
}
END_TEST

/* ------------------------------------------------------------------ persistence */

static int save_calls;
static s3_err save_ok(void *ud, const char *account, const char *json)
{
    char **last = ud;
    (void)account;
    free(*last);
    *last = strdup(json);
    save_calls++;
    return S3_OK;
}

static s3_err save_fail(void *ud, const char *account, const char *json)
{
    (void)ud;
    (void)account;
    (void)json;
    return S3E_INTERNAL;
}

START_TEST(round_trip)
{
    struct iam_db *db = new_db(), *db2 = NULL;
    struct iam_account *a;
    struct iam_msg m;
    const struct iam_key *k;
    char *saved = NULL, *again = NULL, akid[24];
    struct iam_tags tags = { 0 };

    iam_db_set_saver(db, save_ok, &saved);
    save_calls = 0;
    a = iam_write_begin(db, ACCT);
    iam_tags_add(&tags, "k", "v \"quoted\"");
    ck_assert_int_eq(iam_user_create(a, "u1", "/p/", &tags, &m, NULL), S3_OK);
    ck_assert_int_eq(iam_key_create(a, "u1", &m, &k), S3_OK);
    snprintf(akid, sizeof(akid), "%s", k->id);
    ck_assert_int_eq(iam_login_create(a, "u1", "Secr3t-pass", 1, &m), S3_OK);
    ck_assert_int_eq(iam_group_create(a, "g1", NULL, &m, NULL), S3_OK);
    ck_assert_int_eq(iam_group_add_user(a, "g1", "u1", &m), S3_OK);
    ck_assert_int_eq(iam_policy_create(a, "mp", NULL, "desc", ALLOW_S3_GET, &tags, &m, NULL), S3_OK);
    ck_assert_int_eq(iam_policy_version_create(a, "arn:aws:iam::111122223333:policy/mp", ALLOW_S3_ALL, 1, &m, NULL),
                     S3_OK);
    ck_assert_int_eq(iam_attach(a, IAM_ENT_GROUP, "g1", "arn:aws:iam::111122223333:policy/mp", &m), S3_OK);
    ck_assert_int_eq(iam_inline_put(a, IAM_ENT_USER, "u1", "deny", DENY_PUT, &m), S3_OK);
    ck_assert_int_eq(iam_role_create(a, "r1", NULL, TRUST_ACCOUNT, "role", 3600, &tags, &m, NULL), S3_OK);
    ck_assert_int_eq(iam_write_commit(a), S3_OK);
    ck_assert_int_eq(save_calls, 1);
    ck_assert_ptr_nonnull(saved);

    ck_assert_int_eq(iam_db_new(&db2), S3_OK);
    ck_assert_int_eq(iam_db_load(db2, ACCT, saved, NULL, 0, NULL), S3_OK);
    ck_assert_int_eq(iam_db_dump(db2, ACCT, &again), S3_OK);
    ck_assert_str_eq(saved, again);
    {
        struct iam_identity id;
        ck_assert_int_eq(iam_identity_get(db2, akid, 0, &id), S3_OK);
        ck_assert_uint_eq(id.n_pols, 2);
        ck_assert_int_eq(decide(&id, "s3:DeleteObject", "arn:aws:s3:::b/k", NULL, 0), AUTHZ_ALLOW);   /* v2 default */
        ck_assert_int_eq(decide(&id, "s3:PutObject", "arn:aws:s3:::b/k", NULL, 0), AUTHZ_EXPLICIT_DENY);
        iam_identity_release(&id);
    }
    {
        /* the password survives the trip */
        struct iam_account *a2 = iam_write_begin(db2, ACCT);
        ck_assert_int_eq(iam_login_change(a2, "u1", "wrong", "N3w-password", &m), S3E_IAM_INVALID_INPUT);
        ck_assert_int_eq(iam_login_change(a2, "u1", "Secr3t-pass", "short", &m), S3E_IAM_PASSWORD_POLICY);
        ck_assert_int_eq(iam_login_change(a2, "u1", "Secr3t-pass", "N3w-password", &m), S3_OK);
        ck_assert_int_eq(iam_user_find(a2, "u1")->login.reset_required, 0);
        iam_write_abort(a2);
    }
    ck_assert_int_eq(iam_db_load(db2, ACCT, "{\"format\":2}", NULL, 0, NULL), S3E_INTERNAL);
    ck_assert_int_eq(iam_db_load(db2, ACCT, "[1,2", NULL, 0, NULL), S3E_INTERNAL);
    iam_tags_release(&tags);
    free(saved);
    free(again);
    iam_db_free(db);
    iam_db_free(db2);
}
END_TEST

START_TEST(rollback_on_failed_save)
{
    struct iam_db *db = new_db();
    struct iam_account *a;
    struct iam_msg m;
    char *saved = NULL;

    iam_db_set_saver(db, save_ok, &saved);
    a = iam_write_begin(db, ACCT);
    ck_assert_int_eq(iam_user_create(a, "keep", NULL, NULL, &m, NULL), S3_OK);
    ck_assert_int_eq(iam_write_commit(a), S3_OK);

    iam_db_set_saver(db, save_fail, NULL);
    a = iam_write_begin(db, ACCT);
    ck_assert_int_eq(iam_user_create(a, "lost", NULL, NULL, &m, NULL), S3_OK);
    ck_assert_int_eq(iam_user_delete(a, "keep", &m), S3_OK);
    ck_assert_int_eq(iam_write_commit(a), S3E_INTERNAL);

    a = iam_write_begin(db, ACCT);
    ck_assert_ptr_null(iam_user_find(a, "lost"));
    ck_assert_ptr_nonnull(iam_user_find(a, "keep"));
    ck_assert_int_eq(iam_user_create(a, "gone", NULL, NULL, &m, NULL), S3_OK);
    iam_write_abort(a);   /* abort undoes too */
    {
        const struct iam_account *r = iam_read_begin(db, ACCT);
        ck_assert_ptr_null(iam_user_find(r, "gone"));
        ck_assert_ptr_nonnull(iam_user_find(r, "keep"));
        iam_read_end(db);
    }
    free(saved);
    iam_db_free(db);
}
END_TEST

/* ------------------------------------------------------------------ threads */

struct hammer {
    struct iam_db *db;
    char akid[24];
    int stop;
    unsigned lookups, allows;
};

static void *reader(void *arg)
{
    struct hammer *h = arg;
    while (!__atomic_load_n(&h->stop, __ATOMIC_ACQUIRE)) {
        struct iam_identity id;
        struct iam_cred c;
        if (iam_key_lookup(h->db, h->akid, &c) == S3_OK && iam_identity_get(h->db, h->akid, 0, &id) == S3_OK) {
            __atomic_add_fetch(&h->lookups, 1, __ATOMIC_RELAXED);
            if (decide(&id, "s3:GetObject", "arn:aws:s3:::b/k", NULL, 0) == AUTHZ_ALLOW)
                __atomic_add_fetch(&h->allows, 1, __ATOMIC_RELAXED);
            iam_identity_release(&id);
        }
        iam_key_touch(h->db, h->akid, "s3", "us-east-1");
    }
    return NULL;
}

/* Readers evaluate while a writer replaces, detaches and re-attaches the documents they use:
 * the counted references keep every policy alive for as long as a reader holds it. */
START_TEST(concurrent_readers_and_writer)
{
    struct iam_db *db = new_db();
    struct iam_account *a = iam_write_begin(db, ACCT);
    struct iam_msg m;
    const struct iam_key *k;
    struct hammer h;
    pthread_t th[4];

    memset(&h, 0, sizeof(h));
    h.db = db;
    ck_assert_int_eq(iam_user_create(a, "t", NULL, NULL, &m, NULL), S3_OK);
    ck_assert_int_eq(iam_key_create(a, "t", &m, &k), S3_OK);
    snprintf(h.akid, sizeof(h.akid), "%s", k->id);
    ck_assert_int_eq(iam_inline_put(a, IAM_ENT_USER, "t", "get", ALLOW_S3_GET, &m), S3_OK);
    ck_assert_int_eq(iam_write_commit(a), S3_OK);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, reader, &h), 0);
    for (int i = 0; i < 300; i++) {
        a = iam_write_begin(db, ACCT);
        ck_assert_int_eq(iam_inline_put(a, IAM_ENT_USER, "t", "get", i % 2 ? ALLOW_S3_GET : ALLOW_S3_ALL, &m), S3_OK);
        if (i % 3 == 0)
            ck_assert_int_eq(iam_inline_delete(a, IAM_ENT_USER, "t", "get", &m), S3_OK);
        ck_assert_int_eq(iam_attach(a, IAM_ENT_USER, "t", "arn:aws:iam::aws:policy/ReadOnlyAccess", &m), S3_OK);
        ck_assert_int_eq(iam_detach(a, IAM_ENT_USER, "t", "arn:aws:iam::aws:policy/ReadOnlyAccess", &m), S3_OK);
        if (i % 7 == 0)
            iam_write_abort(a);
        else
            ck_assert_int_eq(iam_write_commit(a), S3_OK);
    }
    __atomic_store_n(&h.stop, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    ck_assert_uint_gt(h.lookups, 0);
    ck_assert_uint_gt(h.allows, 0);
    iam_db_free(db);
}
END_TEST

static Suite *iam_suite(void)
{
    Suite *s = suite_create("iam");
    TCase *tc;

    tc = tcase_create("managed");
    tcase_add_test(tc, aws_managed_present);
    tcase_add_loop_test(tc, aws_managed_decisions, 0, (int)ARRAY_LEN(managed_cases));
    suite_add_tcase(s, tc);

    tc = tcase_create("model");
    tcase_add_test(tc, user_basics);
    tcase_add_test(tc, delete_conflicts);
    tcase_add_test(tc, key_limits_and_lookup);
    tcase_add_test(tc, policy_versions);
    tcase_add_test(tc, inline_quota);
    tcase_add_test(tc, attach_limit);
    suite_add_tcase(s, tc);

    tc = tcase_create("documents");
    tcase_add_test(tc, malformed_seed_policy);
    tcase_add_loop_test(tc, bad_documents, 0, (int)ARRAY_LEN(bad_docs));
    tcase_add_test(tc, oversized_managed);
    tcase_add_test(tc, context_keys);
    suite_add_tcase(s, tc);

    tc = tcase_create("identity");
    tcase_add_test(tc, identity_policy_set);
    tcase_add_test(tc, sessions);
    suite_add_tcase(s, tc);

    tc = tcase_create("persistence");
    tcase_add_test(tc, round_trip);
    tcase_add_test(tc, rollback_on_failed_save);
    suite_add_tcase(s, tc);

    tc = tcase_create("threads");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, concurrent_readers_and_writer);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(iam_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
