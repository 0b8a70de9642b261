package app_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/lib/pq"

	"patuh/internal/auth"
	"patuh/internal/casework"
	"patuh/internal/db/dbtest"
)

func userID(t *testing.T, username string) int64 {
	t.Helper()
	u, err := auth.NewStore(dbtest.DB(t), "test-secret").UserByUsername(context.Background(), username)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// TestAdminUserValidationMessages sends each refused value through the pages and reads its
// message back (422 or 409, nothing changed).
func TestAdminUserValidationMessages(t *testing.T) {
	srv := server(t)
	admin := addUser(t, auth.Admin, "")
	c := newClient(t, srv)
	c.login(admin, password)
	target := addUser(t, auth.Inspector, "31.73")
	tid := itoa(userID(t, target))
	good := url.Values{"username": {"valid-new-user"}, "name": {"Siti Aminah"}, "role": {"inspector"}, "area": {"31.73"},
		"password": {"kopi tubruk di pagi hari"}}
	with := func(k, v string) url.Values {
		f := url.Values{}
		for key, vs := range good {
			f[key] = vs
		}
		f.Set(k, v)
		return f
	}
	for _, tc := range []struct {
		path string
		form url.Values
		want string
		code int
	}{
		{"/admin/users", with("username", "Bad Name!"), "Nama pengguna 2–64 karakter", 422},
		{"/admin/users", with("username", target), "Nama pengguna ini sudah dipakai", 422},
		{"/admin/users", with("name", " "), "Wajib diisi", 422},
		{"/admin/users", with("name", strings.Repeat("a", 121)), "Nama maksimal 120 karakter", 422},
		{"/admin/users", with("role", "boss"), "Peran harus admin, supervisor atau inspector", 422},
		{"/admin/users", with("area", "31.99"), "Wilayah harus kode kota atau kecamatan", 422},
		{"/admin/users", with("area", "31.73.02.1006"), "Wilayah harus kode kota atau kecamatan", 422},
		{"/admin/users", with("password", "short"), "minimal 12 karakter", 422},
		{"/admin/users", with("password", "valid-new-user 2024"), "tidak boleh memuat nama pengguna", 422},
		{"/admin/users/" + tid, url.Values{"name": {""}, "role": {"inspector"}, "area": {"31.73"}}, "Wajib diisi", 422},
		{"/admin/users/" + tid, url.Values{"name": {"X"}, "role": {"root"}, "area": {"31.73"}}, "Peran harus", 422},
		{"/admin/users/" + tid, url.Values{"name": {"X"}, "role": {"inspector"}, "area": {"31.73.02.1006"}}, "Wilayah harus kode kota atau kecamatan", 422},
		{"/admin/users/" + tid, url.Values{"name": {"X"}, "role": {"inspector"}, "area": {"31.73"}, "version": {"999"}}, "diubah orang lain", 409},
		{"/admin/users/" + tid + "/password", url.Values{"password": {"password1234"}}, "terlalu mudah ditebak", 422},
		{"/admin/users/" + tid + "/reassign", url.Values{}, "Centang minimal satu kasus", 422},
		{"/admin/tokens", url.Values{"user": {tid}, "label": {""}, "days": {"90"}}, "Wajib diisi", 422},
		{"/admin/tokens", url.Values{"user": {tid}, "label": {strings.Repeat("l", 101)}, "days": {"90"}}, "Keterangan maksimal 100 karakter", 422},
		{"/admin/tokens", url.Values{"user": {tid}, "label": {"x"}, "days": {"0"}}, "Masa berlaku harus antara", 422},
		{"/admin/tokens", url.Values{"user": {tid}, "label": {"x"}, "days": {"367"}}, "Masa berlaku harus antara", 422},
		{"/admin/tokens", url.Values{"user": {"999999"}, "label": {"x"}, "days": {"9"}}, "Pilih pengguna yang ada", 422},
	} {
		res, body := c.do("POST", tc.path, tc.form, nil)
		if res.StatusCode != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("POST %s %v: %d, want %d with %q", tc.path, tc.form, res.StatusCode, tc.code, tc.want)
		}
	}
	if n := count(t, `SELECT count(*) FROM users WHERE username = 'valid-new-user'`); n != 0 {
		t.Fatal("a refused user was added")
	}
	// A token for a disabled user, and the last active admin.
	c.do("POST", "/admin/users/"+tid+"/active", url.Values{"active": {"false"}}, nil)
	if res, body := c.do("POST", "/admin/tokens", url.Values{"user": {tid}, "label": {"x"}, "days": {"9"}}, nil); res.StatusCode != 422 ||
		!strings.Contains(body, "Pengguna ini nonaktif") {
		t.Errorf("token for a disabled user: %d", res.StatusCode)
	}
	store := auth.NewStore(dbtest.DB(t), "test-secret")
	ctx := context.Background()
	dbtest.DB(t).MustExec(`UPDATE users SET active = false WHERE role = 'admin' AND username <> $1`, admin)
	defer dbtest.DB(t).MustExec(`UPDATE users SET active = true WHERE role = 'admin'`)
	if err := store.SetActive(ctx, "test", userID(t, admin), false); apperrMessage(err) != "user.last_admin" {
		t.Errorf("the last admin disabled: %v", err)
	}
	if _, err := store.UpdateUser(ctx, "test", userID(t, admin), auth.Profile{Name: "A", Role: auth.Supervisor}); apperrMessage(err) != "user.last_admin" {
		t.Errorf("the last admin demoted: %v", err)
	}
}

func idStrings(ids []int64) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = itoa(id)
	}
	return out
}

func apperrMessage(err error) string {
	if err == nil {
		return ""
	}
	if m := regexp.MustCompile(`: ([a-z_]+\.[a-z_]+)`).FindStringSubmatch(err.Error()); m != nil {
		return m[1]
	}
	return err.Error()
}

// TestAddedUserMustChooseTheirPasswordAtFirstLogin: an admin adds an inspector with a
// temporary password; the inspector's every page leads to the password change until done.
func TestAddedUserMustChooseTheirPasswordAtFirstLogin(t *testing.T) {
	srv := server(t)
	admin := newClient(t, srv)
	admin.login(addUser(t, auth.Admin, ""), password)
	const temp = "sementara untuk rina 01"
	res, _ := admin.do("POST", "/admin/users", url.Values{"username": {"rina-first-login"}, "name": {"Rina Wulandari"},
		"role": {"inspector"}, "area": {"31.73"}, "password": {temp}}, nil)
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/admin/users/") {
		t.Fatalf("add: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	_, list := admin.do("GET", "/admin/users", nil, nil)
	for _, want := range []string{"Rina Wulandari", "rina-first-login", "Jakarta Barat", "kata sandi sementara", "belum pernah"} {
		if !strings.Contains(list, want) {
			t.Errorf("the user list lacks %q", want)
		}
	}
	rina := newClient(t, srv)
	rina.login("rina-first-login", temp)
	for _, p := range []string{"/", "/cases", "/employers"} {
		if res, _ := rina.do("GET", p, nil, nil); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/account/password" {
			t.Errorf("GET %s with a temporary password: %d %s", p, res.StatusCode, res.Header.Get("Location"))
		}
	}
	if _, body := rina.do("GET", "/account/password", nil, nil); !strings.Contains(body, `id="password-must-change"`) {
		t.Error("the password page does not say why")
	}
	res, _ = rina.do("POST", "/account/password", url.Values{"current": {temp}, "password": {"bunga melati di teras rumah"}}, nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		t.Fatalf("first change: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if res, _ := rina.do("GET", "/", nil, nil); res.StatusCode != 200 {
		t.Fatalf("home after the change: %d", res.StatusCode)
	}
	// An admin's reset makes the password temporary again and ends the session.
	id := itoa(userID(t, "rina-first-login"))
	if res, _ := admin.do("POST", "/admin/users/"+id+"/password", url.Values{"password": {"reset oleh admin 2026"}}, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("reset: %d", res.StatusCode)
	}
	if res, _ := rina.do("GET", "/", nil, nil); !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Errorf("the session survived a reset: %s", res.Header.Get("Location"))
	}
	rina.login("rina-first-login", "reset oleh admin 2026")
	if res, _ := rina.do("GET", "/", nil, nil); res.Header.Get("Location") != "/account/password" {
		t.Errorf("after a reset: %s", res.Header.Get("Location"))
	}
	_, page := admin.do("GET", "/admin/users/"+id, nil, nil)
	if !strings.Contains(page, "Rina Wulandari") {
		t.Error("the user page lacks the name")
	}
	if n := count(t, `SELECT count(*) FROM audit_log WHERE entity = 'user' AND entity_id = $1 AND action IN ('user.add', 'user.password', 'user.password_reset')`, id); n != 3 {
		t.Errorf("%d audit records of add, change and reset, want 3", n)
	}
}

// TestTokenExpiryAndRevocation: a token expired, revoked from the page, or of a user whose
// password changed, gets 401 at its next request.
func TestTokenExpiryAndRevocation(t *testing.T) {
	srv := server(t)
	admin := newClient(t, srv)
	admin.login(addUser(t, auth.Admin, ""), password)
	user := addUser(t, auth.Inspector, "31.73")
	uid := itoa(userID(t, user))
	me := func(tok string) int { return apiGet(t, newClient(t, srv), tok, "/api/v1/me", nil) }

	// Created on the page with 30 days, shown once.
	res, body := admin.do("POST", "/admin/tokens", url.Values{"user": {uid}, "label": {"sinkron BPJS"}, "days": {"30"}}, nil)
	m := regexp.MustCompile(`id="new-token" value="(patuh_[A-Za-z0-9_-]+)"`).FindStringSubmatch(body)
	if res.StatusCode != http.StatusCreated || m == nil {
		t.Fatalf("create: %d", res.StatusCode)
	}
	tok := m[1]
	if me(tok) != 200 {
		t.Fatal("a fresh token is refused")
	}
	if n := count(t, `SELECT count(*) FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE u.username = $1
		AND t.expires_at BETWEEN now() + interval '29 days 23 hours' AND now() + interval '30 days 1 hour'`, user); n != 1 {
		t.Fatalf("the token does not expire in 30 days")
	}
	_, list := admin.do("GET", "/admin/tokens?user="+uid, nil, nil)
	if !strings.Contains(list, "sinkron BPJS") || strings.Contains(list, tok) {
		t.Fatal("the list lacks the token, or shows it again")
	}

	// Expired: the default lifetime applies, and the end is the end.
	expiring := token(t, user)
	if n := count(t, `SELECT count(*) FROM api_tokens WHERE expires_at BETWEEN now() + interval '89 days' AND now() + interval '91 days'`); n == 0 {
		t.Fatal("the default lifetime is not 90 days")
	}
	dbtest.DB(t).MustExec(`UPDATE api_tokens SET expires_at = now() - interval '1 second'
		WHERE id = (SELECT max(id) FROM api_tokens)`)
	if got := me(expiring); got != 401 {
		t.Errorf("an expired token: %d, want 401", got)
	}
	_, list = admin.do("GET", "/admin/tokens?user="+uid, nil, nil)
	if !strings.Contains(list, `data-state="expired"`) {
		t.Error("the list does not show the expiry")
	}

	// Revoked from the page.
	var id int64
	if err := dbtest.DB(t).Get(&id, `SELECT id FROM api_tokens WHERE label = 'sinkron BPJS' AND user_id = $1`, uid); err != nil {
		t.Fatal(err)
	}
	if res, _ := admin.do("POST", "/admin/tokens/"+itoa(id)+"/revoke", url.Values{}, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d", res.StatusCode)
	}
	if got := me(tok); got != 401 {
		t.Errorf("a revoked token: %d, want 401", got)
	}
	if n := count(t, `SELECT count(*) FROM audit_log WHERE action = 'token.revoke' AND entity_id = $1`, itoa(id)); n != 1 {
		t.Errorf("revocation audited %d times", n)
	}

	// A password change ends the user's tokens.
	other := token(t, user)
	if me(other) != 200 {
		t.Fatal("token refused")
	}
	if err := auth.NewStore(dbtest.DB(t), "test-secret").ChangePassword(context.Background(), "test", userID(t, user), "pohon mangga di halaman"); err != nil {
		t.Fatal(err)
	}
	if got := me(other); got != 401 {
		t.Errorf("a token after a password change: %d, want 401", got)
	}
	if n := count(t, `SELECT count(*) FROM api_tokens WHERE user_id = $1 AND revoked_at IS NULL`, uid); n != 0 {
		t.Errorf("%d tokens not revoked by the password change", n)
	}
}

// TestDisablingEndsSessionAndTokens: the disabled user's live session and token stop at their
// next request; enabling gives back neither.
func TestDisablingEndsSessionAndTokens(t *testing.T) {
	srv := server(t)
	admin := newClient(t, srv)
	admin.login(addUser(t, auth.Admin, ""), password)
	user := addUser(t, auth.Inspector, "31.73")
	uid := itoa(userID(t, user))
	insp := newClient(t, srv)
	insp.login(user, password)
	tok := token(t, user)
	if res, _ := insp.do("GET", "/", nil, nil); res.StatusCode != 200 {
		t.Fatalf("home: %d", res.StatusCode)
	}
	if res, _ := admin.do("POST", "/admin/users/"+uid+"/active", url.Values{"active": {"false"}}, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable: %d", res.StatusCode)
	}
	if res, _ := insp.do("GET", "/", nil, nil); !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Errorf("the disabled user's session goes on: %d", res.StatusCode)
	}
	if got := apiGet(t, insp, tok, "/api/v1/me", nil); got != 401 {
		t.Errorf("the disabled user's token: %d", got)
	}
	if n := count(t, `SELECT count(*) FROM api_tokens WHERE user_id = $1 AND revoked_at IS NULL`, uid); n != 0 {
		t.Errorf("%d tokens left unrevoked", n)
	}
	if res := newClient(t, srv).login(user, password); res.StatusCode == http.StatusSeeOther && res.Header.Get("Location") == "/" {
		t.Error("a disabled user logs in")
	}
	admin.do("POST", "/admin/users/"+uid+"/active", url.Values{"active": {"true"}}, nil)
	if got := apiGet(t, insp, tok, "/api/v1/me", nil); got != 401 {
		t.Errorf("enabling gave the token back: %d", got)
	}
	if res := newClient(t, srv).login(user, password); res.Header.Get("Location") != "/" {
		t.Errorf("the enabled user cannot log in: %s", res.Header.Get("Location"))
	}
	if n := count(t, `SELECT count(*) FROM audit_log WHERE entity = 'user' AND entity_id = $1 AND action IN ('user.disable', 'user.enable')`, uid); n != 2 {
		t.Errorf("%d audit records of disable and enable, want 2", n)
	}
}

// TestBulkReassignmentOfAMovedInspector: an inspector of Jakarta Barat moved to Jakarta
// Timur has their Barat cases listed with covering inspectors, suggested by workload and
// spread; the handover is one transaction (a stale case changes nothing) and audited.
func TestBulkReassignmentOfAMovedInspector(t *testing.T) {
	loadSamples(t)
	srv := server(t)
	ctx := context.Background()
	d := dbtest.DB(t)
	adminName := addUser(t, auth.Admin, "")
	admin := newClient(t, srv)
	admin.login(adminName, password)
	store := auth.NewStore(d, "test-secret")
	sup, _ := store.UserByUsername(ctx, addUser(t, auth.Supervisor, ""))
	mover := addUser(t, auth.Inspector, "31.73")
	// Two colleagues covering exactly Jakarta Barat's kecamatan 02 and 08 and more.
	if _, err := store.AddUser(ctx, "test", auth.NewUser{Username: "ho-budi", Name: "Budi Handover", Role: auth.Inspector, Area: "31.73", Password: password}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := store.AddUser(ctx, "test", auth.NewUser{Username: "ho-citra", Name: "Citra Handover", Role: auth.Inspector, Area: "31.73", Password: password}, false); err != nil {
		t.Fatal(err)
	}

	cases := casework.NewStore(d)
	var employers []int64
	if err := d.Select(&employers, `SELECT e.id FROM employers e WHERE e.kode_kelurahan LIKE '31.73.%'
		AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.employer_id = e.id AND c.status <> 'closed') ORDER BY e.id LIMIT 3`); err != nil {
		t.Fatal(err)
	}
	if len(employers) < 3 {
		t.Fatal("fewer than 3 employers in Jakarta Barat among the samples")
	}
	var ids []int64
	for _, e := range employers {
		cs, err := cases.Open(ctx, sup, e, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cases.Assign(ctx, sup, cs.ID, mover, cs.Version); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, cs.ID)
	}
	// The case page shows the assignee's name, not their login.
	supc := newClient(t, srv)
	supc.login(sup.Username, password)
	_, page := supc.do("GET", "/cases/"+itoa(ids[0]), nil, nil)
	if !strings.Contains(page, "ditangani Test inspector") {
		t.Error("the case page does not name the assignee")
	}
	if strings.Contains(page, ">"+mover+"<") {
		t.Error("the case page shows the assignee's username")
	}

	uid := itoa(userID(t, mover))
	v := func() string {
		var n int
		if err := d.Get(&n, `SELECT version FROM users WHERE username = $1`, mover); err != nil {
			t.Fatal(err)
		}
		return itoa(int64(n))
	}
	if res, _ := admin.do("POST", "/admin/users/"+uid, url.Values{"name": {"Test inspector"}, "role": {"inspector"},
		"area": {"31.75"}, "version": {v()}}, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("move: %d", res.StatusCode)
	}
	me, _ := store.UserByUsername(ctx, adminName)
	handovers, err := cases.Handovers(ctx, me, userID(t, mover))
	if err != nil || len(handovers) != 3 {
		t.Fatalf("handovers: %d, %v", len(handovers), err)
	}
	load := map[string]int{}
	for _, h := range handovers {
		if !h.Needed || h.Suggested == "" {
			t.Fatalf("case %d not marked for handover (%v, %q)", h.CaseID, h.Needed, h.Suggested)
		}
		for _, c := range h.Candidates {
			if c.Username == mover {
				t.Fatal("the mover is their own candidate")
			}
			if _, ok := load[c.Username]; !ok {
				load[c.Username] = c.Open
			}
		}
		// The suggestion carries the fewest open cases, counting the suggestions before it.
		for _, c := range h.Candidates {
			if load[c.Username] < load[h.Suggested] {
				t.Errorf("case %d: suggested %s (%d open) over %s (%d)", h.CaseID, h.Suggested, load[h.Suggested], c.Username, load[c.Username])
			}
		}
		load[h.Suggested]++
	}
	_, page = admin.do("GET", "/admin/users/"+uid, nil, nil)
	if !strings.Contains(page, `id="reassign-form"`) || !strings.Contains(page, "3 kasus tidak dapat lagi ditangani") ||
		!strings.Contains(page, "Budi Handover") {
		t.Fatal("the user page does not offer the handover")
	}

	// A stale version on one case: nothing moves.
	form := url.Values{}
	for i, h := range handovers {
		id := itoa(h.CaseID)
		form.Add("case", id)
		form.Set("to_"+id, []string{"ho-budi", "ho-citra", "ho-budi"}[i])
		form.Set("version_"+id, itoa(int64(h.Version)))
	}
	form.Set("version_"+itoa(handovers[2].CaseID), "999")
	if res, body := admin.do("POST", "/admin/users/"+uid+"/reassign", form, nil); res.StatusCode != 422 || !strings.Contains(body, "diubah") {
		t.Fatalf("stale handover: %d", res.StatusCode)
	}
	if n := count(t, `SELECT count(*) FROM cases WHERE assignee_id = $1`, uid); n != 3 {
		t.Fatalf("a refused handover moved %d cases", 3-n)
	}
	// An inspector who does not cover the case: nothing moves.
	form.Set("version_"+itoa(handovers[2].CaseID), itoa(int64(handovers[2].Version)))
	form.Set("to_"+itoa(handovers[1].CaseID), mover)
	if res, _ := admin.do("POST", "/admin/users/"+uid+"/reassign", form, nil); res.StatusCode != 422 {
		t.Fatalf("handover to a non-covering inspector: %d", res.StatusCode)
	}
	form.Set("to_"+itoa(handovers[1].CaseID), "ho-citra")
	if res, _ := admin.do("POST", "/admin/users/"+uid+"/reassign", form, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("handover: %d", res.StatusCode)
	}
	if n := count(t, `SELECT count(*) FROM cases c JOIN users u ON u.id = c.assignee_id WHERE c.id = ANY($1) AND u.username IN ('ho-budi', 'ho-citra')`,
		pq.Array(ids)); n != 3 {
		t.Fatalf("%d of 3 cases handed over", n)
	}
	if n := count(t, `SELECT count(*) FROM audit_log WHERE action = 'case.assign' AND detail->>'bulk' = 'true' AND entity_id = ANY($1)`,
		pq.Array(idStrings(ids))); n != 3 {
		t.Errorf("%d bulk assignments audited, want 3", n)
	}
	if n := count(t, `SELECT count(*) FROM audit_log WHERE action = 'user.reassign' AND entity_id = $1`, uid); n != 1 {
		t.Errorf("%d handover records on the user, want 1", n)
	}
	// Names, not logins, in the workload and the timeline.
	_, dash := supc.do("GET", "/dashboard", nil, nil)
	if !strings.Contains(dash, "Budi Handover") || strings.Contains(dash, ">ho-budi<") {
		t.Error("the workload table does not name the inspectors")
	}
	_, page = supc.do("GET", "/cases/"+itoa(ids[0]), nil, nil)
	if !regexp.MustCompile(`ditangani (Budi|Citra) Handover`).MatchString(page) {
		t.Error("the handed-over case does not name its new assignee")
	}
	if tl := page[strings.Index(page, `id="timeline"`):]; !strings.Contains(tl, "Test admin") || !strings.Contains(tl, "Test supervisor") {
		t.Error("the timeline does not name the people")
	}
}
