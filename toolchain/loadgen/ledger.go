package main

import (
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// k6's error codes (lib/netext/httpext/error_codes.go in k6), kept so that the ledger's readers need not
// change.
const (
	errDefault        = 1000
	errRequestTimeout = 1050
	errDialTimeout    = 1211
	errDialRefused    = 1212
	errResetByPeer    = 1220
)

// errorCode classifies Result.Error of a request that got no answer (Code 0). vegeta keeps only the error's
// text (lib/attack.go: res.Error = err.Error()), so this goes by the messages of Go's net/http and net:
//
//	dial tcp …: connect: connection refused                                    1212
//	read tcp …: read: connection reset by peer                                 1220
//	dial tcp …: i/o timeout, dial tcp …: connect: connection timed out         1211
//	context deadline exceeded (Client.Timeout exceeded while awaiting headers) 1050
//	… (Client.Timeout or context cancellation while reading body)              1050
//	anything else (EOF, broken pipe, …)                                        1000
//
// A connect that hangs until the plan's timeout is 1050, not 1211: vegeta's dialer has no timeout of its
// own and Go's transport lets a dial run on detached from the request, reporting the request's deadline
// (net/http/transport.go, getConn). 1211 appears when the dial itself gives up first (the kernel's SYN
// retries, about 127 s on Linux, shorter than a long plan timeout).
func errorCode(msg string) int {
	timeout := strings.Contains(msg, "Client.Timeout") || strings.Contains(msg, "deadline exceeded") ||
		strings.Contains(msg, "i/o timeout") || strings.Contains(msg, "timeout awaiting") || strings.Contains(msg, "timed out")
	switch {
	case strings.Contains(msg, "connection refused"):
		return errDialRefused
	case strings.Contains(msg, "connection reset by peer"):
		return errResetByPeer
	case timeout && strings.Contains(msg, "dial "):
		return errDialTimeout
	case timeout:
		return errRequestTimeout
	}
	return errDefault
}

// ledger writes one JSON line per result. Lines are gathered in a buffer and written whole (a reader tailing
// the file never sees half a line written by a flush) when the buffer fills and on every flush; the caller
// flushes at least every 250 ms and at the end.
type ledger struct {
	f   *os.File
	buf []byte
	err error
}

const ledgerBuf = 64 << 10

func openLedger(path string) (*ledger, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	return &ledger{f: f, buf: make([]byte, 0, ledgerBuf+256)}, nil
}

// keyOf takes the key from the k query parameter of the request's URL (Result.URL is the target's URL, set
// by vegeta from the Target the targeter made). loadgen appends k=<key> as the last parameter, and the path
// may hold the key too ({{key}}), so the key is found from the end: the last "k=" right after "?" or "&",
// up to the next "&". No full URL parse per result; "" when the URL has no k parameter.
func keyOf(u string) string {
	end := len(u)
	for {
		i := strings.LastIndex(u[:end], "k=")
		if i < 0 {
			return ""
		}
		if i > 0 && (u[i-1] == '?' || u[i-1] == '&') {
			v := u[i+2:]
			if j := strings.IndexByte(v, '&'); j >= 0 {
				v = v[:j]
			}
			if strings.IndexByte(v, '%') >= 0 || strings.IndexByte(v, '+') >= 0 {
				if k, err := url.QueryUnescape(v); err == nil {
					return k
				}
			}
			return v
		}
		end = i // "k=" inside another name or value ("?pk=1"): look further left
	}
}

func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, `\u00`...)
			b = append(b, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// appendLine appends {"t":…,"k":"…","s":…,"d":…[,"e":…]}\n.
func appendLine(b []byte, r *vegeta.Result, key string) []byte {
	b = append(b, `{"t":`...)
	b = strconv.AppendInt(b, r.Timestamp.UnixMilli(), 10)
	b = append(b, `,"k":`...)
	b = appendJSONString(b, key)
	b = append(b, `,"s":`...)
	b = strconv.AppendUint(b, uint64(r.Code), 10)
	b = append(b, `,"d":`...)
	b = strconv.AppendFloat(b, float64(r.Latency)/float64(time.Millisecond), 'f', 1, 64)
	if r.Code == 0 {
		b = append(b, `,"e":`...)
		b = strconv.AppendInt(b, int64(errorCode(r.Error)), 10)
	}
	return append(b, '}', '\n')
}

func (l *ledger) add(r *vegeta.Result) {
	l.buf = appendLine(l.buf, r, keyOf(r.URL))
	if len(l.buf) >= ledgerBuf {
		l.flush()
	}
}

// flush writes the buffered lines; the first write error is kept and reported by the caller.
func (l *ledger) flush() {
	if len(l.buf) == 0 || l.err != nil {
		l.buf = l.buf[:0]
		return
	}
	if _, err := l.f.Write(l.buf); err != nil {
		l.err = err
	}
	l.buf = l.buf[:0]
}

func (l *ledger) close() error {
	l.flush()
	if err := l.f.Close(); err != nil && l.err == nil {
		l.err = err
	}
	return l.err
}
