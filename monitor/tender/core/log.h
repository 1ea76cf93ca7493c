/* log.h: one-line fatal errors for setup problems (exit TB_EXIT_CONFIG), prefixed with the monitor's name. */
#ifndef TB_LOG_H
#define TB_LOG_H

#include <stddef.h>

#define TB_NORETURN __attribute__((noreturn))
#define TB_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* "tb-monitor: <message>" and exit TB_EXIT_CONFIG. */
TB_NORETURN TB_PRINTF(1, 2) void tb_die(const char *fmt, ...);
/* "tb-monitor: <message>" and exit TB_EXIT_SOLO5: the setup errors solo5-hvt reports with status 1. */
TB_NORETURN TB_PRINTF(1, 2) void tb_die_solo5(const char *fmt, ...);
/* The same with ": strerror(errno)" appended. */
TB_NORETURN TB_PRINTF(1, 2) void tb_die_solo5_errno(const char *fmt, ...);
/* "tb-monitor: <message>: strerror(errno)" and exit TB_EXIT_CONFIG. */
TB_NORETURN TB_PRINTF(1, 2) void tb_die_errno(const char *fmt, ...);
/*
 * "tb-monitor: <message>" for the way out of a run (fault, signal): written
 * only if stderr has room within 20 ms, so a full pipe on stderr cannot hold
 * the monitor; the reason is in --stats regardless.
 */
TB_PRINTF(1, 2) void tb_log_line(const char *fmt, ...);
/* "tb-monitor: warning: <message>", and go on. */
TB_PRINTF(1, 2) void tb_warn(const char *fmt, ...);

/* Room for a quoted manifest name: 67 bytes of \xNN and the NUL. */
struct tb_printable {
    char s[4 * 68 + 1];
};
/* `s` with bytes outside printable ASCII as \xNN, for quoting untrusted names; written into and returning buf->s. */
const char *tb_printable(struct tb_printable *buf, const char *s);

/*
 * Opens /dev/null on whichever of stdin, stdout and stderr is closed: otherwise the first
 * file the monitor opens would become "stdout", and the guest's console would be written into it.
 */
void tb_std_fds_open(void);

/* calloc, or "tb-monitor: out of memory" and exit TB_EXIT_CONFIG. */
void *tb_xcalloc(size_t count, size_t size);

#endif /* TB_LOG_H */
