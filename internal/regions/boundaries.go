package regions

import (
	"bytes"
	"compress/gzip"
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"

	"patuh/internal/apperr"
	"patuh/internal/auth"
	"patuh/internal/web"
)

// Attribution is owed on every map that draws the boundaries (boundaries/README.md, CC BY-IGO).
const Attribution = "Batas wilayah: BPS / OCHA HDX (CC BY-IGO)"

// KepulauanSeribu lies some 60 km north of the mainland: maps draw it in an inset.
const KepulauanSeribu = "31.01"

//go:embed boundaries/*.geojson
var boundaryFS embed.FS

// Levels are the boundary layers, by the length of their codes.
var Levels = map[string]int{"kota": len("31.71"), "kecamatan": len("31.71.01"), "kelurahan": len("31.71.01.1001")}

// Boundary is one region's outline: polygons, each a list of rings of [lon, lat] points.
type Boundary struct {
	Kode     string
	Nama     string
	Polygons [][][][2]float64
	geometry json.RawMessage
}

var (
	boundaryOnce sync.Once
	boundaries   map[string][]Boundary
	boundaryErr  error
)

type featureCollection struct {
	Features []struct {
		Properties struct {
			Kode string `json:"kode"`
			Nama string `json:"nama"`
		} `json:"properties"`
		Geometry json.RawMessage `json:"geometry"`
	} `json:"features"`
}

func loadBoundaries() {
	boundaries = map[string][]Boundary{}
	for level := range Levels {
		raw, err := boundaryFS.ReadFile("boundaries/jakarta_" + level + ".geojson")
		if err != nil {
			boundaryErr = err
			return
		}
		var fc featureCollection
		if err := json.Unmarshal(raw, &fc); err != nil {
			boundaryErr = fmt.Errorf("regions: %s boundaries: %w", level, err)
			return
		}
		for _, f := range fc.Features {
			var g struct {
				Type        string          `json:"type"`
				Coordinates json.RawMessage `json:"coordinates"`
			}
			if err := json.Unmarshal(f.Geometry, &g); err != nil {
				boundaryErr = err
				return
			}
			b := Boundary{Kode: f.Properties.Kode, Nama: f.Properties.Nama, geometry: f.Geometry}
			switch g.Type {
			case "Polygon":
				var p [][][2]float64
				boundaryErr = json.Unmarshal(g.Coordinates, &p)
				b.Polygons = [][][][2]float64{p}
			case "MultiPolygon":
				boundaryErr = json.Unmarshal(g.Coordinates, &b.Polygons)
			default:
				boundaryErr = fmt.Errorf("regions: %s: geometry %s", b.Kode, g.Type)
			}
			if boundaryErr != nil {
				return
			}
			boundaries[level] = append(boundaries[level], b)
		}
	}
}

// Boundaries returns the outlines of a level that lie inside parent (a code prefix, or "") and
// inside the user's area.
func Boundaries(u *auth.User, level, parent string) ([]Boundary, error) {
	if _, ok := Levels[level]; !ok {
		return nil, apperr.Fields(map[string]string{"level": "dashboard.level_invalid"})
	}
	boundaryOnce.Do(loadBoundaries)
	if boundaryErr != nil {
		return nil, boundaryErr
	}
	out := []Boundary{}
	for _, b := range boundaries[level] {
		// A kecamatan inspector asking for kota sees no kota: a kota outline would suggest
		// figures for the whole kota.
		if strings.HasPrefix(b.Kode, parent) && u.Covers(b.Kode) {
			out = append(out, b)
		}
	}
	return out, nil
}

// GeoJSON writes boundaries as a FeatureCollection whose features carry kode and nama.
func GeoJSON(bs []Boundary) ([]byte, error) {
	type props struct {
		Kode string `json:"kode"`
		Nama string `json:"nama"`
	}
	type feature struct {
		Type       string          `json:"type"`
		Properties props           `json:"properties"`
		Geometry   json.RawMessage `json:"geometry"`
	}
	fc := struct {
		Type        string    `json:"type"`
		Attribution string    `json:"attribution"`
		Features    []feature `json:"features"`
	}{Type: "FeatureCollection", Attribution: Attribution, Features: make([]feature, 0, len(bs))}
	for _, b := range bs {
		fc.Features = append(fc.Features, feature{Type: "Feature", Properties: props{b.Kode, b.Nama}, Geometry: b.geometry})
	}
	return json.Marshal(fc)
}

// BoundariesHandler serves GET /api/v1/regions/boundaries?level=kota|kecamatan|kelurahan
// (&parent=) and the same for the dashboard page, which has a session and no token.
func BoundariesHandler(c *gin.Context) {
	bs, err := Boundaries(auth.Current(c), c.DefaultQuery("level", "kota"), c.Query("parent"))
	if err != nil {
		web.Error(c, err)
		return
	}
	body, err := GeoJSON(bs)
	if err != nil {
		web.Error(c, err)
		return
	}
	// Outlines hold no personal data and change with a release: a browser may keep them.
	c.Header("Cache-Control", "private, max-age=3600")
	c.Header("Vary", "Accept-Encoding")
	// The 267 kelurahan are 226 kB of coordinates, 64 kB gzipped: worth it on a phone.
	if strings.Contains(c.GetHeader("Accept-Encoding"), "gzip") {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		if _, err := zw.Write(body); err == nil && zw.Close() == nil {
			c.Header("Content-Encoding", "gzip")
			c.Data(http.StatusOK, "application/geo+json", buf.Bytes())
			return
		}
	}
	c.Data(http.StatusOK, "application/geo+json", body)
}
