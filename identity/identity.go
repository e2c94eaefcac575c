// Package identity reads the identities file shared by "dewconform serve"
// (the mock, which authenticates and authorizes requests with it) and
// "dewconform run" (the harness, which signs or tokens its requests with it).
//
// The file is YAML:
//
//	identities:
//	  - name: alice
//	    project_id: 0123456789abcdef0123456789abcdef
//	    user_id: a11ce000000000000000000000000000
//	    token: alice-token              # X-Auth-Token, optional
//	    ak: ALICEACCESSKEYID0001        # AK/SK, optional as a pair
//	    sk: alice-secret-access-key
//	    rights: full                    # full (default) or none
//
// Tokens and secret keys never appear in errors or in fmt output.
package identity

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"text/tabwriter"

	"gopkg.in/yaml.v3"
)

// Rights is what an identity may do in its own project. Only the mock uses it.
type Rights string

const (
	// RightsFull grants every KMS and CSMS action in the identity's project,
	// like an account administrator. It is the default when rights is omitted,
	// because the harness's main identities are administrators.
	RightsFull Rights = "full"
	// RightsNone grants nothing by itself: the identity acts only through
	// KMS grants made to its user ID.
	RightsNone Rights = "none"
)

// Full reports whether r grants full rights; the empty value means full.
func (r Rights) Full() bool { return r == RightsFull || r == "" }

// Identity is one caller: a project-scoped IAM user with a token, an AK/SK
// pair, or both.
type Identity struct {
	Name      string `yaml:"name"`
	ProjectID string `yaml:"project_id"`
	UserID    string `yaml:"user_id"`
	Token     string `yaml:"token,omitempty"`
	AK        string `yaml:"ak,omitempty"`
	SK        string `yaml:"sk,omitempty"`
	Rights    Rights `yaml:"rights,omitempty"`
}

const (
	// MaxFileSize bounds the identities file.
	MaxFileSize = 1 << 20
	// MaxIdentities bounds the number of identities in a Set.
	MaxIdentities = 1000

	maxTokenLen = 65536 // well above real IAM tokens (a few KiB)
	maxSKLen    = 1024
	maxErrors   = 20 // validation errors reported before "and N more"
	redacted    = "***"
)

var (
	nameRe      = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	projectIDRe = regexp.MustCompile(`^[0-9a-zA-Z]{32,64}$`)
	userIDRe    = regexp.MustCompile(`^[a-zA-Z0-9]{1,64}$`)
	akRe        = regexp.MustCompile(`^[A-Za-z0-9]{1,128}$`)
)

// FieldError is a validation error about one field of one identity.
type FieldError struct {
	Line   int    // line of the identity in the file; 0 if unknown
	Index  int    // position of the identity in the list, from 0
	Name   string // the identity's name, if it has one
	Field  string // the YAML field name
	Reason string // never contains a token or secret key
}

func (e *FieldError) Error() string {
	var b strings.Builder
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Name != "" {
		fmt.Fprintf(&b, "identity %q: ", e.Name)
	} else {
		fmt.Fprintf(&b, "identity #%d: ", e.Index+1)
	}
	fmt.Fprintf(&b, "%s %s", e.Field, e.Reason)
	return b.String()
}

// Set is an ordered collection of identities with unique names, tokens and
// access keys. The zero Set is empty and usable.
type Set struct {
	ids     []Identity
	byName  map[string]int
	byToken map[string]int
	byAK    map[string]int
}

// New validates ids and returns them as a Set, with empty Rights set to
// RightsFull. The error lists every problem found (up to a limit).
func New(ids ...Identity) (Set, error) {
	return newSet(ids, nil)
}

// newSet validates ids; lines, when not nil, holds each identity's line in
// the file for error messages.
func newSet(ids []Identity, lines []int) (Set, error) {
	if len(ids) == 0 {
		return Set{}, errors.New("identity: no identities defined")
	}
	if len(ids) > MaxIdentities {
		return Set{}, fmt.Errorf("identity: %d identities, at most %d allowed", len(ids), MaxIdentities)
	}
	s := Set{
		ids:     slices.Clone(ids),
		byName:  make(map[string]int, len(ids)),
		byToken: make(map[string]int, len(ids)),
		byAK:    make(map[string]int, len(ids)),
	}
	var errs []error
	for i := range s.ids {
		id := &s.ids[i]
		if id.Rights == "" {
			id.Rights = RightsFull
		}
		fail := func(field, reason string, args ...any) {
			fe := &FieldError{Index: i, Field: field, Reason: fmt.Sprintf(reason, args...)}
			if lines != nil {
				fe.Line = lines[i]
			}
			if nameRe.MatchString(id.Name) {
				fe.Name = id.Name
			}
			errs = append(errs, fe)
		}
		validate(id, fail)
		if j, dup := s.byName[id.Name]; dup && id.Name != "" {
			fail("name", "is also used by identity #%d", j+1)
		} else if id.Name != "" {
			s.byName[id.Name] = i
		}
		if id.Token != "" {
			if j, dup := s.byToken[id.Token]; dup {
				fail("token", "is also used by identity %q", s.ids[j].Name)
			} else {
				s.byToken[id.Token] = i
			}
		}
		if id.AK != "" {
			if j, dup := s.byAK[id.AK]; dup {
				fail("ak", "is also used by identity %q", s.ids[j].Name)
			} else {
				s.byAK[id.AK] = i
			}
		}
	}
	if len(errs) > maxErrors {
		errs = append(errs[:maxErrors], fmt.Errorf("and %d more errors", len(errs)-maxErrors))
	}
	if err := errors.Join(errs...); err != nil {
		return Set{}, err
	}
	return s, nil
}

// validate checks one identity's fields on their own; uniqueness is checked
// by newSet. Reasons never quote a token or secret key.
func validate(id *Identity, fail func(field, reason string, args ...any)) {
	switch {
	case id.Name == "":
		fail("name", "is required")
	case !nameRe.MatchString(id.Name):
		fail("name", "must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit")
	}
	switch {
	case id.ProjectID == "":
		fail("project_id", "is required")
	case !projectIDRe.MatchString(id.ProjectID):
		fail("project_id", "must be 32 to 64 ASCII letters or digits")
	}
	switch {
	case id.UserID == "":
		fail("user_id", "is required")
	case !userIDRe.MatchString(id.UserID):
		fail("user_id", "must be 1 to 64 ASCII letters or digits")
	}
	if id.Token != "" && !visibleASCII(id.Token, maxTokenLen) {
		fail("token", "must be at most %d printable ASCII characters without spaces", maxTokenLen)
	}
	if id.AK != "" && !akRe.MatchString(id.AK) {
		fail("ak", "must be 1 to 128 ASCII letters or digits")
	}
	if id.SK != "" && !visibleASCII(id.SK, maxSKLen) {
		fail("sk", "must be at most %d printable ASCII characters without spaces", maxSKLen)
	}
	switch {
	case id.AK != "" && id.SK == "":
		fail("sk", "is required when ak is set")
	case id.AK == "" && id.SK != "":
		fail("ak", "is required when sk is set")
	case id.AK == "" && id.Token == "":
		fail("token", "or ak and sk are required")
	}
	if id.Rights != RightsFull && id.Rights != RightsNone {
		fail("rights", "must be %q or %q", RightsFull, RightsNone)
	}
}

// visibleASCII reports whether s is 1..max bytes of '!'..'~', so it can be
// sent in a header unchanged.
func visibleASCII(s string, max int) bool {
	if len(s) == 0 || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '!' || s[i] > '~' {
			return false
		}
	}
	return true
}

// Defaults returns the mock's documented default identities: alice and dave
// (full rights) and bob and carol (grants only) share one project; eve
// (full rights) is alone in another.
func Defaults() Set {
	const p1, p2 = "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"
	ids := []Identity{
		{Name: "alice", ProjectID: p1, UserID: "a11ce000000000000000000000000000", Rights: RightsFull,
			Token: "alice-token", AK: "ALICEACCESSKEYID0001", SK: "alice-secret-access-key"},
		{Name: "bob", ProjectID: p1, UserID: "b0b00000000000000000000000000000", Rights: RightsNone,
			Token: "bob-token", AK: "BOBACCESSKEYID000002", SK: "bob-secret-access-key"},
		{Name: "carol", ProjectID: p1, UserID: "ca201000000000000000000000000000", Rights: RightsNone,
			Token: "carol-token", AK: "CAROLACCESSKEYID0003", SK: "carol-secret-access-key"},
		{Name: "dave", ProjectID: p1, UserID: "da7e0000000000000000000000000000", Rights: RightsFull,
			Token: "dave-token", AK: "DAVEACCESSKEYID00004", SK: "dave-secret-access-key"},
		{Name: "eve", ProjectID: p2, UserID: "e7e00000000000000000000000000000", Rights: RightsFull,
			Token: "eve-token", AK: "EVEACCESSKEYID000005", SK: "eve-secret-access-key"},
	}
	s, err := New(ids...)
	if err != nil {
		// Unreachable: TestDefaults validates the literal above. Returning an
		// empty Set keeps the no-panic rule.
		return Set{}
	}
	return s
}

// file is the document's shape.
type file struct {
	Identities []entry `yaml:"identities"`
}

// entry decodes one identity, rejecting unknown keys itself (Node.Decode
// cannot be strict) and remembering its line for validation errors.
type entry struct {
	Identity
	line int
}

var knownFields = []string{"name", "project_id", "user_id", "token", "ak", "sk", "rights"}

func (e *entry) UnmarshalYAML(n *yaml.Node) error {
	e.line = n.Line
	if n.Kind != yaml.MappingNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: an identity must be a mapping", n.Line)}}
	}
	var unknown []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; !slices.Contains(knownFields, k.Value) {
			unknown = append(unknown, fmt.Sprintf("line %d: unknown field %q", k.Line, k.Value))
		}
	}
	if len(unknown) > 0 {
		return &yaml.TypeError{Errors: unknown}
	}
	return n.Decode(&e.Identity)
}

// Parse decodes and validates an identities file (see the package doc).
// Unknown fields, duplicate keys, type mismatches and invalid values are
// errors naming the line, identity and field.
func Parse(data []byte) (s Set, err error) {
	if len(data) > MaxFileSize {
		return Set{}, fmt.Errorf("identity: file larger than %d bytes", MaxFileSize)
	}
	// yaml.v3 reports some malformed input by panicking internally; it
	// recovers most of it, and this keeps the no-panic promise for the rest.
	defer func() {
		if r := recover(); r != nil {
			s, err = Set{}, errors.New("identity: invalid yaml")
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f file
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return Set{}, errors.New("identity: no identities defined")
		}
		return Set{}, decodeError(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return Set{}, errors.New("identity: more than one yaml document")
	}
	ids := make([]Identity, len(f.Identities))
	lines := make([]int, len(f.Identities))
	for i, e := range f.Identities {
		ids[i], lines[i] = e.Identity, e.line
	}
	s, err = newSet(ids, lines)
	if err != nil {
		return Set{}, err
	}
	return s, nil
}

var (
	unknownFieldRe = regexp.MustCompile(`^(line \d+): field (.*) not found in type \S+$`)
	// yaml.v3 quotes up to ten bytes of the offending value, which could be
	// part of a token or secret key, between the tag and the target type.
	cannotUnmarshalRe = regexp.MustCompile(`^(line \d+): cannot unmarshal (!!\w+)`)
)

// decodeError rewrites yaml.v3 errors into messages that name lines and
// fields in the file's terms and never quote values.
func decodeError(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return errors.New(withPrefix(strings.TrimPrefix(err.Error(), "yaml: ")))
	}
	msgs := make([]string, 0, len(te.Errors))
	for _, m := range te.Errors {
		if sub := unknownFieldRe.FindStringSubmatch(m); sub != nil {
			m = fmt.Sprintf("%s: unknown field %q", sub[1], sub[2])
		} else if sub := cannotUnmarshalRe.FindStringSubmatch(m); sub != nil {
			want := "a string"
			switch target := m[strings.LastIndex(m, " into ")+len(" into "):]; {
			case strings.HasPrefix(target, "[]"):
				want = "a list"
			case target == "identity.file":
				want = "a mapping with an identities list"
			}
			m = fmt.Sprintf("%s: found %s where %s is expected", sub[1], sub[2], want)
		}
		msgs = append(msgs, withPrefix(m))
	}
	return errors.New(strings.Join(msgs, "\n"))
}

// withPrefix names the package in a message unless it starts with a line
// number, matching the FieldError form "line N: identity ...: ...".
func withPrefix(msg string) string {
	if strings.HasPrefix(msg, "line ") {
		return msg
	}
	return "identity: " + msg
}

// Load reads and parses the identities file at path.
func Load(path string) (Set, error) {
	f, err := os.Open(path)
	if err != nil {
		return Set{}, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return Set{}, err
	}
	s, err := Parse(data)
	if err != nil {
		return Set{}, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// Marshal encodes s as an identities file that Parse reads back to an
// equal Set. The output contains the tokens and secret keys.
func Marshal(s Set) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(struct {
		Identities []Identity `yaml:"identities"`
	}{s.ids}); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Len is the number of identities.
func (s Set) Len() int { return len(s.ids) }

// All returns a copy of the identities, in file order.
func (s Set) All() []Identity { return slices.Clone(s.ids) }

// Names returns the identity names, in file order.
func (s Set) Names() []string {
	names := make([]string, len(s.ids))
	for i, id := range s.ids {
		names[i] = id.Name
	}
	return names
}

func (s Set) lookup(m map[string]int, key string) (Identity, bool) {
	i, ok := m[key]
	if !ok || key == "" {
		return Identity{}, false
	}
	return s.ids[i], true
}

// ByName returns the identity with that name.
func (s Set) ByName(name string) (Identity, bool) { return s.lookup(s.byName, name) }

// ByToken returns the identity whose token is token; "" never matches.
func (s Set) ByToken(token string) (Identity, bool) { return s.lookup(s.byToken, token) }

// ByAK returns the identity whose access key is ak; "" never matches.
func (s Set) ByAK(ak string) (Identity, bool) { return s.lookup(s.byAK, ak) }

// SecretKey returns the secret key of an access key; it has the shape of
// the lookup function aksk.Verify takes.
func (s Set) SecretKey(ak string) (string, bool) {
	id, ok := s.ByAK(ak)
	return id.SK, ok && id.SK != ""
}

// Primary is the identity the harness acts as by default: "alice" if
// present, else the first one. ok is false for an empty Set.
func (s Set) Primary() (id Identity, ok bool) {
	if id, ok := s.ByName("alice"); ok {
		return id, true
	}
	if len(s.ids) == 0 {
		return Identity{}, false
	}
	return s.ids[0], true
}

// Secrets returns every token and secret key in s, for redacting logs and
// reports. Access keys are identifiers, not secrets, and are not included.
func (s Set) Secrets() []string {
	var out []string
	for _, id := range s.ids {
		for _, v := range []string{id.Token, id.SK} {
			if v != "" && !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
	}
	return out
}

// Table renders s as an aligned, human-readable table without tokens or
// secret keys (only whether a token is set).
func (s Set) Table() string {
	var buf bytes.Buffer
	w := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tPROJECT_ID\tUSER_ID\tRIGHTS\tAK\tTOKEN")
	for _, id := range s.ids {
		ak, token, rights := id.AK, "no", id.Rights
		if ak == "" {
			ak = "-"
		}
		if id.Token != "" {
			token = "yes"
		}
		if rights == "" {
			rights = RightsFull
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", id.Name, id.ProjectID, id.UserID, rights, ak, token)
	}
	w.Flush()
	return buf.String()
}

func redact(v string) string {
	if v == "" {
		return ""
	}
	return redacted
}

// String prints the identity with its token and secret key replaced by ***.
func (id Identity) String() string {
	return fmt.Sprintf("{Name:%s ProjectID:%s UserID:%s Token:%s AK:%s SK:%s Rights:%s}",
		id.Name, id.ProjectID, id.UserID, redact(id.Token), id.AK, redact(id.SK), id.Rights)
}

// GoString is the %#v form, redacted like String.
func (id Identity) GoString() string {
	return fmt.Sprintf("identity.Identity{Name:%q, ProjectID:%q, UserID:%q, Token:%q, AK:%q, SK:%q, Rights:%q}",
		id.Name, id.ProjectID, id.UserID, redact(id.Token), id.AK, redact(id.SK), string(id.Rights))
}

// Format routes every verb through String or GoString, so that no verb
// (%v, %+v, %#v, %s, %q, %x, %d, ...) prints a token or secret key.
func (id Identity) Format(f fmt.State, verb rune) {
	format(f, verb, id.String(), id.GoString())
}

// String prints the identities, redacted.
func (s Set) String() string {
	parts := make([]string, len(s.ids))
	for i, id := range s.ids {
		parts[i] = id.String()
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// GoString is the %#v form, redacted.
func (s Set) GoString() string {
	parts := make([]string, len(s.ids))
	for i, id := range s.ids {
		parts[i] = id.GoString()
	}
	return "identity.Set{" + strings.Join(parts, ", ") + "}"
}

// Format keeps the Set's unexported identities out of fmt's reflection,
// which would print them unredacted.
func (s Set) Format(f fmt.State, verb rune) {
	format(f, verb, s.String(), s.GoString())
}

func format(f fmt.State, verb rune, str, gostr string) {
	switch {
	case verb == 'v' && f.Flag('#'):
		io.WriteString(f, gostr)
	case verb == 'q':
		fmt.Fprintf(f, "%q", str)
	default:
		io.WriteString(f, str)
	}
}
