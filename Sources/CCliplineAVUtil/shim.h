// libavutil for Swift: the headers, plus inline wrappers for the macros Swift cannot import.
#ifndef CLIPLINE_CAVUTIL_SHIM_H
#define CLIPLINE_CAVUTIL_SHIM_H
#include <libavutil/avutil.h>
#include <libavutil/error.h>
#include <libavutil/dict.h>
#include <libavutil/frame.h>
#include <libavutil/imgutils.h>
#include <libavutil/log.h>
#include <libavutil/mathematics.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libavutil/rational.h>
#include <libavutil/channel_layout.h>

#include "ffmpeg_weak.h"

static inline int clipline_averror(int posix_errno) { return AVERROR(posix_errno); }
static inline int clipline_averror_eof(void) { return AVERROR_EOF; }
static inline int64_t clipline_av_nopts_value(void) { return AV_NOPTS_VALUE; }
static inline AVRational clipline_av_time_base_q(void) { return AV_TIME_BASE_Q; }
static inline int clipline_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int clipline_av_opt_set_int_list_pix_fmt(void *obj, const char *name, const enum AVPixelFormat *fmts) {
  return av_opt_set_int_list(obj, name, fmts, AV_PIX_FMT_NONE, AV_OPT_SEARCH_CHILDREN);
}
#endif
