/* fmt_sink.h: the formatter's output sink, shared by fmt.c (fixed buffers) and console.c (drained to the console). */
#ifndef TB_FMT_SINK_H
#define TB_FMT_SINK_H

#include <stdarg.h>
#include <stddef.h>

struct tb_sink {
    char *buf;
    size_t cap;                        /* bytes buf holds */
    size_t len;                        /* bytes in buf now */
    size_t total;                      /* bytes produced in all */
    void (*drain)(struct tb_sink *s);  /* empties buf; NULL: drop the excess */
};

void tb_sink_format(struct tb_sink *s, const char *fmt, va_list ap);

#endif /* TB_FMT_SINK_H */
