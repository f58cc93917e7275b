//go:build ignore

/* The go:build line keeps the go tool from compiling this file into package ctest (a directory
 * with C files is otherwise a cgo package): ctest_test.go compiles the host with gcc. */
/* host.c: a native C host for libcardmod.so, standing in for the Windows Base CSP.
 *
 * It loads the library with dlopen, connects to a reader through pcsc-lite (pcsc.c), fills
 * CARD_DATA as the Base CSP does (ATR from SCardStatus, card name, counting allocator, a real
 * small file cache, sentinel pad/unpad callbacks, a KSP-like DH agreement callback,
 * hSCardCtx/hScard) and drives the minidriver through its function table, each call inside
 * SCardBeginTransaction/SCardEndTransaction.
 *
 * Usage:
 *   host --lib PATH --reader NAME --in-dir DIR --out-dir DIR [--pin PIN] [--mgm-key HEX]
 *   host --bench [--iterations N] --lib PATH --reader NAME
 *
 * Test mode prints one "PASS name" or "FAIL name: why" line per check (several FAIL lines for a
 * check are possible; it counts once), "INFO ..." lines, and ends with "N passed, N failed";
 * the exit status is 0 only when nothing failed. Results the C side cannot verify (signatures,
 * decrypted plaintexts, certificates, public key blobs) are written to --out-dir for the Go test
 * (ctest_test.go), which also provides the ciphertexts in --in-dir.
 *
 * Bench mode prints "BENCH name value unit" lines (see README.md). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cardmod.h"
#include "des.h"
#include "pcsc.h"
#include "sha256.h"

/* ------------------------------------------------------------------------------------------ */
/* Reporting                                                                                   */
/* ------------------------------------------------------------------------------------------ */

static int n_pass, n_fail;
static const char *cur_test; /* the check that FAIL lines are attributed to */
static int cur_failed;

static void begin(const char *name) {
	cur_test = name;
	cur_failed = 0;
}

static void end(void) {
	if (cur_test != NULL && !cur_failed) {
		printf("PASS %s\n", cur_test);
		n_pass++;
	}
	cur_test = NULL;
	fflush(stdout);
}

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...) {
	va_list ap;
	printf("FAIL %s: ", cur_test != NULL ? cur_test : "host");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (cur_test == NULL)
		n_fail++; /* a failure outside any check counts on its own */
	else if (!cur_failed)
		n_fail++;
	cur_failed = 1;
}

static void info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void info(const char *fmt, ...) {
	va_list ap;
	printf("INFO ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static int expect(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int expect(int cond, const char *fmt, ...) {
	if (cond)
		return 1;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fail("%s", msg);
	return 0;
}

static const char *rc_name(DWORD rc) {
	switch (rc) {
	case 0: return "SCARD_S_SUCCESS";
	case ERROR_NOT_ENOUGH_MEMORY: return "ERROR_NOT_ENOUGH_MEMORY";
	case ERROR_INSUFFICIENT_BUFFER: return "ERROR_INSUFFICIENT_BUFFER";
	case ERROR_REVISION_MISMATCH: return "ERROR_REVISION_MISMATCH";
	case SCARD_F_INTERNAL_ERROR: return "SCARD_F_INTERNAL_ERROR";
	case SCARD_E_INVALID_HANDLE: return "SCARD_E_INVALID_HANDLE";
	case SCARD_E_INVALID_PARAMETER: return "SCARD_E_INVALID_PARAMETER";
	case SCARD_E_NO_MEMORY: return "SCARD_E_NO_MEMORY";
	case SCARD_E_INSUFFICIENT_BUFFER: return "SCARD_E_INSUFFICIENT_BUFFER";
	case SCARD_E_NO_SMARTCARD: return "SCARD_E_NO_SMARTCARD";
	case SCARD_E_UNKNOWN_CARD: return "SCARD_E_UNKNOWN_CARD";
	case SCARD_E_UNEXPECTED: return "SCARD_E_UNEXPECTED";
	case SCARD_E_UNSUPPORTED_FEATURE: return "SCARD_E_UNSUPPORTED_FEATURE";
	case SCARD_E_DIR_NOT_FOUND: return "SCARD_E_DIR_NOT_FOUND";
	case SCARD_E_FILE_NOT_FOUND: return "SCARD_E_FILE_NOT_FOUND";
	case SCARD_E_COMM_DATA_LOST: return "SCARD_E_COMM_DATA_LOST";
	case SCARD_E_NO_KEY_CONTAINER: return "SCARD_E_NO_KEY_CONTAINER";
	case SCARD_W_RESET_CARD: return "SCARD_W_RESET_CARD";
	case SCARD_W_REMOVED_CARD: return "SCARD_W_REMOVED_CARD";
	case SCARD_W_SECURITY_VIOLATION: return "SCARD_W_SECURITY_VIOLATION";
	case SCARD_W_WRONG_CHV: return "SCARD_W_WRONG_CHV";
	case SCARD_W_CHV_BLOCKED: return "SCARD_W_CHV_BLOCKED";
	default: return "?";
	}
}

/* expect_rc checks a return code; what names the call. */
static int expect_rc(DWORD got, DWORD want, const char *what) {
	if (got == want)
		return 1;
	fail("%s returned 0x%08" PRIX32 " (%s), want 0x%08" PRIX32 " (%s)", what, got, rc_name(got), want, rc_name(want));
	return 0;
}

/* expect_rc2 accepts either of two codes (where the specification allows both). */
static int expect_rc2(DWORD got, DWORD want1, DWORD want2, const char *what) {
	if (got == want1 || got == want2)
		return 1;
	fail("%s returned 0x%08" PRIX32 " (%s), want %s or %s", what, got, rc_name(got), rc_name(want1), rc_name(want2));
	return 0;
}

static double now_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* vm_rss_kb is VmRSS of /proc/self/status in kB (-1 if unreadable). */
static long vm_rss_kb(void) {
	FILE *f = fopen("/proc/self/status", "r");
	if (f == NULL)
		return -1;
	char line[256];
	long kb = -1;
	while (fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, "VmRSS:", 6) == 0) {
			kb = strtol(line + 6, NULL, 10);
			break;
		}
	}
	fclose(f);
	return kb;
}

/* ------------------------------------------------------------------------------------------ */
/* The caller's allocator: counts, and knows every live buffer                                  */
/* ------------------------------------------------------------------------------------------ */

#define MAX_LIVE 4096
static void *live[MAX_LIVE];
static size_t n_live;
static unsigned long allocs_made, allocs_freed, reallocs, foreign_frees;

static int is_ours(const void *p) {
	for (size_t i = 0; i < n_live; i++)
		if (live[i] == p)
			return 1;
	return 0;
}

static int forget(const void *p) {
	for (size_t i = 0; i < n_live; i++) {
		if (live[i] == p) {
			live[i] = live[--n_live];
			return 1;
		}
	}
	return 0;
}

static LPVOID WINAPI csp_alloc(SIZE_T n) {
	if (n_live == MAX_LIVE)
		return NULL;
	void *p = malloc(n > 0 ? n : 1);
	if (p == NULL)
		return NULL;
	live[n_live++] = p;
	allocs_made++;
	return p;
}

static LPVOID WINAPI csp_realloc(LPVOID p, SIZE_T n) {
	if (p == NULL)
		return csp_alloc(n);
	if (!is_ours(p)) {
		foreign_frees++;
		fail("pfnCspReAlloc called with %p, which pfnCspAlloc did not return", p);
		return NULL;
	}
	void *q = realloc(p, n > 0 ? n : 1);
	if (q == NULL)
		return NULL;
	forget(p);
	live[n_live++] = q;
	reallocs++;
	return q;
}

static void WINAPI csp_free(LPVOID p) {
	if (p == NULL)
		return;
	if (!forget(p)) {
		/* Memory the minidriver did not get from pfnCspAlloc (Go memory, a stale pointer, or a
		 * double free): report it and do not hand it to free(). */
		foreign_frees++;
		fail("pfnCspFree(%p): not a live pfnCspAlloc buffer", p);
		return;
	}
	free(p);
	allocs_freed++;
}

/* ------------------------------------------------------------------------------------------ */
/* The caller's file cache (the Base CSP's data cache, in miniature)                            */
/* ------------------------------------------------------------------------------------------ */

#define CACHE_SLOTS 32
#define CACHE_TAG_MAX 160
struct cache_entry {
	int used;
	WCHAR tag[CACHE_TAG_MAX];
	BYTE *data; /* host memory (malloc), not counted: the minidriver never sees it */
	DWORD len;
};
static struct cache_entry cache[CACHE_SLOTS];
static int cache_context; /* pvCacheContext points here */
static unsigned long cache_adds, cache_hits, cache_misses, cache_deletes;

/* tag_len is the length of a NUL-terminated tag, or -1 when it is missing or too long. */
static int tag_len(const WCHAR *t) {
	if (t == NULL)
		return -1;
	for (int i = 0; i < CACHE_TAG_MAX; i++)
		if (t[i] == 0)
			return i;
	return -1;
}

static struct cache_entry *cache_find(const WCHAR *t) {
	for (int i = 0; i < CACHE_SLOTS; i++)
		if (cache[i].used && memcmp(cache[i].tag, t, (size_t)(tag_len(t) + 1) * sizeof(WCHAR)) == 0)
			return &cache[i];
	return NULL;
}

static int cache_args_ok(const char *fn, PVOID ctx, LPWSTR tag, DWORD flags) {
	int ok = 1;
	if (ctx != &cache_context) {
		fail("%s: pvCacheContext %p, want %p", fn, ctx, (void *)&cache_context);
		ok = 0;
	}
	if (flags != 0) {
		fail("%s: dwFlags 0x%" PRIX32 ", reserved (must be 0)", fn, flags);
		ok = 0;
	}
	if (tag_len(tag) <= 0) {
		fail("%s: tag missing, empty or longer than %d units", fn, CACHE_TAG_MAX - 1);
		ok = 0;
	}
	return ok;
}

static DWORD WINAPI cache_add(PVOID ctx, LPWSTR tag, DWORD flags, PBYTE pb, DWORD cb) {
	if (!cache_args_ok("pfnCspCacheAddFile", ctx, tag, flags))
		return SCARD_E_INVALID_PARAMETER;
	if (pb == NULL && cb != 0) {
		fail("pfnCspCacheAddFile: NULL data of %" PRIu32 " bytes", cb);
		return SCARD_E_INVALID_PARAMETER;
	}
	struct cache_entry *e = cache_find(tag);
	if (e == NULL) {
		for (int i = 0; i < CACHE_SLOTS && e == NULL; i++)
			if (!cache[i].used)
				e = &cache[i];
		if (e == NULL)
			e = &cache[cache_adds % CACHE_SLOTS]; /* full: evict one */
	}
	BYTE *copy = malloc(cb > 0 ? cb : 1);
	if (copy == NULL)
		return SCARD_E_NO_MEMORY;
	if (cb > 0)
		memcpy(copy, pb, cb);
	free(e->data);
	e->used = 1;
	memcpy(e->tag, tag, (size_t)(tag_len(tag) + 1) * sizeof(WCHAR));
	e->data = copy;
	e->len = cb;
	cache_adds++;
	return 0;
}

static DWORD WINAPI cache_lookup(PVOID ctx, LPWSTR tag, DWORD flags, PBYTE *ppb, PDWORD pcb) {
	if (!cache_args_ok("pfnCspCacheLookupFile", ctx, tag, flags))
		return SCARD_E_INVALID_PARAMETER;
	if (ppb == NULL || pcb == NULL) {
		fail("pfnCspCacheLookupFile: NULL out pointer");
		return SCARD_E_INVALID_PARAMETER;
	}
	struct cache_entry *e = cache_find(tag);
	if (e == NULL) {
		cache_misses++;
		return SCARD_E_FILE_NOT_FOUND;
	}
	/* The copy comes from the caller's allocator: the minidriver frees it with pfnCspFree. */
	BYTE *copy = csp_alloc(e->len);
	if (copy == NULL)
		return SCARD_E_NO_MEMORY;
	if (e->len > 0)
		memcpy(copy, e->data, e->len);
	*ppb = copy;
	*pcb = e->len;
	cache_hits++;
	return 0;
}

static DWORD WINAPI cache_delete(PVOID ctx, LPWSTR tag, DWORD flags) {
	if (!cache_args_ok("pfnCspCacheDeleteFile", ctx, tag, flags))
		return SCARD_E_INVALID_PARAMETER;
	struct cache_entry *e = cache_find(tag);
	if (e == NULL)
		return SCARD_E_FILE_NOT_FOUND;
	free(e->data);
	memset(e, 0, sizeof *e);
	cache_deletes++;
	return 0;
}

static void cache_clear(void) {
	for (int i = 0; i < CACHE_SLOTS; i++) {
		free(cache[i].data);
		memset(&cache[i], 0, sizeof cache[i]);
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Sentinel callbacks: set to recognisable functions, so that the checks after every call can   */
/* tell whether the minidriver overwrote the caller-owned slots; cardmod never needs them.      */
/* ------------------------------------------------------------------------------------------ */

static unsigned long pad_calls, unpad_calls;

static DWORD WINAPI sentinel_pad(PCARD_SIGNING_INFO info, DWORD width, DWORD *pcb, PBYTE *ppb) {
	(void)info, (void)width, (void)pcb, (void)ppb;
	pad_calls++;
	return SCARD_E_UNSUPPORTED_FEATURE;
}

static DWORD WINAPI sentinel_unpad(PCARD_RSA_DECRYPT_INFO info, DWORD *pcb, PBYTE *ppb) {
	(void)info, (void)pcb, (void)ppb;
	unpad_calls++;
	return SCARD_E_UNSUPPORTED_FEATURE;
}

/* pfnCspGetDHAgreement, as the KSP implements it: it turns the NCRYPT_SECRET_HANDLE of a
 * secret agreement the KSP made with CardConstructDHAgreement into its agreement index. The
 * host has one such secret: the handle is the address of dh_secret, which names the agreement
 * dh_secret_index while dh_secret_live. Any other handle is not a card secret. */
static unsigned long dh_calls;
static BYTE dh_secret; /* its address is the handle */
static BYTE dh_secret_index;
static int dh_secret_live;
static PCARD_DATA dh_secret_cd; /* the context the agreement belongs to */

static DWORD WINAPI csp_get_dh(PCARD_DATA p, PVOID h, BYTE *idx, DWORD flags) {
	dh_calls++;
	if (p == NULL || idx == NULL || flags != 0) {
		fail("pfnCspGetDHAgreement(%p, %p, %p, 0x%" PRIX32 "): bad arguments", (void *)p, h, (void *)idx, flags);
		return SCARD_E_INVALID_PARAMETER;
	}
	if (!dh_secret_live || h != (PVOID)&dh_secret || p != dh_secret_cd)
		return SCARD_E_INVALID_PARAMETER;
	*idx = dh_secret_index;
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Card connection, CARD_DATA and the per-call checks                                           */
/* ------------------------------------------------------------------------------------------ */

static PFN_CARD_ACQUIRE_CONTEXT acquire_fn;
static uintptr_t pc_ctx, pc_card;
static BYTE atr[40];
static DWORD atr_len;
static WCHAR card_name[] = CARDMOD_WSTR("cardmod virtual PIV");
static int in_tx;
static unsigned long calls_made;

/* fill_card_data prepares a CARD_DATA as the Base CSP does before CardAcquireContext. */
static void fill_card_data(PCARD_DATA cd, DWORD version) {
	memset(cd, 0, sizeof *cd);
	cd->dwVersion = version;
	cd->pbAtr = atr;
	cd->cbAtr = atr_len;
	cd->pwszCardName = card_name;
	cd->pfnCspAlloc = csp_alloc;
	cd->pfnCspReAlloc = csp_realloc;
	cd->pfnCspFree = csp_free;
	cd->pfnCspCacheAddFile = cache_add;
	cd->pfnCspCacheLookupFile = cache_lookup;
	cd->pfnCspCacheDeleteFile = cache_delete;
	cd->pvCacheContext = &cache_context;
	cd->pfnCspPadData = sentinel_pad;
	cd->hSCardCtx = (SCARDCONTEXT)pc_ctx;
	cd->hScard = (SCARDHANDLE)pc_card;
	cd->pfnCspGetDHAgreement = csp_get_dh;
	cd->pfnCspUnpadData = sentinel_unpad;
}

/* Watched contexts: the CARD_DATA of every live context (size: how much of it the caller
 * allocated), with a copy taken right after CardAcquireContext. After every call, the caller's
 * fields, dwVersion and the function table must still be as they were (pvVendorSpecific is the
 * minidriver's). */
#define MAX_WATCH 4
static struct {
	PCARD_DATA cd;
	size_t size;
	unsigned char snap[sizeof(CARD_DATA)];
} watched[MAX_WATCH];

static void watch_sized(PCARD_DATA cd, size_t size) {
	for (int i = 0; i < MAX_WATCH; i++) {
		if (watched[i].cd == NULL || watched[i].cd == cd) {
			watched[i].cd = cd;
			watched[i].size = size;
			memcpy(watched[i].snap, cd, size);
			return;
		}
	}
	fail("too many watched contexts");
}

static void watch(PCARD_DATA cd) { watch_sized(cd, sizeof(CARD_DATA)); }

static void unwatch(PCARD_DATA cd) {
	for (int i = 0; i < MAX_WATCH; i++)
		if (watched[i].cd == cd)
			watched[i].cd = NULL;
}

static unsigned long invariant_violations;

/* The fields the caller sets and the minidriver must leave alone. */
static const struct {
	const char *name;
	size_t off, size;
} caller_fields[] = {
#define FIELD(f) {#f, offsetof(CARD_DATA, f), sizeof(((CARD_DATA *)0)->f)}
	FIELD(dwVersion), FIELD(pbAtr), FIELD(cbAtr), FIELD(pwszCardName), FIELD(pfnCspAlloc), FIELD(pfnCspReAlloc),
	FIELD(pfnCspFree), FIELD(pfnCspCacheAddFile), FIELD(pfnCspCacheLookupFile), FIELD(pfnCspCacheDeleteFile),
	FIELD(pvCacheContext), FIELD(pfnCspPadData), FIELD(hSCardCtx), FIELD(hScard), FIELD(pfnCspGetDHAgreement),
	FIELD(pfnCspUnpadData),
#undef FIELD
};

static void check_card_data(const char *what) {
	for (int i = 0; i < MAX_WATCH; i++) {
		const unsigned char *a = (const unsigned char *)watched[i].cd, *b = watched[i].snap;
		size_t size = watched[i].size;
		if (a == NULL)
			continue;
		for (size_t f = 0; f < sizeof caller_fields / sizeof caller_fields[0]; f++) {
			size_t off = caller_fields[f].off, n = caller_fields[f].size;
			if (off + n <= size && memcmp(a + off, b + off, n) != 0) {
				invariant_violations++;
				fail("after %s: CARD_DATA.%s changed (the minidriver must not write it)", what, caller_fields[f].name);
			}
		}
		/* The minidriver's own table, from pfnCardDeleteContext to the end, stays as filled. */
		for (size_t off = offsetof(CARD_DATA, pfnCardDeleteContext); off + sizeof(void *) <= size; off += sizeof(void *)) {
			if (memcmp(a + off, b + off, sizeof(void *)) != 0) {
				invariant_violations++;
				fail("after %s: the function table changed at offset %zu", what, off);
				break;
			}
		}
	}
}

static void tx_begin(void) {
	in_tx = 0;
	if (pc_card == 0)
		return;
	uint32_t rc = pc_begin(pc_card);
	if (rc != 0) {
		fail("SCardBeginTransaction: 0x%08" PRIX32 " (%s)", rc, pc_strerror(rc));
		return;
	}
	in_tx = 1;
}

static void tx_end(const char *what) {
	calls_made++;
	if (in_tx) {
		uint32_t rc = pc_end(pc_card);
		if (rc != 0)
			fail("SCardEndTransaction after %s: 0x%08" PRIX32 " (%s)", what, rc, pc_strerror(rc));
		in_tx = 0;
	}
	check_card_data(what);
}

/* MD runs one minidriver call the way the Base CSP does: inside a card transaction; then the
 * CARD_DATA checks. */
#define MD(call)                                                                                               \
	({                                                                                                         \
		tx_begin();                                                                                            \
		DWORD md_rc_ = (DWORD)(call);                                                                          \
		tx_end(#call);                                                                                         \
		md_rc_;                                                                                                \
	})

static DWORD get_prop(PCARD_DATA cd, LPCWSTR name, void *out, DWORD cb, DWORD *len, DWORD flags);

/* ------------------------------------------------------------------------------------------ */
/* Files in --in-dir / --out-dir                                                                */
/* ------------------------------------------------------------------------------------------ */

static const char *in_dir = ".", *out_dir = ".";

static int write_out(const char *name, const void *data, size_t len) {
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", out_dir, name);
	FILE *f = fopen(path, "wb");
	if (f == NULL) {
		fail("create %s: %s", path, strerror(errno));
		return 0;
	}
	size_t n = len > 0 ? fwrite(data, 1, len, f) : 0;
	int ok = fclose(f) == 0 && n == len;
	if (!ok)
		fail("write %s: %s", path, strerror(errno));
	return ok;
}

/* read_in reads a whole input file into buf; returns its length or -1. */
static long read_in(const char *name, void *buf, size_t cap) {
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", in_dir, name);
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		fail("open %s: %s", path, strerror(errno));
		return -1;
	}
	size_t n = fread(buf, 1, cap, f);
	int more = fgetc(f) != EOF;
	fclose(f);
	if (more) {
		fail("%s is larger than %zu bytes", path, cap);
		return -1;
	}
	return (long)n;
}

static uint32_t le32(const BYTE *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t le16(const BYTE *p) { return (uint16_t)(p[0] | p[1] << 8); }

/* multi_has reports whether a multi-string ("a\0b\0\0", n bytes) contains s. */
static int multi_has(const char *m, DWORD n, const char *s) {
	for (DWORD i = 0; i < n && m[i] != 0;) {
		size_t l = strnlen(m + i, n - i);
		if (strcmp(m + i, s) == 0)
			return 1;
		i += (DWORD)l + 1;
	}
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* The checks                                                                                  */
/* ------------------------------------------------------------------------------------------ */

static const char *pin = "123456";
static BYTE guid[16];
static void *lib;

static void t_sha256(void) {
	begin("sha256_selftest");
	static const BYTE want[32] = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
	                              0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
	BYTE d[32];
	sha256("abc", 3, d);
	expect(memcmp(d, want, 32) == 0, "SHA-256(\"abc\") wrong");
	end();
}

static void t_layout(void) {
	begin("card_data_layout");
#if UINTPTR_MAX == 0xFFFFFFFFFFFFFFFFu
	expect(sizeof(CARD_DATA) == 504, "sizeof(CARD_DATA) %zu, want 504", sizeof(CARD_DATA));
	expect(offsetof(CARD_DATA, pbAtr) == 8, "offsetof pbAtr %zu", offsetof(CARD_DATA, pbAtr));
	expect(offsetof(CARD_DATA, pfnCspPadData) == 88, "offsetof pfnCspPadData %zu", offsetof(CARD_DATA, pfnCspPadData));
	expect(offsetof(CARD_DATA, hScard) == 104, "offsetof hScard %zu", offsetof(CARD_DATA, hScard));
	expect(offsetof(CARD_DATA, pvVendorSpecific) == 112, "offsetof pvVendorSpecific %zu", offsetof(CARD_DATA, pvVendorSpecific));
	expect(offsetof(CARD_DATA, pfnCardDeleteContext) == 120, "offsetof pfnCardDeleteContext %zu", offsetof(CARD_DATA, pfnCardDeleteContext));
	expect(offsetof(CARD_DATA, pfnCspGetDHAgreement) == 344, "offsetof pfnCspGetDHAgreement %zu", offsetof(CARD_DATA, pfnCspGetDHAgreement));
	expect(offsetof(CARD_DATA, pfnCardGetProperty) == 400, "offsetof pfnCardGetProperty %zu", offsetof(CARD_DATA, pfnCardGetProperty));
	expect(offsetof(CARD_DATA, pfnCspUnpadData) == 416, "offsetof pfnCspUnpadData %zu", offsetof(CARD_DATA, pfnCspUnpadData));
	expect(offsetof(CARD_DATA, pfnCardCreateContainerEx) == 496, "offsetof pfnCardCreateContainerEx %zu", offsetof(CARD_DATA, pfnCardCreateContainerEx));
	expect(sizeof(CARD_SIGNING_INFO) == 72, "sizeof(CARD_SIGNING_INFO) %zu", sizeof(CARD_SIGNING_INFO));
	expect(sizeof(CARD_RSA_DECRYPT_INFO) == 48, "sizeof(CARD_RSA_DECRYPT_INFO) %zu", sizeof(CARD_RSA_DECRYPT_INFO));
	expect(sizeof(CONTAINER_INFO) == 40, "sizeof(CONTAINER_INFO) %zu", sizeof(CONTAINER_INFO));
#else
	info("card_data_layout: not a 64-bit build, offsets not checked");
#endif
	expect(sizeof(PIN_INFO) == 36, "sizeof(PIN_INFO) %zu", sizeof(PIN_INFO));
	expect(sizeof(CONTAINER_MAP_RECORD) == 86, "sizeof(CONTAINER_MAP_RECORD) %zu", sizeof(CONTAINER_MAP_RECORD));
	end();
}

/* The minidriver slots of each CARD_DATA version. */
static const struct {
	const char *name;
	size_t off;
	int version;
	int may_be_null;
} md_slots[] = {
#define SLOT(f, v, n) {#f, offsetof(CARD_DATA, f), v, n}
	SLOT(pfnCardDeleteContext, 4, 0), SLOT(pfnCardQueryCapabilities, 4, 0), SLOT(pfnCardDeleteContainer, 4, 0),
	SLOT(pfnCardCreateContainer, 4, 0), SLOT(pfnCardGetContainerInfo, 4, 0), SLOT(pfnCardAuthenticatePin, 4, 0),
	SLOT(pfnCardGetChallenge, 4, 0), SLOT(pfnCardAuthenticateChallenge, 4, 0), SLOT(pfnCardUnblockPin, 4, 0),
	SLOT(pfnCardChangeAuthenticator, 4, 0), SLOT(pfnCardDeauthenticate, 4, 1), SLOT(pfnCardCreateDirectory, 4, 0),
	SLOT(pfnCardDeleteDirectory, 4, 0), SLOT(pfnCardCreateFile, 4, 0), SLOT(pfnCardReadFile, 4, 0),
	SLOT(pfnCardWriteFile, 4, 0), SLOT(pfnCardDeleteFile, 4, 0), SLOT(pfnCardEnumFiles, 4, 0),
	SLOT(pfnCardGetFileInfo, 4, 0), SLOT(pfnCardQueryFreeSpace, 4, 0), SLOT(pfnCardQueryKeySizes, 4, 0),
	SLOT(pfnCardSignData, 4, 0), SLOT(pfnCardRSADecrypt, 4, 1), SLOT(pfnCardConstructDHAgreement, 4, 1),
	SLOT(pfnCardDeriveKey, 5, 1), SLOT(pfnCardDestroyDHAgreement, 5, 1), SLOT(pfnCardGetChallengeEx, 6, 0),
	SLOT(pfnCardAuthenticateEx, 6, 0), SLOT(pfnCardChangeAuthenticatorEx, 6, 0), SLOT(pfnCardDeauthenticateEx, 6, 0),
	SLOT(pfnCardGetContainerProperty, 6, 0), SLOT(pfnCardSetContainerProperty, 6, 0), SLOT(pfnCardGetProperty, 6, 0),
	SLOT(pfnCardSetProperty, 6, 0), SLOT(pfnMDImportSessionKey, 7, 0), SLOT(pfnMDEncryptData, 7, 0),
	SLOT(pfnCardImportSessionKey, 7, 0), SLOT(pfnCardGetSharedKeyHandle, 7, 0), SLOT(pfnCardGetAlgorithmProperty, 7, 0),
	SLOT(pfnCardGetKeyProperty, 7, 0), SLOT(pfnCardSetKeyProperty, 7, 0), SLOT(pfnCardDestroyKey, 7, 0),
	SLOT(pfnCardProcessEncryptedData, 7, 0), SLOT(pfnCardCreateContainerEx, 7, 0),
#undef SLOT
};

static void *slot_at(const CARD_DATA *cd, size_t off) {
	void *p;
	memcpy(&p, (const unsigned char *)cd + off, sizeof p);
	return p;
}

/* check_table: the slots up to version are filled (except the optional ones), later ones NULL;
 * only the first size bytes of the structure (what the caller allocated) are looked at. */
static void check_table(const CARD_DATA *cd, DWORD version, size_t size) {
	for (size_t i = 0; i < sizeof md_slots / sizeof md_slots[0]; i++) {
		if (md_slots[i].off + sizeof(void *) > size)
			continue;
		void *p = slot_at(cd, md_slots[i].off);
		if ((DWORD)md_slots[i].version <= version)
			expect(p != NULL || md_slots[i].may_be_null, "v%" PRIu32 " context: %s is NULL", version, md_slots[i].name);
		else
			expect(p == NULL, "v%" PRIu32 " context: %s (a v%d slot) is set", version, md_slots[i].name, md_slots[i].version);
	}
	expect(cd->pvUnused3 == NULL && cd->pvUnused4 == NULL, "pvUnused3/pvUnused4 not NULL");
}

static void t_load(const char *path) {
	begin("load");
	lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!expect(lib != NULL, "dlopen(%s): %s", path, dlerror())) {
		end();
		return;
	}
	acquire_fn = (PFN_CARD_ACQUIRE_CONTEXT)dlsym(lib, "CardAcquireContext");
	expect(acquire_fn != NULL, "dlsym(CardAcquireContext): %s", dlerror());
	end();
}

static DWORD acquire(PCARD_DATA cd, DWORD flags) { return MD(acquire_fn(cd, flags)); }

static void t_acquire_errors(void) {
	begin("acquire_errors");
	CARD_DATA cd;
	expect_rc(acquire(NULL, 0), SCARD_E_INVALID_PARAMETER, "CardAcquireContext(NULL)");
	fill_card_data(&cd, 3);
	expect_rc(acquire(&cd, 0), ERROR_REVISION_MISMATCH, "CardAcquireContext(version 3)");
	fill_card_data(&cd, 7);
	expect_rc(acquire(&cd, 0x100), SCARD_E_INVALID_PARAMETER, "CardAcquireContext(unknown flag 0x100)");
	fill_card_data(&cd, 7);
	cd.hScard = 0;
	expect_rc(acquire(&cd, 0), SCARD_E_INVALID_HANDLE, "CardAcquireContext(hScard 0)");
	fill_card_data(&cd, 7);
	cd.pbAtr = NULL;
	expect_rc(acquire(&cd, 0), SCARD_E_INVALID_PARAMETER, "CardAcquireContext(pbAtr NULL)");
	fill_card_data(&cd, 7);
	cd.pwszCardName = NULL;
	expect_rc(acquire(&cd, 0), SCARD_E_INVALID_PARAMETER, "CardAcquireContext(pwszCardName NULL)");
	fill_card_data(&cd, 7);
	cd.pfnCspFree = NULL;
	expect_rc(acquire(&cd, 0), SCARD_E_INVALID_PARAMETER, "CardAcquireContext(pfnCspFree NULL)");
	fill_card_data(&cd, 7);
	BYTE bad_atr[] = {0xFF, 0x00, 0x01};
	cd.pbAtr = bad_atr;
	cd.cbAtr = sizeof bad_atr;
	expect_rc(acquire(&cd, 0), SCARD_E_UNKNOWN_CARD, "CardAcquireContext(ATR FF 00 01)");
	expect(cd.pvVendorSpecific == NULL, "a failed CardAcquireContext left pvVendorSpecific set");
	end();
}

/* t_versions negotiates versions 7, 8 and 6. Each CARD_DATA is on the heap with the size a
 * caller of that version allocates, so that valgrind sees any access beyond it: a version 6
 * caller's structure ends before pfnCspUnpadData (416 bytes on x64); a version 8 caller's may be
 * larger, and its tail (a canary here) is not the minidriver's either. */
static void t_versions(void) {
	begin("version_negotiation");
	static const struct {
		DWORD request, want;
		size_t size;
	} cases[] = {
		{7, 7, sizeof(CARD_DATA)},
		{8, 7, sizeof(CARD_DATA) + 64},
		{6, 6, offsetof(CARD_DATA, pfnCspUnpadData)},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t size = cases[i].size;
		unsigned char *mem = malloc(size);
		if (!expect(mem != NULL, "out of memory"))
			break;
		CARD_DATA full;
		fill_card_data(&full, cases[i].request);
		memset(mem, 0xA5, size);
		memcpy(mem, &full, size < sizeof full ? size : sizeof full);
		PCARD_DATA cd = (PCARD_DATA)(void *)mem;
		char what[64];
		snprintf(what, sizeof what, "CardAcquireContext(version %" PRIu32 ")", cases[i].request);
		if (expect_rc(acquire(cd, 0), 0, what)) {
			expect(cd->dwVersion == cases[i].want, "request %" PRIu32 ": negotiated %" PRIu32 ", want %" PRIu32, cases[i].request,
			       cd->dwVersion, cases[i].want);
			expect(cd->pvVendorSpecific != NULL, "request %" PRIu32 ": pvVendorSpecific not set", cases[i].request);
			expect(cd->pfnCspGetDHAgreement == csp_get_dh, "request %" PRIu32 ": pfnCspGetDHAgreement overwritten", cases[i].request);
			if (size >= sizeof(CARD_DATA))
				expect(cd->pfnCspUnpadData == sentinel_unpad, "request %" PRIu32 ": pfnCspUnpadData overwritten", cases[i].request);
			for (size_t j = sizeof(CARD_DATA); j < size; j++) {
				if (mem[j] != 0xA5) {
					fail("request %" PRIu32 ": byte %zu, past CARD_DATA, was written", cases[i].request, j);
					break;
				}
			}
			check_table(cd, cd->dwVersion, size);
			watch_sized(cd, size < sizeof(CARD_DATA) ? size : sizeof(CARD_DATA));
			BYTE g16[16] = {0};
			DWORD len = 0;
			expect_rc(get_prop(cd, CP_CARD_GUID, g16, 16, &len, 0), 0, "CardGetProperty(CP_CARD_GUID)");
			expect_rc(MD(cd->pfnCardDeleteContext(cd)), 0, "CardDeleteContext");
			unwatch(cd);
		}
		free(mem);
	}
	end();
}

static PCARD_DATA g_cd; /* the main context, on the heap (exactly sizeof(CARD_DATA)) */

static int t_acquire_main(void) {
	begin("acquire");
	g_cd = malloc(sizeof *g_cd);
	if (!expect(g_cd != NULL, "out of memory")) {
		end();
		return 0;
	}
	fill_card_data(g_cd, CARD_DATA_CURRENT_VERSION);
	if (!expect_rc(acquire(g_cd, 0), 0, "CardAcquireContext(version 7)")) {
		free(g_cd);
		g_cd = NULL;
		end();
		return 0;
	}
	expect(g_cd->dwVersion == 7, "negotiated version %" PRIu32, g_cd->dwVersion);
	check_table(g_cd, 7, sizeof *g_cd);
	watch(g_cd);
	end();
	return !cur_failed;
}

/* get_prop is CardGetProperty (in a transaction) into a heap buffer of exactly cb bytes, so that
 * valgrind reports a write past it, copied to out (NULL out: a NULL pbData). */
static DWORD get_prop(PCARD_DATA cd, LPCWSTR name, void *out, DWORD cb, DWORD *len, DWORD flags) {
	if (out == NULL)
		return MD(cd->pfnCardGetProperty(cd, name, NULL, cb, len, flags));
	BYTE *b = malloc(cb > 0 ? cb : 1);
	if (b == NULL)
		return SCARD_E_NO_MEMORY;
	memcpy(b, out, cb);
	DWORD rc = MD(cd->pfnCardGetProperty(cd, name, b, cb, len, flags));
	memcpy(out, b, cb);
	free(b);
	return rc;
}

static void t_capabilities(void) {
	PCARD_DATA cd = g_cd;
	begin("capabilities");
	CARD_CAPABILITIES caps = {.dwVersion = CARD_CAPABILITIES_CURRENT_VERSION};
	expect_rc(MD(cd->pfnCardQueryCapabilities(cd, &caps)), 0, "CardQueryCapabilities");
	info("capabilities: fCertificateCompression=%d fKeyGen=%d", caps.fCertificateCompression, caps.fKeyGen);
	CARD_FREE_SPACE_INFO fs = {.dwVersion = CARD_FREE_SPACE_INFO_CURRENT_VERSION};
	expect_rc(MD(cd->pfnCardQueryFreeSpace(cd, 0, &fs)), 0, "CardQueryFreeSpace");
	info("free space: bytes=%" PRIu32 " containers available=%" PRIu32 " max=%" PRIu32, fs.dwBytesAvailable,
	     fs.dwKeyContainersAvailable, fs.dwMaxKeyContainers);
	CARD_KEY_SIZES ks = {.dwVersion = CARD_KEY_SIZES_CURRENT_VERSION};
	if (expect_rc(MD(cd->pfnCardQueryKeySizes(cd, AT_KEYEXCHANGE, 0, &ks)), 0, "CardQueryKeySizes(AT_KEYEXCHANGE)"))
		expect(ks.dwMinimumBitlen <= 2048 && ks.dwMaximumBitlen >= 2048 && ks.dwDefaultBitlen >= ks.dwMinimumBitlen &&
		           ks.dwDefaultBitlen <= ks.dwMaximumBitlen,
		       "RSA key sizes %" PRIu32 "/%" PRIu32 "/%" PRIu32 " do not cover 2048", ks.dwMinimumBitlen, ks.dwDefaultBitlen,
		       ks.dwMaximumBitlen);
	end();
}

static void t_properties(void) {
	PCARD_DATA cd = g_cd;
	BYTE buf[256];
	DWORD len;

	begin("property_card_guid");
	len = 0;
	if (expect_rc(get_prop(cd, CP_CARD_GUID, buf, 16, &len, 0), 0, "CardGetProperty(CP_CARD_GUID)") &&
	    expect(len == 16, "CP_CARD_GUID: %" PRIu32 " bytes, want 16", len))
		memcpy(guid, buf, 16);
	end();

	begin("property_insufficient_buffer");
	len = 0;
	expect_rc(get_prop(cd, CP_CARD_GUID, buf, 4, &len, 0), ERROR_INSUFFICIENT_BUFFER, "CardGetProperty(CP_CARD_GUID, cbData 4)");
	expect(len == 16, "too small a buffer: *pdwDataLen %" PRIu32 ", want the needed 16", len);
	len = 0;
	expect_rc(get_prop(cd, CP_CARD_GUID, NULL, 0, &len, 0), ERROR_INSUFFICIENT_BUFFER, "CardGetProperty(CP_CARD_GUID, NULL, 0)");
	expect(len == 16, "size probe: *pdwDataLen %" PRIu32 ", want 16", len);
	len = 0;
	PIN_INFO small;
	expect_rc(get_prop(cd, CP_CARD_PIN_INFO, (PBYTE)&small, sizeof small - 1, &len, ROLE_USER),
	          ERROR_INSUFFICIENT_BUFFER, "CardGetProperty(CP_CARD_PIN_INFO, 35 bytes)");
	expect(len == sizeof(PIN_INFO), "PIN_INFO size probe: %" PRIu32 ", want %zu", len, sizeof(PIN_INFO));
	end();

	begin("property_keysizes");
	CARD_KEY_SIZES ks = {0};
	len = 0;
	if (expect_rc(get_prop(cd, CP_CARD_KEYSIZES, (PBYTE)&ks, sizeof ks, &len, AT_KEYEXCHANGE), 0,
	              "CardGetProperty(CP_CARD_KEYSIZES, AT_KEYEXCHANGE)")) {
		expect(len == sizeof ks, "CP_CARD_KEYSIZES: %" PRIu32 " bytes, want %zu", len, sizeof ks);
		expect(ks.dwVersion == CARD_KEY_SIZES_CURRENT_VERSION, "CARD_KEY_SIZES.dwVersion %" PRIu32, ks.dwVersion);
		expect(ks.dwMinimumBitlen <= 2048 && 2048 <= ks.dwMaximumBitlen, "RSA sizes %" PRIu32 "..%" PRIu32 " exclude 2048",
		       ks.dwMinimumBitlen, ks.dwMaximumBitlen);
	}
	memset(&ks, 0, sizeof ks);
	if (expect_rc(get_prop(cd, CP_CARD_KEYSIZES, (PBYTE)&ks, sizeof ks, &len, AT_ECDSA_P256), 0,
	              "CardGetProperty(CP_CARD_KEYSIZES, AT_ECDSA_P256)"))
		expect(ks.dwMinimumBitlen == 256 && ks.dwDefaultBitlen == 256 && ks.dwMaximumBitlen == 256 && ks.dwIncrementalBitlen == 1,
		       "P-256 sizes %" PRIu32 "/%" PRIu32 "/%" PRIu32 "/%" PRIu32 ", want 256/256/256/1", ks.dwMinimumBitlen,
		       ks.dwDefaultBitlen, ks.dwMaximumBitlen, ks.dwIncrementalBitlen);
	end();

	begin("property_pin_info");
	PIN_INFO pi;
	memset(&pi, 0xEE, sizeof pi);
	pi.dwVersion = PIN_INFO_CURRENT_VERSION;
	len = 0;
	if (expect_rc(get_prop(cd, CP_CARD_PIN_INFO, (PBYTE)&pi, sizeof pi, &len, ROLE_USER), 0,
	              "CardGetProperty(CP_CARD_PIN_INFO, PIN 1)")) {
		expect(len == sizeof pi, "PIN_INFO: %" PRIu32 " bytes", len);
		expect(pi.dwVersion == PIN_INFO_CURRENT_VERSION, "PIN_INFO.dwVersion %" PRIu32, pi.dwVersion);
		expect(pi.PinType == AlphaNumericPinType, "PIN 1 type %d, want AlphaNumericPinType", (int)pi.PinType);
		expect(pi.PinPurpose == AuthenticationPin, "PIN 1 purpose %d, want AuthenticationPin", (int)pi.PinPurpose);
		expect(pi.dwChangePermission == CREATE_PIN_SET(ROLE_USER), "PIN 1 change permission 0x%" PRIX32, pi.dwChangePermission);
		expect(pi.dwUnblockPermission == CREATE_PIN_SET(4), "PIN 1 unblock permission 0x%" PRIX32 ", want the PUK (0x10)",
		       pi.dwUnblockPermission);
		expect(pi.PinCachePolicy.PinCachePolicyType == PinCacheNormal, "PIN 1 cache policy %d",
		       (int)pi.PinCachePolicy.PinCachePolicyType);
		expect(pi.PinCachePolicy.dwVersion == PIN_CACHE_POLICY_CURRENT_VERSION, "PIN_CACHE_POLICY.dwVersion %" PRIu32,
		       pi.PinCachePolicy.dwVersion);
	}
	memset(&pi, 0, sizeof pi);
	pi.dwVersion = PIN_INFO_CURRENT_VERSION;
	if (expect_rc(get_prop(cd, CP_CARD_PIN_INFO, (PBYTE)&pi, sizeof pi, &len, 3), 0, "CardGetProperty(CP_CARD_PIN_INFO, PIN 3)"))
		expect(pi.PinPurpose == DigitalSignaturePin && pi.PinCachePolicy.PinCachePolicyType == PinCacheAlwaysPrompt,
		       "PIN 3: purpose %d, cache policy %d; want DigitalSignaturePin, PinCacheAlwaysPrompt", (int)pi.PinPurpose,
		       (int)pi.PinCachePolicy.PinCachePolicyType);
	end();

	begin("property_misc");
	DWORD v = 0;
	if (expect_rc(get_prop(cd, CP_CARD_LIST_PINS, (PBYTE)&v, sizeof v, &len, 0), 0, "CardGetProperty(CP_CARD_LIST_PINS)"))
		expect((v & 0x1E) == 0x1E, "CP_CARD_LIST_PINS 0x%" PRIX32 ", want PINs 1-4 (0x1E)", v);
	if (expect_rc(get_prop(cd, CP_CARD_CACHE_MODE, (PBYTE)&v, sizeof v, &len, 0), 0, "CardGetProperty(CP_CARD_CACHE_MODE)"))
		expect(v == CP_CACHE_MODE_GLOBAL_CACHE, "CP_CARD_CACHE_MODE %" PRIu32 ", want GLOBAL_CACHE", v);
	if (expect_rc(get_prop(cd, CP_KEY_IMPORT_SUPPORT, (PBYTE)&v, sizeof v, &len, 0), 0, "CardGetProperty(CP_KEY_IMPORT_SUPPORT)"))
		expect(v == 0, "CP_KEY_IMPORT_SUPPORT %" PRIu32 ", want 0 (no secure key injection)", v);
	end();
}

static void t_files(void) {
	PCARD_DATA cd = g_cd;
	PBYTE pb;
	DWORD cb;

	begin("file_cardid");
	pb = NULL, cb = 0;
	if (expect_rc(MD(cd->pfnCardReadFile(cd, NULL, szCARD_IDENTIFIER_FILE, 0, &pb, &cb)), 0, "CardReadFile(cardid)")) {
		expect(is_ours(pb), "cardid buffer %p is not from pfnCspAlloc", (void *)pb);
		expect(cb == 16, "cardid: %" PRIu32 " bytes, want 16", cb);
		expect(cb == 16 && memcmp(pb, guid, 16) == 0, "cardid differs from CP_CARD_GUID");
		write_out("cardid.bin", pb, cb);
		csp_free(pb);
	}
	end();

	begin("file_cardcf");
	pb = NULL, cb = 0;
	if (expect_rc(MD(cd->pfnCardReadFile(cd, NULL, szCACHE_FILE, 0, &pb, &cb)), 0, "CardReadFile(cardcf)")) {
		expect(cb >= 6, "cardcf: %" PRIu32 " bytes, want at least 6", cb);
		csp_free(pb);
	}
	pb = NULL, cb = 0;
	if (expect_rc(MD(cd->pfnCardReadFile(cd, NULL, szCARD_APPS_FILE, 0, &pb, &cb)), 0, "CardReadFile(cardapps)")) {
		expect(cb == 8 && memcmp(pb, "mscp\0\0\0\0", 8) == 0, "cardapps is not \"mscp\\0\\0\\0\\0\"");
		csp_free(pb);
	}
	end();

	begin("file_cmapfile");
	pb = NULL, cb = 0;
	if (expect_rc(MD(cd->pfnCardReadFile(cd, szBASE_CSP_DIR, szCONTAINER_MAP_FILE, 0, &pb, &cb)), 0, "CardReadFile(mscp/cmapfile)")) {
		if (expect(cb % 86 == 0 && cb >= 4 * 86, "cmapfile: %" PRIu32 " bytes, want 4 or more 86-byte records", cb)) {
			const BYTE *r0 = pb, *r1 = pb + 86, *r2 = pb + 2 * 86, *r3 = pb + 3 * 86;
			expect((r0[80] & 3) == 3, "record 0 flags 0x%02X, want valid+default", r0[80]);
			expect(le16(r0 + 84) == 2048 && le16(r0 + 82) == 0, "record 0 (9A RSA-2048, AT_KEYEXCHANGE): sizes sig %u kx %u",
			       le16(r0 + 82), le16(r0 + 84));
			expect((r1[80] & 3) == 1 && le16(r1 + 82) == 256, "record 1 (9C P-256): flags 0x%02X sig size %u", r1[80], le16(r1 + 82));
			expect((r2[80] & 3) == 1 && le16(r2 + 84) == 2048, "record 2 (9D RSA-2048): flags 0x%02X kx size %u", r2[80], le16(r2 + 84));
			expect((r3[80] & 3) == 1 && le16(r3 + 82) == 384, "record 3 (9E P-384): flags 0x%02X sig size %u", r3[80], le16(r3 + 82));
			for (int i = 0; i < 4; i++) {
				const BYTE *r = pb + 86 * i;
				expect(le16(r) != 0 && le16(r + 78) == 0, "record %d: empty or unterminated container name", i);
			}
		}
		write_out("cmapfile.bin", pb, cb);
		csp_free(pb);
	}
	end();

	begin("file_certificate");
	pb = NULL, cb = 0;
	if (expect_rc(MD(cd->pfnCardReadFile(cd, szBASE_CSP_DIR, "kxc00", 0, &pb, &cb)), 0, "CardReadFile(mscp/kxc00)")) {
		expect(cb > 100 && pb[0] == 0x30, "kxc00 (%" PRIu32 " bytes) is not a DER certificate", cb);
		write_out("kxc00.der", pb, cb);
		csp_free(pb);
	}
	pb = NULL, cb = 0;
	if (expect_rc(MD(cd->pfnCardReadFile(cd, szBASE_CSP_DIR, "ksc01", 0, &pb, &cb)), 0, "CardReadFile(mscp/ksc01)")) {
		write_out("ksc01.der", pb, cb);
		csp_free(pb);
	}
	/* A second read: the certificate may now come from the caller's cache. */
	pb = NULL, cb = 0;
	if (expect_rc(MD(cd->pfnCardReadFile(cd, szBASE_CSP_DIR, "kxc00", 0, &pb, &cb)), 0, "CardReadFile(mscp/kxc00), again"))
		csp_free(pb);
	end();

	begin("file_not_found");
	pb = (PBYTE)1, cb = 0;
	expect_rc(MD(cd->pfnCardReadFile(cd, szBASE_CSP_DIR, "kxc09", 0, &pb, &cb)), SCARD_E_FILE_NOT_FOUND, "CardReadFile(mscp/kxc09)");
	expect(pb == NULL, "failed CardReadFile left *ppbData %p (want NULL)", (void *)pb);
	pb = NULL;
	expect_rc(MD(cd->pfnCardReadFile(cd, "nodir", "cmapfile", 0, &pb, &cb)), SCARD_E_DIR_NOT_FOUND, "CardReadFile(nodir/cmapfile)");
	expect_rc(MD(cd->pfnCardReadFile(cd, NULL, "nofile", 0, &pb, &cb)), SCARD_E_FILE_NOT_FOUND, "CardReadFile(nofile)");
	end();

	begin("enum_files");
	LPSTR m = NULL;
	DWORD n = 0;
	if (expect_rc(MD(cd->pfnCardEnumFiles(cd, NULL, &m, &n, 0)), 0, "CardEnumFiles(root)")) {
		expect(is_ours(m), "CardEnumFiles buffer is not from pfnCspAlloc");
		expect(n >= 2 && m[n - 1] == 0 && m[n - 2] == 0, "root list (%" PRIu32 " bytes) does not end with two NULs", n);
		expect(multi_has(m, n, "cardid") && multi_has(m, n, "cardcf") && multi_has(m, n, "cardapps"),
		       "root list lacks cardid, cardcf or cardapps");
		csp_free(m);
	}
	m = NULL, n = 0;
	if (expect_rc(MD(cd->pfnCardEnumFiles(cd, szBASE_CSP_DIR, &m, &n, 0)), 0, "CardEnumFiles(mscp)")) {
		expect(n >= 2 && m[n - 1] == 0 && m[n - 2] == 0, "mscp list does not end with two NULs");
		static const char *want[] = {"cmapfile", "kxc00", "ksc01", "kxc02", "ksc03"};
		for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
			expect(multi_has(m, n, want[i]), "mscp list lacks %s", want[i]);
		csp_free(m);
	}
	end();

	begin("file_info");
	CARD_FILE_INFO fi = {.dwVersion = CARD_FILE_INFO_CURRENT_VERSION};
	if (expect_rc(MD(cd->pfnCardGetFileInfo(cd, NULL, szCARD_IDENTIFIER_FILE, &fi)), 0, "CardGetFileInfo(cardid)"))
		expect(fi.cbFileSize == 16 && fi.AccessCondition == EveryoneReadAdminWriteAc,
		       "cardid: size %" PRIu32 " access %d, want 16 EveryoneReadAdminWriteAc", fi.cbFileSize, (int)fi.AccessCondition);
	memset(&fi, 0, sizeof fi);
	fi.dwVersion = CARD_FILE_INFO_CURRENT_VERSION;
	if (expect_rc(MD(cd->pfnCardGetFileInfo(cd, szBASE_CSP_DIR, szCONTAINER_MAP_FILE, &fi)), 0, "CardGetFileInfo(mscp/cmapfile)"))
		expect(fi.cbFileSize % 86 == 0 && fi.AccessCondition == EveryoneReadUserWriteAc,
		       "cmapfile: size %" PRIu32 " access %d, want N*86 EveryoneReadUserWriteAc", fi.cbFileSize, (int)fi.AccessCondition);
	expect_rc(MD(cd->pfnCardGetFileInfo(cd, szBASE_CSP_DIR, "kxc09", &fi)), SCARD_E_FILE_NOT_FOUND, "CardGetFileInfo(mscp/kxc09)");
	end();
}

/* check_rsa_blob: a CryptoAPI PUBLICKEYBLOB of a 2048-bit key. */
static void check_rsa_blob(const BYTE *b, DWORD n, ALG_ID alg, const char *what) {
	if (!expect(b != NULL && n == 8 + 12 + 256, "%s: %" PRIu32 "-byte blob, want 276", what, n))
		return;
	expect(b[0] == PUBLICKEYBLOB && b[1] == 2 && le16(b + 2) == 0, "%s: BLOBHEADER %02X %02X %04X, want 06 02 0000", what, b[0], b[1],
	       le16(b + 2));
	expect(le32(b + 4) == alg, "%s: aiKeyAlg 0x%04" PRIX32 ", want 0x%04" PRIX32, what, le32(b + 4), (uint32_t)alg);
	expect(le32(b + 8) == 0x31415352, "%s: magic 0x%08" PRIX32 ", want \"RSA1\"", what, le32(b + 8));
	expect(le32(b + 12) == 2048 && le32(b + 16) == 65537, "%s: bitlen %" PRIu32 " pubexp %" PRIu32, what, le32(b + 12), le32(b + 16));
}

static void t_containers(void) {
	PCARD_DATA cd = g_cd;
	begin("container_info_rsa");
	CONTAINER_INFO ci = {.dwVersion = CONTAINER_INFO_CURRENT_VERSION};
	if (expect_rc(MD(cd->pfnCardGetContainerInfo(cd, 0, 0, &ci)), 0, "CardGetContainerInfo(0)")) {
		expect(ci.pbSigPublicKey == NULL && ci.cbSigPublicKey == 0, "container 0 (AT_KEYEXCHANGE) has a signature key blob");
		expect(is_ours(ci.pbKeyExPublicKey), "key blob not from pfnCspAlloc");
		check_rsa_blob(ci.pbKeyExPublicKey, ci.cbKeyExPublicKey, CALG_RSA_KEYX, "container 0");
		write_out("container0.blob", ci.pbKeyExPublicKey, ci.cbKeyExPublicKey);
		csp_free(ci.pbSigPublicKey);
		csp_free(ci.pbKeyExPublicKey);
	}
	/* The same through CardGetContainerProperty(CCP_CONTAINER_INFO), for the 9D key. */
	CONTAINER_INFO *hci = calloc(1, sizeof *hci); /* on the heap, exactly its size (valgrind) */
	DWORD len = 0;
	if (hci != NULL) {
		hci->dwVersion = CONTAINER_INFO_CURRENT_VERSION;
		if (expect_rc(MD(cd->pfnCardGetContainerProperty(cd, 2, CCP_CONTAINER_INFO, (PBYTE)hci, sizeof *hci, &len, 0)), 0,
		              "CardGetContainerProperty(2, CCP_CONTAINER_INFO)")) {
			check_rsa_blob(hci->pbKeyExPublicKey, hci->cbKeyExPublicKey, CALG_RSA_KEYX, "container 2");
			write_out("container2.blob", hci->pbKeyExPublicKey, hci->cbKeyExPublicKey);
			csp_free(hci->pbSigPublicKey);
			csp_free(hci->pbKeyExPublicKey);
		}
		free(hci);
	}
	DWORD pin_id = 0;
	if (expect_rc(MD(cd->pfnCardGetContainerProperty(cd, 1, CCP_PIN_IDENTIFIER, (PBYTE)&pin_id, sizeof pin_id, &len, 0)), 0,
	              "CardGetContainerProperty(1, CCP_PIN_IDENTIFIER)"))
		expect(pin_id == 3, "container 1 (9C) is guarded by PIN %" PRIu32 ", want 3", pin_id);
	end();

	begin("container_info_ecc");
	memset(&ci, 0, sizeof ci);
	ci.dwVersion = CONTAINER_INFO_CURRENT_VERSION;
	if (expect_rc(MD(cd->pfnCardGetContainerInfo(cd, 1, 0, &ci)), 0, "CardGetContainerInfo(1)")) {
		const BYTE *b = ci.pbSigPublicKey;
		if (expect(b != NULL && ci.cbSigPublicKey == 8 + 64, "container 1: %" PRIu32 "-byte ECDSA blob, want 72", ci.cbSigPublicKey))
			expect(le32(b) == BCRYPT_ECDSA_PUBLIC_P256_MAGIC && le32(b + 4) == 32, "container 1: magic 0x%08" PRIX32 " cbKey %" PRIu32,
			       le32(b), le32(b + 4));
		if (b != NULL)
			write_out("container1.blob", b, ci.cbSigPublicKey);
		csp_free(ci.pbSigPublicKey);
		csp_free(ci.pbKeyExPublicKey);
	}
	end();

	begin("container_errors");
	memset(&ci, 0, sizeof ci);
	ci.dwVersion = CONTAINER_INFO_CURRENT_VERSION;
	expect_rc(MD(cd->pfnCardGetContainerInfo(cd, 9, 0, &ci)), SCARD_E_NO_KEY_CONTAINER, "CardGetContainerInfo(9)");
	ci.dwVersion = 2;
	expect_rc(MD(cd->pfnCardGetContainerInfo(cd, 0, 0, &ci)), ERROR_REVISION_MISMATCH, "CardGetContainerInfo(CONTAINER_INFO version 2)");
	expect(ci.pbKeyExPublicKey == NULL && ci.pbSigPublicKey == NULL, "a failed CardGetContainerInfo returned key blobs");
	ci.dwVersion = CONTAINER_INFO_CURRENT_VERSION;
	expect_rc(MD(cd->pfnCardGetContainerInfo(cd, 0, 1, &ci)), SCARD_E_INVALID_PARAMETER, "CardGetContainerInfo(dwFlags 1)");
	expect_rc(MD(cd->pfnCardGetContainerInfo(cd, 0, 0, NULL)), SCARD_E_INVALID_PARAMETER, "CardGetContainerInfo(pContainerInfo NULL)");
	/* Misaligned: a CONTAINER_INFO one byte into a char buffer. */
	_Alignas(8) unsigned char raw[sizeof(CONTAINER_INFO) + 8] = {0};
	raw[1] = CONTAINER_INFO_CURRENT_VERSION;
	expect_rc(MD(cd->pfnCardGetContainerInfo(cd, 0, 0, (PCONTAINER_INFO)(void *)(raw + 1))), SCARD_E_INVALID_PARAMETER,
	          "CardGetContainerInfo(misaligned CONTAINER_INFO)");
	end();
}

static BYTE message[] = "cardmod ctest: the caller hashes, the minidriver signs";
static BYTE digest[32];

static void init_signing(CARD_SIGNING_INFO *si, BYTE idx, DWORD key_spec) {
	memset(si, 0, sizeof *si);
	si->dwVersion = CARD_SIGNING_INFO_CURRENT_VERSION;
	si->bContainerIndex = idx;
	si->dwKeySpec = key_spec;
	si->aiHashAlg = CALG_SHA_256;
	si->pbData = digest;
	si->cbData = sizeof digest;
}

static void t_errors(void) {
	PCARD_DATA cd = g_cd;
	BYTE buf[64];
	DWORD len = 0;
	PBYTE pb = NULL;
	DWORD cb = 0;

	begin("errors_null_card_data");
	expect_rc(MD(cd->pfnCardGetProperty(NULL, CP_CARD_GUID, buf, sizeof buf, &len, 0)), SCARD_E_INVALID_PARAMETER, "CardGetProperty(pCardData NULL)");
	expect_rc(MD(cd->pfnCardReadFile(NULL, NULL, szCACHE_FILE, 0, &pb, &cb)), SCARD_E_INVALID_PARAMETER, "CardReadFile(pCardData NULL)");
	CARD_SIGNING_INFO si;
	init_signing(&si, 0, AT_KEYEXCHANGE);
	expect_rc(MD(cd->pfnCardSignData(NULL, &si)), SCARD_E_INVALID_PARAMETER, "CardSignData(pCardData NULL)");
	expect_rc(MD(cd->pfnCardDeauthenticateEx(NULL, PIN_SET_ALL_ROLES, 0)), SCARD_E_INVALID_PARAMETER, "CardDeauthenticateEx(pCardData NULL)");
	expect_rc(MD(cd->pfnCardDeleteContext(NULL)), SCARD_E_INVALID_PARAMETER, "CardDeleteContext(NULL)");
	/* A CARD_DATA the minidriver never saw, with a made-up pvVendorSpecific. */
	CARD_DATA other = *g_cd;
	other.pvVendorSpecific = (PVOID)(uintptr_t)0x1230;
	expect_rc(MD(cd->pfnCardGetProperty(&other, CP_CARD_GUID, buf, sizeof buf, &len, 0)), SCARD_E_INVALID_PARAMETER,
	          "CardGetProperty(foreign CARD_DATA)");
	other = *g_cd; /* a copy at another address, with the real context id */
	expect_rc(MD(cd->pfnCardGetProperty(&other, CP_CARD_GUID, buf, sizeof buf, &len, 0)), SCARD_E_INVALID_PARAMETER,
	          "CardGetProperty(copy of the CARD_DATA)");
	end();

	begin("errors_null_out_pointers");
	expect_rc(MD(cd->pfnCardReadFile(cd, NULL, szCACHE_FILE, 0, NULL, &cb)), SCARD_E_INVALID_PARAMETER, "CardReadFile(ppbData NULL)");
	expect_rc(MD(cd->pfnCardReadFile(cd, NULL, szCACHE_FILE, 0, &pb, NULL)), SCARD_E_INVALID_PARAMETER, "CardReadFile(pcbData NULL)");
	expect_rc(MD(cd->pfnCardReadFile(cd, NULL, NULL, 0, &pb, &cb)), SCARD_E_INVALID_PARAMETER, "CardReadFile(pszFileName NULL)");
	expect_rc(get_prop(cd, CP_CARD_GUID, buf, sizeof buf, NULL, 0), SCARD_E_INVALID_PARAMETER, "CardGetProperty(pdwDataLen NULL)");
	expect_rc(get_prop(cd, NULL, buf, sizeof buf, &len, 0), SCARD_E_INVALID_PARAMETER, "CardGetProperty(wszProperty NULL)");
	expect_rc(MD(cd->pfnCardSignData(cd, NULL)), SCARD_E_INVALID_PARAMETER, "CardSignData(pInfo NULL)");
	expect_rc(MD(cd->pfnCardRSADecrypt(cd, NULL)), SCARD_E_INVALID_PARAMETER, "CardRSADecrypt(pInfo NULL)");
	expect_rc(MD(cd->pfnCardEnumFiles(cd, NULL, NULL, &len, 0)), SCARD_E_INVALID_PARAMETER, "CardEnumFiles(pmszFileNames NULL)");
	LPSTR m = NULL;
	expect_rc(MD(cd->pfnCardEnumFiles(cd, NULL, &m, NULL, 0)), SCARD_E_INVALID_PARAMETER, "CardEnumFiles(pdwcbFileName NULL)");
	expect_rc(MD(cd->pfnCardGetFileInfo(cd, NULL, szCACHE_FILE, NULL)), SCARD_E_INVALID_PARAMETER, "CardGetFileInfo(pCardFileInfo NULL)");
	expect_rc(MD(cd->pfnCardQueryKeySizes(cd, AT_KEYEXCHANGE, 0, NULL)), SCARD_E_INVALID_PARAMETER, "CardQueryKeySizes(pKeySizes NULL)");
	expect_rc(MD(cd->pfnCardQueryCapabilities(cd, NULL)), SCARD_E_INVALID_PARAMETER, "CardQueryCapabilities(NULL)");
	expect_rc(MD(cd->pfnCardQueryFreeSpace(cd, 0, NULL)), SCARD_E_INVALID_PARAMETER, "CardQueryFreeSpace(NULL)");
	expect_rc(MD(cd->pfnCardGetChallengeEx(cd, ROLE_ADMIN, NULL, &len, 0)), SCARD_E_INVALID_PARAMETER, "CardGetChallengeEx(ppbChallengeData NULL)");
	expect_rc(MD(cd->pfnCardAuthenticateEx(cd, ROLE_USER, 0, NULL, 0, NULL, NULL, NULL)), SCARD_E_INVALID_PARAMETER,
	          "CardAuthenticateEx(pbPinData NULL)");
	end();

	begin("errors_misaligned_signing_info");
	_Alignas(8) unsigned char raw[sizeof(CARD_SIGNING_INFO) + 8];
	init_signing(&si, 0, AT_KEYEXCHANGE);
	memcpy(raw + 1, &si, sizeof si);
	expect_rc(MD(cd->pfnCardSignData(cd, (PCARD_SIGNING_INFO)(void *)(raw + 1))), SCARD_E_INVALID_PARAMETER,
	          "CardSignData(CARD_SIGNING_INFO at an odd address)");
	end();

	begin("errors_structure_versions");
	init_signing(&si, 0, AT_KEYEXCHANGE);
	si.dwVersion = CARD_SIGNING_INFO_BASIC_VERSION;
	expect_rc(MD(cd->pfnCardSignData(cd, &si)), ERROR_REVISION_MISMATCH, "CardSignData(CARD_SIGNING_INFO v1, CARD_DATA v7)");
	si.dwVersion = 0; /* treated as 1 */
	expect_rc(MD(cd->pfnCardSignData(cd, &si)), ERROR_REVISION_MISMATCH, "CardSignData(CARD_SIGNING_INFO v0, CARD_DATA v7)");
	expect(si.pbSignedData == NULL, "a failed CardSignData returned a buffer");
	CARD_RSA_DECRYPT_INFO di = {.dwVersion = CARD_RSA_KEY_DECRYPT_INFO_VERSION_ONE, .bContainerIndex = 2, .dwKeySpec = AT_KEYEXCHANGE};
	BYTE ct[256] = {1};
	di.pbData = ct;
	di.cbData = sizeof ct;
	expect_rc(MD(cd->pfnCardRSADecrypt(cd, &di)), ERROR_REVISION_MISMATCH, "CardRSADecrypt(CARD_RSA_DECRYPT_INFO v1, CARD_DATA v7)");
	CARD_KEY_SIZES ks = {.dwVersion = 2};
	expect_rc(MD(cd->pfnCardQueryKeySizes(cd, AT_KEYEXCHANGE, 0, &ks)), ERROR_REVISION_MISMATCH, "CardQueryKeySizes(CARD_KEY_SIZES v2)");
	end();

	begin("errors_bad_flags");
	expect_rc(MD(cd->pfnCardReadFile(cd, NULL, szCACHE_FILE, 1, &pb, &cb)), SCARD_E_INVALID_PARAMETER, "CardReadFile(dwFlags 1)");
	expect_rc(MD(cd->pfnCardEnumFiles(cd, NULL, &m, &len, 1)), SCARD_E_INVALID_PARAMETER, "CardEnumFiles(dwFlags 1)");
	expect_rc(get_prop(cd, CP_CARD_GUID, buf, sizeof buf, &len, 1), SCARD_E_INVALID_PARAMETER, "CardGetProperty(CP_CARD_GUID, dwFlags 1)");
	CARD_FREE_SPACE_INFO fs = {.dwVersion = 1};
	expect_rc(MD(cd->pfnCardQueryFreeSpace(cd, 1, &fs)), SCARD_E_INVALID_PARAMETER, "CardQueryFreeSpace(dwFlags 1)");
	ks.dwVersion = 1;
	expect_rc(MD(cd->pfnCardQueryKeySizes(cd, AT_KEYEXCHANGE, 1, &ks)), SCARD_E_INVALID_PARAMETER, "CardQueryKeySizes(dwFlags 1)");
	DWORD att = 0;
	expect_rc(MD(cd->pfnCardAuthenticateEx(cd, ROLE_USER, 0x1, (PBYTE)pin, (DWORD)strlen(pin), NULL, NULL, &att)),
	          SCARD_E_INVALID_PARAMETER, "CardAuthenticateEx(dwFlags 0x1)");
	expect_rc(MD(cd->pfnCardDeauthenticateEx(cd, PIN_SET_ALL_ROLES, 1)), SCARD_E_INVALID_PARAMETER, "CardDeauthenticateEx(dwFlags 1)");
	init_signing(&si, 0, 99);
	expect_rc(MD(cd->pfnCardSignData(cd, &si)), SCARD_E_INVALID_PARAMETER, "CardSignData(dwKeySpec 99)");
	expect_rc(MD(cd->pfnCardAuthenticateEx(cd, 9, 0, (PBYTE)pin, (DWORD)strlen(pin), NULL, NULL, &att)), SCARD_E_INVALID_PARAMETER,
	          "CardAuthenticateEx(PIN id 9)");
	end();

	begin("errors_unknown_properties");
	DWORD rc = get_prop(cd, CARDMOD_WSTR("No Such Property"), buf, sizeof buf, &len, 0);
	expect_rc2(rc, SCARD_E_INVALID_PARAMETER, SCARD_E_UNSUPPORTED_FEATURE, "CardGetProperty(\"No Such Property\")");
	info("CardGetProperty of an unknown property: %s", rc_name(rc));
	expect_rc2(MD(cd->pfnCardGetContainerProperty(cd, 0, CARDMOD_WSTR("No Such Property"), buf, sizeof buf, &len, 0)),
	           SCARD_E_INVALID_PARAMETER, SCARD_E_UNSUPPORTED_FEATURE, "CardGetContainerProperty(\"No Such Property\")");
	DWORD v = 1;
	expect_rc(MD(cd->pfnCardSetProperty(cd, CARDMOD_WSTR("No Such Property"), (PBYTE)&v, sizeof v, 0)), SCARD_E_UNSUPPORTED_FEATURE,
	          "CardSetProperty(\"No Such Property\")");
	/* A name without its terminating NUL within any sane length. */
	static WCHAR long_name[600];
	for (size_t i = 0; i < sizeof long_name / sizeof long_name[0]; i++)
		long_name[i] = 'A';
	expect_rc(get_prop(cd, long_name, buf, sizeof buf, &len, 0), SCARD_E_INVALID_PARAMETER,
	          "CardGetProperty(unterminated 600-unit name)");
	end();

	begin("sign_needs_pin");
	init_signing(&si, 0, AT_KEYEXCHANGE);
	expect_rc(MD(cd->pfnCardSignData(cd, &si)), SCARD_W_SECURITY_VIOLATION, "CardSignData(container 0) before the PIN");
	expect(si.pbSignedData == NULL, "a failed CardSignData returned a buffer");
	end();
}

static void t_pin(void) {
	PCARD_DATA cd = g_cd;
	begin("pin_wrong");
	DWORD att = 0xDEAD;
	static const char wrong[] = "999999";
	expect_rc(MD(cd->pfnCardAuthenticateEx(cd, ROLE_USER, 0, (PBYTE)wrong, 6, NULL, NULL, &att)), SCARD_W_WRONG_CHV,
	          "CardAuthenticateEx(PIN 1, wrong PIN)");
	expect(att == 2, "attempts remaining %" PRIu32 ", want 2", att);
	end();

	begin("pin_right");
	att = 0xDEAD;
	DWORD cb_session = 0xDEAD;
	PBYTE session = (PBYTE)1;
	expect_rc(MD(cd->pfnCardAuthenticateEx(cd, ROLE_USER, 0, (PBYTE)pin, (DWORD)strlen(pin), &session, &cb_session, &att)), 0,
	          "CardAuthenticateEx(PIN 1)");
	expect(session == NULL && cb_session == 0, "no session PIN was asked for, got %p/%" PRIu32, (void *)session, cb_session);
	/* The retry counter is back at 3: one wrong PIN now leaves 2 again. */
	DWORD state = 0, len = 0;
	if (expect_rc(get_prop(cd, CP_CARD_AUTHENTICATED_STATE, (PBYTE)&state, sizeof state, &len, 0), 0,
	              "CardGetProperty(CP_CARD_AUTHENTICATED_STATE)"))
		expect(state & CREATE_PIN_SET(ROLE_USER), "authenticated state 0x%" PRIX32 " lacks PIN 1", state);
	end();
}

static void t_sign(void) {
	PCARD_DATA cd = g_cd;
	CARD_SIGNING_INFO si;
	BYTE first[256];

	begin("sign_rsa_pkcs1");
	CARD_SIGNING_INFO *hs = malloc(sizeof *hs); /* on the heap, exactly its size (valgrind) */
	if (!expect(hs != NULL, "out of memory")) {
		end();
		return;
	}
	init_signing(hs, 0, AT_KEYEXCHANGE);
	if (expect_rc(MD(cd->pfnCardSignData(cd, hs)), 0, "CardSignData(container 0, CALG_SHA_256)")) {
		expect(is_ours(hs->pbSignedData), "signature buffer not from pfnCspAlloc");
		if (expect(hs->cbSignedData == 256, "signature of %" PRIu32 " bytes, want 256", hs->cbSignedData)) {
			memcpy(first, hs->pbSignedData, 256);
			write_out("sig_rsa_pkcs1.bin", hs->pbSignedData, hs->cbSignedData);
		}
		csp_free(hs->pbSignedData);
	}
	free(hs);
	end();

	begin("sign_rsa_padding_info");
	BCRYPT_PKCS1_PADDING_INFO p1 = {.pszAlgId = BCRYPT_SHA256_ALGORITHM};
	init_signing(&si, 0, AT_KEYEXCHANGE);
	si.aiHashAlg = 0;
	si.dwSigningFlags = CARD_PADDING_INFO_PRESENT;
	si.dwPaddingType = CARD_PADDING_PKCS1;
	si.pPaddingInfo = &p1;
	if (expect_rc(MD(cd->pfnCardSignData(cd, &si)), 0, "CardSignData(container 0, PKCS1 padding info SHA256)")) {
		expect(si.cbSignedData == 256 && memcmp(si.pbSignedData, first, 256) == 0,
		       "PKCS#1 v1.5 with padding info differs from the CALG_SHA_256 signature");
		csp_free(si.pbSignedData);
	}
	BCRYPT_PSS_PADDING_INFO pss = {.pszAlgId = BCRYPT_SHA256_ALGORITHM, .cbSalt = 32};
	init_signing(&si, 0, AT_KEYEXCHANGE);
	si.dwSigningFlags = CARD_PADDING_INFO_PRESENT;
	si.dwPaddingType = CARD_PADDING_PSS;
	si.pPaddingInfo = &pss;
	if (expect_rc(MD(cd->pfnCardSignData(cd, &si)), 0, "CardSignData(container 0, PSS SHA256 salt 32)")) {
		if (expect(si.cbSignedData == 256, "PSS signature of %" PRIu32 " bytes", si.cbSignedData))
			write_out("sig_rsa_pss.bin", si.pbSignedData, si.cbSignedData);
		csp_free(si.pbSignedData);
	}
	end();

	begin("sign_buffer_size_only");
	init_signing(&si, 0, AT_KEYEXCHANGE);
	si.dwSigningFlags = CARD_BUFFER_SIZE_ONLY;
	unsigned long before = allocs_made;
	if (expect_rc(MD(cd->pfnCardSignData(cd, &si)), 0, "CardSignData(CARD_BUFFER_SIZE_ONLY)")) {
		expect(si.cbSignedData == 256, "size only: cbSignedData %" PRIu32 ", want 256", si.cbSignedData);
		expect(si.pbSignedData == NULL, "size only: a buffer was returned");
		csp_free(si.pbSignedData);
	}
	expect(allocs_made == before, "size only: %lu buffers allocated", allocs_made - before);
	end();
}

static void t_decrypt(void) {
	PCARD_DATA cd = g_cd;
	static const struct {
		const char *name, *in, *out;
		DWORD padding;
	} cases[] = {
		{"decrypt_oaep_sha256", "ct_oaep.bin", "pt_oaep.bin", CARD_PADDING_OAEP},
		{"decrypt_pkcs1", "ct_pkcs1.bin", "pt_pkcs1.bin", CARD_PADDING_PKCS1},
		{"decrypt_raw", "ct_raw.bin", "pt_raw.bin", CARD_PADDING_NONE},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		begin(cases[i].name);
		BYTE buf[512];
		long n = read_in(cases[i].in, buf, sizeof buf);
		if (n != 256) {
			expect(0, "%s: %ld bytes, want 256", cases[i].in, n);
			end();
			continue;
		}
		/* The ciphertext, the structure and the padding info on the heap, each exactly as large as
		 * it is, so that valgrind sees any access past them. */
		BYTE *data = malloc(256);
		BCRYPT_OAEP_PADDING_INFO *oaep = malloc(sizeof *oaep);
		CARD_RSA_DECRYPT_INFO *di = malloc(sizeof *di);
		if (data == NULL || oaep == NULL || di == NULL) {
			fail("out of memory");
			free(data), free(oaep), free(di);
			end();
			continue;
		}
		memcpy(data, buf, 256);
		*oaep = (BCRYPT_OAEP_PADDING_INFO){.pszAlgId = BCRYPT_SHA256_ALGORITHM};
		*di = (CARD_RSA_DECRYPT_INFO){
			.dwVersion = CARD_RSA_KEY_DECRYPT_INFO_CURRENT_VERSION,
			.bContainerIndex = 2,
			.dwKeySpec = AT_KEYEXCHANGE,
			.pbData = data,
			.cbData = 256,
			.dwPaddingType = cases[i].padding,
			.pPaddingInfo = cases[i].padding == CARD_PADDING_OAEP ? oaep : NULL,
		};
		unsigned long before = allocs_made - allocs_freed;
		if (expect_rc(MD(cd->pfnCardRSADecrypt(cd, di)), 0, "CardRSADecrypt(container 2)")) {
			expect(di->pbData == data, "pbData was replaced (the result must be written in place)");
			expect(di->cbData <= 256, "cbData %" PRIu32 " grew", di->cbData);
			if (di->cbData <= 256)
				write_out(cases[i].out, data, di->cbData);
		}
		expect(allocs_made - allocs_freed == before, "CardRSADecrypt left %lu buffers live", allocs_made - allocs_freed - before);
		free(data), free(oaep), free(di);
		end();
	}

	begin("decrypt_errors");
	BYTE small[128] = {0};
	CARD_RSA_DECRYPT_INFO di = {.dwVersion = 2, .bContainerIndex = 2, .dwKeySpec = AT_KEYEXCHANGE, .pbData = small, .cbData = sizeof small,
	                            .dwPaddingType = CARD_PADDING_PKCS1};
	expect_rc(MD(cd->pfnCardRSADecrypt(cd, &di)), SCARD_E_INSUFFICIENT_BUFFER, "CardRSADecrypt(128-byte buffer, 2048-bit key)");
	BYTE ct[256] = {0, 1};
	di.pbData = ct, di.cbData = sizeof ct, di.bContainerIndex = 9;
	expect_rc(MD(cd->pfnCardRSADecrypt(cd, &di)), SCARD_E_NO_KEY_CONTAINER, "CardRSADecrypt(container 9)");
	di.bContainerIndex = 2, di.dwPaddingType = CARD_PADDING_OAEP, di.pPaddingInfo = NULL;
	expect_rc(MD(cd->pfnCardRSADecrypt(cd, &di)), SCARD_E_INVALID_PARAMETER, "CardRSADecrypt(OAEP without padding info)");
	end();
}

static void t_ecdsa(void) {
	PCARD_DATA cd = g_cd;
	CARD_SIGNING_INFO si;
	begin("sign_ecdsa_p256");
	DWORD att = 0;
	expect_rc(MD(cd->pfnCardAuthenticateEx(cd, 3, 0, (PBYTE)pin, (DWORD)strlen(pin), NULL, NULL, &att)), 0, "CardAuthenticateEx(PIN 3)");
	init_signing(&si, 1, AT_ECDSA_P256);
	if (expect_rc(MD(cd->pfnCardSignData(cd, &si)), 0, "CardSignData(container 1, AT_ECDSA_P256)")) {
		if (expect(si.cbSignedData == 64, "ECDSA P-256 signature of %" PRIu32 " bytes, want r||s = 64", si.cbSignedData))
			write_out("sig_ecdsa.bin", si.pbSignedData, si.cbSignedData);
		csp_free(si.pbSignedData);
	}
	end();

	begin("sign_ecdsa_always_prompt");
	init_signing(&si, 1, AT_ECDSA_P256);
	expect_rc(MD(cd->pfnCardSignData(cd, &si)), SCARD_W_SECURITY_VIOLATION, "second CardSignData(container 1) without PIN 3");
	expect(si.pbSignedData == NULL, "a failed CardSignData returned a buffer");
	end();
}

static void t_second_context(void) {
	begin("second_context");
	PCARD_DATA cd2 = malloc(sizeof *cd2);
	if (!expect(cd2 != NULL, "out of memory")) {
		end();
		return;
	}
	fill_card_data(cd2, 7);
	if (!expect_rc(acquire(cd2, 0), 0, "CardAcquireContext (second context)")) {
		free(cd2);
		end();
		return;
	}
	watch(cd2);
	expect(cd2->pvVendorSpecific != g_cd->pvVendorSpecific, "two contexts share pvVendorSpecific");
	PBYTE pb = NULL;
	DWORD cb = 0;
	/* The engine may serve it from the caller's cache (counted), or read the card. */
	unsigned long hits = cache_hits;
	if (expect_rc(MD(cd2->pfnCardReadFile(cd2, szBASE_CSP_DIR, "kxc00", 0, &pb, &cb)), 0, "CardReadFile(mscp/kxc00), second context"))
		csp_free(pb);
	info("second context: kxc00 read with %lu cache hits", cache_hits - hits);
	expect_rc(MD(cd2->pfnCardDeleteContext(cd2)), 0, "CardDeleteContext (second context)");
	unwatch(cd2);
	free(cd2);
	BYTE buf[32];
	DWORD len = 0;
	expect_rc(MD(g_cd->pfnCardGetProperty(g_cd, CP_CARD_GUID, buf, sizeof buf, &len, 0)), 0,
	          "CardGetProperty on the first context after deleting the second");
	end();
}

static void t_deauth(void) {
	PCARD_DATA cd = g_cd;
	begin("deauthenticate");
	expect_rc(MD(cd->pfnCardDeauthenticateEx(cd, CREATE_PIN_SET(ROLE_USER), 0)), 0, "CardDeauthenticateEx(PIN 1)");
	CARD_SIGNING_INFO si;
	init_signing(&si, 0, AT_KEYEXCHANGE);
	expect_rc(MD(cd->pfnCardSignData(cd, &si)), SCARD_W_SECURITY_VIOLATION, "CardSignData(container 0) after CardDeauthenticateEx");
	DWORD state = 0xFF, len = 0;
	if (expect_rc(get_prop(cd, CP_CARD_AUTHENTICATED_STATE, (PBYTE)&state, sizeof state, &len, 0), 0,
	              "CardGetProperty(CP_CARD_AUTHENTICATED_STATE)"))
		expect((state & CREATE_PIN_SET(ROLE_USER)) == 0, "PIN 1 still authenticated (state 0x%" PRIX32 ")", state);
	expect_rc(MD(cd->pfnCardDeauthenticateEx(cd, PIN_SET_ALL_ROLES, 0)), 0, "CardDeauthenticateEx(all roles)");
	end();
}

/* ------------------------------------------------------------------------------------------ */
/* Enrollment, as the Base CSP does it                                                          */
/* ------------------------------------------------------------------------------------------ */

/* The card's PIV management key (3DES; --mgm-key HEX), for the admin's challenge/response. */
static BYTE mgm_key[24] = {1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8};

/* The SubjectPublicKeyInfo of a P-256 key up to the point's X coordinate: SEQUENCE, AlgorithmIdentifier
 * (id-ecPublicKey, prime256v1), BIT STRING 00 04. */
static const BYTE spki_p256_prefix[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01, 0x06,
                                        0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04};

/* heap_copy copies data to a heap block of exactly n bytes (valgrind sees reads past it). */
static BYTE *heap_copy(const void *data, size_t n) {
	BYTE *b = malloc(n > 0 ? n : 1);
	if (b != NULL && n > 0)
		memcpy(b, data, n);
	return b;
}

/* read_file reads a whole file through CardReadFile; the caller frees *pb with csp_free. */
static DWORD read_file(PCARD_DATA cd, LPSTR dir, LPSTR name, PBYTE *pb, DWORD *cb) {
	*pb = NULL, *cb = 0;
	return MD(cd->pfnCardReadFile(cd, dir, name, 0, pb, cb));
}

/* write_file is CardWriteFile from an exact-size heap copy. */
static DWORD write_file(PCARD_DATA cd, LPSTR dir, LPSTR name, const void *data, DWORD n) {
	BYTE *b = heap_copy(data, n);
	if (b == NULL)
		return SCARD_E_NO_MEMORY;
	DWORD rc = MD(cd->pfnCardWriteFile(cd, dir, name, 0, b, n));
	free(b);
	return rc;
}

/* admin_login answers the admin's challenge (CardGetChallengeEx(ROLE_ADMIN)) with the 3DES
 * management key (CardAuthenticateChallenge). */
static int admin_login(PCARD_DATA cd) {
	PBYTE ch = NULL;
	DWORD cb = 0;
	if (!expect_rc(MD(cd->pfnCardGetChallengeEx(cd, ROLE_ADMIN, &ch, &cb, 0)), 0, "CardGetChallengeEx(ROLE_ADMIN)"))
		return 0;
	int ok = expect(is_ours(ch), "challenge buffer not from pfnCspAlloc") &&
	         expect(cb == 8, "%" PRIu32 "-byte challenge: the host answers 3DES (8-byte) challenges only", cb);
	BYTE resp[8];
	if (ok)
		des3_encrypt(mgm_key, ch, resp);
	csp_free(ch);
	if (!ok)
		return 0;
	DWORD att = 0;
	return expect_rc(MD(cd->pfnCardAuthenticateChallenge(cd, resp, sizeof resp, &att)), 0, "CardAuthenticateChallenge");
}

/* auth_state reads CP_CARD_AUTHENTICATED_STATE. */
static DWORD auth_state(PCARD_DATA cd) {
	DWORD state = 0, len = 0;
	if (!expect_rc(get_prop(cd, CP_CARD_AUTHENTICATED_STATE, (PBYTE)&state, sizeof state, &len, 0), 0,
	               "CardGetProperty(CP_CARD_AUTHENTICATED_STATE)"))
		return 0;
	return state;
}

static void t_des(void) {
	begin("des_selftest");
	/* FIPS 46 worked example, and the SP 800-67 three-key example. */
	static const BYTE k1[8] = {0x13, 0x34, 0x57, 0x79, 0x9B, 0xBC, 0xDF, 0xF1}, p1[8] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF},
	                  c1[8] = {0x85, 0xE8, 0x13, 0x54, 0x0F, 0x0A, 0xB4, 0x05};
	static const BYTE k3[24] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0x01,
	                            0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0x01, 0x23},
	                  p3[8] = {0x54, 0x68, 0x65, 0x20, 0x71, 0x75, 0x66, 0x63}, c3[8] = {0xA8, 0x26, 0xFD, 0x8C, 0xE5, 0x3B, 0x85, 0x5F};
	BYTE o[8];
	des_encrypt(k1, p1, o);
	expect(memcmp(o, c1, 8) == 0, "DES known answer wrong");
	des3_encrypt(k3, p3, o);
	expect(memcmp(o, c3, 8) == 0, "3DES known answer wrong");
	end();
}

/* t_enroll: what the Base CSP does to enroll a certificate with a new ECDSA P-256 key generated on
 * the card, then the clean-up. With CARDMOD_MGM_POLICY=refuse in the environment (the Go test sets
 * it), first checks that the DLL read the policy: the PIN alone does not allow writes to a card
 * with the default management key. */
static void t_enroll(void) {
	PCARD_DATA cd = g_cd;
	DWORD att = 0;
	PBYTE pb = NULL;
	DWORD cb = 0;
	const char *policy = getenv("CARDMOD_MGM_POLICY");
	int refuse = policy != NULL && strcasecmp(policy, "refuse") == 0;

	begin("enroll_pin");
	expect_rc(MD(cd->pfnCardAuthenticatePin(cd, wszCARD_USER_USER, (PBYTE)pin, (DWORD)strlen(pin), &att)), 0, "CardAuthenticatePin(user)");
	end();

	/* The first free container index, from cmapfile as the Base CSP reads it. */
	BYTE *cmap0 = NULL, *cf0 = NULL;
	DWORD n_cmap0 = 0, n_cf0 = 0;
	BYTE idx = 0xFF;
	begin("enroll_read_cmapfile");
	if (expect_rc(read_file(cd, NULL, szCACHE_FILE, &pb, &cb), 0, "CardReadFile(cardcf)") && expect(cb >= 6, "cardcf of %" PRIu32 " bytes", cb)) {
		cf0 = heap_copy(pb, cb);
		n_cf0 = cb;
	}
	csp_free(pb);
	if (expect_rc(read_file(cd, szBASE_CSP_DIR, szCONTAINER_MAP_FILE, &pb, &cb), 0, "CardReadFile(mscp/cmapfile)") &&
	    expect(cb % sizeof(CONTAINER_MAP_RECORD) == 0, "cmapfile of %" PRIu32 " bytes", cb)) {
		cmap0 = heap_copy(pb, cb);
		n_cmap0 = cb;
		DWORD n = cb / sizeof(CONTAINER_MAP_RECORD);
		for (DWORD i = 0; i < 24 && idx == 0xFF; i++) {
			CONTAINER_MAP_RECORD r;
			if (i < n)
				memcpy(&r, pb + i * sizeof r, sizeof r);
			if (i >= n || (!(r.bFlags & CONTAINER_MAP_VALID_CONTAINER) && r.wszGuid[0] == 0))
				idx = (BYTE)i;
		}
		expect(idx != 0xFF, "no free container index in cmapfile");
		info("enroll: container index %u", idx);
	}
	csp_free(pb);
	end();
	if (cmap0 == NULL || cf0 == NULL || idx == 0xFF) {
		free(cmap0), free(cf0);
		return;
	}

	begin("enroll_policy_refuse");
	if (refuse) {
		expect_rc(MD(cd->pfnCardCreateContainerEx(cd, idx, CARD_CREATE_CONTAINER_KEY_GEN, AT_ECDSA_P256, 256, NULL, ROLE_USER)),
		          SCARD_W_SECURITY_VIOLATION, "CardCreateContainerEx with the PIN only, CARDMOD_MGM_POLICY=refuse");
	} else {
		info("enroll_policy_refuse: CARDMOD_MGM_POLICY is not refuse: not checked");
	}
	end();

	begin("enroll_admin");
	if (admin_login(cd)) {
		DWORD st = auth_state(cd);
		expect((st & CREATE_PIN_SET(ROLE_USER)) && (st & CREATE_PIN_SET(ROLE_ADMIN)),
		       "authenticated state 0x%" PRIX32 ", want ROLE_USER and ROLE_ADMIN", st);
	}
	end();

	begin("enroll_errors");
	expect_rc(MD(cd->pfnCardCreateContainerEx(cd, idx, 3, AT_ECDSA_P256, 256, NULL, ROLE_USER)), SCARD_E_INVALID_PARAMETER,
	          "CardCreateContainerEx(dwFlags 3)");
	expect_rc(MD(cd->pfnCardCreateContainerEx(cd, 24, CARD_CREATE_CONTAINER_KEY_GEN, AT_ECDSA_P256, 256, NULL, ROLE_USER)),
	          SCARD_E_NO_KEY_CONTAINER, "CardCreateContainerEx(index 24)");
	expect_rc(MD(cd->pfnCardWriteFile(cd, szBASE_CSP_DIR, "nofile", 0, (PBYTE)"x", 1)), SCARD_E_FILE_NOT_FOUND, "CardWriteFile(mscp/nofile)");
	expect_rc(MD(cd->pfnCardDeleteContainer(cd, idx, 1)), SCARD_E_INVALID_PARAMETER, "CardDeleteContainer(dwReserved 1)");
	end();

	begin("enroll_create_container");
	int created = expect_rc(MD(cd->pfnCardCreateContainerEx(cd, idx, CARD_CREATE_CONTAINER_KEY_GEN, AT_ECDSA_P256, 256, NULL, ROLE_USER)), 0,
	                        "CardCreateContainerEx(KEY_GEN, AT_ECDSA_P256, PIN 1)");
	end();

	BYTE point[64];
	int have_point = 0;
	if (created) {
		begin("enroll_container_info");
		CONTAINER_INFO ci = {.dwVersion = CONTAINER_INFO_CURRENT_VERSION};
		if (expect_rc(MD(cd->pfnCardGetContainerInfo(cd, idx, 0, &ci)), 0, "CardGetContainerInfo(new container)")) {
			const BYTE *b = ci.pbSigPublicKey;
			expect(ci.pbKeyExPublicKey == NULL, "an ECDSA container with a key exchange blob");
			if (expect(b != NULL && is_ours(b) && ci.cbSigPublicKey == 72, "%" PRIu32 "-byte ECDSA blob (from pfnCspAlloc?), want 72",
			           ci.cbSigPublicKey) &&
			    expect(le32(b) == BCRYPT_ECDSA_PUBLIC_P256_MAGIC && le32(b + 4) == 32, "magic 0x%08" PRIX32 " cbKey %" PRIu32, le32(b),
			           le32(b + 4))) {
				memcpy(point, b + 8, 64);
				have_point = 1;
				write_out("enroll_container.blob", b, ci.cbSigPublicKey);
			}
			csp_free(ci.pbSigPublicKey);
			csp_free(ci.pbKeyExPublicKey);
		}
		end();
	}

	/* The certificate: the template the Go test made (a P-256 certificate) with the card's point
	 * in its SubjectPublicKeyInfo. The minidriver checks that a certificate carries its
	 * container's key, not who signed it. */
	char cert_name[8];
	snprintf(cert_name, sizeof cert_name, "%s%02x", szUSER_SIGNATURE_CERT_PREFIX, idx);
	static BYTE cert[4096];
	long n_cert = -1;
	int cert_written = 0;
	if (have_point) {
		begin("enroll_certificate");
		n_cert = read_in("cert_template.der", cert, sizeof cert);
		BYTE *at = NULL;
		for (long i = 0; n_cert > 0 && i + (long)sizeof spki_p256_prefix + 64 <= n_cert && at == NULL; i++)
			if (memcmp(cert + i, spki_p256_prefix, sizeof spki_p256_prefix) == 0)
				at = cert + i + sizeof spki_p256_prefix;
		if (expect(at != NULL, "cert_template.der holds no P-256 SubjectPublicKeyInfo")) {
			memcpy(at, point, 64);
			if (expect_rc(MD(cd->pfnCardCreateFile(cd, szBASE_CSP_DIR, cert_name, (DWORD)n_cert, EveryoneReadUserWriteAc)), 0,
			              "CardCreateFile(mscp/kscNN)") &&
			    expect_rc(write_file(cd, szBASE_CSP_DIR, cert_name, cert, (DWORD)n_cert), 0, "CardWriteFile(mscp/kscNN)")) {
				cert_written = 1;
				write_out("enroll_cert.der", cert, (size_t)n_cert);
			}
		}
		end();
	}

	/* cmapfile with the new record, then cardcf bumped, as the Base CSP writes them. */
	static const char name[] = "{8C1F2D3E-4A5B-4C6D-8E7F-90A1B2C3D4E5}";
	if (created) {
		begin("enroll_cmapfile");
		DWORD n = n_cmap0 / sizeof(CONTAINER_MAP_RECORD);
		if ((DWORD)idx + 1 > n)
			n = (DWORD)idx + 1;
		CONTAINER_MAP_RECORD *recs = calloc(n, sizeof *recs);
		if (expect(recs != NULL, "out of memory")) {
			memcpy(recs, cmap0, n_cmap0);
			CONTAINER_MAP_RECORD *r = &recs[idx];
			memset(r, 0, sizeof *r);
			for (size_t i = 0; name[i] != 0; i++)
				r->wszGuid[i] = (WCHAR)name[i];
			r->bFlags = CONTAINER_MAP_VALID_CONTAINER;
			r->wSigKeySizeBits = 256;
			expect_rc(write_file(cd, szBASE_CSP_DIR, szCONTAINER_MAP_FILE, recs, n * (DWORD)sizeof *recs), 0, "CardWriteFile(mscp/cmapfile)");
			free(recs);
		}
		if (expect_rc(read_file(cd, NULL, szCACHE_FILE, &pb, &cb), 0, "CardReadFile(cardcf)") && expect(cb >= 6, "cardcf of %" PRIu32 " bytes", cb)) {
			BYTE *cf = heap_copy(pb, cb);
			if (cf != NULL) {
				WORD c = (WORD)(le16(cf + 2) + 1), f = (WORD)(le16(cf + 4) + 1);
				cf[2] = (BYTE)c, cf[3] = (BYTE)(c >> 8), cf[4] = (BYTE)f, cf[5] = (BYTE)(f >> 8);
				expect_rc(write_file(cd, NULL, szCACHE_FILE, cf, cb), 0, "CardWriteFile(cardcf)");
				free(cf);
			}
		}
		csp_free(pb);
		end();
	}
	expect_rc(MD(cd->pfnCardDeauthenticateEx(cd, PIN_SET_ALL_ROLES, 0)), 0, "CardDeauthenticateEx(all roles)");

	/* Another context (another process, for the Base CSP) sees the new container. */
	if (created) {
		begin("enroll_second_context");
		PCARD_DATA cd3 = malloc(sizeof *cd3);
		if (expect(cd3 != NULL, "out of memory")) {
			fill_card_data(cd3, 7);
			if (expect_rc(acquire(cd3, 0), 0, "CardAcquireContext (enrollment check)")) {
				watch(cd3);
				if (expect_rc(read_file(cd3, NULL, szCACHE_FILE, &pb, &cb), 0, "CardReadFile(cardcf)"))
					expect(cb != n_cf0 || memcmp(pb, cf0, cb) != 0, "cardcf unchanged by the enrollment");
				csp_free(pb);
				if (expect_rc(read_file(cd3, szBASE_CSP_DIR, szCONTAINER_MAP_FILE, &pb, &cb), 0, "CardReadFile(mscp/cmapfile)") &&
				    expect(cb >= ((DWORD)idx + 1) * sizeof(CONTAINER_MAP_RECORD), "cmapfile of %" PRIu32 " bytes", cb)) {
					CONTAINER_MAP_RECORD r;
					memcpy(&r, pb + idx * sizeof r, sizeof r);
					int same = (r.bFlags & CONTAINER_MAP_VALID_CONTAINER) && r.wSigKeySizeBits == 256;
					for (size_t i = 0; same && i <= strlen(name); i++)
						same = r.wszGuid[i] == (WCHAR)name[i];
					expect(same, "cmapfile record %u is not the one written", idx);
				}
				csp_free(pb);
				CONTAINER_INFO ci = {.dwVersion = CONTAINER_INFO_CURRENT_VERSION};
				if (expect_rc(MD(cd3->pfnCardGetContainerInfo(cd3, idx, 0, &ci)), 0, "CardGetContainerInfo(new container)"))
					expect(have_point && ci.cbSigPublicKey == 72 && memcmp(ci.pbSigPublicKey + 8, point, 64) == 0,
					       "another context sees a different public key");
				csp_free(ci.pbSigPublicKey);
				csp_free(ci.pbKeyExPublicKey);
				if (cert_written) {
					if (expect_rc(read_file(cd3, szBASE_CSP_DIR, cert_name, &pb, &cb), 0, "CardReadFile(mscp/kscNN)"))
						expect(cb == (DWORD)n_cert && memcmp(pb, cert, cb) == 0, "the certificate read back differs from the one written");
					csp_free(pb);
					LPSTR m = NULL;
					DWORD mn = 0;
					if (expect_rc(MD(cd3->pfnCardEnumFiles(cd3, szBASE_CSP_DIR, &m, &mn, 0)), 0, "CardEnumFiles(mscp)"))
						expect(multi_has(m, mn, cert_name), "mscp does not list %s", cert_name);
					csp_free(m);
				}
				expect_rc(MD(cd3->pfnCardAuthenticatePin(cd3, wszCARD_USER_USER, (PBYTE)pin, (DWORD)strlen(pin), &att)), 0,
				          "CardAuthenticatePin(user)");
				CARD_SIGNING_INFO si;
				init_signing(&si, idx, AT_ECDSA_P256);
				if (expect_rc(MD(cd3->pfnCardSignData(cd3, &si)), 0, "CardSignData(new container)")) {
					if (expect(si.cbSignedData == 64 && is_ours(si.pbSignedData), "%" PRIu32 "-byte signature, want r||s = 64", si.cbSignedData))
						write_out("sig_enroll.bin", si.pbSignedData, si.cbSignedData);
					csp_free(si.pbSignedData);
				}
				expect_rc(MD(cd3->pfnCardDeauthenticateEx(cd3, PIN_SET_ALL_ROLES, 0)), 0, "CardDeauthenticateEx(all roles)");
				expect_rc(MD(cd3->pfnCardDeleteContext(cd3)), 0, "CardDeleteContext (enrollment check)");
				unwatch(cd3);
			}
			free(cd3);
		}
		end();
	}

	/* Clean-up: the certificate file, the container, cmapfile as it was. */
	begin("enroll_cleanup");
	expect_rc(MD(cd->pfnCardAuthenticatePin(cd, wszCARD_USER_USER, (PBYTE)pin, (DWORD)strlen(pin), &att)), 0, "CardAuthenticatePin(user)");
	admin_login(cd);
	if (cert_written)
		expect_rc(MD(cd->pfnCardDeleteFile(cd, szBASE_CSP_DIR, cert_name, 0)), 0, "CardDeleteFile(mscp/kscNN)");
	if (created)
		expect_rc(MD(cd->pfnCardDeleteContainer(cd, idx, 0)), 0, "CardDeleteContainer(new container)");
	expect_rc(write_file(cd, szBASE_CSP_DIR, szCONTAINER_MAP_FILE, cmap0, n_cmap0), 0, "CardWriteFile(mscp/cmapfile), the original");
	if (expect_rc(read_file(cd, szBASE_CSP_DIR, szCONTAINER_MAP_FILE, &pb, &cb), 0, "CardReadFile(mscp/cmapfile)"))
		expect(cb == n_cmap0 && memcmp(pb, cmap0, cb) == 0, "cmapfile after the clean-up differs from the original");
	csp_free(pb);
	CONTAINER_INFO ci = {.dwVersion = CONTAINER_INFO_CURRENT_VERSION};
	expect_rc(MD(cd->pfnCardGetContainerInfo(cd, idx, 0, &ci)), SCARD_E_NO_KEY_CONTAINER, "CardGetContainerInfo(deleted container)");
	pb = NULL;
	expect_rc(read_file(cd, szBASE_CSP_DIR, cert_name, &pb, &cb), SCARD_E_FILE_NOT_FOUND, "CardReadFile(deleted certificate)");
	expect_rc(MD(cd->pfnCardDeauthenticateEx(cd, PIN_SET_ALL_ROLES, 0)), 0, "CardDeauthenticateEx(all roles)");
	expect(auth_state(cd) == 0, "still authenticated after CardDeauthenticateEx");
	end();
	free(cmap0);
	free(cf0);
}

/* ------------------------------------------------------------------------------------------ */
/* ECDH: an agreement of the 9E key (container 3, P-384) with the peer key the Go test wrote     */
/* (dh_peer.blob), keys derived from it, a key handle, KDF_SECRET_HANDLE through the callback    */
/* ------------------------------------------------------------------------------------------ */

struct kdf_param {
	DWORD type;
	const void *data;
	DWORD cb;
};

/* derive is CardDeriveKey(HASH) with a CARD_DERIVE_KEY of exactly the size a caller of that
 * version allocates (version 1 ends at cbDerivedKey) and the parameter list, its array and every
 * buffer in heap blocks of exactly their size, so that valgrind sees any read past them. */
static DWORD derive(PCARD_DATA cd, DWORD version, DWORD flags, BYTE idx, const struct kdf_param *ps, int n, LPCWSTR alg, DWORD key_len,
                    PBYTE *key, DWORD *cb_key, CARD_KEY_HANDLE *hkey) {
	size_t size = version >= CARD_DERIVE_KEY_VERSION_TWO ? sizeof(CARD_DERIVE_KEY) : offsetof(CARD_DERIVE_KEY, pwszAlgId);
	CARD_DERIVE_KEY *dk = calloc(1, size);
	BCryptBufferDesc *desc = malloc(sizeof *desc);
	BCryptBuffer *bufs = malloc((size_t)(n > 0 ? n : 1) * sizeof *bufs);
	BYTE *data[4] = {0};
	LPWSTR kdf = (LPWSTR)heap_copy(BCRYPT_KDF_HASH, sizeof BCRYPT_KDF_HASH);
	LPWSTR alg_copy = NULL;
	DWORD rc = SCARD_E_NO_MEMORY;
	if (dk == NULL || desc == NULL || bufs == NULL || kdf == NULL || n > 4)
		goto out;
	for (int i = 0; i < n; i++) {
		data[i] = heap_copy(ps[i].data, ps[i].cb);
		if (data[i] == NULL)
			goto out;
		bufs[i].cbBuffer = ps[i].cb;
		bufs[i].BufferType = ps[i].type;
		bufs[i].pvBuffer = data[i];
	}
	desc->ulVersion = BCRYPTBUFFER_VERSION;
	desc->cBuffers = (ULONG)n;
	desc->pBuffers = bufs;
	dk->dwVersion = version;
	dk->dwFlags = flags;
	dk->pwszKDF = kdf;
	dk->bSecretAgreementIndex = idx;
	dk->pParameterList = desc;
	if (version >= CARD_DERIVE_KEY_VERSION_TWO) {
		if (alg != NULL) {
			size_t units = 0;
			while (alg[units] != 0)
				units++;
			alg_copy = (LPWSTR)heap_copy(alg, (units + 1) * sizeof(WCHAR));
			if (alg_copy == NULL)
				goto out;
		}
		dk->pwszAlgId = alg_copy;
		dk->dwKeyLen = key_len;
	}
	rc = MD(cd->pfnCardDeriveKey(cd, dk));
	*key = dk->pbDerivedKey;
	*cb_key = dk->cbDerivedKey;
	if (hkey != NULL)
		*hkey = version >= CARD_DERIVE_KEY_VERSION_TWO ? dk->hKey : 0;
out:
	for (int i = 0; i < 4; i++)
		free(data[i]);
	free(alg_copy), free(kdf), free(bufs), free(desc), free(dk);
	return rc;
}

/* The expected number of pfnCspGetDHAgreement calls. */
static unsigned long dh_calls_expected;

static void t_dh(void) {
	PCARD_DATA cd = g_cd;
	BYTE peer[256];
	static const WCHAR sha256_name[] = CARDMOD_WSTR("SHA256");
	const struct kdf_param sha256 = {KDF_HASH_ALGORITHM, sha256_name, sizeof sha256_name};
	unsigned long live0 = allocs_made - allocs_freed;
	DWORD att = 0;

	begin("dh_agreement");
	long n_peer = read_in("dh_peer.blob", peer, sizeof peer);
	if (!expect(n_peer == 8 + 2 * 48, "dh_peer.blob: %ld bytes, want a P-384 BCRYPT_ECCPUBLIC_BLOB (104)", n_peer)) {
		end();
		return;
	}
	expect_rc(MD(cd->pfnCardAuthenticatePin(cd, wszCARD_USER_USER, (PBYTE)pin, (DWORD)strlen(pin), &att)), 0, "CardAuthenticatePin(user)");
	CARD_DH_AGREEMENT_INFO *ai = calloc(1, sizeof *ai);
	BYTE *pub = heap_copy(peer, (size_t)n_peer);
	if (!expect(ai != NULL && pub != NULL, "out of memory")) {
		free(ai), free(pub);
		end();
		return;
	}
	ai->dwVersion = 1;
	ai->bContainerIndex = 3;
	ai->dwPublicKey = (DWORD)n_peer;
	ai->pbPublicKey = pub;
	expect_rc(MD(cd->pfnCardConstructDHAgreement(cd, ai)), ERROR_REVISION_MISMATCH, "CardConstructDHAgreement(version 1)");
	ai->dwVersion = CARD_DH_AGREEMENT_INFO_VERSION;
	pub[n_peer - 1] ^= 1;
	expect_rc(MD(cd->pfnCardConstructDHAgreement(cd, ai)), SCARD_E_INVALID_PARAMETER, "CardConstructDHAgreement(a point not on the curve)");
	pub[n_peer - 1] ^= 1;
	ai->bContainerIndex = 0;
	expect_rc(MD(cd->pfnCardConstructDHAgreement(cd, ai)), SCARD_E_INVALID_PARAMETER, "CardConstructDHAgreement(RSA container 0)");
	ai->bContainerIndex = 3;
	int have = expect_rc(MD(cd->pfnCardConstructDHAgreement(cd, ai)), 0, "CardConstructDHAgreement(container 3, P-384)");
	BYTE idx = ai->bSecretAgreementIndex;
	free(pub), free(ai);
	if (have)
		info("dh agreement index %u", idx);
	expect(allocs_made - allocs_freed == live0, "CardConstructDHAgreement left %lu buffers", allocs_made - allocs_freed - live0);
	end();
	if (!have)
		return;

	begin("dh_derive_sha256");
	PBYTE key = NULL;
	DWORD cb = 0;
	unsigned long before = allocs_made;
	if (expect_rc(derive(cd, 2, CARD_BUFFER_SIZE_ONLY, idx, &sha256, 1, NULL, 0, &key, &cb, NULL), 0, "CardDeriveKey(HASH SHA256, CARD_BUFFER_SIZE_ONLY)"))
		expect(key == NULL && cb == 32 && allocs_made == before, "size only: pbDerivedKey %p, cbDerivedKey %" PRIu32 ", %lu allocations", (void *)key, cb,
		       allocs_made - before);
	BYTE key_v2[32] = {0};
	if (expect_rc(derive(cd, 2, 0, idx, &sha256, 1, NULL, 0, &key, &cb, NULL), 0, "CardDeriveKey(HASH SHA256)")) {
		if (expect(key != NULL && is_ours(key) && cb == 32, "pbDerivedKey %p (from pfnCspAlloc: %d), cbDerivedKey %" PRIu32, (void *)key,
		           key != NULL && is_ours(key), cb)) {
			memcpy(key_v2, key, 32);
			/* The key goes to a file for the Go test to compare, never to the output. */
			write_out("dh_sha256.bin", key, cb);
		}
		csp_free(key);
	}
	key = NULL;
	if (expect_rc(derive(cd, 1, 0, idx, &sha256, 1, NULL, 0, &key, &cb, NULL), 0, "CardDeriveKey(version 1 structure, HASH SHA256)")) {
		expect(key != NULL && cb == 32 && memcmp(key, key_v2, 32) == 0, "the version 1 structure gives another key");
		csp_free(key);
	}
	static const BYTE bad_type[] = {1};
	const struct kdf_param unknown = {0x99, bad_type, sizeof bad_type};
	key = NULL;
	expect_rc(derive(cd, 2, 0, idx, &unknown, 1, NULL, 0, &key, &cb, NULL), SCARD_E_INVALID_PARAMETER, "CardDeriveKey(parameter type 0x99)");
	expect(key == NULL, "a failed CardDeriveKey returned a buffer");
	end();

	/* KDF_SECRET_HANDLE: the NCRYPT_SECRET_HANDLE (pointer-sized) names the agreement through
	 * pfnCspGetDHAgreement, whatever bSecretAgreementIndex says. */
	begin("dh_secret_handle");
	dh_secret_index = idx, dh_secret_live = 1, dh_secret_cd = cd;
	PVOID handle = &dh_secret;
	struct kdf_param with_handle[2] = {sha256, {KDF_SECRET_HANDLE, &handle, sizeof handle}};
	key = NULL;
	if (expect_rc(derive(cd, 2, 0, (BYTE)(idx ^ 0x5A), with_handle, 2, NULL, 0, &key, &cb, NULL), 0, "CardDeriveKey(KDF_SECRET_HANDLE)")) {
		expect(key != NULL && cb == 32 && memcmp(key, key_v2, 32) == 0, "the secret handle gives another key than its agreement's index");
		csp_free(key);
	}
	dh_calls_expected++;
	PVOID other = &dh_secret_live;
	with_handle[1].data = &other;
	key = NULL;
	expect_rc(derive(cd, 2, 0, idx, with_handle, 2, NULL, 0, &key, &cb, NULL), SCARD_E_INVALID_PARAMETER, "CardDeriveKey(an unknown secret handle)");
	expect(key == NULL, "a failed CardDeriveKey returned a buffer");
	dh_calls_expected++;
	dh_secret_live = 0;
	expect(dh_calls == dh_calls_expected, "pfnCspGetDHAgreement called %lu times, want %lu", dh_calls, dh_calls_expected);
	end();

	begin("dh_key_handle");
	CARD_KEY_HANDLE hk = 0;
	key = NULL;
	before = allocs_made;
	if (expect_rc(derive(cd, 2, CARD_RETURN_KEY_HANDLE, idx, &sha256, 1, BCRYPT_AES_ALGORITHM, 256, &key, &cb, &hk), 0,
	              "CardDeriveKey(CARD_RETURN_KEY_HANDLE, AES-256)")) {
		expect(hk != 0 && key == NULL && allocs_made == before, "hKey %#" PRIxPTR ", pbDerivedKey %p", (uintptr_t)hk, (void *)key);
		BYTE *bl = malloc(4);
		DWORD len = 0;
		if (bl != NULL && expect_rc(MD(cd->pfnCardGetKeyProperty(cd, hk, CKP_BLOCK_LENGTH, bl, 4, &len, 0)), 0, "CardGetKeyProperty(CKP_BLOCK_LENGTH)"))
			expect(len == 4 && le32(bl) == 16, "block length %" PRIu32 " (%" PRIu32 " bytes), want 16", le32(bl), len);
		free(bl);
		expect_rc(MD(cd->pfnCardDestroyKey(cd, hk)), 0, "CardDestroyKey");
		expect_rc(MD(cd->pfnCardDestroyKey(cd, hk)), SCARD_E_INVALID_HANDLE, "CardDestroyKey, twice");
		BYTE buf[32];
		expect_rc(MD(cd->pfnCardGetKeyProperty(cd, hk, CKP_BLOCK_LENGTH, buf, sizeof buf, &len, 0)), SCARD_E_INVALID_HANDLE,
		          "CardGetKeyProperty(a destroyed key)");
	}
	key = NULL;
	expect_rc(derive(cd, 2, CARD_RETURN_KEY_HANDLE, idx, &sha256, 1, CARDMOD_WSTR("RC4"), 128, &key, &cb, &hk), SCARD_E_INVALID_PARAMETER,
	          "CardDeriveKey(CARD_RETURN_KEY_HANDLE, RC4)");
	CARD_KEY_SIZES *ks = malloc(sizeof *ks);
	DWORD len = 0;
	if (ks != NULL && expect_rc(MD(cd->pfnCardGetAlgorithmProperty(cd, BCRYPT_AES_ALGORITHM, CP_CARD_KEYSIZES, (PBYTE)ks, sizeof *ks, &len, 0)), 0,
	                            "CardGetAlgorithmProperty(AES, CP_CARD_KEYSIZES)"))
		expect(len == sizeof *ks && ks->dwMinimumBitlen == 128 && ks->dwDefaultBitlen == 256 && ks->dwMaximumBitlen == 256 && ks->dwIncrementalBitlen == 64,
		       "AES key sizes %" PRIu32 "/%" PRIu32 "/%" PRIu32 "/%" PRIu32, ks->dwMinimumBitlen, ks->dwDefaultBitlen, ks->dwMaximumBitlen,
		       ks->dwIncrementalBitlen);
	free(ks);
	BYTE buf[32];
	expect_rc(MD(cd->pfnCardGetAlgorithmProperty(cd, BCRYPT_AES_ALGORITHM, CP_CHAINING_MODES, buf, sizeof buf, &len, 0)), SCARD_E_INVALID_PARAMETER,
	          "CardGetAlgorithmProperty(AES, CP_CHAINING_MODES)");
	expect_rc(MD(cd->pfnCardGetKeyProperty(cd, 1, CKP_BLOCK_LENGTH, buf, sizeof buf, &len, 0)), SCARD_E_INVALID_HANDLE, "CardGetKeyProperty(handle 1)");
	expect_rc(MD(cd->pfnCardSetKeyProperty(cd, 1, CKP_INITIALIZATION_VECTOR, buf, 16, 0)), SCARD_E_INVALID_HANDLE, "CardSetKeyProperty(handle 1)");
	end();

	begin("dh_destroy");
	expect_rc(MD(cd->pfnCardDestroyDHAgreement(cd, idx, 1)), SCARD_E_INVALID_PARAMETER, "CardDestroyDHAgreement(dwFlags 1)");
	expect_rc(MD(cd->pfnCardDestroyDHAgreement(cd, idx, 0)), 0, "CardDestroyDHAgreement");
	key = NULL;
	expect_rc(derive(cd, 2, 0, idx, &sha256, 1, NULL, 0, &key, &cb, NULL), SCARD_E_INVALID_PARAMETER, "CardDeriveKey(a destroyed agreement)");
	expect(key == NULL, "a failed CardDeriveKey returned a buffer");
	expect_rc(MD(cd->pfnCardDestroyDHAgreement(cd, idx, 0)), SCARD_E_INVALID_PARAMETER, "CardDestroyDHAgreement, twice");
	expect_rc(MD(cd->pfnCardDeauthenticateEx(cd, PIN_SET_ALL_ROLES, 0)), 0, "CardDeauthenticateEx(all roles)");
	expect(allocs_made - allocs_freed == live0, "the ECDH checks left %lu buffers", allocs_made - allocs_freed - live0);
	end();
}

/* The secure key injection functions not offered: SCARD_E_UNSUPPORTED_FEATURE, no buffer. */
static void t_stubs(void) {
	PCARD_DATA cd = g_cd;
	begin("unsupported_stubs");
	CARD_KEY_HANDLE hk = 0;
	BYTE in[16] = {0};
	expect_rc(MD(cd->pfnMDImportSessionKey(cd, BCRYPT_KEY_DATA_BLOB, BCRYPT_AES_ALGORITHM, &hk, in, sizeof in)), SCARD_E_UNSUPPORTED_FEATURE,
	          "MDImportSessionKey");
	PCARD_ENCRYPTED_DATA ed = NULL;
	DWORD ned = 0;
	expect_rc(MD(cd->pfnMDEncryptData(cd, 1, CSF_AUTHENTICATE, in, sizeof in, 0, &ed, &ned)), SCARD_E_UNSUPPORTED_FEATURE, "MDEncryptData");
	expect(ed == NULL, "MDEncryptData returned a buffer");
	PBYTE out = NULL;
	DWORD cb_out = 0;
	expect_rc(MD(cd->pfnCardGetSharedKeyHandle(cd, in, sizeof in, &out, &cb_out, &hk)), SCARD_E_UNSUPPORTED_FEATURE, "CardGetSharedKeyHandle");
	expect(out == NULL, "CardGetSharedKeyHandle returned a buffer");
	expect_rc(MD(cd->pfnCardImportSessionKey(cd, 2, NULL, BCRYPT_KEY_DATA_BLOB, BCRYPT_AES_ALGORITHM, &hk, in, sizeof in, 0)),
	          SCARD_E_UNSUPPORTED_FEATURE, "CardImportSessionKey");
	BYTE buf[32];
	DWORD len = 0;
	CARD_ENCRYPTED_DATA e1 = {.pbEncryptedData = in, .cbEncryptedData = sizeof in};
	expect_rc(MD(cd->pfnCardProcessEncryptedData(cd, 1, CSF_AUTHENTICATE, &e1, 1, buf, sizeof buf, &len, 0)), SCARD_E_UNSUPPORTED_FEATURE,
	          "CardProcessEncryptedData");
	end();
}

static void t_delete(void) {
	PCARD_DATA cd = g_cd;
	begin("delete_context");
	expect_rc(MD(cd->pfnCardDeleteContext(cd)), 0, "CardDeleteContext");
	unwatch(cd);
	BYTE buf[32];
	DWORD len = 0;
	expect_rc(MD(g_cd->pfnCardGetProperty(g_cd, CP_CARD_GUID, buf, sizeof buf, &len, 0)), SCARD_E_INVALID_PARAMETER,
	          "CardGetProperty after CardDeleteContext");
	expect_rc(MD(g_cd->pfnCardDeleteContext(g_cd)), SCARD_E_INVALID_PARAMETER, "CardDeleteContext, twice");
	free(g_cd);
	g_cd = NULL;
	end();
}

static void t_no_card_mode(void) {
	begin("no_card_mode");
	CARD_DATA cd;
	memset(&cd, 0, sizeof cd);
	cd.dwVersion = 7;
	cd.pfnCspAlloc = csp_alloc;
	cd.pfnCspReAlloc = csp_realloc;
	cd.pfnCspFree = csp_free;
	cd.pfnCspGetDHAgreement = csp_get_dh;
	cd.pfnCspUnpadData = sentinel_unpad;
	if (expect_rc(acquire_fn(&cd, CARD_SECURE_KEY_INJECTION_NO_CARD_MODE), 0, "CardAcquireContext(no-card mode)")) {
		expect(cd.pfnCspGetDHAgreement == csp_get_dh && cd.pfnCspUnpadData == sentinel_unpad, "caller slots overwritten");
		BYTE buf[32];
		DWORD len = 0;
		expect_rc(cd.pfnCardGetProperty(&cd, CP_CARD_GUID, buf, sizeof buf, &len, 0), SCARD_E_INVALID_PARAMETER,
		          "CardGetProperty in no-card mode");
		expect_rc(cd.pfnCardDestroyKey(&cd, 1), SCARD_E_INVALID_HANDLE, "CardDestroyKey(unknown handle) in no-card mode");
		CARD_KEY_SIZES ks;
		memset(&ks, 0, sizeof ks);
		len = 0;
		if (expect_rc(cd.pfnCardGetAlgorithmProperty(&cd, BCRYPT_AES_ALGORITHM, CP_CARD_KEYSIZES, (PBYTE)&ks, sizeof ks, &len, 0), 0,
		              "CardGetAlgorithmProperty(AES, CP_CARD_KEYSIZES) in no-card mode"))
			expect(len == sizeof ks && ks.dwMinimumBitlen == 128 && ks.dwMaximumBitlen == 256, "AES key sizes %" PRIu32 "..%" PRIu32 " (%" PRIu32 " bytes)",
			       ks.dwMinimumBitlen, ks.dwMaximumBitlen, len);
		expect_rc(cd.pfnCardDeleteContext(&cd), 0, "CardDeleteContext (no-card mode)");
	}
	end();
}

static void t_callbacks(void) {
	begin("caller_slots_untouched");
	info("CARD_DATA checked after %lu calls; caller-slot violations: %lu", calls_made, invariant_violations);
	expect(invariant_violations == 0, "%lu violations (see above)", invariant_violations);
	end();
	begin("sentinel_callbacks_unused");
	expect(pad_calls == 0 && unpad_calls == 0, "pfnCspPadData %lu, pfnCspUnpadData %lu calls", pad_calls, unpad_calls);
	end();
	begin("dh_callback_calls");
	expect(dh_calls == dh_calls_expected, "pfnCspGetDHAgreement called %lu times, want %lu (once per KDF_SECRET_HANDLE)", dh_calls, dh_calls_expected);
	end();
	info("cache: %lu adds, %lu hits, %lu misses, %lu deletes", cache_adds, cache_hits, cache_misses, cache_deletes);
}

static void t_allocations(void) {
	begin("allocations");
	printf("allocations: %lu made, %lu freed, %zu live\n", allocs_made, allocs_freed, n_live);
	info("reallocs: %lu; frees of foreign pointers: %lu", reallocs, foreign_frees);
	expect(n_live == 0 && allocs_made == allocs_freed, "%zu buffers still live", n_live);
	expect(foreign_frees == 0, "%lu frees of pointers not from pfnCspAlloc", foreign_frees);
	end();
}

/* ------------------------------------------------------------------------------------------ */
/* Bench mode                                                                                  */
/* ------------------------------------------------------------------------------------------ */

static int bench(const char *path, long iterations) {
	long rss0 = vm_rss_kb();
	uint32_t rc = pc_begin(pc_card);
	if (rc != 0) {
		fprintf(stderr, "SCardBeginTransaction: %s\n", pc_strerror(rc));
		return 1;
	}
	double t0 = now_ns();
	lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (lib == NULL) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 1;
	}
	acquire_fn = (PFN_CARD_ACQUIRE_CONTEXT)dlsym(lib, "CardAcquireContext");
	double t1 = now_ns();
	CARD_DATA cd;
	fill_card_data(&cd, 7);
	DWORD r = acquire_fn(&cd, 0);
	double t2 = now_ns();
	pc_end(pc_card);
	if (r != 0) {
		fprintf(stderr, "CardAcquireContext: 0x%08" PRIX32 "\n", r);
		return 1;
	}
	long rss1 = vm_rss_kb();
	printf("BENCH dlopen %.3f ms\n", (t1 - t0) / 1e6);
	printf("BENCH first_acquire %.3f ms\n", (t2 - t1) / 1e6);
	printf("BENCH load %.3f ms\n", (t2 - t0) / 1e6);
	printf("BENCH rss_before_dlopen %ld kB\n", rss0);
	printf("BENCH rss_after_acquire %ld kB\n", rss1);
	printf("BENCH rss_added %ld kB\n", rss1 - rss0);

	/* Warm context: one transaction around the loop (a transaction per call would measure
	 * pcscd's round trips, not the ABI). The first call reads the CHUID; later ones do not
	 * touch the card. */
	BYTE buf[32];
	DWORD len = 0;
	pc_begin(pc_card);
	r = cd.pfnCardGetProperty(&cd, CP_CARD_GUID, buf, sizeof buf, &len, 0);
	if (r != 0 || len != 16) {
		fprintf(stderr, "CardGetProperty(CP_CARD_GUID): 0x%08" PRIX32 "\n", r);
		pc_end(pc_card);
		return 1;
	}
	for (long i = 0; i < 1000; i++) /* warm-up */
		cd.pfnCardGetProperty(&cd, CP_CARD_GUID, buf, sizeof buf, &len, 0);
	unsigned long errors = 0;
	double t3 = now_ns();
	for (long i = 0; i < iterations; i++)
		errors += cd.pfnCardGetProperty(&cd, CP_CARD_GUID, buf, sizeof buf, &len, 0) != 0;
	double t4 = now_ns();
	/* The cheapest possible call: rejected at once (NULL pCardData), still a full C->Go->C
	 * round trip. */
	for (long i = 0; i < iterations; i++)
		errors += cd.pfnCardGetProperty(NULL, CP_CARD_GUID, buf, sizeof buf, &len, 0) != SCARD_E_INVALID_PARAMETER;
	double t5 = now_ns();
	pc_end(pc_card);
	printf("BENCH iterations %ld calls\n", iterations);
	printf("BENCH abi_get_property_guid %.1f ns/call\n", (t4 - t3) / (double)iterations);
	printf("BENCH abi_null_call %.1f ns/call\n", (t5 - t4) / (double)iterations);
	printf("BENCH call_errors %lu calls\n", errors);
	r = cd.pfnCardDeleteContext(&cd);
	printf("BENCH live_allocations %zu buffers\n", n_live);
	return errors != 0 || r != 0;
}

/* ------------------------------------------------------------------------------------------ */

static void usage(void) {
	fprintf(stderr, "usage: host --lib PATH --reader NAME [--in-dir DIR] [--out-dir DIR] [--pin PIN] [--mgm-key HEX24]\n"
	                "       host --bench [--iterations N] --lib PATH --reader NAME\n");
	exit(2);
}

int main(int argc, char **argv) {
	const char *lib_path = NULL, *reader = NULL;
	int bench_mode = 0;
	long iterations = 200000;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--bench") == 0) {
			bench_mode = 1;
			continue;
		}
		if (v == NULL)
			usage();
		if (strcmp(a, "--lib") == 0)
			lib_path = v;
		else if (strcmp(a, "--reader") == 0)
			reader = v;
		else if (strcmp(a, "--in-dir") == 0)
			in_dir = v;
		else if (strcmp(a, "--out-dir") == 0)
			out_dir = v;
		else if (strcmp(a, "--pin") == 0)
			pin = v;
		else if (strcmp(a, "--iterations") == 0)
			iterations = strtol(v, NULL, 10);
		else if (strcmp(a, "--mgm-key") == 0) {
			if (strlen(v) != 48)
				usage();
			for (int j = 0; j < 24; j++) {
				unsigned x;
				if (sscanf(v + 2 * j, "%2x", &x) != 1)
					usage();
				mgm_key[j] = (BYTE)x;
			}
		}
		else
			usage();
		i++;
	}
	if (lib_path == NULL || reader == NULL || iterations < 1)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);

	uint32_t rc = pc_establish(&pc_ctx);
	if (rc != 0) {
		printf("FAIL pcsc: SCardEstablishContext: 0x%08" PRIX32 " (%s)\n0 passed, 1 failed\n", rc, pc_strerror(rc));
		return 1;
	}
	size_t n = sizeof atr;
	rc = pc_connect(pc_ctx, reader, &pc_card, atr, &n);
	if (rc != 0) {
		printf("FAIL pcsc: SCardConnect(%s): 0x%08" PRIX32 " (%s)\n0 passed, 1 failed\n", reader, rc, pc_strerror(rc));
		pc_release(pc_ctx);
		return 1;
	}
	atr_len = (DWORD)n;

	if (bench_mode) {
		int status = bench(lib_path, iterations);
		pc_disconnect(pc_card);
		pc_release(pc_ctx);
		return status;
	}

	sha256(message, sizeof message - 1, digest);
	write_out("message.bin", message, sizeof message - 1);
	t_sha256();
	t_des();
	t_layout();
	t_load(lib_path);
	if (acquire_fn != NULL) {
		t_acquire_errors();
		t_versions();
		if (t_acquire_main()) {
			t_capabilities();
			t_properties();
			t_files();
			t_containers();
			t_errors();
			t_pin();
			t_sign();
			t_decrypt();
			t_ecdsa();
			t_second_context();
			t_deauth();
			t_enroll();
			t_dh();
			t_stubs();
			t_delete();
		}
		t_no_card_mode();
		t_callbacks();
	}
	t_allocations();
	cache_clear();
	pc_disconnect(pc_card);
	pc_release(pc_ctx);
	/* The library stays loaded: a Go shared library cannot be unloaded (its threads keep running). */
	printf("%d passed, %d failed\n", n_pass, n_fail);
	return n_fail == 0 ? 0 : 1;
}
