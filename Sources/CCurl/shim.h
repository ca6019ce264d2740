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

/* TLS sessions kept per site, outside libcurl's cache (issue 16): libcurl 7.88 never resumed a
   STARTTLS session (every SMTP check was a full handshake), and its share handle keeps eight
   sessions. A slot holds one site's latest session: a transfer offers it as the handshake
   starts and keeps the sessions its server issues. CURLOPT_SSL_SESSIONID_CACHE is 0, so
   libcurl's own cache stays out of it. Callbacks run on the loop thread; the mutex covers a
   slot cleared from elsewhere. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/ssl.h>
/* A slot is counted: its owner (CertificateMemory) holds one reference, and each TLS context
   that points at it another, let go when OpenSSL frees the context (a kept connection may
   outlive the owner: a reload builds new checks).
   A compact slot keeps its session as DER bytes (about 1.3 KB with the certificate) instead of
   OpenSSL's parsed session (about 4 KB: the certificate and its public key parsed, the
   verification's caches): at 10,000 sites, 28 MB less, for ~0.4 ms of CPU to parse it again
   at each offer (OpenSSL 3.0 decodes the public key anew). */
typedef struct hw_tls_slot {
    SSL_SESSION *session;
    unsigned char *bytes;
    long length;
    int compact;
    long references;
} hw_tls_slot;
static pthread_mutex_t hw_tls_slot_mutex = PTHREAD_MUTEX_INITIALIZER;
static long hw_tls_slots_alive_count = 0;
static inline long hw_tls_slots_alive(void) {
    pthread_mutex_lock(&hw_tls_slot_mutex);
    long alive = hw_tls_slots_alive_count;
    pthread_mutex_unlock(&hw_tls_slot_mutex);
    return alive;
}
static inline hw_tls_slot *hw_tls_slot_new(int compact) {
    hw_tls_slot *slot = calloc(1, sizeof(hw_tls_slot));
    if (!slot) return NULL;
    slot->references = 1;
    slot->compact = compact;
    pthread_mutex_lock(&hw_tls_slot_mutex);
    hw_tls_slots_alive_count += 1;
    pthread_mutex_unlock(&hw_tls_slot_mutex);
    return slot;
}
static void hw_tls_slot_retain(hw_tls_slot *slot) {
    pthread_mutex_lock(&hw_tls_slot_mutex);
    slot->references += 1;
    pthread_mutex_unlock(&hw_tls_slot_mutex);
}
static inline void hw_tls_slot_release(hw_tls_slot *slot) {
    pthread_mutex_lock(&hw_tls_slot_mutex);
    long left = --slot->references;
    if (left == 0) hw_tls_slots_alive_count -= 1;
    pthread_mutex_unlock(&hw_tls_slot_mutex);
    if (left > 0) return;
    if (slot->session) SSL_SESSION_free(slot->session);
    free(slot->bytes);
    free(slot);
}
static void hw_tls_slot_context_freed(void *parent, void *pointer, CRYPTO_EX_DATA *data, int index, long argl, void *argp) {
    (void)parent; (void)data; (void)index; (void)argl; (void)argp;
    if (pointer) hw_tls_slot_release(pointer);
}
static pthread_once_t hw_tls_slot_once = PTHREAD_ONCE_INIT;
static int hw_tls_slot_index_value = -1;
static void hw_tls_slot_make_index(void) { hw_tls_slot_index_value = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, hw_tls_slot_context_freed); }
static int hw_tls_slot_index(void) { pthread_once(&hw_tls_slot_once, hw_tls_slot_make_index); return hw_tls_slot_index_value; }
/* Puts `session` (a reference the caller gives up, or NULL) in the slot; a compact slot keeps
   its bytes and lets the session go (a session that cannot be encoded leaves the slot empty). */
static void hw_tls_slot_put(hw_tls_slot *slot, SSL_SESSION *session) {
    unsigned char *bytes = NULL;
    long length = 0;
    if (session && slot->compact) {
        int size = i2d_SSL_SESSION(session, NULL);
        unsigned char *end = size > 0 ? (bytes = malloc((size_t)size)) : NULL;
        if (end && i2d_SSL_SESSION(session, &end) == size) {
            length = size;
        } else {
            free(bytes);
            bytes = NULL;
        }
        SSL_SESSION_free(session);
        session = NULL;
    }
    pthread_mutex_lock(&hw_tls_slot_mutex);
    SSL_SESSION *old = slot->session;
    unsigned char *oldBytes = slot->bytes;
    slot->session = session;
    slot->bytes = bytes;
    slot->length = length;
    pthread_mutex_unlock(&hw_tls_slot_mutex);
    if (old) SSL_SESSION_free(old);
    free(oldBytes);
}
static inline void hw_tls_slot_clear(hw_tls_slot *slot) { hw_tls_slot_put(slot, NULL); }
static inline int hw_tls_slot_holds_session(hw_tls_slot *slot) {
    pthread_mutex_lock(&hw_tls_slot_mutex);
    int holds = slot->session != NULL || slot->bytes != NULL;
    pthread_mutex_unlock(&hw_tls_slot_mutex);
    return holds;
}
static hw_tls_slot *hw_tls_slot_of(const SSL *ssl) {
    int index = hw_tls_slot_index();
    return index < 0 ? NULL : SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), index);
}
/* One transfer's handshake: its site's slot, and what the handshake did with the slot's
   session. The TLS context points at it only until the handshake is done (a kept connection
   outlives its first transfer); the slot stays, counted by the context. */
typedef struct hw_tls_handshake { hw_tls_slot *slot; int offered; int done; int resumed; } hw_tls_handshake;
static pthread_once_t hw_tls_handshake_once = PTHREAD_ONCE_INIT;
static int hw_tls_handshake_index_value = -1;
static void hw_tls_handshake_make_index(void) { hw_tls_handshake_index_value = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL); }
static int hw_tls_handshake_index(void) { pthread_once(&hw_tls_handshake_once, hw_tls_handshake_make_index); return hw_tls_handshake_index_value; }
/* A session the server issued (TLS 1.3: each ticket): the slot keeps OpenSSL's reference. */
static int hw_tls_slot_take(SSL *ssl, SSL_SESSION *session) {
    hw_tls_slot *slot = hw_tls_slot_of(ssl);
    if (!slot || !SSL_SESSION_is_resumable(session)) return 0;
    hw_tls_slot_put(slot, session);
    return 1;
}
/* A copy of the slot's session to offer, or NULL. A copy: OpenSSL marks the session a TLS 1.3
   handshake resumed as used up (tickets are meant for one use), and a server that issues no new
   ticket on resumption (postfix) would then have every other check make a full handshake. */
static SSL_SESSION *hw_tls_slot_copy(hw_tls_slot *slot) {
    pthread_mutex_lock(&hw_tls_slot_mutex);
    SSL_SESSION *session = slot->session;
    if (session) SSL_SESSION_up_ref(session);
    /* A compact slot's bytes are copied under the lock (they may be replaced meanwhile) and
       decoded outside it: a new session each time. */
    unsigned char *bytes = slot->bytes ? malloc((size_t)slot->length) : NULL;
    long length = bytes ? slot->length : 0;
    if (bytes) memcpy(bytes, slot->bytes, (size_t)length);
    pthread_mutex_unlock(&hw_tls_slot_mutex);
    if (bytes) {
        const unsigned char *start = bytes;
        SSL_SESSION *decoded = d2i_SSL_SESSION(NULL, &start, length);
        free(bytes);
        return decoded;
    }
    if (!session) return NULL;
    SSL_SESSION *copy = SSL_SESSION_dup(session);
    SSL_SESSION_free(session);
    return copy;
}
/* As the handshake starts (after libcurl made the SSL and before the ClientHello): offer the
   slot's session. When it is done: note whether the server resumed it. */
static void hw_tls_handshake_event(const SSL *ssl, int where, int ret) {
    (void)ret;
    if (!(where & (SSL_CB_HANDSHAKE_START | SSL_CB_HANDSHAKE_DONE))) return;
    int index = hw_tls_handshake_index();
    SSL_CTX *ctx = SSL_get_SSL_CTX(ssl);
    hw_tls_handshake *handshake = index < 0 ? NULL : SSL_CTX_get_ex_data(ctx, index);
    if (!handshake) return;
    if (where & SSL_CB_HANDSHAKE_DONE) {
        handshake->done = 1;
        handshake->resumed = SSL_session_reused(ssl);
        SSL_CTX_set_ex_data(ctx, index, NULL);
        return;
    }
    if (!SSL_in_before(ssl) || SSL_get_session(ssl) != NULL) return;
    SSL_SESSION *copy = hw_tls_slot_copy(handshake->slot);
    if (!copy) return;
    handshake->offered = SSL_set_session((SSL *)ssl, copy);
    SSL_SESSION_free(copy);
}
static CURLcode hw_tls_ctx_setup(CURL *h, void *ctx, void *userptr) {
    (void)h;
    hw_tls_handshake *handshake = userptr;
    int slots = hw_tls_slot_index(), handshakes = hw_tls_handshake_index();
    if (slots < 0 || handshakes < 0) return CURLE_OK;   /* no session kept */
    if (!SSL_CTX_set_ex_data(ctx, handshakes, handshake)) return CURLE_OK;
    if (!SSL_CTX_set_ex_data(ctx, slots, handshake->slot)) {
        SSL_CTX_set_ex_data(ctx, handshakes, NULL);
        return CURLE_OK;
    }
    hw_tls_slot_retain(handshake->slot);   /* let go by hw_tls_slot_context_freed */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL);
    SSL_CTX_sess_set_new_cb(ctx, hw_tls_slot_take);
    SSL_CTX_set_info_callback(ctx, hw_tls_handshake_event);
    return CURLE_OK;
}
/* The transfer offers the session of `handshake->slot` and keeps the ones its server issues
   there; `handshake` must live as long as the transfer. */
static inline void hw_easy_use_tls_slot(CURL *h, hw_tls_handshake *handshake) {
    curl_easy_setopt(h, CURLOPT_SSL_SESSIONID_CACHE, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_CTX_FUNCTION, hw_tls_ctx_setup);
    curl_easy_setopt(h, CURLOPT_SSL_CTX_DATA, (void *)handshake);
}

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
