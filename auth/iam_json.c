/*
 * auth/iam_json.c - the IAM state of one account as JSON text, and back.
 *
 * Format (version 1):
 *   { "format": 1, "account": "111122223333",
 *     "users":    [ { "name", "path", "id", "created", "password_last_used", "tags": [[k, v]...],
 *                     "login": { "reset", "created", "hash" } | absent,
 *                     "inline": [ { "name", "doc", "created" } ], "attached": [ ARN... ],
 *                     "keys": [ { "id", "secret", "active", "created", "last_used", "service", "region" } ] } ],
 *     "groups":   [ { "name", "path", "id", "created", "members": [ name... ], "inline", "attached" } ],
 *     "roles":    [ { "name", "path", "id", "created", "description", "max_session", "trust",
 *                     "tags", "inline", "attached", "last_used", "last_region" } ],
 *     "policies": [ { "name", "path", "id", "description", "created", "updated", "default", "next",
 *                     "tags", "versions": [ { "id", "doc", "created" } ] } ],
 *     "sessions": [ { "kind", "akid", "secret", "token", "created", "expires", "name", "arn", "role",
 *                     "role_id", "policy", "tags", "source" } ] }
 * ARNs are derived from account, path and name on load.  Times are seconds since the epoch.
 */
#include "config.h"
#include "auth/iam_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "auth/iam_int.h"

/* ------------------------------------------------------------------ dump */

static int put_str(json_t *o, const char *k, const char *v)
{
    if (v == NULL)
        return 0;
    return json_object_set_new(o, k, json_string(v));
}

static int put_int(json_t *o, const char *k, int64_t v) { return json_object_set_new(o, k, json_integer(v)); }

static json_t *tags_json(const struct iam_tags *t)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < t->n; i++)
        json_array_append_new(a, json_pack("[ss]", t->v[i].key, t->v[i].value));
    return a;
}

static json_t *strs_json(const struct iam_strs *s)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < s->n; i++)
        json_array_append_new(a, json_string(s->v[i]));
    return a;
}

static json_t *docs_json(const struct iam_docs *d, const char *idkey)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < d->n; i++)
        json_array_append_new(a, json_pack("{sssssI}", idkey, d->v[i].name, "doc", d->v[i].text, "created",
                                           (json_int_t)d->v[i].created));
    return a;
}

char *iam_json_dump(const struct iam_account *a)
{
    json_t *root = json_object(), *users = json_array(), *groups = json_array(), *roles = json_array(),
           *pols = json_array(), *sess = json_array();
    char *out = NULL;

    if (!root || !users || !groups || !roles || !pols || !sess) {
        json_decref(users);
        json_decref(groups);
        json_decref(roles);
        json_decref(pols);
        json_decref(sess);
        goto out;
    }
    put_int(root, "format", 1);
    put_str(root, "account", a->id);
    json_object_set_new(root, "users", users);
    json_object_set_new(root, "groups", groups);
    json_object_set_new(root, "roles", roles);
    json_object_set_new(root, "policies", pols);
    json_object_set_new(root, "sessions", sess);

    for (size_t i = 0; i < a->n_users; i++) {
        const struct iam_user *u = a->users[i];
        json_t *o = json_object(), *keys = json_array();
        put_str(o, "name", u->name);
        put_str(o, "path", u->path);
        put_str(o, "id", u->id);
        put_int(o, "created", u->created);
        if (u->password_last_used)
            put_int(o, "password_last_used", u->password_last_used);
        json_object_set_new(o, "tags", tags_json(&u->tags));
        if (u->login.present)
            json_object_set_new(o, "login", json_pack("{sbsIss}", "reset", u->login.reset_required, "created",
                                                      (json_int_t)u->login.created, "hash",
                                                      u->login.pw_hash ? u->login.pw_hash : ""));
        json_object_set_new(o, "inline", docs_json(&u->inl, "name"));
        json_object_set_new(o, "attached", strs_json(&u->attached));
        for (size_t k = 0; keys && k < u->n_keys; k++) {
            const struct iam_key *ky = &u->keys[k];
            json_array_append_new(keys, json_pack("{sssssbsIsIssss}", "id", ky->id, "secret", ky->secret, "active",
                                                  ky->active, "created", (json_int_t)ky->created, "last_used",
                                                  (json_int_t)ky->last_used, "service", ky->last_service, "region",
                                                  ky->last_region));
        }
        json_object_set_new(o, "keys", keys);
        json_array_append_new(users, o);
    }
    for (size_t i = 0; i < a->n_groups; i++) {
        const struct iam_group *g = a->groups[i];
        json_t *o = json_object();
        put_str(o, "name", g->name);
        put_str(o, "path", g->path);
        put_str(o, "id", g->id);
        put_int(o, "created", g->created);
        json_object_set_new(o, "members", strs_json(&g->members));
        json_object_set_new(o, "inline", docs_json(&g->inl, "name"));
        json_object_set_new(o, "attached", strs_json(&g->attached));
        json_array_append_new(groups, o);
    }
    for (size_t i = 0; i < a->n_roles; i++) {
        const struct iam_role *r = a->roles[i];
        json_t *o = json_object();
        put_str(o, "name", r->name);
        put_str(o, "path", r->path);
        put_str(o, "id", r->id);
        put_int(o, "created", r->created);
        put_str(o, "description", r->description);
        put_int(o, "max_session", r->max_session);
        put_str(o, "trust", r->trust.text);
        json_object_set_new(o, "tags", tags_json(&r->tags));
        json_object_set_new(o, "inline", docs_json(&r->inl, "name"));
        json_object_set_new(o, "attached", strs_json(&r->attached));
        if (r->last_used) {
            put_int(o, "last_used", r->last_used);
            put_str(o, "last_region", r->last_region);
        }
        json_array_append_new(roles, o);
    }
    for (size_t i = 0; i < a->n_policies; i++) {
        const struct iam_mpolicy *p = a->policies[i];
        json_t *o = json_object();
        put_str(o, "name", p->name);
        put_str(o, "path", p->path);
        put_str(o, "id", p->id);
        put_str(o, "description", p->description);
        put_int(o, "created", p->created);
        put_int(o, "updated", p->updated);
        put_str(o, "default", p->versions.n ? p->versions.v[p->def].name : "v1");
        put_int(o, "next", p->next_version);
        json_object_set_new(o, "tags", tags_json(&p->tags));
        json_object_set_new(o, "versions", docs_json(&p->versions, "id"));
        json_array_append_new(pols, o);
    }
    for (size_t i = 0; i < a->n_sessions; i++) {
        const struct iam_session *s = a->sessions[i];
        json_t *o = json_object();
        put_str(o, "kind", s->kind == IAM_SESS_ROLE ? "role" : "user");
        put_str(o, "akid", s->akid);
        put_str(o, "secret", s->secret);
        put_str(o, "token", s->token);
        put_int(o, "created", s->created);
        put_int(o, "expires", s->expires);
        put_str(o, "name", s->name);
        put_str(o, "arn", s->arn);
        put_str(o, "role", s->role_name);
        put_str(o, "role_id", s->role_id);
        put_str(o, "policy", s->policy_text);
        put_str(o, "source", s->source_arn);
        json_object_set_new(o, "tags", tags_json(&s->tags));
        json_array_append_new(sess, o);
    }
    out = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
out:
    json_decref(root);
    return out;
}

/* ------------------------------------------------------------------ load */

struct loader {
    struct iam_account *a;
    char *err;
    size_t errlen;
    unsigned *warn;
    const char *where;      /* "user alice", for messages */
};

static int bad(struct loader *L, const char *what)
{
    snprintf(L->err, L->errlen, "stored IAM state of account %s: %s%s%s", L->a->id, L->where ? L->where : "",
             L->where ? ": " : "", what);
    return 0;
}

static const char *get_s(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int64_t get_i(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

static int load_tags(struct loader *L, json_t *arr, struct iam_tags *t)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        const char *k = json_string_value(json_array_get(v, 0)), *val = json_string_value(json_array_get(v, 1));
        if (k == NULL || val == NULL)
            return bad(L, "a tag is not a [key, value] pair");
        if (iam_tags_add(t, k, val) != S3_OK)
            return bad(L, "out of memory");
    }
    return 1;
}

static int load_strs(struct loader *L, json_t *arr, struct iam_strs *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        if (!json_is_string(v))
            return bad(L, "a list holds a non-string");
        if (iam_strs_add(s, json_string_value(v)) != S3_OK)
            return bad(L, "out of memory");
    }
    return 1;
}

static int load_docs(struct loader *L, json_t *arr, const char *idkey, struct iam_docs *d, const char *src_prefix)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        const char *name = get_s(v, idkey), *doc = get_s(v, "doc");
        char src[512];
        if (name == NULL || doc == NULL)
            return bad(L, "a policy document without name or text");
        snprintf(src, sizeof(src), "%s%s", src_prefix, name);
        if (iam_docs_load(d, name, doc, get_i(v, "created"), POLICY_IDENTITY, src, L->warn) != S3_OK)
            return bad(L, "out of memory");
    }
    return 1;
}

/* Common fields of users, groups, roles and policies. */
static int ids(struct loader *L, json_t *o, const char *kind, char **name, char **path, char **id, char **arn)
{
    const char *n = get_s(o, "name"), *p = get_s(o, "path"), *i = get_s(o, "id");
    if (n == NULL || p == NULL || i == NULL)
        return bad(L, "an entity without name, path or id");
    *name = strdup(n);
    *path = strdup(p);
    *id = strdup(i);
    *arn = iam_make_arn(L->a->id, kind, p, n);
    if (!*name || !*path || !*id || !*arn)
        return bad(L, "out of memory");
    return 1;
}

static int load_user(struct loader *L, json_t *o)
{
    struct iam_user *u = calloc(1, sizeof(*u));
    json_t *login, *keys, *v;
    char src[320];
    size_t i;

    if (u == NULL)
        return bad(L, "out of memory");
    if (!ids(L, o, "user", &u->name, &u->path, &u->id, &u->arn))
        goto fail;
    L->where = u->name;
    u->created = get_i(o, "created");
    u->password_last_used = get_i(o, "password_last_used");
    if (!load_tags(L, json_object_get(o, "tags"), &u->tags))
        goto fail;
    if ((login = json_object_get(o, "login")) != NULL) {
        u->login.present = 1;
        u->login.reset_required = json_is_true(json_object_get(login, "reset"));
        u->login.created = get_i(login, "created");
        if ((u->login.pw_hash = strdup(get_s(login, "hash") ? get_s(login, "hash") : "")) == NULL)
            goto fail;
    }
    snprintf(src, sizeof(src), "inline policy of user %s: ", u->name);
    if (!load_docs(L, json_object_get(o, "inline"), "name", &u->inl, src) ||
        !load_strs(L, json_object_get(o, "attached"), &u->attached))
        goto fail;
    keys = json_object_get(o, "keys");
    json_array_foreach(keys, i, v)
    {
        struct iam_key *k;
        const char *id = get_s(v, "id"), *sec = get_s(v, "secret");
        if (u->n_keys >= IAM_MAX_KEYS_PER_USER || id == NULL || sec == NULL) {
            bad(L, "an access key without id or secret, or too many keys");
            goto fail;
        }
        k = &u->keys[u->n_keys++];
        snprintf(k->id, sizeof(k->id), "%s", id);
        snprintf(k->secret, sizeof(k->secret), "%s", sec);
        k->active = json_is_true(json_object_get(v, "active"));
        k->created = get_i(v, "created");
        k->last_used = get_i(v, "last_used");
        snprintf(k->last_service, sizeof(k->last_service), "%s", get_s(v, "service") ? get_s(v, "service") : "");
        snprintf(k->last_region, sizeof(k->last_region), "%s", get_s(v, "region") ? get_s(v, "region") : "");
    }
    if (iam_account_add_user(L->a, u) != S3_OK) {
        bad(L, "out of memory");
        goto fail;
    }
    return 1;
fail:
    iam_user_free(u);
    return 0;
}

static int load_group(struct loader *L, json_t *o)
{
    struct iam_group *g = calloc(1, sizeof(*g));
    char src[320];
    if (g == NULL)
        return bad(L, "out of memory");
    if (!ids(L, o, "group", &g->name, &g->path, &g->id, &g->arn))
        goto fail;
    L->where = g->name;
    g->created = get_i(o, "created");
    snprintf(src, sizeof(src), "inline policy of group %s: ", g->name);
    if (!load_strs(L, json_object_get(o, "members"), &g->members) ||
        !load_docs(L, json_object_get(o, "inline"), "name", &g->inl, src) ||
        !load_strs(L, json_object_get(o, "attached"), &g->attached))
        goto fail;
    if (iam_account_add_group(L->a, g) != S3_OK) {
        bad(L, "out of memory");
        goto fail;
    }
    return 1;
fail:
    iam_group_free(g);
    return 0;
}

static int load_role(struct loader *L, json_t *o)
{
    struct iam_role *r = calloc(1, sizeof(*r));
    const char *trust = get_s(o, "trust"), *d = get_s(o, "description");
    char src[320];
    if (r == NULL)
        return bad(L, "out of memory");
    if (!ids(L, o, "role", &r->name, &r->path, &r->id, &r->arn))
        goto fail;
    L->where = r->name;
    if (trust == NULL) {
        bad(L, "a role without a trust policy");
        goto fail;
    }
    r->created = get_i(o, "created");
    r->max_session = (int)get_i(o, "max_session");
    if (r->max_session == 0)
        r->max_session = 3600;
    r->last_used = get_i(o, "last_used");
    snprintf(r->last_region, sizeof(r->last_region), "%s", get_s(o, "last_region") ? get_s(o, "last_region") : "");
    if (d && (r->description = strdup(d)) == NULL)
        goto fail;
    snprintf(src, sizeof(src), "trust policy of role %s", r->name);
    if (iam_doc_load(&r->trust, NULL, trust, r->created, POLICY_TRUST, src, L->warn) != S3_OK)
        goto fail;
    snprintf(src, sizeof(src), "inline policy of role %s: ", r->name);
    if (!load_tags(L, json_object_get(o, "tags"), &r->tags) ||
        !load_docs(L, json_object_get(o, "inline"), "name", &r->inl, src) ||
        !load_strs(L, json_object_get(o, "attached"), &r->attached))
        goto fail;
    if (iam_account_add_role(L->a, r) != S3_OK) {
        bad(L, "out of memory");
        goto fail;
    }
    return 1;
fail:
    iam_role_free(r);
    return 0;
}

static int load_policy(struct loader *L, json_t *o)
{
    struct iam_mpolicy *p = calloc(1, sizeof(*p));
    const char *d = get_s(o, "description"), *def = get_s(o, "default");
    json_t *vs, *v;
    size_t i;
    if (p == NULL)
        return bad(L, "out of memory");
    if (!ids(L, o, "policy", &p->name, &p->path, &p->id, &p->arn))
        goto fail;
    L->where = p->name;
    p->created = get_i(o, "created");
    p->updated = get_i(o, "updated");
    p->next_version = (unsigned)get_i(o, "next");
    if (d && (p->description = strdup(d)) == NULL)
        goto fail;
    if (!load_tags(L, json_object_get(o, "tags"), &p->tags))
        goto fail;
    vs = json_object_get(o, "versions");
    json_array_foreach(vs, i, v)
    {
        const char *id = get_s(v, "id"), *doc = get_s(v, "doc");
        if (id == NULL || doc == NULL) {
            bad(L, "a policy version without id or document");
            goto fail;
        }
        if (iam_docs_load(&p->versions, id, doc, get_i(v, "created"), POLICY_IDENTITY, p->arn, L->warn) != S3_OK)
            goto fail;
        if (def && !strcmp(def, id))
            p->def = p->versions.n - 1;
    }
    if (p->versions.n == 0) {
        bad(L, "a managed policy without versions");
        goto fail;
    }
    if (p->next_version == 0)
        p->next_version = (unsigned)p->versions.n + 1;
    if (iam_account_add_policy(L->a, p) != S3_OK) {
        bad(L, "out of memory");
        goto fail;
    }
    return 1;
fail:
    iam_mpolicy_free(p);
    return 0;
}

static int load_session(struct loader *L, json_t *o)
{
    struct iam_session *s = calloc(1, sizeof(*s));
    const char *akid = get_s(o, "akid"), *sec = get_s(o, "secret"), *tok = get_s(o, "token"), *kind = get_s(o, "kind");
    const char *pol = get_s(o, "policy");
    if (s == NULL)
        return bad(L, "out of memory");
    if (!akid || !sec || !tok || !kind || !get_s(o, "name") || !get_s(o, "arn")) {
        bad(L, "a session without key, secret, token, kind, name or ARN");
        goto fail;
    }
    s->kind = !strcmp(kind, "role") ? IAM_SESS_ROLE : IAM_SESS_USER;
    snprintf(s->akid, sizeof(s->akid), "%s", akid);
    snprintf(s->secret, sizeof(s->secret), "%s", sec);
    s->token = strdup(tok);
    s->created = get_i(o, "created");
    s->expires = get_i(o, "expires");
    s->name = strdup(get_s(o, "name"));
    s->arn = strdup(get_s(o, "arn"));
    if (!s->token || !s->name || !s->arn)
        goto fail;
    if (get_s(o, "role") && (s->role_name = strdup(get_s(o, "role"))) == NULL)
        goto fail;
    if (get_s(o, "role_id") && (s->role_id = strdup(get_s(o, "role_id"))) == NULL)
        goto fail;
    if (get_s(o, "source") && (s->source_arn = strdup(get_s(o, "source"))) == NULL)
        goto fail;
    if (s->kind == IAM_SESS_ROLE && (!s->role_name || !s->role_id)) {
        bad(L, "a role session without its role");
        goto fail;
    }
    if (pol) {
        struct iam_doc d;
        if (iam_doc_load(&d, NULL, pol, s->created, POLICY_IDENTITY, "session policy", L->warn) != S3_OK)
            goto fail;
        s->policy_text = d.text;
        s->policy = d.cp;
        if (s->policy == NULL) {
            /* A session policy that no longer compiles must not widen the session: drop the
             * session instead. */
            iam_session_free(s);
            return 1;
        }
    }
    if (!load_tags(L, json_object_get(o, "tags"), &s->tags))
        goto fail;
    if (iam_account_add_session(L->a, s) != S3_OK) {
        bad(L, "out of memory");
        goto fail;
    }
    return 1;
fail:
    iam_session_free(s);
    return 0;
}

s3_err iam_json_load(struct iam_db *db, const char *id, const char *json, struct iam_account **out, char *err,
                     size_t errlen, unsigned *warn)
{
    json_error_t je;
    json_t *root = json_loads(json, 0, &je), *arr, *v;
    struct loader L;
    size_t i;
    unsigned w = 0;
    char dummy[8];

    *out = NULL;
    if (err == NULL || errlen == 0) {
        err = dummy;
        errlen = sizeof(dummy);
    }
    if (root == NULL || !json_is_object(root)) {
        snprintf(err, errlen, "stored IAM state of account %s is not a JSON object (line %d: %s)", id, je.line,
                 je.text);
        json_decref(root);
        return S3E_INTERNAL;
    }
    if (get_i(root, "format") != 1) {
        snprintf(err, errlen, "stored IAM state of account %s has format %lld; this s3iamd reads format 1", id,
                 (long long)get_i(root, "format"));
        json_decref(root);
        return S3E_INTERNAL;
    }
    memset(&L, 0, sizeof(L));
    L.err = err;
    L.errlen = errlen;
    L.warn = warn ? warn : &w;
    if ((L.a = iam_account_new(db, id)) == NULL) {
        json_decref(root);
        return S3E_NOMEM;
    }
    arr = json_object_get(root, "users");
    json_array_foreach(arr, i, v) if (!load_user(&L, v)) goto fail;
    L.where = NULL;
    arr = json_object_get(root, "groups");
    json_array_foreach(arr, i, v) if (!load_group(&L, v)) goto fail;
    L.where = NULL;
    arr = json_object_get(root, "roles");
    json_array_foreach(arr, i, v) if (!load_role(&L, v)) goto fail;
    L.where = NULL;
    arr = json_object_get(root, "policies");
    json_array_foreach(arr, i, v) if (!load_policy(&L, v)) goto fail;
    L.where = NULL;
    arr = json_object_get(root, "sessions");
    json_array_foreach(arr, i, v) if (!load_session(&L, v)) goto fail;
    json_decref(root);
    *out = L.a;
    return S3_OK;
fail:
    json_decref(root);
    iam_account_free(L.a);
    return S3E_INTERNAL;
}

/* ------------------------------------------------------------------ context keys of a document */

static int seen(const struct iam_strs *s, const char *k)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcasecmp(s->v[i], k))
            return 1;
    return 0;
}

/* Variables ${key} or ${key, 'default'} inside a string. */
static s3_err vars_of(const char *s, struct iam_strs *out)
{
    const char *p = s;
    while ((p = strstr(p, "${")) != NULL) {
        const char *end = strchr(p + 2, '}');
        size_t n;
        char key[256];
        if (end == NULL)
            break;
        n = (size_t)(end - p - 2);
        {
            const char *comma = memchr(p + 2, ',', n);
            if (comma)
                n = (size_t)(comma - p - 2);
        }
        if (n > 0 && n < sizeof(key) && memchr(p + 2, ':', n)) {
            memcpy(key, p + 2, n);
            key[n] = 0;
            if (!seen(out, key) && iam_strs_add(out, key) != S3_OK)
                return S3E_NOMEM;
        }
        p = end + 1;
    }
    return S3_OK;
}

static s3_err keys_of_stmt(json_t *st, struct iam_strs *out)
{
    json_t *cond = json_object_get(st, "Condition"), *res, *v, *keys;
    const char *op, *key;
    size_t i;
    s3_err e;

    json_object_foreach(cond, op, keys)
    {
        json_t *vals;
        json_object_foreach(keys, key, vals)
        {
            if (!seen(out, key) && (e = iam_strs_add(out, key)) != S3_OK)
                return e;
            if (json_is_string(vals) && (e = vars_of(json_string_value(vals), out)) != S3_OK)
                return e;
            json_array_foreach(vals, i, v) if (json_is_string(v) && (e = vars_of(json_string_value(v), out)) != S3_OK)
                return e;
        }
    }
    for (int k = 0; k < 2; k++) {
        res = json_object_get(st, k ? "NotResource" : "Resource");
        if (json_is_string(res) && (e = vars_of(json_string_value(res), out)) != S3_OK)
            return e;
        json_array_foreach(res, i, v) if (json_is_string(v) && (e = vars_of(json_string_value(v), out)) != S3_OK)
            return e;
    }
    return S3_OK;
}

s3_err iam_policy_context_keys(const char *doc, struct iam_strs *out)
{
    json_t *root = json_loads(doc, 0, NULL), *st, *v;
    size_t i;
    s3_err e = S3_OK;

    if (root == NULL)
        return S3_OK;
    st = json_object_get(root, "Statement");
    if (json_is_object(st))
        e = keys_of_stmt(st, out);
    else
        json_array_foreach(st, i, v) if (json_is_object(v) && (e = keys_of_stmt(v, out)) != S3_OK) break;
    json_decref(root);
    return e;
}
