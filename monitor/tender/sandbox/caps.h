/* caps.h: drops every capability of every thread of the monitor. */
#ifndef TB_CAPS_H
#define TB_CAPS_H

/* Empties the effective, permitted, inheritable, ambient and bounding sets of all threads; dies on failure. */
void tb_caps_drop_all(void);

#endif /* TB_CAPS_H */
