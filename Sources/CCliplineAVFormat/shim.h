// libavformat for Swift.
#ifndef CLIPLINE_CAVFORMAT_SHIM_H
#define CLIPLINE_CAVFORMAT_SHIM_H
#include <libavformat/avformat.h>
#include <libavformat/avio.h>

#include "../CCliplineAVUtil/ffmpeg_weak.h"
#endif
