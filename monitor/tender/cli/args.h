/* args.h: the monitor's command line, parsed into a configuration. */
#ifndef TB_ARGS_H
#define TB_ARGS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <net/if.h>

#include "console_limits.h"
#include "cpu_flags.h"
#include "tb_abi.h"

#define TB_NETNS_NAME_MAX 64
#define TB_SECTOR_MIN 512u
#define TB_SECTOR_MAX 32768u  /* the largest power of two the manifest's 16-bit block_size holds */

/* An impaired NIC's two directions, as the engine's direction numbers: TX = what the guest sends. */
enum { TB_IMPAIR_TX = 0, TB_IMPAIR_RX = 1 };

struct tb_net_arg {
    char name[MFT_NAME_SIZE];        /* manifest entry name */
    char ifname[IFNAMSIZ];           /* existing TAP interface */
    char netns[TB_NETNS_NAME_MAX];   /* "" = the monitor's (final) namespace */
    bool has_mac;
    uint8_t mac[6];
    const char *capture_path;        /* --capture:NAME=PATH, NULL when not captured */
    const char *impair[2];           /* --impair-tx:/--impair-rx:NAME=SPEC (impair_text.h), by TB_IMPAIR_TX/RX */
    uint64_t impair_link;            /* --impair-link:NAME=N: the link's identity in the engine's decisions */
    int peer;                        /* > 0: an shm link (--net-shm, net/peer_args.c), no TAP */
};

/* --block:NAME=PATH with its --block-sector-size:NAME=N (0: not given, 512 then). */
struct tb_block_arg {
    char name[MFT_NAME_SIZE];
    const char *path;
    unsigned sector_size;
};

/* shmstream's tunables, set by the --shm-* flags; args.c checks their ranges. */
struct tb_shm_tunables {
    unsigned slots;          /* ring slots per NIC and direction, a power of two */
    unsigned guest_spin_us;  /* hybrid: the guest spins this long on an empty RX ring before it sleeps */
    unsigned io_idle_us;     /* hybrid: the IO thread polls this long without work before it sleeps */
    unsigned budget;         /* frames per NIC and direction per IO-thread round */
    unsigned offloads;       /* 1: TAPs with a vnet header and offloads, GSO frames split into slots (io/gso.c) */
    unsigned wake_frames;    /* wake a sleeping guest once this many frames wait (adaptive, from 1 up to this) ... */
    unsigned wake_us;        /* ... or this long after the first of them arrived, whichever comes first */
};

/* Defined next to the code that uses them (shm_setup.c); args.c starts from them and --help prints them. */
extern const struct tb_shm_tunables tb_shm_defaults;

/* --sleep=, --halt-poll-ns=: how a shmstream guest sleeps (core/hlt_sleep.c). */
struct tb_sleep_flags {
    bool hlt;              /* --sleep=hlt: halted in KVM, woken by an NMI through KVM_IRQFD; else a POLL exit */
    int64_t halt_poll_ns;  /* --halt-poll-ns: KVM's per-VM halt polling; -1: the kvm module's default */
};

/* --seccomp=: what a system call outside the allowlist does once the guest runs (sandbox/seccomp.c). */
enum tb_seccomp_mode {
    TB_SECCOMP_KILL,  /* the default: the kernel kills the process (SIGSYS) */
    TB_SECCOMP_TRAP,  /* debugging: one line naming the call, then killed by SIGSYS */
    TB_SECCOMP_OFF,   /* debugging: no filter (capabilities are dropped all the same) */
};

struct tb_config {
    unsigned mem_mib;
    struct tb_net_arg nets[MFT_MAX_ENTRIES];
    unsigned net_count;
    struct tb_block_arg blocks[MFT_MAX_ENTRIES];
    unsigned block_count;
    const char *dumpcore_dir;  /* --dumpcore=DIR: write a core file there when the guest aborts */
    char netns[TB_NETNS_NAME_MAX];
    const char *io_mode;
    struct tb_shm_tunables shm;
    struct tb_console_limits console; /* --console-max, --console-rate (abi/console_limits.c) */
    struct tb_cpus cpus;          /* --cpu-vcpu, --cpu-io, --io-nice (cpus/placement.c) */
    struct tb_sleep_flags sleep;  /* --sleep, --halt-poll-ns */
    const char *stats_path;
    const char *impair_control; /* --impair-control=PATH: run-time impairment specs and counters (net/nic_control.h) */
    enum tb_seccomp_mode seccomp;
    const char *seccomp_selftest; /* --seccomp-selftest[=CALL]: the forbidden call to make once the filter is in; NULL: none */
    uint64_t capture_bytes;    /* --capture-size: bytes per capture file, 0 = unbounded */
    unsigned capture_files;    /* --capture-files: files in each capture's ring */
    uint32_t capture_snaplen;  /* --capture-snaplen: bytes kept per frame, 0 = all (65535) */
    const char *capture_node;  /* --capture-name: captures name their interface NODE:NIC (default: NIC) */
    const char *guest;
    char cmdline[HVT_CMDLINE_SIZE];
};

/* Parses argv; exits 0 after --help, TB_EXIT_CONFIG with a one-line message on bad usage. */
void tb_args_parse(struct tb_config *cfg, int argc, char **argv);
void tb_args_usage(FILE *out);

#endif /* TB_ARGS_H */
