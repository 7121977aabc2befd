// libcurl for Swift: curl_easy_setopt and curl_easy_getinfo are variadic, so each argument type gets a wrapper.
#ifndef CLIPLINE_CCURL_SHIM_H
#define CLIPLINE_CCURL_SHIM_H
#include <curl/curl.h>

#include "curl_weak.h"

static inline CURLcode clipline_curl_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode clipline_curl_setopt_int64(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode clipline_curl_setopt_string(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode clipline_curl_setopt_pointer(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode clipline_curl_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(h, o, v); }
typedef size_t (*clipline_curl_data_callback)(char *, size_t, size_t, void *);
static inline CURLcode clipline_curl_setopt_data_callback(CURL *h, CURLoption o, clipline_curl_data_callback v) {
  return curl_easy_setopt(h, o, v);
}
typedef int (*clipline_curl_xferinfo_callback)(void *, curl_off_t, curl_off_t, curl_off_t, curl_off_t);
static inline CURLcode clipline_curl_setopt_xferinfo_callback(CURL *h, clipline_curl_xferinfo_callback v) {
  return curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, v);
}
typedef int (*clipline_curl_seek_callback)(void *, curl_off_t, int);
static inline CURLcode clipline_curl_setopt_seek_callback(CURL *h, clipline_curl_seek_callback v) {
  return curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, v);
}
static inline CURLcode clipline_curl_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode clipline_curl_getinfo_int64(CURL *h, CURLINFO i, curl_off_t *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode clipline_curl_getinfo_double(CURL *h, CURLINFO i, double *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode clipline_curl_getinfo_string(CURL *h, CURLINFO i, char **v) { return curl_easy_getinfo(h, i, v); }
static inline CURLMcode clipline_curl_multi_setopt_long(CURLM *m, CURLMoption o, long v) { return curl_multi_setopt(m, o, v); }
#endif
