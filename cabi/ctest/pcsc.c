//go:build ignore

/* The go:build line keeps the go tool from compiling this file into package ctest (a directory
 * with C files is otherwise a cgo package): ctest_test.go compiles the host with gcc. */
/* pcsc.c: pcsc-lite behind pcsc.h (the only file of the host that includes pcsc-lite). */
#include <PCSC/winscard.h>

#include "pcsc.h"

uint32_t pc_establish(uintptr_t *ctx) {
	SCARDCONTEXT c = 0;
	LONG rc = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &c);
	*ctx = (uintptr_t)c;
	return (uint32_t)rc;
}

uint32_t pc_connect(uintptr_t ctx, const char *reader, uintptr_t *card, uint8_t *atr, size_t *atr_len) {
	SCARDHANDLE h = 0;
	DWORD proto = 0;
	LONG rc = SCardConnect((SCARDCONTEXT)ctx, reader, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &h, &proto);
	if (rc != SCARD_S_SUCCESS) {
		*card = 0;
		*atr_len = 0;
		return (uint32_t)rc;
	}
	*card = (uintptr_t)h;
	char name[256];
	DWORD name_len = sizeof name, state = 0, n = (DWORD)*atr_len;
	rc = SCardStatus(h, name, &name_len, &state, &proto, atr, &n);
	*atr_len = rc == SCARD_S_SUCCESS ? (size_t)n : 0;
	return (uint32_t)rc;
}

uint32_t pc_begin(uintptr_t card) {
	LONG rc = SCardBeginTransaction((SCARDHANDLE)card);
	if (rc == SCARD_W_RESET_CARD) {
		DWORD proto = 0;
		rc = SCardReconnect((SCARDHANDLE)card, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, SCARD_LEAVE_CARD, &proto);
		if (rc == SCARD_S_SUCCESS)
			rc = SCardBeginTransaction((SCARDHANDLE)card);
	}
	return (uint32_t)rc;
}

uint32_t pc_end(uintptr_t card) { return (uint32_t)SCardEndTransaction((SCARDHANDLE)card, SCARD_LEAVE_CARD); }

uint32_t pc_disconnect(uintptr_t card) { return (uint32_t)SCardDisconnect((SCARDHANDLE)card, SCARD_LEAVE_CARD); }

uint32_t pc_release(uintptr_t ctx) { return (uint32_t)SCardReleaseContext((SCARDCONTEXT)ctx); }

const char *pc_strerror(uint32_t rc) { return pcsc_stringify_error((LONG)rc); }
