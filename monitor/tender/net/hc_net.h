/* hc_net.h: the net module's hypercall handlers (hc_net.c, hc_poll.c), for its table in net_module.c. */
#ifndef TB_HC_NET_H
#define TB_HC_NET_H

#include <stdint.h>

#include "vm.h"

void tb_hc_net_write(struct tb_vm *vm, uint64_t gpa);
void tb_hc_net_read(struct tb_vm *vm, uint64_t gpa);
void tb_hc_poll(struct tb_vm *vm, uint64_t gpa);
/* Creates POLL's epoll set over every TAP; call once the NICs are attached, before the guest runs. */
void tb_hc_poll_prepare(struct tb_vm *vm);

#endif /* TB_HC_NET_H */
