package piv

import (
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
)

// Redactor formats PIV APDU exchanges for traces with every secret left out: PINs, PUKs and
// management keys in commands, imported private keys, management key witnesses and challenges,
// the results of private-key operations (decrypted data, ECDH secrets), and PIN-protected data
// objects (which may hold a management key). Secret bytes are replaced by "[N bytes redacted]".
// A Redactor remembers the command in progress so that chained parts and GET RESPONSE
// continuations of a secret exchange are redacted too; it is safe for concurrent use but meant
// for one card connection.
type Redactor struct {
	mu          sync.Mutex
	chainSecret bool // a chained command whose first part was secret is in progress
	rspSecret   bool // the last response was secret and more of it may follow (61xx)
}

// Format returns the redacted hex forms of a command and its response (rsp may be nil).
func (r *Redactor) Format(cmd, rsp []byte) (cmdText, rspText string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	cmdSecret, rspSecret := r.classify(cmd)
	cmdText = formatCommand(cmd, cmdSecret)
	if rsp == nil {
		return cmdText, ""
	}
	rspText = formatResponse(rsp, rspSecret)
	r.rspSecret = rspSecret && len(rsp) >= 2 && rsp[len(rsp)-2] == 0x61
	return cmdText, rspText
}

// classify decides whether a command's data and its response's data are secret.
func (r *Redactor) classify(cmd []byte) (cmdSecret, rspSecret bool) {
	if len(cmd) < 4 {
		return false, false
	}
	cla, ins, p2 := cmd[0], cmd[1], cmd[3]
	chained := cla&0x10 != 0
	defer func() {
		if chained {
			r.chainSecret = cmdSecret
		} else {
			r.chainSecret = false
		}
	}()
	if ins == InsGetResponse {
		return false, r.rspSecret
	}
	r.rspSecret = false
	switch ins {
	case InsVerify, InsChangeReference, InsResetRetryCounter, InsSetMgmKey, InsImportKey:
		return true, false
	case InsGeneralAuth:
		return p2 == RefMgmKey, true
	case InsPutData:
		if r.chainSecret {
			return true, false
		}
		return protectedTagIn(cmd), false
	case InsGetData:
		return false, protectedTagIn(cmd)
	}
	return r.chainSecret, false
}

// protectedTagIn reports whether the data of a GET/PUT DATA command names a PIN-protected object
// (or cannot be read, which counts as protected).
func protectedTagIn(cmd []byte) bool {
	data := commandData(cmd)
	if len(data) < 2 || data[0] != TagTagList {
		return len(data) >= 2 && data[0] != 0x7E && !(data[0] == 0x7F && data[1] == 0x61)
	}
	n := int(data[1])
	if n < 1 || n > 3 || len(data) < 2+n {
		return true
	}
	var tag uint32
	for _, b := range data[2 : 2+n] {
		tag = tag<<8 | uint32(b)
	}
	obj, ok := LookupObject(tag)
	return !ok || obj.Read == PIN
}

// commandData returns the data field of a raw command APDU (nil when it has none or is malformed).
func commandData(cmd []byte) []byte {
	start, n := dataSpan(cmd)
	return cmd[start : start+n]
}

// dataSpan locates the data field of a raw command APDU: short (Lc at offset 4) or extended
// (00 Lc1 Lc2 at offset 4). Malformed commands are treated as having all bytes after the header
// as data, so that nothing leaks from them.
func dataSpan(cmd []byte) (start, n int) {
	if len(cmd) <= 5 {
		return len(cmd), 0
	}
	if cmd[4] != 0 {
		lc := int(cmd[4])
		if 5+lc <= len(cmd) {
			return 5, lc
		}
		return 4, len(cmd) - 4
	}
	if len(cmd) >= 7 {
		lc := int(cmd[5])<<8 | int(cmd[6])
		if lc > 0 && 7+lc <= len(cmd) {
			return 7, lc
		}
		if len(cmd) == 7 {
			return 7, 0 // case 2E: only Le
		}
	}
	return 4, len(cmd) - 4
}

func formatCommand(cmd []byte, secret bool) string {
	if !secret {
		return strings.ToUpper(hex.EncodeToString(cmd))
	}
	start, n := dataSpan(cmd)
	if n == 0 {
		return strings.ToUpper(hex.EncodeToString(cmd))
	}
	return fmt.Sprintf("%X [%d bytes redacted] %X", cmd[:start], n, cmd[start+n:])
}

func formatResponse(rsp []byte, secret bool) string {
	if !secret || len(rsp) <= 2 {
		return strings.ToUpper(hex.EncodeToString(rsp))
	}
	return fmt.Sprintf("[%d bytes redacted] %X", len(rsp)-2, rsp[len(rsp)-2:])
}
