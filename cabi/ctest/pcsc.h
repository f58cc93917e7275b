/* pcsc.h: the few PC/SC calls the native test host makes, behind plain integer types.
 *
 * cardmod.h (Windows types: DWORD = uint32_t, SCARDHANDLE = uintptr_t) and pcsc-lite's
 * <PCSC/winscard.h> (DWORD = unsigned long, SCARDHANDLE = long) cannot share a translation
 * unit; cardmod.h stops with #error if pcsc-lite's wintypes.h came first. So pcsc.c is the only
 * file that includes pcsc-lite, and this header includes neither: handles travel as uintptr_t,
 * return codes as uint32_t (the PC/SC codes are 32-bit values such as 0x80100068). */
#ifndef CTEST_PCSC_H
#define CTEST_PCSC_H

#include <stddef.h>
#include <stdint.h>

/* SCardEstablishContext(SCARD_SCOPE_SYSTEM). */
uint32_t pc_establish(uintptr_t *ctx);

/* SCardConnect(reader, SCARD_SHARE_SHARED, T0|T1) and SCardStatus for the ATR; *atr_len is the
 * capacity of atr on entry, the ATR length on return. */
uint32_t pc_connect(uintptr_t ctx, const char *reader, uintptr_t *card, uint8_t *atr, size_t *atr_len);

/* SCardBeginTransaction; on SCARD_W_RESET_CARD (another client reset the card) the handle is
 * reconnected with SCARD_LEAVE_CARD and the transaction retried, as the Base CSP does. */
uint32_t pc_begin(uintptr_t card);

/* SCardEndTransaction(SCARD_LEAVE_CARD). */
uint32_t pc_end(uintptr_t card);

/* SCardDisconnect(SCARD_LEAVE_CARD) and SCardReleaseContext. */
uint32_t pc_disconnect(uintptr_t card);
uint32_t pc_release(uintptr_t ctx);

/* pcsc_stringify_error. */
const char *pc_strerror(uint32_t rc);

#endif
