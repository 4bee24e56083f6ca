/*
 * auth/glob.h - the IAM wildcard matcher.
 *
 * IAM patterns know two wildcards: '*' matches any run of characters (including none, and
 * including '/' and ':'), '?' matches exactly one character.  There is no escape character and
 * no character class.  Policy variables can produce a literal '*' or '?' (${*}, ${?}); such
 * characters are marked in an optional per-character mask so the matcher does not treat them
 * as wildcards.
 *
 * Matching never allocates and is safe to call from any thread.
 */
#ifndef S3IAM_AUTH_GLOB_H
#define S3IAM_AUTH_GLOB_H

#include <stddef.h>
#include <stdint.h>

enum glob_flags {
    GLOB_NOCASE = 1 << 0, /* compare ASCII letters case-insensitively (actions) */
};

/* 1 if the subject s[0..sn) matches the pattern p[0..pn), else 0.
 * lit: NULL, or pn bytes; lit[i] != 0 makes p[i] a literal even when it is '*' or '?'.
 * Neither string needs a NUL terminator; both may contain any byte.
 * Runs in O(pn * sn) in the worst case and O(pn + sn) for typical patterns. */
int glob_match_ex(const char *p, size_t pn, const uint8_t *lit, const char *s, size_t sn,
                  unsigned flags);

/* NUL-terminated convenience form of glob_match_ex() without a literal mask. */
int glob_match(const char *pattern, const char *subject, unsigned flags);

/* 1 if p[0..pn) contains a wildcard character ('*' or '?') not marked literal in lit. */
int glob_has_wildcard(const char *p, size_t pn, const uint8_t *lit);

#endif
