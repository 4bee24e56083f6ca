/*
 * server/main.c - s3iamd: configuration, storage, HTTP listeners, signals, shutdown.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "auth/decision_log.h"
#include "conf/conf.h"
#include "lib/log.h"
#include "server/http.h"
#include "server/init.h"
#include "server/ops.h"
#include "server/iam_glue.h"
#include "server/req.h"
#include "storage/storage.h"

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig) { stop_signal = sig; }

/* --probe: GET /_s3iam/health on the configured address; exit 0 if it answers 200. */
static int probe(const struct s3_config *cfg)
{
    const char *colon = strrchr(cfg->listen, ':');
    char host[128];
    int port = atoi(colon + 1), fd, ok = 0;
    char req[256], resp[256];
    struct sockaddr_in sa;

    snprintf(host, sizeof(host), "%.*s", (int)(colon - cfg->listen), cfg->listen);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (!strcmp(host, "localhost") || !strcmp(host, "0.0.0.0") || host[0] == 0 ||
        inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
        return 1;
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
        int n = snprintf(req, sizeof(req), "GET /_s3iam/health HTTP/1.0\r\nHost: localhost\r\n\r\n");
        if (write(fd, req, (size_t)n) == n) {
            ssize_t got = read(fd, resp, sizeof(resp) - 1);
            if (got > 12) {
                resp[got] = 0;
                ok = strncmp(resp + 9, "200", 3) == 0;
            }
        }
    }
    close(fd);
    fprintf(stderr, "s3iamd: probe %s:%d: %s\n", host, port, ok ? "healthy" : "unhealthy");
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    struct s3_config cfg;
    struct s3_server srv;
    struct stor_opts so;
    struct http *h = NULL;
    char err[512];
    int rc = 1;
    const char *fake;

    switch (conf_load(&cfg, argc, argv)) {
    case CONF_EXIT_OK:
        conf_release(&cfg);
        return 0;
    case CONF_EXIT_ERR:
        conf_release(&cfg);
        return 2;
    case CONF_LIST_OPS:
        ops_s3_print(stdout);
        return 0;
    case CONF_PROBE:
        rc = probe(&cfg);
        conf_release(&cfg);
        return rc;
    case CONF_RUN:
        break;
    }
    log_set_level(!strcmp(cfg.log_level, "debug") ? LOG_DEBUG
                  : !strcmp(cfg.log_level, "warn") ? LOG_WARN
                  : !strcmp(cfg.log_level, "error") ? LOG_ERROR
                                                    : LOG_INFO);
    signal(SIGPIPE, SIG_IGN);
    memset(&srv, 0, sizeof(srv));
    srv.cfg = &cfg;
    srv.started = time(NULL);
    if ((fake = getenv("S3IAM_FAKE_NOW")) != NULL)
        srv.fake_now = (time_t)strtoll(fake, NULL, 10);

    memset(&so, 0, sizeof(so));
    so.data_dir = cfg.data_dir;
    so.fsync = cfg.fsync;
    if (stor_open(&so, &srv.stor, err, sizeof(err)) != S3_OK) {
        log_error("cannot open the data directory %s: %s", cfg.data_dir, err);
        goto out;
    }
    if (stor_swept(srv.stor))
        log_info("start-up sweep removed %u orphan file(s)", stor_swept(srv.stor));
    if (iam_glue_init(&srv, err, sizeof(err)) != S3_OK) {
        log_error("%s", err);
        goto out;
    }
    if (cfg.init_file[0]) {
        int irc = init_apply(&srv, cfg.init_file);
        if (irc != 0) {
            rc = irc;
            goto out;
        }
    }
    if ((srv.dlog = dlog_new((size_t)cfg.decision_log)) == NULL) {
        log_error("out of memory for the decision log (%ld entries)", cfg.decision_log);
        goto out;
    }
    if (http_start(&srv, &h, err, sizeof(err)) != S3_OK) {
        log_error("%s", err);
        goto out;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    log_info("s3iamd %s listening on %s (port %u), data in %s, region %s, account %s%s", PACKAGE_VERSION, cfg.listen,
             http_port(h), cfg.data_dir, cfg.region, cfg.account_id, cfg.fsync ? ", fsync on" : "");
    log_info("root credentials: access key id %s, secret %s (set S3IAM_ROOT_ACCESS_KEY_ID / "
             "S3IAM_ROOT_SECRET_ACCESS_KEY to change)", cfg.root_akid, cfg.root_secret);
    while (!stop_signal)
        pause();
    log_info("signal %d: shutting down", (int)stop_signal);
    rc = 0;
out:
    http_stop(h);
    iam_glue_shutdown(&srv);
    dlog_free(srv.dlog);
    stor_close(srv.stor);
    if (rc == 0)
        log_info("stopped cleanly");
    conf_release(&cfg);
    return rc;
}
