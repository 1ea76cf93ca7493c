/* console.c: console output through the PUTS hypercall. */
#include "solo5.h"
#include "runtime.h"

void solo5_console_write(const char *buf, size_t size)
{
    struct hvt_hc_puts p = { .data = (uint64_t)(uintptr_t)buf, .len = size };
    tb_hypercall(HVT_HYPERCALL_PUTS, &p);
}
