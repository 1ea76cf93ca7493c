/* exitcodes.h: the monitor's reserved exit statuses (any other status is the guest's own). */
#ifndef TB_EXITCODES_H
#define TB_EXITCODES_H

/*
 * A guest that halts with status N makes the monitor exit with N & 0xff
 * (solo5_abort is 255 and passes through unchanged). Two values are reserved
 * for the monitor itself; a guest that exits with one of them is ambiguous,
 * so our own guests never do.
 */
#define TB_EXIT_CONFIG 125 /* usage, configuration or setup error: the guest never ran */
#define TB_EXIT_FAULT  126 /* the guest faulted or misbehaved and was stopped */
/* Killed by SIGTERM/SIGINT/SIGHUP: 128 + the signal number, after writing --stats. */

#endif /* TB_EXITCODES_H */
