package app_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"strings"
	"testing"
	"time"

	"patuh/internal/auth"
	"patuh/internal/db/dbtest"
)

// TestImportErrorsMaskNIKs: the row errors of an import (errors.csv, the API) show NIKs under
// the one rule of internal/pdp: masked by default, a mistyped NIK masked whole, and in full only
// for an admin who asks with ?unmask=nik, a download that is audited.
func TestImportErrorsMaskNIKs(t *testing.T) {
	srv := server(t)
	c := newClient(t, srv)
	tok := token(t, addUser(t, auth.Admin, ""))
	const badDate, tooShort = "3171019913900001", "317101010190001"
	data := "nib,npwp,nik,nama,upah,mulai_bekerja\n" +
		"2700000000001,," + badDate + ",Satu,6000000,\n" +
		"2700000000001,," + tooShort + ",Dua,6000000,\n"
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fw, _ := w.CreateFormFile("file", "workers-niks.csv")
	if _, err := io.WriteString(fw, data); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteField("kind", "workers"); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	res, body := c.send("POST", "/api/v1/imports", &buf, map[string]string{"Authorization": "Bearer " + tok,
		"Content-Type": w.FormDataContentType()})
	if res.StatusCode != 202 {
		t.Fatalf("upload: %d %s", res.StatusCode, body)
	}
	var created struct{ ID int64 }
	if err := json.Unmarshal([]byte(body), &created); err != nil {
		t.Fatal(err)
	}
	var imp struct {
		Status string
		Errors []struct{ Column, Value string }
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		apiGet(t, c, tok, "/api/v1/imports/"+itoa(created.ID), &imp)
		if imp.Status != "queued" && imp.Status != "validating" {
			break
		}
	}
	for _, e := range imp.Errors {
		if e.Column == "nik" && (e.Value == badDate || e.Value == tooShort) {
			t.Fatalf("the API shows a NIK in full: %+v", imp.Errors)
		}
	}

	csvOf := func(query string) string {
		res, body := c.do("GET", "/api/v1/imports/"+itoa(created.ID)+"/errors.csv"+query, nil, map[string]string{"Authorization": "Bearer " + tok})
		if res.StatusCode != 200 {
			t.Fatalf("errors.csv%s: %d %s", query, res.StatusCode, body)
		}
		return body
	}
	audited := func() int { return count(t, `SELECT count(*) FROM audit_log WHERE action = 'import.nik_view'`) }
	before := audited()
	masked := csvOf("")
	if strings.Contains(masked, badDate) || strings.Contains(masked, tooShort) ||
		!strings.Contains(masked, "317101******0001") || !strings.Contains(masked, strings.Repeat("*", len(tooShort))+",") {
		t.Fatalf("errors.csv by default:\n%s", masked)
	}
	if audited() != before {
		t.Fatal("a masked download was audited as an unmasked read")
	}
	full := csvOf("?unmask=nik")
	if !strings.Contains(full, badDate) || !strings.Contains(full, tooShort) || audited() != before+1 {
		t.Fatalf("errors.csv?unmask=nik (audited %d -> %d):\n%s", before, audited(), full)
	}
	var shown int
	if err := dbtest.DB(t).Get(&shown, `SELECT (detail->>'niks')::int FROM audit_log WHERE action = 'import.nik_view' AND entity_id = $1`, itoa(created.ID)); err != nil || shown != 2 {
		t.Fatalf("audited read names %d NIKs (%v), want 2", shown, err)
	}
}
