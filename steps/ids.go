package steps

import "github.com/dewconform/dewconform/identity"

func lookupIdentity(set identity.Set, name string) (identity.Identity, bool) {
	return set.ByName(name)
}

func identityNames(set identity.Set) []string { return set.Names() }

func primaryName(set identity.Set) string {
	if id, ok := set.Primary(); ok {
		return id.Name
	}
	return ""
}
