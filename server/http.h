/*
 * server/http.h - the HTTP listener(s).  "localhost:PORT" listens on 127.0.0.1 and ::1.
 */
#ifndef S3IAM_SERVER_HTTP_H
#define S3IAM_SERVER_HTTP_H

#include <stddef.h>

#include "server/req.h"

struct http;

/* Start listening and serving srv; the server threads run until http_stop.  On failure a
 * reason is written to err. */
s3_err http_start(struct s3_server *srv, struct http **out, char *err, size_t errlen);
/* The bound port (useful with port 0). */
unsigned http_port(const struct http *h);
/* Stop accepting, let running requests end, free.  NULL-safe. */
void http_stop(struct http *h);

#endif
