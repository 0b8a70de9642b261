// Package templates holds the HTML templates: layouts/, partials/ and one file per page under pages/.
package templates

import "embed"

//go:embed layouts partials pages
var FS embed.FS
