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
	// scheduled notes the answer to one deletion.
	scheduled := func(name string, status int, body []byte, err error) {
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: %s", name, oneLine(err)))
		case status != http.StatusOK:
			errs = append(errs, fmt.Errorf("%s: HTTP %d %s", name, status, openapi.ErrorCode(body)))
		default:
			removed = append(removed, name)
		}
	}

	all := kmsapi.ListKeysRequestBodyKeySpecALL
	limit := "100"
	err = eachPage(func(marker *string) (*string, error) {
		resp, err := c.kms.ListKeysWithResponse(ctx, projectID, kmsapi.ListKeysJSONRequestBody{KeySpec: &all, Limit: &limit, Marker: marker})
		if err != nil {
			return nil, fmt.Errorf("list keys in project %s: %s", projectID, oneLine(err))
		}
		if resp.StatusCode() == http.StatusUnauthorized || resp.StatusCode() == http.StatusForbidden {
			denied = true
			return nil, fmt.Errorf("list keys in project %s: HTTP %d %s", projectID, resp.StatusCode(), openapi.ErrorCode(resp.Body))
		}
		if resp.JSON200 == nil {
			errs = append(errs, fmt.Errorf("list keys in project %s: HTTP %d %s", projectID, resp.StatusCode(), openapi.ErrorCode(resp.Body)))
			return nil, nil
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
			if err != nil {
				scheduled(name, 0, nil, err)
			} else {
				scheduled(name, r.StatusCode(), r.Body, nil)
			}
		}
		if resp.JSON200.Truncated != "true" {
			return nil, nil
		}
		return &resp.JSON200.NextMarker, nil
	})
	if err != nil {
		return removed, denied, err
	}

	err = eachPage(func(marker *string) (*string, error) {
		resp, err := c.csms.ListSecretsWithResponse(ctx, projectID, &csmsapi.ListSecretsParams{Limit: &limit, Marker: marker})
		if err != nil {
			errs = append(errs, fmt.Errorf("list secrets in project %s: %s", projectID, oneLine(err)))
			return nil, nil
		}
		if resp.JSON200 == nil {
			errs = append(errs, fmt.Errorf("list secrets in project %s: HTTP %d %s", projectID, resp.StatusCode(), openapi.ErrorCode(resp.Body)))
			return nil, nil
		}
		for _, s := range resp.JSON200.Secrets {
			if !strings.HasPrefix(s.Name, prefix) || s.State == "PENDING_DELETE" {
				continue
			}
			r, err := c.csms.DeleteSecretForScheduleWithResponse(ctx, projectID, s.Name, csmsapi.DeleteSecretForScheduleJSONRequestBody{RecoveryWindowInDays: 7})
			if err != nil {
				scheduled("secret "+s.Name, 0, nil, err)
			} else {
				scheduled("secret "+s.Name, r.StatusCode(), r.Body, nil)
			}
		}
		if len(resp.JSON200.Secrets) == 0 {
			return nil, nil
		}
		return resp.JSON200.PageInfo.NextMarker, nil
	})
	errs = append(errs, err)
	return removed, false, errors.Join(errs...)
}

// eachPage calls page with the marker of each page of a listing (nil for the first) until it returns no
// next marker (nil or "") or an error, and at most maxCleanupPages times.
func eachPage(page func(marker *string) (next *string, err error)) error {
	var marker *string
	for range maxCleanupPages {
		next, err := page(marker)
		if err != nil || next == nil || *next == "" {
			return err
		}
		marker = next
	}
	return nil
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
