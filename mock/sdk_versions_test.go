package mock_test

import (
	"maps"
	"slices"
	"testing"

	csmsmodel "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/csms/v1/model"
	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/mock"
)

// The official Go SDK drives every version, stage and rotation operation against the mock: versions are
// added, stages moved, values read by stage and by id, the secret scheduled for deletion (nothing can be
// read) and restored (every version reads back as stored), and RotateSecret of a COMMON secret gets the
// mock's refusal.
func TestOfficialSDKVersionsAgainstMock(t *testing.T) {
	_, url := serveMock(t, mock.Options{})
	c := sdkCSMS(t, url, "alice")
	requireCode := requireSDKCode
	str := func(s string) *string { return &s }
	const name = "sdk-versions"

	values := map[string]string{"v1": "first"}
	_, err := c.CreateSecret(&csmsmodel.CreateSecretRequest{Body: &csmsmodel.CreateSecretRequestBody{Name: name, SecretString: str("first")}})
	require.NoError(t, err)

	// Two new versions: each takes SYSCURRENT, the one before gets SYSPREVIOUS.
	for _, v := range []string{"second", "third"} {
		r, err := c.CreateSecretVersion(&csmsmodel.CreateSecretVersionRequest{SecretName: name,
			Body: &csmsmodel.CreateSecretVersionRequestBody{SecretString: str(v)}})
		require.NoError(t, err)
		values[*r.VersionMetadata.Id] = v
		require.Equal(t, []string{"SYSCURRENT"}, *r.VersionMetadata.VersionStages)
	}
	require.Contains(t, values, "v3")

	// A version with a stage of its own leaves SYSCURRENT where it is.
	r, err := c.CreateSecretVersion(&csmsmodel.CreateSecretVersionRequest{SecretName: name,
		Body: &csmsmodel.CreateSecretVersionRequestBody{SecretString: str("fourth"), VersionStages: &[]string{"pending"}}})
	require.NoError(t, err)
	require.Equal(t, "v4", *r.VersionMetadata.Id)
	values["v4"] = "fourth"

	stageOf := func(stage string) string {
		t.Helper()
		s, err := c.ShowSecretStage(&csmsmodel.ShowSecretStageRequest{SecretName: name, StageName: stage})
		require.NoError(t, err)
		return *s.Stage.VersionId
	}
	require.Equal(t, "v3", stageOf("SYSCURRENT"))
	require.Equal(t, "v2", stageOf("SYSPREVIOUS"))
	require.Equal(t, "v4", stageOf("pending"))

	// Move a custom stage, then delete it; the built-in ones cannot be deleted.
	moved, err := c.UpdateSecretStage(&csmsmodel.UpdateSecretStageRequest{SecretName: name, StageName: "blue",
		Body: &csmsmodel.UpdateSecretStageRequestBody{VersionId: "v1"}})
	require.NoError(t, err)
	require.Equal(t, "v1", *moved.Stage.VersionId)
	_, err = c.UpdateSecretStage(&csmsmodel.UpdateSecretStageRequest{SecretName: name, StageName: "blue",
		Body: &csmsmodel.UpdateSecretStageRequestBody{VersionId: "v2"}})
	require.NoError(t, err)
	require.Equal(t, "v2", stageOf("blue"))
	_, err = c.DeleteSecretStage(&csmsmodel.DeleteSecretStageRequest{SecretName: name, StageName: "pending"})
	require.NoError(t, err)
	_, err = c.ShowSecretStage(&csmsmodel.ShowSecretStageRequest{SecretName: name, StageName: "pending"})
	requireCode(t, err, 400, "CSMS.0005")
	_, err = c.DeleteSecretStage(&csmsmodel.DeleteSecretStageRequest{SecretName: name, StageName: "SYSCURRENT"})
	requireCode(t, err, 400, "CSMS.0105")

	// Expiry of a version.
	upd, err := c.UpdateVersion(&csmsmodel.UpdateVersionRequest{SecretName: name, VersionId: "v1",
		Body: &csmsmodel.UpdateVersionRequestBody{ExpireTime: 4102444800000}})
	require.NoError(t, err)
	require.Equal(t, int64(4102444800000), *upd.VersionMetadata.ExpireTime)

	// Read by id, by latest (the newest) and by stage (its version id).
	read := func(version string) (string, string, error) {
		v, err := c.ShowSecretVersion(&csmsmodel.ShowSecretVersionRequest{SecretName: name, VersionId: version})
		if err != nil {
			return "", "", err
		}
		return *v.Version.VersionMetadata.Id, *v.Version.SecretString, nil
	}
	readAll := func() {
		t.Helper()
		for vid, want := range values {
			gotID, got, err := read(vid)
			require.NoError(t, err, vid)
			require.Equal(t, vid, gotID)
			require.True(t, got == want, "version %s does not hold its value", vid) // values stay out of messages
		}
		latest, _, err := read("latest")
		require.NoError(t, err)
		require.Equal(t, "v4", latest)
		_, got, err := read(stageOf("SYSCURRENT"))
		require.NoError(t, err)
		require.True(t, got == "third", "SYSCURRENT does not name the third value")
	}
	readAll()

	// Paging: two versions a page, walked by next_marker.
	var listed []string
	var marker *string
	for range 10 {
		l, err := c.ListSecretVersions(&csmsmodel.ListSecretVersionsRequest{SecretName: name, Limit: ptr32(2), Marker: marker})
		require.NoError(t, err)
		for _, v := range *l.VersionMetadatas {
			listed = append(listed, *v.Id)
		}
		if l.PageInfo.NextMarker == nil {
			break
		}
		marker = l.PageInfo.NextMarker
	}
	require.Equal(t, []string{"v1", "v2", "v3", "v4"}, listed)

	// Scheduled for deletion, no version reads; restored, every version and stage is back.
	_, err = c.DeleteSecretForSchedule(&csmsmodel.DeleteSecretForScheduleRequest{SecretName: name,
		Body: &csmsmodel.DeleteSecretForScheduleRequestBody{RecoveryWindowInDays: 7}})
	require.NoError(t, err)
	for _, vid := range append(slices.Sorted(maps.Keys(values)), "latest") {
		_, _, err := read(vid)
		requireCode(t, err, 400, "CSMS.0103")
	}
	_, err = c.RestoreSecret(&csmsmodel.RestoreSecretRequest{SecretName: name})
	require.NoError(t, err)
	readAll()
	require.Equal(t, "v2", stageOf("blue"))
	require.Equal(t, "v2", stageOf("SYSPREVIOUS"))

	// RotateSecret: a COMMON secret is refused; a database secret gets a new SYSCURRENT version.
	_, err = c.RotateSecret(&csmsmodel.RotateSecretRequest{SecretName: name})
	requireCode(t, err, 400, "CSMS.0003")
	rds := csmsmodel.GetCreateSecretRequestBodySecretTypeEnum().RDS_FG
	_, err = c.CreateSecret(&csmsmodel.CreateSecretRequest{Body: &csmsmodel.CreateSecretRequestBody{
		Name: "sdk-rotated", SecretString: str("db"), SecretType: &rds}})
	require.NoError(t, err)
	rot, err := c.RotateSecret(&csmsmodel.RotateSecretRequest{SecretName: "sdk-rotated"})
	require.NoError(t, err)
	require.NotEmpty(t, *rot.RotationTaskId)
	cur, err := c.ShowSecretStage(&csmsmodel.ShowSecretStageRequest{SecretName: "sdk-rotated", StageName: "SYSCURRENT"})
	require.NoError(t, err)
	require.Equal(t, "v2", *cur.Stage.VersionId)
}

func ptr32(n int32) *int32 { return &n }
