#include "perch_sodium.h"

#include <dlfcn.h>

// libsodium is loaded with dlopen at the first use, not linked: only the supervisor's
// signature checks and `perch keygen`/`push` need it, so `perch run` never maps it (it
// cost every run ~0.1 MB of RSS and its load). The functions are declared here so that
// building needs no sodium.h; when the header is there they are checked against it.
typedef int (*init_fn)(void);
typedef int (*seed_keypair_fn)(unsigned char *, unsigned char *, const unsigned char *);
typedef int (*sign_detached_fn)(unsigned char *, unsigned long long *, const unsigned char *,
                                unsigned long long, const unsigned char *);
typedef int (*verify_detached_fn)(const unsigned char *, const unsigned char *, unsigned long long,
                                  const unsigned char *);
typedef void (*random_fn)(void *const, const size_t);

#if __has_include(<sodium.h>)
#include <sodium.h>
_Static_assert(__builtin_types_compatible_p(__typeof__(&sodium_init), init_fn), "libsodium ABI");
_Static_assert(__builtin_types_compatible_p(__typeof__(&crypto_sign_ed25519_seed_keypair), seed_keypair_fn),
               "libsodium ABI");
_Static_assert(__builtin_types_compatible_p(__typeof__(&crypto_sign_ed25519_detached), sign_detached_fn),
               "libsodium ABI");
_Static_assert(__builtin_types_compatible_p(__typeof__(&crypto_sign_ed25519_verify_detached), verify_detached_fn),
               "libsodium ABI");
_Static_assert(__builtin_types_compatible_p(__typeof__(&randombytes_buf), random_fn), "libsodium ABI");
_Static_assert(crypto_sign_ed25519_PUBLICKEYBYTES == PERCH_ED25519_PUBLIC_KEY, "libsodium ABI");
_Static_assert(crypto_sign_ed25519_SECRETKEYBYTES == PERCH_ED25519_SECRET_KEY, "libsodium ABI");
_Static_assert(crypto_sign_ed25519_BYTES == PERCH_ED25519_SIGNATURE, "libsodium ABI");
#endif

static struct {
    int state;  // 0 not tried, 1 loaded and initialised, -1 failed
    seed_keypair_fn seed_keypair;
    sign_detached_fn sign_detached;
    verify_detached_fn verify_detached;
    random_fn random;
} sodium;

#define LOAD(field, symbol)                                      \
    do {                                                         \
        *(void **)&sodium.field = dlsym(library, symbol);        \
        if (!sodium.field) { sodium.state = -1; return -1; }     \
    } while (0)

int perch_crypto_init(void) {
    if (sodium.state != 0) return sodium.state == 1 ? 0 : -1;
    // Debian 12's libsodium23 (Raspberry Pi OS bookworm the same).
    void *library = dlopen("libsodium.so.23", RTLD_NOW | RTLD_LOCAL);
    if (!library) { sodium.state = -1; return -1; }
    init_fn init;
    *(void **)&init = dlsym(library, "sodium_init");
    if (!init || init() < 0) { sodium.state = -1; return -1; }
    LOAD(seed_keypair, "crypto_sign_ed25519_seed_keypair");
    LOAD(sign_detached, "crypto_sign_ed25519_detached");
    LOAD(verify_detached, "crypto_sign_ed25519_verify_detached");
    LOAD(random, "randombytes_buf");
    sodium.state = 1;
    return 0;
}

int perch_ed25519_keypair_from_seed(unsigned char *public_key, unsigned char *secret_key,
                                    const unsigned char *seed) {
    if (perch_crypto_init() < 0) return -1;
    return sodium.seed_keypair(public_key, secret_key, seed);
}

int perch_ed25519_sign(unsigned char *signature, const unsigned char *message, size_t length,
                       const unsigned char *secret_key) {
    if (perch_crypto_init() < 0) return -1;
    return sodium.sign_detached(signature, NULL, message, length, secret_key);
}

int perch_ed25519_verify(const unsigned char *signature, const unsigned char *message,
                         size_t length, const unsigned char *public_key) {
    if (perch_crypto_init() < 0) return -1;
    return sodium.verify_detached(signature, message, length, public_key) == 0 ? 0 : -1;
}

int perch_crypto_random(unsigned char *buffer, size_t length) {
    if (perch_crypto_init() < 0) return -1;
    sodium.random(buffer, length);
    return 0;
}
