/* conf/seed.c - read and check a seed file (see seed.h).  Nothing here has side effects. */
#include "config.h"
#include "conf/seed.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/buf.h"

struct ctx {
    const char *file;
    struct seed_errors *errs;
};

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
        char m_[512];                                                                             \
        snprintf(m_, sizeof(m_), __VA_ARGS__);                                                    \
        seed_errors_add((c)->errs, "%s: %s: %s", (c)->file, (path), m_);                          \
    } while (0)

static char *sdup(const char *s) { return s ? strdup(s) : NULL; }

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
            buf_init(&list, 4096);
            for (size_t i = 0; allowed[i]; i++)
                buf_addf(&list, "%s%s", i ? ", " : "", allowed[i]);
            ERR(c, path, "unknown key \"%s\" (allowed: %s)", k, list.p ? list.p : "");
            buf_release(&list);
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
        ERR(c, path, "\"%s\" must be a string", key);
        return NULL;
    }
    return strdup(json_string_value(v));
}

/* A policy document: a JSON object (kept as text) or a string holding JSON. */
static char *get_doc(struct ctx *c, json_t *obj, const char *key, const char *path, int required)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL) {
        if (required)
            ERR(c, path, "\"%s\" (a policy document) is required", key);
        return NULL;
    }
    if (json_is_string(v))
        return strdup(json_string_value(v));
    if (json_is_object(v))
        return json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    ERR(c, path, "\"%s\" must be a policy document (a JSON object, or a string holding one)", key);
    return NULL;
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
        ERR(c, path, "\"%s\" must be a list of strings", key);
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
        ERR(c, path, "\"tags\" must be an object of \"key\": \"value\"");
        return NULL;
    }
    if ((out = calloc(json_object_size(v) + 1, sizeof(*out))) == NULL)
        return NULL;
    json_object_foreach(v, k, e) {
        if (!json_is_string(e)) {
            ERR(c, path, "tag \"%s\" must have a string value", k);
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
    json_t *v = json_object_get(obj, "inlinePolicies"), *e;
    struct seed_inline *out;
    size_t i;
    *n = 0;
    if (v == NULL)
        return NULL;
    if (!json_is_array(v)) {
        ERR(c, path, "\"inlinePolicies\" must be a list of {\"name\", \"document\"}");
        return NULL;
    }
    if ((out = calloc(json_array_size(v) + 1, sizeof(*out))) == NULL)
        return NULL;
    json_array_foreach(v, i, e) {
        char *p = pathf(path, ".inlinePolicies[%zu]", i);
        if (!json_is_object(e)) {
            ERR(c, p, "must be an object");
            free(p);
            continue;
        }
        check_keys(c, e, p, keys);
        out[*n].name = get_str(c, e, "name", p, 1);
        out[*n].document = get_doc(c, e, "document", p, 1);
        out[*n].where = p;
        (*n)++;
    }
    return out;
}

static void get_pab(struct ctx *c, json_t *obj, const char *path, struct seed_pab *out)
{
    static const char *const keys[] = { "BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy",
                                        "RestrictPublicBuckets", NULL };
    json_t *v = json_object_get(obj, "publicAccessBlock");
    memset(out, 0, sizeof(*out));
    if (v == NULL)
        return;
    char *p = pathf(path, ".publicAccessBlock");
    if (!json_is_object(v)) {
        ERR(c, p, "must be an object of the four Block Public Access booleans");
        free(p);
        return;
    }
    check_keys(c, v, p, keys);
    out->set = 1;
    for (int i = 0; i < 4; i++) {
        json_t *b = json_object_get(v, keys[i]);
        if (b && !json_is_boolean(b))
            ERR(c, p, "\"%s\" must be true or false", keys[i]);
        out->v[i] = b ? json_is_true(b) : 0;
    }
    free(p);
}

/* The array under key, each element an object; returns it or NULL (absent / wrong type). */
static json_t *get_objs(struct ctx *c, json_t *obj, const char *key, const char *path)
{
    json_t *v = json_object_get(obj, key), *e;
    size_t i;
    if (v == NULL)
        return NULL;
    if (!json_is_array(v)) {
        ERR(c, path, "\"%s\" must be a list", key);
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

static int in_list(char **names, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (names[i] && s && !strcmp(names[i], s))
            return 1;
    return 0;
}

static void parse_account(struct ctx *c, json_t *a, const char *path, const char *def_account, struct seed_account *out)
{
    static const char *const akeys[] = { "id", "root", "policies", "groups", "users", "roles", "buckets",
                                         "accessPoints", NULL };
    static const char *const pkeys[] = { "name", "path", "description", "document", NULL };
    static const char *const gkeys[] = { "name", "path", "policies", "inlinePolicies", NULL };
    static const char *const ukeys[] = { "name", "path", "groups", "policies", "inlinePolicies", "tags", "accessKeys", NULL };
    static const char *const rkeys[] = { "name", "path", "trustPolicy", "maxSessionDuration", "policies",
                                         "inlinePolicies", "tags", NULL };
    static const char *const bkeys[] = { "name", "region", "versioning", "encryption", "publicAccessBlock", "policy", NULL };
    static const char *const apkeys[] = { "name", "bucket", "vpcId", "publicAccessBlock", "policy", NULL };
    static const char *const kkeys[] = { "accessKeyId", "secretAccessKey", "status", NULL };
    static const char *const ekeys[] = { "algorithm", "kmsKeyId", "bucketKeyEnabled", NULL };
    json_t *arr, *e;
    size_t i;

    check_keys(c, a, path, akeys);
    out->where = strdup(path);
    out->id = get_str(c, a, "id", path, 0);
    if (out->id == NULL)
        out->id = sdup(def_account);
    else if (strlen(out->id) != 12 || strspn(out->id, "0123456789") != 12)
        ERR(c, path, "\"id\" must be a 12-digit account id, not \"%s\"", out->id);
    json_t *root = json_object_get(a, "root");
    if (root) {
        static const char *const rk[] = { "accessKeyId", "secretAccessKey", NULL };
        char *p = pathf(path, ".root");
        if (!json_is_object(root))
            ERR(c, p, "must be {\"accessKeyId\", \"secretAccessKey\"}");
        else {
            check_keys(c, root, p, rk);
            out->root_akid = get_str(c, root, "accessKeyId", p, 1);
            out->root_secret = get_str(c, root, "secretAccessKey", p, 1);
        }
        free(p);
    }

    if ((arr = get_objs(c, a, "policies", path)) != NULL) {
        out->policies = calloc(json_array_size(arr) + 1, sizeof(*out->policies));
        json_array_foreach(arr, i, e) {
            struct seed_policy *p = &out->policies[out->n_policies++];
            p->where = pathf(path, ".policies[%zu]", i);
            check_keys(c, e, p->where, pkeys);
            p->name = get_str(c, e, "name", p->where, 1);
            p->path = get_str(c, e, "path", p->where, 0);
            p->description = get_str(c, e, "description", p->where, 0);
            p->document = get_doc(c, e, "document", p->where, 1);
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
            g->policies = get_str_list(c, e, "policies", g->where, &g->n_policies);
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
            u->policies = get_str_list(c, e, "policies", u->where, &u->n_policies);
            u->inl = get_inline(c, e, u->where, &u->n_inl);
            u->tags = get_tags(c, e, u->where, &u->n_tags);
            if ((keys = get_objs(c, e, "accessKeys", u->where)) != NULL) {
                u->keys = calloc(json_array_size(keys) + 1, sizeof(*u->keys));
                json_array_foreach(keys, j, k) {
                    char *p = pathf(u->where, ".accessKeys[%zu]", j);
                    struct seed_key *sk = &u->keys[u->n_keys++];
                    check_keys(c, k, p, kkeys);
                    sk->id = get_str(c, k, "accessKeyId", p, 1);
                    sk->secret = get_str(c, k, "secretAccessKey", p, 1);
                    sk->status = get_str(c, k, "status", p, 0);
                    if (sk->id && (strlen(sk->id) < 16 || strlen(sk->id) > 128))
                        ERR(c, p, "\"accessKeyId\" must be 16 to 128 characters");
                    if (sk->secret && strlen(sk->secret) < 8)
                        ERR(c, p, "\"secretAccessKey\" must be at least 8 characters");
                    if (sk->status && strcmp(sk->status, "Active") && strcmp(sk->status, "Inactive"))
                        ERR(c, p, "\"status\" must be Active or Inactive");
                    free(p);
                }
                if (u->n_keys > 2)
                    ERR(c, u->where, "a user can have at most 2 access keys (has %zu)", u->n_keys);
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
            r->trust = get_doc(c, e, "trustPolicy", r->where, 1);
            r->policies = get_str_list(c, e, "policies", r->where, &r->n_policies);
            r->inl = get_inline(c, e, r->where, &r->n_inl);
            r->tags = get_tags(c, e, r->where, &r->n_tags);
            if ((ms = json_object_get(e, "maxSessionDuration")) != NULL) {
                if (!json_is_integer(ms) || json_integer_value(ms) < 3600 || json_integer_value(ms) > 43200)
                    ERR(c, r->where, "\"maxSessionDuration\" must be a number of seconds from 3600 to 43200");
                else
                    r->max_session = (long)json_integer_value(ms);
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
            if ((v = get_str(c, e, "versioning", b->where, 0)) != NULL) {
                if (!strcmp(v, "Enabled"))
                    b->versioning = 1;
                else if (!strcmp(v, "Suspended"))
                    b->versioning = 2;
                else
                    ERR(c, b->where, "\"versioning\" must be Enabled or Suspended, not \"%s\"", v);
                free(v);
            }
            if ((enc = json_object_get(e, "encryption")) != NULL) {
                char *p = pathf(b->where, ".encryption");
                if (!json_is_object(enc))
                    ERR(c, p, "must be {\"algorithm\", \"kmsKeyId\"?, \"bucketKeyEnabled\"?}");
                else {
                    json_t *bk = json_object_get(enc, "bucketKeyEnabled");
                    check_keys(c, enc, p, ekeys);
                    b->sse_algorithm = get_str(c, enc, "algorithm", p, 1);
                    b->sse_kms_key = get_str(c, enc, "kmsKeyId", p, 0);
                    b->sse_bucket_key = bk && json_is_true(bk);
                    if (b->sse_algorithm && strcmp(b->sse_algorithm, "AES256") && strcmp(b->sse_algorithm, "aws:kms") &&
                        strcmp(b->sse_algorithm, "aws:kms:dsse"))
                        ERR(c, p, "\"algorithm\" must be AES256, aws:kms or aws:kms:dsse, not \"%s\"", b->sse_algorithm);
                }
                free(p);
            }
            get_pab(c, e, b->where, &b->pab);
            b->policy = get_doc(c, e, "policy", b->where, 0);
        }
    }
    if ((arr = get_objs(c, a, "accessPoints", path)) != NULL) {
        out->aps = calloc(json_array_size(arr) + 1, sizeof(*out->aps));
        json_array_foreach(arr, i, e) {
            struct seed_ap *ap = &out->aps[out->n_aps++];
            ap->where = pathf(path, ".accessPoints[%zu]", i);
            check_keys(c, e, ap->where, apkeys);
            ap->name = get_str(c, e, "name", ap->where, 1);
            ap->bucket = get_str(c, e, "bucket", ap->where, 1);
            ap->vpc_id = get_str(c, e, "vpcId", ap->where, 0);
            get_pab(c, e, ap->where, &ap->pab);
            ap->policy = get_doc(c, e, "policy", ap->where, 0);
        }
    }
}

/* Names must be unique and references must resolve within the account. */
static void cross_check(struct ctx *c, struct seed_account *a)
{
    size_t i, j;
    char **pnames = calloc(a->n_policies + 1, sizeof(char *)), **gnames = calloc(a->n_groups + 1, sizeof(char *));
    char **bnames = calloc(a->n_buckets + 1, sizeof(char *));

    for (i = 0; i < a->n_policies; i++) {
        if (in_list(pnames, i, a->policies[i].name))
            ERR(c, a->policies[i].where, "a policy named \"%s\" is defined twice", a->policies[i].name);
        pnames[i] = a->policies[i].name;
    }
    for (i = 0; i < a->n_groups; i++) {
        if (in_list(gnames, i, a->groups[i].name))
            ERR(c, a->groups[i].where, "a group named \"%s\" is defined twice", a->groups[i].name);
        gnames[i] = a->groups[i].name;
    }
    for (i = 0; i < a->n_buckets; i++) {
        if (in_list(bnames, i, a->buckets[i].name))
            ERR(c, a->buckets[i].where, "a bucket named \"%s\" is defined twice", a->buckets[i].name);
        bnames[i] = a->buckets[i].name;
    }
#define CHECK_POLICY_REFS(obj)                                                                             \
    for (j = 0; j < (obj)->n_policies; j++)                                                                \
        if (strncmp((obj)->policies[j], "arn:", 4) != 0 && !in_list(pnames, a->n_policies, (obj)->policies[j])) \
            ERR(c, (obj)->where, "policies[%zu]: no policy named \"%s\" in this account (give a name from "       \
                "\"policies\" or an ARN such as arn:aws:iam::aws:policy/ReadOnlyAccess)", j, (obj)->policies[j]);
    for (i = 0; i < a->n_groups; i++)
        CHECK_POLICY_REFS(&a->groups[i]);
    for (i = 0; i < a->n_roles; i++)
        CHECK_POLICY_REFS(&a->roles[i]);
    for (i = 0; i < a->n_users; i++) {
        struct seed_user *u = &a->users[i];
        CHECK_POLICY_REFS(u);
        for (j = 0; j < u->n_groups; j++)
            if (!in_list(gnames, a->n_groups, u->groups[j]))
                ERR(c, u->where, "groups[%zu]: no group named \"%s\" in this account", j, u->groups[j]);
        for (j = 0; j < i; j++)
            if (u->name && a->users[j].name && !strcmp(u->name, a->users[j].name))
                ERR(c, u->where, "a user named \"%s\" is defined twice", u->name);
    }
#undef CHECK_POLICY_REFS
    for (i = 0; i < a->n_aps; i++) {
        if (!in_list(bnames, a->n_buckets, a->aps[i].bucket))
            ERR(c, a->aps[i].where, "\"bucket\": no bucket named \"%s\" in this file's account", a->aps[i].bucket);
        for (j = 0; j < i; j++)
            if (a->aps[i].name && a->aps[j].name && !strcmp(a->aps[i].name, a->aps[j].name))
                ERR(c, a->aps[i].where, "an access point named \"%s\" is defined twice", a->aps[i].name);
    }
    free(pnames);
    free(gnames);
    free(bnames);
}

int seed_load(const char *file, const char *default_account, struct seed *out, struct seed_errors *errs)
{
    static const char *const top[] = { "version", "accounts", NULL };
    struct ctx c = { file, errs };
    json_error_t je;
    json_t *root, *accts, *a;
    struct seed s;
    size_t i, before = errs->n;

    memset(&s, 0, sizeof(s));
    root = json_load_file(file, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL) {
        seed_errors_add(errs, "%s:%d:%d: %s", file, je.line, je.column, je.text);
        return -1;
    }
    s.file = strdup(file);
    if (!json_is_object(root)) {
        ERR(&c, "(top)", "the file must hold a JSON object {\"version\": 1, \"accounts\": [...]}");
    } else {
        json_t *ver = json_object_get(root, "version");
        check_keys(&c, root, "(top)", top);
        if (ver && (!json_is_integer(ver) || json_integer_value(ver) != 1))
            ERR(&c, "version", "only version 1 exists");
        accts = json_object_get(root, "accounts");
        if (accts == NULL || !json_is_array(accts) || json_array_size(accts) == 0) {
            ERR(&c, "accounts", "\"accounts\" must be a non-empty list");
        } else {
            s.accounts = calloc(json_array_size(accts) + 1, sizeof(*s.accounts));
            json_array_foreach(accts, i, a) {
                char *p = pathf("", "accounts[%zu]", i);
                if (!json_is_object(a))
                    ERR(&c, p, "must be an object");
                else {
                    parse_account(&c, a, p, default_account, &s.accounts[s.n_accounts]);
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
    if (errs->n > before) {
        seed_release(&s);
        return -1;
    }
    *out = s;
    return 0;
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
        free(v[i].where);
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
        free(a->where);
        free(a->root_akid);
        free(a->root_secret);
        for (j = 0; j < a->n_policies; j++) {
            free(a->policies[j].name);
            free(a->policies[j].path);
            free(a->policies[j].description);
            free(a->policies[j].document);
            free(a->policies[j].where);
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
            free_list(u->groups, u->n_groups);
            free_list(u->policies, u->n_policies);
            free_inline(u->inl, u->n_inl);
            free_tags(u->tags, u->n_tags);
            for (size_t k = 0; k < u->n_keys; k++) {
                free(u->keys[k].id);
                free(u->keys[k].secret);
                free(u->keys[k].status);
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
    memset(s, 0, sizeof(*s));
}
