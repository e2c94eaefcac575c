package conformance_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/conformance"
	"github.com/dewconform/dewconform/mock"
)

// crowdedSeed preloads alice's project with more keys than one page holds (1000), and one of her keys
// with more grants carol may retire than one page holds: a key or grant a scenario creates lands on a
// later page, as on a shared project after many runs.
func crowdedSeed() *mock.Seed {
	seed := &mock.Seed{}
	for i := range 1100 {
		seed.Keys = append(seed.Keys, mock.SeedKey{Owner: "alice", Alias: fmt.Sprintf("crowd-%04d", i)})
	}
	for range 1100 {
		seed.Grants = append(seed.Grants, mock.SeedGrant{Key: "crowd-0000", Grantee: "bob", Retiring: "carol", Operations: []string{"describe-key"}})
	}
	return seed
}

// TestListingsOnACrowdedProject: the listing scenarios find their own resources wherever they fall, on a
// project that holds more than a page of keys and grants.
func TestListingsOnACrowdedProject(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 2200 resources")
	}
	srv := serve(t, newMockHandler(t, crowdedSeed()))
	res, out := run(t, context.Background(), conformance.Config{
		KMSEndpoint: srv.URL, Embedded: true, Control: true, Concurrency: 4, Randomize: -1,
		Tags: "@list-keys,@list-grants,@list-retirable-grants",
	})
	require.NotEmpty(t, res.Scenarios)
	for _, s := range res.Scenarios {
		assert.Equal(t, conformance.Pass, s.Outcome, "%s %q: %s", s.ID, s.Name, s.Reason)
	}
	assert.Equal(t, 0, res.ExitCode(), "%s\n%s", res.Verdict(), out)
}
