package csp

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"fmt"

	"github.com/cardmod/cardmod/spec"
)

// PutFile writes a file of the minidriver's file system (dir "" is the root), as the CSP does
// for the files it owns (mscp/msroots) and applications do through CryptSetProvParam-like
// interfaces:
//
//  1. CardReadFile cardcf;
//  2. CardCreateFile with the size and access condition; ERROR_FILE_EXISTS means the file is
//     rewritten (its access condition stays); SCARD_E_DIR_NOT_FOUND makes the directory first
//     (CardCreateDirectory, UserCreateDeleteDirAc);
//  3. CardWriteFile with the whole content;
//  4. CardWriteFile cardcf with the files counter bumped.
func (s *Session) PutFile(dir, name string, data []byte, ac spec.FileAccessCondition) error {
	cf, err := s.readCardcf()
	if err != nil {
		return err
	}
	create := func() error {
		return s.call("CardCreateFile", func() error { return s.MD.CreateFile(dir, name, uint32(len(data)), ac) })
	}
	err = create()
	if isStatus(err, spec.SCardEDirNotFound) && dir != "" {
		if err := s.call("CardCreateDirectory", func() error { return s.MD.CreateDirectory(dir, spec.UserCreateDeleteDirAc) }); err != nil {
			return fmt.Errorf("create directory %s: %w", dir, err)
		}
		err = create()
	}
	if err != nil && !isStatus(err, spec.ErrorFileExists) {
		return fmt.Errorf("create %s: %w", filePath(dir, name), err)
	}
	if err := s.writeFile(dir, name, data); err != nil {
		return err
	}
	cf.BumpFiles()
	return s.writeCardcf(cf)
}

// RemoveFile deletes a file: CardReadFile cardcf, CardDeleteFile, CardWriteFile cardcf with the
// files counter bumped.
func (s *Session) RemoveFile(dir, name string) error {
	cf, err := s.readCardcf()
	if err != nil {
		return err
	}
	if err := s.call("CardDeleteFile", func() error { return s.MD.DeleteFile(dir, name, 0) }); err != nil {
		return fmt.Errorf("delete %s: %w", filePath(dir, name), err)
	}
	cf.BumpFiles()
	return s.writeCardcf(cf)
}

// ListFiles is CardEnumFiles: the names of a directory's files ("" is the root).
func (s *Session) ListFiles(dir string) ([]string, error) {
	var names []string
	err := s.call("CardEnumFiles", func() error {
		buf, err := s.MD.EnumFiles(dir, 0)
		if err != nil {
			return err
		}
		names = spec.ParseMultiStringANSI(s.take(buf))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %q: %w", dir, err)
	}
	return names, nil
}

// AuthenticateAdmin authenticates ROLE_ADMIN (the PIV management key) as the CSP does for an
// administrator: CardGetChallengeEx(ROLE_ADMIN), then CardAuthenticateChallenge with the
// challenge encrypted under key (ChallengeResponse).
func (s *Session) AuthenticateAdmin(key []byte) error {
	var ch []byte
	err := s.call("CardGetChallengeEx", func() error {
		buf, err := s.MD.GetChallengeEx(spec.RoleAdmin, 0)
		ch = s.take(buf)
		return err
	})
	if err != nil {
		return fmt.Errorf("admin challenge: %w", err)
	}
	resp, err := ChallengeResponse(key, ch)
	if err != nil {
		return err
	}
	err = s.call("CardAuthenticateChallenge", func() error {
		_, err := s.MD.AuthenticateChallenge(resp)
		return err
	})
	clear(resp)
	if err != nil {
		return fmt.Errorf("admin authentication: %w", err)
	}
	return nil
}

// ChallengeResponse is the response to an admin challenge: the challenge encrypted with the
// management key, one block in ECB mode. An 8-byte challenge is 3DES (a 24-byte key, or a
// 16-byte two-key 3DES key), a 16-byte one AES (a 16-, 24- or 32-byte key).
func ChallengeResponse(key, challenge []byte) ([]byte, error) {
	var blk cipher.Block
	var err error
	switch len(challenge) {
	case des.BlockSize:
		k := key
		if len(k) == 16 {
			k = append(append([]byte{}, key...), key[:8]...)
			defer clear(k)
		}
		if len(k) != 24 {
			return nil, fmt.Errorf("the card asks for a 3DES management key (24 bytes), the key has %d", len(key))
		}
		blk, err = des.NewTripleDESCipher(k)
	case aes.BlockSize:
		if len(key) != 16 && len(key) != 24 && len(key) != 32 {
			return nil, fmt.Errorf("the card asks for an AES management key (16, 24 or 32 bytes), the key has %d", len(key))
		}
		blk, err = aes.NewCipher(key)
	default:
		return nil, fmt.Errorf("admin challenge of %d bytes", len(challenge))
	}
	if err != nil {
		return nil, fmt.Errorf("management key: %w", err)
	}
	out := make([]byte, len(challenge))
	blk.Encrypt(out, challenge)
	return out, nil
}
