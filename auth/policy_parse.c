/*
 * auth/policy_parse.c - JSON text -> validated, compiled struct policy.
 *
 * Validation follows the authorization reference ("doc"), section 1: the IAM grammar and messages of 1.2 for
 * identity and trust policies (MalformedPolicyDocument; the wording is moto's, which copies
 * AWS), the S3 rules and messages of 1.3 for bucket and access point policies
 * (MalformedPolicy).  Every problem is collected with its position; the errors are then
 * ordered the way IAM checks them (syntax, version, legacy parsing, Sid, actions, resources)
 * so errors[0] is the message AWS would send.
 *
 * Duplicate JSON keys: jansson keeps the last value, which is also what AWS's parsers do with
 * a repeated key; rejecting them (JSON_REJECT_DUPLICATES) would refuse documents AWS accepts.
 * They are reported as warnings instead, since the earlier value silently disappears.
 */
#include "config.h"
#include "auth/policy.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/arn.h"
#include "auth/glob.h"
#include "auth/policy_int.h"

/* IAM messages (doc 1.2; moto's strings). */
#define M_SYNTAX "Syntax errors in policy."
#define M_VERSION "Policy document must be version 2012-10-17 or greater."
#define M_LEGACY "The policy failed legacy parsing"
#define M_SID_UNIQUE "Statement IDs (SID) in a single policy must be unique."
#define M_SID_ALNUM                                                                               \
    "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular "     \
    "expression [0-9A-Za-z]*"
#define M_ACTIONS "Policy statement must contain actions."
#define M_RESOURCES "Policy statement must contain resources."
#define M_VENDOR_FQ "Resource vendor must be fully qualified and cannot contain regexes."
#define M_ACT_VENDOR "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
#define M_ACT_COLON "Actions/Condition can contain only one colon."
#define M_ID_PRINCIPAL "Policy document should not specify a principal."
#define M_TRUST_RESOURCE "Has prohibited field Resource."
#define M_TRUST_ACTIONS                                                                           \
    "Trust Policy statement actions can only be sts:AssumeRole, sts:AssumeRoleWithSAML,  and "    \
    "sts:AssumeRoleWithWebIdentity"
#define M_CHARSET                                                                                 \
    "1 validation error detected: Value at 'policyDocument' failed to satisfy constraint: "       \
    "Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+"
#define M_MISSING_PRINCIPAL "Missing required field Principal"
#define M_INVALID_PRINCIPAL "Invalid principal in policy"

/* S3 messages (doc 1.3).  Only the JSON, resource, action, principal, condition-type and
 * "does not apply" wordings are attested; the "Missing required field"/"Unknown field"/
 * effect/version wordings follow the same pattern and are unverified. */
#define S3_JSON "This policy contains invalid Json"
#define S3_RES "Policy has invalid resource"
#define S3_ACT "Policy has invalid action"
#define S3_NOAPPLY "Action does not apply to any resource(s) in statement"
#define S3_SIZE "Policies must be less than 20 KB"

/* Where an error falls in IAM's checking order (moto's validate()). */
enum eclass {
    EC_CHARSET, EC_SYNTAX, EC_SIZE, EC_VERSION, EC_LEGACY, EC_SID, EC_ACTIONS,
    EC_RESOURCE_FORMAT, EC_ACTION_FORMAT, EC_RESOURCES, EC_TRUST_ACTIONS, EC_TRUST_RESOURCE,
    EC_PRINCIPAL, EC_S3,
};

#define PC_MAX_ERRS 64

struct perr {
    struct policy_error e;
    int cls;
    int seq;
};

struct pc {
    const char *text;
    size_t len;
    enum policy_kind kind;
    int s3;                 /* bucket or access point: S3's rules */
    int s3_checks;          /* ... and the catalogue checks */
    unsigned flags;
    const struct policy_validate_opts *opts;
    struct jpos_tree pos;
    int have_pos;
    struct policy *p;
    struct perr errs[PC_MAX_ERRS];
    size_t n_errs, total_errs;
    struct policy_error warns[POLICY_MAX_DIAG];
    size_t n_warns, total_warns;
    int nomem;
};

/* ------------------------------------------------------------------ diagnostics */

/* A node index with this bit set means "the position of this member's key" (for problems
 * with the element's name rather than its value). */
#define KEYPOS 0x80000000u

static uint32_t keypos(uint32_t node)
{
    return node == JPOS_NONE ? JPOS_NONE : node | KEYPOS;
}

static void set_pos(struct pc *pc, uint32_t node, struct policy_error *e)
{
    uint32_t n = node & ~KEYPOS;
    size_t off;

    if (!pc->have_pos || node == JPOS_NONE || n >= pc->pos.count)
        return;
    off = pc->pos.n[n].start;
    if ((node & KEYPOS) && pc->pos.n[n].key != JPOS_NONE)
        off = pc->pos.n[n].key;
    jpos_linecol(pc->text, pc->len, off, &e->line, &e->column);
}

static void vfill(struct policy_error *e, const char *msg, const char *fmt, va_list ap)
{
    snprintf(e->message, sizeof e->message, "%s", msg);
    e->detail[0] = 0;
    if (fmt != NULL)
        vsnprintf(e->detail, sizeof e->detail, fmt, ap);
}

/* Record an error at JSON node `node` (JPOS_NONE: no position).  msg is the AWS message. */
static void err_node(struct pc *pc, int cls, uint32_t node, int stmt, const char *msg,
                     const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void err_node(struct pc *pc, int cls, uint32_t node, int stmt, const char *msg,
                     const char *fmt, ...)
{
    struct perr *pe;
    va_list ap;

    pc->total_errs++;
    if (pc->n_errs >= PC_MAX_ERRS)
        return;
    pe = &pc->errs[pc->n_errs];
    memset(pe, 0, sizeof *pe);
    pe->seq = (int)pc->n_errs++;
    /* S3 reports problems in document order; only JSON syntax comes first. */
    pe->cls = (pc->s3 && cls > EC_SYNTAX && cls != EC_SIZE) ? EC_S3 : cls;
    pe->e.stmt = stmt;
    if (pc->s3)
        pe->e.code = S3E_MALFORMED_POLICY;
    else if (cls == EC_CHARSET)
        pe->e.code = S3E_IAM_VALIDATION;
    else if (cls == EC_SIZE)
        pe->e.code = S3E_IAM_LIMIT_EXCEEDED;
    else
        pe->e.code = S3E_IAM_MALFORMED_POLICY;
    va_start(ap, fmt);
    vfill(&pe->e, msg, fmt, ap);
    va_end(ap);
    set_pos(pc, node, &pe->e);
}

static void warn_node(struct pc *pc, uint32_t node, int stmt, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void warn_node(struct pc *pc, uint32_t node, int stmt, const char *fmt, ...)
{
    struct policy_error *w;
    va_list ap;

    pc->total_warns++;
    if (pc->n_warns >= POLICY_MAX_DIAG)
        return;
    w = &pc->warns[pc->n_warns++];
    memset(w, 0, sizeof *w);
    w->code = S3_OK;
    w->stmt = stmt;
    va_start(ap, fmt);
    vsnprintf(w->message, sizeof w->message, fmt, ap);
    va_end(ap);
    set_pos(pc, node, w);
}

static void nomem(struct pc *pc)
{
    pc->nomem = 1;
}

/* The syntax message for this kind. */
static const char *msg_syntax(const struct pc *pc)
{
    return pc->s3 ? S3_JSON : M_SYNTAX;
}

/* ------------------------------------------------------------------ JSON syntax errors */

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * jansson reports the position just after the token it could not use (line 87 column 40 for
 * the seeds' `"iam:ChangePassword"` after a missing comma).  People look for the start of that
 * token, so re-lex the text up to the error and return the offset where the offending token
 * starts; *prev_end gets the end of the token before it (where a comma is probably missing).
 */
static size_t token_start(const char *t, size_t len, size_t pos, size_t *prev_end)
{
    size_t i = 0, last_end = 0;

    *prev_end = (size_t)-1;
    while (i < len && i < pos) {
        size_t start;
        if (is_ws(t[i])) {
            i++;
            continue;
        }
        start = i;
        if (t[i] == '"') {
            i++;
            while (i < len && t[i] != '"')
                i += (t[i] == '\\') ? 2 : 1;
            i++;
        } else if (strchr("{}[],:", t[i]) != NULL) {
            i++;
        } else {
            while (i < len && !is_ws(t[i]) && strchr("{}[],:\"", t[i]) == NULL)
                i++;
        }
        if (i >= pos) {
            *prev_end = last_end;
            return i == pos ? start : pos;
        }
        last_end = i;
    }
    *prev_end = last_end;
    return pos;
}

static void syntax_from_jansson(struct pc *pc, const json_error_t *je)
{
    size_t pos = je->position > 0 ? (size_t)je->position : 0, prev_end, start;
    struct perr *pe;
    int pl = 0, pcol = 0;
    const char *hint = "";
    char hintbuf[96] = "";

    if (pos > pc->len)
        pos = pc->len;
    start = token_start(pc->text, pc->len, pos, &prev_end);
    if (prev_end != (size_t)-1 && prev_end > 0)
        jpos_linecol(pc->text, pc->len, prev_end - 1, &pl, &pcol);

    if (strstr(je->text, "end of file expected"))
        hint = "there is text after the end of the policy document";
    else if (strstr(je->text, "'[' or '{' expected near end of file"))
        hint = "the document is empty";
    else if (strstr(je->text, "near end of file"))
        hint = "the document ends too early: a closing '}' or ']' is missing";
    else if (strstr(je->text, "string or '}' expected near '}'") ||
             strstr(je->text, "unexpected token near ']'"))
        hint = "remove the trailing comma before the closing bracket";
    else if (strstr(je->text, "']' expected near") || strstr(je->text, "'}' expected near")) {
        if (pl > 0) {
            snprintf(hintbuf, sizeof hintbuf, "a ',' is probably missing after line %d column %d",
                     pl, pcol);
            hint = hintbuf;
        } else {
            hint = "a ',' is probably missing before this value";
        }
    } else if (strstr(je->text, "unable to decode byte"))
        hint = "the text is not valid UTF-8";

    err_node(pc, EC_SYNTAX, JPOS_NONE, -1, msg_syntax(pc), "JSON: %s%s%s", je->text,
             hint[0] ? "; " : "", hint);
    if (pc->n_errs > 0) {
        pe = &pc->errs[pc->n_errs - 1];
        jpos_linecol(pc->text, pc->len, start, &pe->e.line, &pe->e.column);
    }
}

/* ------------------------------------------------------------------ small helpers */

static uint32_t member(struct pc *pc, uint32_t node, const char *key)
{
    return pc->have_pos ? jpos_member(&pc->pos, node, key) : JPOS_NONE;
}

static uint32_t elem(struct pc *pc, uint32_t node, size_t i)
{
    return pc->have_pos ? jpos_elem(&pc->pos, node, i) : JPOS_NONE;
}

/* Node of the i-th string of a string-or-array element whose node is `node`. */
static uint32_t item_node(struct pc *pc, uint32_t node, json_t *v, size_t i)
{
    return json_is_array(v) ? elem(pc, node, i) : node;
}

static int str_ieq(const char *a, const char *b)
{
    for (;; a++, b++) {
        unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
        if (x >= 'A' && x <= 'Z')
            x = (unsigned char)(x + 32);
        if (y >= 'A' && y <= 'Z')
            y = (unsigned char)(y + 32);
        if (x != y)
            return 0;
        if (x == 0)
            return 1;
    }
}

/* The string items of a "string or array of strings" element.  Returns the count, or -1 if the
 * element has another shape (then *bad_index says which array element, or -1). */
static long str_items(json_t *v, int *bad_index)
{
    *bad_index = -1;
    if (json_is_string(v))
        return 1;
    if (!json_is_array(v))
        return -1;
    for (size_t i = 0; i < json_array_size(v); i++) {
        if (!json_is_string(json_array_get(v, i))) {
            *bad_index = (int)i;
            return -1;
        }
    }
    return (long)json_array_size(v);
}

static json_t *str_item(json_t *v, size_t i)
{
    return json_is_array(v) ? json_array_get(v, i) : v;
}

/* "statement 3" or "statement 3 (Sid X)" for messages; 1-based for people. */
static const char *stmt_label(char *buf, size_t n, size_t idx, const char *sid)
{
    if (sid != NULL && sid[0])
        snprintf(buf, n, "statement %zu (Sid \"%s\")", idx + 1, sid);
    else
        snprintf(buf, n, "statement %zu", idx + 1);
    return buf;
}

/* ------------------------------------------------------------------ actions */

static const char *const trust_actions[] = {
    "sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity",
    "sts:TagSession", "sts:SetSourceIdentity", "sts:SetContext",
};

/* 1 if the (possibly wildcard) pattern matches at least one known S3 action; res (may be NULL)
 * receives the union of the resource types of the actions it matches. */
static int s3_pattern_known(const char *a, size_t n, unsigned *res)
{
    int any = 0;

    if (res)
        *res = 0;
    if (n < 3 || !((a[0] == 's' || a[0] == 'S') && a[1] == '3' && a[2] == ':')) {
        if (n == 1 && a[0] == '*') {
            if (res)
                *res = ~0u;
            return 1;
        }
        return 0;
    }
    for (size_t i = 0; i < s3_action_count(); i++) {
        const struct s3_action_info *ai = s3_action_at(i);
        if (glob_match_ex(a + 3, n - 3, NULL, ai->name, strlen(ai->name), GLOB_NOCASE)) {
            any = 1;
            if (res)
                *res |= ai->res ? ai->res : 0x8000u; /* 0x8000: "*" (no resource type) */
            else
                break;
        }
    }
    return any;
}

static void check_action(struct pc *pc, const char *a, size_t n, uint32_t node, int stmt,
                         int not_action, const char *label)
{
    if (pc->s3) {
        if (pc->s3_checks && !s3_pattern_known(a, n, NULL))
            err_node(pc, EC_S3, node, stmt, S3_ACT,
                     "%s: \"%s\" is not an S3 action (CopyObject, HeadObject, ListObjectsV2 "
                     "are operations, not IAM actions)", label, a);
        return;
    }
    if (!(n == 1 && a[0] == '*')) {
        const char *colon = memchr(a, ':', n);
        if (colon == NULL) {
            err_node(pc, EC_ACTION_FORMAT, node, stmt, M_ACT_VENDOR,
                     "%s: action \"%s\" needs a service prefix, e.g. \"s3:%s\"", label, a, a);
            return;
        }
        if (memchr(colon + 1, ':', n - (size_t)(colon + 1 - a)) != NULL) {
            err_node(pc, EC_ACTION_FORMAT, node, stmt, M_ACT_COLON, "%s: action \"%s\"", label, a);
            return;
        }
        for (const char *c = a; c < colon; c++) {
            if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                  (*c >= '0' && *c <= '9') || *c == '-' || *c == '.' || *c == '*' ||
                  *c == '?')) {
                char msg[128];
                snprintf(msg, sizeof msg, "Vendor %.*s is not valid", (int)(colon - a), a);
                err_node(pc, EC_ACTION_FORMAT, node, stmt, msg, "%s: action \"%s\"", label, a);
                return;
            }
        }
        /* IAM stores unknown actions; they never match.  Say so for S3, the one service whose
         * catalogue the emulator knows (the seeds' "s3:CopyObject"). */
        if ((colon - a) == 2 && (a[0] == 's' || a[0] == 'S') && a[1] == '3' &&
            !s3_pattern_known(a, n, NULL))
            warn_node(pc, node, stmt,
                      "%s: \"%s\" is not an S3 action; IAM accepts it but it never matches a "
                      "request%s", label, a,
                      str_ieq(a, "s3:CopyObject")
                          ? " (CopyObject is authorized as s3:GetObject on the source and "
                            "s3:PutObject on the destination)"
                          : "");
    }
    if (pc->kind == POLICY_TRUST && !not_action) {
        int ok = 0;
        for (size_t i = 0; i < sizeof trust_actions / sizeof trust_actions[0]; i++)
            if (str_ieq(a, trust_actions[i]))
                ok = 1;
        if (!ok)
            err_node(pc, EC_TRUST_ACTIONS, node, stmt, M_TRUST_ACTIONS, "%s: action \"%s\"",
                     label, a);
    }
}

static void compile_actions(struct pc *pc, struct pol_stmt *st, json_t *js, uint32_t snode,
                            const char *label)
{
    json_t *act = json_object_get(js, "Action"), *nact = json_object_get(js, "NotAction");
    json_t *v = act ? act : nact;
    const char *name = act ? "Action" : "NotAction";
    uint32_t node;
    int bad;
    long n;

    if (act && nact) {
        err_node(pc, EC_SYNTAX, member(pc, snode, "NotAction"), (int)st->index, msg_syntax(pc),
                 "%s has both Action and NotAction; use one", label);
        return;
    }
    if (v == NULL) {
        if (pc->s3)
            err_node(pc, EC_ACTIONS, snode, (int)st->index, "Missing required field Action",
                     "%s has no Action", label);
        else
            err_node(pc, EC_ACTIONS, snode, (int)st->index, M_ACTIONS, "%s has no Action",
                     label);
        return;
    }
    node = member(pc, snode, name);
    n = str_items(v, &bad);
    if (n < 0) {
        err_node(pc, EC_SYNTAX, bad >= 0 ? elem(pc, node, (size_t)bad) : node, (int)st->index,
                 msg_syntax(pc), "%s: %s must be a string or a list of strings", label, name);
        return;
    }
    if (n == 0) {
        err_node(pc, EC_ACTIONS, node, (int)st->index, pc->s3 ? S3_ACT : M_ACTIONS,
                 "%s: the %s list is empty", label, name);
        return;
    }
    st->not_action = nact != NULL;
    st->actions = pa_alloc(&pc->p->arena, (size_t)n * sizeof *st->actions);
    if (st->actions == NULL)
        return nomem(pc);
    st->n_actions = (uint32_t)n;
    for (size_t i = 0; i < (size_t)n; i++) {
        json_t *s = str_item(v, i);
        const char *a = json_string_value(s);
        size_t al = json_string_length(s);
        check_action(pc, a, al, item_node(pc, node, v, i), (int)st->index, st->not_action, label);
        st->actions[i].text = pa_strndup(&pc->p->arena, a, al);
        st->actions[i].len = (uint32_t)al;
        st->actions[i].wild = (uint8_t)glob_has_wildcard(a, al, NULL);
        if (st->actions[i].text == NULL)
            return nomem(pc);
    }
}

/* ------------------------------------------------------------------ resources */

/* IAM's resource format checks (moto's _validate_resource_format and legacy parsing). */
static void check_iam_resource(struct pc *pc, const char *r, size_t n, uint32_t node, int stmt,
                               const char *label)
{
    const char *c1, *c2, *c3;
    size_t colons = 0;
    char msg[256];

    if (n == 1 && r[0] == '*')
        return;
    c1 = memchr(r, ':', n);
    if (c1 == NULL) {
        snprintf(msg, sizeof msg, "Resource %.200s must be in ARN format or \"*\".", r);
        err_node(pc, EC_RESOURCE_FORMAT, node, stmt, msg,
                 "%s: resources are ARNs like arn:aws:s3:::bucket/key", label);
        return;
    }
    c2 = memchr(c1 + 1, ':', n - (size_t)(c1 + 1 - r));
    {
        struct s3_str part = { c1 + 1, (size_t)((c2 ? c2 : r + n) - (c1 + 1)) };
        if (!(part.len == 1 && part.p[0] == '*') && !arn_partition_valid(part)) {
            /* moto rebuilds the ARN from the parts after the partition, "*" for missing ones */
            const char *rest = c2 ? c2 + 1 : r + n;
            size_t rl = (size_t)(r + n - rest);
            struct s3_str p[4] = { { "*", 1 }, { "*", 1 }, { "*", 1 }, { "*", 1 } };
            size_t k = 0, st0 = 0;
            int nparts = 0;
            for (size_t i = 0; i <= rl && k < 3; i++) {
                if (i == rl || rest[i] == ':') {
                    p[k++] = (struct s3_str){ rest + st0, i - st0 };
                    nparts++;
                    st0 = i + 1;
                }
            }
            if (k == 3 && st0 <= rl)
                p[3] = (struct s3_str){ rest + st0, rl - st0 }, nparts++;
            if (c2 == NULL || (nparts == 1 && p[0].len == 0))
                p[0] = (struct s3_str){ "*", 1 };
            for (int i = 1; i < 4; i++)
                if (i >= nparts)
                    p[i] = (struct s3_str){ "*", 1 };
            snprintf(msg, sizeof msg,
                     "Partition \"%.*s\" is not valid for resource \"arn:%.*s:%.*s:%.*s:%.*s:%.*s\".",
                     (int)part.len, part.p, (int)part.len, part.p, (int)p[0].len, p[0].p,
                     (int)p[1].len, p[1].p, (int)p[2].len, p[2].p, (int)p[3].len, p[3].p);
            err_node(pc, EC_RESOURCE_FORMAT, node, stmt, msg, "%s: resource \"%s\"", label, r);
            return;
        }
    }
    if (c2 == NULL) {
        err_node(pc, EC_RESOURCE_FORMAT, node, stmt, M_VENDOR_FQ, "%s: resource \"%s\"", label, r);
        return;
    }
    for (size_t i = 0; i < n; i++)
        colons += r[i] == ':';
    c3 = memchr(c2 + 1, ':', n - (size_t)(c2 + 1 - r));
    if ((colons < 5 && memmem(r, n, "::", 2) != NULL) || c3 == c2 + 1)
        err_node(pc, EC_LEGACY, node, stmt, M_LEGACY,
                 "%s: resource \"%s\" is not a complete ARN "
                 "(arn:partition:service:region:account:resource)", label, r);
}

/* S3 scope of one bucket/access point policy resource.  Returns the resource types it can
 * name (S3R_*), 0 if invalid (error recorded). */
static unsigned check_s3_resource(struct pc *pc, const char *r, size_t n, uint32_t node, int stmt,
                                  const char *label)
{
    struct arn a;

    if (pc->kind == POLICY_RESOURCE_BUCKET) {
        struct s3_str res, bucket;
        const char *slash;
        if (!arn_split(r, n, &a) || !arn_partition_valid(a.part[ARN_PARTITION]) ||
            a.part[ARN_SERVICE].len != 2 || memcmp(a.part[ARN_SERVICE].p, "s3", 2) != 0 ||
            a.part[ARN_REGION].len || a.part[ARN_ACCOUNT].len) {
            err_node(pc, EC_S3, node, stmt, S3_RES,
                     "%s: \"%s\" is not an S3 bucket or object ARN (arn:aws:s3:::BUCKET or "
                     "arn:aws:s3:::BUCKET/KEY)", label, r);
            return 0;
        }
        res = a.part[ARN_RESOURCE];
        slash = memchr(res.p, '/', res.len);
        bucket = (struct s3_str){ res.p, slash ? (size_t)(slash - res.p) : res.len };
        if (bucket.len == 0 || glob_has_wildcard(bucket.p, bucket.len, NULL) ||
            (pc->opts && pc->opts->bucket &&
             !(bucket.len == strlen(pc->opts->bucket) &&
               memcmp(bucket.p, pc->opts->bucket, bucket.len) == 0))) {
            if (pc->opts && pc->opts->bucket)
                err_node(pc, EC_S3, node, stmt, S3_RES,
                         "%s: \"%s\" is outside bucket %s; use arn:aws:s3:::%s or "
                         "arn:aws:s3:::%s/...", label, r, pc->opts->bucket, pc->opts->bucket,
                         pc->opts->bucket);
            else
                err_node(pc, EC_S3, node, stmt, S3_RES, "%s: \"%s\" does not name one bucket",
                         label, r);
            return 0;
        }
        return slash ? S3R_OBJECT : S3R_BUCKET;
    } else {
        struct s3_str acct, name, key;
        int has_obj = 0;
        const char *ap = pc->opts ? pc->opts->access_point_arn : NULL;
        if (!arn_access_point_parse(r, n, &acct, &name, &key, &has_obj) ||
            glob_has_wildcard(name.p, name.len, NULL) ||
            glob_has_wildcard(acct.p, acct.len, NULL)) {
            err_node(pc, EC_S3, node, stmt, S3_RES,
                     "%s: \"%s\" is not an access point ARN "
                     "(arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME[/object/KEY])", label, r);
            return 0;
        }
        if (ap != NULL) {
            size_t apl = strlen(ap);
            if (!(n >= apl && memcmp(r, ap, apl) == 0 && (n == apl || r[apl] == '/'))) {
                err_node(pc, EC_S3, node, stmt, S3_RES,
                         "%s: \"%s\" is not this access point (%s) or an object under it", label,
                         r, ap);
                return 0;
            }
        }
        return has_obj ? S3R_APOBJ : S3R_AP;
    }
}

static void compile_resources(struct pc *pc, struct pol_stmt *st, json_t *js, uint32_t snode,
                              const char *label, unsigned *res_types)
{
    json_t *res = json_object_get(js, "Resource"), *nres = json_object_get(js, "NotResource");
    json_t *v = res ? res : nres;
    const char *name = res ? "Resource" : "NotResource";
    uint32_t node;
    int bad;
    long n;

    *res_types = 0;
    if (res && nres) {
        err_node(pc, EC_SYNTAX, member(pc, snode, "NotResource"), (int)st->index,
                 msg_syntax(pc), "%s has both Resource and NotResource; use one", label);
        return;
    }
    if (v == NULL) {
        if (pc->kind == POLICY_IDENTITY)
            err_node(pc, EC_RESOURCES, snode, (int)st->index, M_RESOURCES,
                     "%s has no Resource; add \"Resource\": \"*\" or the ARNs it is about", label);
        else if (pc->s3)
            err_node(pc, EC_RESOURCES, snode, (int)st->index, "Missing required field Resource",
                     "%s has no Resource", label);
        return; /* trust policies: no Resource is the rule */
    }
    node = member(pc, snode, name);
    if (pc->kind == POLICY_TRUST) {
        err_node(pc, EC_TRUST_RESOURCE, node, (int)st->index, M_TRUST_RESOURCE,
                 "%s: a trust policy names no resource (the role is the resource); remove %s",
                 label, name);
        return;
    }
    n = str_items(v, &bad);
    if (n < 0) {
        err_node(pc, EC_SYNTAX, bad >= 0 ? elem(pc, node, (size_t)bad) : node, (int)st->index,
                 msg_syntax(pc), "%s: %s must be a string or a list of strings", label, name);
        return;
    }
    if (n == 0) {
        err_node(pc, EC_RESOURCES, node, (int)st->index, pc->s3 ? S3_RES : M_RESOURCES,
                 "%s: the %s list is empty", label, name);
        return;
    }
    st->has_resource = 1;
    st->not_resource = nres != NULL;
    st->resources = pa_alloc(&pc->p->arena, (size_t)n * sizeof *st->resources);
    if (st->resources == NULL)
        return nomem(pc);
    st->n_resources = (uint32_t)n;
    for (size_t i = 0; i < (size_t)n; i++) {
        json_t *s = str_item(v, i);
        const char *r = json_string_value(s);
        size_t rl = json_string_length(s);
        uint32_t inode = item_node(pc, node, v, i);

        if (pc->s3) {
            if (pc->s3_checks)
                *res_types |= check_s3_resource(pc, r, rl, inode, (int)st->index, label);
        } else {
            check_iam_resource(pc, r, rl, inode, (int)st->index, label);
        }
        if (!pol_pat_compile(&pc->p->arena, r, rl, pc->p->v2012, &st->resources[i]))
            return nomem(pc);
    }
}

/* ------------------------------------------------------------------ principals */

static int principal_exists(struct pc *pc, const char *v)
{
    if (!pc->s3 || !pc->s3_checks || pc->opts == NULL || pc->opts->principal_exists == NULL)
        return 1;
    return pc->opts->principal_exists(pc->opts->principal_exists_ud, v);
}

static void bad_principal(struct pc *pc, uint32_t node, int stmt, const char *label,
                          const char *type, const char *v, const char *why)
{
    char msg[256];
    if (pc->s3)
        snprintf(msg, sizeof msg, "%s", M_INVALID_PRINCIPAL);
    else
        snprintf(msg, sizeof msg, "%s: \"%s\":\"%.160s\"", M_INVALID_PRINCIPAL, type, v);
    err_node(pc, EC_PRINCIPAL, node, stmt, msg, "%s: %s \"%s\": %s", label, type, v, why);
}

static int is_hex64(const char *s, size_t n)
{
    if (n != 64)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
              (s[i] >= 'A' && s[i] <= 'F')))
            return 0;
    return 1;
}

static int add_principal(struct pc *pc, struct pol_stmt *st, const char *type, const char *v,
                         size_t n, uint32_t node, const char *label)
{
    struct pol_principal *pp = &st->principals[st->n_principals];
    struct s3_str acct;

    if (strcmp(type, "AWS") == 0) {
        switch (arn_principal_classify(v, n, &acct)) {
        case ARN_PRINCIPAL_STAR:
            pp->type = PP_STAR;
            break;
        case ARN_PRINCIPAL_ACCOUNT:
            pp->type = PP_ACCOUNT;
            v = acct.p;
            n = acct.len;
            break;
        case ARN_PRINCIPAL_USER:
            pp->type = PP_USER;
            break;
        case ARN_PRINCIPAL_ROLE:
            pp->type = PP_ROLE;
            break;
        case ARN_PRINCIPAL_ASSUMED_ROLE:
            pp->type = PP_SESSION;
            break;
        case ARN_PRINCIPAL_FEDERATED_USER:
            pp->type = PP_FEDERATED_USER;
            break;
        case ARN_PRINCIPAL_UNIQUE_ID:
            pp->type = PP_UNIQUE_ID;
            break;
        default:
            bad_principal(pc, node, (int)st->index, label, type, v,
                          memchr(v, '*', n) ? "a wildcard is allowed only as the whole value \"*\""
                                            : "expected \"*\", a 12-digit account id or an IAM "
                                              "user/role/root or STS session ARN");
            return 0;
        }
        if (pp->type != PP_STAR && pp->type != PP_UNIQUE_ID) {
            char *full = pa_strndup(&pc->p->arena, v, n);
            if (full == NULL) {
                nomem(pc);
                return 0;
            }
            if (!principal_exists(pc, full)) {
                bad_principal(pc, node, (int)st->index, label, type, full, "no such principal");
                return 0;
            }
        }
    } else if (strcmp(type, "Service") == 0) {
        if (n == 0 || (n > 1 && glob_has_wildcard(v, n, NULL))) {
            bad_principal(pc, node, (int)st->index, label, type, v, "expected a service name");
            return 0;
        }
        pp->type = (n == 1 && v[0] == '*') ? PP_STAR : PP_SERVICE;
    } else if (strcmp(type, "Federated") == 0) {
        if (n == 0) {
            bad_principal(pc, node, (int)st->index, label, type, v, "expected a provider");
            return 0;
        }
        pp->type = PP_FEDERATED;
    } else if (strcmp(type, "CanonicalUser") == 0) {
        if (!is_hex64(v, n)) {
            bad_principal(pc, node, (int)st->index, label, type, v,
                          "a canonical user id is 64 hex digits");
            return 0;
        }
        pp->type = PP_CANONICAL;
    } else {
        bad_principal(pc, node, (int)st->index, label, type, v,
                      "principal types are AWS, Service, Federated and CanonicalUser");
        return 0;
    }
    pp->value = pa_strndup(&pc->p->arena, v, n);
    pp->len = (uint32_t)n;
    if (pp->value == NULL) {
        nomem(pc);
        return 0;
    }
    st->n_principals++;
    return 1;
}

static void compile_principals(struct pc *pc, struct pol_stmt *st, json_t *js, uint32_t snode,
                               const char *label)
{
    json_t *pr = json_object_get(js, "Principal"), *npr = json_object_get(js, "NotPrincipal");
    json_t *v = pr ? pr : npr;
    const char *name = pr ? "Principal" : "NotPrincipal";
    uint32_t node = member(pc, snode, name);
    size_t total = 0;
    const char *key;
    json_t *val;

    if (pr && npr) {
        err_node(pc, EC_SYNTAX, member(pc, snode, "NotPrincipal"), (int)st->index, msg_syntax(pc),
                 "%s has both Principal and NotPrincipal; use one", label);
        return;
    }
    if (pc->kind == POLICY_IDENTITY) {
        if (v != NULL)
            err_node(pc, EC_PRINCIPAL, keypos(node), (int)st->index, M_ID_PRINCIPAL,
                     "%s: identity policies apply to whoever they are attached to; remove %s",
                     label, name);
        return;
    }
    if (v == NULL) {
        err_node(pc, EC_PRINCIPAL, snode, (int)st->index, M_MISSING_PRINCIPAL,
                 "%s: %s policies must say whom they apply to (\"Principal\")", label,
                 pc->kind == POLICY_TRUST ? "trust" : "resource-based");
        return;
    }
    st->principal_mode = pr ? PM_PRINCIPAL : PM_NOT_PRINCIPAL;
    if (json_is_string(v)) {
        if (strcmp(json_string_value(v), "*") != 0) {
            bad_principal(pc, node, (int)st->index, label, name, json_string_value(v),
                          "a string principal can only be \"*\"; use {\"AWS\": \"...\"}");
            return;
        }
        st->principals = pa_alloc(&pc->p->arena, sizeof *st->principals);
        if (st->principals == NULL)
            return nomem(pc);
        st->principals[0].type = PP_STAR;
        st->principals[0].value = "*";
        st->principals[0].len = 1;
        st->n_principals = 1;
        return;
    }
    if (!json_is_object(v) || json_object_size(v) == 0) {
        bad_principal(pc, node, (int)st->index, label, name, "",
                      "expected \"*\" or an object such as {\"AWS\": \"arn:aws:iam::...\"}");
        return;
    }
    json_object_foreach(v, key, val) {
        int bad;
        long k = str_items(val, &bad);
        if (k <= 0) {
            bad_principal(pc, member(pc, node, key), (int)st->index, label, key, "",
                          "expected a string or a non-empty list of strings");
            return;
        }
        total += (size_t)k;
    }
    st->principals = pa_alloc(&pc->p->arena, total * sizeof *st->principals);
    if (st->principals == NULL)
        return nomem(pc);
    json_object_foreach(v, key, val) {
        uint32_t knode = member(pc, node, key);
        int bad;
        long k = str_items(val, &bad);
        for (size_t i = 0; i < (size_t)k; i++) {
            json_t *s = str_item(val, i);
            if (!add_principal(pc, st, key, json_string_value(s), json_string_length(s),
                               item_node(pc, knode, val, i), label))
                return;
        }
    }
}

/* ------------------------------------------------------------------ conditions */

/* The string spelling of a condition value (JSON numbers and booleans count as their text). */
static const char *cond_value_text(json_t *v, char *buf, size_t n)
{
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_true(v))
        return "true";
    if (json_is_false(v))
        return "false";
    if (json_is_integer(v)) {
        snprintf(buf, n, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return buf;
    }
    if (json_is_real(v)) {
        snprintf(buf, n, "%.17g", json_real_value(v));
        /* prefer the shortest spelling that reads back the same */
        for (int prec = 1; prec <= 17; prec++) {
            char t[64];
            snprintf(t, sizeof t, "%.*g", prec, json_real_value(v));
            if (strtod(t, NULL) == json_real_value(v)) {
                snprintf(buf, n, "%s", t);
                break;
            }
        }
        return buf;
    }
    return NULL;
}

static void compile_condition_key(struct pc *pc, struct pol_stmt *st, struct pol_cond *c,
                                  const char *op, const char *key, json_t *val, uint32_t knode,
                                  const char *label)
{
    size_t n = json_is_array(val) ? json_array_size(val) : 1;
    const char **strs;

    c->op = pa_strndup(&pc->p->arena, op, strlen(op));
    c->key = pa_strndup(&pc->p->arena, key, strlen(key));
    c->key_len = (uint32_t)strlen(key);
    c->vals = pa_alloc(&pc->p->arena, (n ? n : 1) * sizeof *c->vals);
    strs = pa_alloc(&pc->p->arena, (n ? n : 1) * sizeof *strs);
    if (c->op == NULL || c->key == NULL || c->vals == NULL || strs == NULL)
        return nomem(pc);
    c->strs = strs;
    if (!json_is_array(val) && !json_is_string(val) && !json_is_boolean(val) &&
        !json_is_number(val)) {
        err_node(pc, EC_SYNTAX, knode, (int)st->index, msg_syntax(pc),
                 "%s: condition %s / %s: a value must be a string, number, boolean or a list of "
                 "them", label, op, key);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_is_array(val) ? json_array_get(val, i) : val;
        uint32_t vnode = json_is_array(val) ? elem(pc, knode, i) : knode;
        char nb[64];
        const char *s = cond_value_text(v, nb, sizeof nb);
        size_t sl;
        if (s == NULL) {
            err_node(pc, EC_SYNTAX, vnode, (int)st->index, msg_syntax(pc),
                     "%s: condition %s / %s: value %zu must be a string, number or boolean",
                     label, op, key, i + 1);
            return;
        }
        sl = json_is_string(v) ? json_string_length(v) : strlen(s);
        strs[i] = pa_strndup(&pc->p->arena, s, sl);
        if (strs[i] == NULL ||
            !pol_cval_compile(&pc->p->arena, c, s, sl, pc->p->v2012, &c->vals[i]))
            return nomem(pc);
        c->n_vals++;
        if (!c->vals[i].ok) {
            if (c->base >= CB_DATE_EQ && c->base <= CB_DATE_GE && !pc->s3) {
                /* IAM's legacy parser reads every Date value (moto) */
                err_node(pc, EC_LEGACY, vnode, (int)st->index, M_LEGACY,
                         "%s: %s / %s: \"%s\" is not a date (ISO 8601 such as "
                         "2025-06-01T12:00:00Z, or epoch seconds)", label, op, key, s);
            } else {
                warn_node(pc, vnode, (int)st->index,
                          "%s: %s / %s: \"%s\" is not a valid value for %s and never matches",
                          label, op, key, s, op);
            }
        }
    }
}

static void compile_conditions(struct pc *pc, struct pol_stmt *st, json_t *js, uint32_t snode,
                               const char *label)
{
    json_t *cond = json_object_get(js, "Condition"), *block, *val;
    uint32_t cnode = member(pc, snode, "Condition");
    const char *op, *key;
    size_t total = 0;

    if (cond == NULL)
        return;
    if (!json_is_object(cond)) {
        err_node(pc, EC_SYNTAX, cnode, (int)st->index, msg_syntax(pc),
                 "%s: Condition must be an object: {\"Operator\": {\"key\": \"value\"}}", label);
        return;
    }
    json_object_foreach(cond, op, block) {
        if (!json_is_object(block)) {
            err_node(pc, EC_SYNTAX, member(pc, cnode, op), (int)st->index, msg_syntax(pc),
                     "%s: condition operator %s must map to an object of keys", label, op);
            return;
        }
        total += json_object_size(block);
    }
    st->conds = pa_alloc(&pc->p->arena, (total ? total : 1) * sizeof *st->conds);
    if (st->conds == NULL)
        return nomem(pc);
    json_object_foreach(cond, op, block) {
        uint32_t onode = member(pc, cnode, op);
        uint32_t opos = keypos(onode);
        struct pol_cond proto;
        memset(&proto, 0, sizeof proto);
        if (!pol_op_parse(op, &proto)) {
            if (pc->s3) {
                char msg[256];
                snprintf(msg, sizeof msg, "Invalid Condition type : %.200s", op);
                err_node(pc, EC_S3, opos, (int)st->index, msg,
                         "%s: unknown condition operator \"%s\"", label, op);
            } else {
                err_node(pc, EC_SYNTAX, opos, (int)st->index, M_SYNTAX,
                         "%s: unknown condition operator \"%s\" (operators are StringEquals, "
                         "StringLike, NumericLessThan, DateGreaterThan, Bool, IpAddress, ArnLike, "
                         "Null, ... with optional ForAnyValue:/ForAllValues: and IfExists)",
                         label, op);
            }
            continue;
        }
        json_object_foreach(block, key, val) {
            struct pol_cond *c = &st->conds[st->n_conds++];
            *c = proto;
            compile_condition_key(pc, st, c, op, key, val, member(pc, onode, key), label);
            if (pc->nomem)
                return;
        }
    }
}

/* ------------------------------------------------------------------ statements */

static const char *const stmt_keys[] = { "Sid", "Effect", "Action", "NotAction", "Resource",
                                         "NotResource", "Principal", "NotPrincipal",
                                         "Condition" };

static int sid_alnum(const char *s)
{
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
            return 0;
    return 1;
}

/* S3: every listed action must apply to at least one listed resource. */
static void check_applies(struct pc *pc, struct pol_stmt *st, unsigned res_types, uint32_t snode,
                          const char *label)
{
    if (!pc->s3_checks || st->not_action || st->not_resource || res_types == 0)
        return;
    for (uint32_t i = 0; i < st->n_actions; i++) {
        unsigned ares;
        if (!s3_pattern_known(st->actions[i].text, st->actions[i].len, &ares))
            continue; /* already reported */
        if ((ares & res_types) == 0) {
            err_node(pc, EC_S3, member(pc, snode, "Action"), (int)st->index, S3_NOAPPLY,
                     "%s: %s applies to %s, but the statement's resources are %s", label,
                     st->actions[i].text,
                     (ares & (S3R_OBJECT | S3R_APOBJ)) ? "objects (ARN/KEY)" :
                     (ares & (S3R_BUCKET | S3R_AP)) ? "the bucket or access point itself" :
                                                      "\"*\" or other resource types",
                     (res_types & (S3R_OBJECT | S3R_APOBJ)) ? "objects" : "buckets/access points");
            return;
        }
    }
}

static void compile_statement(struct pc *pc, json_t *js, size_t idx, uint32_t snode,
                              struct pol_stmt *st)
{
    char label[160];
    json_t *sid, *eff;
    const char *key;
    json_t *val;
    unsigned res_types = 0;

    st->index = (uint32_t)idx;
    if (pc->have_pos && snode != JPOS_NONE) {
        jpos_linecol(pc->text, pc->len, pc->pos.n[snode].start, &st->line, &st->col);
        jpos_linecol(pc->text, pc->len, pc->pos.n[snode].end - 1, &st->end_line, &st->end_col);
    }
    if (!json_is_object(js)) {
        err_node(pc, EC_SYNTAX, snode, (int)idx, msg_syntax(pc),
                 "statement %zu is not an object { ... }", idx + 1);
        return;
    }
    sid = json_object_get(js, "Sid");
    if (sid && json_is_string(sid)) {
        st->sid = pa_strndup(&pc->p->arena, json_string_value(sid), json_string_length(sid));
        if (st->sid == NULL)
            return nomem(pc);
    }
    stmt_label(label, sizeof label, idx, st->sid);

    json_object_foreach(js, key, val) {
        int known = 0;
        for (size_t i = 0; i < sizeof stmt_keys / sizeof stmt_keys[0]; i++)
            if (strcmp(key, stmt_keys[i]) == 0)
                known = 1;
        if (!known) {
            char msg[128];
            if (pc->s3)
                snprintf(msg, sizeof msg, "Unknown field %.100s", key);
            err_node(pc, EC_SYNTAX, keypos(member(pc, snode, key)), (int)idx,
                     pc->s3 ? msg : M_SYNTAX, "%s: unknown element \"%s\" (statements have Sid, Effect, Action, "
                     "Resource, Principal, Condition and the Not- forms)", label, key);
        }
    }

    if (sid != NULL) {
        if (!json_is_string(sid))
            err_node(pc, EC_SYNTAX, member(pc, snode, "Sid"), (int)idx, msg_syntax(pc),
                     "%s: Sid must be a string", label);
        else if (!pc->s3 && !sid_alnum(st->sid))
            err_node(pc, EC_SID, member(pc, snode, "Sid"), (int)idx, M_SID_ALNUM,
                     "%s: only letters and digits are allowed in an IAM Sid", label);
    }

    eff = json_object_get(js, "Effect");
    if (eff == NULL) {
        err_node(pc, EC_SYNTAX, snode, (int)idx, pc->s3 ? "Missing required field Effect" : M_SYNTAX,
                 "%s has no Effect; add \"Effect\": \"Allow\" or \"Deny\"", label);
    } else if (!json_is_string(eff) ||
               (!str_ieq(json_string_value(eff), "Allow") &&
                !str_ieq(json_string_value(eff), "Deny"))) {
        char msg[160];
        snprintf(msg, sizeof msg, "Invalid effect: %.100s",
                 json_is_string(eff) ? json_string_value(eff) : "");
        err_node(pc, EC_SYNTAX, member(pc, snode, "Effect"), (int)idx, pc->s3 ? msg : M_SYNTAX,
                 "%s: Effect must be \"Allow\" or \"Deny\"", label);
    } else {
        const char *e = json_string_value(eff);
        st->allow = str_ieq(e, "Allow");
        if (strcmp(e, "Allow") != 0 && strcmp(e, "Deny") != 0)
            err_node(pc, EC_LEGACY, member(pc, snode, "Effect"), (int)idx,
                     pc->s3 ? msg_syntax(pc) : M_LEGACY,
                     "%s: write Effect as \"%s\" (exactly this case)", label,
                     st->allow ? "Allow" : "Deny");
    }

    compile_actions(pc, st, js, snode, label);
    if (pc->nomem)
        return;
    compile_resources(pc, st, js, snode, label, &res_types);
    if (pc->nomem)
        return;
    compile_principals(pc, st, js, snode, label);
    if (pc->nomem)
        return;
    compile_conditions(pc, st, js, snode, label);
    if (pc->nomem)
        return;
    if (pc->s3)
        check_applies(pc, st, res_types, snode, label);
    if (st->principal_mode == PM_NOT_PRINCIPAL && st->allow)
        warn_node(pc, member(pc, snode, "NotPrincipal"), (int)idx,
                  "%s: Allow with NotPrincipal grants access to everyone not listed, anonymous "
                  "callers included", label);
}

/* ------------------------------------------------------------------ document */

size_t policy_size_chars(const char *text, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || (c & 0xC0) == 0x80)
            continue;
        n++;
    }
    return n;
}

/* IAM's character rule: tab, LF, CR and U+0020..U+00FF only. */
static void check_charset(struct pc *pc)
{
    for (size_t i = 0; i < pc->len; i++) {
        unsigned char c = (unsigned char)pc->text[i];
        int bad = (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || (c >= 0xC4 && c <= 0xF4);
        if (bad) {
            struct perr *pe;
            err_node(pc, EC_CHARSET, JPOS_NONE, -1, M_CHARSET,
                     "character %s at this position: IAM policies may contain only tab, newline "
                     "and U+0020..U+00FF", c < 0x20 ? "(control)" : "beyond U+00FF");
            if (pc->n_errs) {
                pe = &pc->errs[pc->n_errs - 1];
                jpos_linecol(pc->text, pc->len, i, &pe->e.line, &pe->e.column);
            }
            return;
        }
    }
}

static size_t default_limit(enum policy_kind kind)
{
    switch (kind) {
    case POLICY_IDENTITY:
        return 6144;
    case POLICY_TRUST:
        return 2048;
    default:
        return 20480;
    }
}

static void check_size(struct pc *pc)
{
    size_t limit = (pc->opts && pc->opts->max_chars) ? pc->opts->max_chars : default_limit(pc->kind);
    size_t n = policy_size_chars(pc->text, pc->len);
    char msg[128];

    if ((pc->flags & POLICY_F_NO_SIZE_LIMIT) || n <= limit)
        return;
    if (pc->s3)
        snprintf(msg, sizeof msg, "%s", S3_SIZE);
    else if (pc->kind == POLICY_TRUST)
        snprintf(msg, sizeof msg, "Cannot exceed quota for ACLSizePerRole: %zu", limit);
    else
        snprintf(msg, sizeof msg, "Cannot exceed quota for PolicySize: %zu", limit);
    err_node(pc, EC_SIZE, JPOS_NONE, -1, msg,
             "the document has %zu characters without whitespace; the limit is %zu", n, limit);
}

static void compile_document(struct pc *pc, json_t *root)
{
    json_t *ver, *id, *stmts, *val;
    const char *key;
    uint32_t snode;
    size_t n;

    json_object_foreach(root, key, val) {
        if (strcmp(key, "Version") && strcmp(key, "Id") && strcmp(key, "Statement")) {
            char msg[128];
            if (pc->s3)
                snprintf(msg, sizeof msg, "Unknown field %.100s", key);
            err_node(pc, EC_SYNTAX, keypos(member(pc, 0, key)), -1, pc->s3 ? msg : M_SYNTAX,
                     "unknown top-level element \"%s\" (a policy has Version, Id and Statement)",
                     key);
        }
    }
    ver = json_object_get(root, "Version");
    if (ver != NULL) {
        const char *v = json_string_value(ver);
        if (v != NULL && strcmp(v, "2012-10-17") == 0) {
            pc->p->v2012 = 1;
        } else if (v == NULL || strcmp(v, "2008-10-17") != 0) {
            err_node(pc, EC_SYNTAX, member(pc, 0, "Version"), -1,
                     pc->s3 ? "Invalid policy version" : M_SYNTAX,
                     "Version must be \"2012-10-17\" (or the old \"2008-10-17\"); it is a fixed "
                     "date, not today's date");
            ver = NULL; /* reported; no second message below */
            pc->p->v2012 = 1;
        }
    }
    if (!pc->s3 && !pc->p->v2012 && !(pc->flags & POLICY_F_ALLOW_OLD_VERSION) &&
        (ver != NULL || json_object_get(root, "Version") == NULL))
        err_node(pc, EC_VERSION, ver ? member(pc, 0, "Version") : JPOS_NONE, -1, M_VERSION,
                 "add \"Version\": \"2012-10-17\" at the top (without it, policy variables such "
                 "as ${aws:username} are not substituted)");
    id = json_object_get(root, "Id");
    if (id != NULL && !json_is_string(id))
        err_node(pc, EC_SYNTAX, member(pc, 0, "Id"), -1, msg_syntax(pc), "Id must be a string");

    stmts = json_object_get(root, "Statement");
    snode = member(pc, 0, "Statement");
    if (stmts == NULL) {
        err_node(pc, EC_SYNTAX, JPOS_NONE, -1,
                 pc->s3 ? "Missing required field Statement" : M_SYNTAX,
                 "the policy has no Statement");
        return;
    }
    if (!json_is_object(stmts) && !json_is_array(stmts)) {
        err_node(pc, EC_SYNTAX, snode, -1, msg_syntax(pc),
                 "Statement must be an object or a list of objects");
        return;
    }
    n = json_is_array(stmts) ? json_array_size(stmts) : 1;
    if (n == 0) {
        err_node(pc, EC_SYNTAX, snode, -1, msg_syntax(pc), "the Statement list is empty");
        return;
    }
    pc->p->stmts = pa_alloc(&pc->p->arena, n * sizeof *pc->p->stmts);
    if (pc->p->stmts == NULL)
        return nomem(pc);
    pc->p->n_stmts = (uint32_t)n;
    for (size_t i = 0; i < n; i++) {
        json_t *js = json_is_array(stmts) ? json_array_get(stmts, i) : stmts;
        uint32_t node = json_is_array(stmts) ? elem(pc, snode, i) : snode;
        compile_statement(pc, js, i, node, &pc->p->stmts[i]);
        if (pc->nomem)
            return;
    }
    /* Sid uniqueness: an IAM rule; S3 gets a warning. */
    for (size_t i = 0; i < n; i++) {
        const char *a = pc->p->stmts[i].sid;
        if (a == NULL || a[0] == 0)
            continue;
        for (size_t j = 0; j < i; j++) {
            const char *b = pc->p->stmts[j].sid;
            if (b != NULL && strcmp(a, b) == 0) {
                uint32_t node = json_is_array(stmts) ? elem(pc, snode, i) : snode;
                if (pc->s3)
                    warn_node(pc, member(pc, node, "Sid"), (int)i,
                              "statements %zu and %zu have the same Sid \"%s\"", j + 1, i + 1, a);
                else
                    err_node(pc, EC_SID, member(pc, node, "Sid"), (int)i, M_SID_UNIQUE,
                             "statements %zu and %zu both have Sid \"%s\"", j + 1, i + 1, a);
                break;
            }
        }
    }
}

static int cmp_perr(const void *a, const void *b)
{
    const struct perr *x = a, *y = b;
    if (x->cls != y->cls)
        return x->cls < y->cls ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

s3_err policy_compile(const char *text, size_t len, enum policy_kind kind,
                      const struct policy_validate_opts *opts, const char *source,
                      struct policy **out, struct policy_diag *diag)
{
    struct pc *pc = NULL;
    json_t *root = NULL;
    json_error_t jerr;
    s3_err ret = S3E_NOMEM;

    *out = NULL;
    if (diag != NULL)
        memset(diag, 0, sizeof *diag);
    if (text == NULL) {
        text = "";
        len = 0;
    }
    pc = calloc(1, sizeof *pc);
    if (pc == NULL)
        goto out;
    pc->text = text;
    pc->len = len;
    pc->kind = kind;
    pc->s3 = kind == POLICY_RESOURCE_BUCKET || kind == POLICY_ACCESS_POINT;
    pc->opts = opts;
    pc->flags = opts ? opts->flags : 0;
    pc->s3_checks = pc->s3 && !(pc->flags & POLICY_F_NO_S3_CHECKS);
    pc->p = calloc(1, sizeof *pc->p);
    if (pc->p == NULL)
        goto out;
    pc->p->kind = kind;
    pc->p->source = pa_strndup(&pc->p->arena, source ? source : "policy",
                               strlen(source ? source : "policy"));
    if (pc->p->source == NULL)
        goto out;

    if (!pc->s3)
        check_charset(pc);
    if (pc->n_errs == 0) {
        root = json_loadb(text, len, 0, &jerr);
        if (root == NULL) {
            syntax_from_jansson(pc, &jerr);
        } else if (!json_is_object(root)) {
            err_node(pc, EC_SYNTAX, JPOS_NONE, -1, msg_syntax(pc),
                     "a policy is one JSON object { ... }, not a list");
        } else {
            pc->have_pos = jpos_build(&pc->pos, text, len);
            for (size_t i = 0; i < pc->pos.n_dups; i++) {
                struct policy_error *w;
                uint32_t off = pc->pos.dups[i];
                const char *k = text + off + 1;
                const char *e = memchr(k, '"', len - off - 1);
                warn_node(pc, JPOS_NONE, -1,
                          "duplicate key \"%.*s\": only the last one counts, the earlier value "
                          "is ignored", (int)(e ? e - k : 0), k);
                if (pc->n_warns) {
                    w = &pc->warns[pc->n_warns - 1];
                    jpos_linecol(text, len, off, &w->line, &w->column);
                }
            }
            check_size(pc);
            compile_document(pc, root);
        }
    }
    if (pc->nomem) {
        ret = S3E_NOMEM;
        goto out;
    }
    qsort(pc->errs, pc->n_errs, sizeof pc->errs[0], cmp_perr);
    if (diag != NULL) {
        diag->n_errors = pc->total_errs;
        for (size_t i = 0; i < pc->n_errs && i < POLICY_MAX_DIAG; i++)
            diag->errors[i] = pc->errs[i].e;
        diag->n_warnings = pc->total_warns;
        memcpy(diag->warnings, pc->warns, pc->n_warns * sizeof pc->warns[0]);
    }
    if (pc->n_errs > 0) {
        ret = pc->errs[0].e.code;
        goto out;
    }
    pc->p->is_public = policy_is_public(pc->p, kind);
    *out = pc->p;
    pc->p = NULL;
    ret = S3_OK;
out:
    if (ret == S3E_NOMEM && diag != NULL) {
        diag->n_errors = 1;
        memset(&diag->errors[0], 0, sizeof diag->errors[0]);
        diag->errors[0].code = S3E_NOMEM;
        diag->errors[0].stmt = -1;
        snprintf(diag->errors[0].message, sizeof diag->errors[0].message, "Out of memory.");
    }
    if (pc != NULL) {
        policy_free(pc->p);
        jpos_release(&pc->pos);
        free(pc);
    }
    json_decref(root);
    return ret;
}

void policy_free(struct policy *p)
{
    if (p == NULL)
        return;
    pa_release(&p->arena);
    free(p);
}

enum policy_kind policy_get_kind(const struct policy *p)
{
    return p->kind;
}

const char *policy_source(const struct policy *p)
{
    return p->source;
}

size_t policy_statement_count(const struct policy *p)
{
    return p->n_stmts;
}

int policy_version_2012(const struct policy *p)
{
    return p->v2012;
}

int policy_statement_info(const struct policy *p, size_t i, struct policy_stmt_info *out)
{
    const struct pol_stmt *st;

    if (p == NULL || i >= p->n_stmts)
        return 0;
    st = &p->stmts[i];
    out->index = i;
    out->sid = st->sid;
    out->allow = st->allow;
    out->line = st->line;
    out->column = st->col;
    out->end_line = st->end_line;
    out->end_column = st->end_col;
    return 1;
}
