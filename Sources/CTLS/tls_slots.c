/* The TLS session slots (tls_slots.h). Their state (the mutex, the count, the ex_data indices)
   is defined here, once: as statics in the header CCurl's module imports, every Swift object
   file that used them had copies of its own, even in the release build (two mutexes guarded one
   slot's count and session: one where the loop thread took and offered sessions, another where
   Swift let go of the slot or cleared it). */
#include "tls_slots.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t hw_tls_slot_mutex = PTHREAD_MUTEX_INITIALIZER;
static long hw_tls_slots_alive_count = 0;
long hw_tls_slots_alive(void) {
    pthread_mutex_lock(&hw_tls_slot_mutex);
    long alive = hw_tls_slots_alive_count;
    pthread_mutex_unlock(&hw_tls_slot_mutex);
    return alive;
}
hw_tls_slot *hw_tls_slot_new(int compact) {
    hw_tls_slot *slot = calloc(1, sizeof(hw_tls_slot));
    if (!slot) return NULL;
    slot->references = 1;
    slot->compact = compact;
    pthread_mutex_lock(&hw_tls_slot_mutex);
    hw_tls_slots_alive_count += 1;
    pthread_mutex_unlock(&hw_tls_slot_mutex);
    return slot;
}
void hw_tls_slot_retain(hw_tls_slot *slot) {
    pthread_mutex_lock(&hw_tls_slot_mutex);
    slot->references += 1;
    pthread_mutex_unlock(&hw_tls_slot_mutex);
}
void hw_tls_slot_release(hw_tls_slot *slot) {
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
void hw_tls_slot_clear(hw_tls_slot *slot) { hw_tls_slot_put(slot, NULL); }
int hw_tls_slot_holds_session(hw_tls_slot *slot) {
    pthread_mutex_lock(&hw_tls_slot_mutex);
    int holds = slot->session != NULL || slot->bytes != NULL;
    pthread_mutex_unlock(&hw_tls_slot_mutex);
    return holds;
}
static hw_tls_slot *hw_tls_slot_of(const SSL *ssl) {
    int index = hw_tls_slot_index();
    return index < 0 ? NULL : SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), index);
}
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
    /* A connection waiting for its peer lets go of its record buffers (about 17 KB to read, as
       much to write) and takes them again for the next record: a hung server's handshake waits
       until the check's timeout, a kept connection a whole interval. */
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    hw_tls_handshake *handshake = userptr;
    if (!handshake) return CURLE_OK;
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
/* Any TLS connection of the transfer lets go of its record buffers while it waits. */
void hw_easy_release_tls_buffers(CURL *h) {
    curl_easy_setopt(h, CURLOPT_SSL_CTX_FUNCTION, hw_tls_ctx_setup);
    curl_easy_setopt(h, CURLOPT_SSL_CTX_DATA, NULL);
}
/* The transfer offers the session of `handshake->slot` and keeps the ones its server issues
   there; `handshake` must live as long as the transfer. */
void hw_easy_use_tls_slot(CURL *h, hw_tls_handshake *handshake) {
    curl_easy_setopt(h, CURLOPT_SSL_SESSIONID_CACHE, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_CTX_FUNCTION, hw_tls_ctx_setup);
    curl_easy_setopt(h, CURLOPT_SSL_CTX_DATA, (void *)handshake);
}
