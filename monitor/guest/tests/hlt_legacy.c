/* hlt_legacy: ping-serve as a guest built before hlt sleep: under --sleep=hlt it must keep the POLL hypercall. */
#include "../apps/ping-serve.c"

/* Keeps the runtime sleeping in POLL even when the monitor offers hlt sleep. */
const int tb_no_hlt_sleep = 1;
