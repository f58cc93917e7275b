/* sha256.h: a small SHA-256 (FIPS 180-4) for the host, which hashes before CardSignData as the
 * Base CSP does. */
#ifndef CTEST_SHA256_H
#define CTEST_SHA256_H

#include <stddef.h>
#include <stdint.h>

void sha256(const void *data, size_t len, uint8_t out[32]);

#endif
