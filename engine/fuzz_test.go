package engine_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/cardmod/cardmod/apdu"
	"github.com/cardmod/cardmod/engine"
	"github.com/cardmod/cardmod/engine/enginetest"
	"github.com/cardmod/cardmod/engine/refhost"
	"github.com/cardmod/cardmod/piv"
	"github.com/cardmod/cardmod/spec"
	"github.com/cardmod/cardmod/vcard"
)

// selectAnswer is the virtual card's answer to SELECT PIV.
func selectAnswer(t testing.TB) []byte {
	card, err := vcard.New(vcard.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cmd, _ := apdu.Command{INS: piv.InsSelect, P1: 4, Data: piv.AID, Ne: 256}.Bytes()
	rsp, err := card.Transmit(cmd)
	if err != nil {
		t.Fatal(err)
	}
	return rsp
}

// hostileCard answers SELECT like a PIV card, then serves the scripted responses to every
// command, one each, in order; an empty response stands for a transport failure, and when the
// script is exhausted the card answers 6A82.
type hostileCard struct {
	sel      []byte
	selected bool
	script   [][]byte
}

func (c *hostileCard) Transmit(cmd []byte) ([]byte, error) {
	if !c.selected && len(cmd) > 1 && cmd[1] == piv.InsSelect {
		c.selected = true
		return slices.Clone(c.sel), nil
	}
	if len(c.script) == 0 {
		return []byte{0x6A, 0x82}, nil
	}
	r := c.script[0]
	c.script = c.script[1:]
	if len(r) == 0 {
		return nil, errors.New("hostile card: reader failure")
	}
	return slices.Clone(r), nil
}

// splitScript cuts fuzz input into responses: each is a 2-byte big-endian length then that many
// bytes (fewer at the end of the input).
func splitScript(b []byte) [][]byte {
	var out [][]byte
	for len(b) >= 2 {
		n := int(binary.BigEndian.Uint16(b))
		b = b[2:]
		n = min(n, len(b))
		out = append(out, b[:n])
		b = b[n:]
	}
	return out
}

func joinScript(rs [][]byte) []byte {
	var b []byte
	for _, r := range rs {
		b = binary.BigEndian.AppendUint16(b, uint16(len(r)))
		b = append(b, r...)
	}
	return b
}

// recorder passes commands to a card and records the responses after the SELECT.
type recorder struct {
	t    apdu.Transport
	rsps [][]byte
	n    int
}

func (r *recorder) Transmit(cmd []byte) ([]byte, error) {
	rsp, err := r.t.Transmit(cmd)
	if r.n > 0 && err == nil {
		r.rsps = append(r.rsps, slices.Clone(rsp))
	}
	r.n++
	return rsp, err
}

// hostileFlow runs what Windows does with a card. Every error must carry a minidriver status,
// and every buffer handed out is freed.
func hostileFlow(t testing.TB, ctx *engine.Context, h *refhost.Host) {
	check := func(what string, err error) {
		if err == nil {
			return
		}
		var st spec.Status
		if !errors.As(err, &st) || st == spec.Success {
			t.Fatalf("%s: error without a status: %v", what, err)
		}
	}
	free := func(what string, b []byte, err error) {
		check(what, err)
		if err != nil && b != nil {
			t.Fatalf("%s: buffer returned with an error", what)
		}
		if b != nil {
			h.Free(b)
		}
	}
	for _, f := range [][2]string{{"", "cardid"}, {"", "cardcf"}, {"", "cardapps"}, {"mscp", "cmapfile"},
		{"mscp", "kxc00"}, {"mscp", "ksc01"}, {"mscp", "kxc02"}, {"mscp", "ksc03"}, {"mscp", "msroots"}} {
		b, err := ctx.ReadFile(f[0], f[1], 0)
		free("read "+f[1], b, err)
		_, err = ctx.GetFileInfo(f[0], f[1])
		check("info "+f[1], err)
	}
	b, err := ctx.EnumFiles("mscp", 0)
	free("enum", b, err)
	for idx := byte(0); idx <= 4; idx++ {
		info := &engine.ContainerInfo{Version: 1}
		err := ctx.GetContainerInfo(idx, 0, info)
		check(fmt.Sprint("container ", idx), err)
		if err == nil && (len(info.SigPublicKey) == 0) == (len(info.KeyExPublicKey) == 0) {
			t.Fatalf("container %d: signature blob of %d bytes, key exchange blob of %d", idx, len(info.SigPublicKey), len(info.KeyExPublicKey))
		}
		freeInfo(h, info)
		p, err := ctx.GetContainerProperty(idx, spec.CCPPINIdentifier, 0, 0)
		check("PIN identifier", err)
		_ = p
	}
	for _, name := range []string{spec.CPCardSerialNo, spec.CPCardGUID, spec.CPCardAuthenticatedState} {
		_, err := ctx.GetProperty(name, 0)
		check(name, err)
	}
	_, err = ctx.AuthenticatePin("user", enginetest.PIN)
	check("PIN", err)
	s, _, err := ctx.AuthenticateEx(spec.RoleUser, spec.CardAuthenticateGenerateSessionPIN, enginetest.PIN, true)
	free("session PIN", s, err)
	digest := make([]byte, 32)
	for _, si := range []*engine.SigningInfo{
		{Version: 2, ContainerIndex: 0, KeySpec: spec.ATKeyExchange, HashAlg: spec.CALGSHA256, Data: digest},
		{Version: 2, ContainerIndex: 0, KeySpec: spec.ATKeyExchange, SigningFlags: spec.CardPaddingInfoPresent,
			PaddingType: engine.PaddingPSS, Padding: &engine.PaddingInfo{AlgID: "SHA256", HasAlgID: true, SaltLen: 32}, Data: digest},
		{Version: 2, ContainerIndex: 1, KeySpec: spec.ATECDSAP256, Data: digest},
		{Version: 2, ContainerIndex: 3, KeySpec: spec.ATECDSAP384, Data: digest},
		{Version: 2, ContainerIndex: 3, KeySpec: spec.ATECDSAP384, SigningFlags: spec.CardBufferSizeOnly, Data: digest},
	} {
		err := ctx.SignData(si)
		free("sign", si.SignedData, err)
	}
	ct := make([]byte, 256)
	ct[0] = 1
	for _, pad := range []uint32{engine.PaddingPKCS1, engine.PaddingOAEP, engine.PaddingNone} {
		di := &engine.RSADecryptInfo{Version: 2, ContainerIndex: 2, KeySpec: spec.ATKeyExchange, Data: slices.Clone(ct),
			PaddingType: pad, OAEP: &engine.OAEPInfo{}}
		check("decrypt", ctx.RSADecrypt(di))
	}
	ch, err := ctx.GetChallenge()
	free("challenge", ch, err)
	_, err = ctx.AuthenticateChallenge(make([]byte, 8))
	check("response", err)
	check("deauthenticate", ctx.DeauthenticateEx(spec.PINSetAllRoles, 0))
	check("deauthenticate admin", ctx.Deauthenticate("admin", 0))
	check("delete", ctx.DeleteContext())
	if n := h.Live(); n != 0 {
		t.Fatalf("%d buffers not freed", n)
	}
}

// seedScripts runs the flow against a real virtual card and returns its responses.
func seedScripts(t testing.TB) [][]byte {
	var seeds [][]byte
	for _, ext := range []bool{true, false} {
		for _, keys := range [][]enginetest.Key{enginetest.StandardKeys, nil} {
			p := enginetest.Provision(t, keys)
			rec := &recorder{t: p.Card}
			ctx, h := enginetest.Acquire(t, engine.NewModule(), rec, ext)
			hostileFlow(t, ctx, h)
			seeds = append(seeds, joinScript(rec.rsps))
		}
	}
	return seeds
}

func FuzzHostileCard(f *testing.F) {
	for _, s := range seedScripts(f) {
		f.Add(s)
	}
	f.Add([]byte{})
	f.Add(joinScript([][]byte{{0x90, 0x00}, {0x61, 0x10}, {0x6C, 0x05}, {}, {0x63, 0xC0}, {0x69, 0x83}, {0x53, 0x00, 0x90, 0x00}}))
	sel := selectAnswer(f)
	m := engine.NewModule()
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, ext := range []bool{true, false} {
			card := &hostileCard{sel: sel, script: splitScript(data)}
			h := refhost.New()
			ctx, err := m.AcquireContext(engine.AcquireParams{Version: 7, ATR: vcard.ATR(), CardName: "hostile", HasCardName: true,
				Host: h, Card: card, ExtendedLength: ext})
			if err != nil {
				t.Fatalf("acquire: %v", err)
			}
			hostileFlow(t, ctx, h)
		}
	})
}

// TestHostileCardSeeds replays the seed scripts with every response corrupted in turn (one byte
// flipped, truncated, or replaced by a transport failure), so that the hostile-card checks run
// in every ordinary test run, not only under -fuzz.
func TestHostileCardSeeds(t *testing.T) {
	sel := selectAnswer(t)
	m := engine.NewModule()
	run := func(script [][]byte, ext bool) {
		card := &hostileCard{sel: sel, script: script}
		h := refhost.New()
		ctx, err := m.AcquireContext(engine.AcquireParams{Version: 7, ATR: vcard.ATR(), CardName: "hostile", HasCardName: true,
			Host: h, Card: card, ExtendedLength: ext})
		if err != nil {
			t.Fatalf("acquire: %v", err)
		}
		hostileFlow(t, ctx, h)
	}
	seeds := seedScripts(t)
	for si, seed := range seeds {
		ext := si < 2
		rsps := splitScript(seed)
		run(rsps, ext)
		limit := len(rsps)
		if testing.Short() {
			limit = min(limit, 10)
		}
		for i := range limit {
			for _, mut := range []func([]byte) []byte{
				func(r []byte) []byte { return nil },
				func(r []byte) []byte { return r[:len(r)/2] },
				func(r []byte) []byte { return []byte{0x90, 0x00} },
				func(r []byte) []byte { return []byte{0x6F, 0x00} },
				func(r []byte) []byte {
					r = slices.Clone(r)
					r[len(r)/3] ^= 0x55
					return r
				},
			} {
				script := slices.Clone(rsps)
				script[i] = mut(rsps[i])
				run(script, ext)
			}
		}
	}
}
