/* args.c: parses and checks the monitor's command line (see tb_args_usage for the syntax). */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "peer.h"
#include "exitcodes.h"
#include "impair_text.h"
#include "io.h"
#include "log.h"
#include "tb_ring.h"

#define DEFAULT_MEM_MIB 32
#define HALT_POLL_MAX_NS 100000000 /* 100 ms: polling burns the core the whole time */

/* One --shm-* flag: where it goes in struct tb_shm_tunables and the values the rings and the IO thread accept. */
struct shm_flag {
    const char *prefix;   /* "--shm-slots=" */
    size_t offset;
    unsigned min, max;
    int power_of_two;     /* ring indices wrap with a mask */
    const char *help;
};

#define SHM_FIELD(f) offsetof(struct tb_shm_tunables, f)
#define SHM_MAX_US 1000000u /* one second: longer windows would only hide a stuck peer */

static const struct shm_flag shm_flags[] = {
    { "--shm-slots=", SHM_FIELD(slots), TB_SHM_MIN_SLOTS, TB_SHM_MAX_SLOTS, 1, "ring slots per NIC and direction" },
    { "--shm-guest-spin-us=", SHM_FIELD(guest_spin_us), 0, SHM_MAX_US, 0, "hybrid: guest spins before it sleeps" },
    { "--shm-io-idle-us=", SHM_FIELD(io_idle_us), 0, SHM_MAX_US, 0, "hybrid: IO thread polls idle before it sleeps" },
    { "--shm-budget=", SHM_FIELD(budget), 1, TB_SHM_MAX_SLOTS, 0, "frames per NIC and direction per IO round" },
    { "--shm-offloads=", SHM_FIELD(offloads), 0, 1, 0, "TAP checksum/GSO offloads, large frames split into slots" },
    { "--shm-wake-frames=", SHM_FIELD(wake_frames), 1, TB_SHM_MAX_SLOTS, 0,
      "wake a sleeping guest at most every N frames (adaptive; 1: at once)" },
    { "--shm-wake-us=", SHM_FIELD(wake_us), 0, SHM_MAX_US, 0, "... or T µs after the first waiting frame" },
};
#define SHM_FLAG_COUNT (sizeof shm_flags / sizeof shm_flags[0])

static unsigned *shm_field(struct tb_shm_tunables *t, const struct shm_flag *f)
{
    return (unsigned *)((char *)t + f->offset);
}

/* "  --shm-slots=N  ring slots ... (2..4096, a power of two; default 512)" */
static void shm_flags_usage(FILE *out)
{
    struct tb_shm_tunables dflt = tb_shm_defaults;
    for (size_t i = 0; i < SHM_FLAG_COUNT; i++) {
        const struct shm_flag *f = &shm_flags[i];
        char name[32];
        snprintf(name, sizeof name, "%sN", f->prefix);
        fprintf(out, "  %-24s  %s (%u..%u%s; default %u)\n", name, f->help, f->min, f->max,
                f->power_of_two ? ", a power of two" : "", *shm_field(&dflt, f));
    }
}

void tb_args_usage(FILE *out)
{
    char modes[256];
    tb_io_mode_names(modes, sizeof modes);
    fprintf(out,
        "usage: tb-monitor [OPTIONS] [--] GUEST [GUEST ARGS...]\n"
        "Runs the Solo5 hvt (ABI 2) unikernel GUEST on KVM; GUEST ARGS become its command line.\n"
        "\n"
        "options:\n"
        "  --mem=MiB                 guest memory, %d..%d MiB (default %d)\n"
        "  --net:NAME=TAPIF[@NETNS]  attach manifest device NAME to the existing TAP TAPIF\n"
        "                            (opened inside network namespace NETNS when given)\n"
        "  --net-shm:NAME=MEMFD,DOORBELL,WAKE,SOCK,SIDE[,MTU]\n"
        "                            attach NAME to an shm link to another monitor's guest (inherited fds;\n"
        "                            needs --io=poll, event or hybrid; see docs/shm-links.md)\n"
        "  --net-mac:NAME=MAC        MAC address of NAME (default: random, locally administered)\n"
        "  --block:NAME=PATH         attach manifest device NAME to the existing file PATH\n"
        "  --block-sector-size:NAME=N  sector size of NAME: a power of two, 512..32768 (default 512)\n"
        "  --dumpcore=DIR            when the guest aborts (255) or faults, write its core to DIR/core.solo5-hvt.PID\n"
        "  --netns=NAME              join /run/netns/NAME (after opening TAPs given with @NETNS)\n"
        "  --io=MODE                 network I/O mode: %s (default hypercall;\n"
        "                            solo5-ring: Solo5 0.12's shared ring, for Solo5 guests that use it)\n"
        "  --stats=PATH              write run statistics as JSON to PATH at exit\n"
        "  --sleep=HOW               how a shmstream guest sleeps (--io=poll|event|hybrid): exit (default: the\n"
        "                            POLL hypercall) or hlt (halted in KVM, woken by an NMI; guests that do not\n"
        "                            know it keep POLL; a ring-0 guest's stray hlt is then not reported;\n"
        "                            not on a direct --net-shm link)\n"
        "  --halt-poll-ns=N          with --sleep=hlt: KVM polls N ns for the wake before it gives the core\n"
        "                            away (0..%d; default: the kvm module's halt_poll_ns)\n"
        "  --seccomp=MODE            a system call outside the allowlist once the guest runs: kill (default),\n"
        "                            trap (print its name, then killed), off (no filter; for debugging)\n"
        "  --seccomp-selftest[=CALL] make a forbidden system call once the filter is in place (tests): socket\n"
        "                            (default), openat, exec-mmap, ioctl (not one the vCPU may get), tgkill (to pid 1)\n"
        "  --capture:NAME=PATH       write every frame NIC NAME sends or receives to PATH (pcapng)\n"
        "  --impair:NAME=SPEC        impair both directions of NIC NAME (SPEC: key=value,... as tb-wire takes:\n"
        "                            loss, delay, jitter, dist, rate, limit, reorder, duplicate, corrupt, ge, p, r,\n"
        "                            lossgood, lossbad, down, seed; probabilities in ppm, times in ns)\n"
        "  --impair-tx:NAME=SPEC     impair only what the guest sends; --impair-rx:NAME=SPEC what it receives\n"
        "  --impair-link:NAME=N      the link's identity in the impairment decisions (default 0)\n"
        "  --impair-control=PATH     a file (made or resized here) through which the impaired NICs' specs change at\n"
        "                            run time and their counters are read (testbed impair, testbed links)\n"
        "  --capture-size=BYTES      rotate a capture file before it passes BYTES (default: unbounded)\n"
        "  --capture-files=N         a ring of N files per capture, PATH with .0 .. .N-1 before its extension\n"
        "  --capture-name=NODE       name the captured interfaces NODE:NAME (default: NAME)\n"
        "  --capture-snaplen=BYTES   keep at most BYTES of each captured frame (64..65535; default: 65535)\n"
        "  --help                    print this help and exit 0\n"
        "shmstream tuning (--io=poll|event|hybrid):\n",
        TB_MEM_MIN_MIB, TB_MEM_MAX_MIB, DEFAULT_MEM_MIB, modes, HALT_POLL_MAX_NS);
    shm_flags_usage(out);
    tb_placement_usage(out);
    tb_console_usage(out);
    fprintf(out,
        "\n"
        "exit status:\n"
        "  N     the guest exited with status N (solo5_abort: 255)\n"
        "  %d     as solo5-hvt: not a valid Solo5 hvt image, an unusable block device, or the guest\n"
        "        wrote to its read-only memory (host/guest translation fault)\n"
        "  %d   any other usage, configuration or setup error (the guest did not run)\n"
        "  %d   the guest faulted or misbehaved and was stopped\n"
        "  128+S killed by signal S (SIGTERM, SIGINT, SIGHUP)\n",
        TB_EXIT_SOLO5, TB_EXIT_CONFIG, TB_EXIT_FAULT);
}

/* Copies src into a fixed buffer, refusing (with `what` in the message) when it does not fit or is empty. */
static void copy_name(char *dst, size_t size, const char *src, size_t len, const char *what, const char *arg)
{
    if (len == 0)
        tb_die("%s: empty %s", arg, what);
    if (len >= size)
        tb_die("%s: %s too long (at most %zu characters)", arg, what, size - 1);
    memcpy(dst, src, len);
    dst[len] = '\0';
}

static void check_netns_name(const char *name, const char *arg)
{
    if (strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
        tb_die("%s: bad namespace name '%s'", arg, name);
}

/* A plain decimal number: strtoul alone would take "-1", " 5" or "0x10". Returns -1 when value is not one. */
static int parse_ulong(const char *value, unsigned long *out)
{
    char *end;
    errno = 0;
    *out = strtoul(value, &end, 10);
    return errno || end == value || *end || !isdigit((unsigned char)value[0]) ? -1 : 0;
}

static unsigned parse_mem(const char *value, const char *arg)
{
    unsigned long mib;
    if (parse_ulong(value, &mib) < 0)
        tb_die("%s: not a number of MiB", arg);
    if (mib < TB_MEM_MIN_MIB || mib > TB_MEM_MAX_MIB)
        tb_die("%s: memory must be %d..%d MiB", arg, TB_MEM_MIN_MIB, TB_MEM_MAX_MIB);
    return (unsigned)mib;
}

static struct tb_net_arg *find_net(struct tb_config *cfg, const char *name)
{
    for (unsigned i = 0; i < cfg->net_count; i++)
        if (!strcmp(cfg->nets[i].name, name))
            return &cfg->nets[i];
    return NULL;
}

static struct tb_block_arg *find_block(struct tb_config *cfg, const char *name)
{
    for (unsigned i = 0; i < cfg->block_count; i++)
        if (!strcmp(cfg->blocks[i].name, name))
            return &cfg->blocks[i];
    return NULL;
}

/* Network and block devices share the manifest's one namespace of names. */
static int find_device(struct tb_config *cfg, const char *name)
{
    return find_net(cfg, name) || find_block(cfg, name);
}

/* --net:NAME=TAPIF[@NETNS] */
static void parse_net(struct tb_config *cfg, const char *spec, const char *arg)
{
    const char *eq = strchr(spec, '=');
    if (!eq)
        tb_die("%s: expected --net:NAME=TAPIF[@NETNS]", arg);
    if (cfg->net_count == MFT_MAX_ENTRIES)
        tb_die("%s: too many --net options (at most %d)", arg, MFT_MAX_ENTRIES);
    struct tb_net_arg *n = &cfg->nets[cfg->net_count];
    memset(n, 0, sizeof *n);
    copy_name(n->name, sizeof n->name, spec, eq - spec, "device name", arg);
    if (find_device(cfg, n->name))
        tb_die("%s: device '%s' given twice", arg, n->name);
    const char *tap = eq + 1, *at = strchr(tap, '@');
    copy_name(n->ifname, sizeof n->ifname, tap, at ? (size_t)(at - tap) : strlen(tap), "TAP name", arg);
    if (at) {
        copy_name(n->netns, sizeof n->netns, at + 1, strlen(at + 1), "namespace name", arg);
        check_netns_name(n->netns, arg);
    }
    cfg->net_count++;
}

/* --block:NAME=PATH */
static void parse_block(struct tb_config *cfg, const char *spec, const char *arg)
{
    const char *eq = strchr(spec, '=');
    if (!eq || !eq[1])
        tb_die("%s: expected --block:NAME=PATH", arg);
    if (cfg->block_count == MFT_MAX_ENTRIES)
        tb_die("%s: too many --block options (at most %d)", arg, MFT_MAX_ENTRIES);
    struct tb_block_arg *b = &cfg->blocks[cfg->block_count];
    memset(b, 0, sizeof *b);
    copy_name(b->name, sizeof b->name, spec, eq - spec, "device name", arg);
    if (find_device(cfg, b->name))
        tb_die("%s: device '%s' given twice", arg, b->name);
    b->path = eq + 1;
    cfg->block_count++;
}

/* --block-sector-size:NAME=N, checked after all --block options are known. */
static void apply_sector_size(struct tb_config *cfg, const char *spec, const char *arg)
{
    const char *eq = strchr(spec, '=');
    char name[MFT_NAME_SIZE];
    unsigned long size;
    if (!eq)
        tb_die("%s: expected --block-sector-size:NAME=N", arg);
    copy_name(name, sizeof name, spec, eq - spec, "device name", arg);
    if (parse_ulong(eq + 1, &size) < 0)
        tb_die("%s: not a number", arg);
    /* solo5-hvt's words and status, which Solo5's tests check. */
    if (size < TB_SECTOR_MIN || size > TB_SECTOR_MAX || (size & (size - 1)))
        tb_die_solo5("%s: Block size must be a multiple of 2 greater than or equal 512 (a power of two, %u..%u)",
                     arg, TB_SECTOR_MIN, TB_SECTOR_MAX);
    struct tb_block_arg *b = find_block(cfg, name);
    if (!b)
        tb_die("%s: no --block:%s=... option for this device", arg, name);
    b->sector_size = (unsigned)size;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
    unsigned v[6];
    char tail;
    if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) != 6)
        return -1;
    for (int i = 0; i < 6; i++)
        mac[i] = (uint8_t)v[i];
    return (mac[0] & 1) ? -1 : 0; /* a multicast address cannot be a NIC's */
}

static bool is_impair_flag(const char *arg)
{
    return !strncmp(arg, "--impair:", 9) || !strncmp(arg, "--impair-tx:", 12) || !strncmp(arg, "--impair-rx:", 12) ||
           !strncmp(arg, "--impair-link:", 14);
}

/* --capture:NAME=PATH, checked after all --net options are known. */
static void apply_capture(struct tb_config *cfg, const char *spec, const char *arg)
{
    const char *eq = strchr(spec, '=');
    char name[MFT_NAME_SIZE];
    if (!eq || !eq[1])
        tb_die("%s: expected --capture:NAME=PATH", arg);
    copy_name(name, sizeof name, spec, eq - spec, "device name", arg);
    struct tb_net_arg *n = find_net(cfg, name);
    if (!n)
        tb_die("%s: no --net:%s=... option for this device", arg, name);
    n->capture_path = eq + 1;
}

/* --impair[-tx|-rx]:NAME=SPEC and --impair-link:NAME=N, checked after all --net options are known; a SPEC is
 * parsed here too, so a bad one stops the monitor before anything is opened. */
static void apply_impair(struct tb_config *cfg, const char *arg)
{
    const char *spec = strchr(arg, ':') + 1, *eq = strchr(spec, '=');
    char name[MFT_NAME_SIZE];
    if (!eq || !eq[1])
        tb_die("%s: expected %.*s:NAME=VALUE", arg, (int)(spec - arg - 1), arg);
    copy_name(name, sizeof name, spec, eq - spec, "device name", arg);
    struct tb_net_arg *n = find_net(cfg, name);
    if (!n) /* a --net-shm link too: its frames then go through the IO thread (net/peer_mediate.c) */
        tb_die("%s: no --net:%s=... option for this device", arg, name);
    if (!strncmp(arg, "--impair-link:", 14)) {
        unsigned long long link;
        char *end;
        errno = 0;
        link = strtoull(eq + 1, &end, 0);
        if (errno || *end || eq[1] == '-')
            tb_die("%s: expected a 64-bit link number", arg);
        n->impair_link = link;
        return;
    }
    struct tb_impair_config probe = { 0 };
    char why[200];
    if (tb_impair_parse(eq + 1, &probe, why, sizeof why) < 0)
        tb_die("%s: %s", arg, why);
    bool tx = strncmp(arg, "--impair-rx:", 12) != 0, rx = strncmp(arg, "--impair-tx:", 12) != 0;
    if (tx)
        n->impair[TB_IMPAIR_TX] = eq + 1;
    if (rx)
        n->impair[TB_IMPAIR_RX] = eq + 1;
}

/* --net-mac:NAME=MAC, checked after all --net options are known. */
static void apply_mac(struct tb_config *cfg, const char *spec, const char *arg)
{
    const char *eq = strchr(spec, '=');
    char name[MFT_NAME_SIZE];
    if (!eq)
        tb_die("%s: expected --net-mac:NAME=MAC", arg);
    copy_name(name, sizeof name, spec, eq - spec, "device name", arg);
    struct tb_net_arg *n = find_net(cfg, name);
    if (!n)
        tb_die("%s: no --net:%s=... option for this device", arg, name);
    if (parse_mac(eq + 1, n->mac) < 0)
        tb_die("%s: bad MAC address '%s' (want xx:xx:xx:xx:xx:xx, unicast)", arg, eq + 1);
    n->has_mac = true;
}

static void join_cmdline(struct tb_config *cfg, int argc, char **argv)
{
    size_t used = 0;
    for (int i = 0; i < argc; i++) {
        size_t len = strlen(argv[i]) + (i > 0);
        if (used + len >= sizeof cfg->cmdline)
            tb_die("guest arguments too long (at most %d bytes)", HVT_CMDLINE_SIZE - 1);
        used += (size_t)snprintf(cfg->cmdline + used, sizeof cfg->cmdline - used, "%s%s", i ? " " : "", argv[i]);
    }
}

/* --shm-*=N; returns 0 when `arg` is none of them. */
static int parse_shm_flag(struct tb_shm_tunables *t, const char *arg)
{
    for (size_t i = 0; i < SHM_FLAG_COUNT; i++) {
        const struct shm_flag *f = &shm_flags[i];
        size_t len = strlen(f->prefix);
        if (strncmp(arg, f->prefix, len))
            continue;
        unsigned long v;
        if (parse_ulong(arg + len, &v) < 0 || v < f->min || v > f->max)
            tb_die("%s: expected an integer in %u..%u", arg, f->min, f->max);
        if (f->power_of_two && (v & (v - 1)))
            tb_die("%s: must be a power of two", arg);
        *shm_field(t, f) = (unsigned)v;
        return 1;
    }
    return 0;
}

static enum tb_seccomp_mode parse_seccomp(const char *value, const char *arg)
{
    if (!strcmp(value, "kill"))
        return TB_SECCOMP_KILL;
    if (!strcmp(value, "trap"))
        return TB_SECCOMP_TRAP;
    if (!strcmp(value, "off"))
        return TB_SECCOMP_OFF;
    tb_die("%s: unknown seccomp mode (available: kill, trap, off)", arg);
}

/* One forbidden call per kind of filter rule (sandbox/seccomp.c makes them). */
static const char *parse_selftest(const char *value, const char *arg)
{
    static const char *const calls[] = { "socket", "openat", "exec-mmap", "ioctl", "tgkill" };
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++)
        if (!strcmp(value, calls[i]))
            return calls[i];
    tb_die("%s: unknown self-test call (available: socket, openat, exec-mmap, ioctl, tgkill)", arg);
}

/* The guest sleeps by hlt only on shmstream rings; elsewhere the flags would only change how a stray hlt ends. */
static void check_sleep(const struct tb_config *cfg)
{
    int shm = !strcmp(cfg->io_mode, "poll") || !strcmp(cfg->io_mode, "event") || !strcmp(cfg->io_mode, "hybrid");
    if (cfg->sleep.hlt && !shm)
        tb_die("--sleep=hlt: needs --io=poll, event or hybrid (not %s)", cfg->io_mode);
    if (cfg->sleep.halt_poll_ns >= 0 && !cfg->sleep.hlt)
        tb_die("--halt-poll-ns: needs --sleep=hlt");
}

/* Handles one option; returns 0 when `arg` is not an option we know. */
static int parse_option(struct tb_config *cfg, const char *arg)
{
    if (!strncmp(arg, "--mem=", 6))
        cfg->mem_mib = parse_mem(arg + 6, arg);
    else if (!strncmp(arg, "--net:", 6))
        parse_net(cfg, arg + 6, arg);
    else if (!strncmp(arg, "--net-shm:", 10))
        tb_peer_parse(cfg, arg + 10, arg);
    else if (!strncmp(arg, "--netns=", 8)) {
        copy_name(cfg->netns, sizeof cfg->netns, arg + 8, strlen(arg + 8), "namespace name", arg);
        check_netns_name(cfg->netns, arg);
    } else if (!strncmp(arg, "--io=", 5)) {
        if (!tb_io_mode_find(arg + 5)) {
            char modes[256];
            tb_io_mode_names(modes, sizeof modes);
            tb_die("%s: unknown I/O mode (available: %s)", arg, modes);
        }
        cfg->io_mode = arg + 5;
    } else if (!strcmp(arg, "--sleep=exit") || !strcmp(arg, "--sleep=hlt"))
        cfg->sleep.hlt = !strcmp(arg, "--sleep=hlt");
    else if (!strncmp(arg, "--sleep=", 8))
        tb_die("%s: unknown sleep (available: exit, hlt)", arg);
    else if (!strncmp(arg, "--halt-poll-ns=", 15)) {
        unsigned long ns;
        if (parse_ulong(arg + 15, &ns) < 0 || ns > HALT_POLL_MAX_NS)
            tb_die("%s: expected an integer in 0..%d", arg, HALT_POLL_MAX_NS);
        cfg->sleep.halt_poll_ns = (int64_t)ns;
    } else if (!strncmp(arg, "--stats=", 8) && arg[8])
        cfg->stats_path = arg + 8;
    else if (!strncmp(arg, "--impair-control=", 17) && arg[17])
        cfg->impair_control = arg + 17;
    else if (!strncmp(arg, "--block:", 8))
        parse_block(cfg, arg + 8, arg);
    else if (!strncmp(arg, "--seccomp=", 10))
        cfg->seccomp = parse_seccomp(arg + 10, arg);
    else if (!strcmp(arg, "--seccomp-selftest"))
        cfg->seccomp_selftest = "socket";
    else if (!strncmp(arg, "--seccomp-selftest=", 19))
        cfg->seccomp_selftest = parse_selftest(arg + 19, arg);
    else if (!strncmp(arg, "--dumpcore=", 11) && arg[11])
        cfg->dumpcore_dir = arg + 11;
    else if (!strncmp(arg, "--capture-size=", 15)) {
        unsigned long bytes;
        if (parse_ulong(arg + 15, &bytes) < 0 || bytes < 4096)
            tb_die("%s: expected a number of bytes, at least 4096", arg);
        cfg->capture_bytes = bytes;
    } else if (!strncmp(arg, "--capture-name=", 15) && arg[15]) {
        cfg->capture_node = arg + 15;
    } else if (!strncmp(arg, "--capture-snaplen=", 18)) {
        unsigned long snaplen;
        if (parse_ulong(arg + 18, &snaplen) < 0 || snaplen < 64 || snaplen > 65535)
            tb_die("%s: expected a number of bytes in 64..65535", arg);
        cfg->capture_snaplen = (uint32_t)snaplen;
    } else if (!strncmp(arg, "--capture-files=", 16)) {
        unsigned long files;
        if (parse_ulong(arg + 16, &files) < 0 || files < 1 || files > 64)
            tb_die("%s: expected an integer in 1..64", arg);
        cfg->capture_files = (unsigned)files;
    } else if (!strncmp(arg, "--net-mac:", 10) || !strncmp(arg, "--block-sector-size:", 20) ||
               !strncmp(arg, "--capture:", 10) || is_impair_flag(arg))
        ; /* second pass, once every --net and --block is known */
    else if (tb_console_parse_flag(&cfg->console, arg))
        ;
    else if (!tb_placement_parse(&cfg->cpus, arg))
        return parse_shm_flag(&cfg->shm, arg);
    return 1;
}

void tb_args_parse(struct tb_config *cfg, int argc, char **argv)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->mem_mib = DEFAULT_MEM_MIB;
    cfg->io_mode = "hypercall";
    cfg->shm = tb_shm_defaults;
    cfg->console = tb_console_defaults;
    cfg->cpus = TB_CPUS_UNPINNED;
    cfg->sleep.halt_poll_ns = -1;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--")) {
            i++;
            break;
        }
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            tb_args_usage(stdout);
            exit(0);
        }
        if (!parse_option(cfg, argv[i]))
            tb_die("unknown option '%s' (see --help)", argv[i]);
    }
    if (i >= argc)
        tb_die("no GUEST given (see --help)");
    for (int j = 1; j < i; j++)
        if (!strncmp(argv[j], "--net-mac:", 10))
            apply_mac(cfg, argv[j] + 10, argv[j]);
        else if (!strncmp(argv[j], "--block-sector-size:", 20))
            apply_sector_size(cfg, argv[j] + 20, argv[j]);
        else if (!strncmp(argv[j], "--capture:", 10))
            apply_capture(cfg, argv[j] + 10, argv[j]);
        else if (is_impair_flag(argv[j]))
            apply_impair(cfg, argv[j]);
    check_sleep(cfg);
    cfg->guest = argv[i];
    join_cmdline(cfg, argc - i - 1, argv + i + 1);
}
