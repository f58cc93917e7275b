package apdu

// ResponseQueue holds response data a card could not send at once, for ISO
// response chaining (61xx followed by GET RESPONSE). The zero value is an
// empty queue ready to use. A card should call Reset whenever a command
// other than GET RESPONSE arrives.
type ResponseQueue struct {
	rest    []byte
	pending bool
}

// Split queues data for sending and returns the first chunk (at most ne
// bytes; ne 0 or negative counts as 256) and the status word to send with
// it: 9000 if everything was sent, otherwise 61xx with xx the number of
// remaining bytes, or 00 if 256 or more remain. The remainder is copied and
// kept for [ResponseQueue.Next]; anything queued before is discarded. The
// returned chunk aliases data.
func (q *ResponseQueue) Split(data []byte, ne int) ([]byte, SW) {
	q.Reset()
	ne = normalizeNe(ne)
	if len(data) <= ne {
		return data, SWOK
	}
	q.rest = clone(data[ne:])
	q.pending = true
	return data[:ne], q.status()
}

// Next returns the next chunk of at most ne bytes (ne 0 or negative counts
// as 256) for a GET RESPONSE command, with the status word to send as for
// [ResponseQueue.Split]. If nothing is pending it returns nil and
// [SWConditionsNotSatisfied] (6985). The returned chunk is owned by the
// caller.
func (q *ResponseQueue) Next(ne int) ([]byte, SW) {
	if !q.pending {
		return nil, SWConditionsNotSatisfied
	}
	ne = normalizeNe(ne)
	if len(q.rest) <= ne {
		chunk := q.rest
		q.Reset()
		return chunk, SWOK
	}
	chunk := q.rest[:ne:ne]
	q.rest = q.rest[ne:]
	return chunk, q.status()
}

// Reset discards any pending data.
func (q *ResponseQueue) Reset() {
	q.rest = nil
	q.pending = false
}

// Pending reports whether data is waiting for a GET RESPONSE.
func (q *ResponseQueue) Pending() bool {
	return q.pending
}

// Remaining returns the number of bytes waiting for GET RESPONSE.
func (q *ResponseQueue) Remaining() int {
	return len(q.rest)
}

// status returns 61xx for the pending data.
func (q *ResponseQueue) status() SW {
	n := len(q.rest)
	if n >= 256 {
		n = 0
	}
	return SWBytesRemaining | SW(n)
}

func normalizeNe(ne int) int {
	if ne <= 0 {
		return MaxShortNe
	}
	return ne
}

// DefaultMaxChainData is the default limit of [ChainAssembler.MaxData].
const DefaultMaxChainData = 65536

// ChainAssembler collects the parts of a chained command (CLA bit 0x10) on
// the card side. The zero value is ready to use and accepts up to
// [DefaultMaxChainData] bytes of data per chain. A card should call Reset
// when the application is deselected or the card is reset.
type ChainAssembler struct {
	// MaxData is the maximum total data size of a chained command; 0 (or a
	// negative value) means DefaultMaxChainData.
	MaxData int

	active bool
	head   Command // CLA (without the chaining bit), INS, P1, P2 of the chain
	data   []byte
}

// Add processes the next command received by the card.
//
// For a chained part (CLA bit 0x10 set) it stores the data and returns
// done=false with sw 9000, which the card sends as the answer. For a final
// part it returns the complete command (the final part's CLA and Ne, and
// the data of all parts concatenated) with done=true and sw 9000. A command
// that is not part of a chain is returned unchanged with done=true.
//
// A part whose CLA (ignoring the chaining bit), INS, P1 or P2 differs from
// the chain in progress aborts that chain and is processed as the start of
// a new command. If the total data would exceed MaxData, the chain is
// discarded and Add returns done=false with [SWWrongLength] (6700), which
// the card should send as the answer.
//
// The returned command's Data is owned by the caller when it was
// assembled from several parts; otherwise it is c.Data.
func (a *ChainAssembler) Add(c Command) (cmd Command, done bool, sw SW) {
	if a.active && !a.sameChain(c) {
		a.Reset()
	}
	if !a.active && !c.Chained() {
		return c, true, SWOK
	}
	limit := a.MaxData
	if limit <= 0 {
		limit = DefaultMaxChainData
	}
	if len(a.data)+len(c.Data) > limit {
		a.Reset()
		return Command{}, false, SWWrongLength
	}
	if !a.active {
		a.active = true
		a.head = Command{CLA: c.CLA &^ ClaChaining, INS: c.INS, P1: c.P1, P2: c.P2}
	}
	a.data = append(a.data, c.Data...)
	if c.Chained() {
		return Command{}, false, SWOK
	}
	cmd = c
	cmd.Data = a.data
	if len(cmd.Data) == 0 {
		cmd.Data = nil
	}
	a.active = false
	a.data = nil
	return cmd, true, SWOK
}

// sameChain reports whether c continues the chain in progress.
func (a *ChainAssembler) sameChain(c Command) bool {
	return c.CLA&^ClaChaining == a.head.CLA && c.INS == a.head.INS &&
		c.P1 == a.head.P1 && c.P2 == a.head.P2
}

// InProgress reports whether a chain has been started and not completed.
func (a *ChainAssembler) InProgress() bool {
	return a.active
}

// Reset discards any chain in progress.
func (a *ChainAssembler) Reset() {
	a.active = false
	a.head = Command{}
	a.data = nil
}
