/* hello: prints its arguments on one line ("hello: ARGS") and exits 0; needs no devices. */
#include "solo5.h"
#include "tb_fmt.h"
#include "tb_manifest.h"

TB_MANIFEST_NONE();

int solo5_app_main(const struct solo5_start_info *si)
{
    tb_printf("hello: %s\n", si->cmdline ? si->cmdline : "");
    return SOLO5_EXIT_SUCCESS;
}
