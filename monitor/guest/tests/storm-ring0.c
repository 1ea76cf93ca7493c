/* storm-ring0: the storm guest forced to stay in ring 0 (PIO hypercalls, emulated code), to compare with ring 3. */
#include "storm.c"

const int tb_force_ring0 = 1;
