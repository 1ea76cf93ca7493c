/* toolutil.h: shared helpers for the host tools: argument parsing, one-line errors, clocks, netns entry. */
#ifndef TOOLUTIL_H
#define TOOLUTIL_H

/*
 * Header-only on purpose: the Makefile builds each tools/X.c into its own
 * binary from that one file, so shared code lives here as static functions.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Exit codes shared by all tools: 1 = runtime failure, 2 = bad arguments. */
#define TOOL_EXIT_RUNTIME 1
#define TOOL_EXIT_USAGE 2

static const char *tool_name = "tool";

__attribute__((format(printf, 2, 3), noreturn))
static inline void tool_die(int status, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", tool_name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(status);
}

#define usage_error(...) tool_die(TOOL_EXIT_USAGE, __VA_ARGS__)
#define runtime_error(...) tool_die(TOOL_EXIT_RUNTIME, __VA_ARGS__)

/* "--name=value" -> value when arg has that name, else NULL. */
static const char *opt_value(const char *arg, const char *name)
{
    size_t n = strlen(name);
    if (strncmp(arg, name, n) != 0 || arg[n] != '=')
        return NULL;
    return arg + n + 1;
}

static inline uint64_t parse_u64(const char *opt, const char *text, uint64_t min, uint64_t max)
{
    char *end;
    errno = 0;
    if (*text == '\0' || *text == '-')
        usage_error("%s: '%s' is not a non-negative integer", opt, text);
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || *end != '\0')
        usage_error("%s: '%s' is not a non-negative integer", opt, text);
    if (v < min || v > max)
        usage_error("%s: %llu is out of range [%llu, %llu]", opt, v,
                    (unsigned long long)min, (unsigned long long)max);
    return v;
}

/* A positive, finite number of seconds (fractions allowed). */
static inline double parse_seconds(const char *opt, const char *text)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end != '\0' || !isfinite(v) || v <= 0 || v > 1e6)
        usage_error("%s: '%s' is not a positive number of seconds", opt, text);
    return v;
}

/* An interface name the kernel would take (non-empty, shorter than IFNAMSIZ, no '/'). */
static inline const char *parse_ifname(const char *opt, const char *text)
{
    if (*text == '\0' || strlen(text) >= 16 /* IFNAMSIZ */ || strchr(text, '/'))
        usage_error("%s: '%s' is not an interface name", opt, text);
    return text;
}

static inline uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline void sleep_until_ns(uint64_t deadline)
{
    struct timespec ts = {
        .tv_sec = (time_t)(deadline / 1000000000ull),
        .tv_nsec = (long)(deadline % 1000000000ull),
    };
    /* Returns early on a signal, so callers can notice a stop request. */
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* SIGINT/SIGTERM end the run early but still print the summary. No SA_RESTART:
 * a blocking call returns EINTR and the loop sees stop_requested. */
static inline void catch_stop_signals(void)
{
    struct sigaction sa = { .sa_handler = on_stop_signal };
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* Join the named network namespace (as `ip netns` creates them, under /run/netns). */
/* opt: the option that named the namespace, for its errors. */
static inline void enter_netns_of(const char *opt, const char *name)
{
    char path[PATH_MAX];
    if (*name == '\0' || strchr(name, '/'))
        usage_error("%s: '%s' is not a namespace name", opt, name);
    snprintf(path, sizeof(path), "/run/netns/%s", name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        runtime_error("%s: %s: %s", opt, path, strerror(errno));
    if (setns(fd, CLONE_NEWNET) < 0)
        runtime_error("%s: cannot join %s: %s", opt, name, strerror(errno));
    close(fd);
}

static inline void enter_netns(const char *name)
{
    enter_netns_of("--netns", name);
}

#endif
