/*
 * auth/arn.h - Amazon Resource Names: split, classify, match.
 *
 * An ARN is arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE.  The resource component is
 * everything after the fifth colon and may itself contain colons (S3 keys can).
 * All functions borrow their inputs and never allocate; slices point into the input.
 */
#ifndef S3IAM_AUTH_ARN_H
#define S3IAM_AUTH_ARN_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

enum arn_part { ARN_PREFIX, ARN_PARTITION, ARN_SERVICE, ARN_REGION, ARN_ACCOUNT, ARN_RESOURCE,
                ARN_NPARTS };

struct arn {
    struct s3_str part[ARN_NPARTS]; /* indexed by enum arn_part; ARN_PREFIX is "arn" */
};

/* Split s[0..n) into its six components.  Returns 1 when s starts with "arn:" and has at least
 * five colons, else 0 (out is then undefined). */
int arn_split(const char *s, size_t n, struct arn *out);

/* 1 if p is a partition IAM knows (aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, aws-iso-e,
 * aws-iso-f, aws-eusc). */
int arn_partition_valid(struct s3_str p);

/* ArnLike / ArnEquals: each of the six colon-separated components of the pattern is matched
 * against the same component of the value with '*' and '?' (case-sensitive).  lit as in
 * glob_match_ex().  Returns 0 when either side is not an ARN. */
int arn_like(const char *pat, size_t pn, const uint8_t *lit, const char *val, size_t vn);

/* What an "AWS" principal string names. */
enum arn_principal {
    ARN_PRINCIPAL_INVALID,
    ARN_PRINCIPAL_STAR,           /* "*" */
    ARN_PRINCIPAL_ACCOUNT,        /* "111122223333" or arn:aws:iam::111122223333:root */
    ARN_PRINCIPAL_USER,           /* arn:aws:iam::A:user/path/name */
    ARN_PRINCIPAL_ROLE,           /* arn:aws:iam::A:role/path/name */
    ARN_PRINCIPAL_ASSUMED_ROLE,   /* arn:aws:sts::A:assumed-role/ROLE/SESSION */
    ARN_PRINCIPAL_FEDERATED_USER, /* arn:aws:sts::A:federated-user/NAME */
    ARN_PRINCIPAL_UNIQUE_ID,      /* AIDA..., AROA...: what IAM shows for a deleted principal */
};

/* Classify an AWS principal value.  account_out (may be NULL) receives the account component
 * (for ARN_PRINCIPAL_ACCOUNT given as a bare id, the id itself).  Any '*' or '?' other than
 * the whole value "*" makes the value invalid, as in AWS. */
enum arn_principal arn_principal_classify(const char *s, size_t n, struct s3_str *account_out);

/* 1 if s[0..n) is a 12-digit AWS account id. */
int arn_is_account_id(const char *s, size_t n);

/* Parse an S3 access point ARN, arn:P:s3:REGION:ACCOUNT:accesspoint/NAME[/object/KEY].
 * Returns 1 on success.  name_out/key_out may be NULL; key_out is empty and *has_object 0 for
 * the bare access point form. */
int arn_access_point_parse(const char *s, size_t n, struct s3_str *account_out,
                           struct s3_str *name_out, struct s3_str *key_out, int *has_object);

/* 1 if the role session ARN (arn:aws:sts::A:assumed-role/ROLE/SESSION) belongs to the role
 * ARN (arn:aws:iam::A:role/[path/]ROLE): same partition, account and role name. */
int arn_session_of_role(const char *session_arn, const char *role_arn);

#endif
