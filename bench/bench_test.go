package bench_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cucumber/godog"
	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/bench"
	"github.com/dewconform/dewconform/features"
	"github.com/dewconform/dewconform/identity"
	"github.com/dewconform/dewconform/mock"
	"github.com/dewconform/dewconform/steps"
)

const (
	// loadDuration is the length of one throughput measurement (a few seconds: long enough for stable
	// figures, short enough for `make bench` to stay around a minute).
	loadDuration = 3 * time.Second
	// clients is the number of concurrent keep-alive connections (the issue asks for at least 32).
	clients = 32

	project = "0123456789abcdef0123456789abcdef" // alice's
	token   = "alice-token"

	// Environment of the Go generator's child process (see TestLoadGenChild).
	envChildIn  = "DEWCONFORM_LOADGEN_IN"
	envChildOut = "DEWCONFORM_LOADGEN_OUT"
	// envGenerator forces a generator: "wrk" or "go"; empty means wrk when it is on PATH.
	envGenerator = "DEWCONFORM_BENCH_GENERATOR"
)

// generator is the load generator of this run.
type generator struct {
	name string // "wrk" or "go"
	wrk  string // path of wrk
}

func pickGenerator(tb testing.TB) generator {
	tb.Helper()
	wrk := bench.WrkPath()
	switch os.Getenv(envGenerator) {
	case "go":
		return generator{name: "go"}
	case "wrk":
		if wrk == "" {
			tb.Fatalf("%s=wrk but wrk is not on PATH", envGenerator)
		}
	case "":
		if wrk == "" {
			return generator{name: "go"}
		}
	default:
		tb.Fatalf("%s=%q: want wrk or go", envGenerator, os.Getenv(envGenerator))
	}
	return generator{name: "wrk", wrk: wrk}
}

// units is how many independent request sequences the generator needs: one per connection. wrk runs
// one thread per connection, because its threads cannot tell their connections apart: a stateful cycle
// (schedule, then cancel the same key) stays in order only with one connection per sequence.
const units = clients

func (g generator) run(tb testing.TB, l bench.Load) bench.Result {
	tb.Helper()
	l.Threads = units
	if g.name == "wrk" {
		res, err := bench.RunWrk(context.Background(), g.wrk, l)
		require.NoError(tb, err)
		return res
	}
	return runGoChild(tb, l)
}

// runGoChild runs the Go generator in a child process (this test binary, see TestLoadGenChild), so that
// its CPU time is its own and it is a separate process, as wrk is.
func runGoChild(tb testing.TB, l bench.Load) bench.Result {
	tb.Helper()
	dir := tb.TempDir()
	in, out := filepath.Join(dir, "load.json"), filepath.Join(dir, "result.json")
	data, err := json.Marshal(l)
	require.NoError(tb, err)
	require.NoError(tb, os.WriteFile(in, data, 0o600))
	cmd := exec.Command(os.Args[0], "-test.run=^TestLoadGenChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), envChildIn+"="+in, envChildOut+"="+out)
	msg, err := cmd.CombinedOutput()
	require.NoError(tb, err, "load generator child: %s", msg)
	data, err = os.ReadFile(out)
	require.NoError(tb, err)
	var res bench.Result
	require.NoError(tb, json.Unmarshal(data, &res))
	return res
}

// TestLoadGenChild is the Go load generator's process; it does nothing in an ordinary test run.
func TestLoadGenChild(t *testing.T) {
	in, out := os.Getenv(envChildIn), os.Getenv(envChildOut)
	if in == "" || out == "" {
		return
	}
	data, err := os.ReadFile(in)
	require.NoError(t, err)
	var l bench.Load
	require.NoError(t, json.Unmarshal(data, &l))
	res, err := bench.RunGo(context.Background(), l)
	require.NoError(t, err)
	data, err = json.Marshal(res)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(out, data, 0o600))
}

// serve serves h on 127.0.0.1:0 until the benchmark ends.
func serve(tb testing.TB, h http.Handler) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(tb, err)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			tb.Errorf("serve: %v", err)
		}
	}()
	tb.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return "http://" + ln.Addr().String()
}

func keyID(unit, i int) string { return fmt.Sprintf("%08x-0000-4000-8000-%012x", unit, i) }

// newMock builds a mock with alice's keys keyID(u, i) for u < units, i < perUnit.
func newMock(tb testing.TB, validate bool, units, perUnit int) *mock.Server {
	tb.Helper()
	seed := &mock.Seed{}
	for u := range units {
		for i := range perUnit {
			seed.Keys = append(seed.Keys, mock.SeedKey{Owner: "alice", Alias: fmt.Sprintf("bench-%d-%d", u, i), ID: keyID(u, i)})
		}
	}
	srv, err := mock.New(mock.Options{
		Seed: seed, DisableValidation: !validate,
		Limits: mock.Limits{KeysPerProject: 1 << 20, GrantsPerKey: 1 << 10, SecretsPerProject: 1 << 20},
	})
	require.NoError(tb, err)
	return srv
}

func kmsRequest(op, body string) bench.Request {
	return bench.Request{
		Method: http.MethodPost, Path: "/v1.0/" + project + "/kms/" + op, Body: body,
		Header: map[string]string{"Content-Type": "application/json;charset=UTF-8", "X-Auth-Token": token},
	}
}

func describeKey(id string) bench.Request {
	return kmsRequest("describe-key", `{"key_id":"`+id+`"}`)
}

// describeSequences: every unit describes the same key.
func describeSequences(int) [][]bench.Request {
	return [][]bench.Request{{describeKey(keyID(0, 0))}}
}

// cycleSequences: unit u schedules the deletion of each of its keys, then cancels each, and again.
func cycleSequences(units, perUnit int) [][]bench.Request {
	seqs := make([][]bench.Request, units)
	for u := range seqs {
		for i := range perUnit {
			seqs[u] = append(seqs[u], kmsRequest("schedule-key-deletion", `{"key_id":"`+keyID(u, i)+`","pending_days":"7"}`))
		}
		for i := range perUnit {
			seqs[u] = append(seqs[u], kmsRequest("cancel-key-deletion", `{"key_id":"`+keyID(u, i)+`"}`))
		}
	}
	return seqs
}

// bareHandler is the limit: a net/http handler answering a fixed describe-key body.
func bareHandler(tb testing.TB) http.Handler {
	tb.Helper()
	srv := newMock(tb, true, 1, 1)
	r := describeKey(keyID(0, 0))
	req := httptest.NewRequest(r.Method, r.Path, strings.NewReader(r.Body))
	for k, v := range r.Header {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, req)
	require.Equal(tb, http.StatusOK, w.Code, "%s", w.Body)
	body := w.Body.Bytes()
	length := fmt.Sprint(len(body))
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", length)
		_, _ = w.Write(body)
	})
}

// total sums rounds of one load: requests and time add up, latency percentiles are the rounds' mean.
func total(rounds []bench.Result) bench.Result {
	var t bench.Result
	for _, r := range rounds {
		t.Generator = r.Generator
		t.Requests += r.Requests
		t.Non2xx += r.Non2xx
		t.Errors += r.Errors
		t.Elapsed += r.Elapsed
		t.GenCPU += r.GenCPU
		t.P50 += r.P50 / time.Duration(len(rounds))
		t.P99 += r.P99 / time.Duration(len(rounds))
	}
	return t
}

// target is a server under load with the requests it gets.
type target struct {
	url  string
	seqs [][]bench.Request
}

func newTarget(tb testing.TB, h http.Handler, seqs [][]bench.Request) target {
	tb.Helper()
	return target{url: serve(tb, h), seqs: seqs}
}

func (g generator) load(tb testing.TB, t target, d time.Duration) bench.Result {
	tb.Helper()
	return g.run(tb, bench.Load{URL: t.url, Clients: clients, Duration: d, Sequences: t.seqs})
}

// measure loads t for rounds×round after a warm-up. With a bare target, the rounds alternate with
// rounds against it, so that the ratio compares the two under the same conditions (a small shared
// machine drifts by tens of per cent within a minute); it returns t's result and the ratio.
func measure(b *testing.B, g generator, t target, bare *target) (bench.Result, float64) {
	b.Helper()
	const rounds, round = 3, time.Second
	_ = g.load(b, t, time.Second) // warm up connections, caches and the heap; not measured
	if bare != nil {
		_ = g.load(b, *bare, time.Second)
	}
	runtime.GC()
	var m0, m1 runtime.MemStats
	var mine, bares []bench.Result
	var allocs, bytes uint64
	for range rounds {
		if bare != nil {
			bares = append(bares, g.load(b, *bare, round))
		}
		runtime.ReadMemStats(&m0)
		mine = append(mine, g.load(b, t, round))
		runtime.ReadMemStats(&m1)
		allocs += m1.Mallocs - m0.Mallocs
		bytes += m1.TotalAlloc - m0.TotalAlloc
	}
	res := total(mine)
	require.NotZero(b, res.Requests)
	// Ordinary benchmark units describe b.N iterations; one iteration here is a whole timed load, so
	// ns/op is suppressed and B/op, allocs/op are the server's per request.
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(float64(bytes)/float64(res.Requests), "B/op")
	b.ReportMetric(float64(allocs)/float64(res.Requests), "allocs/op")
	b.ReportMetric(res.PerSecond(), "req/s")
	b.ReportMetric(float64(res.P50.Microseconds()), "p50-µs")
	b.ReportMetric(float64(res.P99.Microseconds()), "p99-µs")
	ratio := 0.0
	if bare != nil {
		ratio = res.PerSecond() / total(bares).PerSecond()
		b.ReportMetric(ratio, "ratio-to-bare")
	}
	if res.Generator == "go" {
		b.ReportMetric(res.GenCPU.Seconds()/res.Elapsed.Seconds(), "gen-cpu-cores")
		b.ReportMetric(float64(res.GenCPU.Microseconds())/float64(res.Requests), "gen-cpu-µs/req")
	}
	if bad := res.Non2xx + res.Errors; bad > res.Requests/1000 {
		b.Errorf("%d of %d requests failed (%d non-2xx, %d transport errors)", bad, res.Requests, res.Non2xx, res.Errors)
	}
	return res, ratio
}

// BenchmarkLoad measures, in one process and one run so that the ratios compare like with like: a
// bare net/http handler (the limit), the mock on describe-key and on a schedule+cancel cycle with
// token auth and with and without request validation (each against the bare handler in alternating
// rounds), and the whole suite against the in-process mock at concurrency 1, 2 and 4.
func BenchmarkLoad(b *testing.B) {
	g := pickGenerator(b)
	b.Logf("load generator: %s, %d keep-alive connections, GOMAXPROCS %d", g.name, clients, runtime.GOMAXPROCS(0))
	bare := newTarget(b, bareHandler(b), describeSequences(units))
	var bareRate float64
	b.Run(g.name+"/bare", func(b *testing.B) {
		res, _ := measure(b, g, bare, nil)
		bareRate = res.PerSecond()
	})
	for _, wl := range []struct {
		name string
		seqs func(units, perUnit int) [][]bench.Request
	}{
		{"describe-key", func(u, _ int) [][]bench.Request { return describeSequences(u) }},
		{"schedule-cancel", cycleSequences},
	} {
		for _, validate := range []bool{true, false} {
			name := g.name + "/mock/" + wl.name + "/validated"
			if !validate {
				name = g.name + "/mock/" + wl.name + "/unvalidated"
			}
			b.Run(name, func(b *testing.B) {
				srv := newMock(b, validate, units, 1)
				measure(b, g, newTarget(b, srv, wl.seqs(units, 1)), &bare)
			})
		}
	}
	for _, c := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("suite/concurrency-%d", c), func(b *testing.B) {
			benchSuite(b, c, bareRate)
		})
	}
}

// benchSuite runs every feature against a fresh in-process mock (over loopback, as the runner's
// embedded target) per iteration, and reports scenarios per second of the timed runs.
func benchSuite(b *testing.B, concurrency int, bare float64) {
	var scenarios atomic.Int64
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		srv, err := mock.New(mock.Options{Control: true})
		require.NoError(b, err)
		ts := httptest.NewServer(srv)
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16, DisableCompression: true}}
		suite, err := steps.New(steps.Config{
			KMSEndpoint: ts.URL, CSMSEndpoint: ts.URL, Identities: identity.Defaults(), HTTPClient: client,
			Control: true, RunID: fmt.Sprintf("bench-%d", i),
		})
		require.NoError(b, err)
		b.StartTimer()
		status := godog.TestSuite{
			Name: "bench",
			ScenarioInitializer: func(sc *godog.ScenarioContext) {
				suite.InitializeScenario(sc)
				sc.After(func(ctx context.Context, _ *godog.Scenario, _ error) (context.Context, error) {
					scenarios.Add(1)
					return ctx, nil
				})
			},
			Options: &godog.Options{
				Format: "progress", Output: io.Discard, NoColors: true, Strict: true,
				Concurrency: concurrency, FS: features.FS, Paths: []string{"."},
			},
		}.Run()
		b.StopTimer()
		ts.Close()
		client.CloseIdleConnections()
		require.Equal(b, 0, status, "the suite fails against the mock")
		b.StartTimer()
	}
	b.StopTimer()
	perRun := float64(scenarios.Load()) / float64(b.N)
	b.ReportMetric(float64(scenarios.Load())/b.Elapsed().Seconds(), "scenarios/s")
	b.ReportMetric(perRun, "scenarios/run")
	b.ReportMetric(bare, "bare-req/s")
}
