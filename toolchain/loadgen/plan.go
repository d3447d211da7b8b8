package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// Limits of a plan.
const (
	maxRate          = 100000     // hits per second, any stage
	maxTotalSeconds  = 168 * 3600 // the whole plan
	minTimeout       = 1.0        // seconds
	maxTimeout       = 600.0      // seconds
	maxKeyPrefixSize = 128
	maxTraceSampleEvery = 1_000_000
)

var allowedMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}

// keyPrefix is restricted to URL-unreserved characters (and ':') so that a key needs no escaping in the
// query string, the header or the ledger's JSON.
var keyPrefixRe = regexp.MustCompile(`^[A-Za-z0-9._~:-]+$`)

// planFile mirrors the JSON the TypeScript driver writes. Pointers tell a missing field from a zero; unknown
// fields (such as "slo") are ignored by encoding/json.
type planFile struct {
	BaseURL        *string            `json:"baseUrl"`
	Request        *requestFile       `json:"request"`
	KeyPrefix      *string            `json:"keyPrefix"`
	StartRate      *float64           `json:"startRate"`
	Stages         *[]json.RawMessage `json:"stages"`
	TimeoutSeconds *float64           `json:"timeoutSeconds"`
	// Every request gets a W3C traceparent whose trace id the driver can compute (traceparent.go); one in
	// traceSampleEvery is marked sampled. Absent: no traceparent is sent.
	TraceSampleEvery *float64 `json:"traceSampleEvery"`
}

type requestFile struct {
	Method            *string            `json:"method"`
	Path              *string            `json:"path"`
	Headers           map[string]*string `json:"headers"`
	IdempotencyHeader *string            `json:"idempotencyHeader"`
	Body              *string            `json:"body"`
}

type stageFile struct {
	Target  *float64 `json:"target"`
	Seconds *float64 `json:"seconds"`
}

// Stage is one validated stage: the rate goes linearly to Target over Seconds.
type Stage struct {
	Target  float64
	Seconds float64
}

// Plan is a validated plan.
type Plan struct {
	Method      string
	URL         *urlTemplate // baseUrl + request.path with its placeholders, then the k=<key> parameter
	Header      http.Header
	IdemHeader  string // canonical name, "" when absent
	Body        *bodyTemplate
	KeyPrefix   string
	StartRate   float64
	Stages      []Stage
	Timeout     float64 // seconds
	TotalSecond float64
	TraceEvery  uint64 // 0: no traceparent
}

// planError is a bad plan: exit 2 with this one line.
type planError struct{ msg string }

func (e *planError) Error() string { return e.msg }

func bad(field, format string, args ...any) error {
	return &planError{fmt.Sprintf("plan field %q: %s", field, fmt.Sprintf(format, args...))}
}

// jsonKind names the JSON type of a value for error messages.
func jsonKind(v string) string {
	switch v {
	case "string":
		return "a string"
	case "number":
		return "a number"
	case "bool":
		return "a boolean"
	case "array":
		return "an array"
	case "object":
		return "an object"
	}
	if strings.HasPrefix(v, "number") {
		return "a number (" + strings.TrimPrefix(v, "number ") + ")"
	}
	return v
}

func goKind(t string) string {
	switch {
	case t == "float64":
		return "a number"
	case t == "string", t == "*string":
		return "a string"
	case strings.Contains(t, "[]"):
		return "an array"
	case strings.Contains(t, "map["), strings.Contains(t, "File"):
		return "an object"
	}
	return t
}

func loadPlan(path string) (*Plan, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &planError{fmt.Sprintf("--plan: cannot read %q: %v; want a readable JSON plan file", path, errors.Unwrap(err))}
	}
	return parsePlan(data)
}

func parsePlan(data []byte) (*Plan, error) {
	var f planFile
	if err := json.Unmarshal(data, &f); err != nil {
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &te):
			field := te.Field
			if field == "" {
				field = "(the plan)"
			}
			return nil, bad(field, "got %s, want %s", jsonKind(te.Value), goKind(te.Type.String()))
		case errors.As(err, &se):
			return nil, &planError{fmt.Sprintf("plan: not valid JSON at byte %d: %v; want a JSON object", se.Offset, se)}
		default:
			return nil, &planError{fmt.Sprintf("plan: %v; want a JSON object", err)}
		}
	}
	return validate(&f)
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func validate(f *planFile) (*Plan, error) {
	p := &Plan{}

	// baseUrl
	if f.BaseURL == nil {
		return nil, bad("baseUrl", "missing; want an http(s) URL such as \"http://127.0.0.1:18080\"")
	}
	base := strings.TrimRight(*f.BaseURL, "/")
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, bad("baseUrl", "got %q, want an http(s) URL with a host and no query, fragment or user", *f.BaseURL)
	}

	// request
	if f.Request == nil {
		return nil, bad("request", "missing; want an object with method and path")
	}
	r := f.Request
	if r.Method == nil {
		return nil, bad("request.method", "missing; want one of %s", strings.Join(allowedMethods, ", "))
	}
	ok := false
	for _, m := range allowedMethods {
		ok = ok || *r.Method == m
	}
	if !ok {
		return nil, bad("request.method", "got %q, want one of %s", *r.Method, strings.Join(allowedMethods, ", "))
	}
	p.Method = *r.Method

	if r.Path == nil {
		return nil, bad("request.path", "missing; want a path starting with \"/\"")
	}
	if !strings.HasPrefix(*r.Path, "/") || strings.ContainsAny(*r.Path, "# \t\r\n") {
		return nil, bad("request.path", "got %q, want a path starting with \"/\" (a query is allowed, no fragment or spaces)", *r.Path)
	}
	ut, err := parseURLTemplate(base, *r.Path)
	if err != nil {
		return nil, bad("request.path", "got %q, %v", *r.Path, err)
	}
	// Checked as sent, with a sample key (a key's characters are valid wherever a placeholder stands).
	sample := ut.render("sample-0", 0)
	if _, err := url.ParseRequestURI(sample); err != nil {
		return nil, bad("request.path", "got %q, which with baseUrl makes %q, not a valid URL: %v", *r.Path, sample, err)
	}
	p.URL = ut

	if r.IdempotencyHeader != nil {
		h := *r.IdempotencyHeader
		if !httpguts.ValidHeaderFieldName(h) {
			return nil, bad("request.idempotencyHeader", "got %q, want a valid HTTP header name such as \"idempotency-key\"", h)
		}
		p.IdemHeader = http.CanonicalHeaderKey(h)
	}

	p.Header = http.Header{}
	for name, v := range r.Headers {
		field := "request.headers." + name
		if v == nil {
			return nil, bad(field, "got null, want a string")
		}
		if !httpguts.ValidHeaderFieldName(name) {
			return nil, bad(field, "got the name %q, want a valid HTTP header name", name)
		}
		if !httpguts.ValidHeaderFieldValue(*v) {
			return nil, bad(field, "got %q, want a valid HTTP header value (no control characters)", *v)
		}
		canon := http.CanonicalHeaderKey(name)
		if canon == "Host" || canon == "Content-Length" || canon == "Transfer-Encoding" || canon == "Connection" {
			return nil, bad(field, "got %q, a header the HTTP client sets itself; want any other header", name)
		}
		if p.IdemHeader != "" && canon == p.IdemHeader {
			return nil, bad(field, "names the idempotencyHeader, which loadgen sets per request; want it left out")
		}
		if _, dup := p.Header[canon]; dup {
			return nil, bad(field, "given twice (header names are case-insensitive); want it once")
		}
		p.Header[canon] = []string{*v}
	}

	if r.Body != nil {
		t, err := parseBodyTemplate(*r.Body)
		if err != nil {
			return nil, bad("request.body", "%v", err)
		}
		p.Body = t
	}

	// keyPrefix
	if f.KeyPrefix == nil {
		return nil, bad("keyPrefix", "missing; want 1..%d characters of A-Z a-z 0-9 . _ ~ : -", maxKeyPrefixSize)
	}
	if len(*f.KeyPrefix) > maxKeyPrefixSize || !keyPrefixRe.MatchString(*f.KeyPrefix) {
		return nil, bad("keyPrefix", "got %q, want 1..%d characters of A-Z a-z 0-9 . _ ~ : -", *f.KeyPrefix, maxKeyPrefixSize)
	}
	p.KeyPrefix = *f.KeyPrefix

	if f.TraceSampleEvery != nil {
		n := *f.TraceSampleEvery
		if !finite(n) || n != math.Trunc(n) || n < 1 || n > maxTraceSampleEvery {
			return nil, bad("traceSampleEvery", "got %v, want an integer from 1 (every request sampled) to %d", n, maxTraceSampleEvery)
		}
		p.TraceEvery = uint64(n)
	}

	// rates and stages
	if f.StartRate == nil {
		return nil, bad("startRate", "missing; want a rate per second in 0..%d", maxRate)
	}
	if !finite(*f.StartRate) || *f.StartRate < 0 || *f.StartRate > maxRate {
		return nil, bad("startRate", "got %v, want a rate per second in 0..%d", *f.StartRate, maxRate)
	}
	p.StartRate = *f.StartRate

	if f.Stages == nil || len(*f.Stages) == 0 {
		got := "nothing"
		if f.Stages != nil {
			got = "an empty array"
		}
		return nil, bad("stages", "got %s, want at least one stage {\"target\": rate, \"seconds\": s}", got)
	}
	total := 0.0
	for i, raw := range *f.Stages {
		field := "stages[" + strconv.Itoa(i) + "]"
		var s *stageFile
		if err := json.Unmarshal(raw, &s); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				if te.Field != "" {
					field += "." + te.Field
				}
				return nil, bad(field, "got %s, want %s", jsonKind(te.Value), goKind(te.Type.String()))
			}
			return nil, bad(field, "%v", err)
		}
		if s == nil {
			return nil, bad(field, "got null, want an object {\"target\": rate, \"seconds\": s}")
		}
		if s.Target == nil {
			return nil, bad(field+".target", "missing; want a rate per second in 0..%d", maxRate)
		}
		if !finite(*s.Target) || *s.Target < 0 || *s.Target > maxRate {
			return nil, bad(field+".target", "got %v, want a rate per second in 0..%d", *s.Target, maxRate)
		}
		if s.Seconds == nil {
			return nil, bad(field+".seconds", "missing; want a duration in seconds > 0")
		}
		if !finite(*s.Seconds) || *s.Seconds <= 0 {
			return nil, bad(field+".seconds", "got %v, want a duration in seconds > 0", *s.Seconds)
		}
		total += *s.Seconds
		p.Stages = append(p.Stages, Stage{Target: *s.Target, Seconds: *s.Seconds})
	}
	if total > maxTotalSeconds {
		return nil, bad("stages", "got %v s in all, want at most %d s (168 h)", total, maxTotalSeconds)
	}
	p.TotalSecond = total

	if f.TimeoutSeconds == nil {
		return nil, bad("timeoutSeconds", "missing; want seconds in %v..%v", minTimeout, maxTimeout)
	}
	if !finite(*f.TimeoutSeconds) || *f.TimeoutSeconds < minTimeout || *f.TimeoutSeconds > maxTimeout {
		return nil, bad("timeoutSeconds", "got %v, want seconds in %v..%v", *f.TimeoutSeconds, minTimeout, maxTimeout)
	}
	p.Timeout = *f.TimeoutSeconds
	return p, nil
}

// bodyTemplate is a body split at its placeholders {{key}}, {{n}} and {{now}}.
type bodyTemplate struct {
	parts []bodyPart
	size  int // literal bytes, a hint for the buffer
}

type bodyPart struct {
	literal string
	kind    int // 0 literal, 1 key, 2 n, 3 now
}

var placeholderRe = regexp.MustCompile(`\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}`)

func parseBodyTemplate(s string) (*bodyTemplate, error) {
	t := &bodyTemplate{}
	last := 0
	for _, m := range placeholderRe.FindAllStringSubmatchIndex(s, -1) {
		name := s[m[2]:m[3]]
		kind := 0
		switch name {
		case "key":
			kind = 1
		case "n":
			kind = 2
		case "now":
			kind = 3
		default:
			return nil, fmt.Errorf("got the placeholder {{%s}}, want only {{key}}, {{n}} or {{now}}", name)
		}
		if m[0] > last {
			t.parts = append(t.parts, bodyPart{literal: s[last:m[0]]})
			t.size += m[0] - last
		}
		t.parts = append(t.parts, bodyPart{kind: kind})
		last = m[1]
	}
	if last < len(s) {
		t.parts = append(t.parts, bodyPart{literal: s[last:]})
		t.size += len(s) - last
	}
	return t, nil
}

func (t *bodyTemplate) render(key string, n uint64, nowMs int64) []byte {
	b := make([]byte, 0, t.size+len(key)+40)
	for _, p := range t.parts {
		switch p.kind {
		case 0:
			b = append(b, p.literal...)
		case 1:
			b = append(b, key...)
		case 2:
			b = strconv.AppendUint(b, n, 10)
		case 3:
			b = strconv.AppendInt(b, nowMs, 10)
		}
	}
	return b
}

// urlTemplate is a request's URL: baseUrl + request.path split at its placeholders {{key}} and {{n}}, then
// the parameter k=<key>, always the last one (after "?" or "&"), by which a result names its request.
type urlTemplate struct {
	parts []urlPart
	size  int // literal bytes, a hint for the buffer
}

type urlPart struct {
	literal string
	kind    int // urlLiteral, urlKeyPath, urlKeyQuery, urlKeyRaw, urlN
}

const (
	urlLiteral  = iota
	urlKeyPath  // the key in the path: url.PathEscape
	urlKeyQuery // the key in the path's query: url.QueryEscape
	urlKeyRaw   // the key as the k parameter: as it is (keyPrefix's characters need no escaping)
	urlN        // n in decimal
)

// pathPlaceholderRe finds everything written as a placeholder, so that {{now}}, {{ key }} or {{1}} is
// refused rather than sent as literal text.
var pathPlaceholderRe = regexp.MustCompile(`\{\{([^{}]*)\}\}`)

// parseURLTemplate splits base+path at its placeholders; an error says what is wrong with the path (the
// caller names the field). {{now}} is not allowed in a URL: a result's URL is its name and stays fixed.
func parseURLTemplate(base, path string) (*urlTemplate, error) {
	t := &urlTemplate{}
	lit := []byte(base)
	query := false // past the path's "?": the key is a query value
	last := 0
	addLiteral := func(s string) error {
		if strings.Contains(s, "{{") || strings.Contains(s, "}}") {
			return errors.New(`with "{{" or "}}" outside a placeholder; want only the placeholders {{key}} and {{n}}`)
		}
		if strings.IndexByte(s, '?') >= 0 {
			query = true
		}
		lit = append(lit, s...)
		return nil
	}
	flush := func() {
		if len(lit) > 0 {
			t.parts = append(t.parts, urlPart{literal: string(lit)})
			t.size += len(lit)
			lit = lit[:0]
		}
	}
	for _, m := range pathPlaceholderRe.FindAllStringSubmatchIndex(path, -1) {
		if err := addLiteral(path[last:m[0]]); err != nil {
			return nil, err
		}
		var kind int
		switch name := path[m[2]:m[3]]; name {
		case "key":
			kind = urlKeyPath
			if query {
				kind = urlKeyQuery
			}
		case "n":
			kind = urlN
		default:
			return nil, fmt.Errorf("with the placeholder {{%s}}; want only {{key}} or {{n}} in the path ({{now}} only in the body)", name)
		}
		flush()
		t.parts = append(t.parts, urlPart{kind: kind})
		last = m[1]
	}
	if err := addLiteral(path[last:]); err != nil {
		return nil, err
	}
	switch {
	case !query:
		lit = append(lit, '?')
	case !strings.HasSuffix(path, "?") && !strings.HasSuffix(path, "&"):
		lit = append(lit, '&')
	}
	lit = append(lit, "k="...)
	flush()
	t.parts = append(t.parts, urlPart{kind: urlKeyRaw})
	return t, nil
}

// render makes the URL of the request with this key and n.
func (t *urlTemplate) render(key string, n uint64) string {
	if len(t.parts) == 2 && t.parts[1].kind == urlKeyRaw { // no placeholder in the path: one concatenation
		return t.parts[0].literal + key
	}
	var b strings.Builder
	b.Grow(t.size + 2*len(key) + 20)
	for _, p := range t.parts {
		switch p.kind {
		case urlLiteral:
			b.WriteString(p.literal)
		case urlKeyPath:
			b.WriteString(url.PathEscape(key))
		case urlKeyQuery:
			b.WriteString(url.QueryEscape(key))
		case urlKeyRaw:
			b.WriteString(key)
		case urlN:
			var d [20]byte
			b.Write(strconv.AppendUint(d[:0], n, 10))
		}
	}
	return b.String()
}
