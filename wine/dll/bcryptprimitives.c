/*
 * bcryptprimitives.c: a minimal bcryptprimitives.dll for Wine 8.0, which has
 * none. The Go runtime (Go >= 1.22) loads bcryptprimitives.dll from System32
 * at start-up and takes all its randomness from ProcessPrng; without this DLL
 * every Go program dies with "bcryptprimitives.dll not found".
 *
 * ProcessPrng is implemented with RtlGenRandom (advapi32!SystemFunction036),
 * which Wine implements on top of the host's random source.
 *
 * Test infrastructure only: see wine/README.md. Built by scripts/wine-env.sh:
 *   x86_64-w64-mingw32-gcc -O2 -shared -static-libgcc -Wl,--kill-at \
 *       -o bcryptprimitives.dll bcryptprimitives.c -ladvapi32
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

/* advapi32!SystemFunction036, a.k.a. RtlGenRandom (declared here rather than
 * through ntsecapi.h, which needs more of the NT headers). */
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

/* ProcessPrng fills pbData with cbData random bytes. It cannot fail: on the
 * (theoretical) failure of the system source it terminates the process, as
 * Windows' own ProcessPrng is documented never to return FALSE. */
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE pbData, SIZE_T cbData)
{
	/* RtlGenRandom takes a ULONG length: feed it in chunks. */
	while (cbData > 0) {
		ULONG chunk = cbData > 0x40000000 ? 0x40000000 : (ULONG)cbData;
		if (!SystemFunction036(pbData, chunk)) {
			TerminateProcess(GetCurrentProcess(), 0xC0000001 /* STATUS_UNSUCCESSFUL */);
			return FALSE;
		}
		pbData += chunk;
		cbData -= chunk;
	}
	return TRUE;
}
