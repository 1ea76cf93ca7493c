/* log.c: fatal setup errors and warnings on stderr, one line each. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

void tb_std_fds_open(void)
{
    for (int fd = 0; fd <= 2; fd++)
        if (fcntl(fd, F_GETFD) < 0 && errno == EBADF && open("/dev/null", O_RDWR) != fd)
            exit(TB_EXIT_CONFIG); /* nowhere to say why: stderr is what is missing */
}

/* How long a message on the way out may wait for a full stderr pipe before it is dropped. */
#define STOP_LINE_WAIT_MS 20

void tb_log_line(const char *fmt, ...)
{
    char line[1024];
    int used = snprintf(line, sizeof line, "tb-monitor: ");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + used, sizeof line - (size_t)used - 1, fmt, ap);
    va_end(ap);
    size_t len = strlen(line);
    line[len++] = '\n';
    /* A line is below PIPE_BUF: once there is room it goes in one write that cannot block. */
    struct pollfd pfd = { .fd = STDERR_FILENO, .events = POLLOUT };
    if (poll(&pfd, 1, STOP_LINE_WAIT_MS) == 1 && (pfd.revents & POLLOUT))
        while (write(STDERR_FILENO, line, len) < 0 && errno == EINTR)
            ;
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
