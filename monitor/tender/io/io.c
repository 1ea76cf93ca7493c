/* io.c: the table of network I/O modes selectable with --io=. */
#include <stddef.h>
#include <string.h>

#include "io.h"
#include "shm.h"

static const struct tb_io_mode modes[] = {
    { .name = "hypercall" },
    { .name = "solo5-ring" }, /* Solo5 0.12's own ring, for Solo5 guests: net/solo5_ring.c, set up by its module before boot */
    { .name = "poll", .setup = tb_shm_setup_poll, .teardown = tb_shm_teardown, .rings = 1 },
    { .name = "event", .setup = tb_shm_setup_event, .teardown = tb_shm_teardown, .rings = 1 },
    { .name = "hybrid", .setup = tb_shm_setup_hybrid, .teardown = tb_shm_teardown, .rings = 1 },
};

const struct tb_io_mode *tb_io_mode_find(const char *name)
{
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
        if (!strcmp(modes[i].name, name))
            return &modes[i];
    return NULL;
}

void tb_io_mode_names(char *buf, size_t size)
{
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        if (i)
            strncat(buf, ", ", size - strlen(buf) - 1);
        strncat(buf, modes[i].name, size - strlen(buf) - 1);
    }
}
