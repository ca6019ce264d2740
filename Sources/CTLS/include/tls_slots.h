#ifndef HOSTWATCH_TLS_SLOTS_H
#define HOSTWATCH_TLS_SLOTS_H

/* TLS sessions kept per site, outside libcurl's cache (issue 16): libcurl 7.88 never resumed a
   STARTTLS session (every SMTP check was a full handshake), and its share handle keeps eight
   sessions. A slot holds one site's latest session: a transfer offers it as the handshake
   starts and keeps the sessions its server issues. CURLOPT_SSL_SESSIONID_CACHE is 0, so
   libcurl's own cache stays out of it. Callbacks run on the loop thread; the mutex covers a
   slot cleared from elsewhere. */
#include <curl/curl.h>
#include <openssl/ssl.h>

/* A slot is counted: its owner (CertificateMemory) holds one reference, and each TLS context
   that points at it another, let go when OpenSSL frees the context (a kept connection may
   outlive the owner: a reload builds new checks).
   A compact slot keeps its session as DER bytes (about 1.3 KB with the certificate) instead of
   OpenSSL's parsed session (about 4 KB: the certificate and its public key parsed, the
   verification's caches): at 10,000 sites 37 MiB less RSS, for about 0.3 ms of CPU to parse it
   again at each offer (OpenSSL 3.0 decodes the public key anew). */
typedef struct hw_tls_slot {
    SSL_SESSION *session;
    unsigned char *bytes;
    long length;
    int compact;
    long references;
} hw_tls_slot;

/* One transfer's handshake: its site's slot, and what the handshake did with the slot's
   session. The TLS context points at it only until the handshake is done (a kept connection
   outlives its first transfer); the slot stays, counted by the context. */
typedef struct hw_tls_handshake { hw_tls_slot *slot; int offered; int done; int resumed; } hw_tls_handshake;

/* Slots alive in the process (tests). */
long hw_tls_slots_alive(void);
/* A new slot with one reference (compact: its session kept as bytes), or NULL. */
hw_tls_slot *hw_tls_slot_new(int compact);
void hw_tls_slot_retain(hw_tls_slot *slot);
/* Lets go of a reference; the last frees the slot and its session. */
void hw_tls_slot_release(hw_tls_slot *slot);
/* Forgets the slot's session. */
void hw_tls_slot_clear(hw_tls_slot *slot);
int hw_tls_slot_holds_session(hw_tls_slot *slot);
/* The transfer's TLS connection, if it makes one, lets go of its record buffers while it
   waits (hw_easy_use_tls_slot's callback does too). */
void hw_easy_release_tls_buffers(CURL *h);
/* The transfer offers the session of `handshake->slot` and keeps the ones its server issues
   there; `handshake` must live as long as the transfer. */
void hw_easy_use_tls_slot(CURL *h, hw_tls_handshake *handshake);

#endif
