package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"reflect"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"patuh/internal/i18n"
)

// Renderer holds one parsed template set per page: the layout, every partial and that page.
// gin's LoadHTMLFS would put all pages in one namespace where each page's "content" block
// overwrites the others.
type Renderer struct {
	pages  map[string]*template.Template
	bundle *i18n.Bundle
}

// NewRenderer parses every page under pages/ now, so a broken template stops start-up.
func NewRenderer(fsys fs.FS, bundle *i18n.Bundle) (*Renderer, error) {
	partials, err := fs.Glob(fsys, "partials/*.html")
	if err != nil {
		return nil, err
	}
	r := &Renderer{pages: map[string]*template.Template{}, bundle: bundle}
	err = fs.WalkDir(fsys, "pages", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".html") {
			return err
		}
		name := strings.TrimSuffix(strings.TrimPrefix(p, "pages/"), ".html")
		files := append([]string{"layouts/base.html"}, partials...)
		files = append(files, p)
		t, err := template.New(path.Base(files[0])).Funcs(funcs(bundle.For(""))).ParseFS(fsys, files...)
		if err != nil {
			return fmt.Errorf("template %s: %w", name, err)
		}
		r.pages[name] = t
		return nil
	})
	return r, err
}

// HTML renders a page in the shared layout with the request's language.
func HTML(c *gin.Context, status int, page string, data gin.H) {
	if data == nil {
		data = gin.H{}
	}
	data["Viewer"] = viewer(c)
	data["Flash"] = takeFlash(c)
	data["FlashN"], data["FlashName"] = takeFlashArgs(c)
	data["Path"] = c.Request.URL.Path
	data["RequestID"] = c.GetString(requestIDKey)
	if b, ok := c.Get(bannerKey); ok {
		data["Banner"] = b
	}
	render(c, status, page, "base", data)
}

const bannerKey = "web.banner"

// Banner is a warning shown at the top of every page of a request, already in the reader's
// language, with where to go to deal with it.
type Banner struct {
	Text     string
	Link     string
	LinkText string
}

// SetBanner shows b at the top of the page this request renders.
func SetBanner(c *gin.Context, b Banner) { c.Set(bannerKey, b) }

// Partial renders one named template of a page's set without the layout, for htmx requests.
func Partial(c *gin.Context, status int, page, name string, data gin.H) {
	render(c, status, page, name, data)
}

// render executes into a buffer first, so a template error becomes a clean 500 instead of
// half a page.
func render(c *gin.Context, status int, page, name string, data gin.H) {
	r := c.MustGet(rendererKey).(*Renderer)
	t, ok := r.pages[page]
	var err error
	if ok {
		var clone *template.Template
		if clone, err = t.Clone(); err == nil {
			loc := Localizer(c)
			clone.Funcs(funcs(loc))
			data["Lang"] = loc.Lang
			var buf bytes.Buffer
			if err = clone.ExecuteTemplate(&buf, name, data); err == nil {
				c.Data(status, "text/html; charset=utf-8", buf.Bytes())
				return
			}
		}
	}
	slog.ErrorContext(c.Request.Context(), "render failed", "page", page, "template", name, "known", ok, "err", err)
	c.String(http.StatusInternalServerError, "internal error")
}

func funcs(loc *i18n.Localizer) template.FuncMap {
	return template.FuncMap{
		"t":         loc.T,
		"num":       FormatNumber,
		"rp":        FormatRupiah,
		"date":      func(v any) string { return FormatDate(v, loc.Lang) },
		"langs":     func() []string { return i18n.Languages },
		"hasPrefix": strings.HasPrefix,
		// lower takes any string kind, so a typed code (flags.Code) is shown without conversion.
		"lower": func(v any) (string, error) {
			if rv := reflect.ValueOf(v); rv.Kind() == reflect.String {
				return strings.ToLower(rv.String()), nil
			}
			return "", fmt.Errorf("lower: %T is not a string", v)
		},
		// localize renders a value that knows its words (a flag's detail) in the page's language.
		"localize": func(v interface{ Text(*i18n.Localizer) string }) string { return v.Text(loc) },
		// dict passes several values to a partial: dict "Key" value "Key2" value2.
		"dict": func(pairs ...any) map[string]any {
			m := make(map[string]any, len(pairs)/2)
			for i := 0; i+1 < len(pairs); i += 2 {
				m[fmt.Sprint(pairs[i])] = pairs[i+1]
			}
			return m
		},
		// hasLine tells whether a kept form value (several values joined by newlines) holds v.
		"hasLine": func(lines, v string) bool { return slices.Contains(strings.Split(lines, "\n"), v) },
		"deref": func(v any) any {
			switch x := v.(type) {
			case *string:
				if x != nil {
					return *x
				}
			case *int:
				if x != nil {
					return *x
				}
			case *int64:
				if x != nil {
					return *x
				}
			case *float64:
				if x != nil {
					return *x
				}
			default:
				return v
			}
			return ""
		},
	}
}
