package notices

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEverySectionHasText(t *testing.T) {
	mods := Modules()
	require.Greater(t, len(mods), 2)
	assert.Equal(t, "github.com/dewconform/dewconform (this program)", mods[0])
	assert.Equal(t, "go (the Go runtime and standard library)", mods[len(mods)-1])
	sections := strings.Split(Text(), "\n"+header)[1:]
	require.Len(t, sections, len(mods))
	for i, s := range sections {
		assert.Contains(t, s, "\n---- ", mods[i])
		assert.Greater(t, len(s), 200, "%s: a licence is longer than that", mods[i])
	}
	assert.Contains(t, sections[0], "Apache License\n", "dewconform's own licence")
}
