package conformance

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	csmsapi "github.com/dewconform/dewconform/gen/csms"
	kmsapi "github.com/dewconform/dewconform/gen/kms"
	"github.com/dewconform/dewconform/identity"
	"github.com/dewconform/dewconform/openapi"
	"github.com/dewconform/dewconform/steps"
)

// maxCleanupPages bounds the list calls of one project, so that a target that always says "truncated"
// cannot keep the sweep going forever.
const maxCleanupPages = 100

// Cleanup removes what runs of dewconform left behind: every key whose alias and every secret whose name
// starts with "dewconform-<runID>-" (or, with allRuns, "dewconform-") is scheduled for deletion (keys with
// 7 pending days, secrets with a 7-day recovery window). Nothing else is touched. It lists each project of
// cfg's identities once, as the first identity of that project that may list. removed names what was
// scheduled ("key <alias> (<id>)", "secret <name>"); err joins what could not be done.
func Cleanup(ctx context.Context, cfg Config, runID string, allRuns bool) (removed []string, err error) {
	prefix := steps.ResourcePrefix
	switch {
	case allRuns && runID != "":
		return nil, errors.New("give either a run id or all runs, not both")
	case !allRuns && runID == "":
		return nil, errors.New("give a run id or all runs")
	case !allRuns:
		if err := steps.CheckRunID(runID); err != nil {
			return nil, err
		}
		prefix = steps.Prefix(runID)
	}
	cfg.RunID = "cleanup" // normalize wants one; it names nothing here
	cfg, err = cfg.normalize()
	if err != nil {
		return nil, err
	}
	client := baseClient(cfg)
	var errs []error
	for _, ids := range byProject(cfg) {
		r, e := cleanupProject(ctx, cfg, client, ids, prefix)
		removed = append(removed, r...)
		if e != nil {
			errs = append(errs, e)
		}
	}
	return removed, errors.Join(errs...)
}

// byProject groups the identities by project, the primary identity's project first.
func byProject(cfg Config) [][]identity.Identity {
	var order []string
	groups := map[string][]identity.Identity{}
	all := cfg.Identities.All()
	if p, ok := cfg.Identities.Primary(); ok {
		if cfg.ProjectID != "" {
			p.ProjectID = cfg.ProjectID
		}
		all = append([]identity.Identity{p}, all...)
	}
	for _, id := range all {
		if _, seen := groups[id.ProjectID]; !seen {
			order = append(order, id.ProjectID)
		}
		groups[id.ProjectID] = append(groups[id.ProjectID], id)
	}
	out := make([][]identity.Identity, 0, len(order))
	for _, p := range order {
		out = append(out, groups[p])
	}
	return out
}

// cleanupProject sweeps one project with the first identity whose list calls are accepted.
func cleanupProject(ctx context.Context, cfg Config, client *http.Client, ids []identity.Identity, prefix string) ([]string, error) {
	var lastErr error
	for _, id := range ids {
		if (cfg.Auth == AuthAKSK && id.SK == "") || (cfg.Auth == AuthToken && id.Token == "") {
			continue
		}
		c, err := newClients(cfg, client, id)
		if err != nil {
			return nil, err
		}
		removed, denied, err := c.sweep(ctx, id.ProjectID, prefix)
		if !denied {
			return removed, err
		}
		lastErr = err
	}
	return nil, lastErr
}

// sweep schedules the deletion of the project's prefixed keys and secrets. denied says the identity may not
// list (401/403), so the caller tries another one.
func (c *apiClients) sweep(ctx context.Context, projectID, prefix string) (removed []string, denied bool, err error) {
	var errs []error
	all := kmsapi.ListKeysRequestBodyKeySpecALL
	limit := "100"
	var marker *string
	for page := 0; page < maxCleanupPages; page++ {
		resp, err := c.kms.ListKeysWithResponse(ctx, projectID, kmsapi.ListKeysJSONRequestBody{KeySpec: &all, Limit: &limit, Marker: marker})
		if err != nil {
			return removed, false, fmt.Errorf("list keys in project %s: %s", projectID, oneLine(err))
		}
		if resp.StatusCode() == http.StatusUnauthorized || resp.StatusCode() == http.StatusForbidden {
			return removed, true, fmt.Errorf("list keys in project %s: HTTP %d %s", projectID, resp.StatusCode(), openapi.ErrorCode(resp.Body))
		}
		if resp.JSON200 == nil {
			errs = append(errs, fmt.Errorf("list keys in project %s: HTTP %d %s", projectID, resp.StatusCode(), openapi.ErrorCode(resp.Body)))
			break
		}
		for _, k := range resp.JSON200.KeyDetails {
			if !strings.HasPrefix(k.KeyAlias, prefix) {
				continue
			}
			name := fmt.Sprintf("key %s (%s)", k.KeyAlias, k.KeyId)
			switch k.KeyState {
			case "4":
				continue // already scheduled
			case "2", "3", "5":
			default:
				errs = append(errs, fmt.Errorf("%s: state %q cannot be scheduled for deletion", name, k.KeyState))
				continue
			}
			r, err := c.kms.DeleteKeyWithResponse(ctx, projectID, kmsapi.DeleteKeyJSONRequestBody{KeyId: k.KeyId, PendingDays: "7"})
			switch {
			case err != nil:
				errs = append(errs, fmt.Errorf("%s: %s", name, oneLine(err)))
			case r.StatusCode() != http.StatusOK:
				errs = append(errs, fmt.Errorf("%s: HTTP %d %s", name, r.StatusCode(), openapi.ErrorCode(r.Body)))
			default:
				removed = append(removed, name)
			}
		}
		if resp.JSON200.Truncated != "true" || resp.JSON200.NextMarker == "" {
			break
		}
		next := resp.JSON200.NextMarker
		marker = &next
	}

	slimit := "100"
	var smarker *string
	for page := 0; page < maxCleanupPages; page++ {
		resp, err := c.csms.ListSecretsWithResponse(ctx, projectID, &csmsapi.ListSecretsParams{Limit: &slimit, Marker: smarker})
		if err != nil {
			errs = append(errs, fmt.Errorf("list secrets in project %s: %s", projectID, oneLine(err)))
			break
		}
		if resp.JSON200 == nil {
			errs = append(errs, fmt.Errorf("list secrets in project %s: HTTP %d %s", projectID, resp.StatusCode(), openapi.ErrorCode(resp.Body)))
			break
		}
		for _, s := range resp.JSON200.Secrets {
			if !strings.HasPrefix(s.Name, prefix) || s.State == "PENDING_DELETE" {
				continue
			}
			name := "secret " + s.Name
			r, err := c.csms.DeleteSecretForScheduleWithResponse(ctx, projectID, s.Name, csmsapi.DeleteSecretForScheduleJSONRequestBody{RecoveryWindowInDays: 7})
			switch {
			case err != nil:
				errs = append(errs, fmt.Errorf("%s: %s", name, oneLine(err)))
			case r.StatusCode() != http.StatusOK:
				errs = append(errs, fmt.Errorf("%s: HTTP %d %s", name, r.StatusCode(), openapi.ErrorCode(r.Body)))
			default:
				removed = append(removed, name)
			}
		}
		next := resp.JSON200.PageInfo.NextMarker
		if next == nil || *next == "" || len(resp.JSON200.Secrets) == 0 {
			break
		}
		smarker = next
	}
	return removed, false, errors.Join(errs...)
}

// baseClient is cfg's HTTP client with the rate limit applied and redirects not followed.
func baseClient(cfg Config) *http.Client {
	c := &http.Client{Timeout: cfg.Timeout}
	if cfg.HTTPClient != nil {
		cc := *cfg.HTTPClient
		c = &cc
		if c.Timeout == 0 {
			c.Timeout = cfg.Timeout
		}
	}
	if cfg.RPS > 0 {
		next := c.Transport
		if next == nil {
			next = http.DefaultTransport
		}
		c.Transport = newRateLimiter(next, cfg.RPS)
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}
