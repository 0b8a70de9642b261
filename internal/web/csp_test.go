package web

import "testing"

func TestTileOrigin(t *testing.T) {
	for in, want := range map[string]string{
		"": "",
		"https://tiles.example.go.id/{z}/{x}/{y}.png":     "https://tiles.example.go.id",
		"https://{s}.tile.example.org/{z}/{x}/{y}{r}.png": "https://*.tile.example.org",
		"javascript:alert(1)":                             "",
	} {
		if got := tileOrigin(in); got != want {
			t.Errorf("tileOrigin(%q) = %q, want %q", in, got, want)
		}
	}
}
