// libcrypto (OpenSSL 3, Debian's libssl-dev): SHA-256 for key hashes and the audit chain, HMAC-SHA-256
// for the audit checkpoints' signatures, and the CSPRNG for API keys. Only these calls are used.
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
