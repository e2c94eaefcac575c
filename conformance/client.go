package conformance

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/dewconform/dewconform/aksk"
	csmsapi "github.com/dewconform/dewconform/gen/csms"
	kmsapi "github.com/dewconform/dewconform/gen/kms"
	"github.com/dewconform/dewconform/identity"
	"github.com/dewconform/dewconform/openapi"
)

// apiClients are the runner's own clients (preflight, control probe, cleanup), outside any scenario.
type apiClients struct {
	kms  *kmsapi.ClientWithResponses
	csms *csmsapi.ClientWithResponses
	http *http.Client
	cfg  Config
}

// newClients builds generated clients that authenticate as id with cfg's auth mode.
func newClients(cfg Config, httpClient *http.Client, id identity.Identity) (*apiClients, error) {
	edit := func(_ context.Context, req *http.Request) error { return authorize(req, cfg.Auth, id) }
	k, err := kmsapi.NewClientWithResponses(cfg.KMSEndpoint, kmsapi.WithHTTPClient(httpClient), kmsapi.WithRequestEditorFn(edit))
	if err != nil {
		return nil, fmt.Errorf("kms client: %w", err)
	}
	c, err := csmsapi.NewClientWithResponses(cfg.CSMSEndpoint, csmsapi.WithHTTPClient(httpClient), csmsapi.WithRequestEditorFn(edit))
	if err != nil {
		return nil, fmt.Errorf("csms client: %w", err)
	}
	return &apiClients{kms: k, csms: c, http: httpClient, cfg: cfg}, nil
}

// authorize adds id's credentials as the official SDK does: a token header, or an SDK-HMAC-SHA256
// signature over the exact body with X-Project-Id.
func authorize(req *http.Request, mode AuthMode, id identity.Identity) error {
	if req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if mode == AuthAKSK && id.AK != "" && id.SK != "" {
		var body []byte
		if req.Body != nil && req.Body != http.NoBody {
			b, err := io.ReadAll(req.Body)
			if err != nil {
				return fmt.Errorf("read request body: %w", err)
			}
			req.Body.Close()
			body = b
			req.Body = io.NopCloser(bytes.NewReader(body))
		}
		req.Header.Set("X-Project-Id", id.ProjectID)
		return aksk.Sign(req, body, id.AK, id.SK, time.Now())
	}
	if id.Token == "" {
		return fmt.Errorf("identity %q has no token (use --auth aksk)", id.Name)
	}
	req.Header.Set("X-Auth-Token", id.Token)
	return nil
}

// primary returns the identity the runner acts as, with cfg.ProjectID applied.
func primary(cfg Config) (identity.Identity, error) {
	id, ok := cfg.Identities.Primary()
	if !ok {
		return identity.Identity{}, errors.New("no identities")
	}
	if cfg.ProjectID != "" {
		id.ProjectID = cfg.ProjectID
	}
	if cfg.Auth == AuthAKSK && (id.AK == "" || id.SK == "") {
		return id, fmt.Errorf("primary identity %q has no AK/SK for --auth aksk", id.Name)
	}
	if cfg.Auth == AuthToken && id.Token == "" {
		return id, fmt.Errorf("primary identity %q has no token (give one, or use --auth aksk)", id.Name)
	}
	return id, nil
}

// preflight checks, with one cheap read per service, that the target answers and accepts the primary
// identity. Its error is the one-line reason of an exit code 2.
func (c *apiClients) preflight(ctx context.Context, projectID string) error {
	limit := "1"
	kr, err := c.kms.ListKeysWithResponse(ctx, projectID, kmsapi.ListKeysJSONRequestBody{Limit: &limit})
	if err != nil {
		return fmt.Errorf("target unreachable: KMS %s: %s", c.cfg.KMSEndpoint, oneLine(err))
	}
	if err := credentialStatus("KMS", kr.StatusCode(), kr.Body); err != nil {
		return err
	}
	sr, err := c.csms.ListSecretsWithResponse(ctx, projectID, &csmsapi.ListSecretsParams{Limit: &limit})
	if err != nil {
		return fmt.Errorf("target unreachable: CSMS %s: %s", c.cfg.CSMSEndpoint, oneLine(err))
	}
	return credentialStatus("CSMS", sr.StatusCode(), sr.Body)
}

func credentialStatus(service string, status int, body []byte) error {
	switch {
	case status == http.StatusUnauthorized:
		return fmt.Errorf("%s rejected the primary identity's credentials (401 %s)", service, openapi.ErrorCode(body))
	case status == http.StatusForbidden:
		return fmt.Errorf("%s refused the primary identity (403 %s): it needs full KMS and CSMS rights in its project", service, openapi.ErrorCode(body))
	case status == http.StatusNotFound:
		return fmt.Errorf("%s answered 404 to its list call: is the endpoint the service's base URL?", service)
	case status >= 500 || status == http.StatusTooManyRequests:
		return fmt.Errorf("%s is not available (HTTP %d)", service, status)
	}
	return nil
}

// probeControl reports whether endpoint offers the mock's control API.
func probeControl(ctx context.Context, client *http.Client, endpoint string) bool {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"/_dewconform/health", nil)
	if err != nil {
		return false
	}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var h struct {
		Status  string `json:"status"`
		Service string `json:"service"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&h) != nil {
		return false
	}
	return h.Status == "ok" && h.Service == "dewconform-mock"
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

func randomRunID() string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return fmt.Sprintf("%08x", time.Now().UnixNano()&0xffffffff)
	}
	return hex.EncodeToString(b)
}
