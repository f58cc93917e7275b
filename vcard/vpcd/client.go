// Package vpcd plugs a virtual smart card into pcscd through the
// vsmartcard-vpcd reader driver.
//
// The vpcd driver listens on TCP (127.0.0.1:35963 for the reader
// "Virtual PCD 00 00" with Debian's default /etc/reader.conf.d/vpcd). A card
// connects to it: connecting inserts the card, closing the connection removes
// it. Every message in either direction is a 2-byte big-endian length
// followed by the payload. A 1-byte payload from vpcd is a control code
// (power off, power on, reset, get ATR); a longer one is a command APDU that
// the card answers with a response APDU.
package vpcd

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"
)

// DefaultAddr is the address vpcd listens on for slot 0 ("Virtual PCD 00 00")
// with Debian's default reader configuration.
const DefaultAddr = "127.0.0.1:35963"

// DefaultMaxBackoff is the reconnect delay cap used when Client.MaxBackoff is
// zero.
const DefaultMaxBackoff = 2 * time.Second

// initialBackoff is the first reconnect delay after a connection drops or
// cannot be made.
const initialBackoff = 100 * time.Millisecond

// Control codes: 1-byte messages from vpcd to the card.
const (
	ctrlPowerOff = 0
	ctrlPowerOn  = 1
	ctrlReset    = 2
	ctrlGetATR   = 4
)

// swNoPreciseDiagnosis (6F00) answers a command the card failed to process.
var swNoPreciseDiagnosis = []byte{0x6F, 0x00}

// errNoCard is returned when a Client has no Card to serve.
var errNoCard = errors.New("vpcd: Client.Card is nil")

// Card is the virtual card a Client serves. Its methods are called from a
// single goroutine per Client, one at a time.
type Card interface {
	// ATR returns the card's Answer To Reset.
	ATR() []byte
	// Transmit processes a command APDU and returns the response APDU,
	// including SW1SW2.
	Transmit(cmd []byte) ([]byte, error)
	// PowerOn performs a cold start, clearing volatile state.
	PowerOn()
	// PowerOff removes power from the card.
	PowerOff()
	// Reset performs a warm reset, clearing volatile state.
	Reset()
}

// Client connects to vpcd and serves a Card. The zero value is not usable:
// Card must be set. A Client must not be used by two Serve calls at once.
type Client struct {
	// Addr is the vpcd address to connect to; empty means DefaultAddr.
	Addr string
	// Card is the card to serve. It is required.
	Card Card
	// Logger receives connection events and per-APDU debug records (command
	// header, lengths and status word only, never the data, which may hold
	// PINs or keys). Nil means slog.Default().
	Logger *slog.Logger
	// MaxBackoff caps the reconnect delay, which starts at 100ms and doubles
	// after each failed attempt; zero means DefaultMaxBackoff.
	MaxBackoff time.Duration

	// maxMessage overrides MaxMessage when non-zero (tests only).
	maxMessage int
}

func (c *Client) addr() string {
	if c.Addr == "" {
		return DefaultAddr
	}
	return c.Addr
}

func (c *Client) logger() *slog.Logger {
	if c.Logger == nil {
		return slog.Default()
	}
	return c.Logger
}

func (c *Client) maxBackoff() time.Duration {
	if c.MaxBackoff <= 0 {
		return DefaultMaxBackoff
	}
	return c.MaxBackoff
}

func (c *Client) limit() int {
	if c.maxMessage > 0 {
		return c.maxMessage
	}
	return MaxMessage
}

// nextBackoff doubles cur, bounded by limit.
func nextBackoff(cur, limit time.Duration) time.Duration {
	return min(cur*2, limit)
}

// Serve connects to vpcd and serves c.Card until ctx is cancelled. Whenever
// the connection cannot be made or drops (vpcd closed it, pcscd restarted, a
// malformed message arrived), Serve waits and reconnects, with a delay that
// starts at 100ms and doubles up to MaxBackoff; it is reset after a
// connection that carried at least one message. Serve returns ctx.Err() once
// ctx is done; it returns early only when the Client is misconfigured.
func (c *Client) Serve(ctx context.Context) error {
	if c.Card == nil {
		return errNoCard
	}
	addr := c.addr()
	log := c.logger().With("vpcd", addr)
	maxBackoff := c.maxBackoff()
	backoff := min(initialBackoff, maxBackoff)
	var dialer net.Dialer
	failures := 0
	for {
		conn, err := dialer.DialContext(ctx, "tcp", addr)
		switch {
		case ctx.Err() != nil:
			if conn != nil {
				_ = conn.Close()
			}
			return ctx.Err()
		case err != nil:
			failures++
			level := slog.LevelDebug
			if failures == 1 {
				level = slog.LevelWarn
			}
			log.Log(ctx, level, "vpcd: cannot connect, will retry",
				"err", err, "attempt", failures, "retry_in", backoff)
		default:
			failures = 0
			log.Info("vpcd: connected, card inserted")
			served, err := c.serveConn(ctx, conn, log)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err != nil {
				log.Warn("vpcd: connection dropped, card removed; reconnecting",
					"err", err, "messages", served, "retry_in", backoff)
			} else {
				log.Info("vpcd: connection closed by vpcd, card removed; reconnecting",
					"messages", served)
			}
			if served > 0 {
				backoff = min(initialBackoff, maxBackoff)
			}
		}
		if err := sleep(ctx, backoff); err != nil {
			return err
		}
		backoff = nextBackoff(backoff, maxBackoff)
	}
}

// sleep waits for d or until ctx is done, returning ctx.Err() in that case.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// ServeConn serves c.Card on one already-open connection to vpcd until the
// connection closes or ctx is done, then closes conn and powers the card off
// (removing a card removes its power). It returns nil when vpcd closed the
// connection cleanly, ctx.Err() when ctx was cancelled, and an error
// describing the failure otherwise (I/O error, truncated or oversized
// message).
func (c *Client) ServeConn(ctx context.Context, conn net.Conn) error {
	if c.Card == nil {
		_ = conn.Close()
		return errNoCard
	}
	_, err := c.serveConn(ctx, conn, c.logger())
	return err
}

// serveConn implements ServeConn and also reports how many messages were
// received, so that Serve can tell a working connection from one that is
// dropped at once.
func (c *Client) serveConn(ctx context.Context, conn net.Conn, log *slog.Logger) (int, error) {
	// Closing the connection is what unblocks a pending read or write when
	// ctx is cancelled.
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer func() {
		stop()
		_ = conn.Close()
		c.Card.PowerOff()
	}()
	limit := c.limit()
	served := 0
	for {
		quickAck(conn)
		msg, err := readFrame(conn, limit)
		if err != nil {
			switch {
			case ctx.Err() != nil:
				return served, ctx.Err()
			case errors.Is(err, io.EOF):
				return served, nil
			case errors.Is(err, errFrameTooLarge):
				log.Error("vpcd: oversized message, dropping connection", "err", err)
			}
			return served, err
		}
		served++
		resp, ok := c.handle(ctx, msg, log)
		if !ok {
			continue
		}
		if err := writeFrame(conn, resp); err != nil {
			if ctx.Err() != nil {
				return served, ctx.Err()
			}
			return served, err
		}
	}
}

// handle processes one message from vpcd and returns the answer to send, if
// any.
func (c *Client) handle(ctx context.Context, msg []byte, log *slog.Logger) ([]byte, bool) {
	switch len(msg) {
	case 0:
		log.Debug("vpcd: ignoring empty message")
		return nil, false
	case 1:
		return c.control(ctx, msg[0], log)
	default:
		return c.transmit(ctx, msg, log), true
	}
}

// control handles a 1-byte control message.
func (c *Client) control(ctx context.Context, code byte, log *slog.Logger) ([]byte, bool) {
	switch code {
	case ctrlPowerOff:
		log.Debug("vpcd: power off")
		c.Card.PowerOff()
		return nil, false
	case ctrlPowerOn:
		log.Debug("vpcd: power on")
		c.Card.PowerOn()
		return nil, false
	case ctrlReset:
		log.Debug("vpcd: reset")
		c.Card.Reset()
		return nil, false
	case ctrlGetATR:
		atr := c.Card.ATR()
		if len(atr) > maxWireLen {
			// Cannot happen with a sane card (an ATR is at most 33
			// bytes); answer nothing rather than break the framing.
			log.Error("vpcd: ATR too long, not answering", "len", len(atr))
			return nil, false
		}
		// vpcd's presence check asks for the ATR several times a second,
		// so this record sits below Debug to keep debug logs readable.
		log.Log(ctx, slog.LevelDebug-4, "vpcd: get ATR", "atr", hex.EncodeToString(atr))
		return atr, true
	default:
		log.Warn("vpcd: ignoring unknown control code", "code", code)
		return nil, false
	}
}

// transmit passes a command APDU to the card and returns the response to
// send. Card failures and unusable responses become 6F00 so that one bad
// command never breaks the connection.
func (c *Client) transmit(ctx context.Context, cmd []byte, log *slog.Logger) []byte {
	resp, err := c.Card.Transmit(cmd)
	var problem string
	switch {
	case err != nil:
		problem = fmt.Sprintf("card error: %v", err)
	case len(resp) < 2:
		problem = fmt.Sprintf("card returned a %d-byte response without status word", len(resp))
	case len(resp) > maxWireLen:
		problem = fmt.Sprintf("card returned a %d-byte response, too long for vpcd", len(resp))
	}
	if problem != "" {
		log.Warn("vpcd: answering 6F00", "header", apduHeader(cmd), "problem", problem)
		return swNoPreciseDiagnosis
	}
	if log.Enabled(ctx, slog.LevelDebug) {
		log.Debug("vpcd: apdu", "header", apduHeader(cmd), "cmd_len", len(cmd),
			"resp_len", len(resp)-2, "sw", hex.EncodeToString(resp[len(resp)-2:]))
	}
	return resp
}

// apduHeader returns the hex of CLA INS P1 P2 (or less for a short
// message), which is safe to log: the data field may hold secrets.
func apduHeader(cmd []byte) string {
	return hex.EncodeToString(cmd[:min(len(cmd), 4)])
}
