// Linux's process controls that Swift cannot call (prctl is variadic).
#ifndef CLIPLINE_CLINUX_SHIM_H
#define CLIPLINE_CLINUX_SHIM_H
#include <sys/prctl.h>

// Orphaned descendants are re-parented to this process instead of PID 1, so it can reap them.
static inline int clipline_become_child_subreaper(void) { return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); }
#endif
