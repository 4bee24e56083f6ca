/*
 * t/unit/check_policy.c - the policy engine (auth/policy*.c, auth/glob.c, auth/arn.c).
 *
 * Table-driven: wildcard matching, ARNs, variables, every condition operator family with
 * present and absent keys, grammar errors with their exact AWS messages and positions, the
 * seeds' five documents, evaluation scenarios the shared cases do not cover (sessions,
 * services, NotPrincipal, RestrictPublicBuckets, the root lockout), explanations,
 * policy_is_public, and finally every shared decision case through the case loader.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <check.h>

#include "auth/arn.h"
#include "auth/glob.h"
#include "auth/policy.h"
#include "auth/policy_case.h"
#include "auth/policy_int.h"
#include "lib/buf.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define ACCT_A "111122223333"
#define ACCT_B "444455556666"
#define ALICE "arn:aws:iam::111122223333:user/alice"

/* ------------------------------------------------------------------ helpers */

static struct policy *compile_ok(const char *text, enum policy_kind kind)
{
    struct policy_validate_opts o = { .flags = POLICY_F_ALLOW_OLD_VERSION };
    struct policy_diag d;
    struct policy *p = NULL;
    s3_err e = policy_compile(text, strlen(text), kind, &o, "test policy", &p, &d);
    ck_assert_msg(e == S3_OK, "policy did not compile: %s (%s) line %d: %s", d.errors[0].message,
                  d.errors[0].detail, d.errors[0].line, text);
    return p;
}

/* An alice (same account) context for action/resource with the given keys. */
static void alice_ctx(struct authz_ctx *c, const char *action, const char *resource,
                      const struct authz_key *keys, size_t n)
{
    memset(c, 0, sizeof *c);
    c->action = action;
    c->resource = resource;
    c->resource_account = ACCT_A;
    c->principal_kind = AUTHZ_USER;
    c->principal_arn = ALICE;
    c->principal_account = ACCT_A;
    c->keys = keys;
    c->n_keys = n;
}

static enum authz_decision eval_identity(const struct policy *p, const struct authz_ctx *c,
                                         struct authz_result *r)
{
    const struct policy *ids[1] = { p };
    struct authz_policies pols = { .identity = ids, .n_identity = 1 };
    authz_evaluate(&pols, c, r);
    return r->decision;
}

/* ------------------------------------------------------------------ glob */

struct glob_case {
    const char *pat, *subject;
    unsigned flags;
    int match;
};

static const struct glob_case glob_cases[] = {
    { "arn:aws:s3:::b/*", "arn:aws:s3:::b/x/y", 0, 1 },
    { "arn:aws:s3:::b/*", "arn:aws:s3:::b", 0, 0 },        /* '/' is required */
    { "arn:aws:s3:::b/*", "arn:aws:s3:::b/", 0, 1 },       /* '*' matches empty */
    { "arn:aws:s3:::b/?", "arn:aws:s3:::b/xy", 0, 0 },
    { "arn:aws:s3:::b/a?b", "arn:aws:s3:::b/a/b", 0, 1 },  /* '?' matches '/' */
    { "arn:aws:s3:::demo*", "arn:aws:s3:::demo-analysis/x", 0, 1 },
    { "arn:aws:s3:::demo/x*y", "arn:aws:s3:::demo/x:1:y", 0, 1 }, /* '*' crosses ':' */
    { "arn:aws:s3:::demo/Reports/*", "arn:aws:s3:::demo/reports/q", 0, 0 },
    { "arn:aws:s3:::*/*/", "arn:aws:s3:::b/test/", 0, 1 },
    { "arn:aws:s3:::*/*/", "arn:aws:s3:::b/test/x.txt", 0, 0 },
    { "s3:Get*", "s3:GetObject", 0, 1 },
    { "S3:GETOBJECT", "s3:GetObject", 0, 0 },
    { "S3:GETOBJECT", "s3:GetObject", GLOB_NOCASE, 1 },
    { "s3:?etObject", "s3:GetObject", GLOB_NOCASE, 1 },
    { "s3:*Object", "s3:PutObject", 0, 1 },
    { "s3:*Object", "s3:PutObjectAcl", 0, 0 },
    { "*", "", 0, 1 },
    { "", "", 0, 1 },
    { "", "a", 0, 0 },
    { "a*b*c", "aXXbYYbZc", 0, 1 },
    { "a*b*c", "aXXbYYbZ", 0, 0 },
    { "**", "abc", 0, 1 },
    { "*a", "aaaa", 0, 1 },
    { "?", "", 0, 0 },
};

START_TEST(glob_table)
{
    const struct glob_case *c = &glob_cases[_i];
    ck_assert_msg(glob_match(c->pat, c->subject, c->flags) == c->match, "case %d: %s vs %s", _i,
                  c->pat, c->subject);
}
END_TEST

START_TEST(glob_literal_mask)
{
    const uint8_t lit[] = { 0, 1, 0 };
    /* "a*b" with the star marked literal only matches "a*b" itself */
    ck_assert(glob_match_ex("a*b", 3, lit, "a*b", 3, 0));
    ck_assert(!glob_match_ex("a*b", 3, lit, "axxb", 4, 0));
    ck_assert(glob_match_ex("a*b", 3, NULL, "axxb", 4, 0));
    ck_assert(glob_has_wildcard("a*b", 3, NULL));
    ck_assert(!glob_has_wildcard("a*b", 3, lit));
}
END_TEST

/* ------------------------------------------------------------------ ARNs */

struct arnlike_case {
    const char *pat, *val;
    int match;
};

static const struct arnlike_case arnlike_cases[] = {
    { "arn:aws:iam::*:user/alice", "arn:aws:iam::111122223333:user/alice", 1 },
    { "arn:aws:iam::111122223333:user/*", "arn:aws:iam::111122223333:user/alice", 1 },
    { "arn:aws:iam::1111*:user/alice", "arn:aws:iam::111122223333:user/alice", 1 },
    /* '*' stays inside its component: it cannot eat the ':' before the account */
    { "arn:aws:iam*:user/alice", "arn:aws:iam::111122223333:user/alice", 0 },
    { "arn:aws:s3:::b/*", "arn:aws:s3:::b/k:with:colons", 1 },
    { "arn:aws:s3:::b", "not-an-arn", 0 },
    { "arn:aws:s3:::x", "arn:aws:s3:::y", 0 },
};

START_TEST(arn_like_table)
{
    const struct arnlike_case *c = &arnlike_cases[_i];
    ck_assert_msg(arn_like(c->pat, strlen(c->pat), NULL, c->val, strlen(c->val)) == c->match,
                  "case %d: %s vs %s", _i, c->pat, c->val);
}
END_TEST

struct principal_case {
    const char *v;
    enum arn_principal type;
    const char *account;
};

static const struct principal_case principal_cases[] = {
    { "*", ARN_PRINCIPAL_STAR, "" },
    { "111122223333", ARN_PRINCIPAL_ACCOUNT, "111122223333" },
    { "11112222333", ARN_PRINCIPAL_INVALID, "" },
    { "arn:aws:iam::111122223333:root", ARN_PRINCIPAL_ACCOUNT, "111122223333" },
    { "arn:aws:iam::111122223333:user/alice", ARN_PRINCIPAL_USER, "111122223333" },
    { "arn:aws:iam::111122223333:user/path/alice", ARN_PRINCIPAL_USER, "111122223333" },
    { "arn:aws:iam::111122223333:role/r", ARN_PRINCIPAL_ROLE, "111122223333" },
    { "arn:aws:sts::111122223333:assumed-role/r/s", ARN_PRINCIPAL_ASSUMED_ROLE, "111122223333" },
    { "arn:aws:sts::111122223333:assumed-role/r", ARN_PRINCIPAL_INVALID, "111122223333" },
    { "arn:aws:sts::111122223333:federated-user/bob", ARN_PRINCIPAL_FEDERATED_USER, "111122223333" },
    { "arn:aws:iam::111122223333:user/*", ARN_PRINCIPAL_INVALID, "" },
    { "arn:aws:iam::*:root", ARN_PRINCIPAL_INVALID, "" },
    { "arn:aws:iam::111122223333:group/g", ARN_PRINCIPAL_INVALID, "111122223333" },
    { "arn:aws:s3:::bucket", ARN_PRINCIPAL_INVALID, "" },
    { "AIDAEXAMPLEALICE0000", ARN_PRINCIPAL_UNIQUE_ID, "" },
    { "user/alice", ARN_PRINCIPAL_INVALID, "" },
    /* documentation placeholders keep their shape (the seeds' access point policy) */
    { "arn:aws:iam::<aws-account-id>:user/analyst-<name>", ARN_PRINCIPAL_USER, "<aws-account-id>" },
};

START_TEST(arn_principal_table)
{
    const struct principal_case *c = &principal_cases[_i];
    struct s3_str acct;
    enum arn_principal t = arn_principal_classify(c->v, strlen(c->v), &acct);
    ck_assert_msg(t == c->type, "case %d: %s: got %d want %d", _i, c->v, t, c->type);
    if (c->account[0])
        ck_assert_msg(acct.len == strlen(c->account) && memcmp(acct.p, c->account, acct.len) == 0,
                      "case %d: account", _i);
}
END_TEST

START_TEST(arn_misc)
{
    struct arn a;
    struct s3_str acct, name, key;
    int obj;
    const char *ap = "arn:aws:s3:ap-southeast-2:111122223333:accesspoint/analytics-ap/object/a/b:c";

    ck_assert(arn_split("arn:aws:s3:::b/k:1", 18, &a));
    ck_assert_uint_eq(a.part[ARN_RESOURCE].len, 5); /* "b/k:1": colons stay in the resource */
    ck_assert(!arn_split("arn:aws:s3", 10, &a));
    ck_assert(arn_access_point_parse(ap, strlen(ap), &acct, &name, &key, &obj));
    ck_assert_int_eq(obj, 1);
    ck_assert(acct.len == 12 && memcmp(acct.p, ACCT_A, 12) == 0);
    ck_assert(name.len == strlen("analytics-ap") && memcmp(name.p, "analytics-ap", name.len) == 0);
    ck_assert(key.len == 5 && memcmp(key.p, "a/b:c", 5) == 0);
    ck_assert(arn_access_point_parse("arn:aws:s3:r:1:accesspoint/x", 28, NULL, &name, &key, &obj));
    ck_assert_int_eq(obj, 0);
    ck_assert(!arn_access_point_parse("arn:aws:s3:r:1:accesspoint/x/other/y", 36, NULL, NULL, NULL,
                                      NULL));
    ck_assert(!arn_access_point_parse("arn:aws:s3:::bucket", 19, NULL, NULL, NULL, NULL));
    ck_assert(arn_session_of_role("arn:aws:sts::1:assumed-role/r/s", "arn:aws:iam::1:role/path/r"));
    ck_assert(!arn_session_of_role("arn:aws:sts::1:assumed-role/r/s", "arn:aws:iam::2:role/r"));
    ck_assert(!arn_session_of_role("arn:aws:sts::1:assumed-role/r/s", "arn:aws:iam::1:role/rr"));
}
END_TEST

/* ------------------------------------------------------------------ value parsers */

struct date_case {
    const char *s;
    int ok;
    long long ms;
};

static const struct date_case date_cases[] = {
    { "1970-01-01T00:00:00Z", 1, 0 },
    { "1700000000", 1, 1700000000000LL },
    { "2025-06-01T12:00:00Z", 1, 1748779200000LL },
    { "2025-06-01T12:00:00+00:00", 1, 1748779200000LL },
    { "2025-06-01T14:00:00+02:00", 1, 1748779200000LL },
    { "2025-06-01T07:00:00-0500", 1, 1748779200000LL },
    { "2025-06-01", 1, 1748736000000LL },
    { "2025-06-01T12:00:00.250Z", 1, 1748779200250LL },
    { "2024-02-29T00:00:00Z", 1, 1709164800000LL },
    { "2023-02-29T00:00:00Z", 0, 0 },
    { "2025-13-01T00:00:00Z", 0, 0 },
    { "2025-06-01T25:00:00Z", 0, 0 },
    { "yesterday", 0, 0 },
    { "${aws:CurrentTime}", 0, 0 },
    { "", 0, 0 },
};

START_TEST(date_table)
{
    const struct date_case *c = &date_cases[_i];
    int64_t ms = -1;
    int ok = pol_parse_date(c->s, strlen(c->s), &ms);
    ck_assert_msg(ok == c->ok, "case %d: %s", _i, c->s);
    if (ok)
        ck_assert_msg(ms == c->ms, "case %d: %s -> %lld", _i, c->s, (long long)ms);
}
END_TEST

struct num_case {
    const char *s;
    int ok;
    double v;
};

static const struct num_case num_cases[] = {
    { "10", 1, 10 }, { "10.0", 1, 10 }, { "-3.5", 1, -3.5 }, { "1e3", 1, 1000 }, { ".5", 1, 0.5 },
    { "0x10", 0, 0 }, { "inf", 0, 0 }, { "nan", 0, 0 }, { "", 0, 0 }, { "1 0", 0, 0 },
    { "${aws:x}", 0, 0 },
};

START_TEST(number_table)
{
    const struct num_case *c = &num_cases[_i];
    double v = 0;
    int ok = pol_parse_number(c->s, strlen(c->s), &v);
    ck_assert_msg(ok == c->ok, "case %d: %s", _i, c->s);
    if (ok)
        ck_assert_msg(v == c->v, "case %d: %s", _i, c->s);
}
END_TEST

START_TEST(cidr_parse)
{
    struct pol_cidr c;
    ck_assert(pol_parse_cidr("203.0.113.7/24", 14, &c));
    ck_assert_int_eq(c.family, 4);
    ck_assert_int_eq(c.prefix, 24);
    ck_assert_int_eq(c.addr[3], 0); /* host bits cleared */
    ck_assert(pol_parse_cidr("10.1.2.3", 8, &c) && c.prefix == 32);
    ck_assert(pol_parse_cidr("2001:db8::/32", 13, &c) && c.family == 6 && c.prefix == 32);
    ck_assert(!pol_parse_cidr("10.0.0.0/33", 11, &c));
    ck_assert(!pol_parse_cidr("10.0.0/8", 8, &c));
    ck_assert(!pol_parse_cidr("${aws:SourceIp}", 15, &c));
}
END_TEST

/* ------------------------------------------------------------------ conditions */

/* One condition block on an Allow statement, one request key: is the request allowed? */
struct cond_case {
    const char *cond;        /* the Condition element's value */
    const char *key;         /* request key name, NULL for no key */
    const char *vals[4];     /* its values */
    int multi;               /* 1: a multi-valued key (values list), 0: vals[0] */
    int allow;
};

#define K1(k, v) k, { v, NULL }, 0
#define KM(k, ...) k, { __VA_ARGS__ }, 1
#define NOKEY NULL, { NULL }, 0

static const struct cond_case cond_cases[] = {
    /* String */
    { "{\"StringEquals\":{\"k:x\":\"a\"}}", K1("k:x", "a"), 1 },
    { "{\"StringEquals\":{\"k:x\":\"a\"}}", K1("K:X", "a"), 1 },  /* key names fold case */
    { "{\"StringEquals\":{\"k:x\":\"a\"}}", K1("k:x", "A"), 0 },
    { "{\"StringEquals\":{\"k:x\":\"a\"}}", NOKEY, 0 },
    { "{\"StringEquals\":{\"k:x\":\"home/*\"}}", K1("k:x", "home/x"), 0 },  /* no wildcards */
    { "{\"StringEquals\":{\"k:x\":[\"a\",\"b\"]}}", K1("k:x", "b"), 1 },    /* OR */
    { "{\"StringNotEquals\":{\"k:x\":\"a\"}}", K1("k:x", "b"), 1 },
    { "{\"StringNotEquals\":{\"k:x\":\"a\"}}", NOKEY, 1 },                  /* negated, absent */
    { "{\"StringNotEquals\":{\"k:x\":[\"a\",\"b\"]}}", K1("k:x", "b"), 0 }, /* NOR */
    { "{\"StringNotEquals\":{\"k:x\":[\"a\",\"b\"]}}", K1("k:x", "c"), 1 },
    { "{\"StringEqualsIgnoreCase\":{\"k:x\":\"AbC\"}}", K1("k:x", "aBc"), 1 },
    { "{\"StringNotEqualsIgnoreCase\":{\"k:x\":\"AbC\"}}", K1("k:x", "abc"), 0 },
    { "{\"StringNotEqualsIgnoreCase\":{\"k:x\":\"AbC\"}}", NOKEY, 1 },
    { "{\"StringLike\":{\"k:x\":\"home/*\"}}", K1("k:x", "home/a/b"), 1 },
    { "{\"StringLike\":{\"k:x\":\"Home/*\"}}", K1("k:x", "home/a"), 0 },
    { "{\"StringLike\":{\"k:x\":\"a?c\"}}", K1("k:x", "abc"), 1 },
    { "{\"StringLike\":{\"k:x\":\"a?c\"}}", NOKEY, 0 },
    { "{\"StringNotLike\":{\"k:x\":[\"a*\",\"b*\"]}}", K1("k:x", "b1"), 0 },
    { "{\"StringNotLike\":{\"k:x\":[\"a*\",\"b*\"]}}", K1("k:x", "c1"), 1 },
    { "{\"StringNotLike\":{\"k:x\":\"a*\"}}", NOKEY, 1 },
    { "{\"StringEquals\":{\"k:x\":10}}", K1("k:x", "10"), 1 },       /* numbers as text */
    { "{\"StringEqualsIfExists\":{\"k:x\":\"a\"}}", NOKEY, 1 },
    { "{\"StringEqualsIfExists\":{\"k:x\":\"a\"}}", K1("k:x", "b"), 0 },
    { "{\"StringNotEqualsIfExists\":{\"k:x\":\"a\"}}", K1("k:x", "a"), 0 },
    /* Numeric */
    { "{\"NumericEquals\":{\"k:n\":\"10\"}}", K1("k:n", "10.0"), 1 },
    { "{\"NumericNotEquals\":{\"k:n\":\"10\"}}", K1("k:n", "10"), 0 },
    { "{\"NumericNotEquals\":{\"k:n\":\"10\"}}", NOKEY, 1 },
    { "{\"NumericLessThan\":{\"k:n\":\"100\"}}", K1("k:n", "99"), 1 },
    { "{\"NumericLessThan\":{\"k:n\":\"100\"}}", K1("k:n", "1000"), 0 }, /* numbers, not text */
    { "{\"NumericLessThanEquals\":{\"k:n\":\"10\"}}", K1("k:n", "10"), 1 },
    { "{\"NumericGreaterThan\":{\"k:n\":\"5\"}}", K1("k:n", "5"), 0 },
    { "{\"NumericGreaterThan\":{\"k:n\":\"5\"}}", NOKEY, 0 },
    { "{\"NumericGreaterThanEquals\":{\"k:n\":\"5\"}}", K1("k:n", "5"), 1 },
    { "{\"NumericLessThanIfExists\":{\"k:n\":\"5\"}}", NOKEY, 1 },
    { "{\"NumericEquals\":{\"k:n\":\"abc\"}}", K1("k:n", "abc"), 0 },  /* not a number */
    /* Date */
    { "{\"DateLessThan\":{\"aws:CurrentTime\":\"2030-01-01T00:00:00Z\"}}",
      K1("aws:CurrentTime", "2025-06-01T12:00:00Z"), 1 },
    { "{\"DateGreaterThan\":{\"aws:CurrentTime\":\"1700000000\"}}",
      K1("aws:CurrentTime", "2025-06-01T12:00:00Z"), 1 },
    { "{\"DateEquals\":{\"aws:CurrentTime\":\"2025-06-01T14:00:00+02:00\"}}",
      K1("aws:CurrentTime", "2025-06-01T12:00:00Z"), 1 },
    { "{\"DateNotEquals\":{\"aws:CurrentTime\":\"2020-01-01\"}}", NOKEY, 1 },
    { "{\"DateLessThanEquals\":{\"aws:EpochTime\":\"1700000000\"}}",
      K1("aws:EpochTime", "1700000000"), 1 },
    { "{\"DateGreaterThanEquals\":{\"aws:CurrentTime\":\"2025-06-01\"}}", NOKEY, 0 },
    /* Bool */
    { "{\"Bool\":{\"aws:SecureTransport\":\"true\"}}", K1("aws:SecureTransport", "true"), 1 },
    { "{\"Bool\":{\"aws:SecureTransport\":true}}", K1("aws:SecureTransport", "TRUE"), 1 },
    { "{\"Bool\":{\"aws:SecureTransport\":\"false\"}}", K1("aws:SecureTransport", "true"), 0 },
    { "{\"Bool\":{\"aws:SecureTransport\":\"false\"}}", NOKEY, 0 },
    { "{\"BoolIfExists\":{\"aws:MultiFactorAuthPresent\":\"false\"}}", NOKEY, 1 },
    /* Binary */
    { "{\"BinaryEquals\":{\"k:b\":\"QmluYXJ5VmFsdWU=\"}}", K1("k:b", "QmluYXJ5VmFsdWU="), 1 },
    { "{\"BinaryEquals\":{\"k:b\":\"QmluYXJ5VmFsdWU=\"}}", K1("k:b", "QmluYXJ5VmFsdWF="), 0 },
    { "{\"BinaryEquals\":{\"k:b\":\"QmluYXJ5VmFsdWU=\"}}", NOKEY, 0 },
    /* IP */
    { "{\"IpAddress\":{\"aws:SourceIp\":\"203.0.113.0/24\"}}", K1("aws:SourceIp", "203.0.113.7"), 1 },
    { "{\"IpAddress\":{\"aws:SourceIp\":\"203.0.113.0/24\"}}", K1("aws:SourceIp", "198.51.100.7"), 0 },
    { "{\"IpAddress\":{\"aws:SourceIp\":\"203.0.113.0/24\"}}", NOKEY, 0 },
    { "{\"IpAddress\":{\"aws:SourceIp\":\"2001:db8::/32\"}}", K1("aws:SourceIp", "2001:db8::1"), 1 },
    { "{\"IpAddress\":{\"aws:SourceIp\":\"2001:db8::/32\"}}", K1("aws:SourceIp", "2001:db9::1"), 0 },
    { "{\"IpAddress\":{\"aws:SourceIp\":\"10.0.0.0/8\"}}", K1("aws:SourceIp", "::ffff:10.1.2.3"), 1 },
    { "{\"IpAddress\":{\"aws:SourceIp\":\"203.0.113.7\"}}", K1("aws:SourceIp", "203.0.113.7"), 1 },
    { "{\"IpAddress\":{\"aws:SourceIp\":[\"10.0.0.0/8\",\"203.0.113.0/24\"]}}",
      K1("aws:SourceIp", "203.0.113.7"), 1 },
    { "{\"NotIpAddress\":{\"aws:SourceIp\":\"203.0.113.0/24\"}}", K1("aws:SourceIp", "203.0.113.7"), 0 },
    { "{\"NotIpAddress\":{\"aws:SourceIp\":\"203.0.113.0/24\"}}", NOKEY, 1 },
    { "{\"NotIpAddress\":{\"aws:SourceIp\":[\"10.0.0.0/8\",\"203.0.113.0/24\"]}}",
      K1("aws:SourceIp", "10.9.9.9"), 0 },
    /* Arn */
    { "{\"ArnEquals\":{\"aws:SourceArn\":\"arn:aws:s3:::b*\"}}", K1("aws:SourceArn", "arn:aws:s3:::bx"), 1 },
    { "{\"ArnLike\":{\"aws:SourceArn\":\"arn:aws:iam::*:user/x\"}}",
      K1("aws:SourceArn", "arn:aws:iam::111122223333:user/x"), 1 },
    { "{\"ArnLike\":{\"aws:SourceArn\":\"arn:aws:iam::*:user/x\"}}", K1("aws:SourceArn", "nonarn"), 0 },
    { "{\"ArnNotEquals\":{\"aws:SourceArn\":\"arn:aws:s3:::b\"}}", K1("aws:SourceArn", "arn:aws:s3:::b"), 0 },
    { "{\"ArnNotLike\":{\"aws:SourceArn\":\"arn:aws:s3:::x\"}}", NOKEY, 1 },
    { "{\"ArnLikeIfExists\":{\"aws:SourceArn\":\"arn:aws:s3:::x\"}}", NOKEY, 1 },
    /* Null */
    { "{\"Null\":{\"k:x\":\"true\"}}", NOKEY, 1 },
    { "{\"Null\":{\"k:x\":\"true\"}}", K1("k:x", "v"), 0 },
    { "{\"Null\":{\"k:x\":\"true\"}}", K1("k:x", ""), 1 },   /* empty counts as null */
    { "{\"Null\":{\"k:x\":\"false\"}}", NOKEY, 0 },
    { "{\"Null\":{\"k:x\":\"false\"}}", K1("k:x", "v"), 1 },
    { "{\"Null\":{\"k:x\":true}}", NOKEY, 1 },
    /* set operators */
    { "{\"ForAnyValue:StringEquals\":{\"k:t\":[\"p\",\"o\"]}}", KM("k:t", "o", "c"), 1 },
    { "{\"ForAnyValue:StringEquals\":{\"k:t\":[\"p\",\"o\"]}}", KM("k:t", "c"), 0 },
    { "{\"ForAnyValue:StringEquals\":{\"k:t\":[\"p\"]}}", NOKEY, 0 },
    { "{\"ForAnyValue:StringEquals\":{\"k:t\":[\"p\"]}}", K1("k:t", "p"), 1 }, /* set of one */
    { "{\"ForAllValues:StringEquals\":{\"k:t\":[\"p\",\"o\"]}}", KM("k:t", "p", "o"), 1 },
    { "{\"ForAllValues:StringEquals\":{\"k:t\":[\"p\",\"o\"]}}", KM("k:t", "p", "c"), 0 },
    { "{\"ForAllValues:StringEquals\":{\"k:t\":[\"p\"]}}", NOKEY, 1 },       /* empty set */
    { "{\"ForAllValues:StringEquals\":{\"k:t\":[\"p\"]}}", KM("k:t", NULL), 1 },
    { "{\"ForAllValues:StringEquals\":{\"k:t\":[\"p\"]}}", KM("k:t", ""), 1 }, /* "" not a member */
    { "{\"ForAllValues:StringLike\":{\"k:t\":[\"Created*\"]}}", KM("k:t", "CreatedBy", "CreatedAt"), 1 },
    { "{\"ForAnyValue:StringEqualsIgnoreCase\":{\"k:t\":[\"Project\"]}}", KM("k:t", "project"), 1 },
    { "{\"ForAllValues:StringNotEquals\":{\"k:t\":[\"secret\"]}}", KM("k:t", "a", "b"), 1 },
    { "{\"ForAllValues:StringNotEquals\":{\"k:t\":[\"secret\"]}}", KM("k:t", "a", "secret"), 0 },
    { "{\"ForAnyValue:StringNotEquals\":{\"k:t\":[\"secret\"]}}", KM("k:t", "secret", "a"), 1 },
    { "{\"ForAnyValue:StringEqualsIfExists\":{\"k:t\":[\"p\"]}}", NOKEY, 1 },
    /* several keys in one block: AND; several operators: AND */
    { "{\"StringEquals\":{\"k:x\":\"a\",\"k:y\":\"b\"}}", K1("k:x", "a"), 0 },
    { "{\"StringEquals\":{\"k:x\":\"a\"},\"StringLike\":{\"k:x\":\"a*\"}}", K1("k:x", "a"), 1 },
    { "{\"StringEquals\":{\"k:x\":\"a\"},\"Null\":{\"k:x\":\"true\"}}", K1("k:x", "a"), 0 },
    /* a multi-valued key under a plain operator: some value matches */
    { "{\"StringEquals\":{\"k:t\":\"p\"}}", KM("k:t", "x", "p"), 1 },
    { "{\"StringNotEquals\":{\"k:t\":\"p\"}}", KM("k:t", "x", "p"), 0 },
};

START_TEST(cond_table)
{
    const struct cond_case *c = &cond_cases[_i];
    char text[1024];
    struct authz_key k;
    struct authz_ctx ctx;
    struct authz_result r;
    struct policy *p;
    size_t nv = 0;

    snprintf(text, sizeof text,
             "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":"
             "\"s3:GetObject\",\"Resource\":\"*\",\"Condition\":%s}]}",
             c->cond);
    p = compile_ok(text, POLICY_IDENTITY);
    memset(&k, 0, sizeof k);
    k.name = c->key;
    if (c->multi) {
        while (nv < 4 && c->vals[nv])
            nv++;
        k.values = c->vals;
        k.n_values = nv;
    } else {
        k.value = c->vals[0];
    }
    alice_ctx(&ctx, "s3:GetObject", "arn:aws:s3:::demo/x", c->key ? &k : NULL, c->key ? 1 : 0);
    eval_identity(p, &ctx, &r);
    ck_assert_msg((r.decision == AUTHZ_ALLOW) == c->allow, "case %d: %s with %s: got %s", _i,
                  c->cond, c->key ? c->key : "(no key)", authz_decision_name(r.decision));
    if (!c->allow) {
        ck_assert_uint_eq(r.n_near, 1);
        ck_assert_int_eq(r.near[0].miss, AUTHZ_MISS_CONDITION);
    }
    policy_free(p);
}
END_TEST

/* ------------------------------------------------------------------ variables */

struct var_case {
    const char *version;     /* NULL: no Version element */
    const char *resource;    /* the policy's Resource */
    const char *request;     /* the request's resource */
    int with_username;       /* the request carries aws:username=alice */
    int allow;
};

static const struct var_case var_cases[] = {
    { "2012-10-17", "arn:aws:s3:::d/home/${aws:username}/*", "arn:aws:s3:::d/home/alice/x", 1, 1 },
    { "2012-10-17", "arn:aws:s3:::d/home/${aws:username}/*", "arn:aws:s3:::d/home/bob/x", 1, 0 },
    { "2012-10-17", "arn:aws:s3:::d/home/${AWS:UserName}/*", "arn:aws:s3:::d/home/alice/x", 1, 1 },
    { "2008-10-17", "arn:aws:s3:::d/home/${aws:username}/*", "arn:aws:s3:::d/home/alice/x", 1, 0 },
    { "2008-10-17", "arn:aws:s3:::d/home/${aws:username}/*",
      "arn:aws:s3:::d/home/${aws:username}/x", 1, 1 },                        /* literal text */
    { NULL, "arn:aws:s3:::d/home/${aws:username}/*", "arn:aws:s3:::d/home/alice/x", 1, 0 },
    { "2012-10-17", "arn:aws:s3:::d/home/${aws:username}/*", "arn:aws:s3:::d/home//x", 0, 0 },
    { "2012-10-17", "arn:aws:s3:::d/home/${aws:username, 'guest'}/*", "arn:aws:s3:::d/home/guest/x", 0, 1 },
    { "2012-10-17", "arn:aws:s3:::d/home/${aws:username,'guest'}/*", "arn:aws:s3:::d/home/alice/x", 1, 1 },
    { "2012-10-17", "arn:aws:s3:::d/u/${aws:userid}/*", "arn:aws:s3:::d/u/AIDAALICE/x", 1, 1 },
    { "2012-10-17", "arn:aws:s3:::d/t/${aws:PrincipalTag/team}/*", "arn:aws:s3:::d/t/data/x", 1, 1 },
    { "2012-10-17", "arn:aws:s3:::d/t/${aws:PrincipalTag/nope}/*", "arn:aws:s3:::d/t//x", 1, 0 },
    { "2012-10-17", "arn:aws:s3:::d/star${*}key", "arn:aws:s3:::d/starXkey", 1, 0 },
    { "2012-10-17", "arn:aws:s3:::d/star${*}key", "arn:aws:s3:::d/star*key", 1, 1 },
    { "2012-10-17", "arn:aws:s3:::d/what${?}", "arn:aws:s3:::d/what?", 1, 1 },
    { "2012-10-17", "arn:aws:s3:::d/what${?}", "arn:aws:s3:::d/whatX", 1, 0 },
    { "2012-10-17", "arn:aws:s3:::d/cost${$}", "arn:aws:s3:::d/cost$", 1, 1 },
    /* a variable's value is data: the tag "st*r" does not act as a wildcard */
    { "2012-10-17", "arn:aws:s3:::d/v/${aws:PrincipalTag/wild}", "arn:aws:s3:::d/v/stXr", 1, 0 },
    { "2012-10-17", "arn:aws:s3:::d/v/${aws:PrincipalTag/wild}", "arn:aws:s3:::d/v/st*r", 1, 1 },
    /* malformed variables stay text */
    { "2012-10-17", "arn:aws:s3:::d/${aws:username", "arn:aws:s3:::d/${aws:username", 1, 1 },
    { "2012-10-17", "arn:aws:s3:::d/${}", "arn:aws:s3:::d/${}", 1, 1 },
    /* a multi-valued key is not a variable */
    { "2012-10-17", "arn:aws:s3:::d/${aws:TagKeys}", "arn:aws:s3:::d/a", 1, 0 },
};

START_TEST(var_table)
{
    const struct var_case *c = &var_cases[_i];
    static const char *const tagkeys[] = { "a", "b" };
    struct authz_key keys[5] = {
        { .name = "aws:userid", .value = "AIDAALICE" },
        { .name = "aws:PrincipalTag/team", .value = "data" },
        { .name = "aws:PrincipalTag/wild", .value = "st*r" },
        { .name = "aws:TagKeys", .values = tagkeys, .n_values = 2 },
        { .name = "aws:username", .value = "alice" },
    };
    char text[1024];
    struct authz_ctx ctx;
    struct authz_result r;
    struct policy *p;

    if (c->version)
        snprintf(text, sizeof text,
                 "{\"Version\":\"%s\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":"
                 "\"s3:GetObject\",\"Resource\":\"%s\"}}", c->version, c->resource);
    else
        snprintf(text, sizeof text,
                 "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":"
                 "\"%s\"}}", c->resource);
    p = compile_ok(text, POLICY_IDENTITY);
    alice_ctx(&ctx, "s3:GetObject", c->request, keys, c->with_username ? 5 : 4);
    eval_identity(p, &ctx, &r);
    ck_assert_msg((r.decision == AUTHZ_ALLOW) == c->allow, "case %d: %s vs %s", _i, c->resource,
                  c->request);
    policy_free(p);
}
END_TEST

START_TEST(var_in_condition)
{
    /* Variables work in String/Arn/Bool condition values, not in Numeric ones. */
    struct authz_key keys[] = {
        { .name = "aws:username", .value = "alice" },
        { .name = "s3:prefix", .value = "home/alice/docs" },
        { .name = "k:n", .value = "5" },
        { .name = "k:limit", .value = "5" },
    };
    struct authz_ctx ctx;
    struct authz_result r;
    struct policy *p = compile_ok(
        "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":"
        "\"s3:ListBucket\",\"Resource\":\"*\",\"Condition\":{\"StringLike\":{\"s3:prefix\":"
        "\"home/${aws:username}/*\"}}}}", POLICY_IDENTITY);
    struct policy *q = compile_ok(
        "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":"
        "\"s3:ListBucket\",\"Resource\":\"*\",\"Condition\":{\"NumericEquals\":{\"k:n\":"
        "\"${k:limit}\"}}}}", POLICY_IDENTITY);

    alice_ctx(&ctx, "s3:ListBucket", "arn:aws:s3:::d", keys, 4);
    ck_assert_int_eq(eval_identity(p, &ctx, &r), AUTHZ_ALLOW);
    keys[0].value = "bob";
    ck_assert_int_eq(eval_identity(p, &ctx, &r), AUTHZ_IMPLICIT_DENY);
    ck_assert_int_eq(eval_identity(q, &ctx, &r), AUTHZ_IMPLICIT_DENY);
    policy_free(p);
    policy_free(q);
}
END_TEST

/* ------------------------------------------------------------------ grammar */

struct grammar_case {
    enum policy_kind kind;
    const char *bucket;     /* --bucket (bucket kind) or access point ARN (access point kind) */
    const char *text;
    s3_err code;            /* S3_OK: valid */
    const char *message;    /* errors[0].message */
    int line, column;       /* 0: not checked */
};

#define V12 "\"Version\":\"2012-10-17\","
#define ST(body) "{" V12 "\"Statement\":[{" body "}]}"
#define ALLOW_GET "\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\","
#define MPD S3E_IAM_MALFORMED_POLICY
#define MP S3E_MALFORMED_POLICY
#define AP_ARN "arn:aws:s3:ap-southeast-2:111122223333:accesspoint/ap1"

static const struct grammar_case grammar_cases[] = {
    /* identity: IAM messages (doc 1.2) */
    { POLICY_IDENTITY, NULL, "not json", MPD, "Syntax errors in policy.", 1, 1 },
    { POLICY_IDENTITY, NULL, "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [1 2]\n}", MPD,
      "Syntax errors in policy.", 3, 19 },
    { POLICY_IDENTITY, NULL, "{\"Version\":\"2012-10-17\",\"Statement\":{},}", MPD,
      "Syntax errors in policy.", 1, 40 },
    { POLICY_IDENTITY, NULL, "", MPD, "Syntax errors in policy.", 0, 0 },
    { POLICY_IDENTITY, NULL, "[]", MPD, "Syntax errors in policy.", 0, 0 },
    { POLICY_IDENTITY, NULL, "{" V12 "}", MPD, "Syntax errors in policy.", 0, 0 },
    { POLICY_IDENTITY, NULL, "{" V12 "\"Statement\":[]}", MPD, "Syntax errors in policy.", 0, 0 },
    { POLICY_IDENTITY, NULL, "{" V12 "\"Statement\":\"x\"}", MPD, "Syntax errors in policy.", 0, 0 },
    { POLICY_IDENTITY, NULL, "{" V12 "\"Extra\":1,\"Statement\":{" ALLOW_GET "\"Resource\":\"*\"}}",
      MPD, "Syntax errors in policy.", 1, 25 },
    { POLICY_IDENTITY, NULL, "{\"Statement\":{" ALLOW_GET "\"Resource\":\"*\"}}", MPD,
      "Policy document must be version 2012-10-17 or greater.", 0, 0 },
    { POLICY_IDENTITY, NULL, "{\"Version\":\"2008-10-17\",\"Statement\":{" ALLOW_GET "\"Resource\":\"*\"}}",
      MPD, "Policy document must be version 2012-10-17 or greater.", 1, 12 },
    { POLICY_IDENTITY, NULL, "{\"Version\":\"2024-01-01\",\"Statement\":{" ALLOW_GET "\"Resource\":\"*\"}}",
      MPD, "Syntax errors in policy.", 1, 12 },
    { POLICY_IDENTITY, NULL, ST("\"Effect\":\"Permit\",\"Action\":\"s3:*\",\"Resource\":\"*\""), MPD,
      "Syntax errors in policy.", 1, 48 },
    { POLICY_IDENTITY, NULL, ST("\"Action\":\"s3:*\",\"Resource\":\"*\""), MPD,
      "Syntax errors in policy.", 0, 0 },
    { POLICY_IDENTITY, NULL, ST("\"Effect\":\"allow\",\"Action\":\"s3:*\",\"Resource\":\"*\""), MPD,
      "The policy failed legacy parsing", 0, 0 },
    { POLICY_IDENTITY, NULL,
      ST("\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"NotAction\":\"s3:x\",\"Resource\":\"*\""), MPD,
      "Syntax errors in policy.", 0, 0 },
    { POLICY_IDENTITY, NULL, ST("\"Effect\":\"Allow\",\"Resource\":\"*\""), MPD,
      "Policy statement must contain actions.", 0, 0 },
    { POLICY_IDENTITY, NULL, ST("\"Effect\":\"Allow\",\"Action\":[],\"Resource\":\"*\""), MPD,
      "Policy statement must contain actions.", 0, 0 },
    { POLICY_IDENTITY, NULL, ST("\"Effect\":\"Allow\",\"Action\":[1],\"Resource\":\"*\""), MPD,
      "Syntax errors in policy.", 0, 0 },
    { POLICY_IDENTITY, NULL, ST("\"Effect\":\"Allow\",\"Action\":\"GetObject\",\"Resource\":\"*\""),
      MPD, "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.", 1, 65 },
    { POLICY_IDENTITY, NULL, ST("\"Effect\":\"Allow\",\"Action\":\"s3:Get:Object\",\"Resource\":\"*\""),
      MPD, "Actions/Condition can contain only one colon.", 0, 0 },
    { POLICY_IDENTITY, NULL, ST("\"Effect\":\"Allow\",\"Action\":\"s_3:GetObject\",\"Resource\":\"*\""),
      MPD, "Vendor s_3 is not valid", 0, 0 },
    { POLICY_IDENTITY, NULL, ST(ALLOW_GET "\"Sid\":\"a\""), MPD,
      "Policy statement must contain resources.", 0, 0 },
    { POLICY_IDENTITY, NULL, ST(ALLOW_GET "\"Resource\":[]"), MPD,
      "Policy statement must contain resources.", 0, 0 },
    { POLICY_IDENTITY, NULL, ST(ALLOW_GET "\"Resource\":\"bucket\""), MPD,
      "Resource bucket must be in ARN format or \"*\".", 0, 0 },
    { POLICY_IDENTITY, NULL, ST(ALLOW_GET "\"Resource\":\"arn:aws-foo:s3:::b\""), MPD,
      "Partition \"aws-foo\" is not valid for resource \"arn:aws-foo:s3:::b\".", 0, 0 },
    { POLICY_IDENTITY, NULL, ST(ALLOW_GET "\"Resource\":\"arn:aws\""), MPD,
      "Resource vendor must be fully qualified and cannot contain regexes.", 0, 0 },
    { POLICY_IDENTITY, NULL, ST(ALLOW_GET "\"Resource\":\"arn:aws::b\""), MPD,
      "The policy failed legacy parsing", 0, 0 },
    { POLICY_IDENTITY, NULL, ST(ALLOW_GET "\"Resource\":\"*\",\"Principal\":\"*\""), MPD,
      "Policy document should not specify a principal.", 0, 0 },
    { POLICY_IDENTITY, NULL,
      "{" V12 "\"Statement\":[{\"Sid\":\"A\"," ALLOW_GET "\"Resource\":\"*\"},{\"Sid\":\"A\","
      ALLOW_GET "\"Resource\":\"*\"}]}", MPD,
      "Statement IDs (SID) in a single policy must be unique.", 0, 0 },
    { POLICY_IDENTITY, NULL, ST("\"Sid\":\"has space\"," ALLOW_GET "\"Resource\":\"*\""), MPD,
      "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular "
      "expression [0-9A-Za-z]*", 0, 0 },
    { POLICY_IDENTITY, NULL, ST(ALLOW_GET "\"Resource\":\"*\",\"Condition\":{\"StringEqualz\":{\"a:b\":\"c\"}}"),
      MPD, "Syntax errors in policy.", 1, 108 },
    { POLICY_IDENTITY, NULL, ST(ALLOW_GET "\"Resource\":\"*\",\"Condition\":{\"NullIfExists\":{\"a:b\":\"true\"}}"),
      MPD, "Syntax errors in policy.", 0, 0 },
    { POLICY_IDENTITY, NULL, ST(ALLOW_GET "\"Resource\":\"*\",\"Condition\":{\"StringEquals\":{\"a:b\":null}}"),
      MPD, "Syntax errors in policy.", 0, 0 },
    { POLICY_IDENTITY, NULL, ST(ALLOW_GET "\"Resource\":\"*\",\"Condition\":{\"StringEquals\":\"x\"}"),
      MPD, "Syntax errors in policy.", 0, 0 },
    { POLICY_IDENTITY, NULL, ST(ALLOW_GET "\"Resource\":\"*\",\"Condition\":{\"DateLessThan\":{\"aws:CurrentTime\":\"tomorrow\"}}"),
      MPD, "The policy failed legacy parsing", 0, 0 },
    { POLICY_IDENTITY, NULL, ST(ALLOW_GET "\"Resources\":\"*\""), MPD, "Syntax errors in policy.", 0, 0 },
    { POLICY_IDENTITY, NULL, ST("\"Effect\":\"Allow\",\"Action\":\"s3:CopyObject\",\"Resource\":\"*\""),
      S3_OK, NULL, 0, 0 },
    { POLICY_IDENTITY, NULL,
      ST(ALLOW_GET "\"Resource\":\"*\",\"Condition\":{\"ForAllValues:StringNotLikeIfExists\":{\"a:b\":[\"x\",1,true]}}"),
      S3_OK, NULL, 0, 0 },
    { POLICY_IDENTITY, NULL, "{" V12 "\"Statement\":{" ALLOW_GET "\"Resource\":\"*\",\"Condition\":{\"Bool\":{\"a:b\":\"\xe2\x82\xac\"}}}}",
      S3E_IAM_VALIDATION,
      "1 validation error detected: Value at 'policyDocument' failed to satisfy constraint: Member "
      "must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+", 1, 122 },
    { POLICY_IDENTITY, NULL, "{" V12 "\"Statement\":{\"Sid\":\"caf\xc3\xa9x\"," ALLOW_GET "\"Resource\":\"*\"}}",
      MPD, "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular "
      "expression [0-9A-Za-z]*", 0, 0 },
    /* trust */
    { POLICY_TRUST, NULL,
      ST("\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"ec2.amazonaws.com\"},\"Action\":\"sts:AssumeRole\""),
      S3_OK, NULL, 0, 0 },
    { POLICY_TRUST, NULL,
      ST("\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"ec2.amazonaws.com\"},\"Action\":\"sts:AssumeRole\",\"Resource\":\"*\""),
      MPD, "Has prohibited field Resource.", 0, 0 },
    { POLICY_TRUST, NULL,
      ST("\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"111122223333\"},\"Action\":\"s3:GetObject\""),
      MPD, "Trust Policy statement actions can only be sts:AssumeRole, sts:AssumeRoleWithSAML,  "
      "and sts:AssumeRoleWithWebIdentity", 0, 0 },
    { POLICY_TRUST, NULL, ST("\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\""), MPD,
      "Missing required field Principal", 0, 0 },
    { POLICY_TRUST, NULL,
      ST("\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::*:root\"},\"Action\":\"sts:AssumeRole\""),
      MPD, "Invalid principal in policy: \"AWS\":\"arn:aws:iam::*:root\"", 0, 0 },
    /* bucket: S3 messages (doc 1.3) */
    { POLICY_RESOURCE_BUCKET, "demo", "{ nope", MP, "This policy contains invalid Json", 1, 3 },
    { POLICY_RESOURCE_BUCKET, "demo", ST(ALLOW_GET "\"Resource\":\"arn:aws:s3:::demo/*\""), MP,
      "Missing required field Principal", 0, 0 },
    { POLICY_RESOURCE_BUCKET, "demo",
      ST(ALLOW_GET "\"Principal\":\"*\",\"Resource\":\"arn:aws:s3:::demo/*\""), S3_OK, NULL, 0, 0 },
    { POLICY_RESOURCE_BUCKET, "demo",
      ST(ALLOW_GET "\"Principal\":\"*\",\"Resource\":\"arn:aws:s3:::other/*\""), MP,
      "Policy has invalid resource", 1, 107 },
    { POLICY_RESOURCE_BUCKET, "demo",
      ST(ALLOW_GET "\"Principal\":\"*\",\"Resource\":\"arn:aws:s3:::demo*\""), MP,
      "Policy has invalid resource", 0, 0 },
    { POLICY_RESOURCE_BUCKET, "demo", ST(ALLOW_GET "\"Principal\":\"*\",\"Resource\":\"*\""), MP,
      "Policy has invalid resource", 0, 0 },
    { POLICY_RESOURCE_BUCKET, "demo",
      ST("\"Effect\":\"Allow\",\"Action\":\"s3:CopyObject\",\"Principal\":\"*\",\"Resource\":\"arn:aws:s3:::demo/*\""),
      MP, "Policy has invalid action", 0, 0 },
    { POLICY_RESOURCE_BUCKET, "demo",
      ST("\"Effect\":\"Allow\",\"Action\":\"ec2:RunInstances\",\"Principal\":\"*\",\"Resource\":\"arn:aws:s3:::demo/*\""),
      MP, "Policy has invalid action", 0, 0 },
    { POLICY_RESOURCE_BUCKET, "demo",
      ST(ALLOW_GET "\"Principal\":\"*\",\"Resource\":\"arn:aws:s3:::demo\""), MP,
      "Action does not apply to any resource(s) in statement", 0, 0 },
    { POLICY_RESOURCE_BUCKET, "demo",
      ST("\"Effect\":\"Allow\",\"Action\":[\"s3:GetObject\",\"s3:ListBucket\"],\"Principal\":\"*\",\"Resource\":\"arn:aws:s3:::demo/*\""),
      MP, "Action does not apply to any resource(s) in statement", 0, 0 },
    { POLICY_RESOURCE_BUCKET, "demo",
      ST("\"Effect\":\"Allow\",\"Action\":[\"s3:GetObject\",\"s3:ListBucket\"],\"Principal\":\"*\",\"Resource\":[\"arn:aws:s3:::demo\",\"arn:aws:s3:::demo/*\"]"),
      S3_OK, NULL, 0, 0 },
    { POLICY_RESOURCE_BUCKET, "demo",
      ST("\"Effect\":\"Allow\",\"Action\":\"s3:Get*\",\"Principal\":\"*\",\"Resource\":\"arn:aws:s3:::demo\""),
      S3_OK, NULL, 0, 0 },
    { POLICY_RESOURCE_BUCKET, "demo",
      ST(ALLOW_GET "\"Principal\":{\"AWS\":\"user/alice\"},\"Resource\":\"arn:aws:s3:::demo/*\""), MP,
      "Invalid principal in policy", 0, 0 },
    { POLICY_RESOURCE_BUCKET, "demo",
      ST(ALLOW_GET "\"Principal\":{\"AWS\":\"arn:aws:iam::111122223333:user/*\"},\"Resource\":\"arn:aws:s3:::demo/*\""),
      MP, "Invalid principal in policy", 0, 0 },
    { POLICY_RESOURCE_BUCKET, "demo",
      ST(ALLOW_GET "\"Principal\":{\"Users\":\"x\"},\"Resource\":\"arn:aws:s3:::demo/*\""), MP,
      "Invalid principal in policy", 0, 0 },
    { POLICY_RESOURCE_BUCKET, "demo",
      ST(ALLOW_GET "\"Principal\":\"*\",\"Resource\":\"arn:aws:s3:::demo/*\",\"Condition\":{\"StringEqualz\":{\"a:b\":\"c\"}}"),
      MP, "Invalid Condition type : StringEqualz", 0, 0 },
    { POLICY_RESOURCE_BUCKET, "demo",
      ST("\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":[\"arn:aws:s3:::demo\",\"arn:aws:s3:::demo/*\"],\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"false\"}}"),
      S3_OK, NULL, 0, 0 },
    { POLICY_RESOURCE_BUCKET, NULL,
      ST(ALLOW_GET "\"Principal\":{\"AWS\":[\"111122223333\",\"arn:aws:iam::444455556666:role/r\"]},\"Resource\":\"arn:aws:s3:::any/*\""),
      S3_OK, NULL, 0, 0 },
    /* access point */
    { POLICY_ACCESS_POINT, AP_ARN,
      ST(ALLOW_GET "\"Principal\":{\"AWS\":\"" ALICE "\"},\"Resource\":\"" AP_ARN "/object/*\""),
      S3_OK, NULL, 0, 0 },
    { POLICY_ACCESS_POINT, AP_ARN,
      ST(ALLOW_GET "\"Principal\":{\"AWS\":\"" ALICE "\"},\"Resource\":\"arn:aws:s3:::demo/*\""), MP,
      "Policy has invalid resource", 0, 0 },
    { POLICY_ACCESS_POINT, AP_ARN,
      ST(ALLOW_GET "\"Principal\":{\"AWS\":\"" ALICE "\"},\"Resource\":\"" AP_ARN "2/object/*\""), MP,
      "Policy has invalid resource", 0, 0 },
    { POLICY_ACCESS_POINT, AP_ARN,
      ST("\"Effect\":\"Allow\",\"Action\":\"s3:ListBucket\",\"Principal\":{\"AWS\":\"" ALICE "\"},\"Resource\":\"" AP_ARN "/object/*\""),
      MP, "Action does not apply to any resource(s) in statement", 0, 0 },
};

START_TEST(grammar_table)
{
    const struct grammar_case *c = &grammar_cases[_i];
    struct policy_validate_opts o = { 0 };
    struct policy_diag d;
    struct policy *p = NULL;
    s3_err e;

    if (c->kind == POLICY_RESOURCE_BUCKET)
        o.bucket = c->bucket;
    else if (c->kind == POLICY_ACCESS_POINT)
        o.access_point_arn = c->bucket;
    e = policy_compile(c->text, strlen(c->text), c->kind, &o, "g", &p, &d);
    ck_assert_msg(e == c->code, "case %d: got %s (%s / %s) want %s: %s", _i, err_name(e),
                  d.errors[0].message, d.errors[0].detail, err_name(c->code), c->text);
    if (c->code == S3_OK) {
        ck_assert_ptr_nonnull(p);
        ck_assert_uint_eq(d.n_errors, 0);
    } else {
        ck_assert_ptr_null(p);
        ck_assert_uint_ge(d.n_errors, 1);
        ck_assert_int_eq(d.errors[0].code, c->code);
        ck_assert_msg(strcmp(d.errors[0].message, c->message) == 0, "case %d: message \"%s\"", _i,
                      d.errors[0].message);
        if (c->line)
            ck_assert_msg(d.errors[0].line == c->line && d.errors[0].column == c->column,
                          "case %d: at %d:%d, want %d:%d (%s)", _i, d.errors[0].line,
                          d.errors[0].column, c->line, c->column, d.errors[0].detail);
        ck_assert_msg(d.errors[0].detail[0] != 0, "case %d: no detail for people", _i);
    }
    policy_free(p);
}
END_TEST

static int no_such_principal(void *ud, const char *principal)
{
    (void)ud;
    return strstr(principal, "ghost") == NULL;
}

START_TEST(grammar_principal_exists)
{
    const char *t = ST(ALLOW_GET "\"Principal\":{\"AWS\":\"arn:aws:iam::111122223333:user/ghost\"},"
                                 "\"Resource\":\"arn:aws:s3:::demo/*\"");
    struct policy_validate_opts o = { .bucket = "demo", .principal_exists = no_such_principal };
    struct policy_diag d;
    struct policy *p = NULL;

    ck_assert_int_eq(policy_compile(t, strlen(t), POLICY_RESOURCE_BUCKET, &o, NULL, &p, &d), MP);
    ck_assert_str_eq(d.errors[0].message, "Invalid principal in policy");
    /* the catalogue checks can be switched off for documents that are only evaluated */
    o.flags = POLICY_F_NO_S3_CHECKS;
    ck_assert_int_eq(policy_compile(t, strlen(t), POLICY_RESOURCE_BUCKET, &o, NULL, &p, &d), S3_OK);
    policy_free(p);
}
END_TEST

START_TEST(grammar_sizes)
{
    struct { enum policy_kind kind; const char *head, *tail; size_t limit; s3_err code; const char *msg; } t[] = {
        { POLICY_IDENTITY, "\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":", "}}", 6144,
          S3E_IAM_LIMIT_EXCEEDED, "Cannot exceed quota for PolicySize: 6144" },
        { POLICY_TRUST, "\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"111122223333\"},\"Action\":\"sts:AssumeRole\",\"Condition\":{\"StringEquals\":{\"a:b\":", "}}}}", 2048,
          S3E_IAM_LIMIT_EXCEEDED, "Cannot exceed quota for ACLSizePerRole: 2048" },
        { POLICY_RESOURCE_BUCKET, "\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":", "}}", 20480,
          S3E_MALFORMED_POLICY, "Policies must be less than 20 KB" },
    };
    for (size_t i = 0; i < ARRAY_LEN(t); i++) {
        for (int over = 0; over <= 1; over++) {
            struct s3_buf b;
            struct policy_diag d;
            struct policy *p = NULL;
            size_t fixed;
            s3_err e;
            buf_init(&b, 0);
            buf_addf(&b, "{ " V12 "\n  \"Statement\":\t{%s\"arn:aws:s3:::b/", t[i].head);
            /* whitespace outside strings is not counted; the key characters are */
            fixed = policy_size_chars(b.p, b.len) + 1 + strlen(t[i].tail);
            for (size_t k = fixed; k < t[i].limit + (size_t)over; k++)
                buf_addc(&b, 'k');
            buf_addf(&b, "\"  \n\t  %s\n", t[i].tail);
            ck_assert_uint_eq(policy_size_chars(b.p, b.len), t[i].limit + (size_t)over);
            e = policy_compile(b.p, b.len, t[i].kind, NULL, NULL, &p, &d);
            if (!over) {
                ck_assert_msg(e == S3_OK, "kind %d at the limit: %s %s", t[i].kind,
                              d.errors[0].message, d.errors[0].detail);
            } else {
                ck_assert_int_eq(e, t[i].code);
                ck_assert_str_eq(d.errors[0].message, t[i].msg);
            }
            policy_free(p);
            buf_release(&b);
        }
    }
}
END_TEST

START_TEST(grammar_warnings_and_positions)
{
    const char *t =
        "{\n"
        "  \"Version\": \"2012-10-17\",\n"
        "  \"Statement\": [\n"
        "    {\"Sid\": \"One\", \"Effect\": \"Allow\", \"Action\": \"s3:GetObject\",\n"
        "     \"Resource\": \"*\",\n"
        "     \"Condition\": {\"StringEquals\": {\"a:b\": \"1\"}, \"StringEquals\": {\"a:c\": \"2\"}}},\n"
        "    {\"Effect\": \"Deny\", \"Action\": \"s3:CopyObject\", \"Resource\": \"*\"}\n"
        "  ]\n"
        "}\n";
    struct policy_diag d;
    struct policy *p = NULL;
    struct policy_stmt_info si;
    int dup = 0, copy = 0;

    ck_assert_int_eq(policy_compile(t, strlen(t), POLICY_IDENTITY, NULL, "pos", &p, &d), S3_OK);
    for (size_t i = 0; i < d.n_warnings; i++) {
        if (strstr(d.warnings[i].message, "duplicate key \"StringEquals\"")) {
            dup = 1;
            ck_assert_int_eq(d.warnings[i].line, 6);
            ck_assert_int_eq(d.warnings[i].column, 50);
        }
        if (strstr(d.warnings[i].message, "\"s3:CopyObject\" is not an S3 action")) {
            copy = 1;
            ck_assert_int_eq(d.warnings[i].line, 7);
        }
    }
    ck_assert(dup && copy);
    ck_assert_uint_eq(policy_statement_count(p), 2);
    ck_assert(policy_statement_info(p, 0, &si));
    ck_assert_str_eq(si.sid, "One");
    ck_assert_int_eq(si.allow, 1);
    ck_assert_int_eq(si.line, 4);
    ck_assert_int_eq(si.column, 5);
    ck_assert_int_eq(si.end_line, 6);
    ck_assert(policy_statement_info(p, 1, &si));
    ck_assert_ptr_null(si.sid);
    ck_assert_int_eq(si.allow, 0);
    ck_assert_int_eq(si.line, 7);
    ck_assert(!policy_statement_info(p, 2, &si));
    ck_assert_str_eq(policy_source(p), "pos");
    ck_assert(policy_version_2012(p));
    ck_assert_int_eq(policy_get_kind(p), POLICY_IDENTITY);
    policy_free(p);
    policy_free(NULL);
}
END_TEST

/* ------------------------------------------------------------------ the seeds */

struct seed_case {
    const char *file;
    enum policy_kind kind;
    s3_err code;
    int line, column;
};

static const struct seed_case seed_cases[] = {
    { "admin_access.json", POLICY_IDENTITY, S3_OK, 0, 0 },
    { "engineer_access_1.json", POLICY_IDENTITY, S3E_IAM_MALFORMED_POLICY, 87, 21 },
    { "landing_zone_access_point_policy.json", POLICY_ACCESS_POINT, S3_OK, 0, 0 },
    { "engineer_access_2.json", POLICY_IDENTITY, S3E_IAM_MALFORMED_POLICY, 79, 21 },
    { "analyst_access.json", POLICY_IDENTITY, S3_OK, 0, 0 },
};

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    ck_assert_msg(f != NULL, "cannot open %s", path);
    buf = malloc(1 << 20);
    *len = fread(buf, 1, (1 << 20) - 1, f);
    buf[*len] = 0;
    fclose(f);
    return buf;
}

START_TEST(seed_table)
{
    const struct seed_case *c = &seed_cases[_i];
    char path[1024];
    struct policy_diag d;
    struct policy *p = NULL;
    size_t len;
    char *text;
    s3_err e;

    snprintf(path, sizeof path, "%s/t/data/seeds/%s", S3IAM_SRCDIR, c->file);
    text = slurp(path, &len);
    e = policy_compile(text, len, c->kind, NULL, c->file, &p, &d);
    ck_assert_msg(e == c->code, "%s: %s %s", c->file, d.errors[0].message, d.errors[0].detail);
    if (c->code != S3_OK) {
        ck_assert_str_eq(d.errors[0].message, "Syntax errors in policy.");
        ck_assert_int_eq(d.errors[0].line, c->line);
        ck_assert_int_eq(d.errors[0].column, c->column);
        ck_assert_ptr_nonnull(strstr(d.errors[0].detail, "','"));
    }
    policy_free(p);
    free(text);
}
END_TEST

/* ------------------------------------------------------------------ evaluation scenarios */

struct scen {
    const char *name;
    const char *identity, *session, *resource, *ap;
    enum policy_kind rkind;       /* kind of `resource` (bucket, or trust) */
    enum authz_principal_kind kind;
    const char *principal, *account, *role_arn, *service;
    const char *action, *res, *res_account;
    const char *ap_arn, *bucket_res;
    unsigned bpa;
    enum authz_decision expect;
    enum authz_reason reason;
};

#define P(st) "{" V12 "\"Statement\":[" st "]}"
#define ROLE "arn:aws:iam::111122223333:role/r"
#define SESS "arn:aws:sts::111122223333:assumed-role/r/s1"
#define BOB_B "arn:aws:iam::444455556666:user/bob"
#define AP1 "arn:aws:s3:ap-southeast-2:111122223333:accesspoint/ap1"
#define OBJ "arn:aws:s3:::demo/x"
#define B_ALLOW_ALL "{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"}"
#define B_ALLOW_GET "{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"*\"}"

static const struct scen scens[] = {
    { "session policy narrows the role", P(B_ALLOW_ALL), P(B_ALLOW_GET), NULL, NULL,
      POLICY_RESOURCE_BUCKET, AUTHZ_ROLE_SESSION, SESS, ACCT_A, ROLE, NULL, "s3:PutObject", OBJ,
      ACCT_A, NULL, NULL, 0, AUTHZ_IMPLICIT_DENY, AUTHZ_R_NO_SESSION_ALLOW },
    { "session policy and role both allow", P(B_ALLOW_ALL), P(B_ALLOW_GET), NULL, NULL,
      POLICY_RESOURCE_BUCKET, AUTHZ_ROLE_SESSION, SESS, ACCT_A, ROLE, NULL, "s3:GetObject", OBJ,
      ACCT_A, NULL, NULL, 0, AUTHZ_ALLOW, AUTHZ_R_ALLOWED },
    { "deny in the session policy",
      P(B_ALLOW_ALL), P(B_ALLOW_ALL ",{\"Effect\":\"Deny\",\"Action\":\"s3:GetObject\",\"Resource\":\"*\"}"),
      NULL, NULL, POLICY_RESOURCE_BUCKET, AUTHZ_ROLE_SESSION, SESS, ACCT_A, ROLE, NULL,
      "s3:GetObject", OBJ, ACCT_A, NULL, NULL, 0, AUTHZ_EXPLICIT_DENY, AUTHZ_R_DENY_SESSION },
    { "bucket grant to the role ARN is narrowed by the session policy", NULL, P(B_ALLOW_GET),
      P("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"" ROLE "\"},\"Action\":\"s3:PutObject\",\"Resource\":\"" OBJ "\"}"),
      NULL, POLICY_RESOURCE_BUCKET, AUTHZ_ROLE_SESSION, SESS, ACCT_A, ROLE, NULL, "s3:PutObject",
      OBJ, ACCT_A, NULL, NULL, 0, AUTHZ_IMPLICIT_DENY, AUTHZ_R_NO_IDENTITY_ALLOW },
    { "bucket grant to the session ARN is not", NULL, P(B_ALLOW_GET),
      P("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"" SESS "\"},\"Action\":\"s3:PutObject\",\"Resource\":\"" OBJ "\"}"),
      NULL, POLICY_RESOURCE_BUCKET, AUTHZ_ROLE_SESSION, SESS, ACCT_A, ROLE, NULL, "s3:PutObject",
      OBJ, ACCT_A, NULL, NULL, 0, AUTHZ_ALLOW, AUTHZ_R_ALLOWED },
    { "role grant found without role_arn (derived from the session ARN)", NULL, NULL,
      P("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::111122223333:role/path/r\"},\"Action\":\"s3:GetObject\",\"Resource\":\"" OBJ "\"}"),
      NULL, POLICY_RESOURCE_BUCKET, AUTHZ_ROLE_SESSION, SESS, ACCT_A, NULL, NULL, "s3:GetObject",
      OBJ, ACCT_A, NULL, NULL, 0, AUTHZ_ALLOW, AUTHZ_R_ALLOWED },
    { "service principal granted", NULL, NULL,
      P("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"cloudtrail.amazonaws.com\"},\"Action\":\"s3:PutObject\",\"Resource\":\"" OBJ "\"}"),
      NULL, POLICY_RESOURCE_BUCKET, AUTHZ_SERVICE, NULL, NULL, NULL, "cloudtrail.amazonaws.com",
      "s3:PutObject", OBJ, ACCT_A, NULL, NULL, 0, AUTHZ_ALLOW, AUTHZ_R_ALLOWED },
    { "another service is not", NULL, NULL,
      P("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"cloudtrail.amazonaws.com\"},\"Action\":\"s3:PutObject\",\"Resource\":\"" OBJ "\"}"),
      NULL, POLICY_RESOURCE_BUCKET, AUTHZ_SERVICE, NULL, NULL, NULL, "logging.s3.amazonaws.com",
      "s3:PutObject", OBJ, ACCT_A, NULL, NULL, 0, AUTHZ_IMPLICIT_DENY, AUTHZ_R_NO_RESOURCE_ALLOW },
    { "Deny with NotPrincipal covers anonymous callers", NULL, NULL,
      P("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":\"" OBJ "\"},"
        "{\"Effect\":\"Deny\",\"NotPrincipal\":{\"AWS\":\"" ALICE "\"},\"Action\":\"s3:*\",\"Resource\":\"" OBJ "\"}"),
      NULL, POLICY_RESOURCE_BUCKET, AUTHZ_ANONYMOUS, NULL, NULL, NULL, NULL, "s3:GetObject", OBJ,
      ACCT_A, NULL, NULL, 0, AUTHZ_EXPLICIT_DENY, AUTHZ_R_DENY_RESOURCE },
    { "... and exempts the listed user", NULL, NULL,
      P("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":\"" OBJ "\"},"
        "{\"Effect\":\"Deny\",\"NotPrincipal\":{\"AWS\":\"" ALICE "\"},\"Action\":\"s3:*\",\"Resource\":\"" OBJ "\"}"),
      NULL, POLICY_RESOURCE_BUCKET, AUTHZ_USER, ALICE, ACCT_A, NULL, NULL, "s3:GetObject", OBJ,
      ACCT_A, NULL, NULL, 0, AUTHZ_ALLOW, AUTHZ_R_ALLOWED },
    { "NotPrincipal account entry does not exempt the account's users", NULL, NULL,
      P("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":\"" OBJ "\"},"
        "{\"Effect\":\"Deny\",\"NotPrincipal\":{\"AWS\":\"111122223333\"},\"Action\":\"s3:*\",\"Resource\":\"" OBJ "\"}"),
      NULL, POLICY_RESOURCE_BUCKET, AUTHZ_USER, ALICE, ACCT_A, NULL, NULL, "s3:GetObject", OBJ,
      ACCT_A, NULL, NULL, 0, AUTHZ_EXPLICIT_DENY, AUTHZ_R_DENY_RESOURCE },
    { "cross-account root needs only the bucket grant", NULL, NULL,
      P("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"" ACCT_B "\"},\"Action\":\"s3:GetObject\",\"Resource\":\"" OBJ "\"}"),
      NULL, POLICY_RESOURCE_BUCKET, AUTHZ_ROOT, "arn:aws:iam::444455556666:root", ACCT_B, NULL,
      NULL, "s3:GetObject", OBJ, ACCT_A, NULL, NULL, 0, AUTHZ_ALLOW, AUTHZ_R_ALLOWED },
    { "bucket Deny naming an account covers its users", P(B_ALLOW_ALL), NULL,
      P("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":\"" OBJ "\"},"
        "{\"Effect\":\"Deny\",\"Principal\":{\"AWS\":\"" ACCT_B "\"},\"Action\":\"s3:GetObject\",\"Resource\":\"" OBJ "\"}"),
      NULL, POLICY_RESOURCE_BUCKET, AUTHZ_USER, BOB_B, ACCT_B, NULL, NULL, "s3:GetObject", OBJ,
      ACCT_A, NULL, NULL, 0, AUTHZ_EXPLICIT_DENY, AUTHZ_R_DENY_RESOURCE },
    { "cross-account: identity allows, bucket silent", P(B_ALLOW_ALL), NULL, NULL, NULL,
      POLICY_RESOURCE_BUCKET, AUTHZ_USER, BOB_B, ACCT_B, NULL, NULL, "s3:GetObject", OBJ, ACCT_A,
      NULL, NULL, 0, AUTHZ_IMPLICIT_DENY, AUTHZ_R_NO_RESOURCE_ALLOW },
    { "cross-account: public grant blocked by RestrictPublicBuckets", P(B_ALLOW_ALL), NULL,
      P("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":\"" OBJ "\"}"),
      NULL, POLICY_RESOURCE_BUCKET, AUTHZ_USER, BOB_B, ACCT_B, NULL, NULL, "s3:GetObject", OBJ,
      ACCT_A, NULL, NULL, AUTHZ_BPA_RESTRICT_PUBLIC_BUCKETS, AUTHZ_IMPLICIT_DENY,
      AUTHZ_R_PUBLIC_BLOCKED },
    { "RestrictPublicBuckets keeps owner-account grants", NULL, NULL,
      P("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":\"" OBJ "\"}"),
      NULL, POLICY_RESOURCE_BUCKET, AUTHZ_USER, ALICE, ACCT_A, NULL, NULL, "s3:GetObject", OBJ,
      ACCT_A, NULL, NULL, AUTHZ_BPA_RESTRICT_PUBLIC_BUCKETS, AUTHZ_ALLOW, AUTHZ_R_ALLOWED },
    { "RestrictPublicBuckets keeps AWS service grants", NULL, NULL,
      P("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:PutObject\",\"Resource\":\"" OBJ "\"}"),
      NULL, POLICY_RESOURCE_BUCKET, AUTHZ_SERVICE, NULL, NULL, NULL, "cloudtrail.amazonaws.com",
      "s3:PutObject", OBJ, ACCT_A, NULL, NULL, AUTHZ_BPA_RESTRICT_PUBLIC_BUCKETS, AUTHZ_ALLOW,
      AUTHZ_R_ALLOWED },
    { "owner root: PutBucketPolicy despite a deny (lockout exception)", NULL, NULL,
      P("{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":[\"arn:aws:s3:::demo\",\"" OBJ "\"]}"),
      NULL, POLICY_RESOURCE_BUCKET, AUTHZ_ROOT, "arn:aws:iam::111122223333:root", ACCT_A, NULL, NULL,
      "s3:PutBucketPolicy", "arn:aws:s3:::demo", ACCT_A, NULL, NULL, 0, AUTHZ_ALLOW,
      AUTHZ_R_ROOT_LOCKOUT },
    { "owner root: other actions obey the deny", NULL, NULL,
      P("{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":[\"arn:aws:s3:::demo\",\"" OBJ "\"]}"),
      NULL, POLICY_RESOURCE_BUCKET, AUTHZ_ROOT, "arn:aws:iam::111122223333:root", ACCT_A, NULL, NULL,
      "s3:PutBucketTagging", "arn:aws:s3:::demo", ACCT_A, NULL, NULL, 0, AUTHZ_EXPLICIT_DENY,
      AUTHZ_R_DENY_RESOURCE },
    { "owner root without policies", NULL, NULL, NULL, NULL, POLICY_RESOURCE_BUCKET, AUTHZ_ROOT,
      "arn:aws:iam::111122223333:root", ACCT_A, NULL, NULL, "s3:GetObject", OBJ, ACCT_A, NULL, NULL,
      0, AUTHZ_ALLOW, AUTHZ_R_ROOT },
    { "lockout exception is only for the owner's root",
      P(B_ALLOW_ALL), NULL,
      P("{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":\"arn:aws:s3:::demo\"}"),
      NULL, POLICY_RESOURCE_BUCKET, AUTHZ_USER, ALICE, ACCT_A, NULL, NULL, "s3:DeleteBucketPolicy",
      "arn:aws:s3:::demo", ACCT_A, NULL, NULL, 0, AUTHZ_EXPLICIT_DENY, AUTHZ_R_DENY_RESOURCE },
    { "identity deny beats a bucket allow",
      P("{\"Effect\":\"Deny\",\"Action\":\"s3:GetObject\",\"Resource\":\"*\"}"), NULL,
      P("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"" ALICE "\"},\"Action\":\"s3:GetObject\",\"Resource\":\"" OBJ "\"}"),
      NULL, POLICY_RESOURCE_BUCKET, AUTHZ_USER, ALICE, ACCT_A, NULL, NULL, "s3:GetObject", OBJ,
      ACCT_A, NULL, NULL, 0, AUTHZ_EXPLICIT_DENY, AUTHZ_R_DENY_IDENTITY },
    { "federated user with an identity allow", P(B_ALLOW_GET), NULL, NULL, NULL,
      POLICY_RESOURCE_BUCKET, AUTHZ_FEDERATED, "arn:aws:sts::111122223333:federated-user/f", ACCT_A,
      NULL, NULL, "s3:GetObject", OBJ, ACCT_A, NULL, NULL, 0, AUTHZ_ALLOW, AUTHZ_R_ALLOWED },
    { "ListAllMyBuckets granted on arn:aws:s3:::*",
      P("{\"Effect\":\"Allow\",\"Action\":\"s3:ListAllMyBuckets\",\"Resource\":\"arn:aws:s3:::*\"}"),
      NULL, NULL, NULL, POLICY_RESOURCE_BUCKET, AUTHZ_USER, ALICE, ACCT_A, NULL, NULL,
      "s3:ListAllMyBuckets", "*", ACCT_A, NULL, NULL, 0, AUTHZ_ALLOW, AUTHZ_R_ALLOWED },
    { "ListAllMyBuckets not granted by one bucket's ARN",
      P("{\"Effect\":\"Allow\",\"Action\":\"s3:ListAllMyBuckets\",\"Resource\":\"arn:aws:s3:::demo\"}"),
      NULL, NULL, NULL, POLICY_RESOURCE_BUCKET, AUTHZ_USER, ALICE, ACCT_A, NULL, NULL,
      "s3:ListAllMyBuckets", "*", ACCT_A, NULL, NULL, 0, AUTHZ_IMPLICIT_DENY,
      AUTHZ_R_NO_IDENTITY_ALLOW },
    { "trust policy as the role's resource policy", NULL, NULL,
      P("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"" ALICE "\"},\"Action\":\"sts:AssumeRole\"}"),
      NULL, POLICY_TRUST, AUTHZ_USER, ALICE, ACCT_A, NULL, NULL, "sts:AssumeRole", ROLE, ACCT_A,
      NULL, NULL, 0, AUTHZ_ALLOW, AUTHZ_R_ALLOWED },
    { "trust policy naming someone else", NULL, NULL,
      P("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"ec2.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}"),
      NULL, POLICY_TRUST, AUTHZ_USER, ALICE, ACCT_A, NULL, NULL, "sts:AssumeRole", ROLE, ACCT_A,
      NULL, NULL, 0, AUTHZ_IMPLICIT_DENY, AUTHZ_R_NO_IDENTITY_ALLOW },
    { "owner root through an access point", NULL, NULL, NULL, NULL, POLICY_RESOURCE_BUCKET,
      AUTHZ_ROOT, "arn:aws:iam::111122223333:root", ACCT_A, NULL, NULL, "s3:GetObject",
      AP1 "/object/x", ACCT_A, AP1, OBJ, 0, AUTHZ_ALLOW, AUTHZ_R_ROOT },
    { "access point deny wins over everything",
      P(B_ALLOW_ALL), NULL, NULL,
      P("{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":\"" AP1 "/object/*\"}"),
      POLICY_RESOURCE_BUCKET, AUTHZ_USER, ALICE, ACCT_A, NULL, NULL, "s3:GetObject",
      AP1 "/object/x", ACCT_A, AP1, OBJ, 0, AUTHZ_EXPLICIT_DENY, AUTHZ_R_DENY_RESOURCE },
    { "account grant in the bucket policy counts on the bucket side of an AP request",
      P("{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"" AP1 "/object/*\"}"), NULL,
      P("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::111122223333:root\"},\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::demo/*\",\"Condition\":{\"StringEquals\":{\"s3:DataAccessPointAccount\":\"111122223333\"}}}"),
      NULL, POLICY_RESOURCE_BUCKET, AUTHZ_USER, ALICE, ACCT_A, NULL, NULL, "s3:GetObject",
      AP1 "/object/x", ACCT_A, AP1, OBJ, 0, AUTHZ_ALLOW, AUTHZ_R_ALLOWED },
    { "... but not on a direct request to the bucket",
      P("{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"" AP1 "/object/*\"}"), NULL,
      P("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::111122223333:root\"},\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::demo/*\"}"),
      NULL, POLICY_RESOURCE_BUCKET, AUTHZ_USER, ALICE, ACCT_A, NULL, NULL, "s3:GetObject", OBJ,
      ACCT_A, NULL, NULL, 0, AUTHZ_IMPLICIT_DENY, AUTHZ_R_NO_IDENTITY_ALLOW },
    { "cross-account caller through an access point: the bucket must delegate",
      P("{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"" AP1 "/object/*\"}"), NULL,
      NULL,
      P("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"" BOB_B "\"},\"Action\":\"s3:GetObject\",\"Resource\":\"" AP1 "/object/*\"}"),
      POLICY_RESOURCE_BUCKET, AUTHZ_USER, BOB_B, ACCT_B, NULL, NULL, "s3:GetObject",
      AP1 "/object/x", ACCT_A, AP1, OBJ, 0, AUTHZ_IMPLICIT_DENY, AUTHZ_R_NO_RESOURCE_ALLOW },
    { "... and with delegation it is allowed",
      P("{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"" AP1 "/object/*\"}"), NULL,
      P("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"*\"},\"Action\":\"*\",\"Resource\":\"arn:aws:s3:::demo/*\",\"Condition\":{\"StringEquals\":{\"s3:DataAccessPointAccount\":\"111122223333\"}}}"),
      P("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"" BOB_B "\"},\"Action\":\"s3:GetObject\",\"Resource\":\"" AP1 "/object/*\"}"),
      POLICY_RESOURCE_BUCKET, AUTHZ_USER, BOB_B, ACCT_B, NULL, NULL, "s3:GetObject",
      AP1 "/object/x", ACCT_A, AP1, OBJ, 0, AUTHZ_ALLOW, AUTHZ_R_ALLOWED },
};

START_TEST(scen_table)
{
    const struct scen *s = &scens[_i];
    struct policy *id = NULL, *sess = NULL, *rp = NULL, *ap = NULL;
    const struct policy *ids[1], *rps[1], *aps[1];
    struct authz_policies pols = { 0 };
    struct authz_ctx ctx = { 0 };
    struct authz_result r;
    struct authz_key keys[] = {
        { .name = "s3:DataAccessPointAccount", .value = ACCT_A },
        { .name = "s3:DataAccessPointArn", .value = AP1 },
    };

    if (s->identity) {
        ids[0] = id = compile_ok(s->identity, POLICY_IDENTITY);
        pols.identity = ids;
        pols.n_identity = 1;
    }
    if (s->session)
        pols.session = sess = compile_ok(s->session, POLICY_IDENTITY);
    if (s->resource) {
        rps[0] = rp = compile_ok(s->resource, s->rkind);
        pols.resource = rps;
        pols.n_resource = 1;
    }
    if (s->ap) {
        aps[0] = ap = compile_ok(s->ap, POLICY_ACCESS_POINT);
        pols.access_point = aps;
        pols.n_access_point = 1;
    }
    ctx.action = s->action;
    ctx.resource = s->res;
    ctx.resource_account = s->res_account;
    ctx.principal_kind = s->kind;
    ctx.principal_arn = s->principal;
    ctx.principal_account = s->account;
    ctx.role_arn = s->role_arn;
    ctx.service = s->service;
    ctx.access_point_arn = s->ap_arn;
    ctx.bucket_resource = s->bucket_res;
    ctx.bpa = s->bpa;
    if (s->ap_arn) {
        ctx.keys = keys;
        ctx.n_keys = ARRAY_LEN(keys);
    }
    authz_evaluate(&pols, &ctx, &r);
    ck_assert_msg(r.decision == s->expect && r.reason == s->reason,
                  "%s: got %s reason %d, want %s reason %d", s->name, authz_decision_name(r.decision),
                  r.reason, authz_decision_name(s->expect), s->reason);
    if (r.decision == AUTHZ_EXPLICIT_DENY)
        ck_assert_uint_ge(r.n_deciding, 1);
    policy_free(id);
    policy_free(sess);
    policy_free(rp);
    policy_free(ap);
}
END_TEST

START_TEST(all_matches_flag)
{
    struct policy *p = compile_ok(P(B_ALLOW_ALL "," B_ALLOW_GET "," B_ALLOW_GET), POLICY_IDENTITY);
    struct authz_ctx ctx;
    struct authz_result r;

    alice_ctx(&ctx, "s3:GetObject", OBJ, NULL, 0);
    eval_identity(p, &ctx, &r);
    ck_assert_uint_eq(r.n_deciding, 1);
    ctx.flags = AUTHZ_F_ALL_MATCHES;
    eval_identity(p, &ctx, &r);
    ck_assert_uint_eq(r.n_deciding, 3);
    ck_assert_uint_eq(r.deciding[2].stmt, 2);
    policy_free(p);
}
END_TEST

/* ------------------------------------------------------------------ explanations */

START_TEST(explain_condition_failure)
{
    struct policy *p = compile_ok(
        P("{\"Sid\":\"OnlyViaAP\",\"Effect\":\"Allow\",\"Action\":\"s3:PutObject\",\"Resource\":"
          "\"arn:aws:s3:::demo/*\",\"Condition\":{\"ForAnyValue:StringEquals\":{"
          "\"s3:DataAccessPointArn\":[\"" AP1 "\"]}}}"), POLICY_IDENTITY);
    struct authz_key keys[] = { { .name = "aws:RequestedRegion", .value = "ap-southeast-2" } };
    struct authz_ctx ctx;
    struct authz_result r;
    struct s3_buf b;

    alice_ctx(&ctx, "s3:PutObject", OBJ, keys, 1);
    ck_assert_int_eq(eval_identity(p, &ctx, &r), AUTHZ_IMPLICIT_DENY);
    ck_assert_int_eq(r.reason, AUTHZ_R_NO_IDENTITY_ALLOW);
    ck_assert_uint_eq(r.n_deciding, 0);
    ck_assert_uint_eq(r.n_near, 1);
    ck_assert_int_eq(r.near[0].miss, AUTHZ_MISS_CONDITION);
    ck_assert_str_eq(r.near[0].cond.op, "ForAnyValue:StringEquals");
    ck_assert_str_eq(r.near[0].cond.key, "s3:DataAccessPointArn");
    ck_assert_ptr_null(r.near[0].cond.req);
    ck_assert_uint_eq(r.near[0].cond.n_pol_values, 1);
    ck_assert_str_eq(r.near[0].cond.pol_values[0], AP1);
    ck_assert_uint_eq(r.n_missing, 1);
    ck_assert_str_eq(r.missing[0], "s3:DataAccessPointArn");
    buf_init(&b, 0);
    ck_assert_int_eq(authz_explain(&r, &ctx, &b), S3_OK);
    ck_assert_ptr_nonnull(strstr(b.p, "Decision: ImplicitDeny"));
    ck_assert_ptr_nonnull(strstr(b.p, "Sid \"OnlyViaAP\""));
    ck_assert_ptr_nonnull(strstr(b.p, "condition ForAnyValue:StringEquals on s3:DataAccessPointArn "
                                      "failed: the request has no s3:DataAccessPointArn"));
    ck_assert_ptr_nonnull(strstr(b.p, "because no identity-based policy allows the s3:PutObject action"));
    buf_reset(&b);
    ck_assert_int_eq(authz_denied_message(&r, &ctx, 1, &b), S3_OK);
    ck_assert_str_eq(b.p, "User: " ALICE " is not authorized to perform: s3:PutObject on resource: "
                          "\"" OBJ "\" because no identity-based policy allows the s3:PutObject action");
    buf_reset(&b);
    ck_assert_int_eq(authz_denied_message(&r, &ctx, 0, &b), S3_OK);
    ck_assert_ptr_nonnull(strstr(b.p, "on resource: " OBJ " because"));
    buf_release(&b);
    policy_free(p);
}
END_TEST

START_TEST(explain_deny_and_values)
{
    struct policy *p = compile_ok(
        P(B_ALLOW_ALL ",{\"Sid\":\"NoPlainUploads\",\"Effect\":\"Deny\",\"Action\":\"s3:PutObject\","
          "\"Resource\":\"*\",\"Condition\":{\"Null\":{\"s3:x-amz-server-side-encryption\":true}}}"),
        POLICY_IDENTITY);
    struct policy *q = compile_ok(
        P("{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"*\",\"Condition\":"
          "{\"StringEquals\":{\"aws:RequestedRegion\":[\"ap-southeast-2\",\"eu-west-1\"]}}}"),
        POLICY_IDENTITY);
    struct authz_key keys[] = { { .name = "aws:RequestedRegion", .value = "us-east-1" } };
    struct authz_ctx ctx;
    struct authz_result r;
    struct s3_buf b;

    alice_ctx(&ctx, "s3:PutObject", OBJ, keys, 1);
    ck_assert_int_eq(eval_identity(p, &ctx, &r), AUTHZ_EXPLICIT_DENY);
    ck_assert_int_eq(r.reason, AUTHZ_R_DENY_IDENTITY);
    ck_assert_uint_eq(r.n_deciding, 1);
    ck_assert_uint_eq(r.deciding[0].stmt, 1);
    buf_init(&b, 0);
    authz_explain(&r, &ctx, &b);
    ck_assert_ptr_nonnull(strstr(b.p, "Denied by:"));
    ck_assert_ptr_nonnull(strstr(b.p, "statement 2 (Sid \"NoPlainUploads\", line 1) of test policy"));
    ck_assert_ptr_nonnull(strstr(b.p, "with an explicit deny in an identity-based policy"));
    buf_reset(&b);
    alice_ctx(&ctx, "s3:GetObject", OBJ, keys, 1);
    ck_assert_int_eq(eval_identity(q, &ctx, &r), AUTHZ_IMPLICIT_DENY);
    authz_explain(&r, &ctx, &b);
    ck_assert_ptr_nonnull(strstr(b.p, "the request's aws:RequestedRegion is \"us-east-1\"; the policy "
                                      "values are \"ap-southeast-2\", \"eu-west-1\""));
    buf_release(&b);
    policy_free(p);
    policy_free(q);
}
END_TEST

START_TEST(explain_access_point)
{
    struct policy_case_set set;
    char path[1024], err[512];
    struct authz_result r;
    struct s3_buf b;
    const struct policy_case *c = NULL;

    snprintf(path, sizeof path, "%s/t/data/policy-cases/11-access-points.json", S3IAM_SRCDIR);
    ck_assert_int_eq(policy_cases_load(path, &set, err, sizeof err), S3_OK);
    for (size_t i = 0; i < set.n; i++)
        if (strcmp(set.cases[i].name, "AP policy grant, bucket silent") == 0)
            c = &set.cases[i];
    ck_assert_ptr_nonnull(c);
    policy_case_run(c, &r);
    ck_assert_int_eq(r.decision, AUTHZ_IMPLICIT_DENY);
    ck_assert_int_eq(r.check, AUTHZ_CHECK_BUCKET);
    ck_assert_int_eq(r.reason, AUTHZ_R_NO_RESOURCE_ALLOW);
    ck_assert_uint_eq(r.n_near, 1);
    ck_assert_int_eq(r.near[0].src, AUTHZ_SRC_ACCESS_POINT);
    ck_assert_int_eq(r.near[0].check, AUTHZ_CHECK_ACCESS_POINT);
    ck_assert_int_eq(r.near[0].miss, AUTHZ_MISS_NONE);
    buf_init(&b, 0);
    ck_assert_int_eq(authz_explain(&r, &c->ctx, &b), S3_OK);
    ck_assert_ptr_nonnull(strstr(b.p, "the access point check passed but the bucket check did not"));
    ck_assert_ptr_nonnull(strstr(b.p, "The bucket check failed."));
    ck_assert_ptr_nonnull(strstr(b.p, "of access point policy (access point policy, access point check) "
                                      "allows it, but that alone is not enough here"));
    buf_release(&b);
    policy_cases_release(&set);
}
END_TEST

struct phrase_case {
    enum authz_decision d;
    enum authz_reason r;
    const char *phrase;
};

static const struct phrase_case phrase_cases[] = {
    { AUTHZ_EXPLICIT_DENY, AUTHZ_R_DENY_IDENTITY, "with an explicit deny in an identity-based policy" },
    { AUTHZ_EXPLICIT_DENY, AUTHZ_R_DENY_SESSION, "with an explicit deny in a session policy" },
    { AUTHZ_EXPLICIT_DENY, AUTHZ_R_DENY_RESOURCE, "with an explicit deny in a resource-based policy" },
    { AUTHZ_IMPLICIT_DENY, AUTHZ_R_NO_IDENTITY_ALLOW,
      "because no identity-based policy allows the s3:PutObject action" },
    { AUTHZ_IMPLICIT_DENY, AUTHZ_R_NO_SESSION_ALLOW, "because no session policy allows the s3:PutObject action" },
    { AUTHZ_IMPLICIT_DENY, AUTHZ_R_NO_RESOURCE_ALLOW,
      "because no resource-based policy allows the s3:PutObject action" },
    { AUTHZ_ALLOW, AUTHZ_R_ALLOWED, "" },
    { AUTHZ_ALLOW, AUTHZ_R_ROOT_LOCKOUT, "" },
};

START_TEST(phrase_table)
{
    const struct phrase_case *c = &phrase_cases[_i];
    struct authz_result r = { .decision = c->d, .reason = c->r };
    char buf[256];
    int n = authz_reason_phrase(&r, "s3:PutObject", buf, sizeof buf);
    ck_assert_str_eq(buf, c->phrase);
    ck_assert_int_eq(n, (int)strlen(c->phrase));
    /* truncation keeps the snprintf contract */
    if (n > 4) {
        ck_assert_int_eq(authz_reason_phrase(&r, "s3:PutObject", buf, 5), n);
        ck_assert_uint_eq(strlen(buf), 4);
    }
}
END_TEST

/* ------------------------------------------------------------------ public policies */

struct public_case {
    enum policy_kind kind;
    const char *stmt;
    int is_public;
};

#define PUB_OBJ "\"Resource\":\"arn:aws:s3:::demo/*\""
#define PUB_AP "\"Resource\":\"" AP1 "/object/*\""

static const struct public_case public_cases[] = {
    { POLICY_RESOURCE_BUCKET, "{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\"," PUB_OBJ "}", 1 },
    { POLICY_RESOURCE_BUCKET, "{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"*\"},\"Action\":\"s3:*\"," PUB_OBJ "}", 1 },
    { POLICY_RESOURCE_BUCKET, "{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:*\"," PUB_OBJ "}", 0 },
    { POLICY_RESOURCE_BUCKET, "{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"" ACCT_B "\"},\"Action\":\"s3:*\"," PUB_OBJ "}", 0 },
    { POLICY_RESOURCE_BUCKET, "{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\"," PUB_OBJ
      ",\"Condition\":{\"IpAddress\":{\"aws:SourceIp\":\"203.0.113.0/24\"}}}", 0 },
    { POLICY_RESOURCE_BUCKET, "{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\"," PUB_OBJ
      ",\"Condition\":{\"IpAddress\":{\"aws:SourceIp\":\"0.0.0.0/1\"}}}", 1 },
    { POLICY_RESOURCE_BUCKET, "{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\"," PUB_OBJ
      ",\"Condition\":{\"IpAddress\":{\"aws:SourceIp\":\"2001:db8::/16\"}}}", 1 },
    { POLICY_RESOURCE_BUCKET, "{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\"," PUB_OBJ
      ",\"Condition\":{\"NotIpAddress\":{\"aws:SourceIp\":\"203.0.113.0/24\"}}}", 1 },
    { POLICY_RESOURCE_BUCKET, "{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\"," PUB_OBJ
      ",\"Condition\":{\"StringEquals\":{\"s3:DataAccessPointAccount\":\"" ACCT_A "\"}}}", 0 },
    { POLICY_RESOURCE_BUCKET, "{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\"," PUB_OBJ
      ",\"Condition\":{\"StringLike\":{\"s3:DataAccessPointAccount\":\"1111*\"}}}", 1 },
    { POLICY_RESOURCE_BUCKET, "{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\"," PUB_OBJ
      ",\"Condition\":{\"StringEqualsIfExists\":{\"aws:SourceAccount\":\"" ACCT_A "\"}}}", 1 },
    { POLICY_RESOURCE_BUCKET, "{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\"," PUB_OBJ
      ",\"Condition\":{\"StringEquals\":{\"aws:PrincipalAccount\":\"" ACCT_A "\"}}}", 1 },
    { POLICY_RESOURCE_BUCKET, "{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\"," PUB_OBJ
      ",\"Condition\":{\"StringLike\":{\"aws:userid\":\"AROAEXAMPLE:*\"}}}", 0 },
    { POLICY_RESOURCE_BUCKET, "{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\"," PUB_OBJ
      ",\"Condition\":{\"StringEquals\":{\"aws:SourceVpce\":\"${aws:username}\"}}}", 1 },
    { POLICY_RESOURCE_BUCKET, "{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\"," PUB_OBJ
      ",\"Condition\":{\"ArnLike\":{\"s3:DataAccessPointArn\":\"arn:aws:s3:ap-southeast-2:111122223333:accesspoint/*\"}}}", 0 },
    { POLICY_ACCESS_POINT, "{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\"," PUB_AP
      ",\"Condition\":{\"ArnLike\":{\"s3:DataAccessPointArn\":\"arn:aws:s3:ap-southeast-2:111122223333:accesspoint/*\"}}}", 1 },
    { POLICY_RESOURCE_BUCKET, "{\"Effect\":\"Allow\",\"NotPrincipal\":{\"AWS\":\"" ALICE "\"},\"Action\":\"s3:GetObject\"," PUB_OBJ "}", 1 },
    /* only "bad" actions make a policy public */
    { POLICY_RESOURCE_BUCKET, "{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:ReplicateObject\"," PUB_OBJ "}", 0 },
    { POLICY_RESOURCE_BUCKET, "{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:RestoreObject\"," PUB_OBJ "}", 1 },
    { POLICY_RESOURCE_BUCKET, "{\"Effect\":\"Allow\",\"Principal\":\"*\",\"NotAction\":\"s3:*\"," PUB_OBJ "}", 0 },
    { POLICY_RESOURCE_BUCKET, "{\"Effect\":\"Allow\",\"Principal\":\"*\",\"NotAction\":\"s3:GetObject\"," PUB_OBJ "}", 1 },
    /* AWS's delegation-to-access-points policy is not public */
    { POLICY_RESOURCE_BUCKET, "{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"*\"},\"Action\":\"*\",\"Resource\":"
      "[\"arn:aws:s3:::demo\",\"arn:aws:s3:::demo/*\"],\"Condition\":{\"StringEquals\":{\"s3:DataAccessPointAccount\":\"" ACCT_A "\"}}}", 0 },
};

START_TEST(public_table)
{
    const struct public_case *c = &public_cases[_i];
    char text[2048];
    struct policy *p;

    snprintf(text, sizeof text, "{" V12 "\"Statement\":[%s]}", c->stmt);
    p = compile_ok(text, c->kind);
    ck_assert_msg(policy_is_public(p, c->kind) == c->is_public, "case %d: %s", _i, c->stmt);
    policy_free(p);
}
END_TEST

START_TEST(public_null)
{
    ck_assert_int_eq(policy_is_public(NULL, POLICY_RESOURCE_BUCKET), 0);
}
END_TEST

/* ------------------------------------------------------------------ S3 action catalogue */

struct action_case {
    const char *name;
    int known;
};

static const struct action_case action_cases[] = {
    { "s3:GetObject", 1 }, { "S3:getobject", 1 }, { "s3:PutObject", 1 }, { "s3:ListBucket", 1 },
    { "s3:ListAllMyBuckets", 1 }, { "s3:GetObjectVersionAttributes", 1 },
    { "s3:PutEncryptionConfiguration", 1 }, { "s3:CreateAccessPoint", 1 },
    { "s3:AbortMultipartUpload", 1 }, { "s3:ZzzNotAnAction", 0 },
    { "s3:CopyObject", 0 }, { "s3:HeadObject", 0 }, { "s3:ListObjectsV2", 0 },
    { "s3:CreateMultipartUpload", 0 }, { "s3:DeleteObjects", 0 }, { "s3:GetObjects", 0 },
    { "ec2:GetObject", 0 }, { "GetObject", 0 }, { "", 0 },
};

START_TEST(action_table)
{
    const struct action_case *c = &action_cases[_i];
    ck_assert_msg(policy_s3_action_known(c->name) == c->known, "%s", c->name);
}
END_TEST

START_TEST(action_catalogue_sorted)
{
    /* bsearch needs the rows in case-insensitive order */
    for (size_t i = 1; i < s3_action_count(); i++)
        ck_assert_msg(strcasecmp(s3_action_at(i - 1)->name, s3_action_at(i)->name) < 0, "%s",
                      s3_action_at(i)->name);
    ck_assert_uint_ge(s3_action_count(), 150);
    ck_assert_ptr_null(s3_action_at(s3_action_count()));
    ck_assert(!policy_s3_action_known(NULL));
}
END_TEST

/* ------------------------------------------------------------------ the shared cases */

static const char *const case_files[] = {
    "01-action-resource-matching.json", "02-evaluation-basics.json", "03-string-operators.json",
    "04-numeric-date-bool-ip-arn.json", "05-null-ifexists.json", "06-set-operators.json",
    "07-policy-variables.json", "08-not-elements.json", "09-cross-account-root-anonymous.json",
    "10-block-public-access.json", "11-access-points.json", "12-seed-exercises.json",
    "13-seed-table.json",
};

START_TEST(case_file)
{
    struct policy_case_set set;
    char path[1024], err[512];

    snprintf(path, sizeof path, "%s/t/data/policy-cases/%s", S3IAM_SRCDIR, case_files[_i]);
    ck_assert_msg(policy_cases_load(path, &set, err, sizeof err) == S3_OK, "%s", err);
    ck_assert_uint_ge(set.n, 5);
    for (size_t i = 0; i < set.n; i++) {
        const struct policy_case *c = &set.cases[i];
        struct authz_result r;
        ck_assert_msg(c->load_error == NULL, "%s: %s: %s", case_files[_i], c->name, c->load_error);
        policy_case_run(c, &r);
        ck_assert_msg(r.decision == c->expected, "%s: %s: got %s want %s (%s)", case_files[_i],
                      c->name, authz_decision_name(r.decision), authz_decision_name(c->expected),
                      c->why);
        if (r.decision != AUTHZ_IMPLICIT_DENY)
            ck_assert_msg(r.n_deciding >= 1 || r.reason == AUTHZ_R_ROOT ||
                              r.reason == AUTHZ_R_ROOT_LOCKOUT,
                          "%s: %s: no deciding statement", case_files[_i], c->name);
    }
    policy_cases_release(&set);
    policy_cases_release(&set); /* emptied: a second release does nothing */
}
END_TEST

START_TEST(case_file_errors)
{
    struct policy_case_set set;
    char err[512];
    ck_assert_int_ne(policy_cases_load("/nonexistent/x.json", &set, err, sizeof err), S3_OK);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/x.json"));
}
END_TEST

/* ------------------------------------------------------------------ threads */

struct thr {
    const struct policy_case_set *set;
    int mismatches;
};

static void *thr_run(void *arg)
{
    struct thr *t = arg;
    for (int round = 0; round < 200; round++) {
        for (size_t i = 0; i < t->set->n; i++) {
            struct authz_result r;
            policy_case_run(&t->set->cases[i], &r);
            if (r.decision != t->set->cases[i].expected)
                t->mismatches++;
        }
    }
    return NULL;
}

START_TEST(threads_share_policies)
{
    struct policy_case_set set;
    char path[1024], err[512];
    pthread_t th[4];
    struct thr t[4];

    snprintf(path, sizeof path, "%s/t/data/policy-cases/13-seed-table.json", S3IAM_SRCDIR);
    ck_assert_int_eq(policy_cases_load(path, &set, err, sizeof err), S3_OK);
    for (int i = 0; i < 4; i++) {
        t[i].set = &set;
        t[i].mismatches = 0;
        ck_assert_int_eq(pthread_create(&th[i], NULL, thr_run, &t[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        ck_assert_int_eq(t[i].mismatches, 0);
    }
    policy_cases_release(&set);
}
END_TEST

/* ------------------------------------------------------------------ suite */

static Suite *policy_suite(void)
{
    Suite *s = suite_create("policy");
    TCase *tc;

    tc = tcase_create("match");
    tcase_add_loop_test(tc, glob_table, 0, (int)ARRAY_LEN(glob_cases));
    tcase_add_test(tc, glob_literal_mask);
    tcase_add_loop_test(tc, arn_like_table, 0, (int)ARRAY_LEN(arnlike_cases));
    tcase_add_loop_test(tc, arn_principal_table, 0, (int)ARRAY_LEN(principal_cases));
    tcase_add_test(tc, arn_misc);
    tcase_add_loop_test(tc, action_table, 0, (int)ARRAY_LEN(action_cases));
    tcase_add_test(tc, action_catalogue_sorted);
    suite_add_tcase(s, tc);

    tc = tcase_create("values");
    tcase_add_loop_test(tc, date_table, 0, (int)ARRAY_LEN(date_cases));
    tcase_add_loop_test(tc, number_table, 0, (int)ARRAY_LEN(num_cases));
    tcase_add_test(tc, cidr_parse);
    suite_add_tcase(s, tc);

    tc = tcase_create("conditions");
    tcase_add_loop_test(tc, cond_table, 0, (int)ARRAY_LEN(cond_cases));
    tcase_add_loop_test(tc, var_table, 0, (int)ARRAY_LEN(var_cases));
    tcase_add_test(tc, var_in_condition);
    suite_add_tcase(s, tc);

    tc = tcase_create("grammar");
    tcase_add_loop_test(tc, grammar_table, 0, (int)ARRAY_LEN(grammar_cases));
    tcase_add_test(tc, grammar_principal_exists);
    tcase_add_test(tc, grammar_sizes);
    tcase_add_test(tc, grammar_warnings_and_positions);
    tcase_add_loop_test(tc, seed_table, 0, (int)ARRAY_LEN(seed_cases));
    suite_add_tcase(s, tc);

    tc = tcase_create("evaluate");
    tcase_add_loop_test(tc, scen_table, 0, (int)ARRAY_LEN(scens));
    tcase_add_test(tc, all_matches_flag);
    tcase_add_test(tc, explain_condition_failure);
    tcase_add_test(tc, explain_deny_and_values);
    tcase_add_test(tc, explain_access_point);
    tcase_add_loop_test(tc, phrase_table, 0, (int)ARRAY_LEN(phrase_cases));
    tcase_add_loop_test(tc, public_table, 0, (int)ARRAY_LEN(public_cases));
    tcase_add_test(tc, public_null);
    suite_add_tcase(s, tc);

    tc = tcase_create("cases");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, case_file, 0, (int)ARRAY_LEN(case_files));
    tcase_add_test(tc, case_file_errors);
    tcase_add_test(tc, threads_share_policies);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(policy_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
