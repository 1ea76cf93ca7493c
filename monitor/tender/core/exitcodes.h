/* exitcodes.h: the monitor's reserved exit statuses (any other status is the guest's own). */
#ifndef TB_EXITCODES_H
#define TB_EXITCODES_H

/*
 * A guest that halts with status N makes the monitor exit with N & 0xff
 * (solo5_abort is 255 and passes through unchanged). Two values are reserved
 * for the monitor itself; a guest that exits with one of them is ambiguous,
 * so our own guests never do.
 */
/*
 * solo5-hvt exits 1 for every tender error; Solo5's own test suite checks it
 * for an invalid image, an unusable block device and a guest write to its
 * read-only memory, so those exit 1 here too (a drop-in must match). The
 * remaining setup errors keep 125 and the remaining guest faults 126.
 */
#define TB_EXIT_SOLO5  1   /* bad image, bad block device, host/guest translation fault */
#define TB_EXIT_CONFIG 125 /* usage, configuration or setup error: the guest never ran */
#define TB_EXIT_FAULT  126 /* the guest faulted or misbehaved and was stopped */
/* Killed by SIGTERM/SIGINT/SIGHUP: 128 + the signal number, after writing --stats. */

#endif /* TB_EXITCODES_H */
