package mock

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
)

// A mock shared by many CI runs fills up: every run schedules the deletion of the keys it created, and
// keys pending deletion count against the key quota (as the mock models it) for their 7 or more pending
// days. Purging ends that wait for what a dewconform run left scheduled for deletion, so that the next
// runs find the quota free. Only resources already scheduled for deletion are removed, so a purge can
// never take away a key or secret that a run still uses (a scenario that schedules a deletion and then
// cancels it can still be hit: purge by run id, which touches only that run's resources).

// runPrefix is what every resource of a dewconform run is named with; a purge is limited to it.
const runPrefix = "dewconform-"

// runIDRe is the runner's rule for run ids (conformance.Config.RunID).
var runIDRe = regexp.MustCompile(`^[a-zA-Z0-9-]{1,20}$`)

// PurgedKey is a key a purge removed.
type PurgedKey struct {
	KeyID     string `json:"key_id"`
	Alias     string `json:"key_alias"`
	ProjectID string `json:"project_id"`
	Grants    int    `json:"grants"`
}

// PurgedSecret is a secret a purge removed.
type PurgedSecret struct {
	Name      string `json:"name"`
	ProjectID string `json:"project_id"`
}

// PurgeResult is what a purge removed.
type PurgeResult struct {
	Prefix  string         `json:"prefix"`
	Keys    []PurgedKey    `json:"keys"`
	Grants  int            `json:"grants"`
	Secrets []PurgedSecret `json:"secrets"`
}

// Purge removes at once, in every project, the keys pending deletion ("4") whose alias starts with
// prefix (with their grants) and the secrets pending deletion whose name starts with it. prefix must
// start with "dewconform-": a purge is for what dewconform runs left behind. Resources past their
// deletion date are swept on the way, as any listing does.
func (s *Server) Purge(prefix string) (PurgeResult, error) {
	if !strings.HasPrefix(prefix, runPrefix) {
		return PurgeResult{}, fmt.Errorf("prefix %q: a purge removes what dewconform runs left, so it must start with %q", prefix, runPrefix)
	}
	return s.store.purge(prefix), nil
}

func (s *store) purge(prefix string) PurgeResult {
	res := PurgeResult{Prefix: prefix, Keys: []PurgedKey{}, Secrets: []PurgedSecret{}}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, project := range sortedKeys(s.keys) {
		for _, k := range s.liveKeys(project) {
			if k.State == KeyPendingDeletion && strings.HasPrefix(k.Alias, prefix) {
				delete(s.keys[project], k.ID)
				res.Keys = append(res.Keys, PurgedKey{KeyID: k.ID, Alias: k.Alias, ProjectID: project, Grants: len(k.grants)})
				res.Grants += len(k.grants)
			}
		}
		if len(s.keys[project]) == 0 {
			delete(s.keys, project) // a project map left empty would be kept for ever
		}
	}
	for _, project := range sortedKeys(s.secrets) {
		for _, r := range s.liveSecrets(project) {
			if r.State == SecretPendingDelete && strings.HasPrefix(r.Name, prefix) {
				delete(s.secrets[project], r.Name)
				res.Secrets = append(res.Secrets, PurgedSecret{Name: r.Name, ProjectID: project})
			}
		}
		if len(s.secrets[project]) == 0 {
			delete(s.secrets, project)
		}
	}
	return res
}

// Stats counts the resources of one project, as the quotas see them.
type Stats struct {
	ProjectID string `json:"project_id"`
	// Keys counts every key, pending deletion and default keys included (Limits.KeysPerProject).
	Keys int `json:"keys"`
	// KeysPendingDeletion and DefaultKeys are the part of Keys in state "4", and the default master keys.
	KeysPendingDeletion int `json:"keys_pending_deletion"`
	DefaultKeys         int `json:"default_keys"`
	// Grants counts the grants of all the project's keys (Limits.GrantsPerKey applies per key).
	Grants int `json:"grants"`
	// Secrets counts every secret, pending deletion included (Limits.SecretsPerProject).
	Secrets              int `json:"secrets"`
	SecretsPendingDelete int `json:"secrets_pending_delete"`
}

// StatsReport is the answer of GET /_dewconform/stats.
type StatsReport struct {
	Projects []Stats `json:"projects"`
	Total    Stats   `json:"total"`
	Limits   struct {
		KeysPerProject    int `json:"keys_per_project"`
		GrantsPerKey      int `json:"grants_per_key"`
		SecretsPerProject int `json:"secrets_per_project"`
	} `json:"limits"`
}

// Stats counts the resources of every project (expired ones are swept first, as a listing would).
func (s *Server) Stats() StatsReport {
	st := s.store
	st.mu.Lock()
	defer st.mu.Unlock()
	by := map[string]*Stats{}
	get := func(p string) *Stats {
		if by[p] == nil {
			by[p] = &Stats{ProjectID: p}
		}
		return by[p]
	}
	for project := range st.keys {
		for _, k := range st.liveKeys(project) {
			c := get(project)
			c.Keys++
			c.Grants += len(k.grants)
			if k.State == KeyPendingDeletion {
				c.KeysPendingDeletion++
			}
			if k.Default {
				c.DefaultKeys++
			}
		}
	}
	for project := range st.secrets {
		for _, r := range st.liveSecrets(project) {
			c := get(project)
			c.Secrets++
			if r.State == SecretPendingDelete {
				c.SecretsPendingDelete++
			}
		}
	}
	var rep StatsReport
	rep.Projects = []Stats{}
	for _, c := range by {
		rep.Projects = append(rep.Projects, *c)
		rep.Total.Keys += c.Keys
		rep.Total.KeysPendingDeletion += c.KeysPendingDeletion
		rep.Total.DefaultKeys += c.DefaultKeys
		rep.Total.Grants += c.Grants
		rep.Total.Secrets += c.Secrets
		rep.Total.SecretsPendingDelete += c.SecretsPendingDelete
	}
	sort.Slice(rep.Projects, func(i, j int) bool { return rep.Projects[i].ProjectID < rep.Projects[j].ProjectID })
	rep.Limits.KeysPerProject = st.limits.KeysPerProject
	rep.Limits.GrantsPerKey = st.limits.GrantsPerKey
	rep.Limits.SecretsPerProject = st.limits.SecretsPerProject
	return rep
}

// --- control endpoints ---

// controlPurge answers POST /_dewconform/purge {"run_id": "abc"} (prefix "dewconform-abc-") or
// {"prefix": "dewconform-"} with what it removed.
func (s *Server) controlPurge(w http.ResponseWriter, r *http.Request) {
	var body struct {
		RunID  string `json:"run_id"`
		Prefix string `json:"prefix"`
	}
	if err := decodeControl(r, &body); err != nil {
		controlError(w, http.StatusBadRequest, err.Error())
		return
	}
	prefix, err := purgePrefix(body.RunID, body.Prefix)
	if err != nil {
		controlError(w, http.StatusBadRequest, err.Error())
		return
	}
	res, err := s.Purge(prefix)
	if err != nil {
		controlError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func purgePrefix(runID, prefix string) (string, error) {
	switch {
	case (runID == "") == (prefix == ""):
		return "", errors.New(`give exactly one of "run_id" and "prefix"`)
	case runID != "" && !runIDRe.MatchString(runID):
		return "", fmt.Errorf("run_id %q: want 1 to 20 letters, digits or dashes", runID)
	case runID != "":
		return runPrefix + runID + "-", nil
	}
	return prefix, nil
}

func (s *Server) controlStats(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Stats())
}
