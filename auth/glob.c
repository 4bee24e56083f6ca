/*
 * auth/glob.c - '*' and '?' matching for IAM actions, resources and StringLike/ArnLike.
 */
#include "config.h"
#include "auth/glob.h"

#include <string.h>

static inline unsigned char fold(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

static inline int is_wild(const char *p, const uint8_t *lit, size_t i, char w)
{
    return p[i] == w && (lit == NULL || lit[i] == 0);
}

/*
 * The classic two-pointer matcher: on a mismatch, resume after the most recent '*' with one
 * more subject character consumed.  Backtracking only to the last star is enough because a
 * later star can absorb anything an earlier one could, so the matcher stays linear for the
 * patterns policies actually contain ("arn:aws:s3:::bucket/" followed by a star, "s3:Get*").
 */
int glob_match_ex(const char *p, size_t pn, const uint8_t *lit, const char *s, size_t sn,
                  unsigned flags)
{
    size_t pi = 0, si = 0;
    size_t star_p = (size_t)-1, star_s = 0;
    int nocase = (flags & GLOB_NOCASE) != 0;

    while (si < sn) {
        if (pi < pn && is_wild(p, lit, pi, '*')) {
            star_p = ++pi;
            star_s = si;
            continue;
        }
        if (pi < pn) {
            unsigned char pc = (unsigned char)p[pi], sc = (unsigned char)s[si];
            if (is_wild(p, lit, pi, '?') || pc == sc || (nocase && fold(pc) == fold(sc))) {
                pi++;
                si++;
                continue;
            }
        }
        if (star_p == (size_t)-1)
            return 0;
        pi = star_p;
        si = ++star_s;
    }
    while (pi < pn && is_wild(p, lit, pi, '*'))
        pi++;
    return pi == pn;
}

int glob_match(const char *pattern, const char *subject, unsigned flags)
{
    if (pattern == NULL || subject == NULL)
        return 0;
    return glob_match_ex(pattern, strlen(pattern), NULL, subject, strlen(subject), flags);
}

int glob_has_wildcard(const char *p, size_t pn, const uint8_t *lit)
{
    for (size_t i = 0; i < pn; i++)
        if (is_wild(p, lit, i, '*') || is_wild(p, lit, i, '?'))
            return 1;
    return 0;
}
