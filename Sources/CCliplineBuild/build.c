// The one value a build carries that the sources cannot: the commit. Package.swift defines CLIPLINE_COMMIT for
// this file alone, so a new commit recompiles one C file and relinks, nothing else.
#include "clipline_build.h"

#ifndef CLIPLINE_COMMIT
#define CLIPLINE_COMMIT ""
#endif

const char *clipline_build_commit(void) { return CLIPLINE_COMMIT; }
