/* bad-jump: jumps to an unmapped address from ring 3; the monitor must report a #PF at that rip. */
#include "solo5.h"
#include "tb_manifest.h"

TB_MANIFEST_NONE();

#define NOWHERE 0xdead000UL /* above any --mem these tests use, so not mapped */

int solo5_app_main(const struct solo5_start_info *info)
{
    (void)info;
    void (*fn)(void);
    __asm__("" : "=r"(fn) : "0"(NOWHERE));
    fn();
    return 0;
}
