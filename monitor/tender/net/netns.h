/* netns.h: joining named network namespaces (/run/netns/NAME), and coming back. */
#ifndef TB_NETNS_H
#define TB_NETNS_H

/* An fd for the current network namespace, to return to; dies on failure. */
int tb_netns_current(void);
/* Joins /run/netns/NAME; `why` names the option in the error message. Dies on failure. */
void tb_netns_enter(const char *name, const char *why);
/* Returns to the namespace `fd` (from tb_netns_current) and closes it. */
void tb_netns_return(int fd);

#endif /* TB_NETNS_H */
