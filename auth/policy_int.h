/*
 * auth/policy_int.h - the compiled form of a policy, shared by auth/policy_*.c only.
 *
 * A compiled policy is one bump-allocated block list (struct pol_arena) owned by
 * struct policy; nothing in it points into the original text or into jansson values, so the
 * JSON document is released as soon as compiling ends.
 */
#ifndef S3IAM_AUTH_POLICY_INT_H
#define S3IAM_AUTH_POLICY_INT_H

#include <stddef.h>
#include <stdint.h>

#include "auth/policy.h"

/* ------------------------------------------------------------------ arena */

struct pol_block;
struct pol_arena {
    struct pol_block *head;
};
/* Zeroed, max-aligned memory that lives until pa_release(); NULL when out of memory. */
void *pa_alloc(struct pol_arena *a, size_t n);
/* Copy of s[0..n) with a NUL appended. */
char *pa_strndup(struct pol_arena *a, const char *s, size_t n);
void pa_release(struct pol_arena *a);

/* ------------------------------------------------------------------ patterns with variables */

/* Longest text a pattern may expand to once variables are substituted; longer expansions
 * cannot match (S3 keys are at most 1024 bytes, so ARNs stay far below). */
#define POL_SUBST_MAX 4096

enum pol_seg_kind { SEG_LIT, SEG_VAR };

struct pol_seg {
    uint8_t kind;           /* enum pol_seg_kind */
    uint8_t has_def;        /* SEG_VAR: a default value was given: ${key, 'default'} */
    const char *s;          /* SEG_LIT: text; SEG_VAR: the key name */
    uint32_t len;
    const uint8_t *lit;     /* SEG_LIT: NULL or len bytes marking literal '*'/'?' */
    const char *def;        /* SEG_VAR default value */
    uint32_t def_len;
};

enum pol_pat_flags {
    PAT_WILD = 1 << 0, /* contains a '*' or '?' wildcard */
    PAT_STAR = 1 << 1, /* exactly "*": matches everything */
    PAT_VARS = 1 << 2, /* contains policy variables: resolve per request (segs) */
};

struct pol_pat {
    const char *raw;             /* as written in the policy */
    const char *text;            /* without PAT_VARS: the text to match (escapes applied) */
    uint32_t len;
    const uint8_t *lit;          /* NULL or len bytes: literal '*'/'?' produced by ${*}/${?} */
    const struct pol_seg *segs;  /* with PAT_VARS */
    uint16_t n_segs;
    uint8_t flags;               /* enum pol_pat_flags */
};

/* Compile raw[0..n) into *out.  vars: substitute ${...} (Version 2012-10-17 and an element that
 * allows variables); otherwise the text is literal.  Returns 0 when out of memory. */
int pol_pat_compile(struct pol_arena *a, const char *raw, size_t n, int vars, struct pol_pat *out);

/* Resolve the variables of pat against ctx into buf/lit (both POL_SUBST_MAX bytes).  Sets
 * text, len and litp to the text to use (pat->text itself when there are no variables).
 * Returns 0 if a variable is absent without a default, multi-valued, or the result is too long:
 * such an entry cannot match. */
int pol_pat_resolve(const struct pol_pat *pat, const struct authz_ctx *ctx, char *buf,
                    uint8_t *lit, const char **text, size_t *len, const uint8_t **litp);

/* Match a resource pattern against s (whole-string glob, case-sensitive). */
int pol_pat_match(const struct pol_pat *pat, const struct authz_ctx *ctx, const char *s,
                  size_t n);

/* ------------------------------------------------------------------ conditions */

enum pol_cond_base {
    CB_STR_EQ, CB_STR_EQ_IC, CB_STR_LIKE,
    CB_NUM_EQ, CB_NUM_LT, CB_NUM_LE, CB_NUM_GT, CB_NUM_GE,
    CB_DATE_EQ, CB_DATE_LT, CB_DATE_LE, CB_DATE_GT, CB_DATE_GE,
    CB_BOOL, CB_BIN_EQ, CB_IP, CB_ARN, CB_NULL,
};

enum pol_set_mode { SET_NONE, SET_ANY, SET_ALL };

struct pol_cidr {
    uint8_t family;    /* 4 or 6 */
    uint8_t prefix;
    uint8_t addr[16];
};

struct pol_cval {
    struct pol_pat pat;          /* string spelling as a pattern (variables where allowed) */
    double num;                  /* numeric */
    int64_t ms;                  /* date: milliseconds since the epoch */
    struct pol_cidr cidr;        /* IP */
    const unsigned char *bin;    /* binary: decoded bytes */
    uint32_t bin_len;
    uint8_t ok;                  /* the value parses for the operator's family */
    uint8_t bool_val;            /* Bool and Null: 1 true, 0 false (ok says it was either) */
};

struct pol_cond {
    uint8_t base;                /* enum pol_cond_base */
    uint8_t negated;             /* StringNotEquals, NotIpAddress, ...: NOR over the values */
    uint8_t if_exists;
    uint8_t set;                 /* enum pol_set_mode */
    const char *op;              /* operator as written */
    const char *key;             /* key as written */
    uint32_t key_len;
    struct pol_cval *vals;
    const char *const *strs;     /* the values as strings (for explanations) */
    uint32_t n_vals;
};

/* Parse an operator name ("ForAllValues:StringNotLikeIfExists").  Fills base, negated,
 * if_exists and set of *c.  Returns 0 for an unknown operator. */
int pol_op_parse(const char *name, struct pol_cond *c);
/* 1 if variables are substituted in values of this operator family (String, Bool, Arn). */
int pol_op_allows_vars(const struct pol_cond *c);
/* Compile one value (its string spelling) for c's family.  Returns 0 when out of memory;
 * a value that does not parse for the family gets ok = 0 and never matches. */
int pol_cval_compile(struct pol_arena *a, const struct pol_cond *c, const char *s, size_t n,
                     int vars, struct pol_cval *out);
/* Evaluate one condition against the request.  *req_out receives the request key (NULL when
 * absent).  Returns 1 if the condition holds. */
int pol_cond_eval(const struct pol_cond *c, const struct authz_ctx *ctx,
                  const struct authz_key **req_out);

/* Date/number parsers shared with tests: return 1 on success. */
int pol_parse_date(const char *s, size_t n, int64_t *ms_out);
int pol_parse_number(const char *s, size_t n, double *out);
int pol_parse_cidr(const char *s, size_t n, struct pol_cidr *out);

/* ------------------------------------------------------------------ statements */

enum pol_pp_type {
    PP_STAR,        /* "*" or {"AWS":"*"} */
    PP_ACCOUNT,     /* account id or :root ARN; value holds the account id */
    PP_USER, PP_ROLE, PP_SESSION, PP_FEDERATED_USER,
    PP_UNIQUE_ID,   /* a deleted principal's id: never matches */
    PP_SERVICE,     /* {"Service": ...} */
    PP_FEDERATED,   /* {"Federated": ...} */
    PP_CANONICAL,   /* {"CanonicalUser": ...} */
};

struct pol_principal {
    uint8_t type;               /* enum pol_pp_type */
    const char *value;          /* ARN, account id or name */
    uint32_t len;
};

enum pol_principal_mode { PM_NONE, PM_PRINCIPAL, PM_NOT_PRINCIPAL };

struct pol_action {
    const char *text;           /* as written; compared case-insensitively */
    uint32_t len;
    uint8_t wild;               /* contains '*' or '?' */
};

struct pol_stmt {
    uint32_t index;
    uint8_t allow;
    uint8_t not_action;
    uint8_t not_resource;
    uint8_t has_resource;        /* 0: no Resource element (trust policies): matches anything */
    uint8_t principal_mode;      /* enum pol_principal_mode */
    const char *sid;
    int line, col, end_line, end_col;
    struct pol_action *actions;
    uint32_t n_actions;
    struct pol_pat *resources;
    uint32_t n_resources;
    struct pol_principal *principals;
    uint32_t n_principals;
    struct pol_cond *conds;
    uint32_t n_conds;
};

struct policy {
    struct pol_arena arena;
    enum policy_kind kind;
    int v2012;
    const char *source;
    struct pol_stmt *stmts;
    uint32_t n_stmts;
    int is_public;               /* policy_is_public(p, p->kind), computed once */
};

/* ------------------------------------------------------------------ helpers across files */

/* 1 if action (e.g. "s3:GetObject") matches one of the statement's Action patterns (or, for
 * NotAction, none of them). */
int pol_stmt_action_matches(const struct pol_stmt *st, const char *action, size_t len);

/* S3 action catalogue (policy_s3actions.c). */
enum s3_res_type {
    S3R_BUCKET = 1 << 0, S3R_OBJECT = 1 << 1, S3R_AP = 1 << 2, S3R_APOBJ = 1 << 3,
    S3R_OTHER = 1 << 4, /* job, storage lens, multi-region access point, access grants, ... */
};
struct s3_action_info {
    const char *name;           /* without the "s3:" prefix */
    unsigned res;               /* enum s3_res_type; 0 = no resource type ("*") */
};
size_t s3_action_count(void);
const struct s3_action_info *s3_action_at(size_t i);

/* ------------------------------------------------------------------ JSON positions */

/* A light index of where each JSON value sits in the text, built after jansson accepted the
 * document (jansson reports positions only for syntax errors). */
enum jpos_type { JP_OBJECT, JP_ARRAY, JP_STRING, JP_OTHER };
#define JPOS_NONE UINT32_MAX

struct jpos {
    uint32_t start, end;        /* value: text[start..end) */
    uint32_t key;               /* member of an object: offset of its key's opening quote */
    uint32_t key_len;           /* raw key length without quotes */
    uint32_t first_child, next; /* tree links; JPOS_NONE terminates */
    uint8_t type;
};

struct jpos_tree {
    const char *text;
    size_t len;
    struct jpos *n;
    size_t count, cap;
    /* duplicate keys found: offsets of the later key (for warnings) */
    uint32_t dups[POLICY_MAX_DIAG];
    size_t n_dups;
};

/* Build the index.  Returns 0 when out of memory or the text is not JSON. */
int jpos_build(struct jpos_tree *t, const char *text, size_t len);
void jpos_release(struct jpos_tree *t);
/* The member named key of object node (the last one, as jansson keeps), or JPOS_NONE. */
uint32_t jpos_member(const struct jpos_tree *t, uint32_t node, const char *key);
/* Element i of array node, or JPOS_NONE. */
uint32_t jpos_elem(const struct jpos_tree *t, uint32_t node, size_t i);
/* 1-based line and column (in characters) of byte offset off. */
void jpos_linecol(const char *text, size_t len, size_t off, int *line, int *col);

#endif
