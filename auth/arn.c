/*
 * auth/arn.c - ARN splitting and principal classification.
 */
#include "config.h"
#include "auth/arn.h"

#include <string.h>

#include "auth/glob.h"

int arn_split(const char *s, size_t n, struct arn *out)
{
    size_t start = 0;
    int part = 0;

    if (s == NULL || n < 4 || memcmp(s, "arn:", 4) != 0)
        return 0;
    for (size_t i = 0; i < n && part < ARN_RESOURCE; i++) {
        if (s[i] == ':') {
            out->part[part].p = s + start;
            out->part[part].len = i - start;
            part++;
            start = i + 1;
        }
    }
    if (part != ARN_RESOURCE)
        return 0;
    out->part[ARN_RESOURCE].p = s + start;
    out->part[ARN_RESOURCE].len = n - start;
    return 1;
}

int arn_partition_valid(struct s3_str p)
{
    static const char *const parts[] = { "aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b",
                                         "aws-iso-e", "aws-iso-f", "aws-eusc" };
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        if (p.len == strlen(parts[i]) && memcmp(p.p, parts[i], p.len) == 0)
            return 1;
    return 0;
}

/* Split a pattern the same way as arn_split() but keep the offsets, so the literal mask can
 * follow each component. */
static int split_offsets(const char *s, size_t n, size_t off[ARN_NPARTS], size_t len[ARN_NPARTS])
{
    size_t start = 0;
    int part = 0;

    for (size_t i = 0; i < n && part < ARN_RESOURCE; i++) {
        if (s[i] == ':') {
            off[part] = start;
            len[part] = i - start;
            part++;
            start = i + 1;
        }
    }
    if (part != ARN_RESOURCE)
        return 0;
    off[ARN_RESOURCE] = start;
    len[ARN_RESOURCE] = n - start;
    return 1;
}

int arn_like(const char *pat, size_t pn, const uint8_t *lit, const char *val, size_t vn)
{
    size_t po[ARN_NPARTS], pl[ARN_NPARTS], vo[ARN_NPARTS], vl[ARN_NPARTS];

    if (!split_offsets(pat, pn, po, pl) || !split_offsets(val, vn, vo, vl))
        return 0;
    for (int i = 0; i < ARN_NPARTS; i++) {
        if (!glob_match_ex(pat + po[i], pl[i], lit ? lit + po[i] : NULL, val + vo[i], vl[i], 0))
            return 0;
    }
    return 1;
}

int arn_is_account_id(const char *s, size_t n)
{
    if (n != 12)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int has_prefix(struct s3_str s, const char *pfx)
{
    size_t l = strlen(pfx);
    return s.len >= l && memcmp(s.p, pfx, l) == 0;
}

static int str_is(struct s3_str s, const char *c)
{
    return s.len == strlen(c) && memcmp(s.p, c, s.len) == 0;
}

/* IAM unique ids are a four-letter type prefix and 17 upper-case letters or digits. */
static int is_unique_id(const char *s, size_t n)
{
    if (n < 16 || n > 128 || s[0] != 'A')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
            return 0;
    return 1;
}

enum arn_principal arn_principal_classify(const char *s, size_t n, struct s3_str *account_out)
{
    struct arn a;
    struct s3_str r;

    if (account_out)
        *account_out = S3_STR_NULL;
    if (n == 1 && s[0] == '*')
        return ARN_PRINCIPAL_STAR;
    if (memchr(s, '*', n) || memchr(s, '?', n))
        return ARN_PRINCIPAL_INVALID;
    if (arn_is_account_id(s, n)) {
        if (account_out)
            *account_out = (struct s3_str){ s, n };
        return ARN_PRINCIPAL_ACCOUNT;
    }
    if (!arn_split(s, n, &a))
        return is_unique_id(s, n) ? ARN_PRINCIPAL_UNIQUE_ID : ARN_PRINCIPAL_INVALID;
    /* The account component must be present.  It is not required to be 12 digits here:
     * documentation templates use placeholders such as <aws-account-id>, and whether the
     * principal exists is a separate check the caller can make. */
    if (!arn_partition_valid(a.part[ARN_PARTITION]) || a.part[ARN_REGION].len != 0 ||
        a.part[ARN_ACCOUNT].len == 0)
        return ARN_PRINCIPAL_INVALID;
    if (account_out)
        *account_out = a.part[ARN_ACCOUNT];
    r = a.part[ARN_RESOURCE];
    if (str_is(a.part[ARN_SERVICE], "iam")) {
        if (str_is(r, "root"))
            return ARN_PRINCIPAL_ACCOUNT;
        if (has_prefix(r, "user/") && r.len > 5 && r.p[r.len - 1] != '/')
            return ARN_PRINCIPAL_USER;
        if (has_prefix(r, "role/") && r.len > 5 && r.p[r.len - 1] != '/')
            return ARN_PRINCIPAL_ROLE;
        return ARN_PRINCIPAL_INVALID;
    }
    if (str_is(a.part[ARN_SERVICE], "sts")) {
        if (has_prefix(r, "assumed-role/")) {
            const char *slash = memchr(r.p + 13, '/', r.len - 13);
            if (slash && slash > r.p + 13 && slash < r.p + r.len - 1)
                return ARN_PRINCIPAL_ASSUMED_ROLE;
            return ARN_PRINCIPAL_INVALID;
        }
        if (has_prefix(r, "federated-user/") && r.len > 15)
            return ARN_PRINCIPAL_FEDERATED_USER;
    }
    return ARN_PRINCIPAL_INVALID;
}

int arn_access_point_parse(const char *s, size_t n, struct s3_str *account_out,
                           struct s3_str *name_out, struct s3_str *key_out, int *has_object)
{
    struct arn a;
    struct s3_str r;
    const char *slash;

    if (!arn_split(s, n, &a) || !str_is(a.part[ARN_SERVICE], "s3") ||
        a.part[ARN_REGION].len == 0 || a.part[ARN_ACCOUNT].len == 0)
        return 0;
    r = a.part[ARN_RESOURCE];
    if (!has_prefix(r, "accesspoint/") || r.len == 12)
        return 0;
    r.p += 12;
    r.len -= 12;
    slash = memchr(r.p, '/', r.len);
    if (account_out)
        *account_out = a.part[ARN_ACCOUNT];
    if (has_object)
        *has_object = 0;
    if (key_out)
        *key_out = S3_STR_NULL;
    if (slash == NULL) {
        if (name_out)
            *name_out = r;
        return 1;
    }
    if (slash == r.p)
        return 0;
    if (name_out)
        *name_out = (struct s3_str){ r.p, (size_t)(slash - r.p) };
    r.len -= (size_t)(slash - r.p);
    r.p = slash;
    /* The only sub-resource of an access point is "/object/KEY". */
    if (!has_prefix(r, "/object/"))
        return 0;
    if (has_object)
        *has_object = 1;
    if (key_out)
        *key_out = (struct s3_str){ r.p + 8, r.len - 8 };
    return 1;
}

int arn_session_of_role(const char *session_arn, const char *role_arn)
{
    struct arn s, r;
    struct s3_str sres, rres, sname, rname;
    const char *slash;

    if (session_arn == NULL || role_arn == NULL ||
        !arn_split(session_arn, strlen(session_arn), &s) ||
        !arn_split(role_arn, strlen(role_arn), &r))
        return 0;
    if (!s3_str_eq(s.part[ARN_PARTITION], r.part[ARN_PARTITION]) ||
        !s3_str_eq(s.part[ARN_ACCOUNT], r.part[ARN_ACCOUNT]) ||
        !str_is(s.part[ARN_SERVICE], "sts") || !str_is(r.part[ARN_SERVICE], "iam"))
        return 0;
    sres = s.part[ARN_RESOURCE];
    rres = r.part[ARN_RESOURCE];
    if (!has_prefix(sres, "assumed-role/") || !has_prefix(rres, "role/"))
        return 0;
    sname = (struct s3_str){ sres.p + 13, sres.len - 13 };
    slash = memchr(sname.p, '/', sname.len);
    if (slash == NULL)
        return 0;
    sname.len = (size_t)(slash - sname.p);
    /* The session ARN carries the role name without the role's path. */
    rname = (struct s3_str){ rres.p + 5, rres.len - 5 };
    for (size_t i = rname.len; i > 0; i--) {
        if (rname.p[i - 1] == '/') {
            rname = (struct s3_str){ rname.p + i, rname.len - i };
            break;
        }
    }
    return s3_str_eq(sname, rname);
}
