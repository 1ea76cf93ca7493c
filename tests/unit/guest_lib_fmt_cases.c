/* guest_lib_fmt_cases.c: formats the same cases with tb_snprintf and the host libc's snprintf, for test_guest_lib.py to compare. */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>

#include "tb_fmt.h"

/* One line per case: SIZE, then tb's output and return value, then libc's, tab-separated. */
#define CASE(size, ...)                                                        \
    do {                                                                       \
        char ours[256] = "<untouched>", libc[256] = "<untouched>";            \
        int r1 = tb_snprintf(ours, (size), __VA_ARGS__);                       \
        int r2 = snprintf(libc, (size), __VA_ARGS__);                          \
        printf("%d\t%s\t%d\t%s\t%d\n", (int)(size), ours, r1, libc, r2);      \
    } while (0)

#pragma GCC diagnostic ignored "-Wformat-truncation"
#pragma GCC diagnostic ignored "-Wformat-zero-length"
/* Some cases are deliberate edge cases (e.g. "%-05d": C ignores the 0) that gcc warns about. */
#pragma GCC diagnostic ignored "-Wformat"

int cmd_fmt(char **argv)
{
    (void)argv;
    CASE(256, "plain text");
    CASE(256, "%d %d %d", 0, -1, 42);
    CASE(256, "%d %d", INT_MAX, INT_MIN);
    CASE(256, "%u %u", 0u, UINT_MAX);
    CASE(256, "%ld %ld", LONG_MAX, LONG_MIN);
    CASE(256, "%lu %llu", ULONG_MAX, ULLONG_MAX);
    CASE(256, "%lld", LLONG_MIN);
    CASE(256, "%x %X %lx %llx", 0xdeadbeefu, 0xabcu, 0x123456789abcdefUL, 0xffffffffffffffffULL);
    CASE(256, "%zu %zd", (size_t)12345, (ssize_t)-7);
    CASE(256, "[%5d] [%-5d] [%05d] [%-05d]", 42, 42, 42, 42);
    CASE(256, "[%05d] [%5d] [%08x]", -42, -42, 0xbeefu);
    CASE(256, "[%02x:%02x]", 0x0au, 0xffu);
    CASE(256, "[%s] [%8s] [%-8s]", "abc", "abc", "abc");
    CASE(256, "[%.2s] [%.*s] [%.10s]", "abcdef", 3, "abcdef", "ab");
    CASE(256, "[%*d] [%-*d]", 6, 7, 6, 7);
    CASE(256, "[%.3d] [%5.3d] [%.0d] [%05.2u]", 7, -7, 0, 3u);
    CASE(256, "[%c%c%c] [%3c] [%-3c]", 'a', 'b', 'c', 'x', 'y');
    CASE(256, "100%% done %s", "");
    CASE(256, "%s", "a string longer than the small buffers below get to keep");
    /* Truncation: output cut, NUL-terminated, return value the full length. */
    CASE(8, "%s", "truncated output");
    CASE(8, "%d|%d", 123456, 789);
    CASE(1, "%d", 5);
    CASE(5, "%5s|", "ab");
    CASE(256, "{\"t\":%lu,\"rx_packets\":%lu}", 3UL, 12345UL);

    /* A zero-size buffer must not be written at all. */
    char guard = 'G';
    int r = tb_snprintf(&guard, 0, "%d", 12345);
    printf("zero\t%c\t%d\n", guard, r);
    /* tb_printf goes to the (fake) console and returns its length, also past one 256-byte chunk. */
    int n = tb_printf("printf %s %d\n", "to console", 7);
    printf("printed\t%d\n", n);
    n = tb_printf("%300s|\n", "long");
    printf("printed\t%d\n", n);
    return 0;
}
