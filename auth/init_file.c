/* auth/init_file.c - read and check an --init file (see init_file.h).  No side effects. */
#include "config.h"
#include "auth/init_file.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "auth/policy.h"
#include "auth/policy_int.h"
#include "lib/buf.h"

struct seed_pos {
    struct s3_buf text;
    struct jpos_tree tree;
    int have_tree;
};

struct ctx {
    const char *file;
    struct seed_errors *errs;
    const char *text;          /* the file's bytes, for positions */
    size_t len;
    struct jpos_tree tree;     /* where each value sits */
    int have_tree;
    const char *region;        /* for access point ARNs */
    const char *account;       /* the account being read */
};

/* The node a path like "$.accounts[0].users[2].name" designates, or JPOS_NONE.  With key_pos,
 * a member's position is that of its key. */
static uint32_t path_node(const struct ctx *c, const char *path, size_t *off)
{
    uint32_t node = 0;
    const char *p = path;
    *off = 0;
    if (!c->have_tree || c->tree.count == 0 || *p != '$')
        return JPOS_NONE;
    p++;
    *off = c->tree.n[0].start;
    while (*p) {
        if (*p == '.') {
            char key[128];
            size_t n = strcspn(p + 1, ".[");
            if (n >= sizeof(key))
                return node;
            memcpy(key, p + 1, n);
            key[n] = 0;
            uint32_t m = jpos_member(&c->tree, node, key);
            if (m == JPOS_NONE)
                return node;          /* a missing member: point at its object */
            node = m;
            *off = c->tree.n[m].key != JPOS_NONE ? c->tree.n[m].key : c->tree.n[m].start;
            p += 1 + n;
        } else if (*p == '[') {
            char *end;
            unsigned long i = strtoul(p + 1, &end, 10);
            if (*end != ']')
                return node;
            uint32_t m = jpos_elem(&c->tree, node, i);
            if (m == JPOS_NONE)
                return node;
            node = m;
            *off = c->tree.n[m].start;
            p = end + 1;
        } else {
            return node;
        }
    }
    return node;
}

static void err_at(struct ctx *c, const char *path, int line, int col, const char *msg)
{
    if (line <= 0) {
        size_t off;
        path_node(c, path, &off);
        jpos_linecol(c->text, c->len, off, &line, &col);
    }
    seed_errors_add(c->errs, "%s:%d:%d: %s: %s", c->file, line, col, path, msg);
}

void seed_errors_add(struct seed_errors *errs, const char *fmt, ...)
{
    struct s3_buf b;
    va_list ap;
    char **nm = realloc(errs->msg, (errs->n + 1) * sizeof(*nm));
    if (nm == NULL)
        return;
    errs->msg = nm;
    buf_init(&b, 4096);
    va_start(ap, fmt);
    buf_vaddf(&b, fmt, ap);
    va_end(ap);
    errs->msg[errs->n++] = buf_detach(&b, NULL);
}

void seed_errors_release(struct seed_errors *errs)
{
    for (size_t i = 0; i < errs->n; i++)
        free(errs->msg[i]);
    free(errs->msg);
    errs->msg = NULL;
    errs->n = 0;
}

#define ERR(c, path, ...)                                                                         \
    do {                                                                                          \
        char m_[768];                                                                             \
        snprintf(m_, sizeof(m_), __VA_ARGS__);                                                    \
        err_at((c), (path), 0, 0, m_);                                                            \
    } while (0)


static char *pathf(const char *base, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *pathf(const char *base, const char *fmt, ...)
{
    struct s3_buf b;
    va_list ap;
    buf_init(&b, 4096);
    buf_adds(&b, base);
    va_start(ap, fmt);
    buf_vaddf(&b, fmt, ap);
    va_end(ap);
    return buf_detach(&b, NULL);
}

/* Every key of obj must be in allowed (NULL-terminated). */
static void check_keys(struct ctx *c, json_t *obj, const char *path, const char *const *allowed)
{
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v) {
        int ok = 0;
        for (size_t i = 0; allowed[i]; i++)
            ok |= !strcmp(allowed[i], k);
        if (!ok) {
            struct s3_buf list;
            char *p = pathf(path, ".%s", k);
            buf_init(&list, 4096);
            for (size_t i = 0; allowed[i]; i++)
                buf_addf(&list, "%s%s", i ? ", " : "", allowed[i]);
            ERR(c, p, "unknown key \"%s\" (expected one of: %s)", k, list.p ? list.p : "");
            buf_release(&list);
            free(p);
        }
    }
}

static char *get_str(struct ctx *c, json_t *obj, const char *key, const char *path, int required)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL) {
        if (required)
            ERR(c, path, "\"%s\" is required", key);
        return NULL;
    }
    if (!json_is_string(v)) {
        char *p = pathf(path, ".%s", key);
        ERR(c, p, "must be a string");
        free(p);
        return NULL;
    }
    return strdup(json_string_value(v));
}

static int get_bool(struct ctx *c, json_t *obj, const char *key, const char *path, int def)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL)
        return def;
    if (!json_is_boolean(v)) {
        char *p = pathf(path, ".%s", key);
        ERR(c, p, "must be true or false");
        free(p);
        return def;
    }
    return json_is_true(v);
}

/* A policy document: a JSON object (its text is taken as written in the file, so error
 * positions map back into the file) or a string holding JSON.  Compiled with the rules of kind
 * to report problems now rather than halfway through applying. */
static char *get_doc(struct ctx *c, json_t *obj, const char *key, const char *path, int required,
                     enum policy_kind kind, const char *bucket, const char *ap_arn)
{
    json_t *v = json_object_get(obj, key);
    char *p = pathf(path, ".%s", key), *doc = NULL;
    int base_line = 0, base_col = 0;
    size_t off;

    if (v == NULL) {
        if (required)
            ERR(c, path, "\"%s\" (a policy document) is required", key);
        goto out;
    }
    if (json_is_string(v)) {
        doc = strdup(json_string_value(v));
    } else if (json_is_object(v)) {
        uint32_t n = path_node(c, p, &off);
        if (n != JPOS_NONE && c->tree.n[n].type == JP_OBJECT) {
            doc = strndup(c->text + c->tree.n[n].start, c->tree.n[n].end - c->tree.n[n].start);
            jpos_linecol(c->text, c->len, c->tree.n[n].start, &base_line, &base_col);
        } else {
            doc = json_dumps(v, JSON_PRESERVE_ORDER);
        }
    } else {
        ERR(c, p, "must be a policy document (a JSON object, or a string holding one)");
        goto out;
    }
    if (doc) {
        struct policy_validate_opts o;
        struct policy_diag d;
        struct policy *pol = NULL;
        memset(&o, 0, sizeof(o));
        o.bucket = bucket;
        o.access_point_arn = ap_arn;
        if (policy_compile(doc, strlen(doc), kind, &o, p, &pol, &d) != S3_OK) {
            const struct policy_error *pe = &d.errors[0];
            char m[700];
            int line = 0, col = 0;
            if (d.n_errors && pe->line > 0 && base_line > 0) {
                line = base_line + pe->line - 1;
                col = pe->line == 1 ? base_col + pe->column - 1 : pe->column;
            }
            snprintf(m, sizeof(m), "%s: %s%s%s", kind == POLICY_RESOURCE_BUCKET || kind == POLICY_ACCESS_POINT
                                                     ? "MalformedPolicy" : "MalformedPolicyDocument",
                     d.n_errors ? pe->message : "invalid policy", d.n_errors && pe->detail[0] ? " " : "",
                     d.n_errors ? pe->detail : "");
            err_at(c, p, line, col, m);
        }
        policy_free(pol);
    }
out:
    free(p);
    return doc;
}

static char **get_str_list(struct ctx *c, json_t *obj, const char *key, const char *path, size_t *n)
{
    json_t *v = json_object_get(obj, key), *e;
    size_t i;
    char **out;
    *n = 0;
    if (v == NULL)
        return NULL;
    if (!json_is_array(v)) {
        char *p = pathf(path, ".%s", key);
        ERR(c, p, "must be an array of strings");
        free(p);
        return NULL;
    }
    if ((out = calloc(json_array_size(v) + 1, sizeof(*out))) == NULL)
        return NULL;
    json_array_foreach(v, i, e) {
        if (!json_is_string(e)) {
            char *p = pathf(path, ".%s[%zu]", key, i);
            ERR(c, p, "must be a string");
            free(p);
            continue;
        }
        out[(*n)++] = strdup(json_string_value(e));
    }
    return out;
}

static struct seed_kv *get_tags(struct ctx *c, json_t *obj, const char *path, size_t *n)
{
    json_t *v = json_object_get(obj, "tags"), *e;
    const char *k;
    struct seed_kv *out;
    *n = 0;
    if (v == NULL)
        return NULL;
    if (!json_is_object(v)) {
        char *p = pathf(path, ".tags");
        ERR(c, p, "must be an object of \"key\": \"value\"");
        free(p);
        return NULL;
    }
    if ((out = calloc(json_object_size(v) + 1, sizeof(*out))) == NULL)
        return NULL;
    json_object_foreach(v, k, e) {
        if (!json_is_string(e)) {
            char *p = pathf(path, ".tags.%s", k);
            ERR(c, p, "must be a string");
            free(p);
            continue;
        }
        out[*n].name = strdup(k);
        out[*n].value = strdup(json_string_value(e));
        (*n)++;
    }
    return out;
}

static struct seed_inline *get_inline(struct ctx *c, json_t *obj, const char *path, size_t *n)
{
    static const char *const keys[] = { "name", "document", NULL };
    json_t *v = json_object_get(obj, "inline_policies"), *e;
    struct seed_inline *out;
    size_t i;
    *n = 0;
    if (v == NULL)
        return NULL;
    if (!json_is_array(v)) {
        char *p = pathf(path, ".inline_policies");
        ERR(c, p, "must be an array of {\"name\", \"document\"}");
        free(p);
        return NULL;
    }
    if ((out = calloc(json_array_size(v) + 1, sizeof(*out))) == NULL)
        return NULL;
    json_array_foreach(v, i, e) {
        char *p = pathf(path, ".inline_policies[%zu]", i);
        if (!json_is_object(e)) {
            ERR(c, p, "must be an object");
        } else {
            check_keys(c, e, p, keys);
            out[*n].name = get_str(c, e, "name", p, 1);
            out[*n].document = get_doc(c, e, "document", p, 1, POLICY_IDENTITY, NULL, NULL);
            (*n)++;
        }
        free(p);
    }
    return out;
}

static void get_pab(struct ctx *c, json_t *obj, const char *path, struct seed_pab *out, int def)
{
    static const char *const keys[] = { "block_public_acls", "ignore_public_acls", "block_public_policy",
                                        "restrict_public_buckets", NULL };
    json_t *v = json_object_get(obj, "public_access_block");
    memset(out, 0, sizeof(*out));
    if (v == NULL)
        return;
    char *p = pathf(path, ".public_access_block");
    if (!json_is_object(v)) {
        ERR(c, p, "must be an object of the four Block Public Access booleans");
    } else {
        check_keys(c, v, p, keys);
        out->set = 1;
        for (int i = 0; i < 4; i++)
            out->v[i] = get_bool(c, v, keys[i], p, def);
    }
    free(p);
}

/* The array under key, every element an object; NULL if absent or wrong. */
static json_t *get_objs(struct ctx *c, json_t *obj, const char *key, const char *path)
{
    json_t *v = json_object_get(obj, key), *e;
    size_t i;
    if (v == NULL)
        return NULL;
    if (!json_is_array(v)) {
        char *p = pathf(path, ".%s", key);
        ERR(c, p, "must be an array");
        free(p);
        return NULL;
    }
    json_array_foreach(v, i, e) if (!json_is_object(e)) {
        char *p = pathf(path, ".%s[%zu]", key, i);
        ERR(c, p, "must be an object");
        free(p);
        return NULL;
    }
    return v;
}

static void parse_account(struct ctx *c, json_t *a, const char *path, struct seed_account *out)
{
    static const char *const akeys[] = { "id", "region", "policies", "groups", "users", "roles", "buckets",
                                         "access_points", NULL };
    static const char *const pkeys[] = { "name", "document", "path", "description", "tags", NULL };
    static const char *const gkeys[] = { "name", "path", "attached_policies", "inline_policies", NULL };
    static const char *const ukeys[] = { "name", "path", "groups", "attached_policies", "inline_policies", "tags",
                                         "password", "password_reset_required", "access_keys", NULL };
    static const char *const rkeys[] = { "name", "trust_policy", "path", "description", "max_session_duration",
                                         "attached_policies", "inline_policies", "tags", NULL };
    static const char *const bkeys[] = { "name", "region", "object_ownership", "versioning", "encryption",
                                         "public_access_block", "policy", "tags", NULL };
    static const char *const apkeys[] = { "name", "bucket", "network_origin", "vpc_id", "public_access_block",
                                          "policy", NULL };
    static const char *const kkeys[] = { "id", "secret", "status", NULL };
    static const char *const ekeys[] = { "algorithm", "kms_key_id", "bucket_key", NULL };
    json_t *arr, *e;
    size_t i;

    check_keys(c, a, path, akeys);
    out->where = strdup(path);
    out->id = get_str(c, a, "id", path, 1);
    if (out->id && (strlen(out->id) != 12 || strspn(out->id, "0123456789") != 12))
        ERR(c, path, "\"id\" must be a 12-digit account id, not \"%s\"", out->id);
    out->region = get_str(c, a, "region", path, 0);
    c->account = out->id;

    if ((arr = get_objs(c, a, "policies", path)) != NULL) {
        out->policies = calloc(json_array_size(arr) + 1, sizeof(*out->policies));
        json_array_foreach(arr, i, e) {
            struct seed_policy *p = &out->policies[out->n_policies++];
            p->where = pathf(path, ".policies[%zu]", i);
            check_keys(c, e, p->where, pkeys);
            p->name = get_str(c, e, "name", p->where, 1);
            p->path = get_str(c, e, "path", p->where, 0);
            p->description = get_str(c, e, "description", p->where, 0);
            p->document = get_doc(c, e, "document", p->where, 1, POLICY_IDENTITY, NULL, NULL);
            p->tags = get_tags(c, e, p->where, &p->n_tags);
        }
    }
    if ((arr = get_objs(c, a, "groups", path)) != NULL) {
        out->groups = calloc(json_array_size(arr) + 1, sizeof(*out->groups));
        json_array_foreach(arr, i, e) {
            struct seed_group *g = &out->groups[out->n_groups++];
            g->where = pathf(path, ".groups[%zu]", i);
            check_keys(c, e, g->where, gkeys);
            g->name = get_str(c, e, "name", g->where, 1);
            g->path = get_str(c, e, "path", g->where, 0);
            g->policies = get_str_list(c, e, "attached_policies", g->where, &g->n_policies);
            g->inl = get_inline(c, e, g->where, &g->n_inl);
        }
    }
    if ((arr = get_objs(c, a, "users", path)) != NULL) {
        out->users = calloc(json_array_size(arr) + 1, sizeof(*out->users));
        json_array_foreach(arr, i, e) {
            struct seed_user *u = &out->users[out->n_users++];
            json_t *keys, *k;
            size_t j;
            u->where = pathf(path, ".users[%zu]", i);
            check_keys(c, e, u->where, ukeys);
            u->name = get_str(c, e, "name", u->where, 1);
            u->path = get_str(c, e, "path", u->where, 0);
            u->groups = get_str_list(c, e, "groups", u->where, &u->n_groups);
            u->policies = get_str_list(c, e, "attached_policies", u->where, &u->n_policies);
            u->inl = get_inline(c, e, u->where, &u->n_inl);
            u->tags = get_tags(c, e, u->where, &u->n_tags);
            u->password = get_str(c, e, "password", u->where, 0);
            u->password_reset = get_bool(c, e, "password_reset_required", u->where, 0);
            if ((keys = get_objs(c, e, "access_keys", u->where)) != NULL) {
                u->keys = calloc(json_array_size(keys) + 1, sizeof(*u->keys));
                json_array_foreach(keys, j, k) {
                    char *p = pathf(u->where, ".access_keys[%zu]", j);
                    struct seed_key *sk = &u->keys[u->n_keys++];
                    char *st;
                    check_keys(c, k, p, kkeys);
                    sk->id = get_str(c, k, "id", p, 1);
                    sk->secret = get_str(c, k, "secret", p, 1);
                    if (sk->id && (strlen(sk->id) < 16 || strlen(sk->id) > 23 ||
                                   strspn(sk->id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != strlen(sk->id))) {
                        char *q = pathf(p, ".id");
                        ERR(c, q, "an access key id is 16 to 23 upper-case letters and digits (AKIA + 16 as on AWS)");
                        free(q);
                    }
                    if (sk->secret && (strlen(sk->secret) < 8 || strlen(sk->secret) > 47)) {
                        char *q = pathf(p, ".secret");
                        ERR(c, q, "a secret access key has 8 to 47 characters (AWS uses 40)");
                        free(q);
                    }
                    if ((st = get_str(c, k, "status", p, 0)) != NULL) {
                        if (strcmp(st, "Active") && strcmp(st, "Inactive")) {
                            char *q = pathf(p, ".status");
                            ERR(c, q, "must be Active or Inactive");
                            free(q);
                        }
                        sk->inactive = !strcmp(st, "Inactive");
                        free(st);
                    }
                    free(p);
                }
                if (u->n_keys > 2)
                    ERR(c, u->where, "a user can have at most 2 access keys (this one has %zu)", u->n_keys);
            }
        }
    }
    if ((arr = get_objs(c, a, "roles", path)) != NULL) {
        out->roles = calloc(json_array_size(arr) + 1, sizeof(*out->roles));
        json_array_foreach(arr, i, e) {
            struct seed_role *r = &out->roles[out->n_roles++];
            json_t *ms;
            r->where = pathf(path, ".roles[%zu]", i);
            check_keys(c, e, r->where, rkeys);
            r->name = get_str(c, e, "name", r->where, 1);
            r->path = get_str(c, e, "path", r->where, 0);
            r->description = get_str(c, e, "description", r->where, 0);
            r->trust = get_doc(c, e, "trust_policy", r->where, 1, POLICY_TRUST, NULL, NULL);
            r->policies = get_str_list(c, e, "attached_policies", r->where, &r->n_policies);
            r->inl = get_inline(c, e, r->where, &r->n_inl);
            r->tags = get_tags(c, e, r->where, &r->n_tags);
            if ((ms = json_object_get(e, "max_session_duration")) != NULL) {
                if (!json_is_integer(ms) || json_integer_value(ms) < 3600 || json_integer_value(ms) > 43200) {
                    char *q = pathf(r->where, ".max_session_duration");
                    ERR(c, q, "must be a number of seconds from 3600 to 43200");
                    free(q);
                } else {
                    r->max_session = (long)json_integer_value(ms);
                }
            }
        }
    }
    if ((arr = get_objs(c, a, "buckets", path)) != NULL) {
        out->buckets = calloc(json_array_size(arr) + 1, sizeof(*out->buckets));
        json_array_foreach(arr, i, e) {
            struct seed_bucket *b = &out->buckets[out->n_buckets++];
            char *v;
            json_t *enc;
            b->where = pathf(path, ".buckets[%zu]", i);
            check_keys(c, e, b->where, bkeys);
            b->name = get_str(c, e, "name", b->where, 1);
            b->region = get_str(c, e, "region", b->where, 0);
            if ((v = get_str(c, e, "object_ownership", b->where, 0)) != NULL) {
                if (strcmp(v, "BucketOwnerEnforced") != 0) {
                    char *q = pathf(b->where, ".object_ownership");
                    ERR(c, q, "only BucketOwnerEnforced (ACLs disabled) is supported");
                    free(q);
                }
                free(v);
            }
            if ((v = get_str(c, e, "versioning", b->where, 0)) != NULL) {
                if (!strcmp(v, "Enabled"))
                    b->versioning = 1;
                else if (!strcmp(v, "Suspended"))
                    b->versioning = 2;
                else {
                    char *q = pathf(b->where, ".versioning");
                    ERR(c, q, "must be Enabled or Suspended, not \"%s\"", v);
                    free(q);
                }
                free(v);
            }
            if ((enc = json_object_get(e, "encryption")) != NULL) {
                char *p = pathf(b->where, ".encryption");
                if (!json_is_object(enc)) {
                    ERR(c, p, "must be {\"algorithm\", \"kms_key_id\"?, \"bucket_key\"?}");
                } else {
                    check_keys(c, enc, p, ekeys);
                    b->sse_algorithm = get_str(c, enc, "algorithm", p, 1);
                    b->sse_kms_key = get_str(c, enc, "kms_key_id", p, 0);
                    b->sse_bucket_key = get_bool(c, enc, "bucket_key", p, 0);
                    if (b->sse_algorithm && strcmp(b->sse_algorithm, "AES256") && strcmp(b->sse_algorithm, "aws:kms") &&
                        strcmp(b->sse_algorithm, "aws:kms:dsse"))
                        ERR(c, p, "\"algorithm\" must be AES256, aws:kms or aws:kms:dsse, not \"%s\"", b->sse_algorithm);
                }
                free(p);
            }
            get_pab(c, e, b->where, &b->pab, 0);
            b->policy = get_doc(c, e, "policy", b->where, 0, POLICY_RESOURCE_BUCKET, b->name, NULL);
            b->tags = get_tags(c, e, b->where, &b->n_tags);
        }
    }
    if ((arr = get_objs(c, a, "access_points", path)) != NULL) {
        out->aps = calloc(json_array_size(arr) + 1, sizeof(*out->aps));
        json_array_foreach(arr, i, e) {
            struct seed_ap *ap = &out->aps[out->n_aps++];
            char *v, arn[300];
            ap->where = pathf(path, ".access_points[%zu]", i);
            check_keys(c, e, ap->where, apkeys);
            ap->name = get_str(c, e, "name", ap->where, 1);
            ap->bucket = get_str(c, e, "bucket", ap->where, 1);
            ap->vpc_id = get_str(c, e, "vpc_id", ap->where, 0);
            if ((v = get_str(c, e, "network_origin", ap->where, 0)) != NULL) {
                char *q = pathf(ap->where, ".network_origin");
                if (strcmp(v, "Internet") && strcmp(v, "VPC"))
                    ERR(c, q, "must be Internet or VPC");
                else if (!strcmp(v, "VPC") && ap->vpc_id == NULL)
                    ERR(c, q, "VPC needs \"vpc_id\"");
                else if (!strcmp(v, "Internet") && ap->vpc_id != NULL)
                    ERR(c, q, "Internet cannot have a \"vpc_id\"");
                free(q);
                free(v);
            }
            /* Access points start with Block Public Access fully on, as on AWS. */
            get_pab(c, e, ap->where, &ap->pab, 1);
            snprintf(arn, sizeof(arn), "arn:aws:s3:%s:%s:accesspoint/%s", out->region ? out->region : c->region,
                     out->id ? out->id : "000000000000", ap->name ? ap->name : "x");
            ap->policy = get_doc(c, e, "policy", ap->where, 0, POLICY_ACCESS_POINT, NULL, arn);
        }
    }
}

/* Names must be unique within the file.  References (groups, policies, buckets) may also name
 * things that already exist in the server, so the server checks them. */
static void cross_check(struct ctx *c, struct seed_account *a)
{
    size_t i, j;
#define DUPS(arr, n, what)                                                                        \
    for (i = 0; i < (n); i++)                                                                     \
        for (j = 0; j < i; j++)                                                                   \
            if ((arr)[i].name && (arr)[j].name && !strcmp((arr)[i].name, (arr)[j].name))          \
                ERR(c, (arr)[i].where, "%s \"%s\" is defined twice (also at %s)", what, (arr)[i].name, (arr)[j].where);
    DUPS(a->policies, a->n_policies, "policy")
    DUPS(a->groups, a->n_groups, "group")
    DUPS(a->users, a->n_users, "user")
    DUPS(a->roles, a->n_roles, "role")
    DUPS(a->buckets, a->n_buckets, "bucket")
    DUPS(a->aps, a->n_aps, "access point")
#undef DUPS
}

int init_file_load(const char *file, const char *default_region, struct seed *out, struct seed_errors *errs)
{
    static const char *const top[] = { "s3iam_init", "comment", "accounts", NULL };
    struct ctx c;
    json_error_t je;
    json_t *root, *accts, *a;
    struct seed s;
    size_t i, before = errs->n;
    FILE *f;
    struct s3_buf text;
    char chunk[65536];
    size_t n;

    memset(&c, 0, sizeof(c));
    memset(&s, 0, sizeof(s));
    memset(out, 0, sizeof(*out));
    c.file = file;
    c.errs = errs;
    c.region = default_region ? default_region : "us-east-1";
    if ((f = fopen(file, "rb")) == NULL) {
        seed_errors_add(errs, "%s: cannot read the init file: %s", file, strerror(errno));
        return -1;
    }
    buf_init(&text, 64 << 20);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (buf_add(&text, chunk, n) != S3_OK) {
            fclose(f);
            buf_release(&text);
            seed_errors_add(errs, "%s: the init file is larger than 64 MiB", file);
            return -1;
        }
    fclose(f);
    c.text = text.p ? text.p : "";
    c.len = text.len;
    root = json_loadb(c.text, c.len, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL) {
        seed_errors_add(errs, "%s:%d:%d: $: JSON: %s", file, je.line, je.column, je.text);
        buf_release(&text);
        return -1;
    }
    c.have_tree = jpos_build(&c.tree, c.text, c.len);
    s.file = strdup(file);
    if (!json_is_object(root)) {
        ERR(&c, "$", "the file must hold a JSON object {\"s3iam_init\": 1, \"accounts\": [...]}");
    } else {
        json_t *ver = json_object_get(root, "s3iam_init");
        check_keys(&c, root, "$", top);
        if (ver == NULL)
            ERR(&c, "$", "\"s3iam_init\": 1 is required (it marks the file's format)");
        else if (!json_is_integer(ver) || json_integer_value(ver) != 1)
            ERR(&c, "$.s3iam_init", "only format 1 exists");
        accts = json_object_get(root, "accounts");
        if (accts == NULL || !json_is_array(accts) || json_array_size(accts) == 0) {
            ERR(&c, "$", "\"accounts\" must be a non-empty array");
        } else {
            s.accounts = calloc(json_array_size(accts) + 1, sizeof(*s.accounts));
            json_array_foreach(accts, i, a) {
                char *p = pathf("$", ".accounts[%zu]", i);
                if (!json_is_object(a)) {
                    ERR(&c, p, "must be an object");
                } else {
                    parse_account(&c, a, p, &s.accounts[s.n_accounts]);
                    cross_check(&c, &s.accounts[s.n_accounts]);
                    for (size_t k = 0; k < s.n_accounts; k++)
                        if (s.accounts[k].id && s.accounts[s.n_accounts].id &&
                            !strcmp(s.accounts[k].id, s.accounts[s.n_accounts].id))
                            ERR(&c, p, "account %s is listed twice", s.accounts[k].id);
                    s.n_accounts++;
                }
                free(p);
            }
        }
    }
    json_decref(root);
    if ((s.pos = calloc(1, sizeof(*s.pos))) != NULL) {
        s.pos->text = text;
        s.pos->tree = c.tree;
        s.pos->have_tree = c.have_tree;
    } else {
        if (c.have_tree)
            jpos_release(&c.tree);
        buf_release(&text);
    }
    /* Even with errors the caller gets what could be read, so it can add its own checks and
     * report every problem at once; it must seed_release() either way. */
    *out = s;
    return errs->n > before ? -1 : 0;
}

void seed_error_at(const struct seed *s, struct seed_errors *errs, const char *path, const char *fmt, ...)
{
    struct ctx c;
    char m[1024];
    va_list ap;
    memset(&c, 0, sizeof(c));
    c.file = s->file;
    c.errs = errs;
    if (s->pos) {
        c.text = s->pos->text.p ? s->pos->text.p : "";
        c.len = s->pos->text.len;
        c.tree = s->pos->tree;
        c.have_tree = s->pos->have_tree;
    } else {
        c.text = "";
    }
    va_start(ap, fmt);
    vsnprintf(m, sizeof(m), fmt, ap);
    va_end(ap);
    err_at(&c, path, 0, 0, m);
}

static void free_list(char **l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(l[i]);
    free(l);
}

static void free_inline(struct seed_inline *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].name);
        free(v[i].document);
    }
    free(v);
}

static void free_tags(struct seed_kv *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].name);
        free(v[i].value);
    }
    free(v);
}

void seed_release(struct seed *s)
{
    for (size_t i = 0; i < s->n_accounts; i++) {
        struct seed_account *a = &s->accounts[i];
        size_t j;
        free(a->id);
        free(a->region);
        free(a->where);
        for (j = 0; j < a->n_policies; j++) {
            free(a->policies[j].name);
            free(a->policies[j].path);
            free(a->policies[j].description);
            free(a->policies[j].document);
            free(a->policies[j].where);
            free_tags(a->policies[j].tags, a->policies[j].n_tags);
        }
        free(a->policies);
        for (j = 0; j < a->n_groups; j++) {
            free(a->groups[j].name);
            free(a->groups[j].path);
            free(a->groups[j].where);
            free_list(a->groups[j].policies, a->groups[j].n_policies);
            free_inline(a->groups[j].inl, a->groups[j].n_inl);
        }
        free(a->groups);
        for (j = 0; j < a->n_users; j++) {
            struct seed_user *u = &a->users[j];
            free(u->name);
            free(u->path);
            free(u->where);
            free(u->password);
            free_list(u->groups, u->n_groups);
            free_list(u->policies, u->n_policies);
            free_inline(u->inl, u->n_inl);
            free_tags(u->tags, u->n_tags);
            for (size_t k = 0; k < u->n_keys; k++) {
                free(u->keys[k].id);
                free(u->keys[k].secret);
            }
            free(u->keys);
        }
        free(a->users);
        for (j = 0; j < a->n_roles; j++) {
            struct seed_role *r = &a->roles[j];
            free(r->name);
            free(r->path);
            free(r->where);
            free(r->trust);
            free(r->description);
            free_list(r->policies, r->n_policies);
            free_inline(r->inl, r->n_inl);
            free_tags(r->tags, r->n_tags);
        }
        free(a->roles);
        for (j = 0; j < a->n_buckets; j++) {
            struct seed_bucket *b = &a->buckets[j];
            free(b->name);
            free(b->region);
            free(b->where);
            free(b->sse_algorithm);
            free(b->sse_kms_key);
            free(b->policy);
            free_tags(b->tags, b->n_tags);
        }
        free(a->buckets);
        for (j = 0; j < a->n_aps; j++) {
            free(a->aps[j].name);
            free(a->aps[j].bucket);
            free(a->aps[j].vpc_id);
            free(a->aps[j].where);
            free(a->aps[j].policy);
        }
        free(a->aps);
    }
    free(s->accounts);
    free(s->file);
    if (s->pos) {
        if (s->pos->have_tree)
            jpos_release(&s->pos->tree);
        buf_release(&s->pos->text);
        free(s->pos);
    }
    memset(s, 0, sizeof(*s));
}
