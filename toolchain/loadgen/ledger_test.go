package main

import "testing"

func TestKeyOf(t *testing.T) {
	for _, c := range []struct{ url, want string }{
		{"http://h:1/v1/records?k=run42-0", "run42-0"},
		{"http://h:1/v1/records?x=1&k=run42-17", "run42-17"},
		{"http://h:1/api/orders/run42-5?k=run42-5", "run42-5"},
		{"http://h:1/api/orders/k=zz?k=run42-5", "run42-5"},      // "k=" in the path is not the parameter
		{"http://h:1/api/orders/x?pk=1&kk=2&k=a:b-1", "a:b-1"},   // nor inside another parameter's name
		{"http://h:1/api/orders/x?k=mine&k=run42-9", "run42-9"},  // the last k is loadgen's
		{"http://h:1/api/orders/x?a=1&k=run42-9&b=2", "run42-9"}, // up to the next "&"
		{"http://h:1/api/orders/x?id=a%3Ab&k=a%3Ab-2", "a:b-2"},  // escaped: unescaped
		{"http://h:1/x?kk=1", ""},
		{"http://h:1/x", ""},
		{"", ""},
	} {
		if got := keyOf(c.url); got != c.want {
			t.Errorf("keyOf(%q) = %q, want %q", c.url, got, c.want)
		}
	}
}

// What the targeter renders, the ledger reads back, whatever the path holds.
func TestKeyOfRendered(t *testing.T) {
	for _, path := range []string{"/v1/records", "/v1/records?", "/v1/records?k=x", "/api/orders/{{key}}", "/api/{{key}}/k={{n}}?id={{key}}&k2={{key}}"} {
		tpl, err := parseURLTemplate("http://127.0.0.1:20001", path)
		if err != nil {
			t.Fatalf("%q: %v", path, err)
		}
		for _, key := range []string{"run42-0", "r:u.n~_-99"} {
			if got := keyOf(tpl.render(key, 99)); got != key {
				t.Errorf("%q with key %q: ledger key %q", path, key, got)
			}
		}
	}
}

func BenchmarkKeyOf(b *testing.B) {
	for _, u := range []string{"http://127.0.0.1:20001/v1/records?k=run42-1234567", "http://127.0.0.1:20001/api/orders/run42-1234567?k=run42-1234567"} {
		b.Run(u[22:], func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				_ = keyOf(u)
			}
		})
	}
}
