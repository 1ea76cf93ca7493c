/* fuzz_exit.c: the exit() wrapper, quiet stdio and invariant checks shared by the fuzz harnesses. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz_exit.h"

jmp_buf fuzz_refused;
volatile int fuzz_catching;
volatile int fuzz_exit_status;

void __real_exit(int status) __attribute__((noreturn));
void __wrap_exit(int status) __attribute__((noreturn));

void fuzz_refuse(int status)
{
    if (!fuzz_catching) {
        fprintf(stderr, "fuzz: refusal (status %d) outside a caught section\n", status);
        abort();
    }
    fuzz_catching = 0;
    fuzz_exit_status = status;
    longjmp(fuzz_refused, 1);
}

/* Any other exit() (libFuzzer's own, at the end of a run) goes through unchanged. */
void __wrap_exit(int status)
{
    if (fuzz_catching)
        fuzz_refuse(status);
    __real_exit(status);
}

void fuzz_quiet_stdio(void)
{
    if (getenv("FUZZ_VERBOSE"))
        return;
    FILE *null = fopen("/dev/null", "w");
    if (null)
        stderr = null; /* the FILE, not fd 2: libFuzzer and the sanitizers keep their output */
}

void fuzz_check(int ok, const char *what, const char *file, int line)
{
    if (ok)
        return;
    char msg[512];
    int n = snprintf(msg, sizeof msg, "fuzz: invariant broken at %s:%d: %s\n", file, line, what);
    if (n > 0 && write(STDERR_FILENO, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1) < 0)
        msg[0] = 0;
    abort();
}
