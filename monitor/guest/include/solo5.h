/* solo5.h: the guest API our runtime implements (Solo5's public API, plus net queue/flush). */
#ifndef SOLO5_H
#define SOLO5_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

typedef enum {
    SOLO5_R_OK = 0,
    SOLO5_R_AGAIN,
    SOLO5_R_EINVAL,
    SOLO5_R_EUNSPEC
} solo5_result_t;

struct solo5_start_info {
    const char *cmdline;   /* arguments after the guest path, space-separated */
    uintptr_t heap_start;  /* first free byte after the image */
    size_t heap_size;      /* up to the bottom of the stack area */
};

/* The application's entry point; its return value is the guest's exit status. */
int solo5_app_main(const struct solo5_start_info *info);

#define SOLO5_EXIT_SUCCESS 0
#define SOLO5_EXIT_FAILURE 1
#define SOLO5_EXIT_ABORT   255

void solo5_exit(int status) __attribute__((noreturn));
void solo5_abort(void) __attribute__((noreturn));

typedef uint64_t solo5_time_t; /* nanoseconds */
solo5_time_t solo5_clock_monotonic(void);
solo5_time_t solo5_clock_wall(void);

typedef uint64_t solo5_handle_t;
typedef uint64_t solo5_handle_set_t; /* bit i set: handle i is ready */

/* Sleep until `deadline` (monotonic) or until a device has input; ready_set may be NULL. */
void solo5_yield(solo5_time_t deadline, solo5_handle_set_t *ready_set);

void solo5_console_write(const char *buf, size_t size);

#define SOLO5_NET_ALEN 6
#define SOLO5_NET_HLEN 14

struct solo5_net_info {
    uint8_t mac_address[SOLO5_NET_ALEN];
    size_t mtu;
};

solo5_result_t solo5_net_acquire(const char *name, solo5_handle_t *handle, struct solo5_net_info *info);
/* Receive one frame; SOLO5_R_AGAIN when none is waiting. */
solo5_result_t solo5_net_read(solo5_handle_t handle, uint8_t *buf, size_t size, size_t *read_size);
/* Send one frame now (queue + flush). */
solo5_result_t solo5_net_write(solo5_handle_t handle, const uint8_t *buf, size_t size);
/* Add a frame to the transmit batch without an exit; SOLO5_R_AGAIN when the batch is full (flush first). */
solo5_result_t solo5_net_queue(solo5_handle_t handle, const uint8_t *buf, size_t size);
/* Hand every queued frame to the monitor. */
solo5_result_t solo5_net_flush(solo5_handle_t handle);

typedef uint64_t solo5_off_t;

struct solo5_block_info {
    solo5_off_t capacity;    /* bytes */
    solo5_off_t block_size;  /* bytes per sector: reads and writes are whole sectors */
};

solo5_result_t solo5_block_acquire(const char *name, solo5_handle_t *handle, struct solo5_block_info *info);
/* One request of whole sectors at a sector-aligned offset; SOLO5_R_EINVAL otherwise or past the end. */
solo5_result_t solo5_block_read(solo5_handle_t handle, solo5_off_t offset, uint8_t *buf, size_t size);
solo5_result_t solo5_block_write(solo5_handle_t handle, solo5_off_t offset, const uint8_t *buf, size_t size);

#endif /* SOLO5_H */
