// libavcodec for Swift.
#ifndef CLIPLINE_CAVCODEC_SHIM_H
#define CLIPLINE_CAVCODEC_SHIM_H
#include <libavcodec/avcodec.h>
#include <libavcodec/bsf.h>

#include "../CCliplineAVUtil/ffmpeg_weak.h"
#endif
