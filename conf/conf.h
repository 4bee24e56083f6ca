/*
 * conf/conf.h - s3iamd configuration: one table of keys, embedded defaults, layered sources.
 *
 * Every setting has a name ("listen"), an environment variable (S3IAM_LISTEN), a command-line
 * flag (--listen) and a default written as text and parsed by the same code as user input.
 * Sources are applied in order defaults < environment < command line; the origin of each value
 * is remembered for --print-config.  Errors from every source are collected and reported
 * together before the server starts.
 */
#ifndef S3IAM_CONF_CONF_H
#define S3IAM_CONF_CONF_H

#include <stddef.h>

/* One hosted account and its root user's credentials. */
struct conf_account {
    char id[13];
    const char *akid;        /* borrowed from the config strings */
    const char *secret;
};

struct s3_config {
    char *listen;            /* "localhost:4566" = 127.0.0.1 and ::1 */
    char *data_dir;
    char *region;
    char *account_id;        /* 12 digits */
    char *root_akid;
    char *root_secret;
    char *init_file;         /* optional seed file, "" = none */
    char *log_level;         /* debug | info | warn | error */
    char *domain;            /* comma-separated host suffixes for virtual-host addressing */
    int fsync;
    long threads;            /* HTTP worker threads: -1 auto (a pool sized to the cores), 0 one per connection */
    long max_skew_s;         /* SigV4 clock skew tolerance */
    long long max_xml_body;  /* bytes */
    long long max_object;    /* bytes, largest single PUT */
    int access_log;          /* one line per request */
    int explain_denials;     /* denial messages name the deciding statement for every caller, and
                                the log carries a readable explanation of each denial */
    long decision_log;       /* decisions kept for GET /_s3iam/decisions (0: none) */
    int decisions_open;      /* serve /_s3iam/decisions unsigned to loopback clients */
    char *extra_accounts;    /* "ID:AKID:SECRET,..." more accounts, for cross-account exercises */
    /* Every hosted account: [0] is the default (account-id, root-access-key-id, ...), then the
     * extra accounts.  Filled by conf_load. */
    struct conf_account *accounts;
    size_t n_accounts;
    char *accounts_buf;      /* storage the extra accounts' strings point into */
};

enum conf_action { CONF_RUN = 0, CONF_EXIT_OK, CONF_EXIT_ERR, CONF_PROBE, CONF_LIST_OPS };

/* Fill cfg from defaults, environment and argv.  Returns CONF_RUN to start the server,
 * CONF_PROBE for --probe (health check of a running server), CONF_LIST_OPS for --list-operations, CONF_EXIT_OK after --help/--version/--print-config/--check-config, CONF_EXIT_ERR after
 * printing every error to stderr.  argv is not modified. */
enum conf_action conf_load(struct s3_config *cfg, int argc, char **argv);
/* The hosted account whose root access key id is akid, or NULL. */
const struct conf_account *conf_account_by_akid(const struct s3_config *cfg, const char *akid);
/* The hosted account with this id, or NULL. */
const struct conf_account *conf_account_by_id(const struct s3_config *cfg, const char *id);

/* Print "name = value (origin)" for every key to stdout. */
void conf_print(const struct s3_config *cfg);
void conf_release(struct s3_config *cfg);

#endif
