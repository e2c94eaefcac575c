package mock

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync/atomic"

	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/dewconform/dewconform/identity"
)

// Version is reported by the control API's health check.
const Version = "0.1.0"

// DefaultMaxBodyBytes is the body limit when Options.MaxBodyBytes is zero. The real limit is not
// documented (UNCONFIRMED); 1 MiB is far above any valid KMS or CSMS request (a secret value is at most
// 32 KiB).
const DefaultMaxBodyBytes = 1 << 20

// DefaultMaxKMSBodyBytes is KMS's own limit when Options.MaxKMSBodyBytes is zero: a body under the
// gateway's limit but over this one is refused by KMS with 400 KMS.0203 "Request message too long.". The
// value is UNCONFIRMED; the largest valid KMS request (encrypt-data with 4096 bytes of plaintext) stays
// far below 64 KiB.
const DefaultMaxKMSBodyBytes = 64 << 10

// Options configure a Server. The zero value is a usable mock with the default identities.
type Options struct {
	// Identities are the callers the mock knows; the zero value means identity.Defaults().
	Identities identity.Set
	// Clock drives resource lifecycles; nil means the wall clock. Signatures always use the wall clock.
	Clock Clock
	// Control enables the control API under /_dewconform/ (off by default: the real service has none).
	Control bool
	// Choices select between the documented alternatives the docs leave open.
	Choices Choices
	// Limits are the quotas; zero fields take the defaults.
	Limits Limits
	// Logger receives one line per request; nil discards.
	Logger *slog.Logger
	// MaxBodyBytes caps request bodies (413 APIGW.0201 above it); 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// MaxKMSBodyBytes caps KMS request bodies (400 KMS.0203 above it); 0 means DefaultMaxKMSBodyBytes.
	MaxKMSBodyBytes int64
	// Seed preloads keys, grants and secrets.
	Seed *Seed
	// Rand is the source of resource ids and key material; nil means crypto/rand. Tests inject a
	// deterministic reader for reproducible ids. It is only read under the store's lock.
	Rand io.Reader
	// DisableValidation skips the validation of requests against the spec. For benchmarks only (it
	// measures what validation costs): without it malformed requests reach the handlers, which then
	// answer with the generator's decoding errors instead of the documented codes.
	DisableValidation bool
}

// Server is the mock: an http.Handler serving KMS and CSMS (and the control API when enabled) on one
// mux. It is safe for concurrent use.
type Server struct {
	store      *store
	identities identity.Set
	errs       problems
	// codeReasons: the Reason of each error code the spec declares for a request field (fieldReason).
	codeReasons map[string]Reason
	log         *slog.Logger
	maxBody     int64
	maxKMSBody  int64
	validate    bool // Options.DisableValidation unset
	valOpts     *openapi3filter.Options
	control     http.Handler // nil when the control API is off
	services    http.Handler // routes of both specs plus the APIGW.0101 fallback
	reqPrefix   string
	reqCounter  atomic.Uint64
}

// New builds a Server: it loads the embedded specs once, compiles the routes, and applies the seed.
func New(opts Options) (*Server, error) {
	choices, err := opts.Choices.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("mock options: %w", err)
	}
	ids := opts.Identities
	if ids.Len() == 0 {
		ids = identity.Defaults()
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	maxBody := opts.MaxBodyBytes
	if maxBody <= 0 {
		maxBody = DefaultMaxBodyBytes
	}
	maxKMSBody := opts.MaxKMSBodyBytes
	if maxKMSBody <= 0 {
		maxKMSBody = DefaultMaxKMSBodyBytes
	}
	prefix := make([]byte, 8)
	if _, err := rand.Read(prefix); err != nil {
		return nil, fmt.Errorf("request id prefix: %w", err)
	}
	s := &Server{
		store: newStore(storeConfig{
			Clock: opts.Clock, Rand: opts.Rand, Limits: opts.Limits, Choices: choices,
		}),
		identities: ids,
		errs:       problems{table: errorTable(choices)},
		log:        logger,
		maxBody:    maxBody,
		maxKMSBody: maxKMSBody,
		validate:   !opts.DisableValidation,
		valOpts:    validationOptions(),
		reqPrefix:  hex.EncodeToString(prefix),
	}
	if s.codeReasons, err = s.errs.codeReasons(declaredCodes()); err != nil {
		return nil, fmt.Errorf("spec and error table: %w", err)
	}
	if s.services, err = s.serviceMux(); err != nil {
		return nil, err
	}
	if opts.Control {
		s.control = s.controlMux()
	}
	if opts.Seed != nil {
		if _, err := s.applySeed(opts.Seed); err != nil {
			return nil, fmt.Errorf("seed: %w", err)
		}
	}
	return s, nil
}

// Identities returns the identities the server authenticates.
func (s *Server) Identities() identity.Set { return s.identities }
