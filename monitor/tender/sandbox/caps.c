/* caps.c: drops every capability of every thread: libcap-ng on the calling thread, raw calls inside each other one. */
#include <cap-ng.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>

#include "caps.h"
#include "log.h"

#define HIGHEST_CAP 63          /* PR_CAPBSET_DROP answers EINVAL past the kernel's last one */
#define WAIT_STEP_NS 100000L
#define WAIT_STEPS 20000        /* 2 s for every other thread to drop its own */
#define PF_KERNEL_WORKERS (0x00004000UL | 0x00200000UL) /* PF_USER_WORKER | PF_KTHREAD, from /proc/TID/stat */

/*
 * Capabilities belong to a thread, not to the process: capset() changes only
 * the caller's. The threads started during setup (shmstream's IO thread) keep
 * theirs unless they drop them themselves, so each gets a signal whose handler
 * does it; these two counters are how the handlers report back.
 */
static int threads_dropped, threads_failed;
/* Emptying the bounding set needs CAP_SETPCAP: root has it; a user allowed /dev/kvm has nothing to drop there. */
static int drop_bounds;

/* Async-signal-safe: only system calls, errno preserved. */
static int drop_own_capabilities(void)
{
    for (int cap = 0; drop_bounds && cap <= HIGHEST_CAP; cap++)
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
            return -1;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        return -1;
    struct __user_cap_header_struct head = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct none[_LINUX_CAPABILITY_U32S_3];
    memset(none, 0, sizeof none);
    return (int)syscall(SYS_capset, &head, none);
}

static void on_drop_signal(int sig)
{
    (void)sig;
    int saved = errno;
    if (drop_own_capabilities() < 0)
        __atomic_add_fetch(&threads_failed, 1, __ATOMIC_RELEASE);
    __atomic_add_fetch(&threads_dropped, 1, __ATOMIC_RELEASE);
    errno = saved;
}

/*
 * KVM runs kernel workers inside our thread group (kvm-nx-lpage-recovery,
 * started by the first KVM_RUN): they never return to user space, so they
 * hold no user-space privilege, take no signals and need no dropping.
 */
static int kernel_worker(pid_t tid)
{
    char path[64], text[512];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
    FILE *f = fopen(path, "r");
    size_t len = f ? fread(text, 1, sizeof text - 1, f) : 0;
    if (f)
        fclose(f);
    text[len] = '\0';
    const char *after_name = strrchr(text, ')'); /* the name may hold spaces and parentheses */
    unsigned long flags = 0;
    if (!after_name || sscanf(after_name + 1, " %*c %*d %*d %*d %*d %*d %lu", &flags) != 1)
        return 0;
    return (flags & PF_KERNEL_WORKERS) != 0;
}

#if defined(__SANITIZE_THREAD__)
#define TB_TSAN_BUILD 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TB_TSAN_BUILD 1
#endif
#endif

/*
 * ThreadSanitizer's runtime runs a thread of its own in our group with every
 * signal blocked: it never runs the handler. Only in a TSan build (a test build,
 * like --seccomp=off) that thread is left out and keeps its capabilities.
 */
static int sanitizer_thread(pid_t tid)
{
#ifdef TB_TSAN_BUILD
    char path[64], line[128];
    snprintf(path, sizeof path, "/proc/self/task/%d/status", (int)tid);
    FILE *f = fopen(path, "r");
    unsigned long long blocked = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "SigBlk: %llx", &blocked) == 1)
            break;
    if (f)
        fclose(f);
    return (int)((blocked >> (SIGRTMIN - 1)) & 1);
#else
    (void)tid;
    return 0;
#endif
}

/* Signals every other user-space thread of the process; returns how many. */
static int signal_other_threads(int sig)
{
    DIR *dir = opendir("/proc/self/task");
    if (!dir)
        tb_die_errno("sandbox: /proc/self/task");
    pid_t self = gettid(), pid = getpid();
    int sent = 0;
    for (struct dirent *e; (e = readdir(dir));) {
        pid_t tid = (pid_t)atoi(e->d_name);
        if (tid <= 0 || tid == self || kernel_worker(tid) || sanitizer_thread(tid))
            continue;
        if (syscall(SYS_tgkill, pid, tid, sig) < 0)
            tb_die_errno("sandbox: cannot signal thread %d to drop its capabilities", (int)tid);
        sent++;
    }
    closedir(dir);
    return sent;
}

static void drop_in_other_threads(void)
{
    int sig = SIGRTMIN;
    struct sigaction sa = { .sa_handler = on_drop_signal, .sa_flags = SA_RESTART };
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) < 0)
        tb_die_errno("sandbox: sigaction");
    int sent = signal_other_threads(sig);
    struct timespec step = { .tv_sec = 0, .tv_nsec = WAIT_STEP_NS };
    for (int i = 0; __atomic_load_n(&threads_dropped, __ATOMIC_ACQUIRE) < sent; i++) {
        if (i == WAIT_STEPS)
            tb_die("sandbox: a thread did not drop its capabilities within 2 s");
        nanosleep(&step, NULL);
    }
    if (__atomic_load_n(&threads_failed, __ATOMIC_ACQUIRE))
        tb_die("sandbox: a thread could not drop its capabilities");
}

/* Reads one "Cap...:" line of a thread's /proc status; -1 when it cannot be read. */
static long long status_caps(const char *path, const char *field)
{
    FILE *f = fopen(path, "r");
    char line[256];
    long long value = -1;
    size_t len = strlen(field);
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, field, len))
            value = strtoll(line + len, NULL, 16);
    if (f)
        fclose(f);
    return value;
}

/* Trust, but check: every thread's sets must read empty now (the bounding set when we could empty it). */
static void check_every_thread(void)
{
    static const char *const fields[] = { "CapEff:", "CapPrm:", "CapAmb:", "CapBnd:" };
    size_t checked = drop_bounds ? 4 : 3;
    DIR *dir = opendir("/proc/self/task");
    if (!dir)
        tb_die_errno("sandbox: /proc/self/task");
    for (struct dirent *e; (e = readdir(dir));) {
        pid_t tid = (pid_t)atoi(e->d_name);
        if (e->d_name[0] == '.' || kernel_worker(tid) || sanitizer_thread(tid))
            continue;
        char path[64];
        snprintf(path, sizeof path, "/proc/self/task/%.16s/status", e->d_name);
        for (size_t i = 0; i < checked; i++)
            if (status_caps(path, fields[i]) != 0)
                tb_die("sandbox: thread %s still has capabilities (%s not empty)", e->d_name, fields[i]);
    }
    closedir(dir);
}

void tb_caps_drop_all(void)
{
    capng_get_caps_process();
    drop_bounds = capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP);
    capng_select_t sets = drop_bounds ? CAPNG_SELECT_ALL : CAPNG_SELECT_CAPS | CAPNG_SELECT_AMBIENT;
    drop_in_other_threads();
    capng_clear(sets);
    if (capng_apply(sets) != 0)
        tb_die("sandbox: libcap-ng could not drop the capabilities");
    check_every_thread();
}
