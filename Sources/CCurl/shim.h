// Typed wrappers around libcurl's variadic calls, which Swift cannot call directly.
// The functions here are compiled into the Swift modules that call them, and SwiftPM does not
// see a change to this header: touch a Swift file of HostwatchIO after editing it, or the build
// keeps the old code.
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


static inline CURLMcode hw_multi_setopt_long(CURLM *m, CURLMoption o, long v) { return curl_multi_setopt(m, o, v); }

/* libcurl's socket interface (curl_multi_socket_action): libcurl says which sockets it waits on
   and when its next timeout is; the loop waits with epoll and tells it what happened. Work per
   wake-up then follows the sockets that are ready, not every transfer in flight. */
typedef int (*hw_socket_callback)(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp);
typedef int (*hw_timer_callback)(CURLM *multi, long timeout_ms, void *userp);
static inline CURLMcode hw_multi_use_sockets(CURLM *m, hw_socket_callback sockets, hw_timer_callback timer, void *userp) {
    CURLMcode code = curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, sockets);
    if (code == CURLM_OK) code = curl_multi_setopt(m, CURLMOPT_SOCKETDATA, userp);
    if (code == CURLM_OK) code = curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, timer);
    if (code == CURLM_OK) code = curl_multi_setopt(m, CURLMOPT_TIMERDATA, userp);
    return code;
}

/* epoll and eventfd, which Swift's Glibc module does not import; plain arguments, so Swift never
   sees the packed `struct epoll_event`. */
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <errno.h>
static inline int hw_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }
/* Waits on `fd` for reading (`in`) and/or writing (`out`): modifies the registration, or adds one. */
static inline int hw_epoll_watch(int ep, int fd, int in, int out) {
    struct epoll_event event = { 0 };
    event.events = (in ? EPOLLIN : 0) | (out ? EPOLLOUT : 0);
    event.data.fd = fd;
    if (epoll_ctl(ep, EPOLL_CTL_MOD, fd, &event) == 0) return 0;
    if (errno != ENOENT) return -1;
    return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &event);
}
static inline int hw_epoll_forget(int ep, int fd) {
    struct epoll_event event = { 0 };
    return epoll_ctl(ep, EPOLL_CTL_DEL, fd, &event);
}
enum { HW_READY_IN = 1, HW_READY_OUT = 2, HW_READY_ERR = 4 };
/* Up to `max` ready sockets into `fds`, with HW_READY_* bits in `ready`. */
static inline int hw_epoll_wait(int ep, int *fds, int *ready, int max, int timeout_ms) {
    struct epoll_event events[64];
    if (max > 64) max = 64;
    int count = epoll_wait(ep, events, max, timeout_ms);
    for (int i = 0; i < count; i++) {
        fds[i] = events[i].data.fd;
        uint32_t e = events[i].events;
        ready[i] = ((e & EPOLLIN) ? HW_READY_IN : 0) | ((e & EPOLLOUT) ? HW_READY_OUT : 0)
                 | ((e & (EPOLLERR | EPOLLHUP)) ? HW_READY_ERR : 0);
    }
    return count;
}
static inline int hw_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }
static inline void hw_eventfd_signal(int fd) { eventfd_t one = 1; (void)eventfd_write(fd, one); }
static inline void hw_eventfd_drain(int fd) { eventfd_t value; (void)eventfd_read(fd, &value); }

#endif
