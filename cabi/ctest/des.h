/* des.h: DES and two-key/three-key triple DES (FIPS 46-3, SP 800-67), one block, encryption
 * only: the host answers the PIV management key's challenge (CardGetChallengeEx(ROLE_ADMIN)) by
 * encrypting it with the card's 3DES management key, as the Base CSP's caller would. */
#ifndef CTEST_DES_H
#define CTEST_DES_H

#include <stdint.h>

/* des3_encrypt encrypts one 8-byte block with the 24-byte key K1||K2||K3 (EDE). */
void des3_encrypt(const uint8_t key[24], const uint8_t in[8], uint8_t out[8]);

/* des_encrypt encrypts one 8-byte block with an 8-byte DES key (parity bits ignored). */
void des_encrypt(const uint8_t key[8], const uint8_t in[8], uint8_t out[8]);

#endif
