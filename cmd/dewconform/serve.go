package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/dewconform/dewconform/identity"
	"github.com/dewconform/dewconform/mock"
)

// newHTTPServer bounds every phase of a connection, so that a slow or hostile client cannot hold the mock.
func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    1 << 20,
	}
}

// serveHelp explains what the flags alone cannot: how long resources live, what counts against which
// quota, and what the state file holds.
const serveHelp = `
Resources live until they are deleted: a key scheduled for deletion (state 4) disappears after its
pending days (7 to 1096), a secret scheduled for deletion after its recovery window (7 to 30 days), a
grant with its key or when it is revoked or retired. Quotas count per project every key that exists,
keys pending deletion and the csms/default key included (--key-quota, KMS.1105), and every secret,
pending deletion included (--secret-quota, CSMS.0202); grants count per key (--grant-quota, KMS.2404).
A mock shared by many runs therefore fills up unless what the runs scheduled for deletion is purged:
with --control, POST /_dewconform/purge {"run_id": "ID"} (or {"prefix": "dewconform-"}) removes at once
the keys (with their grants) and secrets whose name has that prefix and that are pending deletion, and
GET /_dewconform/stats counts what each project holds.

--state FILE keeps the mock's resources across restarts: the file is read at start (a corrupt file, or
one from an incompatible version, is refused and left untouched), written at once, every
--state-interval when something changed, and on a graceful stop (SIGINT, SIGTERM); a crash loses at
most one interval. Writes are atomic (a temporary file beside it, then a rename). The file holds key
material and secret values in clear: it is created 0600; keep it like a credentials file. --seed
applies only when the state file does not exist yet (the state already holds what was seeded).
`

func serveCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("serve", "serve [--addr 127.0.0.1:8080] [--identities FILE] [--seed FILE] [--state FILE] [--control] [flags]", stdout)
	addr := fs.String("addr", "127.0.0.1:8080", "listen address (port 0 picks a free one)")
	idFile := fs.String("identities", "", "identities YAML file; default: alice, bob, carol, dave, eve")
	seedFile := fs.String("seed", "", "YAML file of keys (any state), grants and secrets to preload (with --state: on the first start only)")
	control := fs.Bool("control", false, "enable the control API under /_dewconform/ (needed by @mock-only scenarios, purge and stats)")
	stateFile := fs.String("state", "", "keep keys (with their material), grants and secrets (with their values) in `FILE` across restarts; written 0600")
	stateEvery := fs.Duration("state-interval", 30*time.Second, "how often --state is written when something changed")
	logLevel := fs.String("log-level", "info", "debug, info (one line per request), warn or error")
	quiet := fs.Bool("quiet", false, "log errors only (same as --log-level error)")
	keyQuota := fs.Int("key-quota", 0, "keys per project, pending deletion included (KMS.1105); 0 means 10000")
	secretQuota := fs.Int("secret-quota", 0, "secrets per project, pending deletion included (CSMS.0202); 0 means 10000")
	grantQuota := fs.Int("grant-quota", 0, "grants per key (KMS.2404); 0 means 100")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: dewconform serve [flags]\n%s\nflags:\n", serveHelp)
		fs.PrintDefaults()
	}
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "dewconform serve: %s\n", oneLine(err))
		return exitNotJudge
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "dewconform serve: unexpected arguments %q\n", fs.Args())
		return exitNotJudge
	}
	level, err := parseLogLevel(*logLevel, *quiet)
	if err != nil {
		return fail(err)
	}
	switch {
	case *stateEvery <= 0:
		return fail(fmt.Errorf("--state-interval %s: want a positive duration", *stateEvery))
	case *keyQuota < 0 || *secretQuota < 0 || *grantQuota < 0:
		return fail(errors.New("quotas must be positive (0 means the default)"))
	}
	ids := identity.Defaults()
	if *idFile != "" {
		if ids, err = identity.Load(*idFile); err != nil {
			return fail(err)
		}
	}
	// The state file is read before anything else, so that a refused file stops the start at once; a
	// missing one is a first start.
	var state *mock.State
	if *stateFile != "" {
		state, err = mock.ReadStateFile(*stateFile)
		switch {
		case errors.Is(err, os.ErrNotExist):
			state = nil
		case err != nil:
			return fail(fmt.Errorf("%w (the file was left as it is; move it away to start empty)", err))
		}
	}
	var seed *mock.Seed
	if *seedFile != "" && state == nil {
		if seed, err = mock.LoadSeed(*seedFile); err != nil {
			return fail(err)
		}
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	m, err := mock.New(mock.Options{Identities: ids, Control: *control, Logger: logger, Seed: seed,
		Limits: mock.Limits{KeysPerProject: *keyQuota, SecretsPerProject: *secretQuota, GrantsPerKey: *grantQuota}})
	if err != nil {
		return fail(err)
	}
	var saver *stateSaver
	if *stateFile != "" {
		if state != nil {
			if err := m.Restore(state); err != nil {
				return fail(err)
			}
			keys, grants, secrets := state.Counts()
			logger.Info("state loaded", "file", *stateFile, "keys", keys, "grants", grants, "secrets", secrets)
		}
		if err := mock.RemoveStaleStateTemps(*stateFile); err != nil {
			return fail(err)
		}
		saver = &stateSaver{m: m, path: *stateFile, log: logger}
		if err := saver.save(); err != nil { // at once: an unwritable path is found now, not at the stop
			return fail(err)
		}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "dewconform serve: %v\n", err)
		return exitNotJudge
	}
	// The URL comes first, alone on its line, so that scripts can read it.
	fmt.Fprintf(stdout, "http://%s\n", ln.Addr())
	if *idFile == "" {
		printDefaultIdentities(stdout, ids)
	} else {
		fmt.Fprint(stdout, ids.Table())
	}
	if *control {
		fmt.Fprintln(stdout, "control API: /_dewconform/ (health: GET /_dewconform/health)")
	}
	srv := newHTTPServer(m)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	stopSaving := func() {}
	if saver != nil {
		stopSaving = saver.every(*stateEvery)
	}
	select {
	case err := <-errc:
		stopSaving()
		fmt.Fprintf(stderr, "dewconform serve: %v\n", err)
		return exitNotJudge
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	shutdownErr := srv.Shutdown(sctx)
	// The last write comes after the shutdown, so that it holds what the last requests did.
	stopSaving()
	if saver != nil {
		if err := saver.save(); err != nil {
			return fail(err)
		}
	}
	if shutdownErr != nil {
		fmt.Fprintf(stderr, "dewconform serve: shutdown: %v\n", shutdownErr)
		return exitNotJudge
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(stderr, "dewconform serve: %v\n", err)
		return exitNotJudge
	}
	fmt.Fprintln(stderr, "dewconform serve: stopped")
	return exitOK
}

func parseLogLevel(name string, quiet bool) (slog.Level, error) {
	if quiet {
		return slog.LevelError, nil
	}
	switch name {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("--log-level %q: want debug, info, warn or error", name)
}

// stateSaver writes the mock's state to its file, skipping a write when nothing changed since the last.
type stateSaver struct {
	mu   sync.Mutex // one write at a time: the ticker's and the final one
	m    *mock.Server
	path string
	log  *slog.Logger
	last []byte
}

func (s *stateSaver) save() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	data, err := s.m.Snapshot().Marshal()
	if err != nil {
		return err
	}
	if bytes.Equal(data, s.last) {
		return nil
	}
	if err := mock.WriteStateFile(s.path, data); err != nil {
		return err
	}
	s.last = data
	s.log.Debug("state written", "file", s.path, "bytes", len(data))
	return nil
}

// every saves every interval until the returned function is called; that function returns once the
// saving goroutine has ended. A failed write is logged and tried again at the next tick.
func (s *stateSaver) every(interval time.Duration) (stop func()) {
	done, ended := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(ended)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if err := s.save(); err != nil {
					s.log.Error("state not written", "file", s.path, "error", oneLine(err))
				}
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() { close(done) })
		<-ended
	}
}

// printDefaultIdentities shows the default identities with their tokens and AKs: they are public test
// values, documented in the README. SKs are never printed, not even these.
func printDefaultIdentities(w io.Writer, ids identity.Set) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tPROJECT_ID\tRIGHTS\tTOKEN\tAK")
	for _, id := range ids.All() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", id.Name, id.ProjectID, id.Rights, id.Token, id.AK)
	}
	tw.Flush()
}
