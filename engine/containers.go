package engine

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/binary"

	"github.com/cardmod/cardmod/spec"
)

// checkStructVersion applies the rule for versioned input structures: 0 counts as 1, a version
// above the one this minidriver knows is a revision mismatch.
func checkStructVersion(fn string, v, current uint32) error {
	if v > current {
		return errf(spec.ErrorRevisionMismatch, "%s: structure version %d, this minidriver knows %d", fn, v, current)
	}
	return nil
}

// ContainerInfo is CONTAINER_INFO: the public keys of a container as Windows blobs, in buffers
// from the caller's allocator (the caller frees them). A missing key is nil.
type ContainerInfo struct {
	Version        uint32
	SigPublicKey   []byte
	KeyExPublicKey []byte
}

// publicBlob encodes a container's public key as Windows expects it. A key the blob formats
// cannot hold (an RSA exponent that is even or too large, a curve that does not match the key
// spec) is a data error of the card, never an empty blob.
func publicBlob(ct *container) ([]byte, error) {
	var blob []byte
	switch k := ct.pub.(type) {
	case *rsa.PublicKey:
		alg := spec.CALGRSAKeyX
		if ct.keySpec == spec.ATSignature {
			alg = spec.CALGRSASign
		}
		blob = spec.MarshalRSAPublicKeyBlob(k, alg)
	case *ecdsa.PublicKey:
		blob = spec.MarshalECCPublicKeyBlob(k, spec.ECCPublicMagic(ct.keySpec))
	default:
		return nil, errf(spec.SCardEUnexpected, "container %d: unsupported key", ct.index)
	}
	if len(blob) == 0 {
		return nil, errf(spec.SCardECommDataLost, "container %d: the card's %v key cannot be expressed as a key blob", ct.index, ct.keySpec)
	}
	return blob, nil
}

// GetContainerInfo is CardGetContainerInfo. info.Version is what the caller set; the blobs are
// filled in.
func (c *Context) GetContainerInfo(idx byte, flags uint32, info *ContainerInfo) error {
	const fn = "CardGetContainerInfo"
	unlock, err := c.enter(fn, false)
	if err != nil {
		return err
	}
	defer unlock()
	if info == nil {
		return errf(spec.SCardEInvalidParameter, "%s: NULL CONTAINER_INFO", fn)
	}
	if err := checkStructVersion(fn, info.Version, spec.ContainerInfoCurrentVersion); err != nil {
		return err
	}
	if err := checkFlagsZero(fn, flags); err != nil {
		return err
	}
	return c.containerInfo(fn, idx, info)
}

func (c *Context) containerInfo(fn string, idx byte, info *ContainerInfo) error {
	ct, err := c.container(fn, idx)
	if err != nil {
		return err
	}
	blob, err := publicBlob(ct)
	if err != nil {
		return err
	}
	buf, err := c.alloc(blob)
	if err != nil {
		return err
	}
	if ct.keySpec == spec.ATSignature || ct.keySpec.IsECDSA() {
		info.SigPublicKey, info.KeyExPublicKey = buf, nil
	} else {
		info.SigPublicKey, info.KeyExPublicKey = nil, buf
	}
	return nil
}

// ContainerProperty is the value of a container property: Data for the DWORD and byte
// properties, Info for CCP_CONTAINER_INFO (whose blobs come from the caller's allocator).
type ContainerProperty struct {
	Data []byte
	Info *ContainerInfo
}

// GetContainerProperty is CardGetContainerProperty. For CCP_CONTAINER_INFO, infoVersion is the
// dwVersion the caller set in its CONTAINER_INFO.
func (c *Context) GetContainerProperty(idx byte, name string, flags uint32, infoVersion uint32) (ContainerProperty, error) {
	const fn = "CardGetContainerProperty"
	unlock, err := c.enter(fn, false)
	if err != nil {
		return ContainerProperty{}, err
	}
	defer unlock()
	if err := checkFlagsZero(fn, flags); err != nil {
		return ContainerProperty{}, err
	}
	switch name {
	case spec.CCPContainerInfo:
		if err := checkStructVersion(fn, infoVersion, spec.ContainerInfoCurrentVersion); err != nil {
			return ContainerProperty{}, err
		}
		info := &ContainerInfo{Version: infoVersion}
		if err := c.containerInfo(fn, idx, info); err != nil {
			return ContainerProperty{}, err
		}
		return ContainerProperty{Info: info}, nil
	case spec.CCPPINIdentifier:
		ct, err := c.container(fn, idx)
		if err != nil {
			return ContainerProperty{}, err
		}
		return ContainerProperty{Data: binary.LittleEndian.AppendUint32(nil, uint32(ct.pin))}, nil
	case spec.CCPAssociatedECDHKey:
		ct, err := c.container(fn, idx)
		if err != nil {
			return ContainerProperty{}, err
		}
		if !ct.keySpec.IsECDSA() {
			return ContainerProperty{}, errf(spec.SCardEInvalidParameter, "%s: container %d is not an ECDSA key", fn, idx)
		}
		if ct.ecdh != 0 {
			return ContainerProperty{Data: []byte{ct.ecdh - 1}}, nil
		}
		// A PIV ECC key performs both ECDSA and ECDH: the associated ECDH key is the key itself.
		return ContainerProperty{Data: []byte{ct.index}}, nil
	}
	return ContainerProperty{}, errf(spec.SCardEInvalidParameter, "%s: unknown property %q", fn, name)
}

// keySizes returns the key sizes of a key spec.
func keySizes(fn string, ks spec.KeySpec) (spec.KeySizes, error) {
	ksz := spec.KeySizes{Version: spec.CardKeySizesCurrentVersion}
	switch {
	case ks == spec.ATKeyExchange || ks == spec.ATSignature:
		ksz.Minimum, ksz.Default, ksz.Maximum, ksz.Incremental = 1024, 2048, 4096, 1024
	case ks == spec.ATECDSAP256 || ks == spec.ATECDHEP256:
		ksz.Minimum, ksz.Default, ksz.Maximum, ksz.Incremental = 256, 256, 256, 1
	case ks == spec.ATECDSAP384 || ks == spec.ATECDHEP384:
		ksz.Minimum, ksz.Default, ksz.Maximum, ksz.Incremental = 384, 384, 384, 1
	case ks == spec.ATECDSAP521 || ks == spec.ATECDHEP521:
		return ksz, errf(spec.SCardEUnsupportedFeature, "%s: PIV has no P-521 keys", fn)
	default:
		return ksz, errf(spec.SCardEInvalidParameter, "%s: unknown key spec %d", fn, ks)
	}
	return ksz, nil
}

// QueryKeySizes is CardQueryKeySizes; version is the dwVersion the caller set.
func (c *Context) QueryKeySizes(ks spec.KeySpec, flags uint32, version uint32) (spec.KeySizes, error) {
	const fn = "CardQueryKeySizes"
	unlock, err := c.enter(fn, false)
	if err != nil {
		return spec.KeySizes{}, err
	}
	defer unlock()
	if err := checkStructVersion(fn, version, spec.CardKeySizesCurrentVersion); err != nil {
		return spec.KeySizes{}, err
	}
	if err := checkFlagsZero(fn, flags); err != nil {
		return spec.KeySizes{}, err
	}
	return keySizes(fn, ks)
}
