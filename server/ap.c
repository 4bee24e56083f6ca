/*
 * server/ap.c - access point records, routing, and the S3 Control API (see ap.h).
 *
 * Stored form: account attribute "accesspoints", one record per line, fields separated by TAB:
 *   name  bucket  bucket_account  region  alias  network_origin  vpc_id  pab(4 digits)
 *   created_ms  base64(policy) or "-"
 */
#include "config.h"
#include "server/ap.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "auth/policy.h"
#include "server/authn.h"
#include "server/bpol.h"
#include "server/ops.h"
#include "server/xml.h"

#define S3C_XMLNS "http://awss3control.amazonaws.com/doc/2018-08-20/"

void ap_release(struct ap *a)
{
    if (a) {
        free(a->policy);
        a->policy = NULL;
    }
}

void ap_arn(const struct ap *a, char *out, size_t n)
{
    snprintf(out, n, "arn:aws:s3:%s:%s:accesspoint/%s", a->region, a->account, a->name);
}

int ap_name_valid(const char *name, const char **why)
{
    size_t n = strlen(name);
    if (n < 3 || n > 50) {
        *why = "Access point names must be between 3 and 50 characters long.";
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') || name[i] == '-')) {
            *why = "Access point names can contain only lowercase letters, numbers and hyphens (-).";
            return 0;
        }
    if (name[0] == '-' || name[n - 1] == '-') {
        *why = "Access point names must begin and end with a lowercase letter or a number.";
        return 0;
    }
    if (n > 8 && !strcmp(name + n - 8, "-s3alias")) {
        *why = "Access point names must not end with the suffix -s3alias.";
        return 0;
    }
    if (!strncmp(name, "xn--", 4)) {
        *why = "Access point names must not begin with xn--.";
        return 0;
    }
    return 1;
}

s3_err ap_make_alias(const char *name, char *out, size_t n)
{
    static const char al[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    unsigned char rnd[34];
    char rs[35];
    if (RAND_bytes(rnd, sizeof(rnd)) != 1)
        return S3E_INTERNAL;
    for (size_t i = 0; i < sizeof(rnd); i++)
        rs[i] = al[rnd[i] % 36];
    rs[34] = 0;
    snprintf(out, n, "%s-%s-s3alias", name, rs);
    return S3_OK;
}

/* ------------------------------------------------------------------ (de)serialization */

static int parse_line(char *line, const char *account, struct ap *a)
{
    char *f[10];
    int n = 0;
    char *p = line;

    memset(a, 0, sizeof(*a));
    while (n < 10) {
        f[n++] = p;
        char *tab = strchr(p, '\t');
        if (tab == NULL)
            break;
        *tab = 0;
        p = tab + 1;
    }
    if (n != 10)
        return 0;
    snprintf(a->name, sizeof(a->name), "%s", f[0]);
    snprintf(a->account, sizeof(a->account), "%s", account);
    snprintf(a->bucket, sizeof(a->bucket), "%s", f[1]);
    snprintf(a->bucket_account, sizeof(a->bucket_account), "%s", f[2]);
    snprintf(a->region, sizeof(a->region), "%s", f[3]);
    snprintf(a->alias, sizeof(a->alias), "%s", f[4]);
    snprintf(a->network_origin, sizeof(a->network_origin), "%s", f[5]);
    snprintf(a->vpc_id, sizeof(a->vpc_id), "%s", strcmp(f[6], "-") ? f[6] : "");
    a->pab.present = 1;
    for (int i = 0; i < 4 && f[7][i]; i++)
        a->pab.v[i] = f[7][i] == '1';
    a->created_ms = strtoll(f[8], NULL, 10);
    if (strcmp(f[9], "-") != 0) {
        size_t l = strlen(f[9]);
        unsigned char *dec = malloc(l + 1);
        long dl = dec ? s3_base64_decode(s3_cstr(f[9]), dec, l) : -1;
        if (dl < 0) {
            free(dec);
            return 0;
        }
        dec[dl] = 0;
        a->policy = (char *)dec;
    }
    return 1;
}

static void write_line(struct s3_buf *b, const struct ap *a)
{
    buf_addf(b, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d%d%d%d\t%" PRId64 "\t", a->name, a->bucket, a->bucket_account, a->region,
             a->alias, a->network_origin, a->vpc_id[0] ? a->vpc_id : "-", a->pab.v[0], a->pab.v[1], a->pab.v[2],
             a->pab.v[3], a->created_ms);
    if (a->policy)
        buf_add_base64(b, (const unsigned char *)a->policy, strlen(a->policy));
    else
        buf_adds(b, "-");
    buf_addc(b, '\n');
}

s3_err ap_list(struct s3_server *srv, const char *account, const char *bucket, struct ap **out, size_t *n)
{
    char *doc = NULL, *line, *save = NULL;
    size_t cap = 0;
    s3_err e;

    *out = NULL;
    *n = 0;
    e = stor_account_attr_get(srv->stor, account, "accesspoints", &doc);
    if (e == S3E_NO_SUCH_KEY)
        return S3_OK;
    if (e != S3_OK)
        return e;
    for (line = strtok_r(doc, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        struct ap a;
        if (!parse_line(line, account, &a))
            continue;
        if (bucket && strcmp(bucket, a.bucket) != 0) {
            ap_release(&a);
            continue;
        }
        if (*n == cap) {
            size_t nc = cap ? cap * 2 : 8;
            struct ap *na = realloc(*out, nc * sizeof(*na));
            if (na == NULL) {
                ap_release(&a);
                e = S3E_NOMEM;
                break;
            }
            *out = na;
            cap = nc;
        }
        (*out)[(*n)++] = a;
    }
    free(doc);
    return e;
}

static void ap_list_free(struct ap *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ap_release(&v[i]);
    free(v);
}

s3_err ap_get(struct s3_server *srv, const char *account, const char *name, struct ap *out)
{
    struct ap *v = NULL;
    size_t n = 0;
    s3_err e = ap_list(srv, account, NULL, &v, &n);
    memset(out, 0, sizeof(*out));
    if (e != S3_OK)
        return e;
    e = S3E_NO_SUCH_ACCESS_POINT;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i].name, name)) {
            *out = v[i];
            v[i].policy = NULL;
            e = S3_OK;
            break;
        }
    ap_list_free(v, n);
    return e;
}

s3_err ap_by_alias(struct s3_server *srv, const char *alias, struct ap *out)
{
    /* Aliases are unique across accounts: look in every account this server hosts. */
    memset(out, 0, sizeof(*out));
    for (size_t k = 0; k < srv->cfg->n_accounts; k++) {
        struct ap *v = NULL;
        size_t n = 0;
        s3_err e = ap_list(srv, srv->cfg->accounts[k].id, NULL, &v, &n);
        if (e != S3_OK)
            return e;
        for (size_t i = 0; i < n; i++)
            if (!strcmp(v[i].alias, alias)) {
                *out = v[i];
                v[i].policy = NULL;
                ap_list_free(v, n);
                return S3_OK;
            }
        ap_list_free(v, n);
    }
    return S3E_NO_SUCH_ACCESS_POINT;
}

/* Rewrite the account's document with a changed set: replace (a != NULL) or drop the named
 * record; create fails when the name exists. */
static s3_err ap_save(struct s3_server *srv, const char *account, const char *name, const struct ap *a, int create)
{
    struct ap *v = NULL;
    size_t n = 0;
    struct s3_buf b;
    int found = 0;
    s3_err e = ap_list(srv, account, NULL, &v, &n);

    if (e != S3_OK)
        return e;
    buf_init(&b, 0);
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(v[i].name, name)) {
            found = 1;
            if (a && !create)
                write_line(&b, a);
        } else {
            write_line(&b, &v[i]);
        }
    }
    if (create && found)
        e = S3E_AP_EXISTS;
    else if (!create && !found)
        e = S3E_NO_SUCH_ACCESS_POINT;
    else {
        if (create)
            write_line(&b, a);
        e = stor_account_attr_set(srv->stor, account, "accesspoints", b.len ? b.p : NULL);
    }
    buf_release(&b);
    ap_list_free(v, n);
    return e;
}

s3_err ap_create(struct s3_server *srv, struct ap *a) { return ap_save(srv, a->account, a->name, a, 1); }
s3_err ap_update(struct s3_server *srv, const struct ap *a) { return ap_save(srv, a->account, a->name, a, 0); }
s3_err ap_delete(struct s3_server *srv, const char *account, const char *name)
{
    return ap_save(srv, account, name, NULL, 0);
}

/* ------------------------------------------------------------------ routing */

static void ap_to_req(struct s3_req *r, const struct ap *a, const char *via)
{
    r->ap.active = 1;
    snprintf(r->ap.name, sizeof(r->ap.name), "%s", a->name);
    snprintf(r->ap.account, sizeof(r->ap.account), "%s", a->account);
    ap_arn(a, r->ap.arn, sizeof(r->ap.arn));
    snprintf(r->ap.network_origin, sizeof(r->ap.network_origin), "%s", a->network_origin);
    snprintf(r->ap.via, sizeof(r->ap.via), "%s", via);
}

s3_err ap_route(struct s3_req *r, const char *label)
{
    struct ap a;
    s3_err e;
    size_t n;

    if (label == NULL)
        return S3_OK;
    n = strlen(label);
    /* The alias, used as a bucket name (path or virtual-host style). */
    if (n > 8 && !strcmp(label + n - 8, "-s3alias")) {
        if ((e = ap_by_alias(r->srv, label, &a)) != S3_OK)
            return req_fail(r, e == S3E_NO_SUCH_ACCESS_POINT ? S3E_NO_SUCH_BUCKET : e,
                            "No access point has the alias '%s' (it may have been deleted).", label);
        ap_to_req(r, &a, "alias");
    } else if (n > 13 && label[n - 13] == '-' && strspn(label + n - 12, "0123456789") == 12) {
        /* NAME-ACCOUNT: what clients make of an access point ARN. */
        char name[128], acct[13];
        if (n - 13 >= sizeof(name))
            return S3_OK;
        memcpy(name, label, n - 13);
        name[n - 13] = 0;
        memcpy(acct, label + n - 12, 13);
        if ((e = ap_get(r->srv, acct, name, &a)) != S3_OK) {
            if (e != S3E_NO_SUCH_ACCESS_POINT)
                return req_fail(r, e, NULL);
            /* A bucket may legitimately be named like that; only an account we host makes it
             * an access point address. */
            if (conf_account_by_id(r->srv->cfg, acct) == NULL)
                return S3_OK;
            struct stor_bucket b;
            if (stor_bucket_get(r->srv->stor, label, &b) == S3_OK) {
                stor_bucket_release(&b);
                return S3_OK;
            }
            return req_fail(r, S3E_NO_SUCH_ACCESS_POINT, "The specified accesspoint does not exist: %s (account %s)",
                            name, acct);
        }
        ap_to_req(r, &a, "arn-host");
    } else {
        return S3_OK;
    }
    free(r->bucket);
    r->bucket = strdup(a.bucket);
    ap_release(&a);
    return r->bucket ? S3_OK : S3E_NOMEM;
}

/* ------------------------------------------------------------------ S3 Control */

static void write_pab(struct xml_w *w, const struct pab *p)
{
    static const char *const names[4] = { "BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy",
                                          "RestrictPublicBuckets" };
    xw_open(w, "PublicAccessBlockConfiguration");
    for (int i = 0; i < 4; i++)
        xw_elem_bool(w, names[i], p->v[i]);
    xw_close(w);
}

static s3_err parse_body(struct s3_req *r, const char *root, struct xml_doc **d)
{
    const char *why;
    s3_err e = xml_parse(buf_str(&r->body_buf), root, d, &why);
    return e == S3_OK ? S3_OK : req_fail(r, e, "%s", why);
}

static s3_err s3c_create(struct s3_req *r, const char *account, const char *name)
{
    struct xml_doc *d = NULL;
    struct ap a;
    struct stor_bucket b;
    const char *why;
    char *bucket = NULL, *vpc = NULL;
    char arn[256];
    struct xml_w w;
    s3_err e;

    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    /* AWS answers InvalidURI for names it cannot even place in a URI (length, '_', capitals)
     * and InvalidRequest for the other naming rules. */
    if (strlen(name) < 3 || strlen(name) > 50 || strpbrk(name, "_ABCDEFGHIJKLMNOPQRSTUVWXYZ") != NULL)
        return req_fail(r, S3E_INVALID_URI, "Couldn't parse the specified URI.");
    if (!ap_name_valid(name, &why))
        return req_fail(r, S3E_INVALID_REQUEST, "Your Amazon S3 AccessPoint name is invalid: %s", why);
    if ((e = parse_body(r, "CreateAccessPointRequest", &d)) != S3_OK)
        return e;
    bucket = xml_child_text(xml_root(d), "Bucket");
    const struct xml_node *vc = xml_child(xml_root(d), "VpcConfiguration");
    vpc = vc ? xml_child_text(vc, "VpcId") : NULL;
    if (bucket == NULL || bucket[0] == 0) {
        e = req_fail(r, S3E_MALFORMED_XML, "CreateAccessPoint needs a Bucket.");
        goto out;
    }
    if ((e = stor_bucket_get(r->srv->stor, bucket, &b)) != S3_OK) {
        e = req_fail(r, S3E_INVALID_REQUEST, "The bucket '%s' does not exist.", bucket);
        goto out;
    }
    snprintf(a.name, sizeof(a.name), "%s", name);
    snprintf(a.account, sizeof(a.account), "%s", account);
    snprintf(a.region, sizeof(a.region), "%s", b.region);
    ap_arn(&a, arn, sizeof(arn));
    if ((e = authz_s3_resource(r, "s3:CreateAccessPoint", arn, account)) != S3_OK)
        goto out;
    snprintf(a.bucket, sizeof(a.bucket), "%s", bucket);
    snprintf(a.bucket_account, sizeof(a.bucket_account), "%s", b.owner_account);
    snprintf(a.network_origin, sizeof(a.network_origin), "%s", vpc && vpc[0] ? "VPC" : "Internet");
    snprintf(a.vpc_id, sizeof(a.vpc_id), "%s", vpc ? vpc : "");
    /* Block Public Access of the access point: all on unless the request says otherwise. */
    a.pab.present = 1;
    for (int i = 0; i < 4; i++)
        a.pab.v[i] = 1;
    const struct xml_node *pn = xml_child(xml_root(d), "PublicAccessBlockConfiguration");
    if (pn) {
        static const char *const names[4] = { "BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy",
                                              "RestrictPublicBuckets" };
        for (int i = 0; i < 4; i++) {
            char *t = xml_child_text(pn, names[i]);
            if (t)
                a.pab.v[i] = !strcmp(t, "true");
            free(t);
        }
    }
    a.created_ms = (int64_t)time(NULL) * 1000;
    if ((e = ap_make_alias(name, a.alias, sizeof(a.alias))) != S3_OK)
        goto out;
    if ((e = ap_create(r->srv, &a)) != S3_OK) {
        if (e == S3E_AP_EXISTS)
            e = req_fail(r, e, "Your previous request to create the named accesspoint (%s) succeeded and you already own it.", name);
        goto out;
    }
    xw_begin(&w, &r->resp.body, "CreateAccessPointResult", S3C_XMLNS);
    xw_elem(&w, "AccessPointArn", arn);
    xw_elem(&w, "Alias", a.alias);
    xw_end(&w);
    resp_header(r, "Content-Type", "application/xml");
out:
    stor_bucket_release(&b);
    xml_free(d);
    free(bucket);
    free(vpc);
    ap_release(&a);
    return e;
}

static void ap_fields(struct xml_w *w, const struct ap *a, int full)
{
    char arn[256];
    ap_arn(a, arn, sizeof(arn));
    xw_elem(w, "Name", a->name);
    xw_elem(w, "Bucket", a->bucket);
    xw_elem(w, "NetworkOrigin", a->network_origin);
    if (a->vpc_id[0]) {
        xw_open(w, "VpcConfiguration");
        xw_elem(w, "VpcId", a->vpc_id);
        xw_close(w);
    }
    if (full) {
        write_pab(w, &a->pab);
        xw_elem_time(w, "CreationDate", a->created_ms);
    }
    xw_elem(w, "Alias", a->alias);
    xw_elem(w, "AccessPointArn", arn);
    if (full) {
        xw_open(w, "Endpoints");
        xw_open(w, "entry");
        xw_elem(w, "key", "ipv4");
        xw_elemf(w, "value", "s3-accesspoint.%s.amazonaws.com", a->region);
        xw_close(w);
        xw_close(w);
    }
    xw_elem(w, "BucketAccountId", a->bucket_account);
}

/* Authorise action on the access point a (loaded) for the caller. */
static s3_err ap_authz(struct s3_req *r, const struct ap *a, const char *action)
{
    char arn[256];
    ap_arn(a, arn, sizeof(arn));
    return authz_s3_resource(r, action, arn, a->account);
}

static s3_err s3c_get(struct s3_req *r, const char *account, const char *name)
{
    struct ap a;
    struct xml_w w;
    s3_err e = ap_get(r->srv, account, name, &a);
    if (e != S3_OK)
        return req_fail(r, e, "The specified accesspoint does not exist: %s", name);
    if ((e = ap_authz(r, &a, "s3:GetAccessPoint")) != S3_OK) {
        ap_release(&a);
        return e;
    }
    xw_begin(&w, &r->resp.body, "GetAccessPointResult", S3C_XMLNS);
    ap_fields(&w, &a, 1);
    xw_end(&w);
    resp_header(r, "Content-Type", "application/xml");
    ap_release(&a);
    return S3_OK;
}

static s3_err s3c_list(struct s3_req *r, const char *account)
{
    struct ap *v = NULL;
    size_t n = 0, start = 0, max = 1000;
    const char *tok = req_query(r, "nextToken"), *mr = req_query(r, "maxResults");
    struct xml_w w;
    s3_err e;

    if (mr) {
        char *end;
        long m = strtol(mr, &end, 10);
        if (*end || m < 1 || m > 1000)
            return req_fail(r, S3E_INVALID_ARGUMENT, "maxResults must be between 1 and 1000.");
        max = (size_t)m;
    }
    if ((e = authz_s3_resource(r, "s3:ListAccessPoints", "*", account)) != S3_OK)
        return e;
    if ((e = ap_list(r->srv, account, req_query(r, "bucket"), &v, &n)) != S3_OK)
        return e;
    /* Records are kept in creation order; pages go by name, and the token is the name of the
     * first access point of the next page. */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp(v[j - 1].name, v[j].name) > 0; j--) {
            struct ap t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    if (tok)
        while (start < n && strcmp(v[start].name, tok) < 0)
            start++;
    xw_begin(&w, &r->resp.body, "ListAccessPointsResult", S3C_XMLNS);
    xw_open(&w, "AccessPointList");
    size_t i;
    for (i = start; i < n && i < start + max; i++) {
        xw_open(&w, "AccessPoint");
        ap_fields(&w, &v[i], 0);
        xw_close(&w);
    }
    xw_close(&w);
    if (i < n)
        xw_elem(&w, "NextToken", v[i].name);
    xw_end(&w);
    resp_header(r, "Content-Type", "application/xml");
    ap_list_free(v, n);
    return S3_OK;
}

static s3_err s3c_put_policy(struct s3_req *r, const char *account, const char *name)
{
    struct ap a;
    struct xml_doc *d = NULL;
    struct policy *p = NULL;
    struct policy_diag diag;
    struct policy_validate_opts o;
    char arn[256], source[320];
    struct pab bpab;
    char *text = NULL;
    s3_err e;

    if ((e = ap_get(r->srv, account, name, &a)) != S3_OK)
        return req_fail(r, e, "The specified accesspoint does not exist: %s", name);
    if ((e = ap_authz(r, &a, "s3:PutAccessPointPolicy")) != S3_OK)
        goto out;
    if ((e = parse_body(r, "PutAccessPointPolicyRequest", &d)) != S3_OK)
        goto out;
    text = xml_child_text(xml_root(d), "Policy");
    if (text == NULL) {
        e = req_fail(r, S3E_MALFORMED_XML, "PutAccessPointPolicy needs a Policy.");
        goto out;
    }
    ap_arn(&a, arn, sizeof(arn));
    memset(&o, 0, sizeof(o));
    o.access_point_arn = arn;
    snprintf(source, sizeof(source), "access point policy of %s", arn);
    if (policy_compile(text, strlen(text), POLICY_ACCESS_POINT, &o, source, &p, &diag) != S3_OK) {
        const struct policy_error *pe = &diag.errors[0];
        if (diag.n_errors && pe->line > 0)
            e = req_fail(r, S3E_MALFORMED_POLICY, "%s (line %d, column %d)%s%s", pe->message, pe->line, pe->column,
                         pe->detail[0] ? ": " : "", pe->detail);
        else
            e = req_fail(r, S3E_MALFORMED_POLICY, "%s", diag.n_errors ? pe->message : "This policy contains invalid Json");
        goto out;
    }
    /* BlockPublicPolicy on the access point, its bucket or the account refuses a public policy;
     * an access point with a VPC origin is never public. */
    if ((e = pab_effective(r->srv, a.bucket, account, &bpab)) != S3_OK)
        goto out;
    if ((a.pab.v[PAB_BLOCK_PUBLIC_POLICY] || bpab.v[PAB_BLOCK_PUBLIC_POLICY]) && strcmp(a.network_origin, "VPC") != 0 &&
        policy_is_public(p, POLICY_ACCESS_POINT)) {
        e = req_fail(r, S3E_ACCESS_DENIED, "Access Denied: this access point policy is public and BlockPublicPolicy is on "
                                           "for the access point, its bucket or the account.");
        goto out;
    }
    free(a.policy);
    a.policy = text;
    text = NULL;
    e = ap_update(r->srv, &a);
    apol_forget(r->srv, account, name);
out:
    policy_free(p);
    free(text);
    xml_free(d);
    ap_release(&a);
    return e;
}

static s3_err s3c_get_policy(struct s3_req *r, const char *account, const char *name, int status)
{
    struct ap a;
    struct xml_w w;
    s3_err e = ap_get(r->srv, account, name, &a);
    if (e != S3_OK)
        return req_fail(r, e, "The specified accesspoint does not exist: %s", name);
    if ((e = ap_authz(r, &a, status ? "s3:GetAccessPointPolicyStatus" : "s3:GetAccessPointPolicy")) != S3_OK) {
        ap_release(&a);
        return e;
    }
    if (a.policy == NULL) {
        ap_release(&a);
        return req_fail(r, S3E_NO_SUCH_AP_POLICY, "The specified accesspoint policy does not exist");
    }
    if (status) {
        struct policy *p = NULL;
        int pub = 0;
        struct policy_validate_opts o = { .flags = POLICY_F_NO_S3_CHECKS | POLICY_F_NO_SIZE_LIMIT };
        if (policy_compile(a.policy, strlen(a.policy), POLICY_ACCESS_POINT, &o, NULL, &p, NULL) == S3_OK)
            pub = strcmp(a.network_origin, "VPC") != 0 && policy_is_public(p, POLICY_ACCESS_POINT);
        policy_free(p);
        xw_begin(&w, &r->resp.body, "GetAccessPointPolicyStatusResult", S3C_XMLNS);
        xw_open(&w, "PolicyStatus");
        xw_elem_bool(&w, "IsPublic", pub);
    } else {
        xw_begin(&w, &r->resp.body, "GetAccessPointPolicyResult", S3C_XMLNS);
        xw_elem(&w, "Policy", a.policy);
    }
    xw_end(&w);
    resp_header(r, "Content-Type", "application/xml");
    ap_release(&a);
    return S3_OK;
}

static s3_err s3c_delete_policy(struct s3_req *r, const char *account, const char *name)
{
    struct ap a;
    s3_err e = ap_get(r->srv, account, name, &a);
    if (e != S3_OK)
        return req_fail(r, e, "The specified accesspoint does not exist: %s", name);
    if ((e = ap_authz(r, &a, "s3:DeleteAccessPointPolicy")) != S3_OK) {
        ap_release(&a);
        return e;
    }
    free(a.policy);
    a.policy = NULL;
    e = ap_update(r->srv, &a);
    apol_forget(r->srv, account, name);
    ap_release(&a);
    if (e == S3_OK)
        r->resp.status = 204;
    return e;
}

static s3_err s3c_account_pab(struct s3_req *r, const char *account)
{
    struct pab p;
    struct xml_w w;
    s3_err e;
    if ((e = authz_s3_resource(r, strcmp(r->method, "GET") ? "s3:PutAccountPublicAccessBlock"
                                                           : "s3:GetAccountPublicAccessBlock", "*", account)) != S3_OK)
        return e;
    if (!strcmp(r->method, "GET")) {
        if ((e = pab_account_get(r->srv, account, &p)) != S3_OK)
            return e;
        if (!p.present)
            return req_fail(r, S3E_NO_SUCH_PAB, "The public access block configuration was not found");
        /* The configuration is the output's payload: it is the document's root. */
        static const char *const names[4] = { "BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy",
                                              "RestrictPublicBuckets" };
        xw_begin(&w, &r->resp.body, "PublicAccessBlockConfiguration", S3C_XMLNS);
        for (int i = 0; i < 4; i++)
            xw_elem_bool(&w, names[i], p.v[i]);
        xw_end(&w);
        resp_header(r, "Content-Type", "application/xml");
        return S3_OK;
    }
    if (!strcmp(r->method, "PUT")) {
        if ((e = pab_parse_xml(r, &p)) != S3_OK)
            return e;
        return pab_account_set(r->srv, account, &p);
    }
    if (!strcmp(r->method, "DELETE")) {
        if ((e = pab_account_set(r->srv, account, NULL)) == S3_OK)
            r->resp.status = 204;
        return e;
    }
    return req_fail(r, S3E_METHOD_NOT_ALLOWED, NULL);
}

s3_err s3control_dispatch(struct s3_req *r)
{
    const char *account = req_header(r, "x-amz-account-id");
    const char *path = r->raw_path.p + strlen("/v20180820/");
    size_t plen = r->raw_path.len - strlen("/v20180820/");
    char seg[3][128] = { "", "", "" };
    int nseg = 0;
    const char *p = path, *end = path + plen;

    if (account == NULL || strlen(account) != 12 || strspn(account, "0123456789") != 12)
        return req_fail(r, S3E_INVALID_REQUEST, "S3 Control requests need the x-amz-account-id header with a 12-digit account id.");
    if (strcmp(account, r->who.account) != 0)
        return req_fail(r, S3E_ACCESS_DENIED, "Access Denied: account %s is not the caller's account %s.", account,
                        r->who.account);
    while (p < end && nseg < 3) {
        const char *s = memchr(p, '/', (size_t)(end - p));
        size_t n = s ? (size_t)(s - p) : (size_t)(end - p);
        if (n >= sizeof(seg[0]))
            return req_fail(r, S3E_INVALID_REQUEST, "Access point name too long.");
        memcpy(seg[nseg], p, n);
        seg[nseg++][n] = 0;
        p = s ? s + 1 : end;
    }
    if (nseg >= 2 && !strcmp(seg[0], "configuration") && !strcmp(seg[1], "publicAccessBlock"))
        return s3c_account_pab(r, account);
    if (nseg == 0 || strcmp(seg[0], "accesspoint") != 0)
        return req_fail(r, S3E_NOT_IMPLEMENTED, "s3iam implements the access point and publicAccessBlock parts of S3 Control.");
    if (nseg == 1 || seg[1][0] == 0) {
        if (!strcmp(r->method, "GET"))
            return s3c_list(r, account);
        return req_fail(r, S3E_METHOD_NOT_ALLOWED, NULL);
    }
    if (nseg == 2 || seg[2][0] == 0) {
        if (!strcmp(r->method, "PUT"))
            return s3c_create(r, account, seg[1]);
        if (!strcmp(r->method, "GET"))
            return s3c_get(r, account, seg[1]);
        if (!strcmp(r->method, "DELETE")) {
            struct ap a;
            s3_err e = ap_get(r->srv, account, seg[1], &a);
            if (e != S3_OK)
                return req_fail(r, e, "The specified accesspoint does not exist: %s", seg[1]);
            e = ap_authz(r, &a, "s3:DeleteAccessPoint");
            ap_release(&a);
            if (e != S3_OK)
                return e;
            e = ap_delete(r->srv, account, seg[1]);
            apol_forget(r->srv, account, seg[1]);
            if (e == S3E_NO_SUCH_ACCESS_POINT)
                return req_fail(r, e, "The specified accesspoint does not exist: %s", seg[1]);
            if (e == S3_OK)
                r->resp.status = 204;
            return e;
        }
        return req_fail(r, S3E_METHOD_NOT_ALLOWED, NULL);
    }
    if (!strcmp(seg[2], "policy")) {
        if (!strcmp(r->method, "PUT"))
            return s3c_put_policy(r, account, seg[1]);
        if (!strcmp(r->method, "GET"))
            return s3c_get_policy(r, account, seg[1], 0);
        if (!strcmp(r->method, "DELETE"))
            return s3c_delete_policy(r, account, seg[1]);
    }
    if (!strcmp(seg[2], "policyStatus") && !strcmp(r->method, "GET"))
        return s3c_get_policy(r, account, seg[1], 1);
    return req_fail(r, S3E_NOT_IMPLEMENTED, "s3iam does not implement %s /v20180820/%.*s.", r->method, (int)plen, path);
}
