/* forward4: the forward app with four NICs (net0..net3), for stars: the same router, a bigger manifest. */
#include "solo5.h"
#include "tb_manifest.h"

#define FORWARD_APP "forward4"
TB_MFT_NOTE_(4, TB_MFT_NET_("net0"), TB_MFT_NET_("net1"), TB_MFT_NET_("net2"), TB_MFT_NET_("net3"));

#include "forward.c"
