/* console.c: the guest's console on stdout, capped in total and in rate; drops are marked in the output and counted. */
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "console.h"
#include "console_limits.h"
#include "log.h"
#include "signals.h"

#define NSEC 1000000000LL
#define END_MARK_COST 4096 /* the rate budget a run of drops must regain before output resumes */

struct tb_console {
    struct tb_console_limits limits;
    int out_is_file;          /* stdout is a regular file: writes never wait */
    int out_broken;           /* stdout failed (closed pipe): the rest is dropped silently, as a terminal would */
    int64_t tokens;           /* bytes the rate still allows now; markers may drive it below 0 */
    int64_t last_ns;          /* when tokens were last topped up */
    int over_rate;            /* inside a run of dropped output */
    int full;                 /* max_bytes reached: everything from now on is dropped */
    uint64_t written, dropped, truncations;
    uint64_t run_dropped;     /* bytes dropped in the current run */
};

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * NSEC + t.tv_nsec;
}

void tb_console_open(struct tb_vm *vm)
{
    struct tb_console *c = tb_xcalloc(1, sizeof *c);
    struct stat st;
    c->limits = vm->cfg->console;
    c->out_is_file = fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode);
    c->tokens = (int64_t)c->limits.rate_bytes;
    c->last_ns = now_ns();
    vm->console = c;
}

static void emit(struct tb_vm *vm, const char *data, size_t len)
{
    struct tb_console *c = vm->console;
    if (!c->out_broken && tb_signals_write_all(vm, STDOUT_FILENO, data, len, c->out_is_file) < 0)
        c->out_broken = 1;
}

/* A marker line in the output; it costs rate like guest output (so markers cannot flood either), not total. */
static void mark(struct tb_vm *vm, const char *fmt, unsigned long long value)
{
    char line[160];
    int n = snprintf(line, sizeof line, fmt, value);
    vm->console->tokens -= n;
    emit(vm, line, (size_t)n);
}

static void refill(struct tb_console *c)
{
    int64_t now = now_ns(), elapsed = now - c->last_ns, rate = (int64_t)c->limits.rate_bytes;
    c->last_ns = now;
    if (elapsed >= NSEC || c->tokens + elapsed * rate / NSEC >= rate)
        c->tokens = rate;
    else
        c->tokens += elapsed * rate / NSEC;
}

/* How much of len the limits let through now. */
static uint64_t allowed(struct tb_console *c, uint64_t len)
{
    if (c->limits.rate_bytes) {
        refill(c);
        uint64_t room = c->tokens > 0 ? (uint64_t)c->tokens : 0;
        if (len > room)
            len = room;
    }
    if (c->limits.max_bytes && len > c->limits.max_bytes - c->written)
        len = c->limits.max_bytes - c->written;
    return len;
}

static void drop(struct tb_vm *vm, uint64_t len)
{
    struct tb_console *c = vm->console;
    c->dropped += len;
    if (c->limits.max_bytes && c->written >= c->limits.max_bytes) {
        c->full = 1;
        c->truncations++;
        mark(vm, "\n[tb-monitor: console limit of %llu bytes reached: the rest of the guest's output is dropped]\n",
             (unsigned long long)c->limits.max_bytes);
        return;
    }
    if (!c->over_rate) {
        c->over_rate = 1;
        c->run_dropped = 0;
        c->truncations++;
        mark(vm, "\n[tb-monitor: console over %llu bytes/s: output dropped until it slows down]\n",
             (unsigned long long)c->limits.rate_bytes);
    }
    c->run_dropped += len;
}

void tb_console_write(struct tb_vm *vm, const char *data, uint64_t len)
{
    struct tb_console *c = vm->console;
    if (c->full) {
        c->dropped += len;
        return;
    }
    uint64_t pass = allowed(c, len);
    int64_t end_cost = c->limits.rate_bytes < END_MARK_COST ? (int64_t)c->limits.rate_bytes : END_MARK_COST;
    if (pass && c->over_rate && c->tokens < end_cost)
        pass = 0; /* not yet: ending the run costs a marker, and a run that ends must not start again at once */
    if (pass && c->over_rate) {
        c->over_rate = 0;
        mark(vm, "[tb-monitor: %llu bytes of console output dropped]\n", (unsigned long long)c->run_dropped);
        pass = allowed(c, len);
    }
    if (pass) {
        emit(vm, data, pass);
        c->written += pass;
        c->tokens -= (int64_t)pass;
    }
    if (pass < len)
        drop(vm, len - pass);
}

void tb_console_stats(const struct tb_vm *vm, FILE *f)
{
    const struct tb_console *c = vm->console;
    if (!c)
        return;
    fprintf(f,
            "  \"console\": {\"bytes\": %llu, \"dropped_bytes\": %llu, \"truncations\": %llu, \"max_bytes\": %llu, "
            "\"rate_bytes\": %llu},\n",
            (unsigned long long)c->written, (unsigned long long)c->dropped, (unsigned long long)c->truncations,
            (unsigned long long)c->limits.max_bytes, (unsigned long long)c->limits.rate_bytes);
}
