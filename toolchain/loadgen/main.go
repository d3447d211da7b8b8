// Command loadgen is cp3-testbed's load engine: it sends the requests of a JSON plan (written by the
// TypeScript driver) at a piecewise-linear arrival rate with vegeta's attacker, writes one ledger line per
// request and a summary that makes coordinated omission visible (how late each request started against
// its planned time). See README.md.
//
//	loadgen --plan PLAN.json [--ledger FILE|off] [--summary FILE]
//	loadgen --version
//
// Exit codes:
//
//	0  the plan ran to its end (whatever the server answered)
//	1  a file could not be written (ledger, summary) or another failure; one line on stderr
//	2  bad flags or a bad plan; one line on stderr naming the field, what it got and what is allowed;
//	   nothing was sent
//	3  interrupted by SIGINT or SIGTERM: the attack stopped at once, in-flight requests finished or timed
//	   out (at most the plan's timeout), the ledger was flushed and the summary written with
//	   "interrupted": true (a second signal stops waiting for in-flight requests)
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitInterrupted = 3

	vegetaModule  = "github.com/tsenart/vegeta/v12"
	flushInterval = 200 * time.Millisecond // the ledger reaches the file at least this often
)

// vegetaVersion is the version of vegeta linked in, from the binary's build information.
func vegetaVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == vegetaModule {
				if d.Replace != nil {
					return d.Replace.Version
				}
				return d.Version
			}
		}
	}
	return "v12.13.0"
}

func main() { os.Exit(run(os.Args[1:])) }

func fail(code int, format string, args ...any) int {
	fmt.Fprintf(os.Stderr, "loadgen: "+format+"\n", args...)
	return code
}

const usage = "loadgen --plan PLAN.json [--ledger FILE|off] [--summary FILE] | loadgen --version"

func run(args []string) int {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	planPath := fs.String("plan", "", "")
	ledgerPath := fs.String("ledger", "off", "")
	summaryPath := fs.String("summary", "", "")
	showVersion := fs.Bool("version", false, "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Println(usage)
			return exitOK
		}
		return fail(exitUsage, "%v; usage: %s", err, usage)
	}
	if fs.NArg() > 0 {
		return fail(exitUsage, "unexpected argument %q; usage: %s", fs.Arg(0), usage)
	}
	if *showVersion {
		fmt.Printf("loadgen %s (vegeta %s)\n", version, vegetaVersion())
		return exitOK
	}
	if *planPath == "" {
		return fail(exitUsage, "--plan: missing; usage: %s", usage)
	}
	if *ledgerPath == "" {
		return fail(exitUsage, "--ledger: got an empty path; want a file path or \"off\"")
	}
	plan, err := loadPlan(*planPath)
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	sched := newSchedule(plan.StartRate, plan.Stages)

	// Files first: a path that cannot be written fails before anything is sent.
	var led *ledger
	if *ledgerPath != "off" {
		if led, err = openLedger(*ledgerPath); err != nil {
			return fail(exitFailure, "--ledger: cannot write %q: %v", *ledgerPath, errors.Unwrap(err))
		}
	}
	var sum *summaryFile
	if *summaryPath != "" {
		if sum, err = createSummary(*summaryPath); err != nil {
			if led != nil {
				led.f.Close()
			}
			return fail(exitFailure, "--summary: cannot write %q: %v", *summaryPath, errors.Unwrap(err))
		}
	}

	timeout := secondsToDuration(plan.Timeout)
	attacker := vegeta.NewAttacker(
		vegeta.Timeout(timeout),
		vegeta.Redirects(vegeta.NoFollow), // a 3xx is the answer, not followed
		vegeta.MaxBody(0),                 // bodies are read to the end (keep-alive) but not kept
		vegeta.KeepAlive(true),
		vegeta.Proxy(nil), // straight to the target, whatever HTTP_PROXY says
		// MaxWorkers stays vegeta's default (unbounded): a bound would make the pacer wait for a free
		// worker when the server stalls, hiding the stall from the latencies (coordinated omission).
	)
	pacer := newPacer(sched)
	var sent atomic.Uint64
	targeter := newTargeter(plan, &sent)

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)

	st := newStats(sched)
	startedAt := time.Now()
	results := attacker.Attack(targeter, pacer, 0, "")

	ticker := time.NewTicker(flushInterval)
	defer ticker.Stop()
	var (
		interrupted bool
		writeFailed bool
		giveUp      <-chan time.Time
	)
	stopAll := func() {
		pacer.Stop()
		attacker.Stop()
	}
loop:
	for {
		select {
		case r, ok := <-results:
			if !ok {
				break loop
			}
			st.add(r, pacer.Began())
			if led != nil {
				led.add(r)
			}
		case <-ticker.C:
			if led != nil {
				led.flush()
				if led.err != nil && !writeFailed {
					writeFailed = true
					stopAll()
				}
			}
		case <-sigs:
			if interrupted {
				break loop // a second signal: stop waiting for in-flight requests
			}
			interrupted = true
			stopAll()
			// In-flight requests end within the client timeout; allow a little more, then stop waiting.
			giveUp = time.After(timeout + 2*time.Second)
		case <-giveUp:
			break loop
		}
	}
	endedAt := time.Now()

	code := exitOK
	if interrupted {
		code = exitInterrupted
	}
	if led != nil {
		if err := led.close(); err != nil {
			code = fail(exitFailure, "--ledger: cannot write %q: %v", *ledgerPath, err)
		}
	}
	if sum != nil {
		began := pacer.Began()
		if began.IsZero() {
			began = startedAt
		}
		doc := st.summary(began, endedAt, sent.Load(), interrupted)
		if err := sum.write(doc); err != nil {
			code = fail(exitFailure, "--summary: cannot write %q: %v", *summaryPath, err)
		}
	}
	return code
}

// newTargeter makes request n (0, 1, 2, … in the order vegeta's workers read targets) with key
// <keyPrefix>-<n>, in the idempotency header, in the path's placeholders and as the last query parameter
// k=<key>. vegeta calls it from many workers at once; the counter is the only shared state.
func newTargeter(p *Plan, sent *atomic.Uint64) vegeta.Targeter {
	keyHead := p.KeyPrefix + "-"
	return func(t *vegeta.Target) error {
		n := sent.Add(1) - 1
		key := keyHead + strconv.FormatUint(n, 10)
		t.Method = p.Method
		t.URL = p.URL.render(key, n)
		h := make(http.Header, len(p.Header)+2)
		for k, v := range p.Header {
			h[k] = v // vegeta copies the values into the request (Target.Request)
		}
		if p.IdemHeader != "" {
			h[p.IdemHeader] = []string{key}
		}
		if p.TraceEvery > 0 {
			h["Traceparent"] = []string{traceparent(p.KeyPrefix, n, p.TraceEvery)}
		}
		t.Header = h
		if p.Body != nil {
			t.Body = p.Body.render(key, n, time.Now().UnixMilli())
		}
		return nil
	}
}
