package mock

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dewconform/dewconform/gen/csms"
)

// ShowSecretVersion returns a version's value ("latest" is the newest); ENABLED secrets only.
func (a *csmsAPI) ShowSecretVersion(ctx context.Context, req csms.ShowSecretVersionRequestObject) (csms.ShowSecretVersionResponseObject, error) {
	v, err := a.s.store.ShowSecretVersion(caller(ctx), req.SecretName, req.VersionId)
	if err != nil {
		return nil, err
	}
	return csms.ShowSecretVersion200JSONResponse{Body: csms.ShowSecretVersionResponseBody{Version: csms.Version{
		SecretString: v.String, SecretBinary: v.Binary, VersionMetadata: versionMetadata(v),
	}}}, nil
}

func versionMetadata(v SecretVersion) csms.VersionMetadata {
	out := csms.VersionMetadata{
		Id: v.ID, SecretName: v.SecretName, CreateTime: ptr(csmsTime(v.Created)), KmsKeyId: ptr(v.KMSKeyID),
		VersionStages: ptr(slices.Clone(v.Stages)),
	}
	if !v.Expire.IsZero() {
		out.ExpireTime = ptr(csmsTime(v.Expire))
	}
	return out
}

// CreateSecretVersion stores a new value; without version_stages the new version takes SYSCURRENT.
func (a *csmsAPI) CreateSecretVersion(ctx context.Context, req csms.CreateSecretVersionRequestObject) (csms.CreateSecretVersionResponseObject, error) {
	b := req.Body
	in := VersionInput{String: b.SecretString, Binary: b.SecretBinary, Stages: b.VersionStages}
	if b.ExpireTime != nil {
		in.Expire = time.UnixMilli(*b.ExpireTime)
	}
	v, err := a.s.store.CreateSecretVersion(caller(ctx), req.SecretName, in)
	if err != nil {
		return nil, err
	}
	return csms.CreateSecretVersion200JSONResponse{Body: csms.VersionMetadataResponseBody{VersionMetadata: versionMetadata(v)}}, nil
}

// versionNumber orders version ids ("v12" → 12); "latest" sorts after every version.
func versionNumber(id string) int {
	if id == "latest" {
		return int(^uint(0) >> 1)
	}
	n, _ := strconv.Atoi(strings.TrimPrefix(id, "v"))
	return n
}

// ListSecretVersions pages by version, oldest first: the marker is the last version of the previous page.
func (a *csmsAPI) ListSecretVersions(ctx context.Context, req csms.ListSecretVersionsRequestObject) (csms.ListSecretVersionsResponseObject, error) {
	p := req.Params
	size := defaultSecretPage
	if p.Limit != nil {
		size = int(*p.Limit) // 1..1000, checked against the spec before the handler runs
	}
	versions, err := a.s.store.ListSecretVersions(caller(ctx), req.SecretName)
	if err != nil {
		return nil, err
	}
	if p.Marker != nil {
		after := versionNumber(*p.Marker)
		versions = slices.DeleteFunc(versions, func(v SecretVersion) bool { return versionNumber(v.ID) <= after })
	}
	body := csms.ListSecretVersionsResponseBody{VersionMetadatas: []csms.VersionMetadata{}}
	for _, v := range versions[:min(size, len(versions))] {
		body.VersionMetadatas = append(body.VersionMetadatas, versionMetadata(v))
	}
	n := len(body.VersionMetadatas)
	body.PageInfo.CurrentCount = ptr(int32(n))
	if n > 0 {
		body.PageInfo.PreviousMarker = ptr(body.VersionMetadatas[0].Id)
		if len(versions) > n {
			body.PageInfo.NextMarker = ptr(body.VersionMetadatas[n-1].Id)
		}
	}
	return csms.ListSecretVersions200JSONResponse{Body: body}, nil
}

// UpdateVersion sets a version's expiry.
func (a *csmsAPI) UpdateVersion(ctx context.Context, req csms.UpdateVersionRequestObject) (csms.UpdateVersionResponseObject, error) {
	v, err := a.s.store.UpdateSecretVersion(caller(ctx), req.SecretName, req.VersionId, time.UnixMilli(req.Body.ExpireTime))
	if err != nil {
		return nil, err
	}
	return csms.UpdateVersion200JSONResponse{Body: csms.VersionMetadataResponseBody{VersionMetadata: versionMetadata(v)}}, nil
}

func stageBody(st SecretStage) csms.SecretStageResponseBody {
	return csms.SecretStageResponseBody{Stage: csms.Stage{
		Name: st.Name, SecretName: st.SecretName, VersionId: st.VersionID, UpdateTime: ptr(csmsTime(st.Updated)),
	}}
}

// ShowSecretStage returns the version a stage names.
func (a *csmsAPI) ShowSecretStage(ctx context.Context, req csms.ShowSecretStageRequestObject) (csms.ShowSecretStageResponseObject, error) {
	st, err := a.s.store.ShowSecretStage(caller(ctx), req.SecretName, req.StageName)
	if err != nil {
		return nil, err
	}
	return csms.ShowSecretStage200JSONResponse{Body: stageBody(st)}, nil
}

// UpdateSecretStage moves (or creates) a stage.
func (a *csmsAPI) UpdateSecretStage(ctx context.Context, req csms.UpdateSecretStageRequestObject) (csms.UpdateSecretStageResponseObject, error) {
	st, err := a.s.store.UpdateSecretStage(caller(ctx), req.SecretName, req.StageName, req.Body.VersionId)
	if err != nil {
		return nil, err
	}
	return csms.UpdateSecretStage200JSONResponse{Body: stageBody(st)}, nil
}

// DeleteSecretStage deletes a stage: 204 without a body.
func (a *csmsAPI) DeleteSecretStage(ctx context.Context, req csms.DeleteSecretStageRequestObject) (csms.DeleteSecretStageResponseObject, error) {
	if err := a.s.store.DeleteSecretStage(caller(ctx), req.SecretName, req.StageName); err != nil {
		return nil, err
	}
	return csms.DeleteSecretStage204Response{}, nil
}

// RotateSecret rotates a non-COMMON secret at once (see store.RotateSecret).
func (a *csmsAPI) RotateSecret(ctx context.Context, req csms.RotateSecretRequestObject) (csms.RotateSecretResponseObject, error) {
	rot, err := a.s.store.RotateSecret(caller(ctx), req.SecretName)
	if err != nil {
		return nil, err
	}
	return csms.RotateSecret200JSONResponse{Body: csms.RotateSecretResponseBody{
		RotationTaskId: ptr(rot.TaskID), SecretName: rot.SecretName, VersionId: ptr(rot.VersionID),
	}}, nil
}
