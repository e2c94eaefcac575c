// Command soak checks that one `dewconform serve` can be shared by many CI runs: it builds dewconform,
// starts `serve --control --key-quota Q`, runs the whole suite N times against it (`dewconform run
// --endpoint`), removes what each run left with `dewconform cleanup --run-id` (which, against a mock with
// the control API, purges what the run scheduled for deletion), and checks after every run that the keys, grants and secrets are back at their count before the run.
// The quota is chosen so that the runs would exhaust it without the purge. It fails when the mock's RSS
// at the last run exceeds its RSS at the reference run (run N/10) by more than 50%.
//
//	go run ./bench/soak -runs 100 -out bench/soak.txt     # make soak (SOAK_RUNS=10 for a short one)
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"
)

func main() {
	runs := flag.Int("runs", 100, "number of suite runs")
	quota := flag.Int("key-quota", 300, "the mock's --key-quota: a few runs' worth of keys")
	out := flag.String("out", "", "also write the report to this file")
	concurrency := flag.Int("concurrency", 4, "scenarios in parallel within a run")
	noPurge := flag.Bool("no-purge", false, "do not purge (to see the quota run out: the soak then fails)")
	flag.Parse()
	if err := soak(*runs, *quota, *concurrency, *noPurge, *out); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

const soakSeed = `keys:
  - {owner: alice, alias: soak-live}
  - {owner: alice, alias: soak-pending, state: "4"}
  - {owner: alice, alias: dewconform-soak0-live}
grants:
  - {key: soak-live, grantee: bob, operations: [describe-key]}
secrets:
  - {owner: alice, name: soak-secret, value: not-a-run-s}
  - {owner: alice, name: dewconform-soak0-disabled, value: v, state: DISABLED}
`

type stats struct {
	Total struct {
		Keys                 int `json:"keys"`
		KeysPendingDeletion  int `json:"keys_pending_deletion"`
		DefaultKeys          int `json:"default_keys"`
		Grants               int `json:"grants"`
		Secrets              int `json:"secrets"`
		SecretsPendingDelete int `json:"secrets_pending_delete"`
	} `json:"total"`
}

// counted is what must come back to its pre-run value: the keys a run may create (the csms/default key
// of a project is created once, by the first run that stores a secret there, and stays), grants, secrets.
func (s stats) counted() [3]int {
	return [3]int{s.Total.Keys - s.Total.DefaultKeys, s.Total.Grants, s.Total.Secrets}
}

type purged struct {
	Keys    []json.RawMessage `json:"keys"`
	Grants  int               `json:"grants"`
	Secrets []json.RawMessage `json:"secrets"`
}

func soak(runs, quota, concurrency int, noPurge bool, outFile string) (err error) {
	if runs < 1 || quota < 1 {
		return errors.New("-runs and -key-quota must be positive")
	}
	var report bytes.Buffer
	logf := func(format string, args ...any) {
		fmt.Fprintf(&report, format+"\n", args...)
		fmt.Printf(format+"\n", args...)
	}
	defer func() {
		if err != nil {
			logf("FAIL: %v", err)
		}
		if outFile != "" {
			if werr := os.WriteFile(outFile, report.Bytes(), 0o644); werr != nil && err == nil {
				err = werr
			}
		}
	}()

	tmp, err := os.MkdirTemp("", "dewconform-soak-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "dewconform")
	if b, err := exec.Command("go", "build", "-o", bin, "./cmd/dewconform").CombinedOutput(); err != nil {
		return fmt.Errorf("build: %v: %s", err, b)
	}

	// Resources that are not a run's must survive every cleanup: the baseline is not zero, and what
	// another run (soak0) left, live or disabled, stays (cleanup --run-id touches only that run's).
	seed := filepath.Join(tmp, "seed.yaml")
	if err := os.WriteFile(seed, []byte(soakSeed), 0o600); err != nil {
		return err
	}
	serve := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--control", "--key-quota", strconv.Itoa(quota), "--quiet", "--seed", seed)
	stdout, err := serve.StdoutPipe()
	if err != nil {
		return err
	}
	var serveErr bytes.Buffer
	serve.Stderr = &serveErr
	if err := serve.Start(); err != nil {
		return err
	}
	defer func() {
		_ = serve.Process.Signal(os.Interrupt)
		_ = serve.Wait()
	}()
	sc := bufio.NewScanner(stdout)
	if !sc.Scan() {
		return fmt.Errorf("serve printed no URL: %s", serveErr.String())
	}
	url := strings.TrimSpace(sc.Text())
	go func() { _, _ = io.Copy(io.Discard, stdout) }()

	logf("dewconform soak: %d runs of the suite against one `serve --control --key-quota %d`, `dewconform cleanup --run-id` after each run", runs, quota)
	logf("commit %s, %s, %s/%s, %d CPUs, %s", commit(), runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(),
		time.Now().UTC().Format(time.RFC3339))
	logf("%-4s %-8s %-14s %-11s %-22s %-22s %-8s", "run", "time", "scenarios", "keys made", "purged k/g/s", "after k/g/s (base)", "RSS KiB")

	refRun := max(1, runs/10)
	var refRSS, lastRSS, created int
	var defaultKeys, firstKeys = -1, 0
	start := time.Now()
	for i := 1; i <= runs; i++ {
		before, err := getStats(url)
		if err != nil {
			return err
		}
		if i == 1 {
			firstKeys = before.Total.Keys
		}
		runID := fmt.Sprintf("soak%d", i)
		t0 := time.Now()
		var runOut bytes.Buffer
		cmd := exec.Command(bin, "run", "--endpoint", url, "--run-id", runID, "--rps", "-1",
			"--concurrency", strconv.Itoa(concurrency), "--format", "progress")
		cmd.Stdout, cmd.Stderr = &runOut, &runOut
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("run %d: %v\n%s", i, err, tail(runOut.String(), 3000))
		}
		dur := time.Since(t0)
		mid, err := getStats(url)
		if err != nil {
			return err
		}
		created = mid.Total.KeysPendingDeletion - before.Total.KeysPendingDeletion
		var p purged
		if !noPurge {
			if p, err = cleanup(bin, url, runID); err != nil {
				return fmt.Errorf("run %d: %w", i, err)
			}
		}
		after, err := getStats(url)
		if err != nil {
			return err
		}
		rss, err := rssKiB(serve.Process.Pid)
		if err != nil {
			return err
		}
		a, b := after.counted(), before.counted()
		logf("%-4d %-8s %-14s %-11d %-22s %-22s %-8d", i, dur.Round(10*time.Millisecond), "PASS "+scenarios(runOut.String()), created,
			fmt.Sprintf("%d/%d/%d", len(p.Keys), p.Grants, len(p.Secrets)),
			fmt.Sprintf("%d/%d/%d (%d/%d/%d)", a[0], a[1], a[2], b[0], b[1], b[2]), rss)
		if a != b && !noPurge {
			return fmt.Errorf("run %d: keys/grants/secrets after the purge %v, before the run %v", i, a, b)
		}
		if defaultKeys >= 0 && after.Total.DefaultKeys != defaultKeys {
			return fmt.Errorf("run %d: default keys went from %d to %d", i, defaultKeys, after.Total.DefaultKeys)
		}
		defaultKeys = after.Total.DefaultKeys
		if i == refRun {
			refRSS = rss
		}
		lastRSS = rss
	}
	logf("")
	logf("%d runs in %s; every run passed and its cleanup brought keys, grants and secrets back to the pre-run counts", runs, time.Since(start).Round(time.Second))
	if created > 0 {
		// Without the purge, run r ends with r*created more keys than the first began with: the quota
		// refuses a key in the first run that would go above it.
		exhaust := (quota-firstKeys)/created + 1
		logf("a run leaves %d keys pending deletion: without the purge the quota of %d would refuse keys in run %d", created, quota, exhaust)
		if exhaust > runs {
			return fmt.Errorf("the quota %d is not exhausted by %d runs of %d keys: the soak proves nothing about the purge", quota, runs, created)
		}
	}
	growth := 100 * float64(lastRSS-refRSS) / float64(refRSS)
	logf("RSS: %d KiB at run %d, %d KiB at run %d (%+.1f%%; limit +50%%)", refRSS, refRun, lastRSS, runs, growth)
	if float64(lastRSS) > 1.5*float64(refRSS) {
		return fmt.Errorf("RSS grew by %.1f%% from run %d to run %d", growth, refRun, runs)
	}
	logf("PASS")
	return nil
}

func getStats(url string) (stats, error) {
	var s stats
	resp, err := http.Get(url + "/_dewconform/stats")
	if err != nil {
		return s, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return s, fmt.Errorf("stats: status %d", resp.StatusCode)
	}
	return s, json.NewDecoder(resp.Body).Decode(&s)
}

var purgedKeyRe = regexp.MustCompile(`^purged by the mock: key .*?(?: with (\d+) grant\(s\))?$`)

// cleanup runs `dewconform cleanup --run-id` against the mock and reads what it purged from its output.
func cleanup(bin, url, runID string) (purged, error) {
	var p purged
	out, err := exec.Command(bin, "cleanup", "--endpoint", url, "--run-id", runID).CombinedOutput()
	if err != nil {
		return p, fmt.Errorf("cleanup: %v\n%s", err, tail(string(out), 2000))
	}
	for _, line := range strings.Split(string(out), "\n") {
		switch {
		case strings.HasPrefix(line, "purged by the mock: secret "):
			p.Secrets = append(p.Secrets, json.RawMessage(strconv.Quote(line)))
		case purgedKeyRe.MatchString(line):
			p.Keys = append(p.Keys, json.RawMessage(strconv.Quote(line)))
			if m := purgedKeyRe.FindStringSubmatch(line); m[1] != "" {
				n, _ := strconv.Atoi(m[1])
				p.Grants += n
			}
		case strings.HasPrefix(line, "still there: "), strings.HasPrefix(line, "not reached: "):
			return p, fmt.Errorf("cleanup left something: %s", line)
		}
	}
	return p, nil
}

// rssKiB reads a process's resident set size from /proc (Linux only).
func rssKiB(pid int) (int, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("RSS (Linux only): %w", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
		}
	}
	return 0, errors.New("no VmRSS in /proc status")
}

func commit() string {
	out, err := exec.Command("git", "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	c := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
		c += " (with uncommitted changes)"
	}
	return c
}

var progressRe = regexp.MustCompile(`\[(\d+)/(\d+)\] (\d+) failed`)

// scenarios reads "done/total" from the last progress line of a run.
func scenarios(out string) string {
	m := progressRe.FindAllStringSubmatch(out, -1)
	if len(m) == 0 {
		return "?"
	}
	last := m[len(m)-1]
	return last[1] + "/" + last[2]
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}
