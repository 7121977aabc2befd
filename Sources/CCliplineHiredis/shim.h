// hiredis for Swift (redisCommandArgv is used instead of the variadic redisCommand).
#ifndef CLIPLINE_CHIREDIS_SHIM_H
#define CLIPLINE_CHIREDIS_SHIM_H
#include <hiredis/hiredis.h>

#include "hiredis_weak.h"
#endif
