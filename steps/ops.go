package steps

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
)

// operation describes one API operation by the name the features and tags use (its slug).
type operation struct {
	slug    string
	id      string // the spec's operationId
	service string // "kms" or "csms"
	method  string
	path    string // with {project_id}, {secret_name}, {version_id} placeholders
}

// operations is the fixed list of operations the steps know, in the order reports list them. A function,
// not a variable, so that no caller can change the table.
func operations() []operation {
	return []operation{
		{"create-key", "CreateKey", "kms", http.MethodPost, "/v1.0/{project_id}/kms/create-key"},
		{"list-keys", "ListKeys", "kms", http.MethodPost, "/v1.0/{project_id}/kms/list-keys"},
		{"describe-key", "ListKeyDetail", "kms", http.MethodPost, "/v1.0/{project_id}/kms/describe-key"},
		{"enable-key", "EnableKey", "kms", http.MethodPost, "/v1.0/{project_id}/kms/enable-key"},
		{"disable-key", "DisableKey", "kms", http.MethodPost, "/v1.0/{project_id}/kms/disable-key"},
		{"schedule-key-deletion", "DeleteKey", "kms", http.MethodPost, "/v1.0/{project_id}/kms/schedule-key-deletion"},
		{"cancel-key-deletion", "CancelKeyDeletion", "kms", http.MethodPost, "/v1.0/{project_id}/kms/cancel-key-deletion"},
		{"create-grant", "CreateGrant", "kms", http.MethodPost, "/v1.0/{project_id}/kms/create-grant"},
		{"list-grants", "ListGrants", "kms", http.MethodPost, "/v1.0/{project_id}/kms/list-grants"},
		{"list-retirable-grants", "ListRetirableGrants", "kms", http.MethodPost, "/v1.0/{project_id}/kms/list-retirable-grants"},
		{"revoke-grant", "CancelGrant", "kms", http.MethodPost, "/v1.0/{project_id}/kms/revoke-grant"},
		{"retire-grant", "CancelSelfGrant", "kms", http.MethodPost, "/v1.0/{project_id}/kms/retire-grant"},
		{"create-datakey", "CreateDatakey", "kms", http.MethodPost, "/v1.0/{project_id}/kms/create-datakey"},
		{"encrypt-data", "EncryptData", "kms", http.MethodPost, "/v1.0/{project_id}/kms/encrypt-data"},
		{"decrypt-data", "DecryptData", "kms", http.MethodPost, "/v1.0/{project_id}/kms/decrypt-data"},
		{"create-secret", "CreateSecret", "csms", http.MethodPost, "/v1/{project_id}/secrets"},
		{"list-secrets", "ListSecrets", "csms", http.MethodGet, "/v1/{project_id}/secrets"},
		{"show-secret", "ShowSecret", "csms", http.MethodGet, "/v1/{project_id}/secrets/{secret_name}"},
		{"update-secret", "UpdateSecret", "csms", http.MethodPut, "/v1/{project_id}/secrets/{secret_name}"},
		{"delete-secret", "DeleteSecret", "csms", http.MethodDelete, "/v1/{project_id}/secrets/{secret_name}"},
		{"schedule-secret-deletion", "DeleteSecretForSchedule", "csms", http.MethodPost, "/v1/{project_id}/secrets/{secret_name}/scheduled-deleted-tasks/create"},
		{"restore-secret", "RestoreSecret", "csms", http.MethodPost, "/v1/{project_id}/secrets/{secret_name}/scheduled-deleted-tasks/cancel"},
		{"show-secret-version", "ShowSecretVersion", "csms", http.MethodGet, "/v1/{project_id}/secrets/{secret_name}/versions/{version_id}"},
	}
}

// SeedOperations returns the four operations whose documentation pages the suite was built from.
func SeedOperations() []string {
	return []string{"cancel-key-deletion", "revoke-grant", "retire-grant", "restore-secret"}
}

// opIndex indexes operations() by slug and by operationId, built once: every recorded call looks its
// operation up, and building the table per lookup was 2% of the suite's CPU. Nothing writes the maps
// after they are built.
var opIndex = sync.OnceValues(func() (bySlug, byID map[string]operation) {
	ops := operations()
	bySlug, byID = make(map[string]operation, len(ops)), make(map[string]operation, len(ops))
	for _, op := range ops {
		bySlug[op.slug] = op
		byID[op.id] = op
	}
	return bySlug, byID
})

func operationBySlug(slug string) (operation, bool) {
	bySlug, _ := opIndex()
	op, ok := bySlug[slug]
	return op, ok
}

// Slug returns the feature name ("cancel-key-deletion") of a spec operationId ("CancelKeyDeletion"),
// or the operationId itself when it is not one the steps know.
func Slug(operationID string) string {
	_, byID := opIndex()
	if op, ok := byID[operationID]; ok {
		return op.slug
	}
	return operationID
}

// OperationSlugs lists every operation the steps know, in report order.
func OperationSlugs() []string {
	ops := operations()
	out := make([]string, len(ops))
	for i, op := range ops {
		out[i] = op.slug
	}
	return out
}

// fill substitutes path placeholders; values are escaped as one path segment each.
func (op operation) fill(vars map[string]string) string {
	p := op.path
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p = strings.ReplaceAll(p, "{"+k+"}", url.PathEscape(vars[k]))
	}
	return p
}

// OperationID returns the spec's operationId of an operation slug, or "" when the slug is unknown.
func OperationID(slug string) string {
	if op, ok := operationBySlug(slug); ok {
		return op.id
	}
	return ""
}
