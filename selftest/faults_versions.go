package selftest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/dewconform/dewconform/gen/ops"
)

// versionFaults break the rules of versionRules, one fault per rule.
func versionFaults(tok map[string]string) []Fault {
	alice, eve := tok["alice"], tok["eve"]
	const (
		create = ops.CreateSecretVersion
		list   = ops.ListSecretVersions
		show   = ops.ShowSecretVersion
		update = ops.UpdateSecretVersion
		stage  = ops.ShowSecretStage
		move   = ops.UpdateSecretStage
		del    = ops.DeleteSecretStage
		rotate = ops.RotateSecret
	)
	return []Fault{
		{Name: "version-new-not-current", Class: ClassState, Operation: create, Rule: "V-NEW-CURRENT",
			Description: "a new version sent without version_stages takes the stage \"pending\" instead of SYSCURRENT",
			Wrap: editRequest(create, func(doc map[string]any) {
				if _, ok := doc["version_stages"]; !ok {
					doc["version_stages"] = []string{"pending"}
				}
			})},
		{Name: "version-previous-not-moved", Class: ClassState, Operation: create, Rule: "V-PREVIOUS",
			Description: "SYSPREVIOUS does not go to the version that held SYSCURRENT: it lands on the new version too",
			Wrap: on(create, func(next http.Handler, w http.ResponseWriter, r *http.Request) {
				stages := decodeObject(requestBody(r))["version_stages"]
				a := capture(next, r)
				if id, _ := member(a.object(), "version_metadata")["id"].(string); a.status == http.StatusOK && id != "" && stages == nil {
					body, _ := json.Marshal(map[string]string{"version_id": id})
					side(next, r, http.MethodPut, secretPath(r)+"/stages/SYSPREVIOUS", body)
				}
				a.write(w)
			})},
		{Name: "version-id-padded", Class: ClassShape, Operation: create, Rule: "V-IDS",
			Description: "a new version's id is zero-padded (v02 instead of v2)",
			Wrap: onSuccess(create, func(_ *http.Request, doc map[string]any) {
				if id, ok := member(doc, "version_metadata")["id"].(string); ok {
					setIn(doc, "version_metadata", "id", "v0"+strings.TrimPrefix(id, "v"))
				}
			})},
		{Name: "version-21-kept", Class: ClassState, Operation: create, Rule: "V-MAX-VERSIONS",
			Description: "the 21st version does not push out the oldest deprecated one: the secret lists 21 versions",
			Wrap:        versionKept()},
		{Name: "version-on-pending-secret", Class: ClassState, Operation: create, Rule: "V-ENABLED",
			Description: "a new version of a secret pending deletion is answered 200 (a version v2 is announced)",
			Wrap: onRefusalCode(create, "CSMS.0103", func(r *http.Request) any {
				return map[string]any{"version_metadata": map[string]any{"id": "v2", "secret_name": secretOf(r)}}
			})},
		{Name: "version-both-values", Class: ClassState, Operation: create, Rule: "V-EXCLUSIVE",
			Description: "a version with both secret_string and secret_binary is stored, the binary value dropped",
			Wrap: editRequest(create, func(doc map[string]any) {
				if doc["secret_string"] != nil {
					delete(doc, "secret_binary")
				}
			})},
		{Name: "version-value-too-long", Class: ClassState, Operation: create, Rule: "V-SIZE",
			Description: "a value over 32768 characters is stored, cut to 32768",
			Wrap: editRequest(create, func(doc map[string]any) {
				if s, ok := doc["secret_string"].(string); ok && len(s) > 32768 {
					doc["secret_string"] = s[:32768]
				}
			})},
		{Name: "list-versions-no-next-marker", Class: ClassShape, Operation: list, Rule: "V-LIST-PAGING",
			Description: "list-secret-versions never sends next_marker: a walk stops after the first page",
			Wrap: onSuccess(list, func(_ *http.Request, doc map[string]any) {
				delete(member(doc, "page_info"), "next_marker")
			})},
		{Name: "list-versions-other-project", Class: ClassAccess, Operation: list, Rule: "V-OTHER-PROJECT",
			Description: "a user of another project lists the versions of a secret in its project",
			Wrap:        asCaller(list, alice, eve)},
		{Name: "latest-is-oldest", Class: ClassState, Operation: show, Rule: "V-LATEST",
			Description: "latest reads version v1 instead of the newest",
			Wrap:        latestAs(func(http.Handler, *http.Request) string { return "v1" })},
		{Name: "latest-follows-current", Class: ClassState, Operation: show, Rule: "V-LATEST-CURRENT",
			Description: "latest reads the version holding SYSCURRENT instead of the newest",
			Proxy:       VerdictUnconfirmedDiffers,
			ProxyReason: "whether latest follows SYSCURRENT is open: only the (unconfirmed) id of the answer differs",
			Wrap: latestAs(func(h http.Handler, r *http.Request) string {
				doc := side(h, r, http.MethodGet, secretPath(r)+"/stages/SYSCURRENT", nil).object()
				id, _ := member(doc, "stage")["version_id"].(string)
				return id
			})},
		{Name: "expiry-not-stored", Class: ClassState, Operation: update, Rule: "V-EXPIRY",
			Description: "UpdateVersion answers the version with the expiry asked for, but stores nothing",
			Wrap: on(update, func(next http.Handler, w http.ResponseWriter, r *http.Request) {
				req := decodeObject(requestBody(r))
				a := side(next, r, http.MethodGet, r.URL.Path, nil)
				if a.status != http.StatusOK {
					next.ServeHTTP(w, r)
					return
				}
				meta := member(member(a.object(), "version"), "version_metadata")
				meta["expire_time"] = req["expire_time"]
				jsonAnswer(http.StatusOK, map[string]any{"version_metadata": meta}).write(w)
			})},
		{Name: "expiry-of-missing-version", Class: ClassState, Operation: update, Rule: "V-MISSING-VERSION",
			Description: "UpdateVersion of a version that does not exist answers 200",
			Wrap: onRefusalCode(update, "CSMS.0005", func(r *http.Request) any {
				return map[string]any{"version_metadata": map[string]any{"id": lastSegment(r), "secret_name": secretOf(r)}}
			})},
		{Name: "expiry-on-pending-secret", Class: ClassState, Operation: update, Rule: "V-UPDATE-ENABLED",
			Description: "UpdateVersion of a secret pending deletion answers 200",
			Wrap: onRefusalCode(update, "CSMS.0103", func(r *http.Request) any {
				return map[string]any{"version_metadata": map[string]any{"id": lastSegment(r), "secret_name": secretOf(r)}}
			})},
		{Name: "missing-stage-is-current", Class: ClassState, Operation: stage, Rule: "V-MISSING-STAGE",
			Description: "a stage that does not exist is answered with SYSCURRENT's version",
			Wrap: on(stage, func(next http.Handler, w http.ResponseWriter, r *http.Request) {
				a := capture(next, r)
				if a.status >= 400 && a.errorCode() == "CSMS.0005" {
					if cur := side(next, r, http.MethodGet, secretPath(r)+"/stages/SYSCURRENT", nil); cur.status == http.StatusOK {
						cur.edit(func(doc map[string]any) { setIn(doc, "stage", "name", lastSegment(r)) })
						a = cur
					}
				}
				a.write(w)
			})},
		{Name: "stage-stays-on-old-version", Class: ClassState, Operation: move, Rule: "V-STAGE-UNIQUE",
			Description: "a moved stage is still listed on the version that held it",
			Wrap:        stageStays()},
		{Name: "stage-quota-code", Class: ClassError, Operation: move, Rule: "V-MAX-STAGES",
			Description: "a 13th stage is refused with CSMS.0002 instead of CSMS.0203",
			Wrap: onError(move, func(a *answer) {
				if a.errorCode() == "CSMS.0203" {
					a.edit(func(doc map[string]any) { doc["error_code"] = "CSMS.0002" })
				}
			})},
		{Name: "stage-name-unchecked", Class: ClassState, Operation: move, Rule: "V-STAGE-PATTERN",
			Description: "a stage name outside the documented pattern is accepted (answered 200)",
			Wrap: onRefusalCode(move, "CSMS.0002", func(r *http.Request) any {
				return map[string]any{"stage": map[string]any{"name": "bad", "secret_name": secretOf(r),
					"version_id": decodeObject(requestBody(r))["version_id"]}}
			})},
		{Name: "system-stage-deleted", Class: ClassState, Operation: del, Rule: "V-SYSTEM-STAGES",
			Description: "deleting SYSCURRENT or SYSPREVIOUS answers 204 (nothing changes)",
			Wrap: on(del, func(next http.Handler, w http.ResponseWriter, r *http.Request) {
				if s := lastSegment(r); s == "SYSCURRENT" || s == "SYSPREVIOUS" {
					jsonAnswer(http.StatusNoContent, nil).write(w)
					return
				}
				next.ServeHTTP(w, r)
			})},
		{Name: "stage-delete-does-nothing", Class: ClassState, Operation: del, Rule: "V-STAGE-DELETED",
			Description: "deleting a custom stage answers 204 but the stage stays on its version",
			Wrap: on(del, func(next http.Handler, w http.ResponseWriter, r *http.Request) {
				if side(next, r, http.MethodGet, r.URL.Path, nil).status == http.StatusOK {
					jsonAnswer(http.StatusNoContent, nil).write(w)
					return
				}
				next.ServeHTTP(w, r)
			})},
		{Name: "rotate-common-secret", Class: ClassState, Operation: rotate, Rule: "V-ROTATE-COMMON",
			Description: "RotateSecret of a COMMON secret answers 200 with a task id",
			Wrap: onRefusalCode(rotate, "CSMS.0003", func(r *http.Request) any {
				return map[string]any{"rotation_task_id": "bb6a3d22-dc93-47ac-b5bd-88df7ad35f1e", "secret_name": secretOf(r)}
			})},
		{Name: "rotate-does-nothing", Class: ClassState, Operation: rotate, Rule: "V-ROTATE-NEW",
			Description: "RotateSecret of a database secret answers 200 but no new version ever appears",
			Proxy:       VerdictMockOnly,
			ProxyReason: "rotating a database secret needs FunctionGraph and a database: only the mock's scenario rotates one",
			Wrap: on(rotate, func(next http.Handler, w http.ResponseWriter, r *http.Request) {
				t, _ := member(showSecret(next, r).object(), "secret")["secret_type"].(string)
				if t == "" || t == "COMMON" {
					next.ServeHTTP(w, r)
					return
				}
				jsonAnswer(http.StatusOK, map[string]any{"rotation_task_id": "bb6a3d22-dc93-47ac-b5bd-88df7ad35f1e", "secret_name": secretOf(r)}).write(w)
			})},
		{Name: "restore-drops-versions", Class: ClassState, Operation: ops.RestoreSecret, Rule: "V-RESTORE-VERSIONS",
			Description: "a restored secret keeps only its newest version: the older ones are neither listed nor readable",
			Wrap:        restoreDropsVersions()},
		{Name: "pending-versions-readable", Class: ClassState, Operation: ops.RestoreSecret, Rule: "V-PENDING-UNREADABLE",
			Description: "while a secret is pending deletion its versions can still be read",
			Wrap:        pendingReadable()},
	}
}

// lastSegment is the last segment of r's path (a version id or a stage name).
func lastSegment(r *http.Request) string {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	return parts[len(parts)-1]
}

// onRefusalCode answers op's refusals with code by a 200 carrying doc(r), with no effect.
func onRefusalCode(op, code string, doc func(r *http.Request) any) middleware {
	return on(op, func(next http.Handler, w http.ResponseWriter, r *http.Request) {
		body := requestBody(r)
		a := capture(next, r)
		if a.status >= 400 && a.errorCode() == code {
			r.Body = io.NopCloser(bytes.NewReader(body))
			a = jsonAnswer(http.StatusOK, doc(r))
		}
		a.write(w)
	})
}

// latestAs answers show-secret-version of "latest" with the version id pick chooses ("" leaves it alone).
func latestAs(pick func(h http.Handler, r *http.Request) string) middleware {
	return on(ops.ShowSecretVersion, func(next http.Handler, w http.ResponseWriter, r *http.Request) {
		if lastSegment(r) == "latest" {
			if id := pick(next, r); id != "" {
				side(next, r, http.MethodGet, secretPath(r)+"/versions/"+id, nil).write(w)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// versionKept lists a version v1 again in a listing of 20 versions that no longer holds it: the oldest
// version was not pushed out by the 21st.
func versionKept() middleware {
	return on(ops.ListSecretVersions, func(next http.Handler, w http.ResponseWriter, r *http.Request) {
		a := capture(next, r)
		if a.status == http.StatusOK {
			a.edit(func(doc map[string]any) {
				items, _ := doc["version_metadatas"].([]any)
				if len(items) != 20 {
					return
				}
				first, _ := items[0].(map[string]any)
				if first == nil || first["id"] == "v1" {
					return
				}
				old := map[string]any{"id": "v1", "secret_name": first["secret_name"], "version_stages": []string{}}
				doc["version_metadatas"] = append([]any{old}, items...)
				setIn(doc, "page_info", "current_count", 21)
			})
		}
		a.write(w)
	})
}

// stageStays remembers, for each stage moved, the version that held it, and lists the stage on that
// version again in every later listing of the secret.
func stageStays() middleware {
	return func(next http.Handler) http.Handler {
		var mu sync.Mutex
		stays := map[string]map[string]string{} // secret -> stage -> former version
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch operationOf(r) {
			case ops.UpdateSecretStage:
				old, _ := member(side(next, r, http.MethodGet, r.URL.Path, nil).object(), "stage")["version_id"].(string)
				a := capture(next, r)
				if a.status == http.StatusOK && old != "" {
					mu.Lock()
					if stays[secretOf(r)] == nil {
						stays[secretOf(r)] = map[string]string{}
					}
					stays[secretOf(r)][lastSegment(r)] = old
					mu.Unlock()
				}
				a.write(w)
			case ops.ListSecretVersions:
				a := capture(next, r)
				mu.Lock()
				kept := stays[secretOf(r)]
				mu.Unlock()
				if a.status == http.StatusOK && len(kept) > 0 {
					a.edit(func(doc map[string]any) {
						items, _ := doc["version_metadatas"].([]any)
						for _, it := range items {
							m, _ := it.(map[string]any)
							for st, id := range kept {
								if m != nil && m["id"] == id {
									stages, _ := m["version_stages"].([]any)
									if !slices.Contains(stages, any(st)) {
										m["version_stages"] = append(stages, st)
									}
								}
							}
						}
					})
				}
				a.write(w)
			default:
				next.ServeHTTP(w, r)
			}
		})
	}
}

// restoreDropsVersions hides every version but the newest of a secret once it has been restored: they
// are missing from listings and reading them is refused as not found.
func restoreDropsVersions() middleware {
	return func(next http.Handler) http.Handler {
		var mu sync.Mutex
		restored := map[string]bool{}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			a := capture(next, r)
			name := secretOf(r)
			mu.Lock()
			dropped := restored[name]
			if operationOf(r) == ops.RestoreSecret && a.status == http.StatusOK {
				restored[name] = true
			}
			mu.Unlock()
			if dropped && a.status == http.StatusOK {
				switch operationOf(r) {
				case ops.ListSecretVersions:
					a.edit(func(doc map[string]any) {
						if items, _ := doc["version_metadatas"].([]any); len(items) > 1 {
							doc["version_metadatas"] = items[len(items)-1:]
							setIn(doc, "page_info", "current_count", 1)
						}
					})
				case ops.ShowSecretVersion:
					newest := side(next, r, http.MethodGet, secretPath(r)+"/versions/latest", nil)
					if id, _ := member(member(newest.object(), "version"), "version_metadata")["id"].(string); id != "" && lastSegment(r) != id && lastSegment(r) != "latest" {
						a = jsonAnswer(http.StatusBadRequest, map[string]string{"error_code": "CSMS.0005", "error_msg": "The resource does not exist."})
					}
				}
			}
			a.write(w)
		})
	}
}

// pendingReadable keeps the value of every version stored (create-secret, create-secret-version) and
// answers a read refused because the secret is pending deletion (CSMS.0103, the mock's code) with that
// value.
func pendingReadable() middleware {
	return func(next http.Handler) http.Handler {
		var mu sync.Mutex
		values := map[[2]string]string{} // {secret, version} -> value
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body := decodeObject(requestBody(r))
			a := capture(next, r)
			value, _ := body["secret_string"].(string)
			switch operationOf(r) {
			case ops.CreateSecret:
				if a.status == http.StatusOK {
					name, _ := body["name"].(string)
					mu.Lock()
					values[[2]string{name, "v1"}] = value
					mu.Unlock()
				}
			case ops.CreateSecretVersion:
				if id, _ := member(a.object(), "version_metadata")["id"].(string); a.status == http.StatusOK && id != "" {
					mu.Lock()
					values[[2]string{secretOf(r), id}] = value
					mu.Unlock()
				}
			case ops.ShowSecretVersion:
				mu.Lock()
				v, ok := values[[2]string{secretOf(r), lastSegment(r)}]
				mu.Unlock()
				if ok && a.status >= 400 && a.errorCode() == "CSMS.0103" {
					a = jsonAnswer(http.StatusOK, map[string]any{"version": map[string]any{
						"version_metadata": map[string]any{"id": lastSegment(r), "secret_name": secretOf(r)},
						"secret_string":    v,
					}})
				}
			}
			a.write(w)
		})
	}
}
