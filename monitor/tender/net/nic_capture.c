/* nic_capture.c: the capture module: opens each --capture file once the NICs exist, writes frames under a per-NIC
 * lock, flushes them all at exit. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "args.h"
#include "log.h"
#include "module.h"
#include "net.h"
#include "nic_capture.h"
#include "vm.h"

struct tb_nic_capture {
    pthread_mutex_t lock; /* a NIC's frames come from the vCPU thread (hypercalls) or the IO thread (rings) */
    struct tb_pcapng *w;
};

static struct tb_nic_capture *all[MFT_MAX_ENTRIES];
static unsigned all_count;

/* exit() runs this (tb_stop ends every run with it, after the IO thread stopped): the buffered tail reaches the file. */
static void close_all(void)
{
    for (unsigned i = 0; i < all_count; i++) {
        pthread_mutex_lock(&all[i]->lock);
        tb_pcapng_close(all[i]->w);
        all[i]->w = NULL;
        pthread_mutex_unlock(&all[i]->lock);
    }
    all_count = 0;
}

/* The attach hook, after the net module's: opens every capture before the guest runs (and any confinement). */
static void open_all(struct tb_vm *vm, const struct tb_manifest *mft)
{
    (void)mft;
    const struct tb_config *cfg = vm->cfg;
    for (unsigned i = 0; i < vm->net->count; i++) {
        struct tb_nic *nic = &vm->net->nics[i];
        if (!nic->arg->capture_path)
            continue;
        char label[160];
        snprintf(label, sizeof label, "%s%s%s", cfg->capture_node ? cfg->capture_node : "",
                 cfg->capture_node ? ":" : "", nic->arg->name);
        struct tb_pcapng_opts o = { .ifname = label, .file_bytes = cfg->capture_bytes, .files = cfg->capture_files,
                                    .snaplen = cfg->capture_snaplen };
        char err[300];
        struct tb_nic_capture *c = tb_xcalloc(1, sizeof *c);
        pthread_mutex_init(&c->lock, NULL);
        c->w = tb_pcapng_open(nic->arg->capture_path, &o, err, sizeof err);
        if (!c->w)
            tb_die("--capture:%s: %s", nic->arg->name, err);
        nic->capture = c;
        all[all_count++] = c;
        if (all_count == 1)
            atexit(close_all);
    }
}

void tb_nic_capture_frame(struct tb_nic_capture *c, const void *frame, uint32_t len, enum tb_pcapng_dir dir)
{
    uint64_t now = tb_pcapng_now();
    pthread_mutex_lock(&c->lock);
    if (c->w)
        tb_pcapng_write(c->w, now, frame, len, dir);
    pthread_mutex_unlock(&c->lock);
}

const struct tb_module tb_module_capture = {
    .name = "capture",
    .attach = open_all,
};
