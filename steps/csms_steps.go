package steps

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	csmsapi "github.com/dewconform/dewconform/gen/csms"
	"github.com/dewconform/dewconform/openapi"
)

// secretValue is the value of every secret the suite creates; it is redacted from every record.
const secretValue = "dewconform-value"

func (w *World) createSecret(ctx context.Context, actor string, purpose Purpose, name string) (answer, *secretRef, error) {
	return w.createSecretOfType(ctx, actor, purpose, name, nil)
}

// createSecretOfType creates a secret of the given type (nil: the service's default, COMMON) holding
// secretValue, and registers its deletion for the scenario's cleanup.
func (w *World) createSecretOfType(ctx context.Context, actor string, purpose Purpose, name string, kind *csmsapi.SecretType) (answer, *secretRef, error) {
	cctx, project := w.call(ctx, actor, purpose)
	value := secretValue
	r, err := w.csms.CreateSecretWithResponse(cctx, project, csmsapi.CreateSecretRequestBody{Name: name, SecretString: &value, SecretType: kind})
	if err != nil {
		return answer{}, nil, fmt.Errorf("create secret: %w", err)
	}
	a := answerOf(r.HTTPResponse, r.Body)
	if r.JSON200 == nil {
		return a, nil, nil
	}
	ref := &secretRef{name: r.JSON200.Secret.Name, owner: actor, value: value}
	w.onCleanup("secret "+ref.name, func(ctx context.Context) error {
		cctx, project := w.call(ctx, ref.owner, PurposeCleanup)
		r, err := w.csms.DeleteSecretWithResponse(cctx, project, ref.name)
		if err != nil {
			return fmt.Errorf("delete secret: %w", err)
		}
		a := answerOf(r.HTTPResponse, r.Body)
		if a.status != http.StatusOK && isSecretNotFound(a) {
			return nil // already gone
		}
		return a.expect("delete secret "+ref.name, http.StatusOK)
	})
	return a, ref, nil
}

// isSecretNotFound accepts both documented not-found codes, since which one the service uses is open.
func isSecretNotFound(a answer) bool {
	code := openapi.ErrorCode(a.body)
	return code == "CSMS.0005" || code == "CSMS.0106" || a.status == http.StatusNotFound
}

func (w *World) newSecretName() string { return w.s.Prefix() + randomHex(6) }

func (w *World) scheduleSecret(ctx context.Context, actor string, purpose Purpose, name string, days int) (answer, error) {
	cctx, project := w.call(ctx, actor, purpose)
	r, err := w.csms.DeleteSecretForScheduleWithResponse(cctx, project, name, csmsapi.DeleteSecretForScheduleRequestBody{RecoveryWindowInDays: int32(days)})
	if err != nil {
		return answer{}, fmt.Errorf("schedule secret deletion: %w", err)
	}
	return answerOf(r.HTTPResponse, r.Body), nil
}

func (w *World) restoreSecret(ctx context.Context, actor string, purpose Purpose, name string) (answer, error) {
	cctx, project := w.call(ctx, actor, purpose)
	r, err := w.csms.RestoreSecretWithResponse(cctx, project, name)
	if err != nil {
		return answer{}, fmt.Errorf("restore secret: %w", err)
	}
	return answerOf(r.HTTPResponse, r.Body), nil
}

// showSecret returns the secret as generic JSON, so that a check sees exactly what was sent (null vs absent).
func (w *World) showSecret(ctx context.Context, actor string, purpose Purpose, name string) (answer, map[string]any, error) {
	cctx, project := w.call(ctx, actor, purpose)
	r, err := w.csms.ShowSecretWithResponse(cctx, project, name)
	if err != nil {
		return answer{}, nil, fmt.Errorf("show secret: %w", err)
	}
	a := answerOf(r.HTTPResponse, r.Body)
	if a.status != http.StatusOK {
		return a, nil, nil
	}
	var doc struct {
		Secret map[string]any `json:"secret"`
	}
	if err := json.Unmarshal(r.Body, &doc); err != nil || doc.Secret == nil {
		return a, nil, fmt.Errorf("show secret %s: the 200 body has no secret object", name)
	}
	return a, doc.Secret, nil
}

func (w *World) readVersion(ctx context.Context, actor string, purpose Purpose, name, version string) (answer, *csmsapi.ShowSecretVersionResponse, error) {
	cctx, project := w.call(ctx, actor, purpose)
	r, err := w.csms.ShowSecretVersionWithResponse(cctx, project, name, version)
	if err != nil {
		return answer{}, nil, fmt.Errorf("show secret version: %w", err)
	}
	return answerOf(r.HTTPResponse, r.Body), r, nil
}

func (w *World) requireSecret() error {
	if w.secret == nil {
		return fmt.Errorf("the scenario has no secret yet (a Given step such as 'alice has a secret' must come first)")
	}
	return nil
}

// ---- Given ----------------------------------------------------------------------------------------

func (w *World) hasSecret(ctx context.Context, actor string) error {
	a, ref, err := w.createSecret(ctx, actor, PurposeSetup, w.newSecretName())
	if err != nil {
		return err
	}
	if ref == nil {
		return a.expect(actor+" creates a secret", http.StatusOK)
	}
	w.secret = ref
	return nil
}

func (w *World) hasSecretInState(ctx context.Context, actor, state string) error {
	if err := w.hasSecret(ctx, actor); err != nil {
		return err
	}
	switch state {
	case "ENABLED":
		return nil
	case "PENDING_DELETE":
		a, err := w.scheduleSecret(ctx, actor, PurposeSetup, w.secret.name, 7)
		if err != nil {
			return err
		}
		return a.expect("schedule secret deletion in 7 days", http.StatusOK)
	case "DISABLED", "FROZEN":
		// No API call disables or freezes a secret: only the mock can seed these states.
		id, _ := w.identity(actor)
		return w.control(ctx, "/_dewconform/projects/"+w.projectOf(id)+"/secrets/"+w.secret.name+"/state", map[string]any{"state": state})
	}
	return fmt.Errorf("secret state %q: want ENABLED, DISABLED, PENDING_DELETE or FROZEN", state)
}

func (w *World) hasSecretPendingDeletion(ctx context.Context, actor string) error {
	return w.hasSecretInState(ctx, actor, "PENDING_DELETE")
}

// ---- When -----------------------------------------------------------------------------------------

func (w *World) createsSecret(ctx context.Context, actor string) error {
	_, ref, err := w.createSecret(ctx, actor, PurposeAct, w.newSecretName())
	if ref != nil {
		w.secret = ref
	}
	return err
}

func (w *World) createsSecretNamed(ctx context.Context, actor, name string) error {
	_, ref, err := w.createSecret(ctx, actor, PurposeAct, name)
	if ref != nil {
		w.secret = ref
	}
	return err
}

func (w *World) createsSecretSameName(ctx context.Context, actor string) error {
	if err := w.requireSecret(); err != nil {
		return err
	}
	_, _, err := w.createSecret(ctx, actor, PurposeAct, w.secret.name)
	return err
}

func (w *World) showsThatSecret(ctx context.Context, actor string) error {
	if err := w.requireSecret(); err != nil {
		return err
	}
	_, _, err := w.showSecret(ctx, actor, PurposeAct, w.secret.name)
	return err
}

func (w *World) showsTheSecret(ctx context.Context, actor, name string) error {
	_, _, err := w.showSecret(ctx, actor, PurposeAct, name)
	return err
}

func (w *World) schedulesThatSecret(ctx context.Context, actor string, days int) error {
	if err := w.requireSecret(); err != nil {
		return err
	}
	_, err := w.scheduleSecret(ctx, actor, PurposeAct, w.secret.name, days)
	return err
}

func (w *World) restoresThatSecret(ctx context.Context, actor string) error {
	if err := w.requireSecret(); err != nil {
		return err
	}
	_, err := w.restoreSecret(ctx, actor, PurposeAct, w.secret.name)
	return err
}

func (w *World) restoresTheSecret(ctx context.Context, actor, name string) error {
	_, err := w.restoreSecret(ctx, actor, PurposeAct, name)
	return err
}

func (w *World) deletesThatSecret(ctx context.Context, actor string) error {
	if err := w.requireSecret(); err != nil {
		return err
	}
	cctx, project := w.call(ctx, actor, PurposeAct)
	_, err := w.csms.DeleteSecretWithResponse(cctx, project, w.secret.name)
	return err
}

func (w *World) readsVersion(ctx context.Context, actor, version string) error {
	if err := w.requireSecret(); err != nil {
		return err
	}
	_, _, err := w.readVersion(ctx, actor, PurposeAct, w.secret.name, version)
	return err
}

func (w *World) updatesDescription(ctx context.Context, actor, description string) error {
	if err := w.requireSecret(); err != nil {
		return err
	}
	cctx, project := w.call(ctx, actor, PurposeAct)
	_, err := w.csms.UpdateSecretWithResponse(cctx, project, w.secret.name, csmsapi.UpdateSecretRequestBody{Description: &description})
	return err
}

func (w *World) listsSecrets(ctx context.Context, actor string) error {
	return w.listSecretsCall(ctx, actor, csmsapi.ListSecretsParams{})
}

func (w *World) advanceSecret(ctx context.Context, days int) error {
	if err := w.requireSecret(); err != nil {
		return err
	}
	id, _ := w.identity(w.secret.owner)
	return w.control(ctx, "/_dewconform/projects/"+w.projectOf(id)+"/secrets/"+w.secret.name+"/advance", map[string]any{"seconds": days * 86400})
}

// ---- Then -----------------------------------------------------------------------------------------

func (w *World) ownSecret(ctx context.Context) (map[string]any, error) {
	if err := w.requireSecret(); err != nil {
		return nil, err
	}
	a, secret, err := w.showSecret(ctx, w.secret.owner, PurposeCheck, w.secret.name)
	if err != nil {
		return nil, err
	}
	if secret == nil {
		return nil, a.expect("show secret "+w.secret.name, http.StatusOK)
	}
	return secret, nil
}

func (w *World) secretStateIs(ctx context.Context, state string) error {
	secret, err := w.ownSecret(ctx)
	if err != nil {
		return err
	}
	if got, _ := secret["state"].(string); got != state {
		return fmt.Errorf("secret %s: want state %q, show-secret says %q", w.secret.name, state, got)
	}
	return nil
}

func (w *World) secretHasNoDeletionTime(ctx context.Context) error {
	secret, err := w.ownSecret(ctx)
	if err != nil {
		return err
	}
	if v, ok := secret["scheduled_delete_time"]; ok && v != nil {
		return fmt.Errorf("secret %s: want scheduled_delete_time null, show-secret says %v", w.secret.name, v)
	}
	return nil
}

func (w *World) secretScheduledIn(ctx context.Context, days int) error {
	secret, err := w.ownSecret(ctx)
	if err != nil {
		return err
	}
	ms, ok := secret["scheduled_delete_time"].(float64)
	if !ok {
		return fmt.Errorf("secret %s: want a scheduled_delete_time %d days ahead, show-secret has %v", w.secret.name, days, secret["scheduled_delete_time"])
	}
	return near(time.UnixMilli(int64(ms)), w.s.cfg.Now().Add(time.Duration(days)*24*time.Hour), "secret "+w.secret.name+" scheduled_delete_time")
}

func (w *World) canReadSecret(ctx context.Context, actor string) error {
	if err := w.requireSecret(); err != nil {
		return err
	}
	a, r, err := w.readVersion(ctx, actor, PurposeCheck, w.secret.name, "v1")
	if err != nil {
		return err
	}
	if r.JSON200 == nil {
		return a.expect(actor+" reads version v1 of secret "+w.secret.name, http.StatusOK)
	}
	if v := r.JSON200.Version.SecretString; v == nil || *v != w.secret.value {
		// The value itself never goes into a message.
		return fmt.Errorf("secret %s: version v1 does not hold the value it was created with", w.secret.name)
	}
	return nil
}

// cannotReadSecret wants reading version v1 of the scenario's secret refused (see answer.refused).
func (w *World) cannotReadSecret(ctx context.Context, actor string) error {
	if err := w.requireSecret(); err != nil {
		return err
	}
	a, _, err := w.readVersion(ctx, actor, PurposeCheck, w.secret.name, "v1")
	if err != nil {
		return err
	}
	return a.refused(actor + " reads version v1 of secret " + w.secret.name)
}
