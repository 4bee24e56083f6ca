/* lib/log.c - see log.h. */
#include "config.h"
#include "lib/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static enum log_level log_min = LOG_INFO;

void log_set_level(enum log_level lvl) { log_min = lvl; }

void log_msg(enum log_level lvl, const char *fmt, ...)
{
    static const char *names[] = { "debug", "info", "warn", "error" };
    char line[4096];
    struct timeval tv;
    struct tm tm;
    size_t n;
    va_list ap;
    int w;

    if (lvl < log_min)
        return;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
    w = snprintf(line + n, sizeof(line) - n, ".%03dZ %s ", (int)(tv.tv_usec / 1000), names[lvl]);
    if (w > 0)
        n += (size_t)w;
    va_start(ap, fmt);
    w = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
    va_end(ap);
    if (w > 0)
        n = (n + (size_t)w < sizeof(line) - 1) ? n + (size_t)w : sizeof(line) - 2;
    line[n++] = '\n';
    if (write(2, line, n) < 0) {
        /* nowhere left to report it */
    }
}
