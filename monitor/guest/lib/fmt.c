/* fmt.c: the formatter behind tb_snprintf and tb_printf: integers, strings, characters, width and padding. */
#include "tb_fmt.h"
#include "fmt_sink.h"

#include <stdbool.h>
#include <stdint.h>

static void put(struct tb_sink *s, char c)
{
    s->total++;
    if (s->len == s->cap) {
        if (!s->drain)
            return; /* a full fixed buffer just counts what it would have held */
        s->drain(s);
    }
    s->buf[s->len++] = c;
}

struct spec {
    bool left;     /* '-' */
    bool zero;     /* '0' */
    unsigned width;
    int precision; /* -1: none; strings: max chars; integers: min digits */
};

/* Pads `body` (len chars, after an optional sign) to the field width. */
static void put_field(struct tb_sink *s, const struct spec *sp, char sign,
                      const char *body, unsigned len)
{
    unsigned used = len + (sign ? 1 : 0);
    unsigned pad = sp->width > used ? sp->width - used : 0;

    if (!sp->left && !sp->zero)
        for (; pad; pad--)
            put(s, ' ');
    if (sign)
        put(s, sign);
    if (!sp->left && sp->zero)
        for (; pad; pad--)
            put(s, '0');
    for (unsigned i = 0; i < len; i++)
        put(s, body[i]);
    for (; pad; pad--)
        put(s, ' ');
}

static void put_unsigned(struct tb_sink *s, const struct spec *sp, char sign,
                         unsigned long long v, unsigned base, bool upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[64]; /* 2^64 has 20 decimal digits; the rest is room for a precision */
    unsigned n = sizeof(tmp);
    struct spec field = *sp;

    /* As in C, precision 0 prints nothing for the value 0. */
    if (v || sp->precision != 0) {
        do {
            tmp[--n] = digits[v % base];
            v /= base;
        } while (v);
    }
    if (sp->precision >= 0) {
        while (n > 0 && sizeof(tmp) - n < (unsigned)sp->precision)
            tmp[--n] = '0';
        field.zero = false; /* a precision overrides the '0' flag */
    }
    put_field(s, &field, sign, tmp + n, (unsigned)sizeof(tmp) - n);
}

static void put_signed(struct tb_sink *s, const struct spec *sp, long long v)
{
    /* Negate in unsigned arithmetic so LLONG_MIN does not overflow. */
    unsigned long long mag = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    put_unsigned(s, sp, v < 0 ? '-' : 0, mag, 10, false);
}

/* A decimal number at *f, or '*' taking an int argument. */
static int parse_count(const char **f, va_list *ap)
{
    int v = 0;

    if (**f == '*') {
        (*f)++;
        return va_arg(*ap, int);
    }
    while (**f >= '0' && **f <= '9')
        v = v * 10 + (*(*f)++ - '0');
    return v;
}

/* Parses flags, width and precision after '%'; returns the position of the length modifier. */
static const char *parse_spec(const char *f, struct spec *sp, va_list *ap)
{
    *sp = (struct spec){ .precision = -1 };
    for (;; f++) {
        if (*f == '-')
            sp->left = true;
        else if (*f == '0')
            sp->zero = true;
        else
            break;
    }
    int width = parse_count(&f, ap);
    if (width < 0) { /* a negative '*' width means left-justify, as in C */
        sp->left = true;
        width = -width;
    }
    sp->width = (unsigned)width;
    if (*f == '.') {
        f++;
        int precision = parse_count(&f, ap);
        sp->precision = precision < 0 ? -1 : precision;
    }
    return f;
}

/* One conversion at f (just past '%'); returns the position after it. */
static const char *convert(struct tb_sink *s, const char *f, va_list *ap)
{
    const char *start = f - 1;
    struct spec sp;
    int longs = 0;
    bool size_t_arg = false;

    f = parse_spec(f, &sp, ap);
    for (; *f == 'l' && longs < 2; f++)
        longs++;
    if (*f == 'z') {
        size_t_arg = true;
        f++;
    }

    switch (*f) {
    case 'd':
    case 'i':
        put_signed(s, &sp, size_t_arg ? (long long)va_arg(*ap, long)
                         : longs == 2  ? va_arg(*ap, long long)
                         : longs == 1  ? va_arg(*ap, long)
                                       : va_arg(*ap, int));
        return f + 1;
    case 'u':
    case 'x':
    case 'X': {
        unsigned long long v = size_t_arg ? va_arg(*ap, size_t)
                             : longs == 2 ? va_arg(*ap, unsigned long long)
                             : longs == 1 ? va_arg(*ap, unsigned long)
                                          : va_arg(*ap, unsigned int);
        put_unsigned(s, &sp, 0, v, *f == 'u' ? 10 : 16, *f == 'X');
        return f + 1;
    }
    case 's': {
        const char *str = va_arg(*ap, const char *);
        unsigned len = 0;
        if (!str)
            str = "(null)";
        while (str[len] && (sp.precision < 0 || len < (unsigned)sp.precision))
            len++;
        sp.zero = false; /* zero padding is for numbers */
        put_field(s, &sp, 0, str, len);
        return f + 1;
    }
    case 'c': {
        char c = (char)va_arg(*ap, int);
        sp.zero = false;
        put_field(s, &sp, 0, &c, 1);
        return f + 1;
    }
    case '%':
        put(s, '%');
        return f + 1;
    default:
        /* Unknown: copy the directive through, so the mistake shows in the output. */
        for (; start < f; start++)
            put(s, *start);
        return f;
    }
}

void tb_sink_format(struct tb_sink *s, const char *fmt, va_list ap)
{
    va_list args;

    va_copy(args, ap);
    while (*fmt) {
        if (*fmt != '%')
            put(s, *fmt++);
        else
            fmt = convert(s, fmt + 1, &args);
    }
    va_end(args);
}

int tb_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    /* Keep one byte for the terminator; a zero-size buffer receives nothing. */
    char dummy;
    struct tb_sink s = { .buf = size ? buf : &dummy, .cap = size ? size - 1 : 0 };

    tb_sink_format(&s, fmt, ap);
    if (size)
        buf[s.len] = '\0';
    return (int)s.total;
}

int tb_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    int n = tb_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
