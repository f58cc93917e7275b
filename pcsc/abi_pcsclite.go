//go:build ((linux && !android) || ((freebsd || netbsd) && cgo)) && (amd64 || arm64 || 386 || arm || loong64 || ppc64le || riscv64 || s390x)

package pcsc

// pcsc-lite on Linux and the BSDs declares DWORD and LONG as unsigned long
// and long (wintypes.h), and SCARDCONTEXT and SCARDHANDLE as LONG: all four
// are pointer-sized (64-bit on LP64 targets such as linux/amd64, 32-bit on
// linux/386 and linux/arm). uintptr has exactly that size; status codes are
// read from its low 32 bits. (On FreeBSD and NetBSD purego needs cgo, so
// without it this package reports ErrNoPCSC there.)
type dword = uintptr

// defaultLibraryNames are tried in order by the library loader: the
// run-time library of pcsc-lite (Debian libpcsclite1 and others), then the
// development symlink.
var defaultLibraryNames = []string{"libpcsclite.so.1", "libpcsclite.so"}
