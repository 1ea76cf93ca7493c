/* control.c: tb-wire's control socket: one command line per connection (stats, set, clear, down, up), one answer. */
#include <inttypes.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "impair_text.h"
#include "wire.h"

#define CONTROL_LINE 2048
#define CONTROL_WAIT_MS 100 /* a client that says nothing holds the relay up no longer than this */

void wire_stats_json(FILE *out, const struct wire *w)
{
    static const char *names[2] = { "ab", "ba" };
    fprintf(out, "{\"link\": \"%s\", \"a\": \"%s\", \"b\": \"%s\", \"directions\": {", w->link, w->ends[0].spec,
            w->ends[1].spec);
    for (unsigned d = 0; d < 2; d++) {
        fprintf(out, "%s\"%s\": {\"config\": ", d ? ", " : "", names[d]);
        tb_impair_config_json(out, tb_impair_get(w->dir[d]));
        fprintf(out, ", \"counters\": ");
        tb_impair_counters_json(out, tb_impair_counters(w->dir[d]));
        fprintf(out, ", \"queued\": %zu, \"write_errors\": %" PRIu64 ", \"late_p50_ns\": %" PRIu64
                ", \"late_p99_ns\": %" PRIu64 ", \"late_max_ns\": %" PRIu64 "}", tb_impair_queued(w->dir[d]),
                w->ends[1 - d].write_errors, tb_impair_late_percentile(w->dir[d], 50),
                tb_impair_late_percentile(w->dir[d], 99), tb_impair_counters(w->dir[d])->late_max_ns);
    }
    fprintf(out, "}, \"realtime\": %s, \"pauses\": %" PRIu64 "}\n", w->pace.realtime ? "true" : "false",
            w->pace.pauses);
}

/* "ab", "ba" or "both" -> a bit mask of directions. */
static unsigned directions_of(const char *word)
{
    return strcmp(word, "ab") == 0 ? 1 : strcmp(word, "ba") == 0 ? 2 : strcmp(word, "both") == 0 ? 3 : 0;
}

/* One command, one answer: "ok", "error: why", or the stats JSON. */
static void execute(struct wire *w, char *line, FILE *out)
{
    char verb[16] = "", which[8] = "", why[256] = "";
    const char *config = "";
    int consumed = 0;
    sscanf(line, "%15s %7s %n", verb, which, &consumed);
    if (consumed > 0)
        config = line + consumed;
    if (strcmp(verb, "stats") == 0) {
        wire_stats_json(out, w);
        return;
    }
    if (strcmp(verb, "down") == 0 || strcmp(verb, "up") == 0) {
        for (unsigned d = 0; d < 2; d++) {
            struct tb_impair_config c = *tb_impair_get(w->dir[d]);
            c.down = strcmp(verb, "down") == 0;
            tb_impair_set(w->dir[d], &c);
        }
        fprintf(out, "ok\n");
        return;
    }
    unsigned mask = directions_of(which);
    if ((strcmp(verb, "set") != 0 && strcmp(verb, "clear") != 0) || mask == 0) {
        fprintf(out, "error: expected stats, down, up, set ab|ba|both CONFIG or clear ab|ba|both\n");
        return;
    }
    struct tb_impair_config next[2];
    for (unsigned d = 0; d < 2; d++) {
        /* set replaces the whole configuration but the seed; clear leaves a plain wire (same seed). */
        next[d] = (struct tb_impair_config){ .seed = tb_impair_get(w->dir[d])->seed };
        if ((mask & (1u << d)) && strcmp(verb, "set") == 0 && tb_impair_parse(config, &next[d], why, sizeof(why)) < 0) {
            fprintf(out, "error: %s\n", why);
            return;
        }
    }
    for (unsigned d = 0; d < 2; d++)
        if (mask & (1u << d))
            tb_impair_set(w->dir[d], &next[d]);
    fprintf(out, "ok\n");
}

/* A client is served at once and closed: commands are rare and short, so the relay never waits on one for long
 * (the socket is its owner's alone: 0600 in the run's state directory). */
void wire_serve_control(struct wire *w)
{
    int client = accept4(w->control_fd, NULL, NULL, SOCK_CLOEXEC);
    if (client < 0)
        return;
    struct pollfd pfd = { .fd = client, .events = POLLIN };
    char line[CONTROL_LINE];
    size_t used = 0;
    while (used < sizeof(line) - 1 && poll(&pfd, 1, CONTROL_WAIT_MS) > 0) {
        ssize_t n = read(client, line + used, sizeof(line) - 1 - used);
        if (n <= 0)
            break;
        used += (size_t)n;
        if (memchr(line, '\n', used))
            break;
    }
    line[used] = '\0';
    line[strcspn(line, "\n")] = '\0';
    FILE *out = fdopen(client, "w");
    if (!out) {
        close(client);
        return;
    }
    execute(w, line, out);
    fclose(out);
}
