package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/dewconform/dewconform/openapi"
)

// healthCmd is for CI health checks of a service container: the image has no shell and no curl, so the
// binary checks itself. Exit 0: the endpoint answers; 1: it does not (yet); 2: usage error.
func healthCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("health", "health [--timeout 5s] [--mock] URL", stdout)
	timeout := fs.Duration("timeout", 5*time.Second, "give up after this long")
	mockOnly := fs.Bool("mock", false, "require a dewconform mock with its control API (serve --control)")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "dewconform health: give one URL, e.g. http://127.0.0.1:8080")
		return exitNotJudge
	}
	base, err := url.Parse(fs.Arg(0))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		fmt.Fprintf(stderr, "dewconform health: %q is not an http(s) URL with a host\n", fs.Arg(0))
		return exitNotJudge
	}
	if *timeout <= 0 {
		fmt.Fprintln(stderr, "dewconform health: --timeout must be positive")
		return exitNotJudge
	}
	msg, ok := probeHealth(ctx, base, *timeout, *mockOnly)
	if !ok {
		fmt.Fprintf(stderr, "dewconform health: %s\n", msg)
		return exitFail
	}
	fmt.Fprintln(stdout, msg)
	return exitOK
}

// probeHealth asks the mock's health endpoint. A dewconform mock with --control answers it; a mock
// without, or a real DEW endpoint, answers with an error envelope (the gateway's "no such API"), which
// still proves it is up, unless mockOnly asks for the mock.
func probeHealth(ctx context.Context, base *url.URL, timeout time.Duration, mockOnly bool) (string, bool) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	target := strings.TrimSuffix(base.String(), "/") + "/_dewconform/health"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err.Error(), false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Sprintf("%s does not answer: %v", base.Redacted(), err), false
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if err != nil {
		return fmt.Sprintf("%s: reading the answer: %v", base.Redacted(), err), false
	}
	var h struct {
		Status  string `json:"status"`
		Service string `json:"service"`
		Version string `json:"version"`
	}
	if resp.StatusCode == http.StatusOK && json.Unmarshal(body, &h) == nil && h.Service == "dewconform-mock" {
		if h.Status != "ok" {
			return fmt.Sprintf("dewconform mock at %s reports status %q", base.Redacted(), h.Status), false
		}
		return fmt.Sprintf("ok: dewconform mock %s at %s", h.Version, base.Redacted()), true
	}
	code := openapi.ErrorCode(body)
	switch {
	case mockOnly:
		return fmt.Sprintf("%s answers HTTP %d, not as a dewconform mock with its control API (serve --control)",
			base.Redacted(), resp.StatusCode), false
	case resp.StatusCode < http.StatusInternalServerError && code != "":
		return fmt.Sprintf("ok: %s answers as a DEW endpoint (HTTP %d %s)", base.Redacted(), resp.StatusCode, code), true
	}
	return fmt.Sprintf("%s answers HTTP %d without a DEW error body", base.Redacted(), resp.StatusCode), false
}
