package openapi

import "strings"

// MatchMeant is Match, or else the operation whose path the request has with a parameter left empty
// ("/v1/p/secrets//scheduled-deleted-tasks/cancel"): the operation such a request was meant for, which no
// router matches (the gateway answers it 404). The harness counts and judges those answers, and the
// self-test's faults act on them, as the operation's.
func MatchMeant(method, escapedPath string) (Operation, bool) {
	if op, ok := Match(method, escapedPath); ok {
		return op, true
	}
	parts := strings.Split(escapedPath, "/")
	filled := false
	for i := 1; i < len(parts); i++ {
		if parts[i] == "" {
			parts[i], filled = "-", true
		}
	}
	if !filled {
		return Operation{}, false
	}
	return Match(method, strings.Join(parts, "/"))
}
