package web

import "testing"

// The open redirect of issue 14: every form a browser may read as another origin goes home.
func TestLocalPathRefusesOtherOrigins(t *testing.T) {
	for _, p := range []string{
		"", "evil.example", "http://evil.example/", "https://evil.example", "//evil.example",
		"/%09/evil.example", "/\t/evil.example", "/\\evil.example", "/\\/evil.example", "\\\\evil.example",
		"/%5Cevil.example", "/%5c%5cevil.example", "/%2F/evil.example", "/%2f%2fevil.example",
		"/\n/evil.example", "/%0a/evil.example", "/%00", "javascript:alert(1)", "/x?next=%5C%5Cevil",
		"///evil.example", " /cases", "/%zz",
	} {
		if got := LocalPath(p); got != "/" {
			t.Errorf("LocalPath(%q) = %q, want /", p, got)
		}
	}
	for _, p := range []string{"/", "/cases", "/cases/12?tab=visits", "/employers?q=PT%20Maju&area=31.71", "/cases/12#bap"} {
		if got := LocalPath(p); got != p {
			t.Errorf("LocalPath(%q) = %q, want it kept", p, got)
		}
	}
}
