/*
 * auth/policy_var.c - policy variables and the patterns that carry them, context key lookup,
 * and the bump allocator compiled policies live in.
 *
 * Variables (IAM User Guide, "Policy variables"): ${key} is replaced by the single value of
 * the request context key (names case-insensitive); ${key, 'default'} falls back to default
 * when the key is absent; ${*}, ${?} and ${$} are the literal characters '*', '?' and '$' and
 * must not act as wildcards afterwards.  Substitution happens only under Version 2012-10-17
 * and only in Resource/NotResource and in condition values of the String, Bool and Arn
 * families; everywhere else "${...}" is plain text.  An absent key without a default, or a
 * multi-valued key, makes the entry unable to match.
 */
#include "config.h"
#include "auth/policy_int.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "auth/glob.h"

/* ------------------------------------------------------------------ arena */

struct pol_block {
    struct pol_block *next;
    size_t used, cap;
    alignas(max_align_t) unsigned char data[];
};

#define PA_BLOCK 4096

void *pa_alloc(struct pol_arena *a, size_t n)
{
    size_t align = alignof(max_align_t);
    struct pol_block *b = a->head;
    size_t off;

    if (n == 0)
        n = 1;
    if (b != NULL) {
        off = (b->used + align - 1) & ~(align - 1);
        if (off <= b->cap && b->cap - off >= n) {
            b->used = off + n;
            return b->data + off;
        }
    }
    size_t cap = n > PA_BLOCK ? n : PA_BLOCK;
    b = calloc(1, sizeof *b + cap);
    if (b == NULL)
        return NULL;
    b->cap = cap;
    b->used = n;
    b->next = a->head;
    a->head = b;
    return b->data;
}

char *pa_strndup(struct pol_arena *a, const char *s, size_t n)
{
    char *d = pa_alloc(a, n + 1);
    if (d != NULL && n > 0)
        memcpy(d, s, n);
    return d;
}

void pa_release(struct pol_arena *a)
{
    struct pol_block *b = a->head;
    while (b != NULL) {
        struct pol_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
}

/* ------------------------------------------------------------------ context keys */

static int ieq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
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

const struct authz_key *authz_key_find(const struct authz_ctx *ctx, const char *name, size_t len)
{
    for (size_t i = 0; i < ctx->n_keys; i++) {
        const struct authz_key *k = &ctx->keys[i];
        size_t kl;
        if (k->name == NULL)
            continue;
        kl = k->name_len ? k->name_len : strlen(k->name);
        if (kl == len && ieq(k->name, name, len))
            return k;
    }
    return NULL;
}

/* ------------------------------------------------------------------ patterns */

struct pat_builder {
    char *text;
    uint8_t *lit;
    size_t len;
    int any_lit;
};

static int is_var_key_char(char c)
{
    return c != '{' && c != '}' && c != '$' && c != ',' && c != '\'' && (unsigned char)c >= 0x20;
}

/* Parse the inside of ${...} (c[0..n)).  Returns 1 for a variable (key/default filled),
 * 2 for an escape (*esc filled), 0 if this is not a valid variable (keep it as text). */
static int parse_var(const char *c, size_t n, struct s3_str *key, struct s3_str *def,
                     int *has_def, char *esc)
{
    size_t i = 0, ks, ke;

    *has_def = 0;
    if (n == 1 && (c[0] == '*' || c[0] == '?' || c[0] == '$')) {
        *esc = c[0];
        return 2;
    }
    while (i < n && c[i] == ' ')
        i++;
    ks = i;
    while (i < n && is_var_key_char(c[i]))
        i++;
    ke = i;
    while (ke > ks && c[ke - 1] == ' ')
        ke--;
    if (ke == ks)
        return 0;
    *key = (struct s3_str){ c + ks, ke - ks };
    while (i < n && c[i] == ' ')
        i++;
    if (i == n)
        return 1;
    if (c[i] != ',')
        return 0;
    i++;
    while (i < n && c[i] == ' ')
        i++;
    if (i >= n || c[i] != '\'')
        return 0;
    size_t ds = ++i;
    while (i < n && c[i] != '\'')
        i++;
    if (i >= n)
        return 0;
    *def = (struct s3_str){ c + ds, i - ds };
    *has_def = 1;
    i++;
    while (i < n && c[i] == ' ')
        i++;
    return i == n ? 1 : 0;
}

static int flush_lit(struct pol_arena *a, struct pat_builder *b, struct pol_seg *segs, size_t *ns)
{
    struct pol_seg *s;

    if (b->len == 0)
        return 1;
    s = &segs[(*ns)++];
    s->kind = SEG_LIT;
    s->s = pa_strndup(a, b->text, b->len);
    s->len = (uint32_t)b->len;
    if (s->s == NULL)
        return 0;
    if (b->any_lit) {
        uint8_t *l = pa_alloc(a, b->len);
        if (l == NULL)
            return 0;
        memcpy(l, b->lit, b->len);
        s->lit = l;
    }
    b->len = 0;
    b->any_lit = 0;
    return 1;
}

int pol_pat_compile(struct pol_arena *a, const char *raw, size_t n, int vars, struct pol_pat *out)
{
    struct pat_builder b = { 0 };
    struct pol_seg *segs = NULL;
    size_t ns = 0, nvars = 0;
    int ok = 0;

    memset(out, 0, sizeof *out);
    out->raw = pa_strndup(a, raw, n);
    if (out->raw == NULL)
        return 0;
    if (!vars || n < 3 || memmem(raw, n, "${", 2) == NULL) {
        out->text = out->raw;
        out->len = (uint32_t)n;
        if (n == 1 && raw[0] == '*')
            out->flags |= PAT_STAR;
        if (glob_has_wildcard(raw, n, NULL))
            out->flags |= PAT_WILD;
        return 1;
    }

    /* At most one segment per character, plus one. */
    b.text = malloc(n + 1);
    b.lit = malloc(n + 1);
    segs = malloc((n + 1) * sizeof *segs);
    if (b.text == NULL || b.lit == NULL || segs == NULL)
        goto out;
    memset(segs, 0, (n + 1) * sizeof *segs);
    for (size_t i = 0; i < n;) {
        const char *close;
        struct s3_str key = S3_STR_NULL, def = S3_STR_NULL;
        int has_def = 0, kind;
        char esc = 0;

        if (raw[i] != '$' || i + 1 >= n || raw[i + 1] != '{' ||
            (close = memchr(raw + i + 2, '}', n - i - 2)) == NULL ||
            (kind = parse_var(raw + i + 2, (size_t)(close - raw) - i - 2, &key, &def, &has_def,
                              &esc)) == 0) {
            b.text[b.len] = raw[i];
            b.lit[b.len++] = 0;
            if (raw[i] == '*' || raw[i] == '?')
                out->flags |= PAT_WILD;
            i++;
            continue;
        }
        if (kind == 2) {
            b.text[b.len] = esc;
            b.lit[b.len++] = 1;
            b.any_lit = 1;
        } else {
            struct pol_seg *s;
            if (!flush_lit(a, &b, segs, &ns))
                goto out;
            s = &segs[ns++];
            s->kind = SEG_VAR;
            s->s = pa_strndup(a, key.p, key.len);
            s->len = (uint32_t)key.len;
            s->has_def = (uint8_t)has_def;
            if (has_def) {
                s->def = pa_strndup(a, def.p, def.len);
                s->def_len = (uint32_t)def.len;
                if (s->def == NULL)
                    goto out;
            }
            if (s->s == NULL)
                goto out;
            nvars++;
        }
        i = (size_t)(close - raw) + 1;
    }
    if (nvars == 0) {
        /* Only escapes: the pattern is static text with a literal mask. */
        char *t = pa_strndup(a, b.text, b.len);
        if (t == NULL)
            goto out;
        out->text = t;
        out->len = (uint32_t)b.len;
        if (b.any_lit) {
            uint8_t *l = pa_alloc(a, b.len);
            if (l == NULL)
                goto out;
            memcpy(l, b.lit, b.len);
            out->lit = l;
        }
        if (b.len == 1 && t[0] == '*' && (out->lit == NULL || out->lit[0] == 0))
            out->flags |= PAT_STAR;
        ok = 1;
        goto out;
    }
    if (!flush_lit(a, &b, segs, &ns))
        goto out;
    {
        struct pol_seg *s = pa_alloc(a, ns * sizeof *s);
        if (s == NULL || ns > UINT16_MAX)
            goto out;
        memcpy(s, segs, ns * sizeof *s);
        out->segs = s;
        out->n_segs = (uint16_t)ns;
        out->flags |= PAT_VARS;
        out->text = out->raw;
        out->len = (uint32_t)n;
    }
    ok = 1;
out:
    free(b.text);
    free(b.lit);
    free(segs);
    return ok;
}

int pol_pat_resolve(const struct pol_pat *pat, const struct authz_ctx *ctx, char *buf,
                    uint8_t *lit, const char **text, size_t *len, const uint8_t **litp)
{
    size_t o = 0;

    if (!(pat->flags & PAT_VARS)) {
        *text = pat->text;
        *len = pat->len;
        *litp = pat->lit;
        return 1;
    }
    for (size_t i = 0; i < pat->n_segs; i++) {
        const struct pol_seg *s = &pat->segs[i];
        const char *v;
        size_t vl;
        int literal_all;

        if (s->kind == SEG_LIT) {
            v = s->s;
            vl = s->len;
            literal_all = 0;
        } else {
            const struct authz_key *k = authz_key_find(ctx, s->s, s->len);
            v = NULL;
            if (k != NULL) {
                if (k->values == NULL)
                    v = k->value;
                else if (k->n_values == 1)
                    v = k->values[0];
            }
            if (v != NULL) {
                vl = strlen(v);
            } else if (s->has_def) {
                v = s->def;
                vl = s->def_len;
            } else {
                return 0;
            }
            /* A substituted value is data, not pattern: its '*' and '?' are literal. */
            literal_all = 1;
        }
        if (vl > POL_SUBST_MAX - o)
            return 0;
        memcpy(buf + o, v, vl);
        for (size_t j = 0; j < vl; j++)
            lit[o + j] = literal_all ? 1 : (s->lit ? s->lit[j] : 0);
        o += vl;
    }
    *text = buf;
    *len = o;
    *litp = lit;
    return 1;
}

int pol_pat_match(const struct pol_pat *pat, const struct authz_ctx *ctx, const char *s, size_t n)
{
    char buf[POL_SUBST_MAX];
    uint8_t lit[POL_SUBST_MAX];
    const char *t;
    const uint8_t *l;
    size_t tl;

    if (pat->flags & PAT_STAR)
        return 1;
    if (!(pat->flags & PAT_VARS))
        return glob_match_ex(pat->text, pat->len, pat->lit, s, n, 0);
    if (!pol_pat_resolve(pat, ctx, buf, lit, &t, &tl, &l))
        return 0;
    return glob_match_ex(t, tl, l, s, n, 0);
}
