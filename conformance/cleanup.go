package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
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

// CleanupResult is what a cleanup did and could not do.
type CleanupResult struct {
	// Scheduled names what was scheduled for deletion ("key <alias> (<id>)", "secret <name>").
	Scheduled []string
	// Purged names what the mock's control API removed at once (keys pending deletion, their grants,
	// secrets pending deletion), so that a shared mock returns to its starting state.
	Purged []string
	// Unreached names what the cleanup could not look at: a listing page it could not ask for (a marker
	// longer than the documented maximum, more pages than it walks), a project no identity may list.
	Unreached []string
	// Live names the prefixed resources still neither scheduled for deletion nor purged when the
	// cleanup ended: what a run or a cleanup left behind.
	Live []string
}

// Cleanup removes what runs of dewconform left behind: every key whose alias and every secret whose name
// starts with "dewconform-<runID>-" (or, with allRuns, "dewconform-") is scheduled for deletion (keys with
// 7 pending days, secrets with a 7-day recovery window). Nothing else is touched. It lists each project of
// cfg's identities once, page by page, as the first identity of that project that may list. Against a
// dewconform mock with its control API (recognised as run recognises it, and then not rate-limited unless
// cfg.RPS says so), what is pending deletion under the prefix is then purged. err joins what could not
// be done.
func Cleanup(ctx context.Context, cfg Config, runID string, allRuns bool) (CleanupResult, error) {
	return cleanup(ctx, cfg, runID, allRuns, true)
}

// cleanup is Cleanup; withPurge says whether to purge on a mock (the run's own sweep does not: it only
// makes sure nothing of the run stays live).
func cleanup(ctx context.Context, cfg Config, runID string, allRuns, withPurge bool) (CleanupResult, error) {
	prefix := steps.ResourcePrefix
	switch {
	case allRuns && runID != "":
		return CleanupResult{}, errors.New("give either a run id or all runs, not both")
	case !allRuns && runID == "":
		return CleanupResult{}, errors.New("give a run id or all runs")
	case !allRuns:
		if err := steps.CheckRunID(runID); err != nil {
			return CleanupResult{}, err
		}
		prefix = steps.Prefix(runID)
	}
	asked := cfg
	cfg.RunID = "cleanup" // normalize wants one; it names nothing here
	cfg, err := cfg.normalize()
	if err != nil {
		return CleanupResult{}, err
	}
	if !cfg.Control && !cfg.Embedded && probeControl(ctx, baseClient(Config{Timeout: cfg.Timeout, HTTPClient: cfg.HTTPClient}), cfg.KMSEndpoint) {
		cfg.Control = true
		if asked.RPS == 0 {
			cfg.RPS = 0 // the mock does not throttle: the gentle default would only slow the sweep down
		}
	}
	client := baseClient(cfg)
	var res CleanupResult
	var errs []error
	for _, ids := range byProject(cfg) {
		s, e := cleanupProject(ctx, cfg, client, ids, prefix)
		res.Scheduled = append(res.Scheduled, s.Scheduled...)
		res.Unreached = append(res.Unreached, s.Unreached...)
		res.Live = append(res.Live, s.Live...)
		if e != nil {
			errs = append(errs, e)
		}
	}
	if cfg.Control && withPurge {
		purged, err := purge(ctx, client, cfg.KMSEndpoint, prefix)
		res.Purged = purged
		if err != nil {
			errs = append(errs, err)
		}
	}
	return res, errors.Join(errs...)
}

// purge asks the mock's control API to remove at once what is pending deletion under the prefix.
func purge(ctx context.Context, client *http.Client, endpoint, prefix string) ([]string, error) {
	body, err := json.Marshal(map[string]string{"prefix": prefix})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(endpoint, "/")+"/_dewconform/purge", bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("purge: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("purge: %s", oneLine(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("purge: %s", oneLine(err))
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("purge: HTTP %d %s", resp.StatusCode, truncate(string(data), 200))
	}
	var out struct {
		Keys []struct {
			KeyID  string `json:"key_id"`
			Alias  string `json:"key_alias"`
			Grants int    `json:"grants"`
		} `json:"keys"`
		Secrets []struct {
			Name string `json:"name"`
		} `json:"secrets"`
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("purge: the answer is not the mock's: %s", oneLine(err))
	}
	var purged []string
	for _, k := range out.Keys {
		name := fmt.Sprintf("key %s (%s)", k.Alias, k.KeyID)
		if k.Grants > 0 {
			name += fmt.Sprintf(" with %d grant(s)", k.Grants)
		}
		purged = append(purged, name)
	}
	for _, s := range out.Secrets {
		purged = append(purged, "secret "+s.Name)
	}
	return purged, nil
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
func cleanupProject(ctx context.Context, cfg Config, client *http.Client, ids []identity.Identity, prefix string) (CleanupResult, error) {
	var lastErr error
	project := ""
	for _, id := range ids {
		project = id.ProjectID
		if (cfg.Auth == AuthAKSK && id.SK == "") || (cfg.Auth == AuthToken && id.Token == "") {
			continue
		}
		c, err := newClients(cfg, client, id)
		if err != nil {
			return CleanupResult{}, err
		}
		res, denied, err := c.sweep(ctx, id.ProjectID, prefix)
		if !denied {
			return res, err
		}
		lastErr = err
	}
	if lastErr == nil {
		return CleanupResult{}, nil // no identity can authenticate in this mode: nothing of a run can be there
	}
	return CleanupResult{Unreached: []string{"project " + project + ": no identity may list it"}}, lastErr
}

// sweep schedules the deletion of the project's prefixed keys and secrets, page by page. denied says the
// identity may not list (401/403), so the caller tries another one.
func (c *apiClients) sweep(ctx context.Context, projectID, prefix string) (res CleanupResult, denied bool, err error) {
	var errs []error
	// scheduled notes the answer to one deletion.
	scheduled := func(name string, status int, body []byte, err error) {
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: %s", name, oneLine(err)))
			res.Live = append(res.Live, name)
		case status != http.StatusOK:
			errs = append(errs, fmt.Errorf("%s: HTTP %d %s", name, status, openapi.ErrorCode(body)))
			res.Live = append(res.Live, name)
		default:
			res.Scheduled = append(res.Scheduled, name)
		}
	}
	unreached := func(what string) {
		res.Unreached = append(res.Unreached, what)
		errs = append(errs, errors.New(what))
	}

	all := kmsapi.ListKeysRequestBodyKeySpecALL
	limit := "100"
	keys := fmt.Sprintf("keys of project %s", projectID)
	err = eachPage(keys, kmsMarkerMax, unreached, func(marker *string) (*string, error) {
		resp, err := c.kms.ListKeysWithResponse(ctx, projectID, kmsapi.ListKeysJSONRequestBody{KeySpec: &all, Limit: &limit, Marker: marker})
		if err != nil {
			return nil, fmt.Errorf("list keys in project %s: %s", projectID, oneLine(err))
		}
		if resp.StatusCode() == http.StatusUnauthorized || resp.StatusCode() == http.StatusForbidden {
			denied = true
			return nil, fmt.Errorf("list keys in project %s: HTTP %d %s", projectID, resp.StatusCode(), openapi.ErrorCode(resp.Body))
		}
		if resp.JSON200 == nil {
			unreached(fmt.Sprintf("%s after marker %s: HTTP %d %s", keys, markerText(marker), resp.StatusCode(), openapi.ErrorCode(resp.Body)))
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
				res.Live = append(res.Live, name)
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
		return res, denied, err
	}

	secrets := fmt.Sprintf("secrets of project %s", projectID)
	err = eachPage(secrets, secretMarkerMax, unreached, func(marker *string) (*string, error) {
		resp, err := c.csms.ListSecretsWithResponse(ctx, projectID, &csmsapi.ListSecretsParams{Limit: &limit, Marker: marker})
		if err != nil {
			unreached(fmt.Sprintf("%s after marker %s: %s", secrets, markerText(marker), oneLine(err)))
			return nil, nil
		}
		if resp.JSON200 == nil {
			unreached(fmt.Sprintf("%s after marker %s: HTTP %d %s", secrets, markerText(marker), resp.StatusCode(), openapi.ErrorCode(resp.Body)))
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
	return res, false, errors.Join(errs...)
}

// The documented maximum length of a listing's marker: a next_marker beyond it cannot be sent back, so
// the pages after it cannot be reached (list-keys' marker is an offset of at most 4 digits).
const (
	kmsMarkerMax    = 4
	secretMarkerMax = 64
)

func markerText(marker *string) string {
	if marker == nil {
		return "(first page)"
	}
	return strconv.Quote(*marker)
}

// eachPage calls page with the marker of each page of a listing (nil for the first) until it returns no
// next marker (nil or "") or an error. A marker longer than maxMarker, or more pages than
// maxCleanupPages, is reported to unreached with what the listing was.
func eachPage(what string, maxMarker int, unreached func(string), page func(marker *string) (next *string, err error)) error {
	var marker *string
	for range maxCleanupPages {
		next, err := page(marker)
		if err != nil || next == nil || *next == "" {
			return err
		}
		if len(*next) > maxMarker {
			unreached(fmt.Sprintf("%s after marker %q: the marker is longer than the documented %d characters, so the pages after it cannot be asked for", what, *next, maxMarker))
			return nil
		}
		marker = next
	}
	unreached(fmt.Sprintf("%s after %d pages: more pages than the cleanup walks", what, maxCleanupPages))
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
