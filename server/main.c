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

/* Milliseconds from *t0 to now; *t0 moves to now (start-up phases, for the log). */
static double lap_ms(struct timespec *t0)
{
    struct timespec t;
    double ms;
    clock_gettime(CLOCK_MONOTONIC, &t);
    ms = (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
    *t0 = t;
    return ms;
}

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
    struct timespec lap;
    double ms_conf, ms_stor, ms_iam, ms_init, ms_http;

    clock_gettime(CLOCK_MONOTONIC, &lap);
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
    ms_conf = lap_ms(&lap);
    /* The start-up sweep of blobs/ goes on in the background (storage logs its result), so the
     * time to the first answer does not grow with the number of objects. */
    if (stor_open(&so, &srv.stor, err, sizeof(err)) != S3_OK) {
        log_error("cannot open the data directory %s: %s", cfg.data_dir, err);
        goto out;
    }
    ms_stor = lap_ms(&lap);
    if (iam_glue_init(&srv, err, sizeof(err)) != S3_OK) {
        log_error("%s", err);
        goto out;
    }
    ms_iam = lap_ms(&lap);
    if (cfg.init_file[0]) {
        int irc = init_apply(&srv, cfg.init_file);
        if (irc != 0) {
            rc = irc;
            goto out;
        }
    }
    ms_init = lap_ms(&lap);
    if ((srv.dlog = dlog_new((size_t)cfg.decision_log)) == NULL) {
        log_error("out of memory for the decision log (%ld entries)", cfg.decision_log);
        goto out;
    }
    if (http_start(&srv, &h, err, sizeof(err)) != S3_OK) {
        log_error("%s", err);
        goto out;
    }
    ms_http = lap_ms(&lap);

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    log_info("s3iamd %s listening on %s (port %u), data in %s, region %s, account %s%s", PACKAGE_VERSION, cfg.listen,
             http_port(h), cfg.data_dir, cfg.region, cfg.account_id, cfg.fsync ? ", fsync on" : "");
    /* what start-up costs, phase by phase (from main(); loading the program comes before) */
    log_debug("start-up took %.1f ms: configuration %.1f, storage %.1f, IAM %.1f, init file %.1f, listener %.1f",
              ms_conf + ms_stor + ms_iam + ms_init + ms_http, ms_conf, ms_stor, ms_iam, ms_init, ms_http);
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
