/* seccomp.c: the monitor's system call allowlist, one commented table, installed with libseccomp once setup is done. */
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "args.h"
#include "log.h"
#include "seccomp.h"

/* What a row allows of its call's arguments. */
enum arg_rule {
    ANY_ARGS,
    VCPU_IOCTL,      /* ioctl on the vCPU fd, with a request from vcpu_ioctls[] only */
    NO_EXEC,         /* arg 2 (prot) without PROT_EXEC: the monitor never makes new code */
    ANON_NO_EXEC,    /* mmap: anonymous (fd -1) and without PROT_EXEC: the allocator, never a file's pages */
    DUMPCORE_DIR,    /* openat relative to --dumpcore's directory fd; no rule at all without --dumpcore */
    OWN_PROCESS,     /* arg 0 is our own pid: tgkill reaches our threads only (uid 0 could signal any root process) */
};

struct allowed {
    int nr;
    enum arg_rule args;
};

/*
 * THE ALLOWLIST: every system call the monitor may make after setup, on any
 * thread (vCPU thread, shmstream's IO thread), and who needs it. Anything else
 * kills the process (SIGSYS). Setup (files, TAPs, namespaces, KVM objects,
 * threads) is over before this applies, so none of its calls are here: a part
 * that needs something lazily should do it during setup instead.
 *
 * Adding a row: say who needs it in the comment, prefer a narrow arg_rule, and
 * trace the steady state again (docs/confinement.md: strace -f, every io mode).
 * socket() must never be allowed: --seccomp-selftest and --seccomp=trap use it
 * as their forbidden call.
 */
static const struct allowed allowlist[] = {
    /* the guest running */
    { SCMP_SYS(ioctl), VCPU_IOCTL },          /* KVM_RUN; KVM_GET_REGS/SREGS for fault reports and --dumpcore */
    { SCMP_SYS(rt_sigreturn), ANY_ARGS },     /* back from the stop-signal handler (core/signals.c) */
    { SCMP_SYS(rt_sigpending), ANY_ARGS },    /* a stop signal that ended KVM_RUN (core/signals.c) */
    /* hypercalls and the IO thread */
    { SCMP_SYS(read), ANY_ARGS },             /* NET_READ, TAP reads, eventfds (doorbells, wake, the sleep timer) */
    { SCMP_SYS(write), ANY_ARGS },            /* PUTS to stdout, NET_WRITE, eventfd kicks, error lines, --stats */
    { SCMP_SYS(readv), ANY_ARGS },            /* vnet TAPs (shmstream): header + slot + GSO bounce in one read */
    { SCMP_SYS(writev), ANY_ARGS },           /* vnet TAPs: the virtio_net_hdr before each frame written */
    { SCMP_SYS(pread64), ANY_ARGS },          /* BLOCK_READ; KVM's binary stats at exit */
    { SCMP_SYS(pwrite64), ANY_ARGS },         /* BLOCK_WRITE; --dumpcore */
    { SCMP_SYS(fallocate), ANY_ARGS },        /* --capture: a mapped file reserves blocks ahead of its frames */
    { SCMP_SYS(epoll_pwait2), ANY_ARGS },     /* POLL; IO thread until a coalesced wake is due; hlt sleep timer */
    { SCMP_SYS(epoll_wait), ANY_ARGS },       /* the IO thread (event, hybrid) sleeps */
    { SCMP_SYS(epoll_pwait), ANY_ARGS },      /* the same, where libc implements epoll_wait with it */
    { SCMP_SYS(epoll_ctl), ANY_ARGS },        /* the IO thread arms TAPs; POLL hands attached TAPs to it */
    { SCMP_SYS(sched_yield), ANY_ARGS },      /* the IO thread (poll) while a full RX ring waits for the guest */
    { SCMP_SYS(clock_gettime), ANY_ARGS },    /* WALLTIME and thread CPU clocks when the vDSO cannot answer */
    { SCMP_SYS(futex), ANY_ARGS },            /* libc's locks (stdio) when both threads report at once */
    { SCMP_SYS(ppoll), ANY_ARGS },            /* PUTS waits for room on a stdout pipe, stop signals open */
    { SCMP_SYS(poll), ANY_ARGS },             /* a line on the way out waits (bounded) for room on stderr */
    /* stopping: core/stop.c, shmstream's teardown, --stats, --dumpcore */
    { SCMP_SYS(pause), ANY_ARGS },            /* the parked IO thread; the thread that lost the race to stop */
    { SCMP_SYS(clock_nanosleep), ANY_ARGS },  /* usleep while the IO thread parks */
    { SCMP_SYS(nanosleep), ANY_ARGS },        /* the same on libcs that still use it */
    { SCMP_SYS(close), ANY_ARGS },            /* the --stats file, the core file */
    { SCMP_SYS(tgkill), OWN_PROCESS },        /* a thread stopping the run parks the vCPU thread (core/park.c) */
    { SCMP_SYS(getpid), ANY_ARGS },           /* --dumpcore's file name and its prstatus note */
    { SCMP_SYS(openat), DUMPCORE_DIR },       /* --dumpcore: the core file in the directory opened at setup */
    { SCMP_SYS(mincore), ANY_ARGS },          /* --dumpcore: which guest pages were ever touched */
    { SCMP_SYS(ftruncate), ANY_ARGS },        /* --dumpcore: the core file covers all of RAM; --capture: a file cut
                                                 * to its frames when the writer leaves it or its reservation fails */
    { SCMP_SYS(exit_group), ANY_ARGS },       /* the end */
    /* the allocator (malloc/free on error and exit paths, libc's own buffers) */
    { SCMP_SYS(brk), ANY_ARGS },
    { SCMP_SYS(mmap), ANON_NO_EXEC },
    { SCMP_SYS(munmap), ANY_ARGS },           /* and --capture's file mappings (made at setup) at exit */
    { SCMP_SYS(mprotect), NO_EXEC },
    { SCMP_SYS(madvise), ANY_ARGS },          /* free() trimming a thread's arena */
};

/* What the vCPU fd may be asked once the guest runs. */
static const unsigned long vcpu_ioctls[] = { KVM_RUN, KVM_GET_REGS, KVM_GET_SREGS };

#define LOW32 0xffffffffULL /* ints (fds, ioctl requests) reach the filter with undefined upper halves */
#define NAMES 512           /* --seccomp=trap names the calls below this number */

/* --seccomp=trap: names resolved before the filter exists, since the handler must not allocate. */
static const char *trap_names[NAMES];

static long forbidden_call(void)
{
    return syscall(SYS_socket, AF_INET, SOCK_DGRAM, 0);
}

static void on_sigsys(int sig, siginfo_t *info, void *context)
{
    (void)sig;
    (void)context;
    int nr = info->si_syscall;
    const char *name = nr >= 0 && nr < NAMES && trap_names[nr] ? trap_names[nr] : "?";
    char line[200];
    int len = snprintf(line, sizeof line,
                       "tb-monitor: killed by its sandbox (seccomp): forbidden system call %s (%d); "
                       "see docs/confinement.md\n", name, nr);
    if (len > 0) {
        ssize_t ignored = write(STDERR_FILENO, line, (size_t)len); /* nothing to do if even this fails */
        (void)ignored;
    }
    /* SIGSYS is blocked inside this handler, so the kernel answers this second trap by killing us with it. */
    forbidden_call();
    _exit(128 + SIGSYS); /* not reached */
}

static void prepare_trap(void)
{
    for (int nr = 0; nr < NAMES; nr++)
        trap_names[nr] = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr); /* kept for the process's life */
    struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSYS, &sa, NULL) < 0)
        tb_die_errno("sandbox: sigaction(SIGSYS)");
}

static void die_rc(int rc, const char *what)
{
    tb_die("sandbox: seccomp: %s: %s", what, strerror(-rc));
}

static void add(scmp_filter_ctx ctx, int nr, unsigned count, const struct scmp_arg_cmp *cmp)
{
    int rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, count, cmp);
    if (rc < 0) {
        char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
        tb_die("sandbox: seccomp: cannot allow %s: %s", name ? name : "?", strerror(-rc));
    }
}

static void add_row(scmp_filter_ctx ctx, const struct allowed *row, const struct tb_vm *vm)
{
    switch (row->args) {
    case ANY_ARGS:
        add(ctx, row->nr, 0, NULL);
        break;
    case VCPU_IOCTL:
        for (size_t i = 0; i < sizeof vcpu_ioctls / sizeof vcpu_ioctls[0]; i++) {
            struct scmp_arg_cmp cmp[] = { SCMP_A0(SCMP_CMP_MASKED_EQ, LOW32, (scmp_datum_t)vm->vcpu_fd),
                                          SCMP_A1(SCMP_CMP_MASKED_EQ, LOW32, vcpu_ioctls[i]) };
            add(ctx, row->nr, 2, cmp);
        }
        break;
    case NO_EXEC: {
        struct scmp_arg_cmp cmp[] = { SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0) };
        add(ctx, row->nr, 1, cmp);
        break;
    }
    case ANON_NO_EXEC: {
        struct scmp_arg_cmp cmp[] = { SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0),
                                      SCMP_A4(SCMP_CMP_MASKED_EQ, LOW32, LOW32) };
        add(ctx, row->nr, 2, cmp);
        break;
    }
    case OWN_PROCESS: {
        struct scmp_arg_cmp cmp[] = { SCMP_A0(SCMP_CMP_MASKED_EQ, LOW32, (scmp_datum_t)getpid()) };
        add(ctx, row->nr, 1, cmp);
        break;
    }
    case DUMPCORE_DIR:
        if (vm->dumpcore_dir_fd >= 0) {
            struct scmp_arg_cmp cmp[] = { SCMP_A0(SCMP_CMP_MASKED_EQ, LOW32, (scmp_datum_t)vm->dumpcore_dir_fd) };
            add(ctx, row->nr, 1, cmp);
        }
        break;
    }
}

void tb_seccomp_install(const struct tb_vm *vm)
{
    enum tb_seccomp_mode mode = vm->cfg->seccomp;
    if (mode == TB_SECCOMP_OFF)
        return;
    if (mode == TB_SECCOMP_TRAP)
        prepare_trap();
    scmp_filter_ctx ctx = seccomp_init(mode == TB_SECCOMP_TRAP ? SCMP_ACT_TRAP : SCMP_ACT_KILL_PROCESS);
    if (!ctx)
        tb_die("sandbox: seccomp_init failed");
    int rc;
    /* Every thread (the IO thread exists already), NO_NEW_PRIVS, and a call from another ABI (int 0x80, x32) kills. */
    if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) < 0)
        die_rc(rc, "thread sync");
    if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1)) < 0)
        die_rc(rc, "no_new_privs");
    if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS)) < 0)
        die_rc(rc, "foreign architectures");
    for (size_t i = 0; i < sizeof allowlist / sizeof allowlist[0]; i++)
        add_row(ctx, &allowlist[i], vm);
    if ((rc = seccomp_load(ctx)) < 0)
        die_rc(rc, "loading the filter");
    seccomp_release(ctx);
}

/* Each harmless if it were allowed, each forbidden by a different kind of rule. */
static long selftest_call(const struct tb_vm *vm, const char *call)
{
    if (!strcmp(call, "openat")) /* only relative to --dumpcore's directory */
        return syscall(SYS_openat, AT_FDCWD, "/etc/hostname", O_RDONLY | O_CLOEXEC);
    if (!strcmp(call, "exec-mmap")) /* never PROT_EXEC */
        return (long)syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (!strcmp(call, "ioctl")) { /* the vCPU fd, but a request it may not get */
        struct kvm_fpu fpu;
        return ioctl(vm->vcpu_fd, KVM_GET_FPU, &fpu);
    }
    if (!strcmp(call, "tgkill")) /* signal 0 (a permission check) to pid 1: not our own process */
        return syscall(SYS_tgkill, 1, 1, 0);
    return forbidden_call(); /* socket: not on the list at all */
}

void tb_seccomp_selftest(const struct tb_vm *vm, const char *call)
{
    long ret = selftest_call(vm, call);
    tb_warn("--seccomp-selftest=%s was allowed (returned %ld): no filter is installed", call, ret);
    if (!strcmp(call, "openat") && ret >= 0)
        close((int)ret);
}
