/* conf/conf.c - see conf.h. */
#include "config.h"
#include "conf/conf.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum conf_type { CT_STR, CT_INT, CT_BOOL, CT_SIZE, CT_AUTO_INT /* a CT_INT, or "auto" stored as -1 */ };

struct conf_key {
    const char *name;        /* flag is --name, env is S3IAM_NAME (upper case, '-' -> '_') */
    enum conf_type type;
    size_t offset;
    const char *def;
    long long min, max;
    const char *help;
};

#define F(field) offsetof(struct s3_config, field)
static const struct conf_key conf_keys[] = {
    { "listen", CT_STR, F(listen), "localhost:4566", 0, 0,
      "ADDR:PORT to listen on; localhost means both 127.0.0.1 and ::1, 0.0.0.0 every IPv4 address" },
    { "data", CT_STR, F(data_dir), "./data", 0, 0, "directory for object bytes and metadata" },
    { "region", CT_STR, F(region), "us-east-1", 0, 0, "region reported and used in ARNs" },
    { "account-id", CT_STR, F(account_id), "000000000000", 0, 0, "12-digit id of the default account" },
    { "root-access-key-id", CT_STR, F(root_akid), "AKIAS3IAMROOTEXAMPLE", 0, 0,
      "access key id of the account root user" },
    { "root-secret-access-key", CT_STR, F(root_secret), "s3iam-root-secret-key-change-me", 0, 0,
      "secret access key of the account root user" },
    { "init", CT_STR, F(init_file), "", 0, 0, "seed file applied at start-up (optional)" },
    { "log-level", CT_STR, F(log_level), "info", 0, 0, "debug, info, warn or error" },
    { "domain", CT_STR, F(domain), "localhost,s3.localhost,127.0.0.1,s3.amazonaws.com", 0, 0,
      "comma-separated endpoint host names; BUCKET.<domain> is virtual-host addressing" },
    { "fsync", CT_BOOL, F(fsync), "false", 0, 1, "fsync object files, directories and SQLite (power-loss durability)" },
    { "threads", CT_AUTO_INT, F(threads), "auto", 0, 1024,
      "HTTP worker threads: auto (a pool sized to the cores), N (a pool of N), 0 (a thread per connection)" },
    { "max-skew", CT_INT, F(max_skew_s), "900", 0, 86400, "allowed clock skew of signed requests, seconds" },
    { "max-xml-body", CT_SIZE, F(max_xml_body), "1048576", 1024, 64LL << 20, "largest XML/form request body, bytes" },
    { "max-object-size", CT_SIZE, F(max_object), "5368709120", 1, 1LL << 42,
      "largest single PUT or part, bytes (S3: 5 GiB)" },
    { "access-log", CT_BOOL, F(access_log), "true", 0, 1, "one log line per request" },
    { "extra-accounts", CT_STR, F(extra_accounts), "", 0, 0,
      "more hosted accounts as ID:ACCESS_KEY_ID:SECRET,... (each with its own root user, for cross-account "
      "policies)" },
    { "explain-denials", CT_BOOL, F(explain_denials), "false", 0, 1,
      "name the deciding statement in every 403 message and log a readable explanation of each denial" },
    { "decision-log", CT_INT, F(decision_log), "1000", 0, 1000000,
      "authorization decisions kept in memory for GET /_s3iam/decisions (0 turns it off)" },
    { "decisions-open", CT_BOOL, F(decisions_open), "false", 0, 1,
      "serve /_s3iam/decisions to unsigned requests from loopback (otherwise root only)" },
};
#undef F
#define N_KEYS (sizeof(conf_keys) / sizeof(conf_keys[0]))

enum origin { ORIG_DEFAULT, ORIG_ENV, ORIG_CLI };
static const char *const origin_names[] = { "default", "environment", "command line" };
static enum origin origins[N_KEYS];

static int parse_value(const struct conf_key *k, const char *v, struct s3_config *cfg, const char *src)
{
    char *base = (char *)cfg + k->offset;
    char *end;
    long long n;

    switch (k->type) {
    case CT_STR: {
        char **dst = (char **)(void *)base;
        char *cp = strdup(v);
        if (cp == NULL)
            return -1;
        free(*dst);
        *dst = cp;
        return 0;
    }
    case CT_BOOL: {
        int b;
        if (!strcmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "on"))
            b = 1;
        else if (!strcmp(v, "0") || !strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcasecmp(v, "off"))
            b = 0;
        else {
            fprintf(stderr, "s3iamd: %s: %s must be true or false, not '%s'\n", src, k->name, v);
            return -1;
        }
        *(int *)(void *)base = b;
        return 0;
    }
    case CT_INT:
    case CT_AUTO_INT:
    case CT_SIZE:
        errno = 0;
        if (k->type == CT_AUTO_INT && strcmp(v, "auto") == 0) {
            *(long *)(void *)base = -1;
            return 0;
        }
        n = strtoll(v, &end, 10);
        if (k->type == CT_SIZE && end != v && errno == 0) {
            long long mul = 1;
            if (*end == 'k' || *end == 'K')
                mul = 1024;
            else if (*end == 'm' || *end == 'M')
                mul = 1024 * 1024;
            else if (*end == 'g' || *end == 'G')
                mul = 1024LL * 1024 * 1024;
            if (mul != 1) {
                end++;
                if (n > LLONG_MAX / mul)
                    errno = ERANGE;
                else
                    n *= mul;
            }
        }
        if (end == v || *end != 0 || errno != 0 || n < k->min || n > k->max) {
            fprintf(stderr, "s3iamd: %s: %s must be %sa number from %lld to %lld, not '%s'\n", src, k->name,
                    k->type == CT_AUTO_INT ? "auto or " : "", k->min, k->max, v);
            return -1;
        }
        if (k->type == CT_SIZE)
            *(long long *)(void *)base = n;
        else
            *(long *)(void *)base = (long)n;
        return 0;
    }
    return -1;
}

static void env_name(const char *name, char *out, size_t n)
{
    size_t i = 0, j;
    const char *pre = "S3IAM_";
    for (j = 0; pre[j] && i + 1 < n; j++)
        out[i++] = pre[j];
    for (j = 0; name[j] && i + 1 < n; j++)
        out[i++] = name[j] == '-' ? '_' : (char)((name[j] >= 'a' && name[j] <= 'z') ? name[j] - 32 : name[j]);
    out[i] = 0;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: s3iamd [options]\n\nOptions (each also settable as environment variable S3IAM_<NAME>):\n");
    for (size_t i = 0; i < N_KEYS; i++) {
        const struct conf_key *k = &conf_keys[i];
        fprintf(f, "  --%-24s %s (default: %s)\n", k->name, k->help,
                k->def[0] ? k->def : "none");
    }
    fprintf(f, "  --%-24s %s\n", "print-config", "print the effective configuration and exit");
    fprintf(f, "  --%-24s %s\n", "check-config", "validate the configuration and exit");
    fprintf(f, "  --%-24s %s\n", "probe", "exit 0 if a server answers /_s3iam/health on --listen (healthcheck)");
    fprintf(f, "  --%-24s %s\n", "list-operations", "print the supported S3 operations as a Markdown table and exit");
    fprintf(f, "  --%-24s %s\n", "version", "print the version and exit");
}

static int validate(const struct s3_config *cfg)
{
    int bad = 0;
    size_t i;
    if (strlen(cfg->account_id) != 12 || strspn(cfg->account_id, "0123456789") != 12) {
        fprintf(stderr, "s3iamd: account-id must be exactly 12 digits, not '%s'\n", cfg->account_id);
        bad++;
    }
    if (strchr(cfg->listen, ':') == NULL) {
        fprintf(stderr, "s3iamd: listen must be ADDR:PORT (e.g. localhost:4566), not '%s'\n", cfg->listen);
        bad++;
    }
    if (cfg->region[0] == 0) {
        fprintf(stderr, "s3iamd: region must not be empty\n");
        bad++;
    }
    for (i = 0; cfg->region[i]; i++)
        if (!((cfg->region[i] >= 'a' && cfg->region[i] <= 'z') || (cfg->region[i] >= '0' && cfg->region[i] <= '9') ||
              cfg->region[i] == '-')) {
            fprintf(stderr, "s3iamd: region '%s' may contain only a-z, 0-9 and '-'\n", cfg->region);
            bad++;
            break;
        }
    if (strlen(cfg->root_akid) < 3 || strlen(cfg->root_secret) < 8) {
        fprintf(stderr, "s3iamd: root access key id must have 3+ characters and the secret 8+\n");
        bad++;
    }
    if (strcmp(cfg->log_level, "debug") && strcmp(cfg->log_level, "info") && strcmp(cfg->log_level, "warn") &&
        strcmp(cfg->log_level, "error")) {
        fprintf(stderr, "s3iamd: log-level must be debug, info, warn or error, not '%s'\n", cfg->log_level);
        bad++;
    }
    return bad;
}

static int account_id_ok(const char *id, size_t n)
{
    return n == 12 && strspn(id, "0123456789") >= 12;
}

/* accounts[0] is the default account; extra-accounts adds "ID:AKID:SECRET" entries. */
static int parse_accounts(struct s3_config *cfg)
{
    const char *spec = cfg->extra_accounts;
    size_t n = 1, bad = 0;
    char *save = NULL, *tok;

    for (const char *p = spec; *p; p++)
        n += *p == ',';
    if ((cfg->accounts = calloc(n + 1, sizeof(*cfg->accounts))) == NULL || (cfg->accounts_buf = strdup(spec)) == NULL)
        return 1;
    snprintf(cfg->accounts[0].id, sizeof(cfg->accounts[0].id), "%s", cfg->account_id);
    cfg->accounts[0].akid = cfg->root_akid;
    cfg->accounts[0].secret = cfg->root_secret;
    cfg->n_accounts = 1;
    for (tok = strtok_r(cfg->accounts_buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *c1 = strchr(tok, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        struct conf_account *a = &cfg->accounts[cfg->n_accounts];
        while (*tok == ' ')
            tok++;
        if (!c1 || !c2 || !account_id_ok(tok, (size_t)(c1 - tok)) || c2 - c1 - 1 < 3 || strlen(c2 + 1) < 8) {
            fprintf(stderr, "s3iamd: extra-accounts: '%s' must be ACCOUNT_ID(12 digits):ACCESS_KEY_ID:SECRET "
                            "(secret of 8+ characters)\n", tok);
            bad++;
            continue;
        }
        *c1 = *c2 = 0;
        snprintf(a->id, sizeof(a->id), "%s", tok);
        a->akid = c1 + 1;
        a->secret = c2 + 1;
        for (size_t i = 0; i < cfg->n_accounts; i++)
            if (!strcmp(cfg->accounts[i].id, a->id) || !strcmp(cfg->accounts[i].akid, a->akid)) {
                fprintf(stderr, "s3iamd: extra-accounts: account %s or key %s is already in use\n", a->id, a->akid);
                bad++;
            }
        cfg->n_accounts++;
    }
    return (int)bad;
}

const struct conf_account *conf_account_by_akid(const struct s3_config *cfg, const char *akid)
{
    for (size_t i = 0; i < cfg->n_accounts; i++)
        if (strcmp(cfg->accounts[i].akid, akid) == 0)
            return &cfg->accounts[i];
    return NULL;
}

const struct conf_account *conf_account_by_id(const struct s3_config *cfg, const char *id)
{
    for (size_t i = 0; i < cfg->n_accounts; i++)
        if (strcmp(cfg->accounts[i].id, id) == 0)
            return &cfg->accounts[i];
    return NULL;
}

enum conf_action conf_load(struct s3_config *cfg, int argc, char **argv)
{
    int errors = 0, print = 0, check = 0, probe = 0;
    char envn[64];
    size_t i;

    memset(cfg, 0, sizeof(*cfg));
    for (i = 0; i < N_KEYS; i++) {
        origins[i] = ORIG_DEFAULT;
        if (parse_value(&conf_keys[i], conf_keys[i].def, cfg, "default") != 0)
            errors++;
    }
    for (i = 0; i < N_KEYS; i++) {
        const char *v;
        env_name(conf_keys[i].name, envn, sizeof(envn));
        if ((v = getenv(envn)) != NULL) {
            if (parse_value(&conf_keys[i], v, cfg, envn) != 0)
                errors++;
            origins[i] = ORIG_ENV;
        }
    }
    for (int a = 1; a < argc; a++) {
        const char *arg = argv[a], *val = NULL, *eq;
        char name[64];
        size_t nl;

        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            usage(stdout);
            return CONF_EXIT_OK;
        }
        if (!strcmp(arg, "--version")) {
            printf("s3iamd %s\n", PACKAGE_VERSION);
            return CONF_EXIT_OK;
        }
        if (!strcmp(arg, "--print-config")) {
            print = 1;
            continue;
        }
        if (!strcmp(arg, "--check-config")) {
            check = 1;
            continue;
        }
        if (!strcmp(arg, "--list-operations")) {
            conf_release(cfg);
            return CONF_LIST_OPS;
        }
        if (!strcmp(arg, "--probe")) {
            probe = 1;
            continue;
        }
        if (strncmp(arg, "--", 2) != 0) {
            fprintf(stderr, "s3iamd: unexpected argument '%s' (see --help)\n", arg);
            errors++;
            continue;
        }
        arg += 2;
        eq = strchr(arg, '=');
        nl = eq ? (size_t)(eq - arg) : strlen(arg);
        if (nl >= sizeof(name)) {
            fprintf(stderr, "s3iamd: unknown option '--%s'\n", arg);
            errors++;
            continue;
        }
        memcpy(name, arg, nl);
        name[nl] = 0;
        for (i = 0; i < N_KEYS; i++)
            if (!strcmp(conf_keys[i].name, name))
                break;
        if (i == N_KEYS && !strncmp(name, "no-", 3)) {
            for (i = 0; i < N_KEYS; i++)
                if (conf_keys[i].type == CT_BOOL && !strcmp(conf_keys[i].name, name + 3))
                    break;
            if (i < N_KEYS) {
                if (parse_value(&conf_keys[i], "false", cfg, "command line") != 0)
                    errors++;
                origins[i] = ORIG_CLI;
                continue;
            }
        }
        if (i == N_KEYS) {
            fprintf(stderr, "s3iamd: unknown option '--%s' (see --help)\n", name);
            errors++;
            continue;
        }
        if (eq)
            val = eq + 1;
        else if (conf_keys[i].type == CT_BOOL)
            val = "true";
        else if (a + 1 < argc)
            val = argv[++a];
        else {
            fprintf(stderr, "s3iamd: option '--%s' needs a value\n", name);
            errors++;
            continue;
        }
        if (parse_value(&conf_keys[i], val, cfg, "command line") != 0)
            errors++;
        origins[i] = ORIG_CLI;
    }
    errors += validate(cfg);
    if (errors == 0)
        errors += parse_accounts(cfg);
    if (errors) {
        fprintf(stderr, "s3iamd: %d configuration error%s; not starting\n", errors, errors == 1 ? "" : "s");
        return CONF_EXIT_ERR;
    }
    if (print)
        conf_print(cfg);
    if (check)
        printf("configuration OK\n");
    if (probe)
        return CONF_PROBE;
    return (print || check) ? CONF_EXIT_OK : CONF_RUN;
}

void conf_print(const struct s3_config *cfg)
{
    for (size_t i = 0; i < N_KEYS; i++) {
        const struct conf_key *k = &conf_keys[i];
        const char *base = (const char *)cfg + k->offset;
        printf("%-24s = ", k->name);
        switch (k->type) {
        case CT_STR:
            printf("%s", strstr(k->name, "secret") || strstr(k->name, "accounts") ? "********" : *(char *const *)(const void *)base);
            break;
        case CT_BOOL:
            printf("%s", *(const int *)(const void *)base ? "true" : "false");
            break;
        case CT_INT:
        case CT_AUTO_INT:
        case CT_SIZE:
            if (k->type == CT_SIZE)
                printf("%lld", *(const long long *)(const void *)base);
            else if (k->type == CT_AUTO_INT && *(const long *)(const void *)base == -1)
                printf("auto");
            else
                printf("%ld", *(const long *)(const void *)base);
            break;
        }
        printf("  (%s)\n", origin_names[origins[i]]);
    }
}

void conf_release(struct s3_config *cfg)
{
    free(cfg->accounts);
    free(cfg->accounts_buf);
    cfg->accounts = NULL;
    cfg->accounts_buf = NULL;
    cfg->n_accounts = 0;
    for (size_t i = 0; i < N_KEYS; i++)
        if (conf_keys[i].type == CT_STR) {
            char **p = (char **)(void *)((char *)cfg + conf_keys[i].offset);
            free(*p);
            *p = NULL;
        }
}
