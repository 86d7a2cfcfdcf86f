#pragma once
#include <errno.h>
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavutil/avutil.h>
#include <libavutil/channel_layout.h>
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
#include <libswresample/swresample.h>

// Function-like macros and constant expressions Swift does not import.
static inline int omni_averror(int posix_errno) { return AVERROR(posix_errno); }
static inline int omni_averror_eof(void) { return AVERROR_EOF; }
static inline int omni_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int64_t omni_av_nopts_value(void) { return AV_NOPTS_VALUE; }
static inline AVRational omni_av_time_base_q(void) { return AV_TIME_BASE_Q; }
static inline int omni_av_error_max_string_size(void) { return AV_ERROR_MAX_STRING_SIZE; }
