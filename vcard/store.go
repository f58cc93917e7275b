package vcard

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Store keeps the encoded card state somewhere durable. Save must be atomic: after a crash the
// store holds either the previous state or the new one.
type Store interface {
	Save(data []byte) error
}

// FileStore keeps the state in one file, replaced atomically on every save (temporary file in the
// same directory, fsync, rename, fsync of the directory).
type FileStore struct {
	Path string
}

// Save writes data to a temporary file next to Path and renames it over Path.
func (f FileStore) Save(data []byte) (err error) {
	dir := filepath.Dir(f.Path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(f.Path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("save card state: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("save card state: %w", err)
	}
	if _, err = tmp.Write(data); err != nil {
		return fmt.Errorf("save card state: %w", err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("save card state: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("save card state: %w", err)
	}
	if err = os.Rename(tmp.Name(), f.Path); err != nil {
		return fmt.Errorf("save card state: %w", err)
	}
	if d, derr := os.Open(dir); derr == nil {
		// Make the rename itself durable; failure here does not undo the save.
		d.Sync()
		d.Close()
	}
	return nil
}

// Load reads and checks the state in Path. A missing file gives an error wrapping fs.ErrNotExist;
// a damaged one an error wrapping ErrCorrupt.
func (f FileStore) Load() (*State, error) {
	data, err := os.ReadFile(f.Path)
	if err != nil {
		return nil, fmt.Errorf("load card state: %w", err)
	}
	s, err := UnmarshalState(data)
	if err != nil {
		return nil, fmt.Errorf("load card state %s: %w", f.Path, err)
	}
	return s, nil
}

// Exists reports whether the state file exists.
func (f FileStore) Exists() (bool, error) {
	_, err := os.Stat(f.Path)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return false, fmt.Errorf("card state %s: %w", f.Path, err)
}
