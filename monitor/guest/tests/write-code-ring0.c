/* write-code-ring0: write-code from ring 0, where Solo5's unmodified guests run. */
const int tb_force_ring0 = 1;
#include "write-code.c"
