package importer

import (
	"context"
	"time"
)

// FlagsStatus says whether the flags an import feeds are written yet. Flags are computed after
// the commit, in batches; only a settled import (settled_at set, in the same transaction as the
// last flags it waited for) is current.
type FlagsStatus string

const (
	FlagsPending   FlagsStatus = "pending"
	FlagsComputing FlagsStatus = "computing"
	FlagsCurrent   FlagsStatus = "current"
)

// Freshness is the state of an import's flags as the API and the page show it.
type Freshness struct {
	Status    FlagsStatus `json:"flags_status"`
	Done      int         `json:"done"`
	Queued    int         `json:"queued"`
	SettledAt *time.Time  `json:"settled_at"`
}

// Freshness reads how far the flags of imp have come. The queue is shared by every import:
// what is still in it is counted against this import's total.
func (im *Importer) Freshness(ctx context.Context, imp *Import) (Freshness, error) {
	f := Freshness{Status: FlagsPending, Queued: imp.FlagsQueued, SettledAt: imp.SettledAt}
	switch {
	case imp.SettledAt != nil:
		f.Status, f.Done, f.Queued = FlagsCurrent, imp.FlagsQueued, 0
		return f, nil
	case imp.Status != StatusCommitted:
		return f, nil
	}
	var left int
	if err := im.db.GetContext(ctx, &left, `SELECT count(*) FROM flag_queue`); err != nil {
		return f, err
	}
	left = min(left, imp.FlagsQueued)
	f.Done, f.Queued = imp.FlagsQueued-left, left
	if f.Done > 0 || left == 0 {
		f.Status = FlagsComputing
	}
	return f, nil
}

// FlagsState is what the employers list says of the flags it shows (docs/api.md): when an
// import last settled, and whether every committed import has settled and no employer waits in
// the queue, i.e. whether the flags listed are all current.
type FlagsState struct {
	SettledAt *time.Time `db:"settled_at" json:"flags_settled_at"`
	Current   bool       `db:"current" json:"flags_current"`
}

// FlagsState reads the state of the flags of every import.
func (im *Importer) FlagsState(ctx context.Context) (FlagsState, error) {
	var s FlagsState
	err := im.db.GetContext(ctx, &s, `SELECT (SELECT max(settled_at) FROM imports) AS settled_at,
		NOT EXISTS (SELECT 1 FROM imports WHERE status IN ('committing', 'committed') AND settled_at IS NULL)
		AND NOT EXISTS (SELECT 1 FROM flag_queue) AS current`)
	return s, err
}
