// Package static holds the CSS, scripts and vendored libraries, served under /static/.
package static

import "embed"

//go:embed css js vendor field favicon.ico
var FS embed.FS
