/*
 * lib/buf.h - byte strings that carry their length, and growable buffers with a ceiling.
 *
 * struct s3_str is a borrowed slice: it is not NUL-terminated by contract and may hold any
 * byte (S3 keys can).  struct s3_buf owns its memory; after every successful call p is
 * NUL-terminated (p[len] == 0) so it can be handed to C string APIs, but it may also hold NULs.
 * Growing past max fails with S3E_TOO_LARGE and leaves the buffer unchanged.
 */
#ifndef S3IAM_LIB_BUF_H
#define S3IAM_LIB_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

struct s3_str {
    const char *p;
    size_t len;
};
#define S3_LIT(s) ((struct s3_str){ (s), sizeof(s) - 1 })
#define S3_STR_NULL ((struct s3_str){ NULL, 0 })

/* A slice of a NUL-terminated C string (NULL gives the empty slice). */
struct s3_str s3_cstr(const char *s);
/* 1 if a and b hold the same bytes. */
int s3_str_eq(struct s3_str a, struct s3_str b);
/* 1 if a equals the C string c, comparing ASCII letters case-insensitively. */
int s3_str_ieq_c(struct s3_str a, const char *c);
/* 1 if s starts with prefix. */
int s3_str_has_prefix(struct s3_str s, struct s3_str prefix);

struct s3_buf {
    char *p;      /* NULL until the first add */
    size_t len;
    size_t alloc;
    size_t max;   /* hard ceiling on len; 0 means SIZE_MAX/2 */
};

void buf_init(struct s3_buf *b, size_t max);
s3_err buf_add(struct s3_buf *b, const void *data, size_t n);
s3_err buf_adds(struct s3_buf *b, const char *s);
s3_err buf_addc(struct s3_buf *b, char c);
s3_err buf_addf(struct s3_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
s3_err buf_vaddf(struct s3_buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Empty the buffer but keep its memory. */
void buf_reset(struct s3_buf *b);
/* Take the memory out (caller frees with free()); the buffer is re-initialised.  Never NULL
 * on success: an empty buffer yields "" (allocated).  NULL only when out of memory. */
char *buf_detach(struct s3_buf *b, size_t *len_out);
/* Free the memory; the buffer may be reused after buf_init. */
void buf_release(struct s3_buf *b);
/* The contents as a slice (borrowed until the next change). */
struct s3_str buf_str(const struct s3_buf *b);

/* Lower-case hex of p[0..n) into out, which must hold 2n+1 bytes (NUL-terminated). */
void s3_hex(const unsigned char *p, size_t n, char *out);

/* Encoding helpers.  Output is appended to out. */
s3_err buf_add_hex(struct s3_buf *out, const unsigned char *p, size_t n);           /* lower case */
s3_err buf_add_base64(struct s3_buf *out, const unsigned char *p, size_t n);
/* RFC 3986 percent-encoding of everything but unreserved A-Za-z0-9-._~ ; '/' is kept when
 * keep_slash (used for S3 paths and encoding-type=url keys). Upper-case hex digits. */
s3_err buf_add_uri_encoded(struct s3_buf *out, struct s3_str s, int keep_slash);

/* Decode base64 (standard alphabet, padding required) into out[0..max).  Returns the decoded
 * length, or -1 if the input is not valid base64 or does not fit. */
long s3_base64_decode(struct s3_str in, unsigned char *out, size_t max);
/* Decode %XX escapes (and '+' as space when plus_is_space) into out; returns S3E_INVALID_ARGUMENT
 * on a malformed escape.  out is appended to. */
s3_err s3_uri_decode(struct s3_str in, int plus_is_space, struct s3_buf *out);

#endif
