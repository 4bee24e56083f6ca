/* server/iam_glue.c - see iam_glue.h. */
#include "config.h"
#include "server/iam_glue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/iam_db.h"
#include "lib/log.h"
#include "storage/storage.h"

/* The account attribute the whole IAM state of an account is kept in, as one JSON document
 * written in one SQLite transaction (so a crash leaves the old state or the new one). */
#define IAM_ATTR "iam"

static s3_err save_account(void *ud, const char *account, const char *json)
{
    struct s3_server *srv = ud;
    s3_err e = stor_account_attr_set(srv->stor, account, IAM_ATTR, json);
    if (e != S3_OK)
        log_error("iam: cannot save the IAM state of account %s: %s; the change was undone", account, err_name(e));
    return e;
}

/* S3IAM_FAKE_NOW pins the clock for signatures; sessions and create dates follow it. */
static time_t server_now(void *ud)
{
    const struct s3_server *srv = ud;
    return srv->fake_now ? srv->fake_now : time(NULL);
}

s3_err iam_glue_init(struct s3_server *srv, char *err, size_t errlen)
{
    struct iam_db *db = NULL;
    char *json = NULL;
    unsigned warn = 0;
    s3_err e;

    srv->iam = NULL;
    if ((e = iam_db_new(&db)) != S3_OK) {
        snprintf(err, errlen, "cannot set up the IAM database (%s)", err_name(e));
        return e;
    }
    iam_db_set_clock(db, server_now, srv);
    for (size_t i = 0; i < srv->cfg->n_accounts; i++) {
        const char *id = srv->cfg->accounts[i].id;
        free(json);
        json = NULL;
        e = stor_account_attr_get(srv->stor, id, IAM_ATTR, &json);
        if (e == S3E_NO_SUCH_KEY) {
            e = S3_OK;
        } else if (e != S3_OK) {
            snprintf(err, errlen, "cannot read the IAM state of account %s (%s)", id, err_name(e));
            goto out;
        }
        if ((e = iam_db_load(db, id, json, err, errlen, &warn)) != S3_OK)
            goto out;
    }
    if (warn)
        log_warn("iam: %u stored policy document(s) no longer compile and grant nothing (see above)", warn);
    iam_db_set_saver(db, save_account, srv);
    srv->iam = db;
    db = NULL;
out:
    free(json);
    iam_db_free(db);
    return e;
}

void iam_glue_shutdown(struct s3_server *srv)
{
    if (srv == NULL)
        return;
    iam_db_free(srv->iam);
    srv->iam = NULL;
}
