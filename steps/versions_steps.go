package steps

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	csmsapi "github.com/dewconform/dewconform/gen/csms"
	"github.com/dewconform/dewconform/gen/ops"
)

// Secret versions and stages (issue #14): CreateSecretVersion, ListSecretVersions, UpdateVersion,
// ShowSecretStage, UpdateSecretStage, DeleteSecretStage, RotateSecret.

// rotationWait bounds the poll for the version a rotation creates: the real service answers with a task
// id and completes the rotation later.
const (
	rotationWait     = 60 * time.Second
	mockRotationWait = 3 * time.Second
	rotationPoll     = time.Second
)

func (w *World) versionDefinitions() []stepDef {
	const who = `(\w+)`
	return []stepDef{
		// Given.
		{`^` + who + ` has a secret of type "([^"]*)"$`, w.hasSecretOfType},
		{`^` + who + ` has added (\d+) versions? to that secret$`, w.hasAddedVersions},
		{`^` + who + ` has put the stage "([^"]*)" on version "([^"]*)" of that secret$`, w.hasPutStage},
		// When.
		{`^` + who + ` adds a version to that secret$`, w.addsVersion},
		{`^` + who + ` adds a version to that secret with the stages "([^"]*)"$`, w.addsVersionWithStages},
		{`^` + who + ` adds a version to that secret with both a text and a binary value$`, w.addsVersionWithBoth},
		{`^` + who + ` adds a version to that secret with a value of (\d+) characters$`, w.addsVersionOfSize},
		{`^` + who + ` lists the versions of that secret$`, w.listsVersions},
		{`^` + who + ` lists the versions of that secret with the limit (\d+)$`, w.listsVersionsWithLimit},
		{`^` + who + ` sets the expiry of version "([^"]*)" of that secret to (\d+) days ahead$`, w.setsExpiry},
		{`^` + who + ` shows the stage "([^"]*)" of that secret$`, w.showsStage},
		{`^` + who + ` puts the stage "([^"]*)" on version "([^"]*)" of that secret$`, w.putsStage},
		{`^` + who + ` deletes the stage "([^"]*)" of that secret$`, w.deletesStage},
		{`^` + who + ` rotates that secret$`, w.rotatesSecret},
		// Then: effects, observed by the secret's owner.
		{thenExpr(`^that secret has (\d+) versions?$`), then1(w, w.secretHasVersions)},
		{thenExpr(`^version "([^"]*)" of that secret holds the stages "([^"]*)"$`), then2(w, w.versionHoldsStages)},
		{thenExpr(`^version "([^"]*)" of that secret has no expiry$`), then1(w, w.versionHasNoExpiry)},
		{thenExpr(`^version "([^"]*)" of that secret expires in (\d+) days$`), then2(w, w.versionExpiresIn)},
		{thenExpr(`^the stage "([^"]*)" of that secret names version "([^"]*)"$`), then2(w, w.stageNames)},
		{thenExpr(`^the stage "([^"]*)" of that secret names no version$`), then1(w, w.stageNamesNothing)},
		{thenExpr(`^the version "latest" of that secret is "([^"]*)"$`), then1(w, w.latestIs)},
		{thenExpr(`^` + who + ` can read every version of that secret with its value$`), then1(w, w.canReadEveryVersion)},
		{thenExpr(`^` + who + ` cannot read any version of that secret$`), then1(w, w.cannotReadAnyVersion)},
		{thenExpr(`^within a minute a new version of that secret holds "SYSCURRENT" and the former one "SYSPREVIOUS"$`), then0(w, w.rotationCompletes)},
		{thenExpr(`^walking the pages of the version listing finds each version of that secret exactly once$`), then0(w, w.walkFindsEachVersion)},
	}
}

// stagesOf reads a comma-separated list of stages ("" is none).
func stagesOf(list string) []string {
	out := []string{}
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// remember records the value stored in a version of the scenario's secret, for the reads that compare it.
func (w *World) remember(id, value string) {
	if w.secret.versions == nil {
		w.secret.versions = map[string]string{"v1": w.secret.value}
	}
	w.secret.versions[id] = value
}

// storedVersions lists the ids of the versions the scenario stored, v1 included.
func (w *World) storedVersions() []string {
	ids := []string{"v1"}
	for id := range w.secret.versions {
		if id != "v1" {
			ids = append(ids, id)
		}
	}
	slices.SortFunc(ids, func(a, b string) int { return versionNum(a) - versionNum(b) })
	return ids
}

func versionNum(id string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(id, "v"))
	return n
}

func (w *World) addVersion(ctx context.Context, actor string, purpose Purpose, body csmsapi.CreateSecretVersionRequestBody) (answer, error) {
	if err := w.requireSecret(); err != nil {
		return answer{}, err
	}
	cctx, project := w.call(ctx, actor, purpose)
	r, err := w.csms.CreateSecretVersionWithResponse(cctx, project, w.secret.name, body)
	if err != nil {
		return answer{}, fmt.Errorf("create secret version: %w", err)
	}
	a := answerOf(r.HTTPResponse, r.Body)
	if r.JSON200 != nil && body.SecretString != nil {
		w.remember(r.JSON200.VersionMetadata.Id, *body.SecretString)
	}
	return a, nil
}

// newValue is a fresh value for a new version: each version's value differs, so a read that returns
// another version's value is caught.
func newValue() string { return secretValue + "-" + randomHex(6) }

// ---- Given ----------------------------------------------------------------------------------------

func (w *World) hasSecretOfType(ctx context.Context, actor, kind string) error {
	t := csmsapi.SecretType(kind)
	a, ref, err := w.createSecretOfType(ctx, actor, PurposeSetup, w.newSecretName(), &t)
	if err != nil {
		return err
	}
	if ref == nil {
		return a.expect(actor+" creates a secret of type "+kind, http.StatusOK)
	}
	w.secret = ref
	return nil
}

func (w *World) hasAddedVersions(ctx context.Context, actor string, n int) error {
	for range n {
		v := newValue()
		a, err := w.addVersion(ctx, actor, PurposeSetup, csmsapi.CreateSecretVersionRequestBody{SecretString: &v})
		if err != nil {
			return err
		}
		if err := a.expect(actor+" adds a version to secret "+w.secret.name, http.StatusOK); err != nil {
			return err
		}
	}
	return nil
}

func (w *World) putStage(ctx context.Context, actor string, purpose Purpose, stage, version string) (answer, error) {
	if err := w.requireSecret(); err != nil {
		return answer{}, err
	}
	cctx, project := w.call(ctx, actor, purpose)
	r, err := w.csms.UpdateSecretStageWithResponse(cctx, project, w.secret.name, stage, csmsapi.UpdateSecretStageRequestBody{VersionId: version})
	if err != nil {
		return answer{}, fmt.Errorf("update secret stage: %w", err)
	}
	return answerOf(r.HTTPResponse, r.Body), nil
}

func (w *World) hasPutStage(ctx context.Context, actor, stage, version string) error {
	a, err := w.putStage(ctx, actor, PurposeSetup, stage, version)
	if err != nil {
		return err
	}
	return a.expect(actor+" puts stage "+stage+" on "+version, http.StatusOK)
}

// ---- When -----------------------------------------------------------------------------------------

func (w *World) addsVersion(ctx context.Context, actor string) error {
	v := newValue()
	_, err := w.addVersion(ctx, actor, PurposeAct, csmsapi.CreateSecretVersionRequestBody{SecretString: &v})
	return err
}

func (w *World) addsVersionWithStages(ctx context.Context, actor, list string) error {
	v := newValue()
	stages := stagesOf(list)
	_, err := w.addVersion(ctx, actor, PurposeAct, csmsapi.CreateSecretVersionRequestBody{SecretString: &v, VersionStages: &stages})
	return err
}

func (w *World) addsVersionWithBoth(ctx context.Context, actor string) error {
	v, b := newValue(), "ZGV3Y29uZm9ybQ=="
	_, err := w.addVersion(ctx, actor, PurposeAct, csmsapi.CreateSecretVersionRequestBody{SecretString: &v, SecretBinary: &b})
	return err
}

func (w *World) addsVersionOfSize(ctx context.Context, actor string, n int) error {
	v := strings.Repeat("x", n)
	_, err := w.addVersion(ctx, actor, PurposeAct, csmsapi.CreateSecretVersionRequestBody{SecretString: &v})
	return err
}

func (w *World) listVersionsCall(ctx context.Context, actor string, params csmsapi.ListSecretVersionsParams) error {
	if err := w.requireSecret(); err != nil {
		return err
	}
	cctx, project := w.call(ctx, actor, PurposeAct)
	name := w.secret.name
	if _, err := w.csms.ListSecretVersionsWithResponse(cctx, project, name, &params); err != nil {
		return fmt.Errorf("list secret versions: %w", err)
	}
	var limit *string
	if params.Limit != nil {
		limit = ptrTo(strconv.Itoa(int(*params.Limit)))
	}
	w.startListing(ops.ListSecretVersions, limit, func(ctx context.Context, marker string) (answer, error) {
		p := params
		p.Marker = &marker
		r, err := w.csms.ListSecretVersionsWithResponse(withCall(ctx, callInfo{actor: actor, purpose: PurposeCheck}), project, name, &p)
		if err != nil {
			return answer{}, fmt.Errorf("list secret versions: %w", err)
		}
		return answerOf(r.HTTPResponse, r.Body), nil
	})
	return nil
}

func ptrTo[T any](v T) *T { return &v }

func (w *World) listsVersions(ctx context.Context, actor string) error {
	return w.listVersionsCall(ctx, actor, csmsapi.ListSecretVersionsParams{})
}

func (w *World) listsVersionsWithLimit(ctx context.Context, actor string, limit int) error {
	l := int32(limit)
	return w.listVersionsCall(ctx, actor, csmsapi.ListSecretVersionsParams{Limit: &l})
}

func (w *World) setsExpiry(ctx context.Context, actor, version string, days int) error {
	if err := w.requireSecret(); err != nil {
		return err
	}
	cctx, project := w.call(ctx, actor, PurposeAct)
	at := w.s.cfg.Now().Add(time.Duration(days) * 24 * time.Hour).UnixMilli()
	_, err := w.csms.UpdateVersionWithResponse(cctx, project, w.secret.name, version, csmsapi.UpdateVersionRequestBody{ExpireTime: at})
	return err
}

func (w *World) showStage(ctx context.Context, actor string, purpose Purpose, stage string) (answer, *csmsapi.ShowSecretStageResponse, error) {
	if err := w.requireSecret(); err != nil {
		return answer{}, nil, err
	}
	cctx, project := w.call(ctx, actor, purpose)
	r, err := w.csms.ShowSecretStageWithResponse(cctx, project, w.secret.name, stage)
	if err != nil {
		return answer{}, nil, fmt.Errorf("show secret stage: %w", err)
	}
	return answerOf(r.HTTPResponse, r.Body), r, nil
}

func (w *World) showsStage(ctx context.Context, actor, stage string) error {
	_, _, err := w.showStage(ctx, actor, PurposeAct, stage)
	return err
}

func (w *World) putsStage(ctx context.Context, actor, stage, version string) error {
	_, err := w.putStage(ctx, actor, PurposeAct, stage, version)
	return err
}

func (w *World) deletesStage(ctx context.Context, actor, stage string) error {
	if err := w.requireSecret(); err != nil {
		return err
	}
	cctx, project := w.call(ctx, actor, PurposeAct)
	_, err := w.csms.DeleteSecretStageWithResponse(cctx, project, w.secret.name, stage)
	return err
}

func (w *World) rotatesSecret(ctx context.Context, actor string) error {
	if err := w.requireSecret(); err != nil {
		return err
	}
	cctx, project := w.call(ctx, actor, PurposeAct)
	_, err := w.csms.RotateSecretWithResponse(cctx, project, w.secret.name)
	return err
}

// ---- Then -----------------------------------------------------------------------------------------

// versionsNow lists the metadata of every version of the scenario's secret, by its owner, walking every
// page (the listing is metadata only, so it also answers for a secret pending deletion).
func (w *World) versionsNow(ctx context.Context) (map[string]csmsapi.VersionMetadata, error) {
	if err := w.requireSecret(); err != nil {
		return nil, err
	}
	out := map[string]csmsapi.VersionMetadata{}
	params := csmsapi.ListSecretVersionsParams{}
	for n := 1; ; n++ {
		cctx, project := w.call(ctx, w.secret.owner, PurposeCheck)
		r, err := w.csms.ListSecretVersionsWithResponse(cctx, project, w.secret.name, &params)
		if err != nil {
			return nil, fmt.Errorf("list secret versions: %w", err)
		}
		if r.JSON200 == nil {
			return nil, answerOf(r.HTTPResponse, r.Body).expect("list the versions of secret "+w.secret.name, http.StatusOK)
		}
		page := r.JSON200
		for _, v := range page.VersionMetadatas {
			out[v.Id] = v
		}
		next := page.PageInfo.NextMarker
		if next == nil || *next == "" || len(page.VersionMetadatas) == 0 || (params.Marker != nil && *params.Marker == *next) {
			return out, nil
		}
		if n >= maxPages {
			return nil, harness(Paging, fmt.Errorf("list-secret-versions: more than %d pages", maxPages))
		}
		params.Marker = next
	}
}

func (w *World) secretHasVersions(ctx context.Context, n int) error {
	vs, err := w.versionsNow(ctx)
	if err != nil {
		return err
	}
	if len(vs) != n {
		return fmt.Errorf("secret %s: want %d versions, the listing has %d", w.secret.name, n, len(vs))
	}
	return nil
}

func (w *World) versionHoldsStages(ctx context.Context, id, list string) error {
	vs, err := w.versionsNow(ctx)
	if err != nil {
		return err
	}
	v, ok := vs[id]
	if !ok {
		return fmt.Errorf("secret %s: version %s is not listed", w.secret.name, id)
	}
	var got []string
	if v.VersionStages != nil {
		got = slices.Clone(*v.VersionStages)
	}
	want := stagesOf(list)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		return fmt.Errorf("secret %s: want version %s to hold the stages %v, it holds %v", w.secret.name, id, want, got)
	}
	return nil
}

func (w *World) versionExpiry(ctx context.Context, id string) (*int64, error) {
	vs, err := w.versionsNow(ctx)
	if err != nil {
		return nil, err
	}
	v, ok := vs[id]
	if !ok {
		return nil, fmt.Errorf("secret %s: version %s is not listed", w.secret.name, id)
	}
	return v.ExpireTime, nil
}

func (w *World) versionHasNoExpiry(ctx context.Context, id string) error {
	exp, err := w.versionExpiry(ctx, id)
	if err == nil && exp != nil {
		err = fmt.Errorf("secret %s: want version %s without expire_time, it expires at %d", w.secret.name, id, *exp)
	}
	return err
}

func (w *World) versionExpiresIn(ctx context.Context, id string, days int) error {
	exp, err := w.versionExpiry(ctx, id)
	if err != nil {
		return err
	}
	if exp == nil {
		return fmt.Errorf("secret %s: version %s has no expire_time", w.secret.name, id)
	}
	return near(time.UnixMilli(*exp), w.s.cfg.Now().Add(time.Duration(days)*24*time.Hour), "version "+id+" expire_time")
}

func (w *World) stageNames(ctx context.Context, stage, version string) error {
	a, r, err := w.showStage(ctx, w.secret.owner, PurposeCheck, stage)
	if err != nil {
		return err
	}
	if r.JSON200 == nil {
		return a.expect("show stage "+stage+" of secret "+w.secret.name, http.StatusOK)
	}
	if got := r.JSON200.Stage.VersionId; got != version {
		return fmt.Errorf("secret %s: want stage %s on version %s, it names %s", w.secret.name, stage, version, got)
	}
	return nil
}

// stageNamesNothing wants the stage on no version: showing it is refused and no listed version holds it.
func (w *World) stageNamesNothing(ctx context.Context, stage string) error {
	a, _, err := w.showStage(ctx, w.secret.owner, PurposeCheck, stage)
	if err != nil {
		return err
	}
	if err := a.refused("show stage " + stage + " of secret " + w.secret.name); err != nil {
		return err
	}
	vs, err := w.versionsNow(ctx)
	if err != nil {
		return err
	}
	for id, v := range vs {
		if v.VersionStages != nil && slices.Contains(*v.VersionStages, stage) {
			return fmt.Errorf("secret %s: stage %s still on version %s", w.secret.name, stage, id)
		}
	}
	return nil
}

func (w *World) latestIs(ctx context.Context, id string) error {
	if err := w.requireSecret(); err != nil {
		return err
	}
	a, r, err := w.readVersion(ctx, w.secret.owner, PurposeCheck, w.secret.name, "latest")
	if err != nil {
		return err
	}
	if r.JSON200 == nil {
		return a.expect("read version latest of secret "+w.secret.name, http.StatusOK)
	}
	if got := r.JSON200.Version.VersionMetadata.Id; got != id {
		return fmt.Errorf("secret %s: want latest to be %s, it is %s", w.secret.name, id, got)
	}
	return nil
}

// canReadEveryVersion reads each version the scenario stored by its id and compares its value (never
// printed) with what was stored.
func (w *World) canReadEveryVersion(ctx context.Context, actor string) error {
	if err := w.requireSecret(); err != nil {
		return err
	}
	for _, id := range w.storedVersions() {
		want := w.secret.value
		if v, ok := w.secret.versions[id]; ok {
			want = v
		}
		a, r, err := w.readVersion(ctx, actor, PurposeCheck, w.secret.name, id)
		if err != nil {
			return err
		}
		if r.JSON200 == nil {
			return a.expect(actor+" reads version "+id+" of secret "+w.secret.name, http.StatusOK)
		}
		if v := r.JSON200.Version.SecretString; v == nil || *v != want {
			return fmt.Errorf("secret %s: version %s does not hold the value it was stored with", w.secret.name, id)
		}
		if got := r.JSON200.Version.VersionMetadata.Id; got != id {
			return fmt.Errorf("secret %s: reading version %s answered version %s", w.secret.name, id, got)
		}
	}
	return nil
}

func (w *World) cannotReadAnyVersion(ctx context.Context, actor string) error {
	if err := w.requireSecret(); err != nil {
		return err
	}
	for _, id := range append(w.storedVersions(), "latest") {
		a, _, err := w.readVersion(ctx, actor, PurposeCheck, w.secret.name, id)
		if err != nil {
			return err
		}
		if err := a.refused(actor + " reads version " + id + " of secret " + w.secret.name); err != nil {
			return err
		}
	}
	return nil
}

// rotationCompletes polls, bounded, until SYSCURRENT is on a version the scenario did not store, and
// then wants the version that held it before (the newest the scenario stored) to hold SYSPREVIOUS.
func (w *World) rotationCompletes(ctx context.Context) error {
	if err := w.requireSecret(); err != nil {
		return err
	}
	stored := w.storedVersions()
	former := stored[len(stored)-1]
	wait := rotationWait
	if w.s.cfg.Control {
		wait = mockRotationWait // the mock completes a rotation before it answers
	}
	deadline := time.Now().Add(wait)
	for {
		a, r, err := w.showStage(ctx, w.secret.owner, PurposeCheck, "SYSCURRENT")
		if err != nil {
			return err
		}
		if r.JSON200 == nil {
			return a.expect("show stage SYSCURRENT of secret "+w.secret.name, http.StatusOK)
		}
		if id := r.JSON200.Stage.VersionId; !slices.Contains(stored, id) {
			return w.stageNames(ctx, "SYSPREVIOUS", former)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("secret %s: no new version holds SYSCURRENT %s after the rotation", w.secret.name, wait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(rotationPoll):
		}
	}
}

func (w *World) walkFindsEachVersion(ctx context.Context) error {
	if err := w.requireSecret(); err != nil {
		return err
	}
	ids := w.storedVersions()
	counts, err := w.walkAll(ctx, "id", ids)
	if err == nil {
		for _, id := range ids {
			if counts[id] != 1 {
				err = fmt.Errorf("secret %s: version %s is on %d pages of the listing, want exactly 1", w.secret.name, id, counts[id])
				break
			}
		}
	}
	return w.judge(w.last, err)
}
