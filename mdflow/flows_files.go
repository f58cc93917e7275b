package mdflow

import (
	"bytes"
	"crypto/ecdsa"
	"slices"

	"github.com/cardmod/cardmod/engine"
	"github.com/cardmod/cardmod/piv"
	"github.com/cardmod/cardmod/spec"
)

// isECC reports whether the slot's certificate holds an ECC key.
func isECC(env Env, slot byte) bool {
	_, ok := env.Pub(slot).(*ecdsa.PublicKey)
	return ok
}

// containerOf is the container index of a standard slot.
func containerOf(slot byte) byte {
	return byte(slices.Index(StandardSlots, slot))
}

// certFile is the name of a standard slot's certificate file: ksc for ECDSA (and RSA
// AT_SIGNATURE) containers, kxc otherwise. With the standard provisioning 9A and 9D are RSA key
// exchange, 9C and 9E ECDSA.
func certFile(slot byte) string {
	prefix := spec.UserKeyExchangeCertPrefix
	if slot == piv.SlotSign || slot == piv.SlotCardAuth {
		prefix = spec.UserSignatureCertPrefix
	}
	return spec.CertFileName(prefix, containerOf(slot))
}

// flowFiles: the virtual file system (docs/piv-mapping.md): root and mscp listings, cardid ==
// CHUID GUID, cardcf, cardapps, cmapfile records, the certificates equal the card's, file info,
// and the file errors.
func flowFiles(t T, md Minidriver, env Env) {
	c := open(t, md, env)
	defer done(t, c)

	root, err := c.EnumFiles("", 0)
	if names := spec.ParseMultiStringANSI(root); err != nil || !slices.Equal(names, []string{"cardid", "cardcf", "cardapps"}) {
		t.Errorf("CardEnumFiles(root) = %q, %v", names, err)
	}
	wantMSCP := []string{"cmapfile"}
	for _, s := range StandardSlots {
		wantMSCP = append(wantMSCP, certFile(s))
	}
	mscp, err := c.EnumFiles(spec.DirBaseCSP, 0)
	if names := spec.ParseMultiStringANSI(mscp); err != nil || !slices.Equal(names, wantMSCP) {
		t.Errorf("CardEnumFiles(mscp) = %q, %v; want %q", names, err, wantMSCP)
	}
	_, err = c.EnumFiles("MSCP", 0)
	want(t, err, spec.Success, "CardEnumFiles(MSCP): names are case-insensitive")
	_, err = c.EnumFiles("nodir", 0)
	want(t, err, spec.SCardEDirNotFound, "CardEnumFiles(nodir)")
	_, err = c.EnumFiles("", 1)
	want(t, err, spec.SCardEInvalidParameter, "CardEnumFiles with flags 1")

	read := func(dir, name string) []byte {
		t.Helper()
		b, err := c.ReadFile(dir, name, 0)
		if err != nil {
			t.Errorf("CardReadFile(%s/%s): %v", dir, name, err)
			return nil
		}
		fi, err := c.GetFileInfo(dir, name)
		if err != nil || fi.Version != 1 || fi.FileSize != uint32(len(b)) {
			t.Errorf("CardGetFileInfo(%s/%s) = %+v, %v; read %d bytes", dir, name, fi, err, len(b))
		}
		wantAC := spec.EveryoneReadUserWriteAc
		if name == spec.FileCardIdentifier || name == spec.FileCardApps {
			wantAC = spec.EveryoneReadAdminWriteAc
		}
		if fi.AccessCondition != wantAC {
			t.Errorf("CardGetFileInfo(%s/%s): access condition %v, want %v", dir, name, fi.AccessCondition, wantAC)
		}
		return b
	}
	if id := read("", spec.FileCardIdentifier); !bytes.Equal(id, env.GUID) {
		t.Errorf("cardid %X, want the CHUID GUID %X", id, env.GUID)
	}
	if _, err := spec.ParseCacheFile(read("", spec.FileCache)); err != nil {
		t.Errorf("cardcf: %v", err)
	}
	if apps := read("", spec.FileCardApps); !bytes.Equal(apps, spec.CardAppsInitial()) {
		t.Errorf("cardapps %q", apps)
	}
	recs, err := spec.ParseContainerMap(read(spec.DirBaseCSP, spec.FileContainerMap))
	if err != nil || len(recs) != len(StandardSlots) {
		t.Errorf("cmapfile: %d records, %v", len(recs), err)
	} else {
		names := map[string]bool{}
		for i, slot := range StandardSlots {
			r := recs[i]
			if !r.Valid() || r.Default() != (i == 0) || r.Name() == "" || names[r.Name()] {
				t.Errorf("cmapfile record %d: %+v (name %q)", i, r, r.Name())
			}
			names[r.Name()] = true
			bits := uint16(2048)
			if isECC(env, slot) {
				bits = uint16(env.Pub(slot).(*ecdsa.PublicKey).Curve.Params().BitSize)
				if r.SigKeySizeBits != bits || r.KeyExchangeKeySizeBits != 0 {
					t.Errorf("cmapfile record %d: sizes %d/%d, want signature %d", i, r.SigKeySizeBits, r.KeyExchangeKeySizeBits, bits)
				}
			} else if r.KeyExchangeKeySizeBits != bits || r.SigKeySizeBits != 0 {
				t.Errorf("cmapfile record %d: sizes %d/%d, want key exchange %d", i, r.SigKeySizeBits, r.KeyExchangeKeySizeBits, bits)
			}
		}
	}
	for _, slot := range StandardSlots {
		name := certFile(slot)
		if der := read(spec.DirBaseCSP, name); !bytes.Equal(der, env.Cert(slot)) {
			t.Errorf("%s differs from the certificate of slot %02X", name, slot)
		}
		// Names are case-insensitive.
		upper := []byte(name)
		upper[0] -= 'a' - 'A'
		if der, err := c.ReadFile("MSCP", string(upper), 0); err != nil || !bytes.Equal(der, env.Cert(slot)) {
			t.Errorf("CardReadFile(MSCP/%s): %v", upper, err)
		}
	}
	for _, name := range []string{"ksc00", "kxc01", "kxc04", "kxc17", "msroots", "nofile"} {
		_, err := c.ReadFile(spec.DirBaseCSP, name, 0)
		want(t, err, spec.SCardEFileNotFound, "CardReadFile(mscp/%s)", name)
		_, err = c.GetFileInfo(spec.DirBaseCSP, name)
		want(t, err, spec.SCardEFileNotFound, "CardGetFileInfo(mscp/%s)", name)
	}
	_, err = c.ReadFile("", "cmapfile", 0)
	want(t, err, spec.SCardEFileNotFound, "CardReadFile(cmapfile in the root)")
	_, err = c.ReadFile("nodir", "cardid", 0)
	want(t, err, spec.SCardEDirNotFound, "CardReadFile(nodir/cardid)")
	for _, bad := range []string{"", "toolongname", "a*b", "a/b", "a\\b", "a:b", "a?b", "a|b", "a\x01b"} {
		_, err = c.ReadFile(spec.DirBaseCSP, bad, 0)
		want(t, err, spec.SCardEInvalidParameter, "CardReadFile(mscp/%q)", bad)
	}
	_, err = c.ReadFile("", spec.FileCardIdentifier, 1)
	want(t, err, spec.SCardEInvalidParameter, "CardReadFile with flags 1")

	fs, err := c.QueryFreeSpace(0)
	if err != nil || fs.Version != 1 || fs.BytesAvailable == 0 || fs.KeyContainersAvailable != uint32(24-len(StandardSlots)) || fs.MaxKeyContainers != 24 {
		t.Errorf("CardQueryFreeSpace = %+v, %v", fs, err)
	}
	_, err = c.QueryFreeSpace(1)
	want(t, err, spec.SCardEInvalidParameter, "CardQueryFreeSpace with flags 1")

	// Writes need the PIN (or the admin); this context has verified neither (flowEnrollFiles
	// writes with them).
	want(t, c.CreateDirectory("newdir", spec.UserCreateDeleteDirAc), spec.SCardWSecurityViolation, "CardCreateDirectory without the PIN")
	want(t, c.DeleteDirectory(spec.DirBaseCSP), spec.SCardWSecurityViolation, "CardDeleteDirectory without the PIN")
	want(t, c.CreateFile(spec.DirBaseCSP, "newfile", 16, spec.EveryoneReadUserWriteAc), spec.SCardWSecurityViolation, "CardCreateFile without the PIN")
	want(t, c.WriteFile(spec.DirBaseCSP, spec.FileContainerMap, 0, make([]byte, 86)), spec.SCardWSecurityViolation, "CardWriteFile without the PIN")
	want(t, c.DeleteFile(spec.DirBaseCSP, "kxc00", 0), spec.SCardWSecurityViolation, "CardDeleteFile without the PIN")
}

// flowContainers: CardGetContainerInfo blobs of every container, CardQueryKeySizes and
// CardQueryCapabilities, with their errors.
func flowContainers(t T, md Minidriver, env Env) {
	c := open(t, md, env)
	defer done(t, c)
	for _, slot := range StandardSlots {
		idx := containerOf(slot)
		for _, v := range []uint32{0, 1} {
			info := &engine.ContainerInfo{Version: v}
			if err := c.GetContainerInfo(idx, 0, info); err != nil {
				t.Errorf("CardGetContainerInfo(%d, dwVersion %d): %v", idx, v, err)
				continue
			}
			checkContainerInfo(t, idx, slot, env, info)
		}
	}
	for _, idx := range []byte{4, 23, 24, 255} {
		want(t, c.GetContainerInfo(idx, 0, &engine.ContainerInfo{Version: 1}), spec.SCardENoKeyContainer, "CardGetContainerInfo(%d)", idx)
	}
	want(t, c.GetContainerInfo(0, 0, &engine.ContainerInfo{Version: 2}), spec.ErrorRevisionMismatch, "CardGetContainerInfo with dwVersion 2")
	want(t, c.GetContainerInfo(0, 1, &engine.ContainerInfo{Version: 1}), spec.SCardEInvalidParameter, "CardGetContainerInfo with flags 1")

	for ks, w := range map[spec.KeySpec]spec.KeySizes{
		spec.ATKeyExchange: {Version: 1, Minimum: 1024, Default: 2048, Maximum: 4096, Incremental: 1024},
		spec.ATECDSAP256:   {Version: 1, Minimum: 256, Default: 256, Maximum: 256, Incremental: 1},
		spec.ATECDHEP384:   {Version: 1, Minimum: 384, Default: 384, Maximum: 384, Incremental: 1},
	} {
		for _, v := range []uint32{0, 1} {
			got, err := c.QueryKeySizes(ks, 0, v)
			if err != nil || got != w {
				t.Errorf("CardQueryKeySizes(%v, dwVersion %d) = %+v, %v", ks, v, got, err)
			}
		}
	}
	_, err := c.QueryKeySizes(spec.ATECDHEP521, 0, 1)
	want(t, err, spec.SCardEUnsupportedFeature, "CardQueryKeySizes(AT_ECDHE_P521)")
	_, err = c.QueryKeySizes(9, 0, 1)
	want(t, err, spec.SCardEInvalidParameter, "CardQueryKeySizes(9)")
	_, err = c.QueryKeySizes(spec.ATKeyExchange, 1, 1)
	want(t, err, spec.SCardEInvalidParameter, "CardQueryKeySizes with flags 1")
	_, err = c.QueryKeySizes(spec.ATKeyExchange, 0, 2)
	want(t, err, spec.ErrorRevisionMismatch, "CardQueryKeySizes with dwVersion 2")

	// dwVersion 0 counts as 1; the structure comes back as the engine makes it (version 1).
	for _, v := range []uint32{0, 1} {
		caps, err := c.QueryCapabilities(v)
		if err != nil || caps != (spec.CardCapabilities{Version: 1, CertificateCompression: true, KeyGen: true}) {
			t.Errorf("CardQueryCapabilities(dwVersion %d) = %+v, %v", v, caps, err)
		}
	}
	_, err = c.QueryCapabilities(2)
	want(t, err, spec.ErrorRevisionMismatch, "CardQueryCapabilities with dwVersion 2")

	// Creating and deleting containers needs the PIN (flowEnroll* do it with the PIN).
	want(t, c.CreateContainer(5, spec.CardCreateContainerKeyGen, spec.ATKeyExchange, 2048, nil), spec.SCardWSecurityViolation, "CardCreateContainer without the PIN")
	want(t, c.CreateContainerEx(5, spec.CardCreateContainerKeyGen, spec.ATKeyExchange, 2048, nil, 1), spec.SCardWSecurityViolation, "CardCreateContainerEx without the PIN")
	want(t, c.DeleteContainer(0, 0), spec.SCardWSecurityViolation, "CardDeleteContainer without the PIN")
}
