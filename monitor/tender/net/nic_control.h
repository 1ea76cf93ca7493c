/* nic_control.h: the impairment control file (--impair-control=PATH): per impaired NIC and direction, a spec the
 * orchestrator writes at run time and the counters the monitor publishes, in one MAP_SHARED file. */
#ifndef TB_NIC_CONTROL_H
#define TB_NIC_CONTROL_H

#include <stdint.h>

#define TB_CTL_MAGIC 0x3154434c52504d49ull /* "IMPRLCT1" little-endian: the file is laid out and live */
#define TB_CTL_VERSION 1u
#define TB_CTL_SPEC_MAX 256u /* a spec's text, NUL included */
#define TB_CTL_WHY_MAX 120u  /* the last refused spec's reason */
#define TB_CTL_COUNTERS 10u  /* received sent dropped down_drops queue_drops delayed duplicated reordered corrupted bytes_sent */
#define TB_CTL_PERIOD_NS 100000000ull /* an idle monitor still looks at its control file this often (100 ms) */
#define TB_CTL_CONFIG 16u    /* down loss ge p r lossgood lossbad delay jitter dist rate limit reorder duplicate corrupt seed */

/* Every field is a little-endian word at a fixed offset (testbed/apply/nic_control.py mirrors them). Words marked W
 * are written by the orchestrator, M by the monitor; both sides use seqlocks: a sequence word odd while its block is
 * being written. */
struct tb_ctl_dir {
    uint64_t spec_seq;                /* W: bumped to odd, spec written, bumped to even */
    char spec[TB_CTL_SPEC_MAX];       /* W: impair_text.h's key=value text, from a plain wire (not a change) */
    uint64_t seen_seq;                /* M: the last even spec_seq the monitor took, applied or refused */
    uint64_t applied;                 /* M: specs applied */
    uint64_t rejected;                /* M: specs refused (the engine kept its configuration) */
    char why[TB_CTL_WHY_MAX];         /* M: why the last one was refused */
    uint64_t pub_seq;                 /* M: odd while the three fields below are written */
    uint64_t counters[TB_CTL_COUNTERS];
    uint64_t queued;                  /* frames the link holds now */
    uint64_t config[TB_CTL_CONFIG];   /* the configuration in force */
    uint64_t reserved[1];
};

struct tb_ctl_nic {
    char name[32];                    /* M: the NIC's manifest name, NUL-padded */
    uint64_t generation;              /* W: bumped after any spec_seq of this NIC settled: the one word checked */
    uint64_t reserved[3];
    struct tb_ctl_dir dir[2];         /* by TB_IMPAIR_TX / TB_IMPAIR_RX */
};

struct tb_ctl_header {
    uint64_t magic;                   /* M: TB_CTL_MAGIC, stored last */
    uint32_t version, nics;           /* M */
    uint32_t nic_bytes, header_bytes; /* M: sizeof(struct tb_ctl_nic), sizeof(struct tb_ctl_header) */
    uint64_t reserved[5];
};

_Static_assert(sizeof(struct tb_ctl_dir) == 640, "control file layout: nic_control.py's DIR_BYTES");
_Static_assert(sizeof(struct tb_ctl_nic) == 1344, "control file layout: nic_control.py's NIC_BYTES");
_Static_assert(sizeof(struct tb_ctl_header) == 64, "control file layout: nic_control.py's HEADER_BYTES");

struct tb_config;
struct tb_impair;
struct tb_nic_ctl; /* one impaired NIC's slot and engines */

/* At setup, before the sandbox: create or size, map and clear the file for `nics` impaired NICs (exits with one
 * line on an error). A no-op without --impair-control. */
void tb_nic_control_open(const struct tb_config *cfg, unsigned nics);
/* Called with `arg` just before a good spec re-configures direction dir's engine: the NIC makes what it holds for
 * that engine fit any configuration (nic_impair_rx.c: segments whose checksums were left to the guest). */
typedef void tb_nic_ctl_prepare(void *arg, unsigned dir);
/* The next slot for NIC `name`, its initial specs and both engines (neither NULL); the last one makes the file
 * live. NULL without --impair-control. */
struct tb_nic_ctl *tb_nic_control_attach(const char *name, const char *const spec[2], struct tb_impair *const engine[2],
                                         tb_nic_ctl_prepare *prepare, void *arg);
/* A changed spec (noticed by one load of the NIC's generation word) re-configures its engine; the engine's packet
 * index, queue and counters carry on. Each direction's spec is taken on its own: one never waits for the other.
 * Before each frame, by the thread that feeds the NIC's engines. */
void tb_nic_control_check(struct tb_nic_ctl *ctl);
/* The check, then counters that moved are published. Once per POLL / IO round, whatever state the NIC's frames are in
 * (a guest that stopped reading still has its counters shown and its link changed). */
void tb_nic_control_service(struct tb_nic_ctl *ctl);

#endif /* TB_NIC_CONTROL_H */
