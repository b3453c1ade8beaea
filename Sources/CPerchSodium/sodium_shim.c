#include "perch_sodium.h"
#include <sodium.h>

int perch_crypto_init(void) { return sodium_init() < 0 ? -1 : 0; }

int perch_ed25519_keypair_from_seed(unsigned char *public_key, unsigned char *secret_key,
                                    const unsigned char *seed) {
    return crypto_sign_ed25519_seed_keypair(public_key, secret_key, seed);
}

int perch_ed25519_sign(unsigned char *signature, const unsigned char *message, size_t length,
                       const unsigned char *secret_key) {
    return crypto_sign_ed25519_detached(signature, NULL, message, length, secret_key);
}

int perch_ed25519_verify(const unsigned char *signature, const unsigned char *message,
                         size_t length, const unsigned char *public_key) {
    return crypto_sign_ed25519_verify_detached(signature, message, length, public_key) == 0 ? 0 : -1;
}

void perch_crypto_random(unsigned char *buffer, size_t length) { randombytes_buf(buffer, length); }
