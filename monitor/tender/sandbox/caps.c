/* caps.c: drops every capability of every thread: libcap-ng on the main thread, raw calls in each thread started during setup. */
#include <cap-ng.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

#include "caps.h"
#include "log.h"

#define HIGHEST_CAP 63          /* PR_CAPBSET_DROP answers EINVAL past the kernel's last one */
#define PF_KERNEL_WORKERS (0x00004000UL | 0x00200000UL) /* PF_USER_WORKER | PF_KTHREAD, from /proc/TID/stat */

/*
 * Capabilities belong to a thread, not to the process: capset() changes only
 * the caller's. So each thread started during setup (shmstream's IO thread, the
 * shm link watch) drops its own before its creator goes on, and the main thread
 * drops last and then checks them all.
 */

/* Emptying the bounding set needs CAP_SETPCAP: root has it; a user allowed /dev/kvm has nothing to drop there. */
static int can_drop_bounds(void)
{
    struct __user_cap_header_struct head = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct now[_LINUX_CAPABILITY_U32S_3];
    if (syscall(SYS_capget, &head, now) < 0)
        tb_die_errno("sandbox: capget");
    return (now[CAP_TO_INDEX(CAP_SETPCAP)].effective & CAP_TO_MASK(CAP_SETPCAP)) != 0;
}

void tb_caps_drop_this_thread(void)
{
    int drop_bounds = can_drop_bounds();
    for (int cap = 0; drop_bounds && cap <= HIGHEST_CAP; cap++)
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
            tb_die_errno("sandbox: a thread could not empty its bounding set");
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        tb_die_errno("sandbox: a thread could not clear its ambient capabilities");
    struct __user_cap_header_struct head = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct none[_LINUX_CAPABILITY_U32S_3];
    memset(none, 0, sizeof none);
    if (syscall(SYS_capset, &head, none) < 0)
        tb_die_errno("sandbox: a thread could not drop its capabilities");
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
 * ThreadSanitizer's runtime runs a thread of its own in our group, known by
 * every signal blocked; it runs none of our code, so it cannot drop its own.
 * Only in a TSan build (a test build, like --seccomp=off) it is left out of
 * the check and keeps its capabilities.
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
static void check_every_thread(int drop_bounds)
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
    int drop_bounds = capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP);
    capng_select_t sets = drop_bounds ? CAPNG_SELECT_ALL : CAPNG_SELECT_CAPS | CAPNG_SELECT_AMBIENT;
    capng_clear(sets);
    if (capng_apply(sets) != 0)
        tb_die("sandbox: libcap-ng could not drop the capabilities");
    check_every_thread(drop_bounds);
}
