/*
 * lib/ckpipe.h - hashing a request body on a second thread.
 *
 * A big PUT spends most of one core on MD5 (about 715 MB/s here, plus SHA-256 for a signed
 * payload) while the same thread also encrypts and writes the bytes.  A ck_pipe moves the
 * hashing to a helper thread: the producer copies each piece of the body into one of a few
 * fixed slots and goes on encrypting and writing; the helper runs ck_update over the slots in
 * order.  The checksum state is the caller's struct ck_state; it must not be touched between
 * ckpipe_start and ckpipe_finish.  Memory: CKPIPE_SLOTS x CKPIPE_SLOT bytes per pipe.
 */
#ifndef S3IAM_LIB_CKPIPE_H
#define S3IAM_LIB_CKPIPE_H

#include <stddef.h>

#include "lib/checksum.h"
#include "lib/err.h"

#define CKPIPE_SLOTS 4
#define CKPIPE_SLOT (256 * 1024)

struct ck_pipe;

/* Start the helper thread over ck (initialised by ck_init).  S3E_NOMEM / S3E_INTERNAL when the
 * memory or the thread cannot be had: the caller then simply hashes inline. */
s3_err ckpipe_start(struct ck_state *ck, struct ck_pipe **out);
/* Queue n bytes (copied; p may be reused on return).  Blocks only while every slot waits to be
 * hashed. */
void ckpipe_feed(struct ck_pipe *p, const void *data, size_t n);
/* Hash what is still queued, stop the thread and free the pipe; ck then holds every byte fed, in
 * order, ready for ck_final.  NULL-safe. */
void ckpipe_finish(struct ck_pipe *p);

#endif
