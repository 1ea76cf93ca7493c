/* caps.h: drops every capability of every thread of the monitor. */
#ifndef TB_CAPS_H
#define TB_CAPS_H

/* Empties the effective, permitted, inheritable, ambient and bounding sets of all threads; dies on failure. */
void tb_caps_drop_all(void);
/* Called by each thread started during setup, after its last privileged step and before its creator goes on; dies on failure. */
void tb_caps_drop_this_thread(void);

#endif /* TB_CAPS_H */
