/* peer_args.c: --net-shm:NAME=MEMFD,DOORBELL,WAKE,SOCK,SIDE[,MTU]: an inherited shm link, checked before anything is set up. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "args.h"
#include "log.h"
#include "net.h"
#include "peer.h"

static struct tb_peer_arg peers[MFT_MAX_ENTRIES];
static unsigned peer_count;
static const struct tb_config *config; /* to check --io once every option is known */

/* One decimal field ending at ',' or NUL, within [min, max]. */
static const char *field(const char *s, long min, long max, long *out, const char *what, const char *arg)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || (*end && *end != ',') || v < min || v > max)
        tb_die("%s: %s must be an integer in %ld..%ld", arg, what, min, max);
    *out = v;
    return *end ? end + 1 : end;
}

/* An fd we were given must be open and of the kind the spec says. */
static void check_fd(int fd, const char *what, mode_t kind, const char *arg)
{
    struct stat st;
    if (fcntl(fd, F_GETFD) < 0 || fstat(fd, &st) < 0)
        tb_die("%s: %s fd %d is not open", arg, what, fd);
    if (kind && (st.st_mode & S_IFMT) != kind)
        tb_die("%s: fd %d is not a %s", arg, fd, what);
}

static void check_unused(const struct tb_config *cfg, const char *name, const char *arg)
{
    for (unsigned i = 0; i < cfg->net_count; i++)
        if (!strcmp(cfg->nets[i].name, name))
            tb_die("%s: device '%s' given twice", arg, name);
    for (unsigned i = 0; i < cfg->block_count; i++)
        if (!strcmp(cfg->blocks[i].name, name))
            tb_die("%s: device '%s' given twice", arg, name);
}

void tb_peer_parse(struct tb_config *cfg, const char *spec, const char *arg)
{
    const char *eq = strchr(spec, '=');
    if (!eq || eq == spec)
        tb_die("%s: expected --net-shm:NAME=MEMFD,DOORBELL,WAKE,SOCK,SIDE[,MTU]", arg);
    if (cfg->net_count == MFT_MAX_ENTRIES)
        tb_die("%s: too many network devices (at most %d)", arg, MFT_MAX_ENTRIES);
    struct tb_net_arg *n = &cfg->nets[cfg->net_count];
    memset(n, 0, sizeof *n);
    if ((size_t)(eq - spec) >= sizeof n->name)
        tb_die("%s: device name too long", arg);
    memcpy(n->name, spec, (size_t)(eq - spec));
    check_unused(cfg, n->name, arg);

    struct tb_peer_arg *p = &peers[peer_count];
    long memfd, doorbell, wake, sock, side, mtu = 1500;
    const char *s = eq + 1;
    s = field(s, 3, 65535, &memfd, "MEMFD", arg);
    s = field(s, 3, 65535, &doorbell, "DOORBELL", arg);
    s = field(s, 3, 65535, &wake, "WAKE", arg);
    s = field(s, 3, 65535, &sock, "SOCK", arg);
    s = field(s, 0, 1, &side, "SIDE", arg);
    if (*s)
        s = field(s, 68, TB_SHM_FRAME_MAX - 14, &mtu, "MTU", arg);
    if (*s)
        tb_die("%s: unexpected text after the MTU", arg);
    *p = (struct tb_peer_arg){ .memfd = (int)memfd, .doorbell_fd = (int)doorbell, .wake_fd = (int)wake,
                               .sock_fd = (int)sock, .side = (unsigned)side, .mtu = (unsigned)mtu };
    check_fd(p->memfd, "memfd", S_IFREG, arg);
    check_fd(p->doorbell_fd, "eventfd", 0, arg);
    check_fd(p->wake_fd, "eventfd", 0, arg);
    check_fd(p->sock_fd, "socket", S_IFSOCK, arg);
    snprintf(n->ifname, sizeof n->ifname, "shm");
    n->peer = (int)++peer_count;
    config = cfg;
    cfg->net_count++;
}

const struct tb_peer_arg *tb_peer_arg(int index)
{
    return index > 0 && (unsigned)index <= peer_count ? &peers[index - 1] : NULL;
}

void tb_peer_open(struct tb_nic *nic)
{
    const struct tb_peer_arg *p = tb_peer_arg(nic->arg->peer);
    const char *io = config->io_mode;
    if (strcmp(io, "poll") && strcmp(io, "event") && strcmp(io, "hybrid"))
        tb_die("--net-shm:%s: an shm link needs --io=poll, event or hybrid (not %s)", nic->arg->name, io);
    nic->fd = p->wake_fd;
    nic->mtu = (uint16_t)p->mtu;
}
