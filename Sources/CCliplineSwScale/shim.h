// libswscale for Swift.
#ifndef CLIPLINE_CSWSCALE_SHIM_H
#define CLIPLINE_CSWSCALE_SHIM_H
#include <libswscale/swscale.h>

#include "../CCliplineAVUtil/ffmpeg_weak.h"
#endif
