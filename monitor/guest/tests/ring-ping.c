/* ring-ping: ping-serve in ring 0, where the runtime uses Solo5 0.12's network ring when the monitor offers it
 * (--io=solo5-ring), as Solo5's own bindings do. */
const int tb_force_ring0 = 1;
#include "../apps/ping-serve.c"
