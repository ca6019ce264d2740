// Typed wrappers around libcurl's variadic calls, which Swift cannot call directly.
#ifndef HOSTWATCH_CCURL_SHIM_H
#define HOSTWATCH_CCURL_SHIM_H

#include <curl/curl.h>

typedef size_t (*hw_data_callback)(char *ptr, size_t size, size_t nmemb, void *userdata);
typedef int (*hw_debug_callback)(CURL *handle, curl_infotype type, char *data, size_t size, void *userdata);

static inline CURLcode hw_easy_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode hw_easy_setopt_string(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode hw_easy_setopt_pointer(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode hw_easy_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode hw_easy_setopt_offset(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode hw_easy_setopt_data_callback(CURL *h, CURLoption o, hw_data_callback v) { return curl_easy_setopt(h, o, v); }
/* Sends `size` bytes of `data` as the request body; libcurl copies them (CURLOPT_COPYPOSTFIELDS). */
static inline CURLcode hw_easy_setopt_copy_body(CURL *h, const char *data, curl_off_t size) {
    CURLcode code = curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, size);
    return code != CURLE_OK ? code : curl_easy_setopt(h, CURLOPT_COPYPOSTFIELDS, data);
}
static inline CURLcode hw_easy_setopt_debug_callback(CURL *h, hw_debug_callback v) { return curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, v); }

static inline CURLcode hw_easy_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode hw_easy_getinfo_offset(CURL *h, CURLINFO i, curl_off_t *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode hw_easy_getinfo_string(CURL *h, CURLINFO i, char **v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode hw_easy_getinfo_pointer(CURL *h, CURLINFO i, void **v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode hw_easy_getinfo_socket(CURL *h, curl_socket_t *v) { return curl_easy_getinfo(h, CURLINFO_ACTIVESOCKET, v); }
static inline CURLcode hw_easy_getinfo_certinfo(CURL *h, struct curl_certinfo **v) { return curl_easy_getinfo(h, CURLINFO_CERTINFO, v); }

/* A share handle for TLS sessions, locked by one mutex: the loop thread resumes and stores
   sessions, and an easy handle may be cleaned up on another thread. */
#include <pthread.h>
static pthread_mutex_t hw_share_mutex = PTHREAD_MUTEX_INITIALIZER;
static void hw_share_lock(CURL *h, curl_lock_data d, curl_lock_access a, void *u) { (void)h; (void)d; (void)a; (void)u; pthread_mutex_lock(&hw_share_mutex); }
static void hw_share_unlock(CURL *h, curl_lock_data d, void *u) { (void)h; (void)d; (void)u; pthread_mutex_unlock(&hw_share_mutex); }
static inline CURLSH *hw_share_tls_sessions(void) {
    CURLSH *share = curl_share_init();
    if (!share) return NULL;
    curl_share_setopt(share, CURLSHOPT_LOCKFUNC, hw_share_lock);
    curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, hw_share_unlock);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    return share;
}

static inline CURLMcode hw_multi_setopt_long(CURLM *m, CURLMoption o, long v) { return curl_multi_setopt(m, o, v); }

#endif
