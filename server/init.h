/*
 * server/init.h - the declarative start-up state: `s3iamd --init FILE` (S3IAM_INIT).
 */
#ifndef S3IAM_SERVER_INIT_H
#define S3IAM_SERVER_INIT_H

#include "auth/init_file.h"
#include "server/req.h"

/* Read, check and apply file to the open store and IAM database, before the server listens.
 * Every problem is printed to stderr as "s3iamd: FILE:LINE:COLUMN: $.path: message".
 * Returns 0 when applied, 2 when the file was refused (nothing was changed), 1 when applying
 * failed midway in the S3 part (starting again with the same file finishes it). */
int init_apply(struct s3_server *srv, const char *file);

#endif
