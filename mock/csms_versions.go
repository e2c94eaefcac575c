package mock

import (
	"context"
	"slices"

	"github.com/dewconform/dewconform/gen/csms"
)

// ShowSecretVersion returns a version's value ("latest" is the newest); ENABLED secrets only.
func (a *csmsAPI) ShowSecretVersion(ctx context.Context, req csms.ShowSecretVersionRequestObject) (csms.ShowSecretVersionResponseObject, error) {
	v, err := a.s.store.ShowSecretVersion(caller(ctx), req.SecretName, req.VersionId)
	if err != nil {
		return nil, err
	}
	return csms.ShowSecretVersion200JSONResponse{Body: csms.ShowSecretVersionResponseBody{Version: csms.Version{
		SecretString: v.String, SecretBinary: v.Binary,
		VersionMetadata: csms.VersionMetadata{
			Id: v.ID, SecretName: v.SecretName, CreateTime: ptr(csmsTime(v.Created)), KmsKeyId: ptr(v.KMSKeyID),
			VersionStages: ptr(slices.Clone(v.Stages)),
		},
	}}}, nil
}
