/*
 * auth/policy_eval.c - the decision (doc section 4).
 *
 * One "check" evaluates one resource ARN against the identity policies, the session policy
 * and one resource-based policy:
 *   1. a matching Deny anywhere -> ExplicitDeny (the bucket owner's root user keeps
 *      Get/Put/DeleteBucketPolicy even then, doc 4.4);
 *   2. same account: identity Allow (narrowed by the session policy) OR a resource-policy
 *      Allow naming the caller specifically ("*", user, role, session);
 *      other account: identity Allow AND a resource-policy Allow naming the caller or the
 *      caller's account; the root user needs no identity policy; anonymous callers need "*";
 *   3. otherwise ImplicitDeny.
 * A request through an access point runs two checks (doc 4.5, the emulator's model): the
 * access point check (access point ARN form + access point policy) and the bucket check
 * (bucket ARN form + bucket policy, identity policies included, an account grant counting for
 * the caller's own account, the cross-account identity side already settled by the first
 * check).  Explicit deny in either wins; Allow needs both.
 *
 * Nothing here allocates; scratch state lives on the stack.
 */
#include "config.h"
#include "auth/policy.h"

#include <string.h>

#include "auth/arn.h"
#include "auth/glob.h"
#include "auth/policy_int.h"

/* How a resource-policy statement's Principal matched the caller. */
enum {
    PMATCH_STAR = 1 << 0,    /* "*" (or NotPrincipal not listing the caller) */
    PMATCH_ACCOUNT = 1 << 1, /* the caller's account: delegation to that account's IAM */
    PMATCH_ROLE = 1 << 2,    /* the role of the calling session */
    PMATCH_EXACT = 1 << 3,   /* the caller's own ARN (user, session, federated user, service) */
};

struct check {
    enum authz_check which;
    const char *resource;
    size_t res_len;
    size_t action_len;
    const char *res_account;         /* NUL-terminated */
    const struct policy *const *rp;  /* resource-based policies of this check */
    size_t n_rp;
    enum authz_source rp_src;
    int ap_bucket_side;              /* bucket check of an access point request */
    const char *owner2;              /* access point owner (RestrictPublicBuckets), or NULL */
};

struct cstate {
    enum authz_decision decision;
    enum authz_reason reason;
    size_t n_deny, n_allow, n_near, n_missing;
    struct authz_match deny[AUTHZ_MAX_MATCHES];
    struct authz_match allow[AUTHZ_MAX_MATCHES];
    struct authz_match near[AUTHZ_MAX_MATCHES];
    const char *missing[AUTHZ_MAX_MISSING];
};

static int ieq(const char *a, size_t an, const char *b, size_t bn)
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

static int str_eq(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

int pol_stmt_action_matches(const struct pol_stmt *st, const char *action, size_t len)
{
    int hit = 0;

    for (uint32_t i = 0; i < st->n_actions && !hit; i++) {
        const struct pol_action *a = &st->actions[i];
        if (a->wild)
            hit = glob_match_ex(a->text, a->len, NULL, action, len, GLOB_NOCASE);
        else
            hit = ieq(a->text, a->len, action, len);
    }
    return st->not_action ? !hit : hit;
}

static int resource_matches(const struct pol_stmt *st, const struct authz_ctx *ctx,
                            const char *res, size_t rlen)
{
    static const char all_s3[] = "arn:aws:s3:::*";
    int hit = 0;
    /* ListAllMyBuckets has no resource type (request resource "*"); AWS's own examples grant it
     * on arn:aws:s3:::*, so such a statement counts too (doc 2.2). */
    int alt = rlen == 1 && res[0] == '*' && ctx->action != NULL &&
              ieq(ctx->action, strlen(ctx->action), "s3:ListAllMyBuckets", 19);

    if (!st->has_resource)
        return 1; /* trust policies name no resource */
    for (uint32_t i = 0; i < st->n_resources && !hit; i++) {
        hit = pol_pat_match(&st->resources[i], ctx, res, rlen) ||
              (alt && pol_pat_match(&st->resources[i], ctx, all_s3, sizeof all_s3 - 1));
    }
    return st->not_resource ? !hit : hit;
}

/* Principal (or NotPrincipal) of a resource-policy statement against the caller. */
static unsigned principal_match(const struct pol_stmt *st, const struct authz_ctx *ctx)
{
    unsigned m = 0;
    int anon = ctx->principal_kind == AUTHZ_ANONYMOUS;

    if (st->principal_mode == PM_NONE)
        return 0;
    if (st->principal_mode == PM_NOT_PRINCIPAL) {
        /* NotPrincipal lists are matched literally: an account entry exempts only the
         * account's root user, a role entry none of its sessions (doc 2.3). */
        for (uint32_t i = 0; i < st->n_principals; i++) {
            const struct pol_principal *pp = &st->principals[i];
            int listed = 0;
            switch (pp->type) {
            case PP_STAR:
                listed = 1;
                break;
            case PP_ACCOUNT:
                listed = !anon && ctx->principal_kind == AUTHZ_ROOT &&
                         str_eq(ctx->principal_account, pp->value);
                break;
            case PP_USER:
            case PP_SESSION:
            case PP_FEDERATED_USER:
                listed = !anon && str_eq(ctx->principal_arn, pp->value);
                break;
            case PP_SERVICE:
                listed = ctx->principal_kind == AUTHZ_SERVICE && str_eq(ctx->service, pp->value);
                break;
            default:
                break;
            }
            if (listed)
                return 0;
        }
        return PMATCH_STAR;
    }
    for (uint32_t i = 0; i < st->n_principals; i++) {
        const struct pol_principal *pp = &st->principals[i];
        switch (pp->type) {
        case PP_STAR:
            m |= PMATCH_STAR;
            break;
        case PP_ACCOUNT:
            if (!anon && ctx->principal_kind != AUTHZ_SERVICE &&
                str_eq(ctx->principal_account, pp->value))
                m |= PMATCH_ACCOUNT;
            break;
        case PP_USER:
        case PP_SESSION:
        case PP_FEDERATED_USER:
            if (!anon && str_eq(ctx->principal_arn, pp->value))
                m |= PMATCH_EXACT;
            break;
        case PP_ROLE:
            if (ctx->principal_kind == AUTHZ_ROLE_SESSION &&
                (ctx->role_arn ? str_eq(ctx->role_arn, pp->value)
                               : arn_session_of_role(ctx->principal_arn, pp->value)))
                m |= PMATCH_ROLE;
            break;
        case PP_SERVICE:
            if (ctx->principal_kind == AUTHZ_SERVICE && str_eq(ctx->service, pp->value))
                m |= PMATCH_EXACT;
            break;
        default:
            break; /* Federated/CanonicalUser/deleted ids: callers of those kinds are not modelled */
        }
    }
    return m;
}

static void note_missing(struct cstate *cs, const struct pol_cond *c)
{
    for (size_t i = 0; i < cs->n_missing; i++)
        if (ieq(cs->missing[i], strlen(cs->missing[i]), c->key, c->key_len))
            return;
    if (cs->n_missing < AUTHZ_MAX_MISSING)
        cs->missing[cs->n_missing++] = c->key;
}

static int miss_rank(enum authz_miss m)
{
    switch (m) {
    case AUTHZ_MISS_NONE:
        return 0;
    case AUTHZ_MISS_CONDITION:
        return 1;
    case AUTHZ_MISS_BLOCKED:
        return 2;
    case AUTHZ_MISS_PRINCIPAL:
        return 3;
    default:
        return 4;
    }
}

static void add_near(struct cstate *cs, const struct authz_match *m)
{
    size_t worst = 0;

    if (cs->n_near < AUTHZ_MAX_MATCHES) {
        cs->near[cs->n_near++] = *m;
        return;
    }
    for (size_t i = 1; i < cs->n_near; i++)
        if (miss_rank(cs->near[i].miss) >= miss_rank(cs->near[worst].miss))
            worst = i;
    if (miss_rank(m->miss) < miss_rank(cs->near[worst].miss))
        cs->near[worst] = *m;
}

static void add_match(struct authz_match *arr, size_t *n, const struct authz_match *m)
{
    if (*n < AUTHZ_MAX_MATCHES)
        arr[*n] = *m;
    (*n)++;
}

/*
 * Does statement st apply to this request?  is_rp: st belongs to a resource-based policy
 * (Principal is checked, *pmask receives how it matched).  On a near miss of an Allow
 * statement, *miss describes it.
 */
static int stmt_applies(const struct pol_stmt *st, const struct authz_ctx *ctx,
                        const struct check *ck, int is_rp, unsigned *pmask,
                        struct authz_match *miss, struct cstate *cs)
{
    int ok = 1;

    miss->miss = AUTHZ_MISS_NONE;
    if (!pol_stmt_action_matches(st, ctx->action, ck->action_len))
        return 0;
    if (!resource_matches(st, ctx, ck->resource, ck->res_len)) {
        miss->miss = AUTHZ_MISS_RESOURCE;
        return 0;
    }
    if (is_rp) {
        *pmask = principal_match(st, ctx);
        if (*pmask == 0) {
            miss->miss = AUTHZ_MISS_PRINCIPAL;
            return 0;
        }
    }
    for (uint32_t i = 0; i < st->n_conds; i++) {
        const struct pol_cond *c = &st->conds[i];
        const struct authz_key *req;
        if (!ok) {
            /* already failed: only learn which keys the request lacks */
            if (authz_key_find(ctx, c->key, c->key_len) == NULL)
                note_missing(cs, c);
            continue;
        }
        if (!pol_cond_eval(c, ctx, &req)) {
            ok = 0;
            miss->miss = AUTHZ_MISS_CONDITION;
            miss->cond.op = c->op;
            miss->cond.key = c->key;
            miss->cond.req = req;
            miss->cond.pol_values = c->strs;
            miss->cond.n_pol_values = c->n_vals;
        }
        if (req == NULL)
            note_missing(cs, c);
    }
    return ok;
}

static void set_match(struct authz_match *m, const struct policy *p, const struct pol_stmt *st,
                      enum authz_source src, enum authz_check which)
{
    m->policy = p;
    m->stmt = st->index;
    m->src = src;
    m->check = which;
}

/* Scan the Deny statements of one policy.  Returns 1 if one applies. */
static int scan_deny(const struct policy *p, enum authz_source src, int is_rp,
                     const struct authz_ctx *ctx, const struct check *ck, struct cstate *cs)
{
    int found = 0;

    for (uint32_t i = 0; i < p->n_stmts; i++) {
        const struct pol_stmt *st = &p->stmts[i];
        struct authz_match m;
        unsigned mask = 0;
        if (st->allow)
            continue;
        memset(&m, 0, sizeof m);
        if (stmt_applies(st, ctx, ck, is_rp, &mask, &m, cs)) {
            set_match(&m, p, st, src, ck->which);
            m.miss = AUTHZ_MISS_NONE;
            add_match(cs->deny, &cs->n_deny, &m);
            found = 1;
            if (!(ctx->flags & AUTHZ_F_ALL_MATCHES))
                return 1;
        }
    }
    return found;
}

/* Scan the Allow statements of one policy.  Returns the OR of principal masks of applying
 * statements (identity policies: 1 if one applies).  *blocked is set when RestrictPublicBuckets
 * discarded an applying statement. */
static unsigned scan_allow(const struct policy *p, enum authz_source src, int is_rp, int ignore,
                           const struct authz_ctx *ctx, const struct check *ck, struct cstate *cs,
                           int *blocked)
{
    unsigned result = 0;

    for (uint32_t i = 0; i < p->n_stmts; i++) {
        const struct pol_stmt *st = &p->stmts[i];
        struct authz_match m;
        unsigned mask = 0;
        if (!st->allow)
            continue;
        memset(&m, 0, sizeof m);
        if (stmt_applies(st, ctx, ck, is_rp, &mask, &m, cs)) {
            set_match(&m, p, st, src, ck->which);
            if (ignore) {
                m.miss = AUTHZ_MISS_BLOCKED;
                add_near(cs, &m);
                *blocked = 1;
                continue;
            }
            add_match(cs->allow, &cs->n_allow, &m);
            result |= is_rp ? mask : 1u;
            if (!is_rp && !(ctx->flags & AUTHZ_F_ALL_MATCHES))
                return result;
        } else if (m.miss != AUTHZ_MISS_NONE) {
            set_match(&m, p, st, src, ck->which);
            add_near(cs, &m);
        }
    }
    return result;
}

static int is_policy_action(const char *a)
{
    size_t n = strlen(a);
    return ieq(a, n, "s3:GetBucketPolicy", 18) || ieq(a, n, "s3:PutBucketPolicy", 18) ||
           ieq(a, n, "s3:DeleteBucketPolicy", 21);
}

static void run_check(const struct authz_policies *pols, const struct authz_ctx *ctx,
                      const struct check *ck, struct cstate *cs)
{
    enum authz_principal_kind kind = ctx->principal_kind;
    int anon = kind == AUTHZ_ANONYMOUS;
    int same = !anon && ctx->principal_account != NULL &&
               (ck->res_account == NULL || strcmp(ck->res_account, ctx->principal_account) == 0);
    int deny_src = -1, blocked = 0, restrict_rp = 0;
    unsigned id_allow = 0, sess_allow = 1, grant = 0;

    cs->n_deny = cs->n_allow = cs->n_near = cs->n_missing = 0;

    /* The bucket owner's root user cannot be locked out of the bucket policy (doc 4.4). */
    if (kind == AUTHZ_ROOT && same && ck->which != AUTHZ_CHECK_ACCESS_POINT &&
        is_policy_action(ctx->action)) {
        cs->decision = AUTHZ_ALLOW;
        cs->reason = AUTHZ_R_ROOT_LOCKOUT;
        return;
    }

    /* 1. explicit deny anywhere */
    if (!anon && kind != AUTHZ_SERVICE) {
        for (size_t i = 0; i < pols->n_identity && (deny_src < 0 || (ctx->flags & AUTHZ_F_ALL_MATCHES)); i++)
            if (pols->identity[i] && scan_deny(pols->identity[i], AUTHZ_SRC_IDENTITY, 0, ctx, ck, cs) &&
                deny_src < 0)
                deny_src = AUTHZ_SRC_IDENTITY;
        if (pols->session && (deny_src < 0 || (ctx->flags & AUTHZ_F_ALL_MATCHES)) &&
            scan_deny(pols->session, AUTHZ_SRC_SESSION, 0, ctx, ck, cs) && deny_src < 0)
            deny_src = AUTHZ_SRC_SESSION;
    }
    for (size_t i = 0; i < ck->n_rp && (deny_src < 0 || (ctx->flags & AUTHZ_F_ALL_MATCHES)); i++)
        if (ck->rp[i] && scan_deny(ck->rp[i], ck->rp_src, 1, ctx, ck, cs) && deny_src < 0)
            deny_src = (int)ck->rp_src;
    if (deny_src >= 0) {
        cs->decision = AUTHZ_EXPLICIT_DENY;
        cs->reason = deny_src == AUTHZ_SRC_IDENTITY  ? AUTHZ_R_DENY_IDENTITY
                     : deny_src == AUTHZ_SRC_SESSION ? AUTHZ_R_DENY_SESSION
                                                     : AUTHZ_R_DENY_RESOURCE;
        return;
    }

    /* 2. allows */
    if (!anon && kind != AUTHZ_SERVICE && kind != AUTHZ_ROOT) {
        for (size_t i = 0; i < pols->n_identity && (!id_allow || (ctx->flags & AUTHZ_F_ALL_MATCHES)); i++)
            if (pols->identity[i])
                id_allow |= scan_allow(pols->identity[i], AUTHZ_SRC_IDENTITY, 0, 0, ctx, ck, cs,
                                       &blocked);
        if (pols->session)
            sess_allow = scan_allow(pols->session, AUTHZ_SRC_SESSION, 0, 0, ctx, ck, cs, &blocked);
    }
    /* RestrictPublicBuckets: a public resource policy grants nothing to callers outside the
     * owning account(s), AWS service principals excepted (doc 4.6). */
    if ((ctx->bpa & AUTHZ_BPA_RESTRICT_PUBLIC_BUCKETS) && kind != AUTHZ_SERVICE &&
        (anon || !(same || str_eq(ck->owner2, ctx->principal_account))))
        restrict_rp = 1;
    for (size_t i = 0; i < ck->n_rp; i++)
        if (ck->rp[i])
            grant |= scan_allow(ck->rp[i], ck->rp_src, 1, restrict_rp && ck->rp[i]->is_public,
                                ctx, ck, cs, &blocked);

    /* 3. decide */
    cs->decision = AUTHZ_IMPLICIT_DENY;
    switch (kind) {
    case AUTHZ_ROOT:
        if (same || grant) {
            cs->decision = AUTHZ_ALLOW;
            cs->reason = same ? AUTHZ_R_ROOT : AUTHZ_R_ALLOWED;
        } else {
            cs->reason = blocked ? AUTHZ_R_PUBLIC_BLOCKED : AUTHZ_R_NO_RESOURCE_ALLOW;
        }
        break;
    case AUTHZ_ANONYMOUS:
    case AUTHZ_SERVICE:
        if (grant & (PMATCH_STAR | PMATCH_EXACT)) {
            cs->decision = AUTHZ_ALLOW;
            cs->reason = AUTHZ_R_ALLOWED;
        } else {
            cs->reason = blocked ? AUTHZ_R_PUBLIC_BLOCKED : AUTHZ_R_NO_RESOURCE_ALLOW;
        }
        break;
    default: {
        int id_side = id_allow && sess_allow;
        int allowed;
        if (same) {
            /* A grant to the session ARN itself is not narrowed by the session policy; one
             * to the role ARN or to "*" is (doc 4.2). */
            int rgrant = (grant & PMATCH_EXACT) ||
                         ((grant & (PMATCH_ROLE | PMATCH_STAR)) && sess_allow) ||
                         (ck->ap_bucket_side && (grant & PMATCH_ACCOUNT));
            allowed = id_side || rgrant;
            if (!allowed)
                cs->reason = (id_allow && !sess_allow) ? AUTHZ_R_NO_SESSION_ALLOW
                                                       : AUTHZ_R_NO_IDENTITY_ALLOW;
        } else {
            int idok = ck->ap_bucket_side || id_side;
            allowed = idok && grant != 0;
            if (!allowed) {
                if (!idok)
                    cs->reason = (id_allow && !sess_allow) ? AUTHZ_R_NO_SESSION_ALLOW
                                                           : AUTHZ_R_NO_IDENTITY_ALLOW;
                else
                    cs->reason = blocked ? AUTHZ_R_PUBLIC_BLOCKED : AUTHZ_R_NO_RESOURCE_ALLOW;
            }
        }
        if (allowed) {
            cs->decision = AUTHZ_ALLOW;
            cs->reason = AUTHZ_R_ALLOWED;
        }
        break;
    }
    }
}

/* Copy a check's outcome into the result. */
static void merge(struct authz_result *out, const struct cstate *cs, int want_allow,
                  int want_deny, int want_near)
{
    if (want_deny) {
        for (size_t i = 0; i < cs->n_deny && i < AUTHZ_MAX_MATCHES; i++)
            add_match(out->deciding, &out->n_deciding, &cs->deny[i]);
        if (cs->n_deny > AUTHZ_MAX_MATCHES)
            out->n_deciding += cs->n_deny - AUTHZ_MAX_MATCHES;
    }
    if (want_allow) {
        for (size_t i = 0; i < cs->n_allow && i < AUTHZ_MAX_MATCHES; i++)
            add_match(out->deciding, &out->n_deciding, &cs->allow[i]);
        if (cs->n_allow > AUTHZ_MAX_MATCHES)
            out->n_deciding += cs->n_allow - AUTHZ_MAX_MATCHES;
    }
    if (want_near) {
        /* statements that applied but were not enough on their own come first */
        for (size_t i = 0; i < cs->n_allow && i < AUTHZ_MAX_MATCHES; i++) {
            if (out->n_near < AUTHZ_MAX_MATCHES) {
                out->near[out->n_near] = cs->allow[i];
                out->near[out->n_near++].miss = AUTHZ_MISS_NONE;
            }
        }
        for (int rank = 1; rank <= 4; rank++)
            for (size_t i = 0; i < cs->n_near; i++)
                if (miss_rank(cs->near[i].miss) == rank && out->n_near < AUTHZ_MAX_MATCHES)
                    out->near[out->n_near++] = cs->near[i];
    }
    for (size_t i = 0; i < cs->n_missing; i++) {
        int dup = 0;
        for (size_t j = 0; j < out->n_missing; j++)
            if (strcmp(out->missing[j], cs->missing[i]) == 0)
                dup = 1;
        if (!dup && out->n_missing < AUTHZ_MAX_MISSING)
            out->missing[out->n_missing++] = cs->missing[i];
    }
}

static void finish(struct authz_result *out, const struct cstate *cs)
{
    out->decision = cs->decision;
    out->reason = cs->reason;
    merge(out, cs, cs->decision == AUTHZ_ALLOW, cs->decision == AUTHZ_EXPLICIT_DENY,
          cs->decision == AUTHZ_IMPLICIT_DENY);
}

void authz_evaluate(const struct authz_policies *pols, const struct authz_ctx *ctx,
                    struct authz_result *out)
{
    static const struct authz_policies none;
    struct cstate a, b;
    struct check ck;

    out->n_deciding = out->n_near = out->n_missing = 0;
    out->check = AUTHZ_CHECK_DIRECT;
    out->decision = AUTHZ_IMPLICIT_DENY;
    out->reason = AUTHZ_R_NO_IDENTITY_ALLOW;
    if (pols == NULL)
        pols = &none;
    out->same_account = ctx->principal_kind != AUTHZ_ANONYMOUS && ctx->principal_account &&
                        (ctx->resource_account == NULL ||
                         strcmp(ctx->resource_account, ctx->principal_account) == 0);
    if (ctx->action == NULL || ctx->resource == NULL)
        return;

    memset(&ck, 0, sizeof ck);
    ck.action_len = strlen(ctx->action);
    if (ctx->access_point_arn == NULL || ctx->bucket_resource == NULL) {
        ck.which = AUTHZ_CHECK_DIRECT;
        ck.resource = ctx->resource;
        ck.res_len = strlen(ctx->resource);
        ck.res_account = ctx->resource_account;
        ck.rp = pols->resource;
        ck.n_rp = pols->n_resource;
        ck.rp_src = AUTHZ_SRC_RESOURCE;
        run_check(pols, ctx, &ck, &a);
        finish(out, &a);
        return;
    }

    /* Through an access point: the access point check, then the bucket check. */
    char ap_account[64];
    struct s3_str acct;
    const char *apa = NULL;
    if (arn_access_point_parse(ctx->access_point_arn, strlen(ctx->access_point_arn), &acct, NULL,
                               NULL, NULL) &&
        acct.len < sizeof ap_account) {
        memcpy(ap_account, acct.p, acct.len);
        ap_account[acct.len] = 0;
        apa = ap_account;
    }
    ck.which = AUTHZ_CHECK_ACCESS_POINT;
    ck.resource = ctx->resource;
    ck.res_len = strlen(ctx->resource);
    ck.res_account = apa ? apa : ctx->resource_account;
    ck.rp = pols->access_point;
    ck.n_rp = pols->n_access_point;
    ck.rp_src = AUTHZ_SRC_ACCESS_POINT;
    ck.owner2 = ctx->resource_account;
    run_check(pols, ctx, &ck, &a);

    ck.which = AUTHZ_CHECK_BUCKET;
    ck.resource = ctx->bucket_resource;
    ck.res_len = strlen(ctx->bucket_resource);
    ck.res_account = ctx->resource_account;
    ck.rp = pols->resource;
    ck.n_rp = pols->n_resource;
    ck.rp_src = AUTHZ_SRC_RESOURCE;
    ck.ap_bucket_side = 1;
    ck.owner2 = apa;
    run_check(pols, ctx, &ck, &b);

    if (a.decision == AUTHZ_EXPLICIT_DENY || b.decision == AUTHZ_EXPLICIT_DENY) {
        out->decision = AUTHZ_EXPLICIT_DENY;
        out->check = a.decision == AUTHZ_EXPLICIT_DENY ? AUTHZ_CHECK_ACCESS_POINT : AUTHZ_CHECK_BUCKET;
        out->reason = a.decision == AUTHZ_EXPLICIT_DENY ? a.reason : b.reason;
        merge(out, &a, 0, a.decision == AUTHZ_EXPLICIT_DENY, 0);
        merge(out, &b, 0, b.decision == AUTHZ_EXPLICIT_DENY, 0);
    } else if (a.decision == AUTHZ_ALLOW && b.decision == AUTHZ_ALLOW) {
        out->decision = AUTHZ_ALLOW;
        out->reason = (a.reason == AUTHZ_R_ROOT && b.reason == AUTHZ_R_ROOT) ? AUTHZ_R_ROOT
                                                                             : AUTHZ_R_ALLOWED;
        merge(out, &a, 1, 0, 0);
        merge(out, &b, 1, 0, 0);
    } else {
        out->decision = AUTHZ_IMPLICIT_DENY;
        out->check = a.decision != AUTHZ_ALLOW ? AUTHZ_CHECK_ACCESS_POINT : AUTHZ_CHECK_BUCKET;
        out->reason = a.decision != AUTHZ_ALLOW ? a.reason : b.reason;
        /* Only the bucket side failed: what is missing is the bucket's (resource-based)
         * permission for requests through the access point. */
        if (out->check == AUTHZ_CHECK_BUCKET && out->reason == AUTHZ_R_NO_IDENTITY_ALLOW)
            out->reason = AUTHZ_R_NO_RESOURCE_ALLOW;
        if (a.decision != AUTHZ_ALLOW)
            merge(out, &a, 0, 0, 1);
        if (b.decision != AUTHZ_ALLOW)
            merge(out, &b, 0, 0, 1);
        /* The check that passed: its grants were not enough on their own. */
        if (a.decision == AUTHZ_ALLOW || b.decision == AUTHZ_ALLOW) {
            const struct cstate *ok = a.decision == AUTHZ_ALLOW ? &a : &b;
            for (size_t i = 0; i < ok->n_allow && i < AUTHZ_MAX_MATCHES; i++) {
                if (out->n_near < AUTHZ_MAX_MATCHES) {
                    out->near[out->n_near] = ok->allow[i];
                    out->near[out->n_near++].miss = AUTHZ_MISS_NONE;
                }
            }
        }
    }
}
