package main

import (
	"strings"
	"sync/atomic"
	"testing"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// planWithPath is a valid plan whose request.path is the given one (JSON-escaped by the caller if needed).
func planWithPath(path string) string {
	return `{"baseUrl":"http://127.0.0.1:20001/","request":{"method":"PUT","path":` + path +
		`,"idempotencyHeader":"idempotency-key","body":"{\"n\":{{n}},\"at\":{{now}}}"},` +
		`"keyPrefix":"run:42","startRate":5,"stages":[{"target":5,"seconds":1}],"timeoutSeconds":2}`
}

func TestURLTemplateRender(t *testing.T) {
	const base = "http://127.0.0.1:20001"
	for _, c := range []struct{ path, want string }{
		{"/v1/records", base + "/v1/records?k=run-7"},
		{"/v1/records?x=1", base + "/v1/records?x=1&k=run-7"},
		{"/v1/records?", base + "/v1/records?k=run-7"},
		{"/v1/records?x=1&", base + "/v1/records?x=1&k=run-7"},
		{"/api/orders/{{key}}", base + "/api/orders/run-7?k=run-7"},
		{"/api/orders/{{key}}/lines/{{n}}", base + "/api/orders/run-7/lines/7?k=run-7"},
		{"/api/{{n}}{{key}}?id={{key}}&n={{n}}", base + "/api/7run-7?id=run-7&n=7&k=run-7"},
		{"/a/{x}/{{key}}", base + "/a/{x}/run-7?k=run-7"}, // single braces are literal text, as before
	} {
		tpl, err := parseURLTemplate(base, c.path)
		if err != nil {
			t.Fatalf("%q: %v", c.path, err)
		}
		if got := tpl.render("run-7", 7); got != c.want {
			t.Errorf("%q: got %q, want %q", c.path, got, c.want)
		}
	}
}

func TestURLTemplateEscapesTheKey(t *testing.T) {
	tpl, err := parseURLTemplate("http://h", "/o/{{key}}?id={{key}}")
	if err != nil {
		t.Fatal(err)
	}
	// Not a key loadgen makes (keyPrefix allows A-Z a-z 0-9 . _ ~ : - only), but the template must not rely
	// on that: url.PathEscape in the path, url.QueryEscape in the query, the k parameter as it is.
	got := tpl.render("a/b c?d:e", 1)
	want := "http://h/o/a%2Fb%20c%3Fd:e?id=a%2Fb+c%3Fd%3Ae&k=a/b c?d:e"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	// keys of keyPrefix's characters pass the path unchanged
	if got := tpl.render("A.z_~:-9", 1); !strings.HasPrefix(got, "http://h/o/A.z_~:-9?") {
		t.Errorf("got %q", got)
	}
}

func TestPlanPathPlaceholders(t *testing.T) {
	p, err := parsePlan([]byte(planWithPath(`"/api/orders/{{key}}"`)))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.URL.render("run:42-3", 3), "http://127.0.0.1:20001/api/orders/run:42-3?k=run:42-3"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}

	for _, c := range []struct{ path, want string }{
		{`"/api/orders/{{now}}"`, "{{now}}"},
		{`"/api/orders/{{id}}"`, "{{id}}"},
		{`"/api/orders/{{}}"`, "{{}}"},
		{`"/api/orders/{{1}}"`, "{{1}}"},
		{`"/api/orders?at={{now}}"`, "{{now}}"},
		{`"/api/orders/{{key}"`, `outside a placeholder`},
		{`"/api/orders/key}}"`, `outside a placeholder`},
		{`"/api/orders/{{ key }}"`, `no fragment or spaces`}, // the path rules before: no spaces
		{`"api/orders/{{key}}"`, `starting with "/"`},
		{`"/api/orders/{{key}}#x"`, `no fragment`},
		{`"/api/orders/%zz/{{key}}"`, `not a valid URL`},
	} {
		_, err := parsePlan([]byte(planWithPath(c.path)))
		if err == nil {
			t.Errorf("%s: accepted, want refused", c.path)
			continue
		}
		if msg := err.Error(); !strings.HasPrefix(msg, `plan field "request.path": `) || !strings.Contains(msg, c.want) {
			t.Errorf("%s: got %q, want it to name request.path and say %q", c.path, msg, c.want)
		}
	}
}

// The targeter puts one key everywhere: the path, the k parameter (which the ledger reads) and the header.
func TestTargeterKeyInPathQueryAndHeader(t *testing.T) {
	p, err := parsePlan([]byte(planWithPath(`"/api/orders/{{key}}?seq={{n}}"`)))
	if err != nil {
		t.Fatal(err)
	}
	var sent atomic.Uint64
	tr := newTargeter(p, &sent)
	for n := 0; n < 3; n++ {
		var tg vegeta.Target
		if err := tr(&tg); err != nil {
			t.Fatal(err)
		}
		key := "run:42-" + string(rune('0'+n))
		want := "http://127.0.0.1:20001/api/orders/" + key + "?seq=" + string(rune('0'+n)) + "&k=" + key
		if tg.URL != want || tg.Method != "PUT" || tg.Header.Get("Idempotency-Key") != key || keyOf(tg.URL) != key {
			t.Errorf("request %d: URL %q header %q ledger key %q; want URL %q and key %q", n, tg.URL, tg.Header.Get("Idempotency-Key"), keyOf(tg.URL), want, key)
		}
	}
}

func BenchmarkURLRender(b *testing.B) {
	for _, path := range []string{"/v1/records", "/api/orders/{{key}}"} {
		tpl, err := parseURLTemplate("http://127.0.0.1:20001", path)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(path, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				_ = tpl.render("run42-1234567", 1234567)
			}
		})
	}
}

func TestTraceparentPerRequest(t *testing.T) {
	plan := strings.Replace(planWithPath(`"/v1/records"`), `"timeoutSeconds":2}`, `"timeoutSeconds":2,"traceSampleEvery":2}`, 1)
	p, err := parsePlan([]byte(plan))
	if err != nil {
		t.Fatal(err)
	}
	var sent atomic.Uint64
	tr := newTargeter(p, &sent)
	// sha256("run:42") starts 33fa04c64347fabf; lib/trace-ids.ts's unit test holds the same values.
	for n, want := range []string{
		"00-33fa04c64347fabf0000000000000000-0000000000000001-01",
		"00-33fa04c64347fabf0000000000000001-0000000000000002-00",
		"00-33fa04c64347fabf0000000000000002-0000000000000003-01",
	} {
		var tg vegeta.Target
		if err := tr(&tg); err != nil {
			t.Fatal(err)
		}
		if got := tg.Header.Get("Traceparent"); got != want {
			t.Errorf("request %d: traceparent %q, want %q", n, got, want)
		}
	}
	for _, bad := range []string{`0`, `1.5`, `"1"`, `1000001`} {
		_, err := parsePlan([]byte(strings.Replace(planWithPath(`"/v1/records"`), `"timeoutSeconds":2}`, `"timeoutSeconds":2,"traceSampleEvery":`+bad+`}`, 1)))
		if err == nil || !strings.Contains(err.Error(), "traceSampleEvery") {
			t.Errorf("traceSampleEvery %s: got %v, want an error naming the field", bad, err)
		}
	}
	if p, _ := parsePlan([]byte(planWithPath(`"/v1/records"`))); p.TraceEvery != 0 {
		t.Errorf("without traceSampleEvery: TraceEvery %d, want 0 (no traceparent)", p.TraceEvery)
	}
}
