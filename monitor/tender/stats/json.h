/* json.h: the one JSON helper the --stats writers share. */
#ifndef TB_JSON_H
#define TB_JSON_H

#include <stdio.h>

/* A JSON string: quotes, backslashes and control characters escaped. */
void tb_json_string(FILE *f, const char *s);

#endif /* TB_JSON_H */
