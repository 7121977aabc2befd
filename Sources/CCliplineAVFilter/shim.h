// libavfilter for Swift.
#ifndef CLIPLINE_CAVFILTER_SHIM_H
#define CLIPLINE_CAVFILTER_SHIM_H
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>

#include "../CCliplineAVUtil/ffmpeg_weak.h"
#endif
