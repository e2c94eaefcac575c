package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
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

func serveCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("serve", "serve [--addr 127.0.0.1:8080] [--identities FILE] [--seed FILE] [--control]", stdout)
	addr := fs.String("addr", "127.0.0.1:8080", "listen address (port 0 picks a free one)")
	idFile := fs.String("identities", "", "identities YAML file; default: alice, bob, carol, dave, eve")
	seedFile := fs.String("seed", "", "YAML file of keys (any state), grants and secrets to preload")
	control := fs.Bool("control", false, "enable the control API under /_dewconform/ (needed by @mock-only scenarios)")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "dewconform serve: unexpected arguments %q\n", fs.Args())
		return exitNotJudge
	}
	ids := identity.Defaults()
	if *idFile != "" {
		var err error
		if ids, err = identity.Load(*idFile); err != nil {
			fmt.Fprintf(stderr, "dewconform serve: %s\n", oneLine(err))
			return exitNotJudge
		}
	}
	var seed *mock.Seed
	if *seedFile != "" {
		var err error
		if seed, err = mock.LoadSeed(*seedFile); err != nil {
			fmt.Fprintf(stderr, "dewconform serve: %s\n", oneLine(err))
			return exitNotJudge
		}
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	m, err := mock.New(mock.Options{Identities: ids, Control: *control, Logger: logger, Seed: seed})
	if err != nil {
		fmt.Fprintf(stderr, "dewconform serve: %s\n", oneLine(err))
		return exitNotJudge
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
	select {
	case err := <-errc:
		fmt.Fprintf(stderr, "dewconform serve: %v\n", err)
		return exitNotJudge
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		fmt.Fprintf(stderr, "dewconform serve: shutdown: %v\n", err)
		return exitNotJudge
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(stderr, "dewconform serve: %v\n", err)
		return exitNotJudge
	}
	fmt.Fprintln(stderr, "dewconform serve: stopped")
	return exitOK
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
