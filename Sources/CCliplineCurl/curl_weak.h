// libcurl is not linked: CliplineHTTP opens it when a tool first makes an HTTP client (CurlLibrary.load, through
// SharedLibraries in CliplineSystem). Every libcurl function called is a weak reference, bound lazily at its first
// call; the link fails on a function missing here.
#pragma weak curl_easy_cleanup
#pragma weak curl_easy_getinfo
#pragma weak curl_easy_init
#pragma weak curl_easy_perform
#pragma weak curl_easy_reset
#pragma weak curl_easy_setopt
#pragma weak curl_easy_strerror
#pragma weak curl_global_init
#pragma weak curl_slist_append
#pragma weak curl_slist_free_all
#pragma weak curl_version
