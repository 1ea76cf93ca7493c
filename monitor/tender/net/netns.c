/* netns.c: setns() into named network namespaces; used for --netns and for TAPIF@NETNS. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <unistd.h>

#include "log.h"
#include "netns.h"

int tb_netns_current(void)
{
    int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        tb_die_errno("cannot open /proc/self/ns/net");
    return fd;
}

void tb_netns_enter(const char *name, const char *why)
{
    char path[128];
    snprintf(path, sizeof path, "/run/netns/%s", name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            tb_die("%s: network namespace '%s' does not exist", why, name);
        tb_die_errno("%s: cannot open %s", why, path);
    }
    if (setns(fd, CLONE_NEWNET) < 0)
        tb_die_errno("%s: cannot join network namespace '%s'", why, name);
    close(fd);
}

void tb_netns_return(int fd)
{
    if (setns(fd, CLONE_NEWNET) < 0)
        tb_die_errno("cannot return to the original network namespace");
    close(fd);
}
