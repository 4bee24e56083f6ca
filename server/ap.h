/*
 * server/ap.h - S3 access points: the records, their storage, and how requests name them.
 *
 * An account's access points are kept as one text document (account attribute
 * "accesspoints"), so every change is a single atomic write.  Each record is one line of
 * tab-separated fields (see ap.c).  Aliases (NAME-<34 random chars>-s3alias) are generated at
 * creation and stored, so they are stable across restarts.
 */
#ifndef S3IAM_SERVER_AP_H
#define S3IAM_SERVER_AP_H

#include <stdint.h>

#include "server/req.h"
#include "server/s3_ctl.h"

struct ap {
    char name[128];
    char account[13];
    char bucket[64];
    char bucket_account[13];
    char region[32];
    char alias[192];
    char network_origin[16];   /* "Internet" or "VPC" */
    char vpc_id[64];
    struct pab pab;            /* the access point's own Block Public Access */
    int64_t created_ms;
    char *policy;              /* JSON text or NULL; owned */
};
void ap_release(struct ap *a);
/* arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME into out. */
void ap_arn(const struct ap *a, char *out, size_t n);

/* A new alias for access point name: NAME-<34 random lower-case letters and digits>-s3alias. */
s3_err ap_make_alias(const char *name, char *out, size_t n);
/* Access point name rules (3-50 chars, lower-case letters, digits, '-', no leading/trailing
 * '-', not ending in -s3alias).  *why gets a reason on failure. */
int ap_name_valid(const char *name, const char **why);

/* Lookups.  S3E_NO_SUCH_ACCESS_POINT when absent. */
s3_err ap_get(struct s3_server *srv, const char *account, const char *name, struct ap *out);
s3_err ap_by_alias(struct s3_server *srv, const char *alias, struct ap *out);
/* All access points of account (bucket NULL) or of one bucket; *out malloc'd array. */
s3_err ap_list(struct s3_server *srv, const char *account, const char *bucket, struct ap **out, size_t *n);
/* Create (S3E_AP_EXISTS if the name is taken), replace, delete. */
s3_err ap_create(struct s3_server *srv, struct ap *a);
s3_err ap_update(struct s3_server *srv, const struct ap *a);
s3_err ap_delete(struct s3_server *srv, const char *account, const char *name);

/* Routing: if the request names an access point (alias as bucket, NAME-ACCOUNT virtual host,
 * or NAME-ACCOUNT.s3-accesspoint.REGION.* host), fill r->ap and replace r->bucket with the
 * underlying bucket.  S3E_NO_SUCH_ACCESS_POINT when it names one that does not exist. */
s3_err ap_route(struct s3_req *r, const char *host_label);

/* The S3 Control API (/v20180820/...). */
s3_err s3control_dispatch(struct s3_req *r);

#endif
