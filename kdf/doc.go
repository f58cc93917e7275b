// Package kdf implements, byte for byte, the key derivation functions Windows CNG applies to a
// secret agreement (BCryptDeriveKey / NCryptDeriveKey), so that the minidriver's CardDeriveKey
// can turn the ECDH shared secret the card computed into exactly the key the Smart Card KSP's
// caller would get from a software key:
//
//   - "HASH" (BCRYPT_KDF_HASH): Hash(prepend || Z || append), SHA1 by default.
//   - "HMAC" (BCRYPT_KDF_HMAC): HMAC-Hash(key, prepend || Z || append), key = KDF_HMAC_KEY or,
//     with KDF_USE_SECRET_AS_HMAC_KEY_FLAG (dwFlags), Z.
//   - "TLS_PRF" (BCRYPT_KDF_TLS_PRF): the 48-byte TLS master secret; the TLS 1.0/1.1 MD5/SHA-1
//     PRF by default, the TLS 1.2 P_SHA256 / P_SHA384 with KDF_TLS_PRF_PROTOCOL = 0x0303.
//   - "SP800_56A_CONCAT" (BCRYPT_KDF_SP80056A_CONCAT): the SP 800-56A concatenation KDF, with the
//     hash matched to the curve (SHA256 / SHA384 / SHA512 for P-256 / P-384 / P-521).
//   - "TRUNCATE" (BCRYPT_KDF_RAW_SECRET): Z itself, little-endian.
//
// Z is the big-endian x coordinate (at full field length), which every KDF but TRUNCATE hashes as
// is. Derive computes a key, Size only its length (CARD_BUFFER_SIZE_ONLY), both after the same
// validation of the parameter list. Errors wrap the sentinels ErrUnknownKDF, ErrBadFlags,
// ErrBadParam, ErrMissingParam, ErrUnsupportedHash, ErrUnsupported, ErrBadLength and ErrBadSecret;
// the engine answers them with SCARD_E_INVALID_PARAMETER.
//
// README.md in this directory lists each Windows behaviour this package reproduces with its
// source, the known-answer tests that pin it, and the decisions taken where no source settles it
// (marked UNSURE).
package kdf
