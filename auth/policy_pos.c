/*
 * auth/policy_pos.c - where each JSON value of a policy sits in its text.
 *
 * jansson gives line/column only for syntax errors.  Validation messages and
 * SimulatePrincipalPolicy (StartPosition/EndPosition of a statement) need positions of values
 * in documents jansson accepted, so this file re-scans the text once and keeps a small tree of
 * byte offsets that mirrors the jansson tree.  It also notices duplicate object keys, which
 * jansson silently resolves (the last one wins) and which students should hear about.
 */
#include "config.h"
#include "auth/policy_int.h"

#include <stdlib.h>
#include <string.h>

#define JPOS_MAX_DEPTH 2048
#define JPOS_DUP_CHECK_MAX 256 /* members per object checked for duplicates (quadratic) */

static uint32_t new_node(struct jpos_tree *t, uint8_t type, size_t start)
{
    if (t->count == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        struct jpos *n = realloc(t->n, cap * sizeof *n);
        if (n == NULL)
            return JPOS_NONE;
        t->n = n;
        t->cap = cap;
    }
    struct jpos *j = &t->n[t->count];
    j->start = (uint32_t)start;
    j->end = (uint32_t)start;
    j->key = JPOS_NONE;
    j->key_len = 0;
    j->first_child = JPOS_NONE;
    j->next = JPOS_NONE;
    j->type = type;
    return (uint32_t)t->count++;
}

static void skip_ws(const struct jpos_tree *t, size_t *i)
{
    while (*i < t->len) {
        char c = t->text[*i];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        (*i)++;
    }
}

/* *i is at the opening quote; leaves *i after the closing quote.  0 if unterminated. */
static int skip_string(const struct jpos_tree *t, size_t *i)
{
    size_t k = *i + 1;
    while (k < t->len) {
        if (t->text[k] == '\\') {
            k += 2;
            continue;
        }
        if (t->text[k] == '"') {
            *i = k + 1;
            return 1;
        }
        k++;
    }
    return 0;
}

static void note_dups(struct jpos_tree *t, uint32_t obj)
{
    size_t m = 0;
    for (uint32_t c = t->n[obj].first_child; c != JPOS_NONE; c = t->n[c].next)
        m++;
    if (m < 2 || m > JPOS_DUP_CHECK_MAX)
        return;
    for (uint32_t b = t->n[obj].first_child; b != JPOS_NONE; b = t->n[b].next) {
        for (uint32_t a = t->n[obj].first_child; a != b; a = t->n[a].next) {
            if (t->n[a].key_len == t->n[b].key_len &&
                memcmp(t->text + t->n[a].key + 1, t->text + t->n[b].key + 1, t->n[a].key_len) == 0) {
                if (t->n_dups < POLICY_MAX_DIAG)
                    t->dups[t->n_dups++] = t->n[b].key;
                break;
            }
        }
    }
}

static uint32_t parse_value(struct jpos_tree *t, size_t *i, int depth);

static uint32_t parse_container(struct jpos_tree *t, size_t *i, int depth, int is_obj)
{
    uint32_t node = new_node(t, is_obj ? JP_OBJECT : JP_ARRAY, *i);
    uint32_t last = JPOS_NONE;
    char close = is_obj ? '}' : ']';

    if (node == JPOS_NONE)
        return JPOS_NONE;
    (*i)++;
    skip_ws(t, i);
    if (*i < t->len && t->text[*i] == close) {
        (*i)++;
        t->n[node].end = (uint32_t)*i;
        return node;
    }
    for (;;) {
        size_t key = 0, key_len = 0;
        uint32_t child;

        skip_ws(t, i);
        if (is_obj) {
            if (*i >= t->len || t->text[*i] != '"')
                return JPOS_NONE;
            key = *i;
            if (!skip_string(t, i))
                return JPOS_NONE;
            key_len = *i - key - 2;
            skip_ws(t, i);
            if (*i >= t->len || t->text[*i] != ':')
                return JPOS_NONE;
            (*i)++;
            skip_ws(t, i);
        }
        child = parse_value(t, i, depth + 1);
        if (child == JPOS_NONE)
            return JPOS_NONE;
        if (is_obj) {
            t->n[child].key = (uint32_t)key;
            t->n[child].key_len = (uint32_t)key_len;
        }
        if (last == JPOS_NONE)
            t->n[node].first_child = child;
        else
            t->n[last].next = child;
        last = child;
        skip_ws(t, i);
        if (*i >= t->len)
            return JPOS_NONE;
        if (t->text[*i] == ',') {
            (*i)++;
            continue;
        }
        if (t->text[*i] != close)
            return JPOS_NONE;
        (*i)++;
        t->n[node].end = (uint32_t)*i;
        if (is_obj)
            note_dups(t, node);
        return node;
    }
}

static uint32_t parse_value(struct jpos_tree *t, size_t *i, int depth)
{
    uint32_t node;

    if (depth > JPOS_MAX_DEPTH || *i >= t->len)
        return JPOS_NONE;
    switch (t->text[*i]) {
    case '{':
        return parse_container(t, i, depth, 1);
    case '[':
        return parse_container(t, i, depth, 0);
    case '"':
        node = new_node(t, JP_STRING, *i);
        if (node == JPOS_NONE || !skip_string(t, i))
            return JPOS_NONE;
        t->n[node].end = (uint32_t)*i;
        return node;
    default:
        node = new_node(t, JP_OTHER, *i);
        if (node == JPOS_NONE)
            return JPOS_NONE;
        while (*i < t->len && strchr(",]} \t\r\n", t->text[*i]) == NULL)
            (*i)++;
        t->n[node].end = (uint32_t)*i;
        return node;
    }
}

int jpos_build(struct jpos_tree *t, const char *text, size_t len)
{
    size_t i = 0;

    memset(t, 0, sizeof *t);
    t->text = text;
    t->len = len;
    if (len >= UINT32_MAX)
        return 0;
    skip_ws(t, &i);
    if (parse_value(t, &i, 0) != 0) {
        jpos_release(t);
        return 0;
    }
    return 1;
}

void jpos_release(struct jpos_tree *t)
{
    free(t->n);
    t->n = NULL;
    t->count = t->cap = 0;
}

uint32_t jpos_member(const struct jpos_tree *t, uint32_t node, const char *key)
{
    uint32_t found = JPOS_NONE;
    size_t kl = strlen(key);

    if (node == JPOS_NONE || node >= t->count || t->n[node].type != JP_OBJECT)
        return JPOS_NONE;
    for (uint32_t c = t->n[node].first_child; c != JPOS_NONE; c = t->n[c].next)
        if (t->n[c].key_len == kl && memcmp(t->text + t->n[c].key + 1, key, kl) == 0)
            found = c;
    return found;
}

uint32_t jpos_elem(const struct jpos_tree *t, uint32_t node, size_t i)
{
    if (node == JPOS_NONE || node >= t->count || t->n[node].type != JP_ARRAY)
        return JPOS_NONE;
    for (uint32_t c = t->n[node].first_child; c != JPOS_NONE; c = t->n[c].next)
        if (i-- == 0)
            return c;
    return JPOS_NONE;
}

void jpos_linecol(const char *text, size_t len, size_t off, int *line, int *col)
{
    int l = 1, c = 1;

    if (off > len)
        off = len;
    for (size_t i = 0; i < off; i++) {
        unsigned char ch = (unsigned char)text[i];
        if (ch == '\n') {
            l++;
            c = 1;
        } else if ((ch & 0xC0) != 0x80) {
            /* count characters, not bytes, like jansson: skip UTF-8 continuation bytes */
            c++;
        }
    }
    *line = l;
    *col = c;
}
