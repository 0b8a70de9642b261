package app_test

import (
	"context"
	_ "embed"
	"encoding/json"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"patuh/internal/auth"
	"patuh/internal/browsertest"
	"patuh/internal/db/dbtest"
)

// axeSource is axe-core (testdata/README.md), injected into each page under test.
//
//go:embed testdata/axe.min.js
var axeSource string

// axeViolation is what the test reports of one failed rule.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// axeCheck runs axe-core on the page the tab shows (WCAG 2.x A and AA rules) and fails the
// test for every serious or critical violation (issue 16).
func axeCheck(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](axeSource+";true")); err != nil {
		t.Fatalf("%s: inject axe-core: %v", page, err)
	}
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](`axe.run(document, {
		runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
		resultTypes: ["violations"]
	}).then(r => JSON.stringify(r.violations.filter(v => v.impact === "serious" || v.impact === "critical").map(v => ({
		id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " :: " + n.failureSummary)
	})))) `, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: axe-core: %v", page, err)
	}
	var violations []axeViolation
	if err := json.Unmarshal([]byte(out), &violations); err != nil {
		t.Fatalf("%s: axe-core answered %q", page, out)
	}
	for _, v := range violations {
		t.Errorf("%s: %s (%s): %s\n    %s", page, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n    "))
	}
}

// TestAccessibilityOfTheMainPages runs axe-core on the main pages of every role, on a desk and
// on a phone: 0 serious or critical violations.
func TestAccessibilityOfTheMainPages(t *testing.T) {
	caseID, inspector := fieldCase(t)
	srv := server(t)
	supervisor := addUser(t, auth.Supervisor, "31.75")
	admin := addUser(t, auth.Admin, "")
	var employerID, importID int64
	if err := dbtest.DB(t).Get(&employerID, `SELECT employer_id FROM cases WHERE id = $1`, caseID); err != nil {
		t.Fatal(err)
	}
	if err := dbtest.DB(t).Get(&importID, `SELECT max(id) FROM imports`); err != nil {
		t.Fatal(err)
	}
	cs, emp, imp := "/cases/"+itoa(caseID), "/employers/"+itoa(employerID), "/imports/"+itoa(importID)
	roles := []struct {
		user  string
		pages []string
	}{
		{"", []string{"/login"}},
		{inspector, []string{"/", "/cases", cs, emp, "/employers"}},
		{supervisor, []string{"/", "/employers", emp, "/employers?area=nowhere", "/cases", cs, "/review", "/dashboard"}},
		{admin, []string{"/", "/imports", imp, "/dashboard"}},
	}
	for _, size := range []struct{ w, h int }{{1280, 900}, {390, 844}} {
		for _, r := range roles {
			ctx := browsertest.New(t, size.w, size.h)
			if r.user != "" {
				browsertest.Run(t, ctx, browserLogin(srv.URL, r.user), chromedp.WaitVisible(chromedp.CSS("nav.nav")))
			}
			for _, p := range r.pages {
				browsertest.Run(t, ctx, chromedp.Navigate(srv.URL+p), chromedp.WaitVisible(chromedp.CSS("main")))
				who := r.user
				if who == "" {
					who = "anonymous"
				}
				name := who + " " + p + " at " + itoa(int64(size.w)) + " px"
				axeCheck(t, ctx, name)
				layoutCheck(t, ctx, name)
			}
		}
	}
}

// layoutCheck asserts what axe-core does not: the skip link comes first and leads to the
// content, every <summary> shows a disclosure marker, and the language buttons are at least
// 24 × 24 px (issue 16).
func layoutCheck(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	problems, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => {
		const out = [];
		const first = document.querySelector("body a, body button, body input, body select, body textarea");
		if (!first || !first.classList.contains("skip-link") || first.getAttribute("href") !== "#main" || !document.getElementById("main"))
			out.push("the first focusable element is not a skip link to #main");
		document.querySelectorAll("summary").forEach(s => {
			const marker = getComputedStyle(s, "::before").content;
			if (!marker || marker === "none" || marker === "normal" || marker === '""') out.push("summary without a marker: " + s.textContent.trim());
		});
		document.querySelectorAll(".lang button").forEach(b => {
			const r = b.getBoundingClientRect();
			if (r.width < 24 || r.height < 24) out.push("language button " + b.value + " is " + r.width.toFixed(1) + "×" + r.height.toFixed(1) + " px");
		});
		return out;
	})()`))
	if err != nil {
		t.Fatalf("%s: layout check: %v", page, err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", page, p)
	}
}
