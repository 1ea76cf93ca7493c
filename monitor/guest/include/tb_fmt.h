/* tb_fmt.h: a small snprintf-style formatter for freestanding guests, and tb_printf to the console. */
#ifndef TB_FMT_H
#define TB_FMT_H

#include <stdarg.h>
#include <stddef.h>

/*
 * Conversions: %d %i %u %x %X %s %c %%, with length modifiers l, ll and z
 * (so uint64_t is %lu / %lx), flags '-' (left-justify) and '0' (zero pad),
 * a field width and a precision (digits or '*'; for %s the most characters
 * to print, for integers the fewest digits). No floating point: guests are built with
 * -mgeneral-regs-only. Unknown conversions are copied through verbatim.
 *
 * tb_snprintf/tb_vsnprintf behave as C's snprintf: the output is always
 * NUL-terminated when size > 0, and the return value is the length the whole
 * output would have had, so a return >= size means it was truncated.
 */
int tb_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int tb_snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Formats to the console via solo5_console_write. Output is buffered per
 * call and written in as few console writes as possible (one for lines up
 * to 256 bytes): each write is a hypercall. Returns the characters written.
 */
int tb_vprintf(const char *fmt, va_list ap);
int tb_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* TB_FMT_H */
