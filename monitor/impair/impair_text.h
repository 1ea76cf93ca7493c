/* impair_text.h: an impairment configuration as one line of key=value text, and configurations and counters as JSON. */
#ifndef TB_IMPAIR_TEXT_H
#define TB_IMPAIR_TEXT_H

#include <stddef.h>
#include <stdio.h>

#include "impair.h"

/* Parse "loss=100000,delay=5000000,dist=normal,..." (probabilities in ppm, times in ns, rate in bit/s) into *config,
 * starting from *config as given (keys not mentioned keep their value). Returns 0, or -1 with a one-line reason in
 * why (why_len bytes). */
int tb_impair_parse(const char *text, struct tb_impair_config *config, char *why, size_t why_len);

/* {"loss_ppm": ..., ...} and {"received": ..., ...} */
void tb_impair_config_json(FILE *out, const struct tb_impair_config *config);
void tb_impair_counters_json(FILE *out, const struct tb_impair_counters *counters);

#endif
