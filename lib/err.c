/* lib/err.c - lookups into the S3_ERRORS table (see err.h). */
#include "config.h"
#include "lib/err.h"

struct err_row {
    const char *name;
    int status;
    const char *code;
    const char *message;
};

static const struct err_row err_rows[] = {
#define S3_ERR_ROW_(sym, status, code, msg) { #sym, status, code, msg },
    S3_ERRORS(S3_ERR_ROW_)
#undef S3_ERR_ROW_
};

static const struct err_row *err_row(s3_err e)
{
    if ((unsigned)e >= (unsigned)S3E__COUNT)
        return &err_rows[S3E_INTERNAL];
    return &err_rows[e];
}

int err_status(s3_err e) { return err_row(e)->status; }
const char *err_code(s3_err e) { return err_row(e)->code; }
const char *err_message(s3_err e) { return err_row(e)->message; }
const char *err_name(s3_err e) { return err_row(e)->name; }
