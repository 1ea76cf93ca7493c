/* cpu_flags.c: the --cpu-vcpu, --cpu-io and --io-nice flags: their parsing and their lines in --help. */
#include <errno.h>
#include <sched.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_flags.h"
#include "log.h"

struct cpu_flag {
    const char *prefix;
    size_t offset;
    int min, max;
    const char *help;
};

#define CPUS_FIELD(f) offsetof(struct tb_cpus, f)

static const struct cpu_flag flags[] = {
    { "--cpu-vcpu=", CPUS_FIELD(vcpu), 0, CPU_SETSIZE - 1, "pin the vCPU thread to core N" },
    { "--cpu-io=", CPUS_FIELD(io), 0, CPU_SETSIZE - 1, "pin the shmstream IO thread to core N" },
    { "--io-nice=", CPUS_FIELD(io_nice), -20, 19, "the IO thread's nice value (default 0: unchanged)" },
};

int tb_placement_parse(struct tb_cpus *cpus, const char *arg)
{
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        size_t len = strlen(flags[i].prefix);
        if (strncmp(arg, flags[i].prefix, len))
            continue;
        const char *v = arg + len;
        char *end;
        errno = 0;
        long n = strtol(v, &end, 10);
        if (errno || end == v || *end || n < flags[i].min || n > flags[i].max || !(v[0] == '-' || (v[0] >= '0' && v[0] <= '9')))
            tb_die("%s: expected an integer in %d..%d", arg, flags[i].min, flags[i].max);
        *(int *)((char *)cpus + flags[i].offset) = (int)n;
        return 1;
    }
    return 0;
}

void tb_placement_usage(FILE *out)
{
    fprintf(out, "CPU placement (default: threads unpinned, priority unchanged):\n");
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "%sN", flags[i].prefix);
        fprintf(out, "  %-24s  %s\n", name, flags[i].help);
    }
}
