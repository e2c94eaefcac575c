package steps

// maxExempt bounds Exempt: a waiver list that grows is a list of operations nobody tests.
const maxExempt = 5

// Exempt lists the operations of the registry (by slug) that may, for now, have no scenario and no call
// answered a documented 2xx by the suite, each with the reason. The guards (features_test, the
// conformance tests) fail for any other operation without them, and for an entry here once its
// operation has them. Empty: every operation has scenarios.
func Exempt() map[string]string {
	return map[string]string{}
}

// MaxExempt is how many entries Exempt may hold.
func MaxExempt() int { return maxExempt }
