/* shm_ring.h: the monitor's validating view of one shmstream ring living in (hostile) guest memory. */
#ifndef SHM_RING_H
#define SHM_RING_H

#include <stdint.h>
#include "tb_ring.h"

/*
 * Everything the monitor needs to know about a ring is kept here, privately:
 * geometry is never re-read from guest memory, our own index is authoritative,
 * and the guest's index is accepted only if it moves forward within the ring.
 * Functions returning int give 0 on success and -1 when the guest corrupted the
 * ring; `err` then holds a one-line reason naming the ring.
 */
struct shm_ring {
    struct tb_ring *r;     /* host address of the ring inside the guest mapping */
    uint32_t slots;
    uint32_t mask;
    uint32_t frame_max;    /* longest frame accepted from the guest (TX) */
    uint32_t own;          /* our index (prod of RX, cons of TX), including unpublished slots */
    uint32_t published;    /* own as last stored into the ring */
    uint32_t peer;         /* the guest's index, last validated value */
    char name[80];         /* "service0 rx", for messages */
    char err[256];
};

/* Lays out the ring at `mem` (TB_RING_BYTES(slots) bytes) with both indices at `start` (0 in the monitor). */
void shm_ring_init(struct shm_ring *s, void *mem, uint32_t slots, uint32_t frame_max, uint32_t start,
                   const char *name);

/* ---- the monitor as producer (RX ring) ---- */
/* Free slots, after re-reading and validating the guest's consumer index. */
int shm_ring_space(struct shm_ring *s, uint32_t *space);
/* Data buffer (TB_SHM_FRAME_MAX bytes) of the next slot; call only when space > 0. */
uint8_t *shm_ring_prod_buf(struct shm_ring *s);
/* The data buffer of the k-th slot after the next (k < space). */
uint8_t *shm_ring_prod_buf_at(struct shm_ring *s, uint32_t k);
/* The next slot holds a frame of `len` bytes; visible to the guest after publish. */
void shm_ring_prod_fill(struct shm_ring *s, uint32_t len);
/* The same with TB_SLOT_F_* flags. */
void shm_ring_prod_fill_flags(struct shm_ring *s, uint32_t len, uint16_t flags);
/* Stores prod; *notify = 1 when the guest sleeps waiting for frames (its cons_wait flag was set). */
int shm_ring_prod_publish(struct shm_ring *s, int *notify);
/* Stores prod (with the fence of the sleep handshake) but leaves the guest's cons_wait flag alone. */
void shm_ring_prod_publish_quiet(struct shm_ring *s);
/* Whether the guest sleeps waiting for frames (cons_wait, validated; not consumed). */
int shm_ring_cons_waiting(struct shm_ring *s, int *waiting);
/* Takes cons_wait: *notify = 1 when it was set (the guest must be woken). */
int shm_ring_take_cons_wait(struct shm_ring *s, int *notify);
/* Before sleeping on a full ring: set prod_wait, re-check; *stay_awake = 1 when a slot was freed meanwhile. */
int shm_ring_prod_prepare_sleep(struct shm_ring *s, int *stay_awake);
/* The same for a producer that needs `room` free slots at once (room <= slots / 2, when the guest kicks). */
int shm_ring_prod_prepare_sleep_room(struct shm_ring *s, uint32_t room, int *stay_awake);

/* ---- the monitor as consumer (TX ring) ---- */
/* Full slots, after re-reading and validating the guest's producer index. */
int shm_ring_avail(struct shm_ring *s, uint32_t *avail);
/* The frame at our consumer index (call only when avail > 0): length validated, data inside the slot. */
int shm_ring_cons_frame(struct shm_ring *s, const uint8_t **data, uint32_t *len);
/* Done with that frame (not yet visible to the guest). */
void shm_ring_cons_next(struct shm_ring *s);
/* Stores cons; *notify = 1 when the guest sleeps waiting for a free slot (its prod_wait flag was set). */
int shm_ring_cons_publish(struct shm_ring *s, int *notify);
/* The same, but the guest is woken (its flag taken) only once half the ring is free or the ring is empty:
 * waking it at the first free slots would cost a wakeup per budget's worth of frames. */
int shm_ring_cons_publish_half(struct shm_ring *s, int *notify);
/* Before sleeping on an empty ring: set cons_wait, re-check; *stay_awake = 1 when a frame arrived meanwhile. */
int shm_ring_cons_prepare_sleep(struct shm_ring *s, int *stay_awake);

/* After waking: drop our own wait flag (RX prod_wait, TX cons_wait). */
void shm_ring_prod_end_sleep(struct shm_ring *s);
void shm_ring_cons_end_sleep(struct shm_ring *s);

/* RX: published frames the guest has not consumed yet (one validated load of its consumer index). */
int shm_ring_pending(struct shm_ring *s, uint32_t *pending);

#endif /* SHM_RING_H */
