// Package features holds the Gherkin statement of DEW's documented rules, one feature file per
// operation under test, embedded so that a single binary can run the suite with no checkout present.
package features

import "embed"

// FS holds every feature file, under kms/ and csms/. The runner passes it as godog.Options.FS.
//
//go:embed kms csms
var FS embed.FS
