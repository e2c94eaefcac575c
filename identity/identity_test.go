package identity_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/identity"
)

const p1 = "0123456789abcdef0123456789abcdef"

func TestDefaults(t *testing.T) {
	s := identity.Defaults()
	want := []identity.Identity{
		{"alice", p1, "a11ce000000000000000000000000000", "alice-token", "ALICEACCESSKEYID0001", "alice-secret-access-key", identity.RightsFull},
		{"bob", p1, "b0b00000000000000000000000000000", "bob-token", "BOBACCESSKEYID000002", "bob-secret-access-key", identity.RightsNone},
		{"carol", p1, "ca201000000000000000000000000000", "carol-token", "CAROLACCESSKEYID0003", "carol-secret-access-key", identity.RightsNone},
		{"dave", p1, "da7e0000000000000000000000000000", "dave-token", "DAVEACCESSKEYID00004", "dave-secret-access-key", identity.RightsFull},
		{"eve", "fedcba9876543210fedcba9876543210", "e7e00000000000000000000000000000", "eve-token", "EVEACCESSKEYID000005", "eve-secret-access-key", identity.RightsFull},
	}
	require.Equal(t, want, s.All())
	require.Equal(t, []string{"alice", "bob", "carol", "dave", "eve"}, s.Names())
	require.Equal(t, 5, s.Len())

	_, err := identity.New(want...)
	require.NoError(t, err, "the defaults pass validation")

	p, ok := s.Primary()
	require.True(t, ok)
	require.Equal(t, "alice", p.Name)

	id, ok := s.ByName("carol")
	require.True(t, ok)
	require.Equal(t, "ca201000000000000000000000000000", id.UserID)
	id, ok = s.ByToken("dave-token")
	require.True(t, ok)
	require.Equal(t, "dave", id.Name)
	id, ok = s.ByAK("EVEACCESSKEYID000005")
	require.True(t, ok)
	require.Equal(t, "eve", id.Name)
	sk, ok := s.SecretKey("BOBACCESSKEYID000002")
	require.True(t, ok)
	require.Equal(t, "bob-secret-access-key", sk)

	for _, miss := range []string{"", "mallory", "ALICE-TOKEN"} {
		_, ok = s.ByName(miss)
		require.False(t, ok)
		_, ok = s.ByToken(miss)
		require.False(t, ok)
		_, ok = s.ByAK(miss)
		require.False(t, ok)
		_, ok = s.SecretKey(miss)
		require.False(t, ok)
	}

	secrets := s.Secrets()
	require.Len(t, secrets, 10)
	require.Contains(t, secrets, "alice-token")
	require.Contains(t, secrets, "eve-secret-access-key")
	require.NotContains(t, secrets, "ALICEACCESSKEYID0001")

	// All returns a copy.
	all := s.All()
	all[0].Token = "changed"
	id, _ = s.ByName("alice")
	require.Equal(t, "alice-token", id.Token)
}

func TestExampleFile(t *testing.T) {
	s, err := identity.Load(filepath.Join("testdata", "identities.yaml"))
	require.NoError(t, err)
	require.Equal(t, identity.Defaults().All(), s.All())
}

func TestRoundTrip(t *testing.T) {
	mixed, err := identity.New(
		identity.Identity{Name: "tok", ProjectID: p1, UserID: "u1", Token: "t-1"},
		identity.Identity{Name: "keys", ProjectID: strings.Repeat("A", 64), UserID: "0123", AK: "AK1", SK: `s"k:#'{}`, Rights: identity.RightsNone},
	)
	require.NoError(t, err)
	for _, s := range []identity.Set{identity.Defaults(), mixed} {
		data, err := identity.Marshal(s)
		require.NoError(t, err)
		back, err := identity.Parse(data)
		require.NoError(t, err, "%s", data)
		require.Equal(t, s.All(), back.All())
	}
	id, _ := mixed.ByName("tok")
	require.Equal(t, identity.RightsFull, id.Rights, "omitted rights default to full")
}

func TestPrimary(t *testing.T) {
	s, err := identity.New(
		identity.Identity{Name: "zed", ProjectID: p1, UserID: "u1", Token: "t1"},
		identity.Identity{Name: "yan", ProjectID: p1, UserID: "u2", Token: "t2"},
	)
	require.NoError(t, err)
	p, ok := s.Primary()
	require.True(t, ok)
	require.Equal(t, "zed", p.Name)

	_, ok = identity.Set{}.Primary()
	require.False(t, ok)
}

// valid is one well-formed identity, indented as a list item.
const valid = `  - name: alice
    project_id: 0123456789abcdef0123456789abcdef
    user_id: a11ce
    token: alice-token
    ak: ALICEAK
    sk: alice-sk
`

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  []string // substrings of the error
		field string   // FieldError.Field, when the error is a validation error
	}{
		{name: "empty", input: "", want: []string{"no identities defined"}},
		{name: "comments only", input: "# nothing\n", want: []string{"no identities defined"}},
		{name: "empty list", input: "identities: []\n", want: []string{"no identities defined"}},
		{name: "not a mapping", input: "- a\n", want: []string{"line 1: found !!seq where a mapping with an identities list is expected"}},
		{name: "unknown top-level field", input: "identities:\n" + valid + "extra: 1\n", want: []string{`line 8: unknown field "extra"`}},
		{name: "unknown identity field", input: "identities:\n" + valid + "    tokn: x\n", want: []string{`line 8: unknown field "tokn"`}},
		{name: "identity not a mapping", input: "identities:\n  - alice-token\n", want: []string{"line 2: an identity must be a mapping"}},
		{name: "identities not a list", input: "identities: alice-token\n", want: []string{"line 1: found !!str where a list is expected"}},
		{name: "field of wrong type", input: "identities:\n" + valid + "    rights: [full]\n", want: []string{"line 8: found !!seq where a string is expected"}},
		{name: "duplicate key", input: "identities:\n" + valid + "    name: bob\n", want: []string{`mapping key "name" already defined at line 2`}},
		{name: "syntax error", input: "identities:\n  - name: [\n", want: []string{"line 2: did not find expected node content"}},
		{name: "two documents", input: "identities:\n" + valid + "---\nidentities: []\n", want: []string{"more than one yaml document"}},
		{name: "name missing", field: "name", input: "identities:\n" + strings.Replace(valid, "name: alice", "name: ''", 1),
			want: []string{"line 2: identity #1: name is required"}},
		{name: "name invalid", field: "name", input: "identities:\n" + strings.Replace(valid, "name: alice", "name: 'a b'", 1),
			want: []string{"identity #1: name must be"}},
		{name: "name duplicate", field: "name", input: "identities:\n" + valid + strings.NewReplacer("alice-token", "t2", "ALICEAK", "AK2").Replace(valid),
			want: []string{`line 8: identity "alice": name is also used by identity #1`}},
		{name: "project_id missing", field: "project_id", input: "identities:\n" + strings.Replace(valid, "project_id: 0123456789abcdef0123456789abcdef", "project_id: ~", 1),
			want: []string{`identity "alice": project_id is required`}},
		{name: "project_id short", field: "project_id", input: "identities:\n" + strings.Replace(valid, "0123456789abcdef0123456789abcdef", "0123456789abcdef", 1),
			want: []string{`identity "alice": project_id must be 32 to 64 ASCII letters or digits`}},
		{name: "project_id bad chars", field: "project_id", input: "identities:\n" + strings.Replace(valid, "0123456789abcdef0123456789abcdef", "0123456789abcdef-123456789abcdef", 1),
			want: []string{`project_id must be`}},
		{name: "user_id missing", field: "user_id", input: "identities:\n" + strings.Replace(valid, "user_id: a11ce", "user_id: ''", 1),
			want: []string{`identity "alice": user_id is required`}},
		{name: "user_id bad", field: "user_id", input: "identities:\n" + strings.Replace(valid, "user_id: a11ce", "user_id: a-b", 1),
			want: []string{`identity "alice": user_id must be 1 to 64 ASCII letters or digits`}},
		{name: "no credentials", field: "token", input: "identities:\n  - {name: alice, project_id: " + p1 + ", user_id: u}\n",
			want: []string{`identity "alice": token or ak and sk are required`}},
		{name: "ak without sk", field: "sk", input: "identities:\n" + strings.Replace(valid, "    sk: alice-sk\n", "", 1),
			want: []string{`identity "alice": sk is required when ak is set`}},
		{name: "sk without ak", field: "ak", input: "identities:\n" + strings.Replace(valid, "    ak: ALICEAK\n", "", 1),
			want: []string{`identity "alice": ak is required when sk is set`}},
		{name: "ak invalid", field: "ak", input: "identities:\n" + strings.Replace(valid, "ak: ALICEAK", "ak: ALICE,AK", 1),
			want: []string{`identity "alice": ak must be`}},
		{name: "token with space", field: "token", input: "identities:\n" + strings.Replace(valid, "token: alice-token", "token: 'alice token'", 1),
			want: []string{`identity "alice": token must be`}},
		{name: "sk with control char", field: "sk", input: "identities:\n" + strings.Replace(valid, "sk: alice-sk", `sk: "alice\tsk"`, 1),
			want: []string{`identity "alice": sk must be`}},
		{name: "token duplicate", field: "token", input: "identities:\n" + valid + strings.NewReplacer("name: alice", "name: bob", "ALICEAK", "AK2").Replace(valid),
			want: []string{`identity "bob": token is also used by identity "alice"`}},
		{name: "ak duplicate", field: "ak", input: "identities:\n" + valid + strings.NewReplacer("name: alice", "name: bob", "alice-token", "t2").Replace(valid),
			want: []string{`identity "bob": ak is also used by identity "alice"`}},
		{name: "rights invalid", field: "rights", input: "identities:\n" + valid + "    rights: admin\n",
			want: []string{`identity "alice": rights must be "full" or "none"`}},
		{name: "several errors", field: "project_id", input: "identities:\n  - {name: x, project_id: short, user_id: '-', rights: all}\n",
			want: []string{"project_id must be", "user_id must be", "token or ak and sk are required", "rights must be"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := identity.Parse([]byte(tt.input))
			require.Error(t, err)
			for _, w := range tt.want {
				require.Contains(t, err.Error(), w)
			}
			for _, secret := range []string{"alice-token", "alice-sk", "alice token", "t2"} {
				require.NotContains(t, err.Error(), secret)
			}
			var fe *identity.FieldError
			if tt.field != "" {
				require.ErrorAs(t, err, &fe)
				require.Equal(t, tt.field, fe.Field)
				require.Positive(t, fe.Line)
			} else {
				require.False(t, errors.As(err, &fe))
			}
		})
	}
}

func TestParseLimits(t *testing.T) {
	big := make([]byte, identity.MaxFileSize+1)
	_, err := identity.Parse(big)
	require.ErrorContains(t, err, "larger than")

	path := filepath.Join(t.TempDir(), "big.yaml")
	require.NoError(t, os.WriteFile(path, append([]byte("# "), big...), 0o600))
	_, err = identity.Load(path)
	require.ErrorContains(t, err, "larger than")

	_, err = identity.Load(filepath.Join(t.TempDir(), "missing.yaml"))
	require.ErrorIs(t, err, os.ErrNotExist)

	var b strings.Builder
	b.WriteString("identities:\n")
	for i := range identity.MaxIdentities + 1 {
		fmt.Fprintf(&b, "  - {name: n%d, project_id: %s, user_id: u, token: t%d}\n", i, p1, i)
	}
	_, err = identity.Parse([]byte(b.String()))
	require.ErrorContains(t, err, "at most 1000")

	// Many errors are cut short.
	b.Reset()
	b.WriteString("identities:\n")
	for range 30 {
		b.WriteString("  - {name: x}\n")
	}
	_, err = identity.Parse([]byte(b.String()))
	require.ErrorContains(t, err, "more errors")
	require.Less(t, strings.Count(err.Error(), "\n"), 25)
}

func TestLoadNamesPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ids.yaml")
	require.NoError(t, os.WriteFile(path, []byte("identities:\n  - {name: x}\n"), 0o600))
	_, err := identity.Load(path)
	require.ErrorContains(t, err, path+": ")
	require.ErrorContains(t, err, `identity "x": project_id is required`)
}

func TestRedaction(t *testing.T) {
	s := identity.Defaults()
	alice, _ := s.ByName("alice")
	values := map[string]any{
		"Identity":  alice,
		"*Identity": &alice,
		"Set":       s,
		"*Set":      &s,
		"slice":     s.All(),
		"map":       map[string]identity.Identity{"a": alice},
		"struct":    struct{ ID identity.Identity }{alice},
	}
	for name, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10v", "%T"} {
			out := fmt.Sprintf(verb, v)
			for _, secret := range s.Secrets() {
				require.NotContains(t, out, secret, "%s with %s: %s", name, verb, out)
			}
		}
	}
	require.Equal(t, "{Name:alice ProjectID:"+p1+" UserID:a11ce000000000000000000000000000 Token:*** AK:ALICEACCESSKEYID0001 SK:*** Rights:full}",
		fmt.Sprintf("%+v", alice))
	require.Contains(t, fmt.Sprintf("%#v", alice), `Token:"***"`)
	require.Contains(t, fmt.Sprint(identity.Identity{Name: "n"}), "Token: AK: SK:", "unset secrets print empty")
}

func TestTable(t *testing.T) {
	out := identity.Defaults().Table()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	require.Len(t, lines, 6)
	require.Equal(t, []string{"NAME", "PROJECT_ID", "USER_ID", "RIGHTS", "AK", "TOKEN"}, strings.Fields(lines[0]))
	require.Equal(t, []string{"bob", p1, "b0b00000000000000000000000000000", "none", "BOBACCESSKEYID000002", "yes"}, strings.Fields(lines[2]))
	for _, secret := range identity.Defaults().Secrets() {
		require.NotContains(t, out, secret)
	}
	s, err := identity.New(identity.Identity{Name: "k", ProjectID: p1, UserID: "u", AK: "A", SK: "S"})
	require.NoError(t, err)
	require.Equal(t, []string{"k", p1, "u", "full", "A", "no"}, strings.Fields(strings.Split(s.Table(), "\n")[1]))
}

func FuzzParse(f *testing.F) {
	example, err := os.ReadFile(filepath.Join("testdata", "identities.yaml"))
	require.NoError(f, err)
	f.Add(example)
	f.Add([]byte("identities:\n" + valid))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := identity.Parse(data)
		if err != nil {
			require.Zero(t, s.Len())
			return
		}
		// Anything accepted is a valid Set and survives a round trip.
		_, err = identity.New(s.All()...)
		require.NoError(t, err)
		out, err := identity.Marshal(s)
		require.NoError(t, err)
		back, err := identity.Parse(out)
		require.NoError(t, err, "%s", out)
		require.Equal(t, s.All(), back.All())
		_ = fmt.Sprintf("%v %+v %#v %s", s, s, s, s.Table())
	})
}
