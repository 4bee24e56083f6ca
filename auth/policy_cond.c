/*
 * auth/policy_cond.c - condition operators (doc section 3).
 *
 * Semantics in one place:
 *   - several values for one key: OR for positive operators; for negated operators
 *     (StringNotEquals, NotIpAddress, ArnNotLike, ...) the condition holds only if the request
 *     matches none of them (NOR);
 *   - absent key: positive operator false, negated operator true, ...IfExists true, Null is the
 *     presence test itself;
 *   - ForAnyValue: some request value matches (absent/empty set: false);
 *     ForAllValues: every request value matches (absent/empty set: true);
 *     negated operators inside a set operator are applied per request value.
 * Values are compiled once: numbers, dates (ms since the epoch), CIDRs and base64 are parsed at
 * policy_compile() time; a value that does not parse simply never matches.
 */
#include "config.h"
#include "auth/policy_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/arn.h"
#include "auth/glob.h"

/* ------------------------------------------------------------------ operators */

struct op_def {
    const char *name;
    uint8_t base;
    uint8_t negated;
};

static const struct op_def op_defs[] = {
    { "StringEquals", CB_STR_EQ, 0 },
    { "StringNotEquals", CB_STR_EQ, 1 },
    { "StringEqualsIgnoreCase", CB_STR_EQ_IC, 0 },
    { "StringNotEqualsIgnoreCase", CB_STR_EQ_IC, 1 },
    { "StringLike", CB_STR_LIKE, 0 },
    { "StringNotLike", CB_STR_LIKE, 1 },
    { "NumericEquals", CB_NUM_EQ, 0 },
    { "NumericNotEquals", CB_NUM_EQ, 1 },
    { "NumericLessThan", CB_NUM_LT, 0 },
    { "NumericLessThanEquals", CB_NUM_LE, 0 },
    { "NumericGreaterThan", CB_NUM_GT, 0 },
    { "NumericGreaterThanEquals", CB_NUM_GE, 0 },
    { "DateEquals", CB_DATE_EQ, 0 },
    { "DateNotEquals", CB_DATE_EQ, 1 },
    { "DateLessThan", CB_DATE_LT, 0 },
    { "DateLessThanEquals", CB_DATE_LE, 0 },
    { "DateGreaterThan", CB_DATE_GT, 0 },
    { "DateGreaterThanEquals", CB_DATE_GE, 0 },
    { "Bool", CB_BOOL, 0 },
    { "BinaryEquals", CB_BIN_EQ, 0 },
    { "IpAddress", CB_IP, 0 },
    { "NotIpAddress", CB_IP, 1 },
    /* ArnEquals and ArnLike behave identically: both honour wildcards per component. */
    { "ArnEquals", CB_ARN, 0 },
    { "ArnLike", CB_ARN, 0 },
    { "ArnNotEquals", CB_ARN, 1 },
    { "ArnNotLike", CB_ARN, 1 },
    { "Null", CB_NULL, 0 },
};

int pol_op_parse(const char *name, struct pol_cond *c)
{
    size_t n = strlen(name);

    c->set = SET_NONE;
    c->if_exists = 0;
    /* Operator names are matched exactly as IAM's validator does (moto keeps the same list). */
    if (n > 12 && memcmp(name, "ForAnyValue:", 12) == 0) {
        c->set = SET_ANY;
        name += 12;
        n -= 12;
    } else if (n > 13 && memcmp(name, "ForAllValues:", 13) == 0) {
        c->set = SET_ALL;
        name += 13;
        n -= 13;
    }
    if (n > 8 && memcmp(name + n - 8, "IfExists", 8) == 0) {
        c->if_exists = 1;
        n -= 8;
    }
    for (size_t i = 0; i < sizeof op_defs / sizeof op_defs[0]; i++) {
        if (strlen(op_defs[i].name) == n && memcmp(op_defs[i].name, name, n) == 0) {
            if (op_defs[i].base == CB_NULL && c->if_exists)
                return 0; /* "NullIfExists" is not an operator */
            c->base = op_defs[i].base;
            c->negated = op_defs[i].negated;
            return 1;
        }
    }
    return 0;
}

int pol_op_allows_vars(const struct pol_cond *c)
{
    switch (c->base) {
    case CB_STR_EQ:
    case CB_STR_EQ_IC:
    case CB_STR_LIKE:
    case CB_BOOL:
    case CB_ARN:
        return 1;
    default:
        return 0;
    }
}

/* ------------------------------------------------------------------ value parsers */

static int all_digits(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

int pol_parse_number(const char *s, size_t n, double *out)
{
    char buf[64];
    size_t i = 0, digits = 0;
    char *end;

    if (n == 0 || n >= sizeof buf)
        return 0;
    /* [+-]digits[.digits][e[+-]digits]: no hex, inf or nan, which strtod would take */
    if (s[i] == '+' || s[i] == '-')
        i++;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++, digits++;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++, digits++;
    }
    if (digits == 0)
        return 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t e0;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        e0 = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == e0)
            return 0;
    }
    if (i != n)
        return 0;
    memcpy(buf, s, n);
    buf[n] = 0;
    *out = strtod(buf, &end);
    return end == buf + n;
}

static int num2(const char *s, int *v)
{
    if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
        return 0;
    *v = (s[0] - '0') * 10 + (s[1] - '0');
    return 1;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in_month(int64_t y, int m)
{
    static const int dm[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

/*
 * Dates: UNIX epoch seconds ("1700000000"), or ISO 8601 as IAM reads it:
 * YYYY[-MM[-DD]][Thh[:mm[:ss[.fff]]]][Z|+hh[:mm]|-hh[:mm]].  No zone means UTC.
 */
int pol_parse_date(const char *s, size_t n, int64_t *ms_out)
{
    size_t i = 0;
    int64_t y = 0;
    int mo = 1, d = 1, h = 0, mi = 0, se = 0, ms = 0, tz = 0;

    if (n == 0 || n > 64)
        return 0;
    if (all_digits(s, n) && n != 4) {
        /* epoch seconds; a bare 4-digit value is read as a year, like moto's validator */
        int64_t v = 0;
        if (n > 15)
            return 0;
        for (size_t k = 0; k < n; k++)
            v = v * 10 + (s[k] - '0');
        *ms_out = v * 1000;
        return 1;
    }
    if (n < 4 || !all_digits(s, 4))
        return 0;
    for (; i < 4; i++)
        y = y * 10 + (s[i] - '0');
    if (i < n && s[i] == '-') {
        if (i + 3 > n || !num2(s + i + 1, &mo) || mo < 1 || mo > 12)
            return 0;
        i += 3;
        if (i < n && s[i] == '-') {
            if (i + 3 > n || !num2(s + i + 1, &d) || d < 1 || d > days_in_month(y, mo))
                return 0;
            i += 3;
        }
    }
    if (i < n && (s[i] == 'T' || s[i] == 't' || s[i] == ' ')) {
        i++;
        if (i + 2 > n || !num2(s + i, &h) || h > 23)
            return 0;
        i += 2;
        if (i < n && s[i] == ':') {
            if (i + 3 > n || !num2(s + i + 1, &mi) || mi > 59)
                return 0;
            i += 3;
            if (i < n && s[i] == ':') {
                if (i + 3 > n || !num2(s + i + 1, &se) || se > 60)
                    return 0;
                i += 3;
                if (i < n && s[i] == '.') {
                    int scale = 100, digits = 0;
                    i++;
                    while (i < n && s[i] >= '0' && s[i] <= '9') {
                        ms += (s[i] - '0') * scale;
                        scale /= 10;
                        i++;
                        digits++;
                    }
                    if (digits == 0)
                        return 0;
                }
            }
        }
    }
    if (i < n) {
        if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == n) {
            i++;
        } else if (s[i] == '+' || s[i] == '-') {
            int sign = s[i] == '-' ? -1 : 1, zh, zm = 0;
            i++;
            if (i + 2 > n || !num2(s + i, &zh) || zh > 23)
                return 0;
            i += 2;
            if (i < n && s[i] == ':')
                i++;
            if (i < n) {
                if (i + 2 > n || !num2(s + i, &zm) || zm > 59)
                    return 0;
                i += 2;
            }
            tz = sign * (zh * 60 + zm);
        }
    }
    if (i != n)
        return 0;
    *ms_out = ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se) - (int64_t)tz * 60) *
                  1000 + ms;
    return 1;
}

int pol_parse_cidr(const char *s, size_t n, struct pol_cidr *out)
{
    char buf[64];
    const char *slash;
    size_t al;
    int prefix = -1;

    if (n == 0 || n >= sizeof buf)
        return 0;
    slash = memchr(s, '/', n);
    al = slash ? (size_t)(slash - s) : n;
    if (slash) {
        size_t pl = n - al - 1;
        if (pl == 0 || pl > 3 || !all_digits(slash + 1, pl))
            return 0;
        prefix = 0;
        for (size_t i = 0; i < pl; i++)
            prefix = prefix * 10 + (slash[1 + i] - '0');
    }
    memcpy(buf, s, al);
    buf[al] = 0;
    memset(out, 0, sizeof *out);
    if (inet_pton(AF_INET, buf, out->addr) == 1) {
        out->family = 4;
        if (prefix < 0)
            prefix = 32;
        if (prefix > 32)
            return 0;
    } else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
        out->family = 6;
        if (prefix < 0)
            prefix = 128;
        if (prefix > 128)
            return 0;
    } else {
        return 0;
    }
    out->prefix = (uint8_t)prefix;
    /* Keep only the network part, so 203.0.113.7/24 means 203.0.113.0/24. */
    for (int bit = prefix; bit < (out->family == 4 ? 32 : 128); bit++)
        out->addr[bit / 8] &= (uint8_t)~(0x80u >> (bit % 8));
    return 1;
}

static int cidr_contains(const struct pol_cidr *net, const struct pol_cidr *ip)
{
    const uint8_t *a = ip->addr;
    static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

    if (net->family == 4 && ip->family == 6 && memcmp(ip->addr, v4mapped, 12) == 0)
        a = ip->addr + 12; /* ::ffff:a.b.c.d against an IPv4 range */
    else if (net->family != ip->family)
        return 0;
    for (int bit = 0; bit < net->prefix; bit++) {
        uint8_t m = (uint8_t)(0x80u >> (bit % 8));
        if ((a[bit / 8] & m) != (net->addr[bit / 8] & m))
            return 0;
    }
    return 1;
}

static int ascii_ieq(const char *a, size_t an, const char *b, size_t bn)
{
    if (an != bn)
        return 0;
    for (size_t i = 0; i < an; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (x >= 'A' && x <= 'Z')
            x = (unsigned char)(x + 32);
        if (y >= 'A' && y <= 'Z')
            y = (unsigned char)(y + 32);
        if (x != y)
            return 0;
    }
    return 1;
}

int pol_cval_compile(struct pol_arena *a, const struct pol_cond *c, const char *s, size_t n,
                     int vars, struct pol_cval *out)
{
    memset(out, 0, sizeof *out);
    if (!pol_pat_compile(a, s, n, vars && pol_op_allows_vars(c), &out->pat))
        return 0;
    switch (c->base) {
    case CB_STR_EQ:
    case CB_STR_EQ_IC:
    case CB_STR_LIKE:
    case CB_ARN:
        out->ok = 1;
        break;
    case CB_BOOL:
    case CB_NULL:
        /* Compared lower-cased; JSON true/false arrive here as "true"/"false". */
        if (ascii_ieq(s, n, "true", 4))
            out->ok = 1, out->bool_val = 1;
        else if (ascii_ieq(s, n, "false", 5))
            out->ok = 1, out->bool_val = 0;
        else if (c->base == CB_BOOL && (out->pat.flags & PAT_VARS))
            out->ok = 1; /* resolved per request */
        break;
    case CB_NUM_EQ:
    case CB_NUM_LT:
    case CB_NUM_LE:
    case CB_NUM_GT:
    case CB_NUM_GE:
        out->ok = (uint8_t)pol_parse_number(s, n, &out->num);
        break;
    case CB_DATE_EQ:
    case CB_DATE_LT:
    case CB_DATE_LE:
    case CB_DATE_GT:
    case CB_DATE_GE:
        out->ok = (uint8_t)pol_parse_date(s, n, &out->ms);
        break;
    case CB_BIN_EQ: {
        unsigned char *bin = pa_alloc(a, n + 1);
        long bl;
        if (bin == NULL)
            return 0;
        bl = s3_base64_decode((struct s3_str){ s, n }, bin, n + 1);
        if (bl >= 0) {
            out->bin = bin;
            out->bin_len = (uint32_t)bl;
            out->ok = 1;
        }
        break;
    }
    case CB_IP:
        out->ok = (uint8_t)pol_parse_cidr(s, n, &out->cidr);
        break;
    }
    return 1;
}

/* ------------------------------------------------------------------ evaluation */

struct req_val {
    const char *s;
    size_t n;
    int parsed;          /* family-specific parse succeeded */
    double num;
    int64_t ms;
    struct pol_cidr ip;
    unsigned char bin[512];
    long bin_len;
};

/* Scratch space for substituting variables into one policy value. */
struct subst {
    char buf[POL_SUBST_MAX];
    uint8_t lit[POL_SUBST_MAX];
};

static void parse_req(const struct pol_cond *c, struct req_val *v)
{
    v->parsed = 0;
    switch (c->base) {
    case CB_NUM_EQ:
    case CB_NUM_LT:
    case CB_NUM_LE:
    case CB_NUM_GT:
    case CB_NUM_GE:
        v->parsed = pol_parse_number(v->s, v->n, &v->num);
        break;
    case CB_DATE_EQ:
    case CB_DATE_LT:
    case CB_DATE_LE:
    case CB_DATE_GT:
    case CB_DATE_GE:
        v->parsed = pol_parse_date(v->s, v->n, &v->ms);
        break;
    case CB_BIN_EQ:
        v->bin_len = s3_base64_decode((struct s3_str){ v->s, v->n }, v->bin, sizeof v->bin);
        v->parsed = v->bin_len >= 0;
        break;
    case CB_IP:
        v->parsed = pol_parse_cidr(v->s, v->n, &v->ip) && memchr(v->s, '/', v->n) == NULL;
        break;
    default:
        v->parsed = 1;
        break;
    }
}

/* The positive (base) operator: does request value v match policy value p? */
static int base_match(const struct pol_cond *c, const struct pol_cval *p, const struct req_val *v,
                      const struct authz_ctx *ctx, struct subst *sb)
{
    const char *t;
    const uint8_t *l;
    size_t tl;

    if (!p->ok || !v->parsed)
        return 0;
    switch (c->base) {
    case CB_STR_EQ:
    case CB_STR_EQ_IC:
    case CB_STR_LIKE:
    case CB_ARN:
    case CB_BOOL:
        if (!pol_pat_resolve(&p->pat, ctx, sb->buf, sb->lit, &t, &tl, &l))
            return 0;
        switch (c->base) {
        case CB_STR_EQ:
            return tl == v->n && memcmp(t, v->s, tl) == 0;
        case CB_STR_EQ_IC:
        case CB_BOOL:
            return ascii_ieq(t, tl, v->s, v->n);
        case CB_STR_LIKE:
            return glob_match_ex(t, tl, l, v->s, v->n, 0);
        default:
            return arn_like(t, tl, l, v->s, v->n);
        }
    case CB_NUM_EQ:
        return v->num == p->num;
    case CB_NUM_LT:
        return v->num < p->num;
    case CB_NUM_LE:
        return v->num <= p->num;
    case CB_NUM_GT:
        return v->num > p->num;
    case CB_NUM_GE:
        return v->num >= p->num;
    case CB_DATE_EQ:
        return v->ms == p->ms;
    case CB_DATE_LT:
        return v->ms < p->ms;
    case CB_DATE_LE:
        return v->ms <= p->ms;
    case CB_DATE_GT:
        return v->ms > p->ms;
    case CB_DATE_GE:
        return v->ms >= p->ms;
    case CB_BIN_EQ:
        return (size_t)v->bin_len == p->bin_len && memcmp(v->bin, p->bin, p->bin_len) == 0;
    case CB_IP:
        return cidr_contains(&p->cidr, &v->ip);
    default:
        return 0;
    }
}

/* The operator (with its negation) applied to one request value against all policy values. */
static int value_holds(const struct pol_cond *c, const char *s, const struct authz_ctx *ctx,
                       struct subst *sb)
{
    struct req_val v;
    int any = 0;

    v.s = s;
    v.n = strlen(s);
    parse_req(c, &v);
    for (uint32_t i = 0; i < c->n_vals && !any; i++)
        any = base_match(c, &c->vals[i], &v, ctx, sb);
    return c->negated ? !any : any;
}

int pol_cond_eval(const struct pol_cond *c, const struct authz_ctx *ctx,
                  const struct authz_key **req_out)
{
    const struct authz_key *k = authz_key_find(ctx, c->key, c->key_len);
    const char *const *vals = NULL;
    const char *single;
    size_t n = 0, non_empty = 0;
    struct subst sb;

    *req_out = k;
    if (k != NULL) {
        if (k->values != NULL) {
            vals = k->values;
            n = k->n_values;
        } else if (k->value != NULL) {
            single = k->value;
            vals = &single;
            n = 1;
        }
    }

    if (c->base == CB_NULL) {
        /* "true" tests that the key is absent; a present but empty value counts as null
         * (doc 3.2, the Condition page's "null (an empty data string)"). */
        int absent = n == 0 || (n == 1 && vals[0][0] == 0);
        for (uint32_t i = 0; i < c->n_vals; i++)
            if (c->vals[i].ok && c->vals[i].bool_val == absent)
                return 1;
        return 0;
    }

    if (c->set == SET_NONE) {
        int any = 0;
        if (n == 0)
            return c->if_exists || c->negated;
        /* A multi-valued key without a set operator: true if some value satisfies the
         * positive operator; for a negated operator, if none matches. */
        for (size_t i = 0; i < n && !any; i++) {
            struct req_val v;
            v.s = vals[i];
            v.n = strlen(vals[i]);
            parse_req(c, &v);
            for (uint32_t j = 0; j < c->n_vals && !any; j++)
                any = base_match(c, &c->vals[j], &v, ctx, &sb);
        }
        return c->negated ? !any : any;
    }

    /* Set operators treat the key as a set; empty strings do not count as members. */
    for (size_t i = 0; i < n; i++)
        if (vals[i][0] != 0)
            non_empty++;
    if (non_empty == 0)
        return c->set == SET_ALL ? 1 : c->if_exists;
    for (size_t i = 0; i < n; i++) {
        int holds;
        if (vals[i][0] == 0)
            continue;
        holds = value_holds(c, vals[i], ctx, &sb);
        if (c->set == SET_ANY && holds)
            return 1;
        if (c->set == SET_ALL && !holds)
            return 0;
    }
    return c->set == SET_ALL;
}
