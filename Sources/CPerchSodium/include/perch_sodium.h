// Ed25519 signatures through libsodium, behind four calls so the Swift side never imports
// sodium.h (and a board without libsodium can supply these from another implementation).
// libsodium.so.23 is loaded at the first call (dlopen), not linked: each call fails (-1)
// when it cannot be loaded.
#ifndef PERCH_SODIUM_H
#define PERCH_SODIUM_H
#include <stddef.h>

#define PERCH_ED25519_PUBLIC_KEY 32
#define PERCH_ED25519_SECRET_KEY 64
#define PERCH_ED25519_SEED 32
#define PERCH_ED25519_SIGNATURE 64

// 0 when the library is loaded and ready (safe to call more than once), -1 if it cannot be
// loaded or started.
int perch_crypto_init(void);
// Derives a keypair from a 32-byte seed; 0 on success.
int perch_ed25519_keypair_from_seed(unsigned char *public_key, unsigned char *secret_key,
                                    const unsigned char *seed);
// Detached signature over `message`; 0 on success.
int perch_ed25519_sign(unsigned char *signature, const unsigned char *message, size_t length,
                       const unsigned char *secret_key);
// 0 if `signature` is a valid signature of `message` by `public_key`, -1 otherwise.
int perch_ed25519_verify(const unsigned char *signature, const unsigned char *message,
                         size_t length, const unsigned char *public_key);
// Fills `buffer` from the system's CSPRNG; 0 on success.
int perch_crypto_random(unsigned char *buffer, size_t length);

#endif
