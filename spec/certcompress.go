package spec

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
)

// Certificate compression formats.
//
// Windows (the Base CSP, and minidrivers that set fCertificateCompression) stores the certificate
// of a container (mscp/kxcNN, mscp/kscNN) compressed as
//
//	01 00        compression format version 1.0
//	LL LL        length of the uncompressed certificate, little-endian (so at most 65535 bytes)
//	...          a zlib stream (RFC 1950: 2-byte header, deflate data, Adler-32)
//
// OpenSC reads and writes the same layout for GIDS cards (card-gids.c, gids_encode_certificate and
// gids_read_binary) and for IDPrime cards. A DER certificate starts with 0x30, so the two forms
// cannot be confused.
//
// PIV cards store a certificate object's 70 element gzip-compressed (RFC 1952) when the CertInfo
// byte (71) has bit 0 set; GzipCert and GunzipCert handle that form.
const (
	// WindowsCertHeaderSize is the size of the header before the zlib stream.
	WindowsCertHeaderSize = 4
	// MaxWindowsCertSize is the largest certificate the 16-bit length field can describe.
	MaxWindowsCertSize = 0xFFFF
)

// ErrCertTooLarge is wrapped by the errors of DecompressWindowsCert and GunzipCert when the
// certificate is (or says it is) larger than the caller's limit.
var ErrCertTooLarge = errors.New("spec: decompressed certificate exceeds the size limit")

// IsWindowsCompressedCert reports whether b has the Windows compressed certificate header: 01 00,
// a length, and the start of a zlib stream (compression method 8, window at most 32 KiB, no
// preset dictionary, header check (CMF·256 + FLG) mod 31 = 0). It does not decompress.
func IsWindowsCompressedCert(b []byte) bool {
	if len(b) < WindowsCertHeaderSize+2 || b[0] != 0x01 || b[1] != 0x00 {
		return false
	}
	cmf, flg := b[4], b[5]
	return cmf&0x0F == 8 && cmf>>4 <= 7 && flg&0x20 == 0 && (uint16(cmf)<<8|uint16(flg))%31 == 0
}

// DecompressWindowsCert returns the certificate of a Windows compressed certificate. It fails
// when the header is not that of IsWindowsCompressedCert, when the length field exceeds maxSize
// (before decompressing anything; an error wrapping ErrCertTooLarge), when the zlib stream is
// corrupt, truncated or fails its Adler-32 check, and when the stream does not hold exactly the
// number of bytes the length field announces. maxSize ≤ 0 means MaxWindowsCertSize. Memory use is
// bounded by the length field, whatever the stream holds. Bytes after the end of the zlib stream
// are ignored (a card file may be longer than its content); the length field and the Adler-32
// check already guard the content.
func DecompressWindowsCert(b []byte, maxSize int) ([]byte, error) {
	if !IsWindowsCompressedCert(b) {
		return nil, errors.New("spec: not a Windows compressed certificate (01 00 header and zlib stream)")
	}
	if maxSize <= 0 || maxSize > MaxWindowsCertSize {
		maxSize = MaxWindowsCertSize
	}
	want := int(le.Uint16(b[2:]))
	if want > maxSize {
		return nil, fmt.Errorf("%w: the header announces %d bytes, limit %d", ErrCertTooLarge, want, maxSize)
	}
	zr, err := zlib.NewReader(bytes.NewReader(b[WindowsCertHeaderSize:]))
	if err != nil {
		return nil, fmt.Errorf("spec: compressed certificate: %w", err)
	}
	defer zr.Close()
	out, err := readBounded(zr, want, want)
	if errors.Is(err, errMoreThanLimit) {
		return nil, fmt.Errorf("spec: compressed certificate: the stream holds more than the %d bytes the header announces", want)
	}
	if err != nil {
		return nil, fmt.Errorf("spec: compressed certificate: %w", err)
	}
	if len(out) != want {
		return nil, fmt.Errorf("spec: compressed certificate: %d bytes, the header announces %d", len(out), want)
	}
	return out, nil
}

// CompressWindowsCert returns der in the Windows compressed certificate format (best zlib
// compression). It returns nil when der is empty or longer than MaxWindowsCertSize.
func CompressWindowsCert(der []byte) []byte {
	if len(der) == 0 || len(der) > MaxWindowsCertSize {
		return nil
	}
	var buf bytes.Buffer
	buf.Write([]byte{0x01, 0x00, byte(len(der)), byte(len(der) >> 8)})
	zw, err := zlib.NewWriterLevel(&buf, zlib.BestCompression)
	if err != nil {
		return nil // unreachable: the level is valid
	}
	if _, err := zw.Write(der); err != nil {
		return nil // unreachable: bytes.Buffer does not fail
	}
	if err := zw.Close(); err != nil {
		return nil
	}
	return buf.Bytes()
}

// GzipCert returns der gzip-compressed (RFC 1952) for a PIV certificate object with CertInfo 01,
// as yubico-piv-tool writes it: best compression, no file name, no modification time, so that
// the output depends on der only.
func GzipCert(der []byte) []byte {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil // unreachable: the level is valid
	}
	if _, err := zw.Write(der); err != nil {
		return nil
	}
	if err := zw.Close(); err != nil {
		return nil
	}
	return buf.Bytes()
}

// GunzipCert decompresses the first gzip member of b (a PIV certificate with CertInfo 01) and
// checks its CRC-32 and length trailer. It fails with an error wrapping ErrCertTooLarge as soon as
// the output would exceed maxSize bytes (maxSize must be positive), so that a "zip bomb" never
// makes it allocate much more than maxSize. Bytes after the first member are ignored (an object
// may be longer than its content).
func GunzipCert(b []byte, maxSize int) ([]byte, error) {
	if maxSize <= 0 {
		return nil, fmt.Errorf("spec: gunzip certificate: limit %d, must be positive", maxSize)
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("spec: gunzip certificate: %w", err)
	}
	zr.Multistream(false)
	defer zr.Close()
	// The ISIZE trailer (the last 4 bytes when nothing follows the member) is only a hint for the
	// first allocation; the limit is enforced on the data itself.
	hint := 0
	if len(b) >= 18 {
		hint = int(le.Uint32(b[len(b)-4:]))
	}
	out, err := readBounded(zr, maxSize, hint)
	if errors.Is(err, errMoreThanLimit) {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrCertTooLarge, maxSize)
	}
	if err != nil {
		return nil, fmt.Errorf("spec: gunzip certificate: %w", err)
	}
	return out, nil
}

// errMoreThanLimit is returned by readBounded.
var errMoreThanLimit = errors.New("more data than the limit")

// readBounded reads r to its end and returns the data, or errMoreThanLimit once more than limit
// bytes come. No buffer it allocates is larger than limit+1 bytes; hint (the
// expected size, possibly wrong) sizes the first one.
func readBounded(r io.Reader, limit, hint int) ([]byte, error) {
	first := limit + 1
	if hint >= 0 && hint < limit {
		first = hint + 1
	}
	buf := make([]byte, 0, first)
	for {
		if len(buf) == cap(buf) {
			if len(buf) > limit {
				return nil, errMoreThanLimit
			}
			nb := make([]byte, len(buf), min(2*cap(buf)+512, limit+1))
			copy(nb, buf)
			buf = nb
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			if len(buf) > limit {
				return nil, errMoreThanLimit
			}
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}
