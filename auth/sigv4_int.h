/*
 * auth/sigv4_int.h - helpers shared by auth/sigv4.c, auth/sigv2.c and auth/awschunk.c.
 * Not part of the module's API: include it only from auth/.
 */
#ifndef S3IAM_AUTH_SIGV4_INT_H
#define S3IAM_AUTH_SIGV4_INT_H

#include <stddef.h>
#include <time.h>

#include "auth/sigv4.h"
#include "lib/buf.h"
#include "lib/err.h"

/* Largest clock difference AWS tolerates between a signed request and the server. */
#define SIGV_MAX_SKEW_S 900

/* First header named name (case-insensitive), or NULL. */
const struct sigv_hdr *sigv_hdr_find(const struct sigv_input *in, const char *name);

/* Iterates the raw query "k=v&k2&..." one parameter at a time (empty pieces are skipped).
 * Returns 0 when rest is exhausted.  key/val are raw (still percent-encoded); has_eq_out is 1
 * when the piece had a '='. */
int sigv_query_next(struct s3_str *rest, struct s3_str *key, struct s3_str *val, int *has_eq_out);

/* Looks the raw query up for the parameter whose decoded name equals name (case-sensitive, as
 * AWS does).  found_out is 1 when present (even with an empty value); the decoded value is
 * appended to val (which may be NULL when only presence matters).  Errors: S3E_NOMEM /
 * S3E_TOO_LARGE from the buffer. */
s3_err sigv_query_get(struct s3_str query, const char *name, int *found_out, struct s3_buf *val);

/* "20130524T000000Z" -> epoch seconds; -1 if malformed. */
time_t sigv_parse_iso8601(struct s3_str s);
/* RFC 1123 ("Fri, 24 May 2013 00:00:00 GMT", also "+0000") -> epoch seconds; -1 if malformed. */
time_t sigv_parse_http_date(struct s3_str s);

/* Strips leading/trailing blanks (SP, HT, CR, LF). */
struct s3_str sigv_trim(struct s3_str s);

/* printf into a->detail (truncating). */
void sigv_set_detail(struct sigv_auth *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* SigV2 halves of sigv_parse / sigv_verify (auth/sigv2.c).  kind is SIGV2_HEADER or SIGV2_QUERY;
 * authz is the Authorization header value for SIGV2_HEADER. */
s3_err sigv2_parse(const struct sigv_input *in, enum sigv_kind kind, struct s3_str authz,
                   struct sigv_auth *a);
s3_err sigv2_verify(const struct sigv_input *in, struct sigv_auth *a, struct s3_str secret);

#endif
