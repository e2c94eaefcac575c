// Package bench measures the mock and the suite: HTTP throughput over loopback (wrk when it is on PATH,
// a Go load generator otherwise), the cost of response validation and spec loading, and scenarios per
// second of the whole suite. The measurements are Go benchmarks (bench_test.go), run by `make bench`;
// this file holds the load generators they drive.
package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Request is one HTTP request of a workload; Path is relative to the target URL.
type Request struct {
	Method string            `json:"method"`
	Path   string            `json:"path"`
	Header map[string]string `json:"header"`
	Body   string            `json:"body"`
}

// Load describes one measurement: Clients keep-alive connections send requests for Duration. Load unit u
// (a wrk thread, or a Go client) repeats Sequences[u % len(Sequences)] in order, so a stateful workload
// gives every unit resources of its own (see the schedule+cancel workload in bench_test.go).
type Load struct {
	URL       string        `json:"url"`
	Clients   int           `json:"clients"`
	Threads   int           `json:"threads"` // wrk threads; the Go generator ignores it
	Duration  time.Duration `json:"duration"`
	Sequences [][]Request   `json:"sequences"`
}

func (l Load) check() error {
	switch {
	case l.URL == "":
		return errors.New("load: no url")
	case l.Clients <= 0 || l.Duration <= 0:
		return errors.New("load: clients and duration must be positive")
	case len(l.Sequences) == 0 || slices.ContainsFunc(l.Sequences, func(s []Request) bool { return len(s) == 0 }):
		return errors.New("load: every sequence needs a request")
	}
	return nil
}

// Result is what one measurement gave.
type Result struct {
	Generator string        `json:"generator"` // "wrk" or "go"
	Requests  int64         `json:"requests"`
	Non2xx    int64         `json:"non_2xx"`
	Errors    int64         `json:"errors"` // transport errors (connect, read, write, timeout)
	Elapsed   time.Duration `json:"elapsed"`
	P50       time.Duration `json:"p50"`
	P99       time.Duration `json:"p99"`
	// GenCPU is the CPU time the generator itself used (user+system), measured for the Go generator only:
	// on a small machine it competes with the server, so its cost is reported beside its figures.
	GenCPU time.Duration `json:"gen_cpu"`
}

// PerSecond is the throughput.
func (r Result) PerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// WrkPath returns the wrk binary on PATH, or "" when there is none.
func WrkPath() string {
	p, err := exec.LookPath("wrk")
	if err != nil {
		return ""
	}
	return p
}

// RunWrk measures l with wrk. The requests come from a generated Lua script (wrk sends POST bodies only
// through one), whose done() prints one machine-readable line.
func RunWrk(ctx context.Context, wrk string, l Load) (Result, error) {
	if err := l.check(); err != nil {
		return Result{}, err
	}
	dir, err := os.MkdirTemp("", "dewconform-wrk-")
	if err != nil {
		return Result{}, fmt.Errorf("wrk script dir: %w", err)
	}
	defer func() { _ = os.RemoveAll(dir) }()
	script := filepath.Join(dir, "load.lua")
	if err := os.WriteFile(script, luaScript(l.Sequences), 0o600); err != nil {
		return Result{}, fmt.Errorf("wrk script: %w", err)
	}
	threads := max(1, min(l.Threads, l.Clients))
	secs := max(1, int(l.Duration.Round(time.Second)/time.Second))
	cmd := exec.CommandContext(ctx, wrk, "-t", strconv.Itoa(threads), "-c", strconv.Itoa(l.Clients),
		"-d", strconv.Itoa(secs)+"s", "--timeout", "5s", "-s", script, l.URL)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return Result{}, fmt.Errorf("wrk: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return parseWrk(out.String())
}

// parseWrk reads the line the script's done() prints:
// DEWCONFORM-RESULT <requests> <duration µs> <p50 µs> <p99 µs> <non-2xx> <socket errors>.
func parseWrk(out string) (Result, error) {
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 7 || f[0] != "DEWCONFORM-RESULT" {
			continue
		}
		var n [6]int64
		for i := range n {
			v, err := strconv.ParseFloat(f[i+1], 64)
			if err != nil {
				return Result{}, fmt.Errorf("wrk result %q: %w", sc.Text(), err)
			}
			n[i] = int64(v)
		}
		return Result{
			Generator: "wrk", Requests: n[0], Elapsed: time.Duration(n[1]) * time.Microsecond,
			P50: time.Duration(n[2]) * time.Microsecond, P99: time.Duration(n[3]) * time.Microsecond,
			Non2xx: n[4], Errors: n[5],
		}, nil
	}
	return Result{}, fmt.Errorf("wrk printed no result: %q", out)
}

// luaScript renders the sequences as prebuilt raw requests; thread t repeats sequence t (mod their
// number), so every thread owns its resources.
func luaScript(seqs [][]Request) []byte {
	var b strings.Builder
	b.WriteString("local sequences = {\n")
	for _, seq := range seqs {
		b.WriteString("  {\n")
		for _, r := range seq {
			b.WriteString("    {" + luaString(r.Method) + ", " + luaString(r.Path) + ", {")
			keys := make([]string, 0, len(r.Header))
			for k := range r.Header {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				b.WriteString("[" + luaString(k) + "] = " + luaString(r.Header[k]) + ", ")
			}
			b.WriteString("}, " + luaString(r.Body) + "},\n")
		}
		b.WriteString("  },\n")
	}
	b.WriteString(`}
local count = 0
function setup(thread)
  thread:set("tid", count)
  count = count + 1
end
function init(args)
  local seq = sequences[(tid % #sequences) + 1]
  reqs = {}
  for i, r in ipairs(seq) do
    local body = r[4]
    if body == "" then body = nil end
    reqs[i] = wrk.format(r[1], r[2], r[3], body)
  end
  n = 0
end
function request()
  n = n + 1
  return reqs[((n - 1) % #reqs) + 1]
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("DEWCONFORM-RESULT %d %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), e.status, e.connect + e.read + e.write + e.timeout))
end
`)
	return []byte(b.String())
}

func luaString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, c := range []byte(s) {
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, "\\%03d", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// RunGo measures l with Go clients over one keep-alive transport. It reports the CPU time of the
// whole process, so run it in a process of its own (bench_test.go re-executes the test binary) when
// the server is in-process.
func RunGo(ctx context.Context, l Load) (Result, error) {
	if err := l.check(); err != nil {
		return Result{}, err
	}
	tr := &http.Transport{
		MaxIdleConns: l.Clients, MaxIdleConnsPerHost: l.Clients, MaxConnsPerHost: l.Clients,
		DisableCompression: true, IdleConnTimeout: time.Minute,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	ctx, cancel := context.WithTimeout(ctx, l.Duration)
	defer cancel()

	type tally struct {
		lat            []time.Duration
		non2xx, errors int64
	}
	tallies := make([]tally, l.Clients)
	cpu0 := processCPU()
	start := time.Now()
	var wg sync.WaitGroup
	for c := range l.Clients {
		seq := l.Sequences[c%len(l.Sequences)]
		t := &tallies[c]
		t.lat = make([]time.Duration, 0, 1<<14)
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				r := seq[i%len(seq)]
				t0 := time.Now()
				status, err := send(ctx, client, l.URL, r)
				switch {
				case ctx.Err() != nil: // cut off by the end of the run: not a result
					return
				case err != nil:
					t.errors++
					continue
				case status < 200 || status > 299:
					t.non2xx++
				}
				t.lat = append(t.lat, time.Since(t0))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	res := Result{Generator: "go", Elapsed: elapsed, GenCPU: processCPU() - cpu0}
	var all []time.Duration
	for _, t := range tallies {
		all = append(all, t.lat...)
		res.Non2xx += t.non2xx
		res.Errors += t.errors
	}
	res.Requests = int64(len(all))
	res.P50, res.P99 = percentile(all, 50), percentile(all, 99)
	return res, nil
}

func send(ctx context.Context, client *http.Client, base string, r Request) (int, error) {
	var body io.Reader = http.NoBody
	if r.Body != "" {
		body = strings.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, base+r.Path, body)
	if err != nil {
		return 0, err
	}
	for k, v := range r.Header {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

// percentile sorts d in place and returns its p-th percentile (nearest rank).
func percentile(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	i := (len(d)*p + 99) / 100
	return d[max(0, min(len(d)-1, i-1))]
}
