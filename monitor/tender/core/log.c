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

#define DIE(status, why)          \
    do {                          \
        va_list ap;               \
        va_start(ap, fmt);        \
        vprint("", fmt, ap, why); \
        va_end(ap);               \
        exit(status);             \
    } while (0)

void tb_die(const char *fmt, ...)
{
    DIE(TB_EXIT_CONFIG, NULL);
}

void tb_die_errno(const char *fmt, ...)
{
    const char *why = strerror(errno);
    DIE(TB_EXIT_CONFIG, why);
}

void tb_die_solo5(const char *fmt, ...)
{
    DIE(TB_EXIT_SOLO5, NULL);
}

void tb_die_solo5_errno(const char *fmt, ...)
{
    const char *why = strerror(errno);
    DIE(TB_EXIT_SOLO5, why);
}

void tb_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprint("warning: ", fmt, ap, NULL);
    va_end(ap);
}

void *tb_xcalloc(size_t count, size_t size)
{
    void *p = calloc(count, size);
    if (!p)
        tb_die("out of memory");
    return p;
}

const char *tb_printable(struct tb_printable *buf, const char *s)
{
    char *out = buf->s;
    size_t used = 0, room = sizeof buf->s;
    for (; *s && used + 5 <= room; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c < 0x7f && c != '\\')
            out[used++] = (char)c;
        else
            used += (size_t)snprintf(out + used, room - used, "\\x%02x", c);
    }
    out[used] = '\0';
    return out;
}
