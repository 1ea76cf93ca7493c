/* console.c: tb_printf: format into a stack buffer and hand it to the console in as few writes as possible. */
#include "tb_fmt.h"
#include "fmt_sink.h"
#include "solo5.h"

#define CONSOLE_CHUNK 256

static void drain_to_console(struct tb_sink *s)
{
    if (s->len)
        solo5_console_write(s->buf, s->len);
    s->len = 0;
}

int tb_vprintf(const char *fmt, va_list ap)
{
    char buf[CONSOLE_CHUNK];
    struct tb_sink s = { .buf = buf, .cap = sizeof(buf), .drain = drain_to_console };

    tb_sink_format(&s, fmt, ap);
    drain_to_console(&s);
    return (int)s.total;
}

int tb_printf(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    int n = tb_vprintf(fmt, ap);
    va_end(ap);
    return n;
}
