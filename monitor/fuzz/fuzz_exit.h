/* fuzz_exit.h: lets a fuzz harness survive the monitor's refusals: exit() in the tested code ends one input, not the fuzzer. */
#ifndef FUZZ_EXIT_H
#define FUZZ_EXIT_H

#include <setjmp.h>
#include <stddef.h>

/*
 * The targets link with -Wl,--wrap=exit: while fuzz_catching is set, an exit()
 * from the monitor's code (tb_die and friends) records its status and jumps back
 * to fuzz_refused instead of ending the process. Use as:
 *     fuzz_catching = 1;
 *     if (setjmp(fuzz_refused) == 0) { ...code that may refuse... }
 *     fuzz_catching = 0;
 */
extern jmp_buf fuzz_refused;
extern volatile int fuzz_catching;
extern volatile int fuzz_exit_status;

/* Called by exit() while catching; also what the harnesses' replacements of the monitor's stop paths call. */
__attribute__((noreturn)) void fuzz_refuse(int status);

/* Sends the monitor's stdio messages (stderr) to /dev/null unless FUZZ_VERBOSE is set; sanitizer and libFuzzer
 * reports are written to file descriptor 2 directly and stay visible. */
void fuzz_quiet_stdio(void);

/* Aborts (a crash the fuzzer reports and saves) with `what` when `ok` is false: the harness's own invariants. */
#define FUZZ_CHECK(ok, what) fuzz_check((ok), (what), __FILE__, __LINE__)
void fuzz_check(int ok, const char *what, const char *file, int line);

#endif /* FUZZ_EXIT_H */
