// Package dewmock runs the dewconform mock of Huawei Cloud KMS and CSMS inside a Go test, so that code
// calling DEW (through the official SDK or plain HTTP) can be tested without an account:
//
//	func TestMyService(t *testing.T) {
//		srv := dewmock.Start(t) // stopped when the test ends
//		alice := srv.Default()
//		cred := basic.NewCredentialsBuilder().WithAk(alice.AK).WithSk(alice.SK).WithProjectId(alice.ProjectID).Build()
//		client := kms.NewKmsClient(kms.KmsClientBuilder().WithEndpoints([]string{srv.URL}).WithCredential(cred).Build())
//		...
//	}
//
// KMS and CSMS share srv.URL, as they share a host on the real service. The identities are the mock's
// public test identities (alice, dave and eve with full rights; bob and carol act only through grants)
// unless [WithIdentities] replaces them. The mock's documented differences from the real service are
// listed in mock/KNOWN_DIFFERENCES.md.
package dewmock

import (
	"errors"
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/dewconform/dewconform/identity"
	"github.com/dewconform/dewconform/mock"
)

// Server is a running mock.
type Server struct {
	// URL is the base URL of both services, e.g. http://127.0.0.1:41234.
	URL  string
	ids  identity.Set
	mock *mock.Server
	http *httptest.Server
}

// Option configures the mock.
type Option func(*mock.Options)

// WithControl enables the control API under URL/_dewconform/ (seed states, move a key's clock, purge).
func WithControl() Option { return func(o *mock.Options) { o.Control = true } }

// WithIdentities replaces the default identities.
func WithIdentities(ids identity.Set) Option { return func(o *mock.Options) { o.Identities = ids } }

// WithSeed preloads keys (in any state), grants and secrets; see [mock.Seed] for the format.
func WithSeed(seed *mock.Seed) Option { return func(o *mock.Options) { o.Seed = seed } }

// WithOptions sets any option of the mock (clock, quotas, the choices the documentation leaves open).
func WithOptions(f func(*mock.Options)) Option { return Option(f) }

// New starts a mock on a free loopback port. Call Close when done; in a test, prefer [Start].
func New(opts ...Option) (*Server, error) {
	var o mock.Options
	for _, f := range opts {
		if f != nil {
			f(&o)
		}
	}
	m, err := mock.New(o)
	if err != nil {
		return nil, fmt.Errorf("dewmock: %w", err)
	}
	ts := httptest.NewServer(m)
	return &Server{URL: ts.URL, ids: m.Identities(), mock: m, http: ts}, nil
}

// Start starts a mock for tb and stops it when tb ends; a configuration error fails tb at once.
func Start(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s, err := New(opts...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Close stops the server and waits for the requests in progress.
func (s *Server) Close() { s.http.Close() }

// Default is the identity the harness acts as by default: alice with the default identities (project
// 0123456789abcdef0123456789abcdef, token alice-token, AK ALICEACCESSKEYID0001, SK alice-secret-access-key).
func (s *Server) Default() identity.Identity {
	id, _ := s.ids.Primary()
	return id
}

// Identity returns the identity with that name, or an error naming the known ones.
func (s *Server) Identity(name string) (identity.Identity, error) {
	if id, ok := s.ids.ByName(name); ok {
		return id, nil
	}
	return identity.Identity{}, errors.New("dewmock: no identity " + name + "; known: " + fmt.Sprint(s.ids.Names()))
}

// Identities lists every identity the mock authenticates (tokens and AK/SK included: test values).
func (s *Server) Identities() []identity.Identity { return s.ids.All() }

// Mock is the mock itself, for what the HTTP API cannot do: [mock.Server.Stats], [mock.Server.Purge],
// [mock.Server.Snapshot].
func (s *Server) Mock() *mock.Server { return s.mock }
