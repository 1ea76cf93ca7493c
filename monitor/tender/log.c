/* log.c: fatal setup errors and warnings on stderr, one line each. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcodes.h"
#include "log.h"

static void vprint(const char *prefix, const char *fmt, va_list ap, const char *suffix)
{
    fprintf(stderr, "tb-monitor: %s", prefix);
    vfprintf(stderr, fmt, ap);
    if (suffix)
        fprintf(stderr, ": %s", suffix);
    fputc('\n', stderr);
}

void tb_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprint("", fmt, ap, NULL);
    va_end(ap);
    exit(TB_EXIT_CONFIG);
}

void tb_die_errno(const char *fmt, ...)
{
    const char *why = strerror(errno);
    va_list ap;
    va_start(ap, fmt);
    vprint("", fmt, ap, why);
    va_end(ap);
    exit(TB_EXIT_CONFIG);
}

void tb_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprint("warning: ", fmt, ap, NULL);
    va_end(ap);
}
