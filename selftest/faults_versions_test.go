package selftest_test

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/dewconform/dewconform/gen/ops"
)

// versionSituations are the situations of the version, stage and rotation operations (see situations),
// and more of RestoreSecret's: a secret with versions and a stage, read while pending and after restore.
func versionSituations() map[string][]func(p *prober) {
	base := func(p *prober) string { return p.secretPath("alice") }
	add := func(p *prober, body map[string]any, full bool) map[string]any {
		return p.call("alice", http.MethodPost, base(p)+"/versions", body, full)
	}
	list := func(p *prober, query string) { p.call("alice", http.MethodGet, base(p)+"/versions"+query, nil, true) }
	stage := func(p *prober, name, version string, full bool) {
		p.call("alice", http.MethodPut, base(p)+"/stages/"+name, map[string]any{"version_id": version}, full)
	}
	return map[string][]func(p *prober){
		ops.CreateSecretVersion: {
			func(p *prober) { p.secret(false); add(p, map[string]any{"secret_string": "v2"}, true); list(p, "") },
			func(p *prober) {
				p.secret(false)
				for i := 2; i <= 21; i++ {
					add(p, map[string]any{"secret_string": fmt.Sprint(i)}, false)
				}
				list(p, "")
			},
			func(p *prober) { p.secret(true); add(p, map[string]any{"secret_string": "v2"}, true) },
			func(p *prober) {
				p.secret(false)
				add(p, map[string]any{"secret_string": "a", "secret_binary": "AAEC"}, true)
			},
			func(p *prober) {
				p.secret(false)
				add(p, map[string]any{"secret_string": strings.Repeat("x", 32769)}, true)
			},
		},
		ops.ListSecretVersions: {
			func(p *prober) {
				p.secret(false)
				add(p, map[string]any{"secret_string": "v2"}, false)
				list(p, "?limit=1")
			},
			func(p *prober) {
				p.secret(false)
				p.call("eve", http.MethodGet, base(p)+"/versions", nil, true)
			},
		},
		ops.ShowSecretVersion: {func(p *prober) {
			p.secret(false)
			add(p, map[string]any{"secret_string": "v2"}, false)
			stage(p, "SYSCURRENT", "v1", false)
			p.call("alice", http.MethodGet, base(p)+"/versions/latest", nil, true)
		}},
		ops.UpdateSecretVersion: {
			func(p *prober) {
				p.secret(false)
				p.call("alice", http.MethodPut, base(p)+"/versions/v1", map[string]any{"expire_time": 4102444800000}, false)
				p.call("alice", http.MethodGet, base(p)+"/versions/v1", nil, true)
			},
			func(p *prober) {
				p.secret(false)
				p.call("alice", http.MethodPut, base(p)+"/versions/v9", map[string]any{"expire_time": 4102444800000}, true)
			},
			func(p *prober) {
				p.secret(true)
				p.call("alice", http.MethodPut, base(p)+"/versions/v1", map[string]any{"expire_time": 4102444800000}, true)
			},
		},
		ops.ShowSecretStage: {func(p *prober) {
			p.secret(false)
			p.call("alice", http.MethodGet, base(p)+"/stages/nowhere", nil, true)
		}},
		ops.UpdateSecretStage: {
			func(p *prober) {
				p.secret(false)
				add(p, map[string]any{"secret_string": "v2"}, false)
				stage(p, "blue", "v1", false)
				stage(p, "blue", "v2", false)
				list(p, "")
			},
			func(p *prober) {
				p.secret(false)
				for i := 1; i <= 12; i++ {
					stage(p, fmt.Sprintf("s%d", i), "v1", true)
				}
			},
			func(p *prober) { p.secret(false); stage(p, "bad$stage", "v1", true) },
		},
		ops.DeleteSecretStage: {
			func(p *prober) {
				p.secret(false)
				p.call("alice", http.MethodDelete, base(p)+"/stages/SYSCURRENT", nil, true)
			},
			func(p *prober) {
				p.secret(false)
				stage(p, "blue", "v1", false)
				p.call("alice", http.MethodDelete, base(p)+"/stages/blue", nil, false)
				p.call("alice", http.MethodGet, base(p)+"/stages/blue", nil, true)
			},
		},
		ops.RotateSecret: {
			func(p *prober) { p.secret(false); p.call("alice", http.MethodPost, base(p)+"/rotate", nil, true) },
			func(p *prober) {
				p.call("alice", http.MethodPost, "/v1/"+aliceProject+"/secrets",
					map[string]any{"name": "selftest-secret", "secret_string": "v", "secret_type": "RDS-FG"}, false)
				p.call("alice", http.MethodPost, base(p)+"/rotate", nil, false)
				p.call("alice", http.MethodGet, base(p)+"/stages/SYSCURRENT", nil, true)
			},
		},
		ops.RestoreSecret: {func(p *prober) {
			p.secret(false)
			add(p, map[string]any{"secret_string": "v2"}, false)
			p.call("alice", http.MethodPost, base(p)+"/scheduled-deleted-tasks/create", map[string]any{"recovery_window_in_days": 7}, false)
			p.call("alice", http.MethodGet, base(p)+"/versions/v1", nil, true)
			p.call("alice", http.MethodPost, base(p)+"/scheduled-deleted-tasks/cancel", nil, false)
			list(p, "")
			p.call("alice", http.MethodGet, base(p)+"/versions/v1", nil, true)
		}},
	}
}
