package importer

// Status is where an import stands (imports.status, docs/api.md). SQL spells the states as
// literals (the CHECK of migration 00004, the queries of this package); status_test.go holds
// every such literal to these constants.
type Status string

const (
	StatusQueued      Status = "queued"       // stored, waiting for a worker to validate it
	StatusValidating  Status = "validating"   // a worker is reading the file into staging
	StatusNeedsReview Status = "needs_review" // more invalid rows than auto-commit allows: an admin decides
	StatusCommitting  Status = "committing"   // accepted, waiting for the worker to commit it
	StatusCommitted   Status = "committed"    // applied; its flags may still be computing (Freshness)
	StatusFailed      Status = "failed"       // the file or its commit failed (failure says why)
	StatusDiscarded   Status = "discarded"    // refused by an admin; nothing applied
)

// Statuses returns the states in the order of docs/api.md, as a new slice each time.
func Statuses() []Status {
	return []Status{StatusQueued, StatusValidating, StatusNeedsReview, StatusCommitting, StatusCommitted,
		StatusFailed, StatusDiscarded}
}
