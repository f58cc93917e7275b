// Package spec is the vocabulary of the Windows Smart Card Minidriver specification (cardmod.h,
// CARD_DATA version 7) as Go types: status codes, versions, flags, key specs, PIN roles and sets,
// access conditions, well-known file and property names, ALG_IDs and blob magics. It also holds the
// binary formats that cross the minidriver interface as plain bytes: the on-card files cardcf and
// cmapfile, the fixed-size structures that CardGetProperty copies into the caller's buffer, the
// CryptoAPI and CNG key blobs, and the UTF-16 and ANSI multi-strings.
//
// Every value follows the project's minidriver reference (minidriver-spec.md, sections 1-3, which
// transcribe the SDK cardmod.h). Where that document marks an item UNSURE, the decision taken here
// is stated in the doc comment of the identifier concerned.
//
// Pointer-based structures (CARD_DATA, CARD_SIGNING_INFO, NCryptBufferDesc, ...) are not modelled
// here: the C ABI layer owns them.
package spec
