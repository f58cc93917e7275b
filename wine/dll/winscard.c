/*
 * winscard.c: a test-only winscard.dll for running cardmod's Windows binaries
 * under Wine. Wine's own winscard.dll is a stub (SCardEstablishContext fails
 * with SCARD_F_INTERNAL_ERROR), so Windows programs under Wine see no reader.
 * This DLL replaces it (installed in the prefix's System32, enabled with
 * WINEDLLOVERRIDES=winscard=n; see wine/README.md and scripts/wine-env.sh).
 *
 * It offers one reader, "cardmod Virtual Reader 0", whose card is a virtual
 * card reached over TCP with the vsmartcard vpcd protocol, this DLL being the
 * reader side: it connects to CARDMOD_CARD_ADDR (default 127.0.0.1:35990),
 * and every message is a 2-byte big-endian length followed by the payload. A
 * 1-byte payload is a control code (0x00 power off, 0x01 power on, 0x02
 * reset, 0x04 get ATR, which the card answers with its ATR); a longer payload
 * is a command APDU, which the card answers with the response APDU. The
 * connection is made on the first SCardConnect (or SCardGetStatusChange) and
 * kept for the life of the process: the card stays powered between
 * connections, as with a real reader. A connection that cannot be made means
 * "no card" (SCARD_E_NO_SMARTCARD); one that drops means the card was removed
 * (SCARD_W_REMOVED_CARD for every handle connected to it).
 *
 * Simplifications (enough for tests, documented in wine/README.md):
 * transactions are a process-local lock (no other process is kept out);
 * one process = one card connection; sharing modes are checked within the
 * process only; a reset or power-off by one handle is not reported to the
 * other handles (no SCARD_W_RESET_CARD); SCardGetStatusChange polls.
 *
 * Environment:
 *   CARDMOD_CARD_ADDR        host:port of the card (default 127.0.0.1:35990)
 *   CARDMOD_CARD_TIMEOUT_MS  how long to wait for a card's answer (default 60000)
 *
 * Error codes and structure layouts are those of the Windows SDK headers
 * (winscard.h, winsmcrd.h, scarderr.h as shipped by mingw-w64).
 */
#define WIN32_LEAN_AND_MEAN
#define WINSCARDAPI __declspec(dllexport)
#define WINSCARDDATA __declspec(dllexport)
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <winscard.h>
#include <string.h>
#include <stdlib.h>

/* ---------------------------------------------------------------------- */
/* Exported data */

const SCARD_IO_REQUEST g_rgSCardT0Pci = {SCARD_PROTOCOL_T0, sizeof(SCARD_IO_REQUEST)};
const SCARD_IO_REQUEST g_rgSCardT1Pci = {SCARD_PROTOCOL_T1, sizeof(SCARD_IO_REQUEST)};
const SCARD_IO_REQUEST g_rgSCardRawPci = {SCARD_PROTOCOL_RAW, sizeof(SCARD_IO_REQUEST)};

/* ---------------------------------------------------------------------- */
/* The reader */

#define READER_NAME "cardmod Virtual Reader 0"
/* Multi-strings: the name, its NUL, and the closing NUL (sizeof counts the
 * literal's own terminator). */
static const char kReadersA[] = READER_NAME "\0";
static const WCHAR kReadersW[] = L"" READER_NAME L"\0";
#define READERS_LEN (sizeof(kReadersA)) /* in characters, both NULs included */
#define NAME_LEN (sizeof(READER_NAME))  /* in characters, one NUL included */

static const char kPnPNotificationA[] = "\\\\?PnP?\\Notification";

#define DEFAULT_ADDR "127.0.0.1:35990"
#define DEFAULT_TIMEOUT_MS 60000
#define MAX_PAYLOAD 0xFFFF /* the 2-byte length of a vpcd message */
#define ATR_MAX 33         /* ISO 7816-3; SCARD_ATR_LENGTH */

#define CTRL_OFF 0x00
#define CTRL_ON 0x01
#define CTRL_RESET 0x02
#define CTRL_ATR 0x04

/* ---------------------------------------------------------------------- */
/* State, all guarded by g_lock (held exclusively, also across socket I/O: an
 * exchange with the card is atomic). */

#define MAX_CONTEXTS 128
#define MAX_CARDS 128

struct card_handle {
	SCARDHANDLE h;       /* 0: slot free */
	SCARDCONTEXT ctx;    /* the context it was connected through */
	DWORD share;         /* SCARD_SHARE_* */
	DWORD proto;         /* active protocol, 0 for a direct connection */
	unsigned gen;        /* card connection it belongs to (0: none) */
	unsigned tx_depth;   /* nested BeginTransaction count */
};

static SRWLOCK g_lock = SRWLOCK_INIT;
static CONDITION_VARIABLE g_tx_cv = CONDITION_VARIABLE_INIT;
static SCARDCONTEXT g_contexts[MAX_CONTEXTS]; /* 0: slot free */
static struct card_handle g_cards[MAX_CARDS];
static ULONG_PTR g_next_handle = 0xCA000;
static SCARDHANDLE g_tx_owner;                /* handle in a transaction, or 0 */

static SOCKET g_sock = INVALID_SOCKET;        /* connection to the card */
static unsigned g_gen;                        /* incremented per card connection */
static BOOL g_powered;
static BYTE g_atr[ATR_MAX];
static DWORD g_atr_len;
static BYTE g_buf[2 + MAX_PAYLOAD];           /* one message, header included */

static INIT_ONCE g_wsa_once = INIT_ONCE_STATIC_INIT;
static BOOL g_wsa_ok;

static void lock(void) { AcquireSRWLockExclusive(&g_lock); }
static void unlock(void) { ReleaseSRWLockExclusive(&g_lock); }

static ULONG_PTR new_handle(void)
{
	g_next_handle += 0x10;
	if (g_next_handle == 0)
		g_next_handle = 0xCA000;
	return g_next_handle;
}

static BOOL context_valid(SCARDCONTEXT ctx)
{
	int i;
	if (ctx == 0)
		return FALSE;
	for (i = 0; i < MAX_CONTEXTS; i++)
		if (g_contexts[i] == ctx)
			return TRUE;
	return FALSE;
}

static struct card_handle *find_card(SCARDHANDLE h)
{
	int i;
	if (h == 0)
		return NULL;
	for (i = 0; i < MAX_CARDS; i++)
		if (g_cards[i].h == h)
			return &g_cards[i];
	return NULL;
}

static void end_tx(struct card_handle *c)
{
	c->tx_depth = 0;
	if (g_tx_owner == c->h) {
		g_tx_owner = 0;
		WakeAllConditionVariable(&g_tx_cv);
	}
}

/* ---------------------------------------------------------------------- */
/* The card connection (call with g_lock held) */

static BOOL CALLBACK wsa_init(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
	WSADATA wsa;
	(void)once;
	(void)param;
	(void)ctx;
	g_wsa_ok = WSAStartup(MAKEWORD(2, 2), &wsa) == 0;
	return TRUE;
}

static DWORD env_dword(const char *name, DWORD def)
{
	char buf[32];
	DWORD n = GetEnvironmentVariableA(name, buf, sizeof(buf));
	if (n == 0 || n >= sizeof(buf))
		return def;
	return (DWORD)strtoul(buf, NULL, 10);
}

static void drop_card(void)
{
	if (g_sock != INVALID_SOCKET)
		closesocket(g_sock);
	g_sock = INVALID_SOCKET;
	g_powered = FALSE;
	g_atr_len = 0;
	/* A transaction ends with the card. */
	if (g_tx_owner != 0) {
		struct card_handle *c = find_card(g_tx_owner);
		if (c)
			c->tx_depth = 0;
		g_tx_owner = 0;
		WakeAllConditionVariable(&g_tx_cv);
	}
}

static BOOL send_all(const BYTE *p, int n)
{
	while (n > 0) {
		int k = send(g_sock, (const char *)p, n, 0);
		if (k <= 0)
			return FALSE;
		p += k;
		n -= k;
	}
	return TRUE;
}

/* recv_all returns 1 on success, 0 on EOF or error, -1 on a timeout. */
static int recv_all(BYTE *p, int n)
{
	while (n > 0) {
		int k = recv(g_sock, (char *)p, n, 0);
		if (k == 0)
			return 0;
		if (k < 0)
			return WSAGetLastError() == WSAETIMEDOUT ? -1 : 0;
		p += k;
		n -= k;
	}
	return 1;
}

/* send_msg sends one message (header and payload in one send, so that Nagle
 * and delayed ACKs cannot hold half of it back). */
static BOOL send_msg(const BYTE *payload, DWORD n)
{
	if (g_sock == INVALID_SOCKET || n > MAX_PAYLOAD)
		return FALSE;
	g_buf[0] = (BYTE)(n >> 8);
	g_buf[1] = (BYTE)n;
	memcpy(g_buf + 2, payload, n);
	if (!send_all(g_buf, (int)n + 2)) {
		drop_card();
		return FALSE;
	}
	return TRUE;
}

/* recv_msg receives one message into g_buf + 2 and returns an SCARD code.
 * Any failure drops the connection: the stream cannot be resynchronised. */
static LONG recv_msg(DWORD *n)
{
	int r = recv_all(g_buf, 2);
	if (r == 1) {
		*n = ((DWORD)g_buf[0] << 8) | g_buf[1];
		r = recv_all(g_buf + 2, (int)*n);
	}
	if (r == 1)
		return SCARD_S_SUCCESS;
	drop_card();
	return r < 0 ? SCARD_W_UNRESPONSIVE_CARD : SCARD_W_REMOVED_CARD;
}

static BOOL send_ctrl(BYTE code)
{
	return send_msg(&code, 1);
}

/* power_on powers the card on and reads its ATR. */
static LONG power_on(void)
{
	DWORD n;
	LONG rc;
	if (!send_ctrl(CTRL_ON) || !send_ctrl(CTRL_ATR))
		return SCARD_W_REMOVED_CARD;
	rc = recv_msg(&n);
	if (rc != SCARD_S_SUCCESS)
		return rc;
	if (n < 2 || n > ATR_MAX) {
		drop_card();
		return SCARD_W_UNRESPONSIVE_CARD;
	}
	memcpy(g_atr, g_buf + 2, n);
	g_atr_len = n;
	g_powered = TRUE;
	return SCARD_S_SUCCESS;
}

/* warm_reset resets a powered card (power-on for an unpowered one) and reads
 * the ATR again. */
static LONG warm_reset(void)
{
	DWORD n;
	LONG rc;
	if (!g_powered)
		return power_on();
	if (!send_ctrl(CTRL_RESET) || !send_ctrl(CTRL_ATR))
		return SCARD_W_REMOVED_CARD;
	rc = recv_msg(&n);
	if (rc != SCARD_S_SUCCESS)
		return rc;
	if (n >= 2 && n <= ATR_MAX) {
		memcpy(g_atr, g_buf + 2, n);
		g_atr_len = n;
	}
	return SCARD_S_SUCCESS;
}

static void power_off(void)
{
	if (g_powered && send_ctrl(CTRL_OFF))
		g_powered = FALSE;
}

/* card_alive reports whether the card connection is open, noticing a peer
 * that closed it while idle (a removed card). */
static BOOL card_alive(void)
{
	fd_set rd;
	struct timeval tv = {0, 0};
	char c;
	if (g_sock == INVALID_SOCKET)
		return FALSE;
	FD_ZERO(&rd);
	FD_SET(g_sock, &rd);
	if (select(0, &rd, NULL, NULL, &tv) == 1 && recv(g_sock, &c, 1, MSG_PEEK) <= 0) {
		drop_card();
		return FALSE;
	}
	return TRUE;
}

/* insert_card makes sure there is a powered card: it connects to the card
 * server when there is no connection. SCARD_E_NO_SMARTCARD when it cannot. */
static LONG insert_card(void)
{
	char addr[256], *colon;
	const char *host, *port;
	struct addrinfo hints, *res = NULL, *ai;
	DWORD n, timeout;
	SOCKET s = INVALID_SOCKET;
	BOOL on = TRUE;

	if (card_alive())
		return g_powered ? SCARD_S_SUCCESS : power_on();

	InitOnceExecuteOnce(&g_wsa_once, wsa_init, NULL, NULL);
	if (!g_wsa_ok)
		return SCARD_E_NO_SMARTCARD;
	n = GetEnvironmentVariableA("CARDMOD_CARD_ADDR", addr, sizeof(addr));
	if (n == 0 || n >= sizeof(addr))
		strcpy(addr, DEFAULT_ADDR);
	colon = strrchr(addr, ':');
	if (!colon)
		return SCARD_E_NO_SMARTCARD;
	*colon = 0;
	host = addr;
	port = colon + 1;
	if (host[0] == '[') { /* [::1]:port */
		host++;
		if (colon > addr && colon[-1] == ']')
			colon[-1] = 0;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return SCARD_E_NO_SMARTCARD;
	for (ai = res; ai; ai = ai->ai_next) {
		s = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (s == INVALID_SOCKET)
			continue;
		if (connect(s, ai->ai_addr, (int)ai->ai_addrlen) == 0)
			break;
		closesocket(s);
		s = INVALID_SOCKET;
	}
	freeaddrinfo(res);
	if (s == INVALID_SOCKET)
		return SCARD_E_NO_SMARTCARD;

	timeout = env_dword("CARDMOD_CARD_TIMEOUT_MS", DEFAULT_TIMEOUT_MS);
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, (const char *)&on, sizeof(on));
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, (const char *)&timeout, sizeof(timeout));
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, (const char *)&timeout, sizeof(timeout));
	g_sock = s;
	g_gen++;
	if (g_gen == 0)
		g_gen = 1;
	g_powered = FALSE;
	if (power_on() != SCARD_S_SUCCESS) {
		drop_card();
		return SCARD_E_NO_SMARTCARD;
	}
	return SCARD_S_SUCCESS;
}

/* card_present reports whether handle c is connected to the current card. */
static BOOL card_present(const struct card_handle *c)
{
	return c->gen != 0 && c->gen == g_gen && g_sock != INVALID_SOCKET;
}

/* ---------------------------------------------------------------------- */
/* Output helpers */

/* put_out copies count units of unit bytes to buf, honouring the PC/SC
 * conventions: buf NULL asks for the length only; *pcount SCARD_AUTOALLOCATE
 * means buf is really a pointer to a pointer that receives memory to be freed
 * with SCardFreeMemory; a short buffer gives SCARD_E_INSUFFICIENT_BUFFER with
 * the needed length in *pcount. */
static LONG put_out(const void *src, DWORD count, DWORD unit, void *buf, LPDWORD pcount)
{
	if (!pcount)
		return SCARD_E_INVALID_PARAMETER;
	if (!buf) {
		*pcount = count;
		return SCARD_S_SUCCESS;
	}
	if (*pcount == SCARD_AUTOALLOCATE) {
		SIZE_T bytes = (SIZE_T)count * unit;
		void *mem = HeapAlloc(GetProcessHeap(), 0, bytes > 0 ? bytes : 1);
		if (!mem)
			return SCARD_E_NO_MEMORY;
		memcpy(mem, src, count * unit);
		*(void **)buf = mem;
		*pcount = count;
		return SCARD_S_SUCCESS;
	}
	if (*pcount < count) {
		*pcount = count;
		return SCARD_E_INSUFFICIENT_BUFFER;
	}
	memcpy(buf, src, count * unit);
	*pcount = count;
	return SCARD_S_SUCCESS;
}

/* fits reports whether put_out(count) would succeed, without copying. */
static BOOL fits(const void *buf, const DWORD *pcount, DWORD count)
{
	return !buf || !pcount || *pcount == SCARD_AUTOALLOCATE || *pcount >= count;
}

/* ---------------------------------------------------------------------- */
/* Contexts */

LONG WINAPI SCardEstablishContext(DWORD dwScope, LPCVOID pvReserved1, LPCVOID pvReserved2,
				  LPSCARDCONTEXT phContext)
{
	int i;
	(void)pvReserved1;
	(void)pvReserved2;
	if (!phContext)
		return SCARD_E_INVALID_PARAMETER;
	if (dwScope != SCARD_SCOPE_USER && dwScope != SCARD_SCOPE_TERMINAL && dwScope != SCARD_SCOPE_SYSTEM)
		return SCARD_E_INVALID_VALUE;
	lock();
	for (i = 0; i < MAX_CONTEXTS; i++) {
		if (g_contexts[i] == 0) {
			g_contexts[i] = new_handle();
			*phContext = g_contexts[i];
			unlock();
			return SCARD_S_SUCCESS;
		}
	}
	unlock();
	return SCARD_E_NO_MEMORY;
}

LONG WINAPI SCardReleaseContext(SCARDCONTEXT hContext)
{
	int i;
	LONG rc = SCARD_E_INVALID_HANDLE;
	lock();
	for (i = 0; hContext != 0 && i < MAX_CONTEXTS; i++) {
		if (g_contexts[i] == hContext) {
			g_contexts[i] = 0;
			rc = SCARD_S_SUCCESS;
		}
	}
	if (rc == SCARD_S_SUCCESS) {
		/* Cards connected through the context are disconnected with it. */
		for (i = 0; i < MAX_CARDS; i++) {
			if (g_cards[i].h != 0 && g_cards[i].ctx == hContext) {
				end_tx(&g_cards[i]);
				memset(&g_cards[i], 0, sizeof(g_cards[i]));
			}
		}
	}
	unlock();
	return rc;
}

LONG WINAPI SCardIsValidContext(SCARDCONTEXT hContext)
{
	BOOL ok;
	lock();
	ok = context_valid(hContext);
	unlock();
	return ok ? SCARD_S_SUCCESS : SCARD_E_INVALID_HANDLE;
}

LONG WINAPI SCardCancel(SCARDCONTEXT hContext)
{
	return SCardIsValidContext(hContext);
}

LONG WINAPI SCardFreeMemory(SCARDCONTEXT hContext, LPCVOID pvMem)
{
	(void)hContext;
	if (pvMem)
		HeapFree(GetProcessHeap(), 0, (LPVOID)pvMem);
	return SCARD_S_SUCCESS;
}

/* The resource manager is always "started". */
static HANDLE g_started;

HANDLE WINAPI SCardAccessStartedEvent(void)
{
	lock();
	if (!g_started)
		g_started = CreateEventW(NULL, TRUE, TRUE, NULL);
	unlock();
	return g_started;
}

void WINAPI SCardReleaseStartedEvent(void)
{
}

/* ---------------------------------------------------------------------- */
/* Readers */

/* A zero context is accepted, as on Windows. */
static LONG list_check(SCARDCONTEXT hContext)
{
	BOOL ok;
	if (hContext == 0)
		return SCARD_S_SUCCESS;
	lock();
	ok = context_valid(hContext);
	unlock();
	return ok ? SCARD_S_SUCCESS : SCARD_E_INVALID_HANDLE;
}

LONG WINAPI SCardListReadersA(SCARDCONTEXT hContext, LPCSTR mszGroups, LPSTR mszReaders, LPDWORD pcchReaders)
{
	LONG rc = list_check(hContext);
	(void)mszGroups;
	if (rc != SCARD_S_SUCCESS)
		return rc;
	return put_out(kReadersA, READERS_LEN, sizeof(char), mszReaders, pcchReaders);
}

LONG WINAPI SCardListReadersW(SCARDCONTEXT hContext, LPCWSTR mszGroups, LPWSTR mszReaders, LPDWORD pcchReaders)
{
	LONG rc = list_check(hContext);
	(void)mszGroups;
	if (rc != SCARD_S_SUCCESS)
		return rc;
	return put_out(kReadersW, READERS_LEN, sizeof(WCHAR), mszReaders, pcchReaders);
}

/* ---------------------------------------------------------------------- */
/* Connections */

static LONG choose_protocol(DWORD share, DWORD preferred, DWORD *active)
{
	if (share == SCARD_SHARE_DIRECT) {
		*active = SCARD_PROTOCOL_UNDEFINED;
		return SCARD_S_SUCCESS;
	}
	if (preferred & (SCARD_PROTOCOL_T1 | SCARD_PROTOCOL_DEFAULT))
		*active = SCARD_PROTOCOL_T1;
	else if (preferred & SCARD_PROTOCOL_T0)
		*active = SCARD_PROTOCOL_T0;
	else if (preferred == 0)
		return SCARD_E_INVALID_VALUE;
	else
		return SCARD_E_PROTO_MISMATCH;
	return SCARD_S_SUCCESS;
}

/* sharing_ok checks share mode against the other handles of this process. */
static BOOL sharing_ok(DWORD share, SCARDHANDLE self)
{
	int i;
	for (i = 0; i < MAX_CARDS; i++) {
		const struct card_handle *o = &g_cards[i];
		if (o->h == 0 || o->h == self || !card_present(o))
			continue;
		if (o->share == SCARD_SHARE_EXCLUSIVE || share == SCARD_SHARE_EXCLUSIVE)
			return FALSE;
	}
	return TRUE;
}

static LONG do_connect(SCARDCONTEXT hContext, BOOL our_reader, DWORD dwShareMode, DWORD dwPreferredProtocols,
		       LPSCARDHANDLE phCard, LPDWORD pdwActiveProtocol)
{
	struct card_handle *slot = NULL;
	DWORD active = 0;
	LONG rc;
	int i;

	if (!phCard || !pdwActiveProtocol)
		return SCARD_E_INVALID_PARAMETER;
	if (dwShareMode != SCARD_SHARE_EXCLUSIVE && dwShareMode != SCARD_SHARE_SHARED &&
	    dwShareMode != SCARD_SHARE_DIRECT)
		return SCARD_E_INVALID_VALUE;
	rc = choose_protocol(dwShareMode, dwPreferredProtocols, &active);
	if (rc != SCARD_S_SUCCESS)
		return rc;
	lock();
	if (!context_valid(hContext)) {
		unlock();
		return SCARD_E_INVALID_HANDLE;
	}
	if (!our_reader) {
		unlock();
		return SCARD_E_UNKNOWN_READER;
	}
	for (i = 0; i < MAX_CARDS && !slot; i++)
		if (g_cards[i].h == 0)
			slot = &g_cards[i];
	if (!slot) {
		unlock();
		return SCARD_E_NO_MEMORY;
	}
	rc = insert_card();
	if (rc != SCARD_S_SUCCESS && dwShareMode != SCARD_SHARE_DIRECT) {
		unlock();
		return rc;
	}
	if (!sharing_ok(dwShareMode, 0)) {
		unlock();
		return SCARD_E_SHARING_VIOLATION;
	}
	slot->h = new_handle();
	slot->ctx = hContext;
	slot->share = dwShareMode;
	slot->proto = active;
	slot->gen = rc == SCARD_S_SUCCESS ? g_gen : 0;
	slot->tx_depth = 0;
	*phCard = slot->h;
	*pdwActiveProtocol = active;
	unlock();
	return SCARD_S_SUCCESS;
}

LONG WINAPI SCardConnectA(SCARDCONTEXT hContext, LPCSTR szReader, DWORD dwShareMode, DWORD dwPreferredProtocols,
			  LPSCARDHANDLE phCard, LPDWORD pdwActiveProtocol)
{
	if (!szReader)
		return SCARD_E_INVALID_PARAMETER;
	return do_connect(hContext, lstrcmpiA(szReader, READER_NAME) == 0, dwShareMode, dwPreferredProtocols, phCard,
			  pdwActiveProtocol);
}

LONG WINAPI SCardConnectW(SCARDCONTEXT hContext, LPCWSTR szReader, DWORD dwShareMode, DWORD dwPreferredProtocols,
			  LPSCARDHANDLE phCard, LPDWORD pdwActiveProtocol)
{
	if (!szReader)
		return SCARD_E_INVALID_PARAMETER;
	return do_connect(hContext, lstrcmpiW(szReader, kReadersW) == 0, dwShareMode, dwPreferredProtocols, phCard,
			  pdwActiveProtocol);
}

LONG WINAPI SCardReconnect(SCARDHANDLE hCard, DWORD dwShareMode, DWORD dwPreferredProtocols,
			   DWORD dwInitialization, LPDWORD pdwActiveProtocol)
{
	struct card_handle *c;
	DWORD active = 0;
	LONG rc;

	if (dwShareMode != SCARD_SHARE_EXCLUSIVE && dwShareMode != SCARD_SHARE_SHARED &&
	    dwShareMode != SCARD_SHARE_DIRECT)
		return SCARD_E_INVALID_VALUE;
	if (dwInitialization > SCARD_EJECT_CARD)
		return SCARD_E_INVALID_VALUE;
	rc = choose_protocol(dwShareMode, dwPreferredProtocols, &active);
	if (rc != SCARD_S_SUCCESS)
		return rc;
	lock();
	c = find_card(hCard);
	if (!c) {
		unlock();
		return SCARD_E_INVALID_HANDLE;
	}
	if (!sharing_ok(dwShareMode, hCard)) {
		unlock();
		return SCARD_E_SHARING_VIOLATION;
	}
	/* A card that was removed and put back (a new connection) is taken up:
	 * its fresh power-on is the initialization. */
	if (!card_present(c) || !card_alive()) {
		rc = insert_card();
		if (rc != SCARD_S_SUCCESS) {
			unlock();
			return rc;
		}
	} else if (dwInitialization == SCARD_RESET_CARD) {
		rc = warm_reset();
	} else if (dwInitialization == SCARD_UNPOWER_CARD || dwInitialization == SCARD_EJECT_CARD) {
		power_off();
		rc = g_sock == INVALID_SOCKET ? SCARD_W_REMOVED_CARD : power_on();
	} else if (!g_powered) {
		rc = power_on();
	}
	if (rc != SCARD_S_SUCCESS) {
		unlock();
		return rc;
	}
	c->gen = g_gen;
	c->share = dwShareMode;
	c->proto = active;
	if (pdwActiveProtocol)
		*pdwActiveProtocol = active;
	unlock();
	return SCARD_S_SUCCESS;
}

LONG WINAPI SCardDisconnect(SCARDHANDLE hCard, DWORD dwDisposition)
{
	struct card_handle *c;
	if (dwDisposition > SCARD_EJECT_CARD)
		return SCARD_E_INVALID_VALUE;
	lock();
	c = find_card(hCard);
	if (!c) {
		unlock();
		return SCARD_E_INVALID_HANDLE;
	}
	if (card_present(c)) {
		if (dwDisposition == SCARD_RESET_CARD)
			warm_reset();
		else if (dwDisposition == SCARD_UNPOWER_CARD || dwDisposition == SCARD_EJECT_CARD)
			power_off();
	}
	end_tx(c);
	memset(c, 0, sizeof(*c));
	unlock();
	return SCARD_S_SUCCESS;
}

/* ---------------------------------------------------------------------- */
/* Transactions: a process-local lock owned by a card handle (not by a thread:
 * a Go program may call Begin and End from different OS threads). */

LONG WINAPI SCardBeginTransaction(SCARDHANDLE hCard)
{
	struct card_handle *c;
	lock();
	for (;;) {
		c = find_card(hCard);
		if (!c) {
			unlock();
			return SCARD_E_INVALID_HANDLE;
		}
		if (!card_present(c)) {
			unlock();
			return SCARD_W_REMOVED_CARD;
		}
		if (g_tx_owner == 0 || g_tx_owner == hCard)
			break;
		SleepConditionVariableSRW(&g_tx_cv, &g_lock, INFINITE, 0);
	}
	g_tx_owner = hCard;
	c->tx_depth++;
	unlock();
	return SCARD_S_SUCCESS;
}

LONG WINAPI SCardEndTransaction(SCARDHANDLE hCard, DWORD dwDisposition)
{
	struct card_handle *c;
	LONG rc = SCARD_S_SUCCESS;
	if (dwDisposition > SCARD_EJECT_CARD)
		return SCARD_E_INVALID_VALUE;
	lock();
	c = find_card(hCard);
	if (!c) {
		unlock();
		return SCARD_E_INVALID_HANDLE;
	}
	if (!card_present(c)) {
		end_tx(c);
		unlock();
		return SCARD_W_REMOVED_CARD;
	}
	if (g_tx_owner != hCard || c->tx_depth == 0) {
		unlock();
		return SCARD_E_NOT_TRANSACTED;
	}
	if (dwDisposition == SCARD_RESET_CARD) {
		rc = warm_reset();
	} else if (dwDisposition == SCARD_UNPOWER_CARD || dwDisposition == SCARD_EJECT_CARD) {
		power_off();
		rc = g_sock == INVALID_SOCKET ? SCARD_W_REMOVED_CARD : power_on();
	}
	if (--c->tx_depth == 0)
		end_tx(c);
	unlock();
	return rc;
}

/* ---------------------------------------------------------------------- */
/* Status and attributes */

static LONG do_status(SCARDHANDLE hCard, BOOL wide, void *szReaderName, LPDWORD pcchReaderLen, LPDWORD pdwState,
		      LPDWORD pdwProtocol, LPBYTE pbAtr, LPDWORD pcbAtrLen)
{
	struct card_handle *c;
	BYTE atr[ATR_MAX];
	DWORD atr_len = 0, state, proto;
	LONG rc;

	lock();
	c = find_card(hCard);
	if (!c) {
		unlock();
		return SCARD_E_INVALID_HANDLE;
	}
	if (card_present(c) && card_alive()) {
		state = !g_powered ? SCARD_SWALLOWED : c->proto ? SCARD_SPECIFIC : SCARD_NEGOTIABLE;
		atr_len = g_powered ? g_atr_len : 0;
		memcpy(atr, g_atr, atr_len);
	} else if (c->share == SCARD_SHARE_DIRECT && c->gen == 0) {
		state = SCARD_ABSENT;
	} else {
		unlock();
		return SCARD_W_REMOVED_CARD;
	}
	proto = c->proto;
	unlock();

	if (!fits(szReaderName, pcchReaderLen, READERS_LEN) || !fits(pbAtr, pcbAtrLen, atr_len)) {
		if (pcchReaderLen)
			*pcchReaderLen = READERS_LEN;
		if (pcbAtrLen)
			*pcbAtrLen = atr_len;
		return SCARD_E_INSUFFICIENT_BUFFER;
	}
	if (pcchReaderLen) {
		rc = wide ? put_out(kReadersW, READERS_LEN, sizeof(WCHAR), szReaderName, pcchReaderLen)
			  : put_out(kReadersA, READERS_LEN, sizeof(char), szReaderName, pcchReaderLen);
		if (rc != SCARD_S_SUCCESS)
			return rc;
	}
	if (pcbAtrLen) {
		rc = put_out(atr, atr_len, 1, pbAtr, pcbAtrLen);
		if (rc != SCARD_S_SUCCESS)
			return rc;
	}
	if (pdwState)
		*pdwState = state;
	if (pdwProtocol)
		*pdwProtocol = proto;
	return SCARD_S_SUCCESS;
}

LONG WINAPI SCardStatusA(SCARDHANDLE hCard, LPSTR szReaderName, LPDWORD pcchReaderLen, LPDWORD pdwState,
			 LPDWORD pdwProtocol, LPBYTE pbAtr, LPDWORD pcbAtrLen)
{
	return do_status(hCard, FALSE, szReaderName, pcchReaderLen, pdwState, pdwProtocol, pbAtr, pcbAtrLen);
}

LONG WINAPI SCardStatusW(SCARDHANDLE hCard, LPWSTR szReaderName, LPDWORD pcchReaderLen, LPDWORD pdwState,
			 LPDWORD pdwProtocol, LPBYTE pbAtr, LPDWORD pcbAtrLen)
{
	return do_status(hCard, TRUE, szReaderName, pcchReaderLen, pdwState, pdwProtocol, pbAtr, pcbAtrLen);
}

LONG WINAPI SCardGetAttrib(SCARDHANDLE hCard, DWORD dwAttrId, LPBYTE pbAttr, LPDWORD pcbAttrLen)
{
	static const char vendor[] = "cardmod";
	struct card_handle *c;
	BYTE atr[ATR_MAX];
	DWORD atr_len, proto;
	BOOL present;

	lock();
	c = find_card(hCard);
	if (!c) {
		unlock();
		return SCARD_E_INVALID_HANDLE;
	}
	present = card_present(c) && card_alive();
	atr_len = present && g_powered ? g_atr_len : 0;
	memcpy(atr, g_atr, atr_len);
	proto = c->proto;
	unlock();

	switch (dwAttrId) {
	case SCARD_ATTR_ATR_STRING:
		if (!present)
			return SCARD_W_REMOVED_CARD;
		return put_out(atr, atr_len, 1, pbAttr, pcbAttrLen);
	case SCARD_ATTR_CURRENT_PROTOCOL_TYPE:
		return put_out(&proto, sizeof(proto), 1, pbAttr, pcbAttrLen);
	case SCARD_ATTR_VENDOR_NAME:
		return put_out(vendor, sizeof(vendor), 1, pbAttr, pcbAttrLen);
	case SCARD_ATTR_DEVICE_FRIENDLY_NAME_A:
	case SCARD_ATTR_DEVICE_SYSTEM_NAME_A:
		return put_out(kReadersA, NAME_LEN, 1, pbAttr, pcbAttrLen);
	case SCARD_ATTR_DEVICE_FRIENDLY_NAME_W:
	case SCARD_ATTR_DEVICE_SYSTEM_NAME_W:
		/* The length is in bytes here. */
		return put_out(kReadersW, NAME_LEN * sizeof(WCHAR), 1, pbAttr, pcbAttrLen);
	}
	return SCARD_E_UNSUPPORTED_FEATURE;
}

/* ---------------------------------------------------------------------- */
/* Transmit */

LONG WINAPI SCardTransmit(SCARDHANDLE hCard, LPCSCARD_IO_REQUEST pioSendPci, LPCBYTE pbSendBuffer,
			  DWORD cbSendLength, LPSCARD_IO_REQUEST pioRecvPci, LPBYTE pbRecvBuffer,
			  LPDWORD pcbRecvLength)
{
	struct card_handle *c;
	DWORD n;
	LONG rc;

	if (!pioSendPci || !pbSendBuffer || !pbRecvBuffer || !pcbRecvLength)
		return SCARD_E_INVALID_PARAMETER;
	/* A 1-byte message would be a vpcd control code; the length field has
	 * 16 bits. */
	if (cbSendLength < 2 || cbSendLength > MAX_PAYLOAD)
		return SCARD_E_INVALID_PARAMETER;
	lock();
	for (;;) {
		c = find_card(hCard);
		if (!c) {
			unlock();
			return SCARD_E_INVALID_HANDLE;
		}
		if (!card_present(c)) {
			unlock();
			return SCARD_W_REMOVED_CARD;
		}
		/* Another handle's transaction keeps this one waiting. */
		if (g_tx_owner == 0 || g_tx_owner == hCard)
			break;
		SleepConditionVariableSRW(&g_tx_cv, &g_lock, INFINITE, 0);
	}
	if (c->proto == SCARD_PROTOCOL_UNDEFINED || (pioSendPci->dwProtocol & c->proto) == 0) {
		unlock();
		return SCARD_E_PROTO_MISMATCH;
	}
	if (!g_powered && (rc = power_on()) != SCARD_S_SUCCESS) {
		unlock();
		return rc;
	}
	if (!send_msg(pbSendBuffer, cbSendLength)) {
		unlock();
		return SCARD_W_REMOVED_CARD;
	}
	rc = recv_msg(&n);
	if (rc != SCARD_S_SUCCESS) {
		unlock();
		return rc;
	}
	if (n > *pcbRecvLength) {
		*pcbRecvLength = n;
		unlock();
		return SCARD_E_INSUFFICIENT_BUFFER;
	}
	memcpy(pbRecvBuffer, g_buf + 2, n);
	*pcbRecvLength = n;
	if (pioRecvPci) {
		pioRecvPci->dwProtocol = c->proto;
		pioRecvPci->cbPciLength = sizeof(SCARD_IO_REQUEST);
	}
	unlock();
	return SCARD_S_SUCCESS;
}

/* ---------------------------------------------------------------------- */
/* SCardGetStatusChange: minimal, by polling every 50 ms. The PnP
 * notification pseudo-reader never changes (the reader is always there). */

#define POLL_MS 50

static LONG status_change(SCARDCONTEXT hContext, DWORD dwTimeout, void *states, DWORD cReaders, BOOL wide)
{
	DWORD waited = 0, i;
	BOOL ok;

	if (cReaders > 0 && !states)
		return SCARD_E_INVALID_PARAMETER;
	lock();
	ok = context_valid(hContext);
	unlock();
	if (!ok)
		return SCARD_E_INVALID_HANDLE;
	for (;;) {
		BOOL changed = FALSE;
		lock();
		for (i = 0; i < cReaders; i++) {
			/* SCARD_READERSTATEA and W differ only in the name's type. */
			SCARD_READERSTATEA *sa = wide ? NULL : &((SCARD_READERSTATEA *)states)[i];
			SCARD_READERSTATEW *sw = wide ? &((SCARD_READERSTATEW *)states)[i] : NULL;
			DWORD *cur = wide ? &sw->dwCurrentState : &sa->dwCurrentState;
			DWORD *ev = wide ? &sw->dwEventState : &sa->dwEventState;
			BYTE *atr = wide ? sw->rgbAtr : sa->rgbAtr;
			DWORD *atr_len = wide ? &sw->cbAtr : &sa->cbAtr;
			BOOL ours, pnp, in_use = FALSE, exclusive = FALSE;
			DWORD now;
			int k;

			if (wide) {
				ours = sw->szReader && lstrcmpiW(sw->szReader, kReadersW) == 0;
				pnp = sw->szReader && lstrcmpiW(sw->szReader, L"\\\\?PnP?\\Notification") == 0;
			} else {
				ours = sa->szReader && lstrcmpiA(sa->szReader, READER_NAME) == 0;
				pnp = sa->szReader && lstrcmpiA(sa->szReader, kPnPNotificationA) == 0;
			}
			if (*cur & SCARD_STATE_IGNORE) {
				*ev = SCARD_STATE_IGNORE;
				continue;
			}
			if (pnp) {
				*ev = *cur & ~SCARD_STATE_CHANGED;
				continue;
			}
			if (!ours) {
				*ev = SCARD_STATE_UNKNOWN | SCARD_STATE_CHANGED | SCARD_STATE_IGNORE;
				changed = TRUE;
				continue;
			}
			if (insert_card() == SCARD_S_SUCCESS) {
				now = SCARD_STATE_PRESENT;
				for (k = 0; k < MAX_CARDS; k++) {
					if (g_cards[k].h != 0 && card_present(&g_cards[k])) {
						in_use = TRUE;
						exclusive |= g_cards[k].share == SCARD_SHARE_EXCLUSIVE;
					}
				}
				if (in_use)
					now |= SCARD_STATE_INUSE;
				if (exclusive)
					now |= SCARD_STATE_EXCLUSIVE;
				memcpy(atr, g_atr, g_atr_len);
				*atr_len = g_atr_len;
			} else {
				now = SCARD_STATE_EMPTY;
				*atr_len = 0;
			}
			if ((*cur & 0xFFFF & ~SCARD_STATE_CHANGED) != now) {
				*ev = now | SCARD_STATE_CHANGED;
				changed = TRUE;
			} else {
				*ev = now;
			}
		}
		unlock();
		if (changed)
			return SCARD_S_SUCCESS;
		if (dwTimeout != INFINITE && waited >= dwTimeout)
			return SCARD_E_TIMEOUT;
		Sleep(POLL_MS);
		waited += POLL_MS;
	}
}

LONG WINAPI SCardGetStatusChangeA(SCARDCONTEXT hContext, DWORD dwTimeout, LPSCARD_READERSTATEA rgReaderStates,
				  DWORD cReaders)
{
	return status_change(hContext, dwTimeout, rgReaderStates, cReaders, FALSE);
}

LONG WINAPI SCardGetStatusChangeW(SCARDCONTEXT hContext, DWORD dwTimeout, LPSCARD_READERSTATEW rgReaderStates,
				  DWORD cReaders)
{
	return status_change(hContext, dwTimeout, rgReaderStates, cReaders, TRUE);
}
