/*
 * server/iam_glue.h - the IAM database inside the server: created and loaded from storage at
 * start-up, saved to storage (account attribute "iam") after every change.
 */
#ifndef S3IAM_SERVER_IAM_GLUE_H
#define S3IAM_SERVER_IAM_GLUE_H

#include <stddef.h>

#include "server/req.h"

/* Create srv->iam, load the default account's IAM state from storage (an empty account the
 * first time) and install the saver.  Needs srv->stor and srv->cfg.  On failure err says why
 * (e.g. the stored state is not readable) and srv->iam is NULL. */
s3_err iam_glue_init(struct s3_server *srv, char *err, size_t errlen);
/* Free srv->iam (every change is already saved).  NULL-safe. */
void iam_glue_shutdown(struct s3_server *srv);

#endif
