package audit

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// Filter selects audit records for the audit viewer; empty fields select everything.
type Filter struct {
	Actor    string // exact actor name
	Action   string // exact action, or a prefix ending in "." (e.g. "case.")
	Entity   string
	EntityID string
	From, To time.Time // To is exclusive; zero means open
	Limit    int
	BeforeID int64 // paging: records older than this id
}

// Logged is one row of the audit log as the viewer shows it.
type Logged struct {
	ID       int64     `db:"id"`
	At       time.Time `db:"at"`
	Actor    string    `db:"actor"`
	Action   string    `db:"action"`
	Entity   string    `db:"entity"`
	EntityID string    `db:"entity_id"`
	Detail   string    `db:"detail"`
}

func (f Filter) where() (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		conds = append(conds, strings.ReplaceAll(cond, "?", fmt.Sprintf("$%d", len(args))))
	}
	if f.Actor != "" {
		add("actor = ?", f.Actor)
	}
	if strings.HasSuffix(f.Action, ".") {
		add("starts_with(action, ?)", f.Action)
	} else if f.Action != "" {
		add("action = ?", f.Action)
	}
	if f.Entity != "" {
		add("entity = ?", f.Entity)
	}
	if f.EntityID != "" {
		add("entity_id = ?", f.EntityID)
	}
	if !f.From.IsZero() {
		add("at >= ?", f.From)
	}
	if !f.To.IsZero() {
		add("at < ?", f.To)
	}
	if f.BeforeID > 0 {
		add("id < ?", f.BeforeID)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// Query returns the newest records that match, newest first, up to f.Limit (100 if unset).
func Query(ctx context.Context, q sqlx.QueryerContext, f Filter) ([]Logged, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	where, args := f.where()
	out := []Logged{}
	err := sqlx.SelectContext(ctx, q, &out, `SELECT id, at, actor, action, entity, entity_id, detail::text AS detail
		FROM audit_log`+where+fmt.Sprintf(" ORDER BY id DESC LIMIT %d", f.Limit), args...)
	if err != nil {
		return nil, fmt.Errorf("audit: query: %w", err)
	}
	return out, nil
}

// Each streams every matching record, newest first, for exports of any size.
func Each(ctx context.Context, q sqlx.QueryerContext, f Filter, fn func(Logged) error) error {
	where, args := f.where()
	rows, err := q.QueryxContext(ctx, `SELECT id, at, actor, action, entity, entity_id, detail::text AS detail
		FROM audit_log`+where+" ORDER BY id DESC", args...)
	if err != nil {
		return fmt.Errorf("audit: export: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r Logged
		if err := rows.StructScan(&r); err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Get returns one record.
func Get(ctx context.Context, q sqlx.QueryerContext, id int64) (*Logged, error) {
	var r Logged
	err := sqlx.GetContext(ctx, q, &r, `SELECT id, at, actor, action, entity, entity_id, detail::text AS detail FROM audit_log WHERE id = $1`, id)
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// Choices lists the distinct actors, actions and entities in the log, for the filter's pickers.
func Choices(ctx context.Context, q sqlx.QueryerContext) (actors, actions, entities []string, err error) {
	for _, c := range []struct {
		col string
		out *[]string
	}{{"actor", &actors}, {"action", &actions}, {"entity", &entities}} {
		// A loose index scan: one index probe per distinct value, not a read of the whole log.
		if err = sqlx.SelectContext(ctx, q, c.out, `WITH RECURSIVE t (v) AS (
			SELECT min(`+c.col+`) FROM audit_log
			UNION ALL SELECT (SELECT min(`+c.col+`) FROM audit_log WHERE `+c.col+` > t.v) FROM t WHERE t.v IS NOT NULL)
			SELECT v FROM t WHERE v IS NOT NULL`); err != nil {
			return nil, nil, nil, fmt.Errorf("audit: choices: %w", err)
		}
	}
	return actors, actions, entities, nil
}
