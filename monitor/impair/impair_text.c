/* impair_text.c: parses an impairment configuration from key=value text; writes configurations and counters as JSON. */
#include "impair_text.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TEXT 1024

static int number(const char *key, const char *text, uint64_t max, uint64_t *value, char *why, size_t why_len)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (*text == '\0' || *text == '-' || *end != '\0' || errno || v > max) {
        snprintf(why, why_len, "%s: '%s' is not an integer from 0 to %" PRIu64, key, text, max);
        return -1;
    }
    *value = v;
    return 0;
}

static int dist(const char *text, struct tb_impair_config *c, char *why, size_t why_len)
{
    if (strcmp(text, "uniform") == 0)
        c->jitter_dist = TB_JITTER_UNIFORM;
    else if (strcmp(text, "normal") == 0)
        c->jitter_dist = TB_JITTER_NORMAL;
    else {
        snprintf(why, why_len, "dist: '%s' is not uniform or normal", text);
        return -1;
    }
    return 0;
}

static int assign(const char *key, const char *text, struct tb_impair_config *c, char *why, size_t why_len)
{
    if (strcmp(key, "dist") == 0)
        return dist(text, c, why, why_len);
    struct field {
        const char *name;
        uint64_t max;
        int width; /* 1 bool, 32 or 64 bits */
        void *where;
    } fields[] = {
        { "down", 1, 1, &c->down },
        { "loss", TB_IMPAIR_PPM, 32, &c->loss_ppm },
        { "ge", 1, 1, &c->ge },
        { "p", TB_IMPAIR_PPM, 32, &c->ge_p_ppm },
        { "r", TB_IMPAIR_PPM, 32, &c->ge_r_ppm },
        { "lossgood", TB_IMPAIR_PPM, 32, &c->ge_loss_good_ppm },
        { "lossbad", TB_IMPAIR_PPM, 32, &c->ge_loss_bad_ppm },
        { "delay", 3600000000000ull, 64, &c->delay_ns },
        { "jitter", 3600000000000ull, 64, &c->jitter_ns },
        { "rate", UINT64_MAX, 64, &c->rate_bps },
        { "limit", 1000000, 32, &c->limit },
        { "reorder", TB_IMPAIR_PPM, 32, &c->reorder_ppm },
        { "duplicate", TB_IMPAIR_PPM, 32, &c->duplicate_ppm },
        { "corrupt", TB_IMPAIR_PPM, 32, &c->corrupt_ppm },
        { "seed", UINT64_MAX, 64, &c->seed },
    };
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (strcmp(key, fields[i].name) != 0)
            continue;
        uint64_t v;
        if (number(key, text, fields[i].max, &v, why, why_len) < 0)
            return -1;
        if (fields[i].width == 1)
            *(bool *)fields[i].where = v != 0;
        else if (fields[i].width == 32)
            *(uint32_t *)fields[i].where = (uint32_t)v;
        else
            *(uint64_t *)fields[i].where = v;
        return 0;
    }
    snprintf(why, why_len, "unknown key '%s'", key);
    return -1;
}

int tb_impair_parse(const char *text, struct tb_impair_config *config, char *why, size_t why_len)
{
    char copy[MAX_TEXT];
    if (strlen(text) >= sizeof(copy)) {
        snprintf(why, why_len, "configuration longer than %d bytes", MAX_TEXT - 1);
        return -1;
    }
    strcpy(copy, text);
    struct tb_impair_config c = *config;
    char *save = NULL;
    for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        if (!eq) {
            snprintf(why, why_len, "'%s' is not KEY=VALUE", item);
            return -1;
        }
        *eq = '\0';
        if (assign(item, eq + 1, &c, why, why_len) < 0)
            return -1;
    }
    *config = c;
    return 0;
}

void tb_impair_config_json(FILE *out, const struct tb_impair_config *c)
{
    fprintf(out,
            "{\"down\": %s, \"loss_ppm\": %" PRIu32 ", \"ge\": %s, \"ge_p_ppm\": %" PRIu32 ", \"ge_r_ppm\": %" PRIu32
            ", \"ge_loss_good_ppm\": %" PRIu32 ", \"ge_loss_bad_ppm\": %" PRIu32 ", \"delay_ns\": %" PRIu64
            ", \"jitter_ns\": %" PRIu64 ", \"dist\": \"%s\", \"rate_bps\": %" PRIu64 ", \"limit\": %" PRIu32
            ", \"reorder_ppm\": %" PRIu32 ", \"duplicate_ppm\": %" PRIu32 ", \"corrupt_ppm\": %" PRIu32
            ", \"seed\": %" PRIu64 "}",
            c->down ? "true" : "false", c->loss_ppm, c->ge ? "true" : "false", c->ge_p_ppm, c->ge_r_ppm,
            c->ge_loss_good_ppm, c->ge_loss_bad_ppm, c->delay_ns, c->jitter_ns,
            c->jitter_dist == TB_JITTER_NORMAL ? "normal" : "uniform", c->rate_bps,
            c->limit ? c->limit : TB_IMPAIR_DEFAULT_LIMIT, c->reorder_ppm, c->duplicate_ppm, c->corrupt_ppm, c->seed);
}

void tb_impair_counters_json(FILE *out, const struct tb_impair_counters *k)
{
    fprintf(out,
            "{\"received\": %" PRIu64 ", \"sent\": %" PRIu64 ", \"dropped\": %" PRIu64 ", \"down_drops\": %" PRIu64
            ", \"queue_drops\": %" PRIu64 ", \"delayed\": %" PRIu64 ", \"duplicated\": %" PRIu64
            ", \"reordered\": %" PRIu64 ", \"corrupted\": %" PRIu64 ", \"bytes_sent\": %" PRIu64 "}",
            k->received, k->sent, k->dropped, k->down_drops, k->queue_drops, k->delayed, k->duplicated, k->reordered,
            k->corrupted, k->bytes_sent);
}
