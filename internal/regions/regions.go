// Package regions serves Jakarta's kota, kecamatan and kelurahan (Kemendagri codes), loaded by
// migration from internal/refdata/jakarta_wilayah.csv.
package regions

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"

	"patuh/internal/apperr"
	"patuh/internal/auth"
	"patuh/internal/db"
	"patuh/internal/web"
)

// Region is one row with the number of regions under it.
type Region struct {
	Kode       string `db:"kode"`
	Nama       string `db:"nama"`
	Level      string `db:"level"`
	ParentKode string `db:"parent_kode"`
	Kecamatan  int    `db:"kecamatan"`
	Kelurahan  int    `db:"kelurahan"`
}

type Store struct{ db *sqlx.DB }

func NewStore(d *sqlx.DB) *Store { return &Store{db: d} }

const regionColumns = `r.kode, r.nama, r.level, r.parent_kode,
	(SELECT count(*) FROM regions c WHERE c.level = 'kecamatan' AND c.kode LIKE r.kode || '.%') AS kecamatan,
	(SELECT count(*) FROM regions c WHERE c.level = 'kelurahan' AND c.kode LIKE r.kode || '.%') AS kelurahan`

// Top lists the highest regions a user may see: every kota, or the user's own area.
func (s *Store) Top(ctx context.Context, area string) ([]Region, error) {
	var out []Region
	err := s.db.SelectContext(ctx, &out, `SELECT `+regionColumns+` FROM regions r
		WHERE ($1 = '' AND r.level = 'kota') OR r.kode = $1 ORDER BY r.kode`, area)
	return out, db.NotFoundOr(err, "regions: top")
}

func (s *Store) Get(ctx context.Context, kode string) (*Region, error) {
	var r Region
	if err := s.db.GetContext(ctx, &r, `SELECT `+regionColumns+` FROM regions r WHERE r.kode = $1`, kode); err != nil {
		return nil, db.NotFoundOr(err, "regions: get")
	}
	return &r, nil
}

func (s *Store) Children(ctx context.Context, kode string) ([]Region, error) {
	var out []Region
	err := s.db.SelectContext(ctx, &out, `SELECT `+regionColumns+` FROM regions r WHERE r.parent_kode = $1 ORDER BY r.kode`, kode)
	return out, db.NotFoundOr(err, "regions: children")
}

type Handler struct{ Store *Store }

func (h *Handler) Register(g *gin.RouterGroup) {
	g.GET("/regions", h.index)
	g.GET("/regions/:kode", h.show)
}

func (h *Handler) index(c *gin.Context) {
	u := auth.Current(c)
	top, err := h.Store.Top(c.Request.Context(), u.Area)
	if err != nil {
		web.Error(c, err)
		return
	}
	var kec, kel int
	for _, r := range top {
		kec += r.Kecamatan
		kel += r.Kelurahan
		if r.Level == "kecamatan" {
			kec++
		}
	}
	web.HTML(c, http.StatusOK, "regions/index", gin.H{"Regions": top, "Kecamatan": kec, "Kelurahan": kel})
}

func (h *Handler) show(c *gin.Context) {
	ctx := c.Request.Context()
	kode := c.Param("kode")
	// Outside the user's area, a region behaves as if it did not exist.
	if !auth.Current(c).Covers(kode) {
		web.Error(c, apperr.New(apperr.NotFound, "error.not_found"))
		return
	}
	r, err := h.Store.Get(ctx, kode)
	if err != nil {
		web.Error(c, err)
		return
	}
	children, err := h.Store.Children(ctx, kode)
	if err != nil {
		web.Error(c, err)
		return
	}
	var parent *Region
	if r.Level != "kota" && auth.Current(c).Covers(r.ParentKode) {
		if parent, err = h.Store.Get(ctx, r.ParentKode); err != nil {
			web.Error(c, err)
			return
		}
	}
	web.HTML(c, http.StatusOK, "regions/show", gin.H{"Region": r, "Children": children, "Parent": parent})
}

// Areas lists the regions a user's area may be (every kota and kecamatan), in code order: a
// kecamatan follows its kota.
func (s *Store) Areas(ctx context.Context) ([]Region, error) {
	out := []Region{}
	err := s.db.SelectContext(ctx, &out, `SELECT r.kode, r.nama, r.level, r.parent_kode, 0 AS kecamatan, 0 AS kelurahan
		FROM regions r WHERE r.level IN ('kota', 'kecamatan') ORDER BY r.kode`)
	return out, db.NotFoundOr(err, "regions: areas")
}
