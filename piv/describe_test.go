package piv

import (
	"bytes"
	"errors"
	"testing"

	"github.com/cardmod/cardmod/apdu"
)

func TestDescribe(t *testing.T) {
	pin := []byte{'9', '8', '7', '6', '5', '4', 0xFF, 0xFF}
	cases := []struct {
		cmd  apdu.Command
		rsp  []byte
		err  error
		want string
	}{
		{apdu.Command{INS: InsGetData, P1: 0x3F, P2: 0xFF, Data: []byte{0x5C, 3, 0x5F, 0xC1, 0x02}, Ne: 256}, []byte{0x90, 0}, nil, "GET DATA 5FC102"},
		{apdu.Command{INS: InsVerify, P2: 0x80, Data: pin}, []byte{0x63, 0xC2}, nil, "VERIFY PIN -> 63C2"},
		{apdu.Command{INS: InsVerify, P1: 0xFF, P2: 0x80}, []byte{0x90, 0}, nil, "VERIFY P1=FF (log out)"},
		{apdu.Command{INS: InsGeneralAuth, P1: 0x11, P2: 0x9A, Data: []byte{0x7C, 0}}, nil, errors.New("gone"), "GENERAL AUTHENTICATE 9A -> transport error"},
		{apdu.Command{INS: InsImportKey, P1: 0x11, P2: 0x82, Data: []byte{6, 1, 0x42}}, []byte{0x90, 0}, nil, "IMPORT KEY 82"},
		{apdu.Command{CLA: 0x10, INS: InsPutData, P1: 0x3F, P2: 0xFF, Data: []byte{0x5C, 3, 0x5F, 0xFF, 0x10, 0x53}}, []byte{0x90, 0}, nil, "PUT DATA 5FFF10 (chained)"},
	}
	for _, c := range cases {
		raw, err := c.cmd.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		got := Describe(raw, c.rsp, c.err)
		if got != c.want {
			t.Errorf("Describe = %q, want %q", got, c.want)
		}
		if bytes.Contains([]byte(got), []byte("987654")) {
			t.Errorf("the PIN appears in %q", got)
		}
	}
	if got := Describe([]byte{0}, nil, nil); got != "malformed command" {
		t.Errorf("malformed: %q", got)
	}
}
